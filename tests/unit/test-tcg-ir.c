/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcg: the interpreter is the reference for the optimiser and the x86-64
 * code generator.  Hand-built blocks and random IR programs (every op,
 * both widths, globals of both sizes, tb and ebb temps, forward and
 * backward branches, helpers with each side-effect class, host and guest
 * memory including TLB misses, MMIO and page-crossing accesses) run four
 * ways -- interpreted as built, interpreted after optimisation, compiled
 * without and with optimisation -- and must leave identical state.
 */
#include <glib.h>
#include <setjmp.h>
#include <string.h>
#include <sys/mman.h>

#include "tcg/codegen.h"
#include "tcg/cpu.h"
#include "tcg/exec.h"
#include "tcg/interp.h"
#include "tcg/tcg.h"

#define RAM_SIZE 0x10000u
#define MMIO_BASE 0x10000u
#define MMIO_SIZE 0x1000u
#define NB_G64 4
#define NB_SCRATCH 48

typedef struct TestEnv {
    TCGCPU cpu;                 /* must be first: env == &cpu */
    uint64_t g[NB_G64];
    uint32_t g32;
    uint32_t pad;
    uint64_t scratch[NB_SCRATCH];
    uint64_t mmio_acc;
    uint8_t *ram;
} TestEnv;

/* ---- fake target: identity mapping, RAM below 64 KiB, one MMIO page ---- */

static bool test_tlb_fill(TCGCPU *cpu, uint64_t vaddr, int access, int mmu_idx, bool probe, uintptr_t ra,
                          uint64_t *phys, int *prot)
{
    *phys = vaddr & TCG_PAGE_MASK;
    *prot = 7;
    return true;
}

static void *test_phys_host_page(TCGCPU *cpu, uint64_t page, bool *writable)
{
    TestEnv *env = (TestEnv *)cpu;
    *writable = true;
    if (page < RAM_SIZE) {
        return env->ram + page;
    }
    return NULL;
}

static uint64_t test_io_read(TCGCPU *cpu, uint64_t phys, unsigned size)
{
    uint64_t v = phys * 0x9e3779b97f4a7c15ull;
    return size == 8 ? v : v & ((1ull << (8 * size)) - 1);
}

static void test_io_write(TCGCPU *cpu, uint64_t phys, unsigned size, uint64_t val)
{
    TestEnv *env = (TestEnv *)cpu;
    env->mmio_acc = env->mmio_acc * 31 + phys * 7 + size + val;
}

static int test_mmu_index(TCGCPU *cpu, bool code)
{
    return 0;
}

/* A trapcond that fired: back to run_one with its code. */
#define TRAP_RESULT 0x7700000000000000ull
static sigjmp_buf trap_jb;
static uint64_t trap_code;
static unsigned traps_fired;        /* by generated code */

static void test_trap(TCGCPU *cpu, uint64_t code, uintptr_t ra)
{
    trap_code = code;
    g_assert_cmpuint(ra, !=, 0);
    siglongjmp(trap_jb, 1);
}

static const TCGTargetOps test_ops = {
    .trap = test_trap,
    .mmu_index = test_mmu_index,
    .tlb_fill = test_tlb_fill,
    .phys_host_page = test_phys_host_page,
    .io_read = test_io_read,
    .io_write = test_io_write,
};

static TestEnv *env_new(void)
{
    TestEnv *env = g_malloc0(sizeof(TestEnv));
    env->ram = g_malloc0(RAM_SIZE);
    env->cpu.ops = &test_ops;
    tlb_flush(&env->cpu);
    return env;
}

static void env_free(TestEnv *env)
{
    g_free(env->ram);
    g_free(env);
}

static void env_seed(TestEnv *env, GRand *r)
{
    for (int i = 0; i < NB_G64; i++) {
        env->g[i] = ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
    }
    env->g32 = g_rand_int(r);
    for (int i = 0; i < NB_SCRATCH; i++) {
        env->scratch[i] = ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
    }
    for (unsigned i = 0; i < RAM_SIZE; i += 4) {
        uint32_t v = g_rand_int(r);
        memcpy(env->ram + i, &v, 4);
    }
}

static void env_copy(TestEnv *dst, const TestEnv *src)
{
    memcpy(dst->g, src->g, sizeof(dst->g));
    dst->g32 = src->g32;
    memcpy(dst->scratch, src->scratch, sizeof(dst->scratch));
    dst->mmio_acc = src->mmio_acc;
    memcpy(dst->ram, src->ram, RAM_SIZE);
    tlb_flush(&dst->cpu);
}

static bool env_equal(const TestEnv *a, const TestEnv *b, GString *why)
{
    bool ok = true;
    for (int i = 0; i < NB_G64; i++) {
        if (a->g[i] != b->g[i]) {
            g_string_append_printf(why, " g%d %016llx != %016llx", i, (unsigned long long)a->g[i],
                                   (unsigned long long)b->g[i]);
            ok = false;
        }
    }
    if (a->g32 != b->g32) {
        g_string_append_printf(why, " g32 %08x != %08x", a->g32, b->g32);
        ok = false;
    }
    for (int i = 0; i < NB_SCRATCH; i++) {
        if (a->scratch[i] != b->scratch[i]) {
            g_string_append_printf(why, " scratch[%d] %016llx != %016llx", i, (unsigned long long)a->scratch[i],
                                   (unsigned long long)b->scratch[i]);
            ok = false;
        }
    }
    if (a->mmio_acc != b->mmio_acc) {
        g_string_append_printf(why, " mmio_acc differs");
        ok = false;
    }
    if (memcmp(a->ram, b->ram, RAM_SIZE)) {
        for (unsigned i = 0; i < RAM_SIZE; i++) {
            if (a->ram[i] != b->ram[i]) {
                g_string_append_printf(why, " ram[0x%x] %02x != %02x", i, a->ram[i], b->ram[i]);
                break;
            }
        }
        ok = false;
    }
    return ok;
}

/* ---- helpers called from IR ---- */

static uint64_t helper_pure(uint64_t a, uint64_t b)
{
    return a * 3 + (b ^ 0x5555);
}

static uint64_t helper_rw(TestEnv *env, uint64_t a)
{
    uint64_t g0 = env->g[0];
    env->g[3] = a ^ g0;
    return g0 + a;
}

static void helper_void(TestEnv *env, uint64_t a, uint64_t b)
{
    env->scratch[NB_SCRATCH - 1] += a * 5 + b;
}

static uint32_t helper_i32(uint32_t a, uint32_t b)
{
    return a * 7 - b;
}

static uint64_t helper_six(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}

static const TCGHelperInfo info_pure = TCG_HELPER_INFO(helper_pure, TCG_CALL_PURE, TCG_CALL_I64, 2,
                                                       TCG_CALL_I64, TCG_CALL_I64);
static const TCGHelperInfo info_rw = TCG_HELPER_INFO(helper_rw, 0, TCG_CALL_I64, 2, TCG_CALL_I64, TCG_CALL_I64);
static const TCGHelperInfo info_void = TCG_HELPER_INFO(helper_void, TCG_CALL_NO_RWG, TCG_CALL_VOID, 3,
                                                       TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I64);
static const TCGHelperInfo info_i32 = TCG_HELPER_INFO(helper_i32, TCG_CALL_PURE, TCG_CALL_I32, 2,
                                                      TCG_CALL_I32, TCG_CALL_I32);
static const TCGHelperInfo info_six = TCG_HELPER_INFO(helper_six, TCG_CALL_PURE, TCG_CALL_I64, 6,
                                                      TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I64,
                                                      TCG_CALL_I64, TCG_CALL_I64);

/* ---- the four ways of running ---- */

typedef struct Runner {
    uint8_t *buf;
    size_t size;
    TCGBackend be;
} Runner;

static Runner *runner(void)
{
    static Runner r;
    if (!r.buf) {
        r.size = 4 << 20;
        r.buf = mmap(NULL, r.size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        g_assert(r.buf != MAP_FAILED);
        g_assert(tcg_backend_init(&r.be, r.buf, r.size));
    }
    return &r;
}

static uint64_t interp_ld(void *env, uint64_t addr, TCGMemOpIdx oi, int insn)
{
    return tcg_guest_ld(env, addr, get_memop(oi), (int)get_mmuidx(oi), 0);
}

static void interp_st(void *env, uint64_t addr, uint64_t val, TCGMemOpIdx oi, int insn)
{
    tcg_guest_st(env, addr, val, get_memop(oi), (int)get_mmuidx(oi), 0);
}

static const TCGInterpHooks hooks = { interp_ld, interp_st };

typedef void (*BuildFn)(TCGContext *s, void *opaque);

typedef struct Globals {
    TCGv g[NB_G64], g32;
} Globals;

static TCGContext *make_ctx(Globals *gl)
{
    TCGContext *s = tcg_ctx_new();
    for (int i = 0; i < NB_G64; i++) {
        char *name = g_strdup_printf("g%d", i);
        gl->g[i] = tcg_global_mem_new(s, TCG_I64, (int32_t)offsetof(TestEnv, g[i]), name);
    }
    gl->g32 = tcg_global_mem_new(s, TCG_I32, (int32_t)offsetof(TestEnv, g32), "g32");
    return s;
}

static void free_ctx(TCGContext *s)
{
    for (int i = 1; i <= NB_G64; i++) {
        g_free((char *)s->temps[i].name);
    }
    tcg_ctx_free(s);
}

enum { RUN_INTERP, RUN_INTERP_OPT, RUN_JIT, RUN_JIT_OPT };

static uint64_t run_one(int how, void (*build)(TCGContext *, Globals *, void *), void *opaque, TestEnv *env,
                        GString *dump)
{
    Globals gl;
    TCGContext *s = make_ctx(&gl);
    uint64_t result = 0;

    build(s, &gl, opaque);
    if (how == RUN_INTERP_OPT || how == RUN_JIT_OPT) {
        tcg_optimize(s);
    }
    if (how == RUN_JIT || how == RUN_JIT_OPT || how == RUN_INTERP_OPT) {
        tcg_liveness(s);
    }
    if (dump) {
        tcg_dump_ops(s, dump);
    }
    if (how == RUN_INTERP || how == RUN_INTERP_OPT) {
        TCGInterpExit x = tcg_interp(s, env, &hooks, &result);
        if (x == TCG_INTERP_TRAP) {
            result |= TRAP_RESULT;
        } else {
            g_assert_cmpint(x, ==, TCG_INTERP_EXIT_TB);
        }
    } else {
        Runner *r = runner();
        TCGCodeOut out;
        uint8_t *code = r->buf + r->be.size;
        int rc = tcg_gen_code(s, &r->be, code, r->size - r->be.size, &out);
        g_assert_cmpint(rc, ==, TCG_GEN_OK);
        if (dump) {
            tcg_disas_host(dump, code, out.size);
        }
        if (sigsetjmp(trap_jb, 0) == 0) {
            result = tcg_exec_code(&r->be, env, code);
        } else {
            result = TRAP_RESULT | trap_code;
            traps_fired++;
        }
        tcg_code_out_free(&out);
    }
    free_ctx(s);
    return result;
}

/* Run a builder all four ways from the same initial state; fail with dumps on any difference. */
static void check_all_ways(void (*build)(TCGContext *, Globals *, void *), void *opaque, uint32_t seed)
{
    GRand *r = g_rand_new_with_seed(seed);
    TestEnv *init = env_new(), *ref = env_new();
    env_seed(init, r);
    env_copy(ref, init);
    uint64_t ref_result = run_one(RUN_INTERP, build, opaque, ref, NULL);

    for (int how = RUN_INTERP_OPT; how <= RUN_JIT_OPT; how++) {
        TestEnv *env = env_new();
        GString *why = g_string_new(NULL);
        env_copy(env, init);
        uint64_t res = run_one(how, build, opaque, env, NULL);
        bool ok = env_equal(ref, env, why) && res == ref_result;
        if (!ok) {
            GString *dump = g_string_new(NULL);
            TestEnv *again = env_new();
            env_copy(again, init);
            run_one(how, build, opaque, again, dump);
            g_printerr("seed %u, way %d differs:%s (result %llx vs %llx)\n%s\n", seed, how, why->str,
                       (unsigned long long)res, (unsigned long long)ref_result, dump->str);
            GString *d0 = g_string_new(NULL);
            env_copy(again, init);
            run_one(RUN_INTERP, build, opaque, again, d0);
            g_printerr("reference IR:\n%s\n", d0->str);
            g_string_free(d0, true);
            g_string_free(dump, true);
            env_free(again);
        }
        g_assert_true(ok);
        g_string_free(why, true);
        env_free(env);
    }
    env_free(init);
    env_free(ref);
    g_rand_free(r);
}

/* ---- hand-built blocks ---- */

static void build_basic(TCGContext *s, Globals *gl, void *opaque)
{
    TCGv t = tcg_temp_new(s), u = tcg_temp_new(s);
    tcg_gen_add(s, TCG_I64, t, gl->g[0], gl->g[1]);
    tcg_gen_xori(s, TCG_I32, u, t, 0x80000001);
    tcg_gen_shli(s, TCG_I64, gl->g[2], u, 3);
    tcg_gen_sub(s, TCG_I32, gl->g32, gl->g32, gl->g[0]);
    tcg_gen_mulu2(s, TCG_I64, gl->g[0], gl->g[1], gl->g[1], gl->g[3]);
    tcg_gen_exit_tb(s, 0x1234);
}

static void test_basic(void)
{
    check_all_ways(build_basic, NULL, 1);
}

/* A backward loop: g0 = sum of 1..g1&15 using a tb temp counter. */
static void build_loop(TCGContext *s, Globals *gl, void *opaque)
{
    TCGv n = tcg_temp_local_new(s), acc = tcg_temp_local_new(s);
    int top = tcg_label_new(s), done = tcg_label_new(s);
    tcg_gen_andi(s, TCG_I64, n, gl->g[1], 15);
    tcg_gen_movi(s, TCG_I64, acc, 0);
    tcg_gen_set_label(s, top);
    tcg_gen_brcondi(s, TCG_I64, TCG_COND_EQ, n, 0, done);
    tcg_gen_add(s, TCG_I64, acc, acc, n);
    tcg_gen_subi(s, TCG_I64, n, n, 1);
    tcg_gen_br(s, top);
    tcg_gen_set_label(s, done);
    tcg_gen_mov(s, TCG_I64, gl->g[0], acc);
    tcg_gen_exit_tb(s, 7);
}

static void test_loop(void)
{
    for (uint32_t seed = 0; seed < 8; seed++) {
        check_all_ways(build_loop, NULL, seed);
    }
}

/* Guest memory: misses, hits, MMIO and a page-crossing access, both widths and signs. */
static void build_guest_mem(TCGContext *s, Globals *gl, void *opaque)
{
    TCGv a = tcg_temp_new(s), v = tcg_temp_new(s), w = tcg_temp_new(s);
    static const TCGMemOp ops[] = { MO_8, MO_SB, MO_16, MO_SW, MO_32, MO_SL, MO_64 };

    tcg_gen_andi(s, TCG_I64, a, gl->g[0], 0xfff8);
    for (size_t i = 0; i < G_N_ELEMENTS(ops); i++) {
        tcg_gen_guest_ld(s, v, a, make_memop_idx(ops[i], 0));
        tcg_gen_st(s, INDEX_op_st64, v, s->env, (int32_t)offsetof(TestEnv, scratch[i]));
    }
    tcg_gen_guest_st(s, gl->g[1], a, make_memop_idx(MO_64, 0));
    tcg_gen_guest_st(s, gl->g[2], a, make_memop_idx(MO_16, 0));
    tcg_gen_guest_ld(s, w, a, make_memop_idx(MO_64, 0));
    tcg_gen_mov(s, TCG_I64, gl->g[3], w);
    /* Crossing from 0x0ffd into 0x1000. */
    tcg_gen_movi(s, TCG_I64, a, 0x0ffd);
    tcg_gen_guest_st(s, gl->g[1], a, make_memop_idx(MO_64, 0));
    tcg_gen_guest_ld(s, v, a, make_memop_idx(MO_SL, 0));
    tcg_gen_st(s, INDEX_op_st64, v, s->env, (int32_t)offsetof(TestEnv, scratch[10]));
    /* MMIO. */
    tcg_gen_movi(s, TCG_I64, a, MMIO_BASE + 0x10);
    tcg_gen_guest_ld(s, v, a, make_memop_idx(MO_32, 0));
    tcg_gen_st(s, INDEX_op_st64, v, s->env, (int32_t)offsetof(TestEnv, scratch[11]));
    tcg_gen_guest_st(s, gl->g[0], a, make_memop_idx(MO_16, 0));
    tcg_gen_guest_st(s, tcg_const(s, 0x1122334455667788ull), a, make_memop_idx(MO_64, 0));
    tcg_gen_exit_tb(s, 0);
}

static void test_guest_mem(void)
{
    for (uint32_t seed = 0; seed < 8; seed++) {
        check_all_ways(build_guest_mem, NULL, seed);
    }
}

/* Helpers of each kind, including six arguments and argument registers shuffled. */
static void build_helpers(TCGContext *s, Globals *gl, void *opaque)
{
    TCGv r = tcg_temp_new(s), q = tcg_temp_new(s);
    tcg_gen_callN(s, &info_pure, r, gl->g[1], gl->g[0]);
    tcg_gen_callN(s, &info_rw, q, s->env, r);
    tcg_gen_callN(s, &info_void, -1, s->env, q, gl->g[2]);
    tcg_gen_callN(s, &info_i32, gl->g32, gl->g[2], gl->g32);
    tcg_gen_callN(s, &info_six, gl->g[2], gl->g[3], gl->g[2], gl->g[1], gl->g[0], r, q);
    tcg_gen_add(s, TCG_I64, gl->g[1], q, r);
    tcg_gen_exit_tb(s, 0);
}

static void test_helpers(void)
{
    check_all_ways(build_helpers, NULL, 3);
}

/* ---- random programs ---- */

typedef struct RandProg {
    uint32_t seed;
    int length;
} RandProg;

#define NB_EBB 6
#define NB_LOC 3

typedef struct Gen {
    TCGContext *s;
    Globals *gl;
    GRand *r;
    TCGv ebb[NB_EBB], loc[NB_LOC];
} Gen;

static uint64_t rnd64(Gen *g)
{
    switch (g_rand_int_range(g->r, 0, 6)) {
    case 0: return (uint64_t)g_rand_int_range(g->r, -4, 5);
    case 1: return g_rand_int(g->r);
    case 2: return (uint64_t)(int64_t)(int32_t)g_rand_int(g->r);
    case 3: return 1ull << g_rand_int_range(g->r, 0, 64);
    case 4: return 0xffffffffull;
    default: return ((uint64_t)g_rand_int(g->r) << 32) | g_rand_int(g->r);
    }
}

/* Any readable value: global, temp or constant. */
static TCGv pick_src(Gen *g)
{
    switch (g_rand_int_range(g->r, 0, 7)) {
    case 0: case 1: return g->gl->g[g_rand_int_range(g->r, 0, NB_G64)];
    case 2: return g->gl->g32;
    case 3: return g->loc[g_rand_int_range(g->r, 0, NB_LOC)];
    case 4: return tcg_const(g->s, rnd64(g));
    default: return g->ebb[g_rand_int_range(g->r, 0, NB_EBB)];
    }
}

/* A writable destination; the 32-bit global only takes 32-bit results. */
static TCGv pick_dst(Gen *g, TCGType t)
{
    switch (g_rand_int_range(g->r, 0, 6)) {
    case 0: return g->gl->g[g_rand_int_range(g->r, 0, NB_G64)];
    case 1: return t == TCG_I32 ? g->gl->g32 : g->gl->g[g_rand_int_range(g->r, 0, NB_G64)];
    case 2: return g->loc[g_rand_int_range(g->r, 0, NB_LOC)];
    default: return g->ebb[g_rand_int_range(g->r, 0, NB_EBB)];
    }
}

static void define_ebbs(Gen *g)
{
    for (int i = 0; i < NB_EBB; i++) {
        g->ebb[i] = tcg_temp_new(g->s);
        tcg_gen_mov(g->s, TCG_I64, g->ebb[i], (i & 1) ? g->gl->g[i % NB_G64] : tcg_const(g->s, rnd64(g)));
    }
}

static TCGCond rnd_cond(Gen *g)
{
    return (TCGCond)g_rand_int_range(g->r, TCG_COND_EQ, TCG_COND_TSTNE + 1);
}

static void gen_random_op(Gen *g)
{
    TCGContext *s = g->s;
    TCGType t = g_rand_boolean(g->r) ? TCG_I64 : TCG_I32;
    int kind = g_rand_int_range(g->r, 0, 30);
    static const TCGOpcode bin[] = {
        INDEX_op_add, INDEX_op_sub, INDEX_op_mul, INDEX_op_and, INDEX_op_or, INDEX_op_xor, INDEX_op_andc,
        INDEX_op_shl, INDEX_op_shr, INDEX_op_sar, INDEX_op_rotl, INDEX_op_rotr, INDEX_op_clz, INDEX_op_ctz,
    };
    static const TCGOpcode un[] = {
        INDEX_op_neg, INDEX_op_not, INDEX_op_ext8s, INDEX_op_ext8u, INDEX_op_ext16s, INDEX_op_ext16u,
        INDEX_op_bswap16, INDEX_op_bswap32, INDEX_op_ctpop, INDEX_op_mov,
    };

    switch (kind) {
    case 0 ... 9: {
        TCGOpcode opc = bin[g_rand_int_range(g->r, 0, G_N_ELEMENTS(bin))];
        TCGv a = pick_src(g), b = pick_src(g);
        if (g_rand_int_range(g->r, 0, 4) == 0) {
            b = a;
        }
        tcg_gen_op3(s, opc, t, pick_dst(g, t), a, b);
        break;
    }
    case 10 ... 12: {
        TCGOpcode opc = un[g_rand_int_range(g->r, 0, G_N_ELEMENTS(un))];
        tcg_gen_op2(s, opc, t, pick_dst(g, t), pick_src(g));
        break;
    }
    case 13: {
        static const TCGOpcode w64[] = { INDEX_op_ext32s, INDEX_op_ext32u, INDEX_op_bswap64 };
        tcg_gen_op2(s, w64[g_rand_int_range(g->r, 0, 3)], TCG_I64, pick_dst(g, TCG_I64), pick_src(g));
        break;
    }
    case 14:
        tcg_gen_op4(s, g_rand_boolean(g->r) ? INDEX_op_setcond : INDEX_op_negsetcond, t, pick_dst(g, t),
                    pick_src(g), pick_src(g), rnd_cond(g));
        break;
    case 15:
        tcg_gen_movcond(s, t, rnd_cond(g), pick_dst(g, t), pick_src(g), pick_src(g), pick_src(g), pick_src(g));
        break;
    case 16: {
        unsigned width = t == TCG_I32 ? 32 : 64;
        unsigned len = (unsigned)g_rand_int_range(g->r, 1, (int)width + 1);
        unsigned pos = (unsigned)g_rand_int_range(g->r, 0, (int)(width - len) + 1);
        if (g_rand_boolean(g->r)) {
            static const unsigned common[][2] = { { 0, 8 }, { 8, 8 }, { 0, 16 }, { 0, 32 } };
            int c = g_rand_int_range(g->r, 0, t == TCG_I32 ? 3 : 4);
            pos = common[c][0];
            len = common[c][1];
        }
        switch (g_rand_int_range(g->r, 0, 3)) {
        case 0: {
            TCGv d = pick_dst(g, t);
            TCGv a = g_rand_boolean(g->r) ? d : pick_src(g);
            tcg_gen_deposit(s, t, d, a, pick_src(g), pos, len);
            break;
        }
        case 1: tcg_gen_extract(s, t, pick_dst(g, t), pick_src(g), pos, len); break;
        default: tcg_gen_sextract(s, t, pick_dst(g, t), pick_src(g), pos, len); break;
        }
        break;
    }
    case 17: {
        TCGv lo = pick_dst(g, t), hi = pick_dst(g, t);
        if (lo == hi) {
            hi = g->ebb[0] == lo ? g->ebb[1] : g->ebb[0];
        }
        if (g_rand_boolean(g->r)) {
            tcg_gen_op4(s, g_rand_boolean(g->r) ? INDEX_op_mulu2 : INDEX_op_muls2, t, lo, hi, pick_src(g),
                        pick_src(g));
        } else {
            tcg_gen_op6(s, g_rand_boolean(g->r) ? INDEX_op_add2 : INDEX_op_sub2, t, lo, hi, pick_src(g),
                        pick_src(g), pick_src(g), pick_src(g));
        }
        break;
    }
    case 18: {
        static const TCGOpcode lds[] = { INDEX_op_ld8u, INDEX_op_ld8s, INDEX_op_ld16u, INDEX_op_ld16s,
                                         INDEX_op_ld32u, INDEX_op_ld32s, INDEX_op_ld64 };
        int slot = g_rand_int_range(g->r, 0, NB_SCRATCH - 1);
        int32_t off = (int32_t)offsetof(TestEnv, scratch[slot]) + g_rand_int_range(g->r, 0, 8) * 0;
        TCGOpcode opc = lds[g_rand_int_range(g->r, 0, G_N_ELEMENTS(lds))];
        tcg_gen_op3(s, opc, opc == INDEX_op_ld64 ? TCG_I64 : t, pick_dst(g, opc == INDEX_op_ld64 ? TCG_I64 : t),
                    s->env, (uint64_t)(int64_t)off);
        break;
    }
    case 19: {
        static const TCGOpcode sts[] = { INDEX_op_st8, INDEX_op_st16, INDEX_op_st32, INDEX_op_st64 };
        int slot = g_rand_int_range(g->r, 0, NB_SCRATCH - 1);
        tcg_gen_st(s, sts[g_rand_int_range(g->r, 0, 4)], pick_src(g), s->env,
                   (int32_t)offsetof(TestEnv, scratch[slot]) + g_rand_int_range(g->r, 0, 4));
        break;
    }
    case 20 ... 21: {
        /* Guest memory: mostly RAM, sometimes MMIO, sometimes crossing a page. */
        TCGv a = tcg_temp_new(s);
        int where = g_rand_int_range(g->r, 0, 8);
        TCGMemOp mop = (TCGMemOp)g_rand_int_range(g->r, 0, 4);
        if (mop != MO_64 && g_rand_boolean(g->r)) {
            mop |= MO_SIGN;
        }
        if (where == 0) {
            tcg_gen_andi(s, TCG_I64, a, pick_src(g), 0xff8);
            tcg_gen_addi(s, TCG_I64, a, a, MMIO_BASE);
        } else if (where == 1) {
            tcg_gen_andi(s, TCG_I64, a, pick_src(g), 7);
            tcg_gen_addi(s, TCG_I64, a, a, 0x1ffa);
        } else {
            tcg_gen_andi(s, TCG_I64, a, pick_src(g), RAM_SIZE - 8);
        }
        if (g_rand_boolean(g->r)) {
            TCGType lt = (mop & MO_SIZE) == MO_64 ? TCG_I64 : t;
            TCGv d = pick_dst(g, lt);
            TCGOp *op = tcg_emit_op(s, INDEX_op_guest_ld, lt);
            op->args[0] = d;
            op->args[1] = a;
            op->args[2] = make_memop_idx(mop, 0);
        } else {
            tcg_gen_guest_st(s, pick_src(g), a, make_memop_idx(mop & MO_SIZE, 0));
        }
        break;
    }
    case 22: {
        int which = g_rand_int_range(g->r, 0, 5);
        switch (which) {
        case 0: tcg_gen_callN(s, &info_pure, pick_dst(g, TCG_I64), pick_src(g), pick_src(g)); break;
        case 1: tcg_gen_callN(s, &info_rw, pick_dst(g, TCG_I64), s->env, pick_src(g)); break;
        case 2: tcg_gen_callN(s, &info_void, -1, s->env, pick_src(g), pick_src(g)); break;
        case 3: tcg_gen_callN(s, &info_i32, pick_dst(g, TCG_I32), pick_src(g), pick_src(g)); break;
        default:
            tcg_gen_callN(s, &info_six, pick_dst(g, TCG_I64), pick_src(g), pick_src(g), pick_src(g),
                          pick_src(g), pick_src(g), pick_src(g));
            break;
        }
        break;
    }
    case 23: {
        /* A forward branch over a few ops; ebb temps are redefined after the label. */
        int l = tcg_label_new(s);
        tcg_gen_brcond(s, t, rnd_cond(g), pick_src(g), pick_src(g), l);
        int n = g_rand_int_range(g->r, 0, 4);
        for (int i = 0; i < n; i++) {
            TCGv d = pick_dst(g, t);
            tcg_gen_op3(s, bin[g_rand_int_range(g->r, 0, 7)], t, d, pick_src(g), pick_src(g));
        }
        tcg_gen_set_label(s, l);
        define_ebbs(g);
        break;
    }
    case 25:
        /* A guard: mostly one that seldom fires, as bounds checks are. */
        if (g_rand_int_range(g->r, 0, 4) == 0) {
            tcg_gen_trapcond(s, t, rnd_cond(g), pick_src(g), pick_src(g), g_rand_int(g->r));
        } else {
            bool eq = g_rand_boolean(g->r);
            uint64_t lim = eq ? rnd64(g) : ~(uint64_t)g_rand_int_range(g->r, 0, 4096);
            tcg_gen_trapcond(s, t, eq ? TCG_COND_EQ : TCG_COND_GTU, pick_src(g), tcg_const(s, lim),
                             g_rand_int(g->r));
        }
        break;
    case 24:
        tcg_gen_discard(s, g->ebb[g_rand_int_range(g->r, 0, NB_EBB)]);
        /* Redefine so later reads stay defined. */
        define_ebbs(g);
        break;
    default: {
        /* Plain copies and immediates make copy propagation and constant folding work hard. */
        TCGv d = pick_dst(g, t);
        if (g_rand_boolean(g->r)) {
            tcg_gen_movi(s, t, d, rnd64(g));
        } else {
            tcg_gen_mov(s, t, d, pick_src(g));
        }
        break;
    }
    }
}

static void build_random(TCGContext *s, Globals *gl, void *opaque)
{
    const RandProg *p = opaque;
    Gen g = { .s = s, .gl = gl, .r = g_rand_new_with_seed(p->seed) };

    for (int i = 0; i < NB_LOC; i++) {
        g.loc[i] = tcg_temp_local_new(s);
        tcg_gen_mov(s, TCG_I64, g.loc[i], gl->g[i]);
    }
    define_ebbs(&g);
    for (int i = 0; i < p->length; i++) {
        gen_random_op(&g);
    }
    /* Make every temp observable. */
    for (int i = 0; i < NB_EBB; i++) {
        tcg_gen_st(s, INDEX_op_st64, g.ebb[i], s->env, (int32_t)offsetof(TestEnv, scratch[NB_SCRATCH - 2 - i]));
    }
    for (int i = 0; i < NB_LOC; i++) {
        tcg_gen_st(s, INDEX_op_st64, g.loc[i], s->env,
                   (int32_t)offsetof(TestEnv, scratch[NB_SCRATCH - 2 - NB_EBB - i]));
    }
    tcg_gen_exit_tb(s, 0x40);
    g_rand_free(g.r);
}

static void test_random(gconstpointer data)
{
    int n = GPOINTER_TO_INT(data);
    for (int i = 0; i < n; i++) {
        RandProg p = { .seed = 1000u + (uint32_t)i, .length = 10 + (i % 90) };
        if (g_getenv("TCG_TEST_VERBOSE")) {
            g_printerr("random program seed %u length %d\n", p.seed, p.length);
        }
        check_all_ways(build_random, &p, p.seed);
    }
    /* Some guards fired (and left the same state as the interpreter's). */
    g_assert_cmpuint(traps_fired, >, 0);
    g_test_message("%u generated-code runs ended in a trap", traps_fired);
}

/* Constant folding really folds: a chain of constant ops leaves one move. */
static void build_folding(TCGContext *s, Globals *gl, void *opaque)
{
    TCGv a = tcg_temp_new(s), b = tcg_temp_new(s);
    tcg_gen_movi(s, TCG_I64, a, 5);
    tcg_gen_muli(s, TCG_I64, b, a, 7);
    tcg_gen_xori(s, TCG_I32, b, b, 0xffffffff);
    tcg_gen_shli(s, TCG_I64, a, b, 4);
    tcg_gen_mov(s, TCG_I64, gl->g[0], a);
    tcg_gen_exit_tb(s, 0);
}

static void test_folding(void)
{
    Globals gl;
    TCGContext *s = make_ctx(&gl);
    build_folding(s, &gl, NULL);
    tcg_optimize(s);
    tcg_liveness(s);
    int live = 0;
    for (int i = 0; i < s->nb_ops; i++) {
        if (s->ops[i].opc != INDEX_op_nop) {
            live++;
        }
    }
    /* mov g0, $const; exit_tb */
    g_assert_cmpint(live, ==, 2);
    g_assert_cmpint(s->ops[4].opc, ==, INDEX_op_mov);
    g_assert_cmpuint(s->temps[s->ops[4].args[1]].val, ==, (uint64_t)(uint32_t)~35u << 4);
    free_ctx(s);
    check_all_ways(build_folding, NULL, 9);
}

/* Dead global writes (the lazy-flags pattern) disappear; the last one stays. */
static void test_dead_globals(void)
{
    Globals gl;
    TCGContext *s = make_ctx(&gl);
    tcg_gen_add(s, TCG_I64, gl.g[2], gl.g[0], gl.g[1]);     /* dead: overwritten below */
    tcg_gen_sub(s, TCG_I64, gl.g[2], gl.g[0], gl.g[1]);
    tcg_gen_exit_tb(s, 0);
    tcg_optimize(s);
    tcg_liveness(s);
    g_assert_cmpint(s->ops[0].opc, ==, INDEX_op_nop);
    g_assert_cmpint(s->ops[1].opc, ==, INDEX_op_sub);
    free_ctx(s);

    /* A guest memory access in between keeps it: an exception must see it. */
    s = make_ctx(&gl);
    tcg_gen_add(s, TCG_I64, gl.g[2], gl.g[0], gl.g[1]);
    tcg_gen_guest_ld(s, gl.g[3], gl.g[0], make_memop_idx(MO_32, 0));
    tcg_gen_sub(s, TCG_I64, gl.g[2], gl.g[0], gl.g[1]);
    tcg_gen_exit_tb(s, 0);
    tcg_optimize(s);
    tcg_liveness(s);
    g_assert_cmpint(s->ops[0].opc, ==, INDEX_op_add);
    free_ctx(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tcg/ir/basic", test_basic);
    g_test_add_func("/tcg/ir/loop", test_loop);
    g_test_add_func("/tcg/ir/guest-mem", test_guest_mem);
    g_test_add_func("/tcg/ir/helpers", test_helpers);
    g_test_add_func("/tcg/ir/folding", test_folding);
    g_test_add_func("/tcg/ir/dead-globals", test_dead_globals);
    g_test_add_data_func("/tcg/ir/random", GINT_TO_POINTER(g_test_slow() ? 20000 : 3000), test_random);
    return g_test_run();
}
