/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The translation-block cache: code buffer, lookup, translation,
 * chaining, invalidation by physical range, and the host-pc to guest
 * instruction mapping used to restore state on exceptions.  See exec.h.
 */
#include <assert.h>
#include <string.h>
#include <sys/mman.h>

#include <glib.h>

#include "hw/core/log.h"
#include "tcg/exec.h"

typedef struct PageDesc {
    GPtrArray *tbs;         /* TranslationBlock * on this physical page */
} PageDesc;

typedef struct TBKey {
    uint64_t phys_pc, pc, cs_base;
    uint32_t flags, cflags;
} TBKey;

struct TCGEngine {
    GMutex lock;
    uint8_t *code_buf;
    size_t code_size;
    uint8_t *code_ptr;          /* next free byte */
    TCGBackend backend;
    TCGContext *ctx;
    bool optimize;

    GHashTable *tb_hash;        /* TBKey * -> TB */
    GHashTable *pages;          /* uint64 phys page -> PageDesc */
    GPtrArray *all_tbs;         /* by code address (allocation order), for host-pc lookup */
    GPtrArray *cpus;
    TranslationBlock *spare_tb;     /* allocated for a translation that did not finish */
    TCGEngineStats stats;
};

static guint tb_key_hash(gconstpointer p)
{
    const TBKey *k = p;
    uint64_t h = k->phys_pc * 0x9e3779b97f4a7c15ull;
    h ^= (k->pc + k->cs_base * 31) * 0xc2b2ae3d27d4eb4full;
    h ^= ((uint64_t)k->flags << 32 | k->cflags) * 0x165667b19e3779f9ull;
    return (guint)(h ^ (h >> 32));
}

static gboolean tb_key_equal(gconstpointer a, gconstpointer b)
{
    const TBKey *x = a, *y = b;
    return x->phys_pc == y->phys_pc && x->pc == y->pc && x->cs_base == y->cs_base &&
           x->flags == y->flags && x->cflags == y->cflags;
}

static void page_desc_free(gpointer p)
{
    PageDesc *pd = p;
    g_ptr_array_free(pd->tbs, true);
    g_free(pd);
}

TCGEngine *tcg_engine_new(size_t code_size, GError **err)
{
    TCGEngine *e = g_new0(TCGEngine, 1);

    /* One mapping, read-write-execute: blocks are patched in place when chained. */
    e->code_buf = mmap(NULL, code_size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (e->code_buf == MAP_FAILED) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "tcg: cannot map %zu bytes of executable memory: %s",
                    code_size, g_strerror(errno));
        g_free(e);
        return NULL;
    }
    e->code_size = code_size;
    if (!tcg_backend_init(&e->backend, e->code_buf, code_size)) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "tcg: code buffer too small");
        munmap(e->code_buf, code_size);
        g_free(e);
        return NULL;
    }
    e->code_ptr = e->code_buf + e->backend.size;
    g_mutex_init(&e->lock);
    e->ctx = tcg_ctx_new();
    e->optimize = true;
    e->tb_hash = g_hash_table_new_full(tb_key_hash, tb_key_equal, g_free, NULL);
    e->pages = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, page_desc_free);
    e->all_tbs = g_ptr_array_new();
    e->cpus = g_ptr_array_new();
    return e;
}

static void tb_free(TranslationBlock *tb)
{
    if (tb->jmp_incoming) {
        g_ptr_array_free(tb->jmp_incoming, true);
    }
    g_free(tb->insn_end);
    g_free(tb->insn_data);
    g_free(tb->insn_len);
    g_free(tb);
}

void tcg_engine_free(TCGEngine *e)
{
    if (!e) {
        return;
    }
    g_hash_table_destroy(e->tb_hash);
    g_hash_table_destroy(e->pages);
    for (guint i = 0; i < e->all_tbs->len; i++) {
        tb_free(e->all_tbs->pdata[i]);
    }
    g_ptr_array_free(e->all_tbs, true);
    g_ptr_array_free(e->cpus, true);
    g_free(e->spare_tb);
    tcg_ctx_free(e->ctx);
    munmap(e->code_buf, e->code_size);
    g_mutex_clear(&e->lock);
    g_free(e);
}

TCGContext *tcg_engine_ctx(TCGEngine *e)
{
    return e->ctx;
}

const TCGBackend *tcg_engine_backend(TCGEngine *e)
{
    return &e->backend;
}

void tcg_engine_add_cpu(TCGEngine *e, TCGCPU *cpu)
{
    cpu->engine = e;
    g_ptr_array_add(e->cpus, cpu);
}

TCGEngineStats tcg_engine_stats(TCGEngine *e)
{
    TCGEngineStats s;
    g_mutex_lock(&e->lock);
    s = e->stats;
    s.code_bytes = (uint64_t)(e->code_ptr - e->code_buf);
    g_mutex_unlock(&e->lock);
    return s;
}

void tcg_engine_set_optimize(TCGEngine *e, bool on)
{
    e->optimize = on;
}

static PageDesc *page_find(TCGEngine *e, uint64_t page, bool create)
{
    PageDesc *pd = g_hash_table_lookup(e->pages, &page);
    if (!pd && create) {
        pd = g_new0(PageDesc, 1);
        pd->tbs = g_ptr_array_new();
        uint64_t *key = g_new(uint64_t, 1);
        *key = page;
        g_hash_table_insert(e->pages, key, pd);
    }
    return pd;
}

bool tcg_engine_page_has_code(TCGEngine *e, uint64_t phys_page)
{
    g_mutex_lock(&e->lock);
    PageDesc *pd = page_find(e, phys_page & TCG_PAGE_MASK, false);
    bool r = pd && pd->tbs->len > 0;
    g_mutex_unlock(&e->lock);
    return r;
}

/* ---- chaining ---- */

static void tb_reset_jump(TranslationBlock *tb, int n)
{
    tcg_patch_jump(tb->tc_ptr + tb->jmp_insn_offset[n], tb->tc_ptr + tb->jmp_reset_offset[n]);
    tb->jmp_dest[n] = NULL;
}

static void tb_add_jump(TranslationBlock *tb, int n, TranslationBlock *dest)
{
    if (tb->jmp_insn_offset[n] == UINT32_MAX || tb->jmp_dest[n] || dest->invalid || tb->invalid) {
        return;
    }
    if (!dest->jmp_incoming) {
        dest->jmp_incoming = g_ptr_array_new();
    }
    g_ptr_array_add(dest->jmp_incoming, (void *)((uintptr_t)tb | (uintptr_t)n));
    tb->jmp_dest[n] = dest;
    tcg_patch_jump(tb->tc_ptr + tb->jmp_insn_offset[n], dest->tc_ptr);
}

static void tb_unlink_incoming_from(TranslationBlock *dest, TranslationBlock *tb, int n)
{
    if (!dest->jmp_incoming) {
        return;
    }
    g_ptr_array_remove_fast(dest->jmp_incoming, (void *)((uintptr_t)tb | (uintptr_t)n));
}

/* Caller holds the lock. */
static void tb_invalidate_locked(TCGEngine *e, TranslationBlock *tb)
{
    if (tb->invalid) {
        return;
    }
    tb->invalid = true;
    e->stats.tbs_invalidated++;
    if (!(tb->cflags & CF_NOCACHE)) {
        TBKey key = { tb->phys_pc, tb->pc, tb->cs_base, tb->flags, tb->cflags };
        if (g_hash_table_lookup(e->tb_hash, &key) == tb) {
            g_hash_table_remove(e->tb_hash, &key);
        }
        for (int p = 0; p < 2; p++) {
            if (tb->page_addr[p] == UINT64_MAX) {
                continue;
            }
            PageDesc *pd = page_find(e, tb->page_addr[p], false);
            if (pd) {
                g_ptr_array_remove_fast(pd->tbs, tb);
                if (pd->tbs->len == 0) {
                    g_hash_table_remove(e->pages, &tb->page_addr[p]);
                }
            }
        }
    }
    /* Jumps into it go back to their exit path; its own jumps are dropped. */
    if (tb->jmp_incoming) {
        for (guint i = 0; i < tb->jmp_incoming->len; i++) {
            uintptr_t v = (uintptr_t)tb->jmp_incoming->pdata[i];
            TranslationBlock *src = (TranslationBlock *)(v & ~(uintptr_t)3);
            tb_reset_jump(src, (int)(v & 3));
        }
        g_ptr_array_set_size(tb->jmp_incoming, 0);
    }
    for (int n = 0; n < 2; n++) {
        if (tb->jmp_dest[n]) {
            tb_unlink_incoming_from(tb->jmp_dest[n], tb, n);
            tb_reset_jump(tb, n);
        }
    }
    for (guint c = 0; c < e->cpus->len; c++) {
        TCGCPU *cpu = e->cpus->pdata[c];
        for (unsigned i = 0; i < TB_JMP_CACHE_SIZE; i++) {
            if (cpu->tb_jmp_cache[i] == tb) {
                __atomic_store_n(&cpu->tb_jmp_cache[i], NULL, __ATOMIC_RELAXED);
            }
        }
    }
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Does tb's code overlap the physical range? (A TB spanning two pages covers the tail of the first and the head of the second.) */
static bool tb_overlaps(const TranslationBlock *tb, uint64_t start, uint64_t len)
{
    uint64_t first_len = tb->page_addr[1] == UINT64_MAX ? tb->size
                                                         : tb->page_addr[0] + TCG_PAGE_SIZE - tb->phys_pc;
    if (ranges_overlap(tb->phys_pc, first_len, start, len)) {
        return true;
    }
    if (tb->page_addr[1] != UINT64_MAX) {
        return ranges_overlap(tb->page_addr[1], tb->size - first_len, start, len);
    }
    return false;
}

/* Invalidate TBs overlapping [start, start+len); returns true if `current` was one.  Lock held. */
static bool invalidate_range_locked(TCGEngine *e, uint64_t start, uint64_t len, TranslationBlock *current)
{
    bool hit_current = false;

    if (len == 0) {
        return false;
    }
    for (uint64_t page = start & TCG_PAGE_MASK; page < start + len && page >= (start & TCG_PAGE_MASK);
         page += TCG_PAGE_SIZE) {
        PageDesc *pd = page_find(e, page, false);
        if (!pd) {
            continue;
        }
        /* Collect first: invalidation edits the list. */
        GPtrArray *victims = g_ptr_array_new();
        for (guint i = 0; i < pd->tbs->len; i++) {
            TranslationBlock *tb = pd->tbs->pdata[i];
            if (tb_overlaps(tb, start, len)) {
                g_ptr_array_add(victims, tb);
            }
        }
        for (guint i = 0; i < victims->len; i++) {
            if (victims->pdata[i] == current) {
                hit_current = true;
            }
            tb_invalidate_locked(e, victims->pdata[i]);
        }
        g_ptr_array_free(victims, true);
        if (page + TCG_PAGE_SIZE == 0) {
            break;
        }
    }
    return hit_current;
}

void tcg_engine_invalidate_phys_range(TCGEngine *e, uint64_t start, uint64_t len)
{
    if (!e) {
        return;
    }
    g_mutex_lock(&e->lock);
    invalidate_range_locked(e, start, len, NULL);
    g_mutex_unlock(&e->lock);
}

void tcg_engine_invalidate_phys_map(TCGEngine *e, uint64_t start, uint64_t len)
{
    if (!e) {
        return;
    }
    g_mutex_lock(&e->lock);
    if (len == 0) {
        GHashTableIter it;
        gpointer k, v;
        GPtrArray *all = g_ptr_array_new();
        g_hash_table_iter_init(&it, e->tb_hash);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            g_ptr_array_add(all, v);
        }
        for (guint i = 0; i < all->len; i++) {
            tb_invalidate_locked(e, all->pdata[i]);
        }
        g_ptr_array_free(all, true);
    } else {
        invalidate_range_locked(e, start, len, NULL);
    }
    g_mutex_unlock(&e->lock);
}

/*
 * A guest store is about to write [phys, phys+len) on a page with code.
 * Returns true if the block being executed was invalidated (the caller
 * must not complete the store in it).
 */
static TranslationBlock *find_by_host_pc_locked(TCGEngine *e, uintptr_t host_pc);

bool tcg_tb_invalidate_for_store(TCGCPU *cpu, uint64_t phys, uint64_t len, uintptr_t retaddr);
bool tcg_tb_invalidate_for_store(TCGCPU *cpu, uint64_t phys, uint64_t len, uintptr_t retaddr)
{
    TCGEngine *e = cpu->engine;
    g_mutex_lock(&e->lock);
    /* Chained blocks run without the exec loop: the store's own block is found from its return address. */
    TranslationBlock *current = retaddr ? find_by_host_pc_locked(e, retaddr) : NULL;
    bool hit = invalidate_range_locked(e, phys, len, current);
    g_mutex_unlock(&e->lock);
    return hit;
}

void tcg_engine_flush(TCGEngine *e)
{
    g_mutex_lock(&e->lock);
    g_hash_table_remove_all(e->tb_hash);
    g_hash_table_remove_all(e->pages);
    for (guint i = 0; i < e->all_tbs->len; i++) {
        tb_free(e->all_tbs->pdata[i]);
    }
    g_ptr_array_set_size(e->all_tbs, 0);
    e->code_ptr = e->code_buf + e->backend.size;
    e->stats.flushes++;
    for (guint c = 0; c < e->cpus->len; c++) {
        TCGCPU *cpu = e->cpus->pdata[c];
        memset(cpu->tb_jmp_cache, 0, sizeof(cpu->tb_jmp_cache));
        cpu->current_tb = NULL;
    }
    g_mutex_unlock(&e->lock);
}

/* ---- host pc -> TB ---- */

static TranslationBlock *find_by_host_pc_locked(TCGEngine *e, uintptr_t host_pc)
{
    if (host_pc < (uintptr_t)e->code_buf || host_pc >= (uintptr_t)e->code_ptr) {
        return NULL;
    }
    /* all_tbs is sorted by tc_ptr (allocation order). */
    guint lo = 0, hi = e->all_tbs->len;
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        TranslationBlock *tb = e->all_tbs->pdata[mid];
        if ((uintptr_t)tb->tc_ptr <= host_pc) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return NULL;
    }
    TranslationBlock *tb = e->all_tbs->pdata[lo - 1];
    if (host_pc > (uintptr_t)tb->tc_ptr + tb->tc_size) {
        return NULL;
    }
    return tb;
}

TranslationBlock *tcg_tb_find_by_host_pc(TCGEngine *e, uintptr_t host_pc)
{
    g_mutex_lock(&e->lock);
    TranslationBlock *tb = find_by_host_pc_locked(e, host_pc);
    g_mutex_unlock(&e->lock);
    return tb;
}

bool tcg_restore_state(TCGCPU *cpu, uintptr_t host_pc)
{
    TranslationBlock *tb = tcg_tb_find_by_host_pc(cpu->engine, host_pc);
    if (!tb || tb->nb_insns == 0) {
        return false;
    }
    uint32_t off = (uint32_t)(host_pc - (uintptr_t)tb->tc_ptr);
    int i = 0;
    while (i < tb->nb_insns - 1 && off > tb->insn_end[i]) {
        i++;
    }
    if (cpu->icount) {
        /* The block was charged in full at its start; give back what did not run. */
        int32_t not_run = tb->nb_insns - i - 1;
        cpu->icount_budget += not_run;
    }
    cpu->ops->restore_state(cpu, tb, tb->insn_data[2 * i], tb->insn_data[2 * i + 1]);
    return true;
}

/* ---- translation ---- */

static unsigned jmp_cache_hash(uint64_t pc)
{
    return (unsigned)((pc ^ (pc >> TB_JMP_CACHE_BITS)) & (TB_JMP_CACHE_SIZE - 1));
}

/*
 * Translate and compile one block.  Runs on the vCPU thread without the
 * lock (only that thread translates and fills the code buffer); the
 * front end may longjmp out of it on a fetch fault, so nothing is
 * allocated before the translation is done.
 */
static TranslationBlock *tb_gen_code(TCGCPU *cpu, uint64_t pc, uint64_t cs_base, uint32_t flags,
                                     uint32_t cflags, uint64_t phys_pc)
{
    TCGEngine *e = cpu->engine;
    int max_insns = (int)(cflags & CF_COUNT_MASK);

    if (max_insns == 0) {
        max_insns = 512;
    }
    for (int attempt = 0; attempt < 8; attempt++) {
        /*
         * The block struct exists before translation (exits embed its
         * address); a fetch fault longjmps out of translate, so an
         * unfinished one is kept as the engine's spare and reused.
         */
        TranslationBlock *tb = e->spare_tb ? e->spare_tb : g_new(TranslationBlock, 1);
        TCGContext *s = e->ctx;
        TCGCodeOut out;

        e->spare_tb = tb;
        memset(tb, 0, sizeof(*tb));
        tb->pc = pc;
        tb->cs_base = cs_base;
        tb->flags = flags;
        tb->cflags = cflags;
        tb->phys_pc = phys_pc;
        tb->page_addr[0] = phys_pc & TCG_PAGE_MASK;
        tb->page_addr[1] = UINT64_MAX;

        tcg_ctx_reset(s);
        cpu->ops->translate(cpu, s, tb, max_insns);

        if (log_enabled(LOG_TCG_OP)) {
            GString *str = g_string_new(NULL);
            tcg_dump_ops(s, str);
            log_printf("OP: pc 0x%llx\n%s\n", (unsigned long long)pc, str->str);
            g_string_free(str, true);
        }
        if (e->optimize) {
            tcg_optimize(s);
        }
        tcg_liveness(s);
        if (log_enabled(LOG_TCG_OP)) {
            GString *str = g_string_new(NULL);
            tcg_dump_ops(s, str);
            log_printf("OP after optimisation and liveness:\n%s\n", str->str);
            g_string_free(str, true);
        }

        /* Align blocks to 16 bytes. */
        uint8_t *code = (uint8_t *)(((uintptr_t)e->code_ptr + 15) & ~(uintptr_t)15);
        size_t avail = (size_t)(e->code_buf + e->code_size - code);
        int r = tcg_gen_code(s, &e->backend, code, avail, &out);
        if (r == TCG_GEN_BUFFER_FULL) {
            tcg_code_out_free(&out);
            tcg_engine_flush(e);
            continue;
        }
        if (r == TCG_GEN_TOO_BIG) {
            tcg_code_out_free(&out);
            max_insns = max_insns > 1 ? max_insns / 2 : 1;
            continue;
        }
        e->spare_tb = NULL;
        tb->tc_ptr = code;
        tb->tc_size = (uint32_t)out.size;
        memcpy(tb->jmp_insn_offset, out.jmp_insn_offset, sizeof(tb->jmp_insn_offset));
        memcpy(tb->jmp_reset_offset, out.jmp_reset_offset, sizeof(tb->jmp_reset_offset));
        tb->nb_insns = out.nb_insns;
        tb->insn_end = out.insn_end;
        tb->insn_data = out.insn_data;
        tb->insn_len = out.insn_len;
        tb->icount = (uint16_t)out.nb_insns;

        g_mutex_lock(&e->lock);
        e->code_ptr = code + out.size;
        e->stats.tbs_translated++;
        g_ptr_array_add(e->all_tbs, tb);
        g_mutex_unlock(&e->lock);

        if (log_enabled(LOG_TCG_OUT_ASM)) {
            GString *str = g_string_new(NULL);
            tcg_disas_host(str, tb->tc_ptr, tb->tc_size);
            log_printf("OUT: [size=%u] pc 0x%llx\n%s\n", tb->tc_size, (unsigned long long)pc, str->str);
            g_string_free(str, true);
        }
        return tb;
    }
    return NULL;
}

/* Put a fresh TB on its pages and in the hash table.  Lock held. */
static void tb_link_locked(TCGEngine *e, TranslationBlock *tb)
{
    TBKey *key = g_new(TBKey, 1);
    *key = (TBKey){ tb->phys_pc, tb->pc, tb->cs_base, tb->flags, tb->cflags };
    g_hash_table_insert(e->tb_hash, key, tb);
    for (int p = 0; p < 2; p++) {
        if (tb->page_addr[p] == UINT64_MAX) {
            continue;
        }
        PageDesc *pd = page_find(e, tb->page_addr[p], true);
        bool first = pd->tbs->len == 0;
        g_ptr_array_add(pd->tbs, tb);
        if (first) {
            for (guint c = 0; c < e->cpus->len; c++) {
                tlb_protect_code_page(e->cpus->pdata[c], tb->page_addr[p]);
            }
        }
    }
}

TranslationBlock *tcg_tb_lookup(TCGCPU *cpu, uint64_t pc, uint64_t cs_base, uint32_t flags, uint32_t cflags)
{
    TCGEngine *e = cpu->engine;
    unsigned h = jmp_cache_hash(pc);
    TranslationBlock *tb = cpu->tb_jmp_cache[h];

    if (tb && tb->pc == pc && tb->cs_base == cs_base && tb->flags == flags && tb->cflags == cflags &&
        !tb->invalid) {
        return tb;
    }
    /* The physical address: may raise the fetch fault (state is exact: we are between blocks). */
    uint64_t phys;
    if (!tcg_get_code_page(cpu, pc, -1, &phys)) {
        /* Code in MMIO (or nothing): run it one instruction at a time, never cached. */
        cflags = (cflags & ~CF_COUNT_MASK) | CF_NOCACHE | CF_MMIO_CODE | 1;
    }

    TBKey key = { phys, pc, cs_base, flags, cflags };
    if (!(cflags & CF_NOCACHE)) {
        g_mutex_lock(&e->lock);
        tb = g_hash_table_lookup(e->tb_hash, &key);
        g_mutex_unlock(&e->lock);
        if (tb && tb->page_addr[1] != UINT64_MAX) {
            /* A block spanning two pages is only valid with the same second page. */
            uint64_t phys2 = UINT64_MAX;
            void *host2;
            uint64_t vaddr2 = (pc & TCG_PAGE_MASK) + TCG_PAGE_SIZE;
            if (!tcg_probe_code_page(cpu, vaddr2, -1, &phys2, &host2) ||
                (phys2 & TCG_PAGE_MASK) != tb->page_addr[1]) {
                g_mutex_lock(&e->lock);
                tb_invalidate_locked(e, tb);
                g_mutex_unlock(&e->lock);
                tb = NULL;
            }
        }
    } else {
        tb = NULL;
    }
    if (!tb) {
        tb = tb_gen_code(cpu, pc, cs_base, flags, cflags, phys);
        if (!tb) {
            return NULL;
        }
        if (!(cflags & CF_NOCACHE)) {
            g_mutex_lock(&e->lock);
            TranslationBlock *other = g_hash_table_lookup(e->tb_hash, &key);
            if (other) {
                /* Cannot happen with one translating thread; keep the first. */
                tb->invalid = true;
                tb = other;
            } else {
                tb_link_locked(e, tb);
            }
            g_mutex_unlock(&e->lock);
        }
    }
    if (!(cflags & CF_NOCACHE)) {
        cpu->tb_jmp_cache[h] = tb;
    }
    return tb;
}

uint64_t tcg_engine_flush_count(TCGEngine *e);
uint64_t tcg_engine_flush_count(TCGEngine *e)
{
    return __atomic_load_n(&e->stats.flushes, __ATOMIC_RELAXED);
}

/* Chain `from`'s exit n to `to` (exec loop, vCPU thread). */
void tcg_tb_chain(TCGCPU *cpu, TranslationBlock *from, int n, TranslationBlock *to);
void tcg_tb_chain(TCGCPU *cpu, TranslationBlock *from, int n, TranslationBlock *to)
{
    TCGEngine *e = cpu->engine;
    if ((from->cflags | to->cflags) & CF_NOCACHE) {
        return;
    }
    g_mutex_lock(&e->lock);
    tb_add_jump(from, n, to);
    g_mutex_unlock(&e->lock);
}
