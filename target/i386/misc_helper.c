/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * System helpers: port IO with the IOPL / TSS I/O-bitmap check (SDM vol. 1,
 * 19.5), the REP string instructions, CPUID, MSRs, the TSC, control and
 * debug registers, INVLPG, LGDT/LIDT and the bits of x87/SSE state the
 * firmware touches.
 */
#include <string.h>

#include "hw/core/log.h"
#include "target/i386/helper.h"
#include "target/i386/seg.h"

static inline int cpl_of(CPUX86State *env)
{
    return (int)(env->hflags & HF_CPL_MASK);
}

/* ---- alignment check (#AC) ---- */

void helper_check_align(CPUX86State *env, uint64_t addr, uint32_t mask)
{
    uintptr_t ra = GETPC();
    if (addr & mask) {
        x86_raise_exception_err_ra(env, EXCP11_ALGN, 0, ra);
    }
}

/* ---- port IO ---- */

void helper_check_io(CPUX86State *env, uint32_t port, uint32_t size)
{
    uintptr_t ra = GETPC();
    int type = (env->tr.flags >> DESC_TYPE_SHIFT) & 0xf;

    /* Only a 32-bit TSS has a bitmap; its offset is at 0x66 (SDM 8.2.1). */
    if (!(env->tr.flags & DESC_P_MASK) || (type & 0xd) != 9 || env->tr.limit < 103) {
        goto fail;
    }
    uint32_t iomap = (uint32_t)x86_ld_kernel(env, env->tr.base + 0x66, MO_16, ra);
    uint32_t byte = iomap + (port >> 3);
    if (byte + 1 > env->tr.limit) {
        goto fail;
    }
    uint32_t bits = (uint32_t)x86_ld_kernel(env, env->tr.base + byte, MO_16, ra);
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask) {
        goto fail;
    }
    return;
fail:
    x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
}

static uint32_t io_in(CPUX86State *env, uint32_t port, uint32_t size)
{
    if (!env->accel) {
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }
    return (uint32_t)env->accel->ops->io_read(env->accel->opaque, (uint16_t)port, size);
}

static void io_out(CPUX86State *env, uint32_t port, uint32_t size, uint32_t val)
{
    if (env->accel) {
        env->accel->ops->io_write(env->accel->opaque, (uint16_t)port, size, val);
    }
}

uint32_t helper_in(CPUX86State *env, uint32_t port, uint32_t size)
{
    return io_in(env, port & 0xffff, size);
}

void helper_out(CPUX86State *env, uint32_t port, uint32_t size, uint32_t val)
{
    io_out(env, port & 0xffff, size, val);
}

/* ---- REP string instructions ---- */

typedef struct StrCtx {
    CPUX86State *env;
    int ot, size;
    uint64_t amask;
    int seg;                 /* source segment (destination is always ES) */
    int mmu_idx;
    uintptr_t ra;
} StrCtx;

/* Is the element at offset off inside segment seg's limit (see CPUX86State.seg_lim_lo)? */
static bool str_in_limit(StrCtx *c, int seg, uint64_t off)
{
    CPUX86State *env = c->env;
    if (!(env->hflags & HF_SEG_LIMCHK(seg))) {
        /* Flat: outside only when wrapping past offset 0xffffffff (never in 64-bit mode). */
        return (env->hflags & HF_CS64) || (off & c->amask) + (uint64_t)c->size - 1 <= 0xffffffffu;
    }
    uint64_t u = (off & c->amask) - env->seg_lim_lo[seg];
    return u <= env->seg_lim_span[seg] && u + (uint64_t)c->size - 1 <= env->seg_lim_span[seg];
}

/* How many elements from off in direction dir are inside the limit (the fast paths stop there). */
static uint64_t str_elems_in_limit(StrCtx *c, int seg, uint64_t off, int dir)
{
    CPUX86State *env = c->env;
    if (!(env->hflags & HF_SEG_LIMCHK(seg))) {
        /* Flat: the fast paths stay within a page, which never wraps past 4 GiB. */
        return UINT64_MAX;
    }
    if (!str_in_limit(c, seg, off)) {
        return 0;
    }
    off &= c->amask;
    uint64_t lo = env->seg_lim_lo[seg], hi = lo + env->seg_lim_span[seg];
    return dir > 0 ? (hi - (off + (uint64_t)c->size - 1)) / (uint64_t)c->size + 1
                   : (off - lo) / (uint64_t)c->size + 1;
}

/* The linear address of the element at off: #GP(0) (#SS(0) for SS) beyond the segment limit. */
static uint64_t seg_linear(StrCtx *c, int seg, uint64_t off)
{
    CPUX86State *env = c->env;
    if (!str_in_limit(c, seg, off)) {
        x86_raise_exception_err_ra(env, seg == R_SS ? EXCP0C_STACK : EXCP0D_GPF, 0, c->ra);
    }
    off &= c->amask;
    if (env->hflags & HF_CS64) {
        return (seg == R_FS || seg == R_GS) ? off + env->segs[seg].base : off;
    }
    return (uint32_t)(off + env->segs[seg].base);
}

static void set_areg(StrCtx *c, int reg, uint64_t v)
{
    CPUX86State *env = c->env;
    if (c->amask == 0xffff) {
        env->regs[reg] = (env->regs[reg] & ~0xffffull) | (v & 0xffff);
    } else if (c->amask == 0xffffffffu) {
        env->regs[reg] = (uint32_t)v;
    } else {
        env->regs[reg] = v;
    }
}

/* Elements before rSI/rDI wrap within the address size or leave the page. */
static uint64_t elems_in_page(StrCtx *c, uint64_t off, uint64_t lin, int dir)
{
    uint64_t room_page, room_wrap;
    if (dir > 0) {
        room_page = (TCG_PAGE_SIZE - (lin & ~TCG_PAGE_MASK)) / (uint64_t)c->size;
        room_wrap = ((c->amask - (off & c->amask)) + 1) / (uint64_t)c->size;
    } else {
        room_page = ((lin & ~TCG_PAGE_MASK) / (uint64_t)c->size) + 1;
        room_wrap = ((off & c->amask) / (uint64_t)c->size) + 1;
    }
    return room_page < room_wrap ? room_page : room_wrap;
}

/* Iterations per helper call: keeps interrupt latency bounded. */
#define STR_CHUNK_BYTES (64 * 1024)

static bool str_should_yield(StrCtx *c, uint64_t done_bytes)
{
    return done_bytes >= STR_CHUNK_BYTES || c->env->tcg.exit_request;
}

static void str_init(StrCtx *c, CPUX86State *env, uint32_t desc, uintptr_t ra)
{
    int aflag = STR_AFLAG(desc);
    c->env = env;
    c->ot = STR_OT(desc);
    c->size = 1 << c->ot;
    c->amask = aflag == MO_16 ? 0xffff : aflag == MO_32 ? 0xffffffffull : ~0ull;
    c->seg = STR_SEG(desc);
    c->mmu_idx = x86_cpu_mmu_index(env);
    c->ra = ra;
}

static void str_finish(CPUX86State *env, uint32_t desc)
{
    env->eip += STR_INSN_LEN(desc);
}

/*
 * The head of every REP loop.  Sets *count to the remaining count (rCX under
 * the address-size mask) and says whether to do one more step.  It stops
 * when the count is zero (the instruction is done: EIP moves past it) or when
 * this call has done its chunk or an exit is requested (EIP stays, so the
 * instruction resumes from rCX/rSI/rDI on the next entry).
 */
static bool str_next_iteration(StrCtx *c, uint32_t desc, uint64_t done_bytes, uint64_t *count)
{
    *count = c->env->regs[R_ECX] & c->amask;
    if (*count == 0) {
        str_finish(c->env, desc);
        return false;
    }
    return !str_should_yield(c, done_bytes);
}

void helper_rep_movs(CPUX86State *env, uint32_t desc)
{
    uintptr_t ra = GETPC();
    StrCtx c;
    uint64_t done = 0;
    str_init(&c, env, desc, ra);
    int dir = env->df;

    uint64_t count;
    while (str_next_iteration(&c, desc, done, &count)) {
        uint64_t si = env->regs[R_ESI], di = env->regs[R_EDI];
        uint64_t src = seg_linear(&c, c.seg, si), dst = seg_linear(&c, R_ES, di);
        /* Fast path: a run inside one page on both sides, forward, through host pointers. */
        if (dir > 0) {
            uint64_t n = count;
            uint64_t ns = elems_in_page(&c, si, src, 1), nd = elems_in_page(&c, di, dst, 1);
            uint64_t ls = str_elems_in_limit(&c, c.seg, si, 1), ld = str_elems_in_limit(&c, R_ES, di, 1);
            n = n < ns ? n : ns;
            n = n < nd ? n : nd;
            n = n < ls ? n : ls;
            n = n < ld ? n : ld;
            uint64_t bytes = n * (uint64_t)c.size;
            uint8_t *hs = tcg_guest_host_ptr(&env->tcg, src, bytes, false, c.mmu_idx, c.ra);
            uint8_t *hd = hs ? tcg_guest_host_ptr(&env->tcg, dst, bytes, true, c.mmu_idx, c.ra) : NULL;
            if (hs && hd) {
                if (hd > hs && hd < hs + bytes) {
                    /* Overlap with the destination ahead: element by element, as the CPU copies. */
                    for (uint64_t i = 0; i < bytes; i += (uint64_t)c.size) {
                        uint64_t el;
                        memcpy(&el, hs + i, (size_t)c.size);
                        memcpy(hd + i, &el, (size_t)c.size);
                    }
                } else {
                    memmove(hd, hs, bytes);
                }
                set_areg(&c, R_ESI, si + bytes);
                set_areg(&c, R_EDI, di + bytes);
                set_areg(&c, R_ECX, count - n);
                done += bytes;
                continue;
            }
        }
        uint64_t v = tcg_guest_ld(&env->tcg, src, (TCGMemOp)c.ot, c.mmu_idx, c.ra);
        tcg_guest_st(&env->tcg, dst, v, (TCGMemOp)c.ot, c.mmu_idx, c.ra);
        set_areg(&c, R_ESI, si + (uint64_t)(dir * c.size));
        set_areg(&c, R_EDI, di + (uint64_t)(dir * c.size));
        set_areg(&c, R_ECX, count - 1);
        done += (uint64_t)c.size;
    }
}

void helper_rep_stos(CPUX86State *env, uint32_t desc)
{
    uintptr_t ra = GETPC();
    StrCtx c;
    uint64_t done = 0;
    str_init(&c, env, desc, ra);
    int dir = env->df;
    uint64_t val = env->regs[R_EAX];

    uint64_t count;
    while (str_next_iteration(&c, desc, done, &count)) {
        uint64_t di = env->regs[R_EDI];
        uint64_t dst = seg_linear(&c, R_ES, di);
        if (dir > 0) {
            uint64_t n = count, nd = elems_in_page(&c, di, dst, 1), ld = str_elems_in_limit(&c, R_ES, di, 1);
            n = n < nd ? n : nd;
            n = n < ld ? n : ld;
            uint64_t bytes = n * (uint64_t)c.size;
            uint8_t *hd = tcg_guest_host_ptr(&env->tcg, dst, bytes, true, c.mmu_idx, c.ra);
            if (hd) {
                if (c.size == 1) {
                    memset(hd, (int)(val & 0xff), bytes);
                } else {
                    for (uint64_t i = 0; i < n; i++) {
                        memcpy(hd + i * (uint64_t)c.size, &val, (size_t)c.size);
                    }
                }
                set_areg(&c, R_EDI, di + bytes);
                set_areg(&c, R_ECX, count - n);
                done += bytes;
                continue;
            }
        }
        tcg_guest_st(&env->tcg, dst, val, (TCGMemOp)c.ot, c.mmu_idx, c.ra);
        set_areg(&c, R_EDI, di + (uint64_t)(dir * c.size));
        set_areg(&c, R_ECX, count - 1);
        done += (uint64_t)c.size;
    }
}

void helper_rep_lods(CPUX86State *env, uint32_t desc)
{
    uintptr_t ra = GETPC();
    StrCtx c;
    uint64_t done = 0;
    str_init(&c, env, desc, ra);
    int dir = env->df;

    uint64_t count;
    while (str_next_iteration(&c, desc, done, &count)) {
        uint64_t si = env->regs[R_ESI];
        uint64_t v = tcg_guest_ld(&env->tcg, seg_linear(&c, c.seg, si), (TCGMemOp)c.ot, c.mmu_idx, c.ra);
        switch (c.ot) {
        case MO_8: env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffull) | v; break;
        case MO_16: env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | v; break;
        case MO_32: env->regs[R_EAX] = (uint32_t)v; break;
        default: env->regs[R_EAX] = v; break;
        }
        set_areg(&c, R_ESI, si + (uint64_t)(dir * c.size));
        set_areg(&c, R_ECX, count - 1);
        done += (uint64_t)c.size;
    }
}

/* CMPS/SCAS: flags of the last comparison as a SUB (src1 - src2). */
static bool str_compare(CPUX86State *env, int ot, uint64_t a, uint64_t b, uint32_t desc)
{
    uint64_t mask = ot == MO_64 ? ~0ull : (1ull << (8 << ot)) - 1;
    env->cc_dst = (a - b) & mask;
    env->cc_src = b;
    env->cc_op = CC_OP_SUBB + (uint32_t)ot;
    bool equal = (a & mask) == (b & mask);
    /* REPE stops when unequal, REPNE when equal. */
    return (desc & STR_REPNZ) ? !equal : equal;
}

void helper_rep_cmps(CPUX86State *env, uint32_t desc)
{
    uintptr_t ra = GETPC();
    StrCtx c;
    uint64_t done = 0;
    str_init(&c, env, desc, ra);
    int dir = env->df;

    uint64_t count;
    while (str_next_iteration(&c, desc, done, &count)) {
        uint64_t si = env->regs[R_ESI], di = env->regs[R_EDI];
        /* ES:rDI first, as hardware reads it (it decides which fault is reported). */
        uint64_t b = tcg_guest_ld(&env->tcg, seg_linear(&c, R_ES, di), (TCGMemOp)c.ot, c.mmu_idx, c.ra);
        uint64_t a = tcg_guest_ld(&env->tcg, seg_linear(&c, c.seg, si), (TCGMemOp)c.ot, c.mmu_idx, c.ra);
        set_areg(&c, R_ESI, si + (uint64_t)(dir * c.size));
        set_areg(&c, R_EDI, di + (uint64_t)(dir * c.size));
        set_areg(&c, R_ECX, count - 1);
        done += (uint64_t)c.size;
        if (!str_compare(env, c.ot, a, b, desc)) {
            str_finish(env, desc);
            return;
        }
    }
}

void helper_rep_scas(CPUX86State *env, uint32_t desc)
{
    uintptr_t ra = GETPC();
    StrCtx c;
    uint64_t done = 0;
    str_init(&c, env, desc, ra);
    int dir = env->df;

    uint64_t count;
    while (str_next_iteration(&c, desc, done, &count)) {
        uint64_t di = env->regs[R_EDI];
        uint64_t b = tcg_guest_ld(&env->tcg, seg_linear(&c, R_ES, di), (TCGMemOp)c.ot, c.mmu_idx, c.ra);
        set_areg(&c, R_EDI, di + (uint64_t)(dir * c.size));
        set_areg(&c, R_ECX, count - 1);
        done += (uint64_t)c.size;
        if (!str_compare(env, c.ot, env->regs[R_EAX], b, desc)) {
            str_finish(env, desc);
            return;
        }
    }
}

void helper_rep_ins(CPUX86State *env, uint32_t desc)
{
    uintptr_t ra = GETPC();
    StrCtx c;
    uint64_t done = 0;
    str_init(&c, env, desc, ra);
    int dir = env->df;

    uint64_t count;
    while (str_next_iteration(&c, desc, done, &count)) {
        uint64_t di = env->regs[R_EDI];
        uint64_t dst = seg_linear(&c, R_ES, di);
        /* Probe the destination first so a fault does not lose a port read. */
        tcg_guest_host_ptr(&env->tcg, dst, (uint64_t)c.size, true, c.mmu_idx, c.ra);
        uint32_t v = io_in(env, (uint16_t)env->regs[R_EDX], (uint32_t)c.size);
        tcg_guest_st(&env->tcg, dst, v, (TCGMemOp)c.ot, c.mmu_idx, c.ra);
        set_areg(&c, R_EDI, di + (uint64_t)(dir * c.size));
        set_areg(&c, R_ECX, count - 1);
        done += 256;   /* port accesses are slow: yield sooner */
    }
}

void helper_rep_outs(CPUX86State *env, uint32_t desc)
{
    uintptr_t ra = GETPC();
    StrCtx c;
    uint64_t done = 0;
    str_init(&c, env, desc, ra);
    int dir = env->df;

    uint64_t count;
    while (str_next_iteration(&c, desc, done, &count)) {
        uint64_t si = env->regs[R_ESI];
        uint64_t v = tcg_guest_ld(&env->tcg, seg_linear(&c, c.seg, si), (TCGMemOp)c.ot, c.mmu_idx, c.ra);
        io_out(env, (uint16_t)env->regs[R_EDX], (uint32_t)c.size, (uint32_t)v);
        set_areg(&c, R_ESI, si + (uint64_t)(dir * c.size));
        set_areg(&c, R_ECX, count - 1);
        done += 256;
    }
}

/* ---- CPUID ---- */

/*
 * A modest family-6 CPU: FPU, TSC, MSR, PAE, CX8, SEP, MTRR, PGE, CMOV,
 * PAT, CLFLUSH; CX16, MOVBE, POPCNT; long mode with NX and SYSCALL.  No
 * local APIC (the pc board under TCG has only the 8259 pair), no SSE yet.
 */
static void cpuid(CPUX86State *env, uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    *a = *b = *c = *d = 0;
    switch (leaf) {
    case 0:
        *a = 7;
        /* "GenuineIntel" split across EBX, EDX, ECX. */
        *b = 0x756e6547;
        *d = 0x49656e69;
        *c = 0x6c65746e;
        break;
    case 1:
        *a = 0x000006f1;                    /* family 6, model 15, stepping 1 */
        *b = (1u << 16) | (8u << 8);        /* 1 logical processor, CLFLUSH line 64 bytes */
        *c = (1u << 13) | (1u << 22) | (1u << 23) | (1u << 31);  /* CX16, MOVBE, POPCNT, hypervisor */
        *d = (1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 11) | (1u << 12) |
             (1u << 13) | (1u << 15) | (1u << 16) | (1u << 19);
        break;
    case 7:
        break;
    case 0x80000000:
        *a = 0x80000008;
        break;
    case 0x80000001:
        *c = 1u << 0;                       /* LAHF/SAHF in 64-bit mode */
        *d = (1u << 11) | (1u << 20) | (1u << 29);   /* SYSCALL, NX, LM */
        break;
    case 0x80000002: case 0x80000003: case 0x80000004: {
        static const char brand[48] = "ioemu TCG CPU";
        const uint32_t *w = (const uint32_t *)(const void *)(brand + (leaf - 0x80000002) * 16);
        memcpy(a, &w[0], 4);
        memcpy(b, &w[1], 4);
        memcpy(c, &w[2], 4);
        memcpy(d, &w[3], 4);
        break;
    }
    case 0x80000008:
        *a = 40 | (48u << 8);               /* physical / linear address bits */
        break;
    default:
        break;
    }
    (void)sub;
}

void helper_cpuid(CPUX86State *env)
{
    uint32_t a, b, c, d;
    cpuid(env, (uint32_t)env->regs[R_EAX], (uint32_t)env->regs[R_ECX], &a, &b, &c, &d);
    env->regs[R_EAX] = a;
    env->regs[R_EBX] = b;
    env->regs[R_ECX] = c;
    env->regs[R_EDX] = d;
}

/* ---- TSC ---- */

static uint64_t tsc_now(CPUX86State *env)
{
    uint64_t ns = env->accel && env->accel->ops->tsc_ns ? env->accel->ops->tsc_ns(env->accel->opaque) : 0;
    return ns + env->tsc_offset;   /* a 1 GHz TSC */
}

void helper_rdtsc(CPUX86State *env)
{
    uintptr_t ra = GETPC();
    if ((env->cr[4] & CR4_TSD) && cpl_of(env) != 0 && (env->cr[0] & CR0_PE)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    uint64_t t = tsc_now(env);
    env->regs[R_EAX] = (uint32_t)t;
    env->regs[R_EDX] = (uint32_t)(t >> 32);
}

void helper_rdtscp(CPUX86State *env)
{
    uint64_t t = tsc_now(env);
    env->regs[R_EAX] = (uint32_t)t;
    env->regs[R_EDX] = (uint32_t)(t >> 32);
    env->regs[R_ECX] = (uint32_t)env->tsc_aux;
}

/* ---- MSRs (SDM vol. 4) ---- */

enum {
    MSR_TSC = 0x10, MSR_PLATFORM_ID = 0x17, MSR_APIC_BASE = 0x1b, MSR_FEATURE_CONTROL = 0x3a,
    MSR_BIOS_SIGN_ID = 0x8b, MSR_MTRRCAP = 0xfe, MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175,
    MSR_SYSENTER_EIP = 0x176, MSR_MCG_CAP = 0x179, MSR_MCG_STATUS = 0x17a, MSR_MISC_ENABLE = 0x1a0,
    MSR_MTRR_PHYSBASE0 = 0x200, MSR_MTRR_FIX64K = 0x250, MSR_MTRR_FIX16K_80000 = 0x258,
    MSR_MTRR_FIX16K_A0000 = 0x259, MSR_MTRR_FIX4K_C0000 = 0x268, MSR_PAT = 0x277, MSR_MTRR_DEF_TYPE = 0x2ff,
    MSR_EFER = 0xc0000080, MSR_STAR = 0xc0000081, MSR_LSTAR = 0xc0000082, MSR_CSTAR = 0xc0000083,
    MSR_FMASK = 0xc0000084, MSR_FS_BASE = 0xc0000100, MSR_GS_BASE = 0xc0000101,
    MSR_KERNEL_GS_BASE = 0xc0000102, MSR_TSC_AUX = 0xc0000103,
};

static uint64_t *fixed_mtrr(CPUX86State *env, uint32_t msr)
{
    if (msr == MSR_MTRR_FIX64K) {
        return &env->mtrr_fixed[0];
    }
    if (msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000) {
        return &env->mtrr_fixed[1 + (msr - MSR_MTRR_FIX16K_80000)];
    }
    if (msr >= MSR_MTRR_FIX4K_C0000 && msr < MSR_MTRR_FIX4K_C0000 + 8) {
        return &env->mtrr_fixed[3 + (msr - MSR_MTRR_FIX4K_C0000)];
    }
    return NULL;
}

void helper_rdmsr(CPUX86State *env)
{
    uintptr_t ra = GETPC();
    uint32_t msr = (uint32_t)env->regs[R_ECX];
    uint64_t v;
    uint64_t *p;

    switch (msr) {
    case MSR_TSC: v = tsc_now(env); break;
    case MSR_PLATFORM_ID: v = 0; break;
    case MSR_APIC_BASE: v = env->apic_base; break;
    case MSR_FEATURE_CONTROL: v = 1; break;   /* locked, nothing enabled */
    case MSR_BIOS_SIGN_ID: v = 0; break;
    case MSR_MTRRCAP: v = 0x508; break;       /* 8 variable ranges, fixed ranges, write-combining */
    case MSR_SYSENTER_CS: v = env->sysenter_cs; break;
    case MSR_SYSENTER_ESP: v = env->sysenter_esp; break;
    case MSR_SYSENTER_EIP: v = env->sysenter_eip; break;
    case MSR_MCG_CAP: case MSR_MCG_STATUS: v = 0; break;
    case MSR_MISC_ENABLE: v = env->misc_enable; break;
    case MSR_PAT: v = env->pat; break;
    case MSR_MTRR_DEF_TYPE: v = env->mtrr_deftype; break;
    case MSR_EFER: v = env->efer; break;
    case MSR_STAR: v = env->star; break;
    case MSR_LSTAR: v = env->lstar; break;
    case MSR_CSTAR: v = env->cstar; break;
    case MSR_FMASK: v = env->fmask; break;
    case MSR_FS_BASE: v = env->segs[R_FS].base; break;
    case MSR_GS_BASE: v = env->segs[R_GS].base; break;
    case MSR_KERNEL_GS_BASE: v = env->kernel_gs_base; break;
    case MSR_TSC_AUX: v = env->tsc_aux; break;
    default:
        if (msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 16) {
            v = env->mtrr_var[msr - MSR_MTRR_PHYSBASE0];
            break;
        }
        if ((p = fixed_mtrr(env, msr))) {
            v = *p;
            break;
        }
        log_unimp("tcg: rdmsr 0x%x\n", msr);
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    env->regs[R_EAX] = (uint32_t)v;
    env->regs[R_EDX] = (uint32_t)(v >> 32);
}

void helper_wrmsr(CPUX86State *env)
{
    uintptr_t ra = GETPC();
    uint32_t msr = (uint32_t)env->regs[R_ECX];
    uint64_t v = (uint32_t)env->regs[R_EAX] | ((uint64_t)(uint32_t)env->regs[R_EDX] << 32);
    uint64_t *p;

    switch (msr) {
    case MSR_TSC: env->tsc_offset = v - (tsc_now(env) - env->tsc_offset); break;
    case MSR_APIC_BASE: break;                 /* no local APIC: ignored */
    case MSR_BIOS_SIGN_ID: case MSR_MCG_STATUS: break;
    case MSR_SYSENTER_CS: env->sysenter_cs = v & 0xffff; break;
    case MSR_SYSENTER_ESP: env->sysenter_esp = v; break;
    case MSR_SYSENTER_EIP: env->sysenter_eip = v; break;
    case MSR_MISC_ENABLE: env->misc_enable = v; break;
    case MSR_PAT: env->pat = v; break;
    case MSR_MTRR_DEF_TYPE: env->mtrr_deftype = v; break;
    case MSR_EFER:
        if (v & ~(uint64_t)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        x86_set_efer(env, v);
        break;
    case MSR_STAR: env->star = v; break;
    case MSR_LSTAR: env->lstar = v; break;
    case MSR_CSTAR: env->cstar = v; break;
    case MSR_FMASK: env->fmask = v; break;
    case MSR_FS_BASE: env->segs[R_FS].base = v; break;
    case MSR_GS_BASE: env->segs[R_GS].base = v; break;
    case MSR_KERNEL_GS_BASE: env->kernel_gs_base = v; break;
    case MSR_TSC_AUX: env->tsc_aux = (uint32_t)v; break;
    default:
        if (msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 16) {
            env->mtrr_var[msr - MSR_MTRR_PHYSBASE0] = v;
            break;
        }
        if ((p = fixed_mtrr(env, msr))) {
            *p = v;
            break;
        }
        log_unimp("tcg: wrmsr 0x%x <- 0x%llx\n", msr, (unsigned long long)v);
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
}

/* ---- control / debug registers ---- */

uint64_t helper_read_cr(CPUX86State *env, uint32_t reg)
{
    switch (reg) {
    case 0: return env->cr[0];
    case 2: return env->cr[2];
    case 3: return env->cr[3];
    case 4: return env->cr[4];
    case 8: return env->cr8;
    default: return 0;
    }
}

void helper_write_cr(CPUX86State *env, uint32_t reg, uint64_t val)
{
    uintptr_t ra = GETPC();
    switch (reg) {
    case 0:
        /* PG without PE is invalid; so is enabling long-mode paging without PAE (SDM MOV CR). */
        if ((val & CR0_PG) && !(val & CR0_PE)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        if ((val & CR0_PG) && !(env->cr[0] & CR0_PG) && (env->efer & EFER_LME) && !(env->cr[4] & CR4_PAE)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        if (!(env->hflags & HF_CS64)) {
            val = (uint32_t)val;
        }
        x86_set_cr0(env, val);
        break;
    case 2:
        env->cr[2] = val;
        break;
    case 3:
        x86_set_cr3(env, val);
        break;
    case 4:
        if ((env->efer & EFER_LMA) && !(val & CR4_PAE)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        x86_set_cr4(env, val);
        break;
    case 8:
        env->cr8 = val & 0xf;
        break;
    default:
        break;
    }
}

void helper_write_dr(CPUX86State *env, uint32_t reg, uint64_t val)
{
    /* Breakpoints are recorded but not armed (data/instruction breakpoints are not emulated). */
    env->dr[reg & 7] = val;
}

void helper_lmsw(CPUX86State *env, uint64_t val)
{
    /* LMSW changes PE, MP, EM, TS only and cannot clear PE (SDM LMSW). */
    uint64_t cr0 = (env->cr[0] & ~0xeull) | (val & 0xf) | (env->cr[0] & CR0_PE);
    x86_set_cr0(env, cr0);
}

void helper_clts(CPUX86State *env)
{
    env->cr[0] &= ~(uint64_t)CR0_TS;
    x86_update_hflags(env);
}

void helper_invlpg(CPUX86State *env, uint64_t addr)
{
    tlb_flush_page(&env->tcg, addr);
}

void helper_lgdt_lidt(CPUX86State *env, uint32_t is_idt, uint64_t base, uint32_t limit)
{
    SegmentCache *dt = is_idt ? &env->idt : &env->gdt;
    dt->base = base;
    dt->limit = limit & 0xffff;
}

/* ---- x87 / SSE state ---- */

void helper_fninit(CPUX86State *env)
{
    env->fpuc = 0x37f;
    env->fpus = 0;
    env->fptag = 0xffff;
}

/* FXSAVE image layout (SDM vol. 1, table 10-2): enough for the state we keep. */
void helper_fxsave(CPUX86State *env, uint64_t addr)
{
    uintptr_t ra = GETPC();
    if (addr & 15) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    /* Probe the whole area first so a fault leaves nothing half written. */
    tcg_guest_host_ptr(&env->tcg, addr + 511, 1, true, x86_cpu_mmu_index(env), ra);
    x86_st_data(env, addr + 0, env->fpuc, MO_16, ra);
    x86_st_data(env, addr + 2, env->fpus, MO_16, ra);
    uint8_t ftw = 0;
    for (int i = 0; i < 8; i++) {
        if (((env->fptag >> (2 * i)) & 3) != 3) {
            ftw |= (uint8_t)(1u << i);
        }
    }
    x86_st_data(env, addr + 4, ftw, MO_8, ra);
    x86_st_data(env, addr + 24, env->mxcsr, MO_32, ra);
    x86_st_data(env, addr + 28, 0xffff, MO_32, ra);
    for (int i = 0; i < 8; i++) {
        for (int j = 0; j < 10; j++) {
            x86_st_data(env, addr + 32 + (uint64_t)i * 16 + (uint64_t)j, env->fpregs[i][j], MO_8, ra);
        }
    }
    int nxmm = (env->hflags & HF_CS64) ? 16 : 8;
    for (int i = 0; i < nxmm; i++) {
        x86_st_data(env, addr + 160 + (uint64_t)i * 16, env->xmm[i].q[0], MO_64, ra);
        x86_st_data(env, addr + 168 + (uint64_t)i * 16, env->xmm[i].q[1], MO_64, ra);
    }
}

void helper_fxrstor(CPUX86State *env, uint64_t addr)
{
    uintptr_t ra = GETPC();
    if (addr & 15) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    uint32_t mxcsr = (uint32_t)x86_ld_data(env, addr + 24, MO_32, ra);
    if (mxcsr & 0xffff0000u) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    env->fpuc = (uint16_t)x86_ld_data(env, addr + 0, MO_16, ra);
    env->fpus = (uint16_t)x86_ld_data(env, addr + 2, MO_16, ra);
    uint8_t ftw = (uint8_t)x86_ld_data(env, addr + 4, MO_8, ra);
    env->fptag = 0;
    for (int i = 0; i < 8; i++) {
        if (!(ftw & (1u << i))) {
            env->fptag |= (uint16_t)(3u << (2 * i));
        }
    }
    env->mxcsr = mxcsr;
    for (int i = 0; i < 8; i++) {
        for (int j = 0; j < 10; j++) {
            env->fpregs[i][j] = (uint8_t)x86_ld_data(env, addr + 32 + (uint64_t)i * 16 + (uint64_t)j, MO_8, ra);
        }
    }
    int nxmm = (env->hflags & HF_CS64) ? 16 : 8;
    for (int i = 0; i < nxmm; i++) {
        env->xmm[i].q[0] = x86_ld_data(env, addr + 160 + (uint64_t)i * 16, MO_64, ra);
        env->xmm[i].q[1] = x86_ld_data(env, addr + 168 + (uint64_t)i * 16, MO_64, ra);
    }
}

#define STR_INFO(n) \
    const TCGHelperInfo helper_info_##n = TCG_HELPER_INFO(helper_##n, 0, TCG_CALL_VOID, 2, TCG_CALL_I64, TCG_CALL_I32)
STR_INFO(rep_movs);
STR_INFO(rep_stos);
STR_INFO(rep_lods);
STR_INFO(rep_cmps);
STR_INFO(rep_scas);
STR_INFO(rep_ins);
STR_INFO(rep_outs);
const TCGHelperInfo helper_info_check_align = TCG_HELPER_INFO(helper_check_align, TCG_CALL_NO_WG, TCG_CALL_VOID, 3,
                                                              TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I32);
const TCGHelperInfo helper_info_check_io = TCG_HELPER_INFO(helper_check_io, TCG_CALL_NO_WG, TCG_CALL_VOID, 3,
                                                           TCG_CALL_I64, TCG_CALL_I32, TCG_CALL_I32);
const TCGHelperInfo helper_info_in = TCG_HELPER_INFO(helper_in, TCG_CALL_NO_WG, TCG_CALL_I32, 3, TCG_CALL_I64,
                                                     TCG_CALL_I32, TCG_CALL_I32);
const TCGHelperInfo helper_info_out = TCG_HELPER_INFO(helper_out, TCG_CALL_NO_WG, TCG_CALL_VOID, 4, TCG_CALL_I64,
                                                      TCG_CALL_I32, TCG_CALL_I32, TCG_CALL_I32);
const TCGHelperInfo helper_info_cpuid = TCG_HELPER_INFO(helper_cpuid, 0, TCG_CALL_VOID, 1, TCG_CALL_I64);
const TCGHelperInfo helper_info_rdtsc = TCG_HELPER_INFO(helper_rdtsc, 0, TCG_CALL_VOID, 1, TCG_CALL_I64);
const TCGHelperInfo helper_info_rdtscp = TCG_HELPER_INFO(helper_rdtscp, 0, TCG_CALL_VOID, 1, TCG_CALL_I64);
const TCGHelperInfo helper_info_rdmsr = TCG_HELPER_INFO(helper_rdmsr, 0, TCG_CALL_VOID, 1, TCG_CALL_I64);
const TCGHelperInfo helper_info_wrmsr = TCG_HELPER_INFO(helper_wrmsr, 0, TCG_CALL_VOID, 1, TCG_CALL_I64);
const TCGHelperInfo helper_info_read_cr = TCG_HELPER_INFO(helper_read_cr, TCG_CALL_NO_WG, TCG_CALL_I64, 2,
                                                          TCG_CALL_I64, TCG_CALL_I32);
const TCGHelperInfo helper_info_write_cr = TCG_HELPER_INFO(helper_write_cr, 0, TCG_CALL_VOID, 3, TCG_CALL_I64,
                                                           TCG_CALL_I32, TCG_CALL_I64);
const TCGHelperInfo helper_info_write_dr = TCG_HELPER_INFO(helper_write_dr, TCG_CALL_NO_RWG, TCG_CALL_VOID, 3,
                                                           TCG_CALL_I64, TCG_CALL_I32, TCG_CALL_I64);
const TCGHelperInfo helper_info_lmsw = TCG_HELPER_INFO(helper_lmsw, TCG_CALL_NO_WG, TCG_CALL_VOID, 2, TCG_CALL_I64,
                                                       TCG_CALL_I64);
const TCGHelperInfo helper_info_clts = TCG_HELPER_INFO(helper_clts, TCG_CALL_NO_RWG, TCG_CALL_VOID, 1, TCG_CALL_I64);
const TCGHelperInfo helper_info_invlpg = TCG_HELPER_INFO(helper_invlpg, TCG_CALL_NO_WG, TCG_CALL_VOID, 2,
                                                         TCG_CALL_I64, TCG_CALL_I64);
const TCGHelperInfo helper_info_lgdt_lidt = TCG_HELPER_INFO(helper_lgdt_lidt, TCG_CALL_NO_RWG, TCG_CALL_VOID, 4,
                                                            TCG_CALL_I64, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I32);
const TCGHelperInfo helper_info_fninit = TCG_HELPER_INFO(helper_fninit, TCG_CALL_NO_RWG, TCG_CALL_VOID, 1,
                                                         TCG_CALL_I64);
const TCGHelperInfo helper_info_fxsave = TCG_HELPER_INFO(helper_fxsave, TCG_CALL_NO_WG, TCG_CALL_VOID, 2,
                                                         TCG_CALL_I64, TCG_CALL_I64);
const TCGHelperInfo helper_info_fxrstor = TCG_HELPER_INFO(helper_fxrstor, TCG_CALL_NO_WG, TCG_CALL_VOID, 2,
                                                          TCG_CALL_I64, TCG_CALL_I64);
