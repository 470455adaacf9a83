/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcg-diff: differential testing of ioemu's x86 JIT against the host CPU.
 *
 *   tcg-diff [--seed N] [--count N] [--modes 32,64] [--no-corpus] [--tap] ...
 *
 * Runs `count` random instruction sequences per mode and the hand-written
 * corpus (each case from several random states) on the host CPU
 * (native.c) and in the JIT (jit.c), and compares registers, flags
 * (masking what the manuals leave undefined) and memory.  A divergence is
 * shrunk to a minimal sequence and printed with its disassembly, initial
 * state and the differences.  The host side is also checked on its own:
 * every exception must be one the generator expected, corpus cases must
 * end as they declare, and a rerun must give the same result.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/tcg/diff.h"
#include "tests/tcg/gen.h"
#include "tests/tcg/qemu16.h"

typedef struct Options {
    uint64_t seed;
    uint64_t count;
    int64_t count16;            /* random 16-bit sequences, -1: count */
    uint64_t first;             /* first random index */
    bool modes[3];              /* 32, 64, 16 */
    int max_units;
    bool corpus;
    bool random;
    int variants;
    bool tap;
    bool oracle_only;
    bool verbose;
    int max_reports;
    int rerun_every;
    const char *corpus_filter;
    const char *hex;
    const char *known_file;
} Options;

typedef struct Group {
    char name[64];
    uint64_t cases;
    uint64_t ended;
    uint64_t by_vector[32];
    uint64_t failures;          /* this group's check failed this many times */
    bool skip;
    char skip_reason[200];
    GHashTable *diverged;       /* corpus names that diverged (the first variant is printed in full) */
    GHashTable *known_hit;      /* known divergences seen diverging */
} Group;

static Options opt = {
    .seed = 1,
    .count = 1000,
    .count16 = -1,
    .modes = { true, true, true },
    .max_units = 12,
    .corpus = true,
    .random = true,
    .variants = 3,
    .max_reports = 3,
    .rerun_every = 4,
};

static NativeRunner *native;
static JitRunner *jit;
static char jit_skip[200];
static int reports_printed;

/* Detail lines: TAP diagnostics when --tap. */
static void say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (opt.tap) {
        char **lines = g_strsplit(s, "\n", -1);

        for (int i = 0; lines[i]; i++) {
            if (lines[i][0] || lines[i + 1]) {
                printf("# %s\n", lines[i]);
            }
        }
        g_strfreev(lines);
    } else {
        fputs(s, stdout);
    }
    fflush(stdout);
    g_free(s);
}

static void group_count(Group *g, const DiffResult *r)
{
    g->cases++;
    if (r->outcome == DIFF_OUT_END) {
        g->ended++;
    } else if (r->outcome == DIFF_OUT_EXCEPTION && r->vector >= 0 && r->vector < 32) {
        g->by_vector[r->vector]++;
    }
}

static void group_summary(const Group *g, GString *s)
{
    g_string_append_printf(s, "%" PRIu64 " cases: %" PRIu64 " ran to the end", g->cases, g->ended);
    for (int v = 0; v < 32; v++) {
        if (g->by_vector[v]) {
            g_string_append_printf(s, ", %" PRIu64 " %s", g->by_vector[v], diff_vector_name(v));
        }
    }
}

/* Corpus cases with a known, reported JIT divergence: name -> reason (--known FILE). */
static GHashTable *known;

static int tap_index;
static int tap_failed;

static void tap_line(const Group *g, bool jit_group)
{
    GString *s = g_string_new(NULL);
    bool ok = g->failures == 0;

    if (g->diverged && g_hash_table_size(g->diverged)) {
        GList *names = g_list_sort(g_hash_table_get_keys(g->diverged), (GCompareFunc)strcmp);
        GString *l = g_string_new("diverging corpus cases:");

        for (GList *n = names; n; n = n->next) {
            g_string_append_printf(l, " %s", (const char *)n->data);
        }
        say("%s\n", l->str);
        g_string_free(l, TRUE);
        g_list_free(names);
    }
    group_summary(g, s);
    if (g->skip && opt.tap) {
        printf("ok %d - %s # SKIP %s\n", ++tap_index, g->name, g->skip_reason);
    } else if (g->skip) {
        printf("%-34s skipped: %s\n", g->name, g->skip_reason);
    } else if (opt.tap) {
        printf("%s %d - %s (%s%s)\n", ok ? "ok" : "not ok", ++tap_index, g->name, s->str,
               ok ? "" : jit_group ? "; DIVERGED" : "; host-side check failed");
    } else {
        printf("%-34s %s: %s", g->name, ok ? "ok" : "FAILED", s->str);
        if (!ok) {
            printf(" (%" PRIu64 " failures)", g->failures);
        }
        printf("\n");
    }
    if (!ok && !g->skip) {
        tap_failed++;
    }
    fflush(stdout);
    g_string_free(s, TRUE);
}

/* ---------------------------------------------------------------- */

static int identity_order[DIFF_MAX_UNITS];

/* Who the JIT is compared with: the host CPU, or QEMU for 16-bit code. */
static const char *oracle_name(int mode)
{
    return mode == 16 ? "qemu" : "host";
}

/* The unit holding `rip`, or -1. */
static int unit_at(const DiffLayout *lay, int n, uint64_t rip)
{
    for (int k = 0; k < n; k++) {
        if (rip >= lay->start[k] && rip < lay->start[k + 1]) {
            return k;
        }
    }
    return -1;
}

/* The unit that raised r: for traps (#DB, #BP, #OF) rip is past the instruction. */
static int raising_unit(const DiffLayout *lay, int n, const DiffResult *r)
{
    bool trap = r->vector == VEC_DB || r->vector == VEC_BP || r->vector == VEC_OF;

    return unit_at(lay, n, r->regs.rip - (trap ? 1 : 0));
}

/* The mask for a result: at the end, or in front of the unit that raised. */
static void mask_for(const DiffCase *c, const int *order, int n, const DiffLayout *lay, const DiffResult *r,
                     const DiffMask *end, const DiffMask *before, DiffMask *out)
{
    *out = *end;
    if (!c->raw && r->outcome == DIFF_OUT_EXCEPTION) {
        int k = raising_unit(lay, n, r);

        if (k >= 0) {
            const DiffUnit *u = &c->units[order[k]];

            out->undef_regs = before[k].undef_regs | u->writes_undef;
            out->undef_flags = before[k].undef_flags | u->flags_undef;
        } else {
            out->undef_regs |= 0xffff;
        }
    }
}

static void format_case(const DiffCase *c, const DiffInput *in, const DiffLayout *lay, int n, GString *s)
{
    size_t len = (size_t)(in->end - 1 - in->entry);
    uint64_t base = c->mode == 16 ? 0 : DIFF_CODE_BASE;
    const uint8_t *code = in->code + (in->entry - base);

    g_string_append_printf(s, "  code (%zu bytes at %#" PRIx64 "):", len, in->entry);
    for (size_t i = 0; i < len; i++) {
        g_string_append_printf(s, " %02x", code[i]);
    }
    g_string_append(s, "\n");
    if (c->raw) {
        diff_disasm(c->mode, in->entry, code, len, s, "    ");
    } else {
        for (int k = 0; k < n; k++) {
            uint64_t a = lay->start[k];

            diff_disasm(c->mode, a, in->code + (a - base), (size_t)(lay->start[k + 1] - a), s,
                        "    ");
        }
    }
    g_string_append(s, "  initial state:\n");
    diff_format_regs(c->mode, &in->regs, s, "    ");
}

/* Run one input on both sides (JIT only if available). */
static bool run16_batch(DiffInput *const *in, int n, DiffResult *q, DiffResult *j, GError **err);

static bool run_pair(const DiffInput *in, DiffResult *rn, DiffResult *rj, GError **err)
{
    if (in->mode == 16) {
        DiffInput *one = (DiffInput *)in;

        return run16_batch(&one, 1, rn, rj, err);
    }
    if (!native_run(native, in, rn, err)) {
        return false;
    }
    if (jit && !jit_run(jit, in, rj, err)) {
        return false;
    }
    return true;
}

/* A subset of units (order[0..n)) that is valid and still diverges? */
static bool diverges(const DiffCase *c, const int *order, int n, DiffResult *rn, DiffResult *rj)
{
    static DiffInput in;
    DiffLayout lay;
    DiffMask end, before[DIFF_MAX_UNITS], mask;
    GString *why;
    GError *err = NULL;
    bool same;

    if (!diff_analyse(c, order, n, &end, before, NULL) || !diff_case_input(c, order, n, &in, &lay)) {
        return false;
    }
    if (!run_pair(&in, rn, rj, &err)) {
        g_clear_error(&err);
        return false;
    }
    mask_for(c, order, n, &lay, rn, &end, before, &mask);
    why = g_string_new(NULL);
    same = diff_compare(c->mode, rn, oracle_name(c->mode), rj, "jit", &mask, why);
    g_string_free(why, TRUE);
    return !same;
}

/* Delete units while the divergence persists (chunks, then single units). */
static int shrink(const DiffCase *c, int *order, int n)
{
    static DiffResult rn, rj;
    int cand[DIFF_MAX_UNITS];

    for (int chunk = n / 2 > 0 ? n / 2 : 1; chunk >= 1; chunk /= 2) {
        bool progress = true;

        while (progress) {
            progress = false;
            for (int start = 0; start + chunk <= n;) {
                int m = 0;

                for (int k = 0; k < n; k++) {
                    if (k < start || k >= start + chunk) {
                        cand[m++] = order[k];
                    }
                }
                if (m > 0 && diverges(c, cand, m, &rn, &rj)) {
                    memcpy(order, cand, sizeof(int) * m);
                    n = m;
                    progress = true;
                } else {
                    start += chunk;
                }
            }
        }
    }
    return n;
}

static void report_divergence(const DiffCase *c, const char *repro, Group *g)
{
    static DiffInput in;
    static DiffResult rn, rj;
    int order[DIFF_MAX_UNITS], n = c->raw ? 0 : c->n_units, n0 = n;
    DiffLayout lay;
    DiffMask end, before[DIFF_MAX_UNITS], mask;
    GString *s;
    GError *err = NULL;

    if (c->corpus_name) {
        if (!g->diverged) {
            g->diverged = g_hash_table_new(g_str_hash, g_str_equal);
        }
        if (!g_hash_table_add(g->diverged, (gpointer)c->corpus_name)) {
            return;     /* another variant of a case already reported */
        }
    }
    if (reports_printed++ >= opt.max_reports) {
        say("DIVERGENCE in %s (not shown: report limit; rerun with %s)\n", c->name, repro);
        return;
    }
    memcpy(order, identity_order, sizeof(order));
    if (!c->raw) {
        n = shrink(c, order, n);
    }
    diff_analyse(c, order, n, &end, before, NULL);
    diff_case_input(c, order, n, &in, &lay);
    s = g_string_new(NULL);
    g_string_append_printf(s, "DIVERGENCE in %s", c->name);
    if (!c->raw) {
        g_string_append_printf(s, " (shrunk from %d to %d units)", n0, n);
    }
    g_string_append_printf(s, "\n  reproduce: %s\n", repro);
    if (!run_pair(&in, &rn, &rj, &err)) {
        g_string_append_printf(s, "  rerun failed: %s\n", err->message);
        g_clear_error(&err);
    }
    format_case(c, &in, &lay, n, s);
    mask_for(c, order, n, &lay, &rn, &end, before, &mask);
    g_string_append_printf(s, "  undefined (not compared): flags %#x, registers %#x\n", mask.undef_flags,
                           mask.undef_regs);
    g_string_append(s, "  differences:\n");
    diff_compare(c->mode, &rn, oracle_name(c->mode), &rj, "jit", &mask, s);
    g_string_append_printf(s, "  %s: ", oracle_name(c->mode));
    diff_format_result(c->mode, &rn, s);
    g_string_append(s, "  jit:  ");
    diff_format_result(c->mode, &rj, s);
    say("%s", s->str);
    g_string_free(s, TRUE);
}

static void report_oracle_problem(const DiffCase *c, const DiffInput *in, const DiffLayout *lay, int n,
                                  const DiffResult *r, const char *what, const char *repro)
{
    GString *s = g_string_new(NULL);

    g_string_append_printf(s, "%s CHECK FAILED in %s: %s\n  reproduce: %s\n", c->mode == 16 ? "QEMU" : "HOST",
                           c->name, what, repro);
    format_case(c, in, lay, n, s);
    g_string_append_printf(s, "  %s: ", oracle_name(c->mode));
    diff_format_result(c->mode, r, s);
    say("%s", s->str);
    g_string_free(s, TRUE);
}

/*
 * One case: host run, host-side checks, then the JIT and the comparison.
 * Returns false on a runner failure that should stop everything.
 */
static bool run_case(const DiffCase *c, Group *host, Group *jg, uint64_t serial, const char *repro,
                     const DiffResult *pre_oracle, const DiffResult *pre_jit)
{
    static DiffInput in;
    static DiffResult rn, rn2, rj;
    int n = c->raw ? 0 : c->n_units;
    DiffLayout lay;
    DiffMask end, before[DIFF_MAX_UNITS], mask;
    GString *why = g_string_new(NULL);
    GError *err = NULL;
    bool ok = true;

    if (!diff_analyse(c, identity_order, n, &end, before, why)) {
        say("GENERATOR BUG in %s: %s\n", c->name, why->str);
        host->failures++;
        goto out;
    }
    if (!diff_case_input(c, identity_order, n, &in, &lay)) {
        say("GENERATOR BUG in %s: cannot lay out the code\n", c->name);
        host->failures++;
        goto out;
    }
    if (pre_oracle) {
        rn = *pre_oracle;
    } else if (!native_run(native, &in, &rn, &err)) {
        say("host runner failed: %s\n", err->message);
        g_clear_error(&err);
        ok = false;
        goto out;
    }
    group_count(host, &rn);
    if (opt.verbose) {
        GString *v = g_string_new(NULL);

        g_string_append_printf(v, "%s:\n", c->name);
        format_case(c, &in, &lay, n, v);
        g_string_append_printf(v, "  undefined at the end: flags %#x, registers %#x\n  %s: ", end.undef_flags,
                               end.undef_regs, oracle_name(c->mode));
        diff_format_result(c->mode, &rn, v);
        for (int region = 0, shown = 0; region < 2; region++) {
            const uint8_t *a = region ? in.stack : in.data, *b2 = region ? rn.stack : rn.data;
            size_t len = c->mode == 16 ? DIFF16_DATA_SIZE : region ? DIFF_STACK_SIZE : DIFF_DATA_SIZE;
            uint64_t base = c->mode == 16 ? (region ? DIFF16_STACK_OFF : 0) : region ? DIFF_STACK_BASE : DIFF_DATA_BASE;

            for (size_t i = 0; i < len && shown < 16; i++) {
                if (a[i] != b2[i]) {
                    g_string_append_printf(v, "    memory %#" PRIx64 ": %02x -> %02x\n", base + i, a[i], b2[i]);
                    shown++;
                }
            }
        }
        say("%s", v->str);
        g_string_free(v, TRUE);
    }

    /* Host-side checks. */
    if (rn.outcome == DIFF_OUT_TIMEOUT || rn.outcome == DIFF_OUT_ERROR) {
        report_oracle_problem(c, &in, &lay, n, &rn, "the host run did not complete", repro);
        host->failures++;
    } else if (c->raw) {
        int got = rn.outcome == DIFF_OUT_END ? -1 : rn.vector;

        if (got != c->expect_vector) {
            char *what = g_strdup_printf("the case declares %s", c->expect_vector < 0 ? "that it runs to the end"
                                         : diff_vector_name(c->expect_vector));
            report_oracle_problem(c, &in, &lay, n, &rn, what, repro);
            g_free(what);
            host->failures++;
        }
    } else if (rn.outcome == DIFF_OUT_EXCEPTION) {
        int k = raising_unit(&lay, n, &rn);

        if (k < 0 || rn.vector >= 32 || !(c->units[k].may_fault & (1u << rn.vector))) {
            report_oracle_problem(c, &in, &lay, n, &rn, "an exception the generator did not intend", repro);
            host->failures++;
        }
    }
    if (!pre_oracle && opt.rerun_every && serial % (uint64_t)opt.rerun_every == 0) {
        DiffMask none = { 0, 0 };

        g_string_truncate(why, 0);
        if (!native_run(native, &in, &rn2, &err)) {
            say("host runner failed: %s\n", err->message);
            g_clear_error(&err);
            ok = false;
            goto out;
        }
        if (!diff_compare(c->mode, &rn, "run1", &rn2, "run2", &none, why)) {
            say("HOST CHECK FAILED in %s: two host runs differ\n%s", c->name, why->str);
            host->failures++;
        }
    }

    if (!jit) {
        goto out;
    }
    if (pre_jit) {
        rj = *pre_jit;
    } else if (!jit_run(jit, &in, &rj, &err)) {
        say("JIT runner failed: %s\n", err->message);
        g_clear_error(&err);
        ok = false;
        goto out;
    }
    group_count(jg, &rj);
    mask_for(c, identity_order, n, &lay, &rn, &end, before, &mask);
    g_string_truncate(why, 0);
    if (!diff_compare(c->mode, &rn, oracle_name(c->mode), &rj, "jit", &mask, why)) {
        if (c->corpus_name && known && g_hash_table_contains(known, c->corpus_name)) {
            if (!jg->known_hit) {
                jg->known_hit = g_hash_table_new(g_str_hash, g_str_equal);
            }
            g_hash_table_add(jg->known_hit, (gpointer)c->corpus_name);
        } else {
            jg->failures++;
            report_divergence(c, repro, jg);
        }
    }
out:
    g_string_free(why, TRUE);
    return ok;
}

static char *argv0;

static gint cmp_str_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Known divergences of this mode: each one that still diverges is a SKIP
 * line naming the JIT bug (never a pass); one that no longer diverges is
 * reported so the list can shrink.
 */
static void known_lines(Group *jg, int mode)
{
    GHashTableIter it;
    gpointer name, reason;
    GPtrArray *names;

    if (!known || !jit) {
        return;
    }
    names = g_ptr_array_new();
    g_hash_table_iter_init(&it, known);
    while (g_hash_table_iter_next(&it, &name, &reason)) {
        g_ptr_array_add(names, name);
    }
    g_ptr_array_sort(names, cmp_str_ptr);
    for (guint i = 0; i < names->len; i++) {
        const char *n = names->pdata[i];
        const DiffCorpusEntry *e = NULL;

        for (size_t k = 0; k < diff_corpus_count(); k++) {
            if (!strcmp(diff_corpus_entry(k)->name, n)) {
                e = diff_corpus_entry(k);
            }
        }
        if (!e || e->mode != mode || (opt.corpus_filter && !strstr(n, opt.corpus_filter))) {
            continue;
        }
        if (jg->known_hit && g_hash_table_contains(jg->known_hit, n)) {
            if (opt.tap) {
                printf("ok %d - jit %d-bit corpus %s # SKIP known JIT divergence: %s\n", ++tap_index, mode, n,
                       (const char *)g_hash_table_lookup(known, n));
            } else {
                printf("  known JIT divergence (not counted): %s: %s\n", n,
                       (const char *)g_hash_table_lookup(known, n));
            }
        } else {
            say("known divergence %s no longer diverges: drop it from %s\n", n, opt.known_file);
        }
    }
    g_ptr_array_free(names, TRUE);
}

/* Read FILE: "name reason..." per line, # comments. */
static bool load_known(const char *file)
{
    char *text = NULL;
    GError *err = NULL;
    char **lines;

    if (!g_file_get_contents(file, &text, NULL, &err)) {
        fprintf(stderr, "tcg-diff: %s\n", err->message);
        g_error_free(err);
        return false;
    }
    known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        char *l = g_strstrip(lines[i]);
        char *sp;

        if (!*l || *l == '#') {
            continue;
        }
        sp = strpbrk(l, " \t");
        if (sp) {
            *sp++ = 0;
        }
        g_hash_table_insert(known, g_strdup(l), g_strdup(sp ? g_strstrip(sp) : "(no reason given)"));
    }
    g_strfreev(lines);
    g_free(text);
    return true;
}

static bool run_random(int mode)
{
    static DiffCase c;
    Group host = { 0 }, jg = { 0 };
    bool ok = true;

    snprintf(host.name, sizeof(host.name), "host %d-bit random", mode);
    snprintf(jg.name, sizeof(jg.name), "jit %d-bit random", mode);
    for (uint64_t i = opt.first; i < opt.first + opt.count && ok; i++) {
        char *repro = g_strdup_printf("%s --modes %d --seed %" PRIu64 " --first %" PRIu64
                                      " --count 1 --no-corpus --max-units %d", argv0, mode, opt.seed, i,
                                      opt.max_units);

        diff_gen_case(opt.seed, i, mode, opt.max_units, &c);
        ok = run_case(&c, &host, &jg, i, repro, NULL, NULL);
        g_free(repro);
    }
    tap_line(&host, false);
    if (!jit) {
        jg.skip = true;
        snprintf(jg.skip_reason, sizeof(jg.skip_reason), "%s", jit_skip);
    }
    tap_line(&jg, true);
    if (jg.diverged) {
        g_hash_table_destroy(jg.diverged);
    }
    return ok;
}

static bool run_corpus(int mode)
{
    static DiffCase c;
    Group host = { 0 }, jg = { 0 };
    bool ok = true;
    uint64_t serial = 0;

    snprintf(host.name, sizeof(host.name), "host %d-bit corpus", mode);
    snprintf(jg.name, sizeof(jg.name), "jit %d-bit corpus", mode);
    for (size_t i = 0; i < diff_corpus_count() && ok; i++) {
        const DiffCorpusEntry *e = diff_corpus_entry(i);

        if (e->mode != mode || (opt.corpus_filter && !strstr(e->name, opt.corpus_filter))) {
            continue;
        }
        for (int v = 0; v < opt.variants && ok; v++) {
            char *repro = g_strdup_printf("%s --modes %d --seed %" PRIu64 " --no-random --corpus-filter %s",
                                          argv0, mode, opt.seed, e->name);

            diff_corpus_case(e, opt.seed, v, &c);
            ok = run_case(&c, &host, &jg, serial++, repro, NULL, NULL);
            g_free(repro);
        }
    }
    tap_line(&host, false);
    if (!jit) {
        jg.skip = true;
        snprintf(jg.skip_reason, sizeof(jg.skip_reason), "%s", jit_skip);
    }
    tap_line(&jg, true);
    known_lines(&jg, mode);
    if (jg.diverged) {
        g_hash_table_destroy(jg.diverged);
    }
    if (jg.known_hit) {
        g_hash_table_destroy(jg.known_hit);
    }
    return ok;
}

/* ---- 16-bit code: QEMU is the oracle, cases run in batches (one BIOS image each) ---- */

static char qemu_skip[200];

#define QEMU16_TIMEOUT_MS 60000

/*
 * One side (QEMU or the JIT) of a batch.  A case without a record hung or
 * crashed that side: it becomes a timeout and the cases after it run in
 * a new image.
 */
static bool run16_side(bool use_jit, DiffInput *const *in, int n, DiffResult *out, GError **err)
{
    uint8_t *rom = g_malloc(ROM16_SIZE);
    bool *have = g_new0(bool, ROM16_MAX_CASES);
    bool ok = true;

    for (int start = 0; start < n && ok;) {
        int m = MIN(n - start, ROM16_MAX_CASES), got;
        uint8_t *con = NULL;
        size_t len = 0;

        if (!rom16_build((const DiffInput *const *)(in + start), m, rom, err)) {
            ok = false;
            break;
        }
        ok = use_jit ? jit_run_rom16(jit, rom, &con, &len, err)
                     : qemu16_run(rom, &con, &len, QEMU16_TIMEOUT_MS, err);
        if (!ok) {
            break;
        }
        got = rom16_parse(con, len, (const DiffInput *const *)(in + start), m, out + start, have);
        g_free(con);
        if (got == m) {
            start += m;
            continue;
        }
        for (int k = 0; k < m; k++) {
            if (!have[k]) {
                memset(&out[start + k], 0, sizeof(DiffResult));
                out[start + k].outcome = DIFF_OUT_TIMEOUT;
                start += k + 1;
                break;
            }
        }
    }
    g_free(have);
    g_free(rom);
    return ok;
}

static bool run16_batch(DiffInput *const *in, int n, DiffResult *q, DiffResult *j, GError **err)
{
    if (!run16_side(false, in, n, q, err)) {
        return false;
    }
    return !jit || run16_side(true, in, n, j, err);
}

/* Run cases[0..n) (16-bit) as a batch, then judge each like run_case. */
static bool run16_cases(DiffCase **cases, char **repros, int n, Group *oracle, Group *jg, uint64_t serial)
{
    DiffInput **in = g_new0(DiffInput *, n);
    DiffResult *q = g_new0(DiffResult, n + 1), *j = g_new0(DiffResult, n + 1);
    int *slot = g_new(int, n);
    GError *err = NULL;
    bool ok = true;
    int k = 0;

    for (int i = 0; i < n; i++) {
        in[k] = g_new0(DiffInput, 1);
        slot[i] = n;    /* no result: run_case reports the layout failure before looking */
        if (!diff_case_input(cases[i], identity_order, cases[i]->raw ? 0 : cases[i]->n_units, in[k], NULL)) {
            g_free(in[k]);
            in[k] = NULL;
            continue;
        }
        slot[i] = k++;
    }
    if (!run16_batch(in, k, q, j, &err)) {
        say("16-bit runner failed: %s\n", err->message);
        g_clear_error(&err);
        ok = false;
    }
    for (int i = 0; i < n && ok; i++) {
        ok = run_case(cases[i], oracle, jg, serial + (uint64_t)i, repros[i], &q[slot[i]],
                      jit ? &j[slot[i]] : NULL);
    }
    for (int i = 0; i < k; i++) {
        g_free(in[i]);
    }
    g_free(slot);
    g_free(in);
    g_free(q);
    g_free(j);
    return ok;
}

static void finish_groups(Group *oracle, Group *jg, int mode, bool corpus)
{
    if (qemu_skip[0]) {
        oracle->skip = jg->skip = true;
        snprintf(oracle->skip_reason, sizeof(oracle->skip_reason), "%s", qemu_skip);
        snprintf(jg->skip_reason, sizeof(jg->skip_reason), "%s", qemu_skip);
    }
    tap_line(oracle, false);
    if (!jit && !jg->skip) {
        jg->skip = true;
        snprintf(jg->skip_reason, sizeof(jg->skip_reason), "%s", jit_skip);
    }
    tap_line(jg, true);
    if (corpus && !jg->skip) {
        known_lines(jg, mode);
    }
    if (jg->diverged) {
        g_hash_table_destroy(jg->diverged);
    }
    if (jg->known_hit) {
        g_hash_table_destroy(jg->known_hit);
    }
}

static bool run_random16(void)
{
    Group oracle = { 0 }, jg = { 0 };
    DiffCase **cases = g_new0(DiffCase *, ROM16_MAX_CASES);
    char **repros = g_new0(char *, ROM16_MAX_CASES);
    bool ok = true;

    snprintf(oracle.name, sizeof(oracle.name), "qemu 16-bit random");
    snprintf(jg.name, sizeof(jg.name), "jit 16-bit random");
    for (int i = 0; i < ROM16_MAX_CASES; i++) {
        cases[i] = g_new0(DiffCase, 1);
    }
    uint64_t count = opt.count16 >= 0 ? (uint64_t)opt.count16 : opt.count;

    for (uint64_t i = opt.first; i < opt.first + count && ok && !qemu_skip[0];) {
        int n = 0;

        for (; n < ROM16_MAX_CASES && i < opt.first + count; n++, i++) {
            diff_gen_case(opt.seed, i, 16, opt.max_units, cases[n]);
            g_free(repros[n]);
            repros[n] = g_strdup_printf("%s --modes 16 --seed %" PRIu64 " --first %" PRIu64
                                        " --count 1 --no-corpus --max-units %d", argv0, opt.seed, i,
                                        opt.max_units);
        }
        ok = run16_cases(cases, repros, n, &oracle, &jg, i - (uint64_t)n);
    }
    finish_groups(&oracle, &jg, 16, false);
    for (int i = 0; i < ROM16_MAX_CASES; i++) {
        g_free(cases[i]);
        g_free(repros[i]);
    }
    g_free(cases);
    g_free(repros);
    return ok;
}

static bool run_corpus16(void)
{
    Group oracle = { 0 }, jg = { 0 };
    DiffCase **cases = g_new0(DiffCase *, ROM16_MAX_CASES);
    char **repros = g_new0(char *, ROM16_MAX_CASES);
    bool ok = true;
    int n = 0;
    uint64_t serial = 0;

    snprintf(oracle.name, sizeof(oracle.name), "qemu 16-bit corpus");
    snprintf(jg.name, sizeof(jg.name), "jit 16-bit corpus");
    for (int i = 0; i < ROM16_MAX_CASES; i++) {
        cases[i] = g_new0(DiffCase, 1);
    }
    for (size_t i = 0; i <= diff_corpus_count() && ok && !qemu_skip[0]; i++) {
        const DiffCorpusEntry *e = i < diff_corpus_count() ? diff_corpus_entry(i) : NULL;

        if (e && (e->mode != 16 || (opt.corpus_filter && !strstr(e->name, opt.corpus_filter)))) {
            continue;
        }
        for (int v = 0; e && v < opt.variants; v++) {
            diff_corpus_case(e, opt.seed, v, cases[n]);
            g_free(repros[n]);
            repros[n] = g_strdup_printf("%s --modes 16 --seed %" PRIu64 " --no-random --corpus-filter %s", argv0,
                                        opt.seed, e->name);
            n++;
            if (n == ROM16_MAX_CASES) {
                ok = run16_cases(cases, repros, n, &oracle, &jg, serial);
                serial += (uint64_t)n;
                n = 0;
            }
        }
        if (!e && n) {
            ok = run16_cases(cases, repros, n, &oracle, &jg, serial);
        }
    }
    finish_groups(&oracle, &jg, 16, true);
    for (int i = 0; i < ROM16_MAX_CASES; i++) {
        g_free(cases[i]);
        g_free(repros[i]);
    }
    g_free(cases);
    g_free(repros);
    return ok;
}

/* --hex: one sequence given as bytes, from a random state of --seed. */
static int run_hex(int mode)
{
    static DiffCase c;
    static DiffResult rn, rj;
    static DiffInput in;
    GByteArray *bytes = g_byte_array_new();
    const char *p = opt.hex;
    DiffRng r = { diff_seed_mix(opt.seed, 0x4e58) };
    GString *s = g_string_new(NULL);
    DiffLayout lay;
    GError *err = NULL;
    int rc = 0;

    while (*p) {
        unsigned v;
        int used;

        if (*p == ' ' || *p == ',') {
            p++;
            continue;
        }
        if (sscanf(p, "%2x%n", &v, &used) != 1) {
            fprintf(stderr, "--hex: cannot parse at '%s'\n", p);
            return 2;
        }
        g_byte_array_append(bytes, (uint8_t[]){ (uint8_t)v }, 1);
        p += used;
    }
    memset(&c, 0, sizeof(c));
    c.mode = mode;
    snprintf(c.name, sizeof(c.name), "hex (%d-bit)", mode);
    c.raw = bytes->data;
    c.raw_len = bytes->len;
    c.raw_mask.undef_flags = 0;
    c.expect_vector = -1;
    diff_random_state(&r, mode, &c.regs);
    c.mem_seed = diff_rng_next(&r);
    c.entry = mode == 16 ? 0x100 : DIFF_CODE_BASE + 0x1000;
    diff_case_input(&c, NULL, 0, &in, &lay);
    format_case(&c, &in, &lay, 0, s);
    if (!run_pair(&in, &rn, &rj, &err)) {
        fprintf(stderr, "%s\n", err->message);
        return 1;
    }
    g_string_append_printf(s, "  %s: ", oracle_name(mode));
    diff_format_result(mode, &rn, s);
    if (jit) {
        DiffMask none = { 0, 0 };

        g_string_append(s, "  jit:  ");
        diff_format_result(mode, &rj, s);
        if (!diff_compare(mode, &rn, oracle_name(mode), &rj, "jit", &none, s)) {
            rc = 1;
        }
    }
    fputs(s->str, stdout);
    g_string_free(s, TRUE);
    g_byte_array_free(bytes, TRUE);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tcg-diff [options]\n"
            "  --seed N            campaign seed (default 1)\n"
            "  --count N           random sequences per mode (default 1000)\n"
            "  --count16 N         random 16-bit sequences (default: --count; each 128 are one QEMU run)\n"
            "  --first N           index of the first random sequence (default 0)\n"
            "  --modes LIST        any of 16, 32, 64 (default 16,32,64; 16-bit code needs QEMU as the oracle)\n"
            "  --max-units N       units per random sequence, at most (default 12)\n"
            "  --no-corpus         skip the hand-written corpus\n"
            "  --no-random         skip the random sequences\n"
            "  --corpus-filter S   only corpus cases whose name contains S\n"
            "  --variants N        random initial states per corpus case (default 3)\n"
            "  --oracle-only       do not run the JIT\n"
            "  --rerun-every N     rerun every Nth case on the host to check determinism (0: never)\n"
            "  --max-reports N     divergences printed in full (default 3)\n"
            "  --hex BYTES         run these code bytes (with --modes 16, 32 or 64) and print both results\n"
            "  --known FILE        corpus cases with a known JIT divergence (\"name reason\" lines):\n"
            "                      reported as skipped while they diverge, not as failures\n"
            "  --tap               TAP output\n"
            "  --verbose\n");
}

int main(int argc, char **argv)
{
    enum { O_SEED = 256, O_COUNT, O_FIRST, O_MODES, O_MAXU, O_NOCORPUS, O_NORANDOM, O_FILTER, O_VARIANTS,
           O_ORACLE, O_RERUN, O_REPORTS, O_HEX, O_TAP, O_VERBOSE, O_HELP, O_KNOWN, O_COUNT16 };
    static const struct option longopts[] = {
        { "seed", required_argument, NULL, O_SEED },
        { "count", required_argument, NULL, O_COUNT },
        { "count16", required_argument, NULL, O_COUNT16 },
        { "first", required_argument, NULL, O_FIRST },
        { "modes", required_argument, NULL, O_MODES },
        { "max-units", required_argument, NULL, O_MAXU },
        { "no-corpus", no_argument, NULL, O_NOCORPUS },
        { "no-random", no_argument, NULL, O_NORANDOM },
        { "corpus-filter", required_argument, NULL, O_FILTER },
        { "variants", required_argument, NULL, O_VARIANTS },
        { "oracle-only", no_argument, NULL, O_ORACLE },
        { "rerun-every", required_argument, NULL, O_RERUN },
        { "max-reports", required_argument, NULL, O_REPORTS },
        { "hex", required_argument, NULL, O_HEX },
        { "known", required_argument, NULL, O_KNOWN },
        { "tap", no_argument, NULL, O_TAP },
        { "verbose", no_argument, NULL, O_VERBOSE },
        { "help", no_argument, NULL, O_HELP },
        { 0 },
    };
    GError *err = NULL;
    int c;
    bool ok = true;

    argv0 = argv[0];
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_SEED: opt.seed = g_ascii_strtoull(optarg, NULL, 0); break;
        case O_COUNT: opt.count = g_ascii_strtoull(optarg, NULL, 0); break;
        case O_COUNT16: opt.count16 = (int64_t)g_ascii_strtoull(optarg, NULL, 0); break;
        case O_FIRST: opt.first = g_ascii_strtoull(optarg, NULL, 0); break;
        case O_MODES:
            opt.modes[0] = strstr(optarg, "32") != NULL;
            opt.modes[1] = strstr(optarg, "64") != NULL;
            opt.modes[2] = strstr(optarg, "16") != NULL;
            break;
        case O_MAXU: opt.max_units = atoi(optarg); break;
        case O_NOCORPUS: opt.corpus = false; break;
        case O_NORANDOM: opt.random = false; break;
        case O_FILTER: opt.corpus_filter = optarg; break;
        case O_VARIANTS: opt.variants = atoi(optarg); break;
        case O_ORACLE: opt.oracle_only = true; break;
        case O_RERUN: opt.rerun_every = atoi(optarg); break;
        case O_REPORTS: opt.max_reports = atoi(optarg); break;
        case O_HEX: opt.hex = optarg; break;
        case O_KNOWN: opt.known_file = optarg; break;
        case O_TAP: opt.tap = true; break;
        case O_VERBOSE: opt.verbose = true; break;
        case O_HELP: usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || opt.max_units < 1 || opt.variants < 1) {
        usage(stderr);
        return 2;
    }
    for (int i = 0; i < DIFF_MAX_UNITS; i++) {
        identity_order[i] = i;
    }
    if (opt.known_file && !load_known(opt.known_file)) {
        return 2;
    }

    native = native_runner_new(&err);
    if (!native) {
        /* Without the host there is nothing to compare with. */
        if (opt.tap) {
            printf("1..0 # SKIP host runner: %s\n", err->message);
            return 0;
        }
        fprintf(stderr, "tcg-diff: %s\n", err->message);
        return 1;
    }
    if (opt.oracle_only) {
        snprintf(jit_skip, sizeof(jit_skip), "--oracle-only");
    } else {
        jit = jit_runner_new(&err);
        if (!jit) {
            snprintf(jit_skip, sizeof(jit_skip), "%s", err->message);
            g_clear_error(&err);
        }
    }
    if (opt.hex) {
        int rc = run_hex(opt.modes[0] ? 32 : opt.modes[1] ? 64 : 16);

        jit_runner_free(jit);
        native_runner_free(native);
        return rc;
    }
    if (!jit && !opt.tap) {
        printf("JIT side skipped: %s\n", jit_skip);
    }
    if (opt.modes[2]) {
        GError *qerr = NULL;

        if (!qemu16_available(&qerr)) {
            snprintf(qemu_skip, sizeof(qemu_skip), "%s", qerr->message);
            g_clear_error(&qerr);
        }
    }
    for (int m = 0; m < 3 && ok; m++) {
        int mode = m == 2 ? 16 : m ? 64 : 32;

        if (!opt.modes[m]) {
            continue;
        }
        if (mode == 16) {
            if (opt.random) {
                ok = run_random16();
            }
            if (opt.corpus && ok) {
                ok = run_corpus16();
            }
            continue;
        }
        if (opt.random) {
            ok = run_random(mode);
        }
        if (opt.corpus && ok) {
            ok = run_corpus(mode);
        }
    }
    jit_runner_free(jit);
    native_runner_free(native);
    if (opt.tap) {
        /* The plan comes last: the number of known-divergence lines is not known before. */
        printf("1..%d\n", tap_index);
    }
    if (known) {
        g_hash_table_destroy(known);
    }
    if (!ok) {
        return 1;
    }
    return tap_failed ? 1 : 0;
}
