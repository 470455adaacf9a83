/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest side of tests/scripts/test-crash-safety.sh.
 *
 * Write mode:  crash-writer IMAGE LOG SEED ITERATION
 *   Starts build/ioemu (QTEST_QEMU_BINARY) on the qcow2 IMAGE and writes
 *   to it through the PIIX3 IDE registers, one command at a time: DMA and
 *   PIO writes of random lengths at random places of the first
 *   CRASH_AREA_SECTORS sectors, with FLUSH CACHE now and then.  Every step
 *   goes to LOG before (I gen lba count) and after (W gen) a write, and
 *   after each completed flush (F), so the log survives whatever happens
 *   to the emulator.  It runs until the emulator dies (the script kills it
 *   with SIGKILL) or a time limit passes.
 *
 * Verify mode: crash-writer --verify RAW LOG STATE
 *   RAW is the image converted to raw after the kill.  Each sector the
 *   writer writes describes itself (magic, generation, LBA, and a fill
 *   derived from both), so every sector of the area must hold either the
 *   last write to it that completed before the last completed flush (or,
 *   without one, what STATE recorded from the previous round), or one of
 *   the writes issued after that; nothing else, and nothing torn inside a
 *   sector.  STATE (one u32 generation per sector) is then rewritten with
 *   what the image holds, for the next round.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/hw/test-ide-lib.h"

#define CRASH_AREA_SECTORS  32768           /* the first 16 MiB of the disk */
#define CRASH_TIME_LIMIT_S  25
#define SECTOR_MAGIC        0x4d454f49u     /* "IOEM" */
#define MAX_DMA_SECTORS     128
#define MAX_PIO_SECTORS     8

static const IdeChan *pri = &ide_chan[0];

static void fill_sector(uint8_t *p, uint32_t gen, uint32_t lba)
{
    uint32_t x = gen * 2654435761u ^ (lba * 40503u) ^ 0x9e3779b9u;

    memcpy(p, &(uint32_t){ SECTOR_MAGIC }, 4);
    memcpy(p + 4, &gen, 4);
    memcpy(p + 8, &lba, 4);
    for (int i = 12; i < 512; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

/* The generation a sector holds: 0 for a never-written (zero) sector, -1 when it is neither. */
static int64_t sector_gen(const uint8_t *p, uint32_t lba)
{
    uint8_t want[512];
    uint32_t magic, gen, at;

    memcpy(&magic, p, 4);
    memcpy(&gen, p + 4, 4);
    memcpy(&at, p + 8, 4);
    if (magic != SECTOR_MAGIC) {
        for (int i = 0; i < 512; i++) {
            if (p[i]) {
                return -1;
            }
        }
        return 0;
    }
    if (at != lba || gen == 0) {
        return -1;
    }
    fill_sector(want, gen, lba);
    return memcmp(want, p, 512) ? -1 : (int64_t)gen;
}

static void log_line(FILE *log, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void log_line(FILE *log, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log, fmt, ap);
    va_end(ap);
    fflush(log);
}

static int do_write(const char *image, const char *log_path, uint32_t seed, uint32_t iteration)
{
    FILE *log = fopen(log_path, "w");
    GRand *rng = g_rand_new_with_seed(seed);
    uint8_t *buf = g_malloc(MAX_DMA_SECTORS * 512);
    gint64 start = g_get_monotonic_time();
    QTestState *s;

    if (!log) {
        fprintf(stderr, "crash-writer: %s: %s\n", log_path, g_strerror(errno));
        return 2;
    }
    s = qtest_initf("-nodefaults -drive file=%s,if=ide,index=0,format=qcow2,cache=writeback", image);
    ide_pci_enable(s);
    qtest_irq_intercept_in(s, "ioapic");
    log_line(log, "S\n");
    for (uint32_t op = 1; op < 1000000; op++) {
        if (g_get_monotonic_time() - start > CRASH_TIME_LIMIT_S * G_USEC_PER_SEC) {
            break;
        }
        if (g_rand_int_range(rng, 0, 8) == 0) {
            uint8_t st = ide_nondata(s, pri, g_rand_boolean(rng) ? 0xe7 : 0xea);
            g_assert_cmphex(st & (ST_ERR | ST_DF), ==, 0);
            log_line(log, "F\n");
            continue;
        }
        bool dma = g_rand_int_range(rng, 0, 4) != 0;
        uint32_t count = (uint32_t)g_rand_int_range(rng, 1, (dma ? MAX_DMA_SECTORS : MAX_PIO_SECTORS) + 1);
        /* Mostly near earlier writes (rewrites of allocated clusters), sometimes anywhere. */
        uint32_t lba = (uint32_t)g_rand_int_range(rng, 0, CRASH_AREA_SECTORS - (int32_t)count);
        uint32_t gen = iteration * 1000000u + op;
        uint8_t st;

        for (uint32_t i = 0; i < count; i++) {
            fill_sector(buf + i * 512, gen, lba + i);
        }
        log_line(log, "I %u %u %u\n", gen, lba, count);
        if (dma) {
            uint32_t addr[] = { GUEST_BUF };
            uint32_t len[] = { count * 512 };
            qtest_bufwrite(s, GUEST_BUF, buf, count * 512);
            ide_write_prd(s, GUEST_PRD, addr, len, 1);
            ide_lba28(s, pri, 0, lba, (uint8_t)count);
            ide_dma(s, pri, 0xca, false, GUEST_PRD, &st);
        } else {
            st = ide_write_sectors(s, pri, 0, lba, (int)count, buf);
        }
        g_assert_cmphex(st & (ST_ERR | ST_DF | ST_DRQ), ==, 0);
        log_line(log, "W %u\n", gen);
    }
    log_line(log, "E\n");
    qtest_quit(s);
    fclose(log);
    g_free(buf);
    g_rand_free(rng);
    return 0;
}

typedef struct Write {
    uint32_t gen, lba, count;
    bool completed;
    bool flushed;       /* completed before a later completed flush */
} Write;

static int do_verify(const char *raw_path, const char *log_path, const char *state_path)
{
    gchar *log_text = NULL, *state = NULL;
    gsize state_len = 0;
    GArray *writes = g_array_new(FALSE, TRUE, sizeof(Write));
    guint flushed_upto = 0;     /* writes[0 .. flushed_upto) completed before the last flush */
    uint32_t *base = g_new0(uint32_t, CRASH_AREA_SECTORS);
    uint32_t *actual = g_new0(uint32_t, CRASH_AREA_SECTORS);
    GPtrArray *allowed = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    FILE *raw;
    uint8_t sector[512];
    int bad = 0, landed_unflushed = 0, flushes = 0;

    if (!g_file_get_contents(log_path, &log_text, NULL, NULL)) {
        fprintf(stderr, "crash-writer: cannot read %s\n", log_path);
        return 2;
    }
    if (g_file_get_contents(state_path, &state, &state_len, NULL) &&
        state_len == CRASH_AREA_SECTORS * sizeof(uint32_t)) {
        memcpy(base, state, state_len);
    }
    g_free(state);

    /* Parse the log; a torn last line (the writer died writing it) is ignored. */
    gchar **lines = g_strsplit(log_text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        Write w = { 0 };
        uint32_t gen;
        if (sscanf(lines[i], "I %u %u %u", &w.gen, &w.lba, &w.count) == 3) {
            if (w.count == 0 || w.lba + w.count > CRASH_AREA_SECTORS) {
                fprintf(stderr, "crash-writer: bad log line '%s'\n", lines[i]);
                return 2;
            }
            g_array_append_val(writes, w);
        } else if (sscanf(lines[i], "W %u", &gen) == 1) {
            Write *last = writes->len ? &g_array_index(writes, Write, writes->len - 1) : NULL;
            if (!last || last->gen != gen) {
                fprintf(stderr, "crash-writer: completion of a write never issued: '%s'\n", lines[i]);
                return 2;
            }
            last->completed = true;
        } else if (!strcmp(lines[i], "F")) {
            /* One command at a time: every write issued so far has completed. */
            flushed_upto = writes->len;
            flushes++;
        }
    }
    g_strfreev(lines);
    g_free(log_text);

    /* What each sector may hold: the last flushed value (or the base), then any later write. */
    for (uint32_t s = 0; s < CRASH_AREA_SECTORS; s++) {
        GArray *a = g_array_new(FALSE, FALSE, sizeof(uint32_t));
        g_array_append_val(a, base[s]);
        g_ptr_array_add(allowed, a);
    }
    for (guint i = 0; i < writes->len; i++) {
        Write *w = &g_array_index(writes, Write, i);
        for (uint32_t s = w->lba; s < w->lba + w->count; s++) {
            GArray *a = allowed->pdata[s];
            if (i < flushed_upto) {
                g_array_set_size(a, 0);
            }
            g_array_append_val(a, w->gen);
        }
    }

    raw = fopen(raw_path, "rb");
    if (!raw) {
        fprintf(stderr, "crash-writer: %s: %s\n", raw_path, g_strerror(errno));
        return 2;
    }
    for (uint32_t s = 0; s < CRASH_AREA_SECTORS; s++) {
        GArray *a = allowed->pdata[s];
        bool ok = false;
        if (fread(sector, 1, 512, raw) != 512) {
            fprintf(stderr, "crash-writer: %s is shorter than the test area\n", raw_path);
            return 2;
        }
        int64_t gen = sector_gen(sector, s);
        for (guint k = 0; gen >= 0 && k < a->len; k++) {
            if (g_array_index(a, uint32_t, k) == (uint32_t)gen) {
                ok = true;
                landed_unflushed += k > 0;
            }
        }
        if (!ok) {
            if (bad++ < 10) {
                GString *want = g_string_new(NULL);
                for (guint k = 0; k < a->len; k++) {
                    g_string_append_printf(want, " %u", g_array_index(a, uint32_t, k));
                }
                fprintf(stderr, "crash-writer: sector %u holds %s%" G_GINT64_FORMAT "; allowed:%s\n", s,
                        gen < 0 ? "garbage " : "generation ", gen, want->str);
                g_string_free(want, TRUE);
            }
        }
        actual[s] = gen < 0 ? 0 : (uint32_t)gen;
    }
    fclose(raw);
    if (!g_file_set_contents(state_path, (const char *)actual, CRASH_AREA_SECTORS * sizeof(uint32_t), NULL)) {
        fprintf(stderr, "crash-writer: cannot write %s\n", state_path);
        return 2;
    }
    printf("%u writes (%u before the last of %d flushes); %d later sectors had landed; %d bad sectors\n",
           writes->len, flushed_upto, flushes, landed_unflushed, bad);
    g_ptr_array_free(allowed, TRUE);
    g_array_free(writes, TRUE);
    g_free(base);
    g_free(actual);
    return bad ? 1 : 0;
}

/* Losing the emulator (the point of the test) fails a libqtest assertion: leave quietly. */
static void on_abort(int sig)
{
    _exit(3);
}

int main(int argc, char **argv)
{
    signal(SIGABRT, on_abort);
    if (argc == 5 && !strcmp(argv[1], "--verify")) {
        return do_verify(argv[2], argv[3], argv[4]);
    }
    if (argc == 5) {
        return do_write(argv[1], argv[2], (uint32_t)strtoul(argv[3], NULL, 0),
                        (uint32_t)strtoul(argv[4], NULL, 0));
    }
    fprintf(stderr, "usage: crash-writer IMAGE LOG SEED ITERATION\n"
                    "       crash-writer --verify RAW LOG STATE\n");
    return 2;
}
