/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Integer helpers too awkward for inline IR: division (with #DE), BCD
 * adjustments, rotates through carry, double shifts, EFLAGS writes and
 * CMPXCHG8B/16B.  Semantics per the SDM vol. 2 instruction pages; where
 * the SDM leaves flags undefined the choice is noted.
 */
#include "target/i386/helper.h"
#include "target/i386/seg.h"

uint32_t helper_cc_compute_all(uint32_t op, uint64_t dst, uint64_t src, uint64_t src2)
{
    return cc_compute_all(op, dst, src, src2);
}

uint64_t helper_cc_compute_c(uint32_t op, uint64_t dst, uint64_t src, uint64_t src2)
{
    return cc_compute_c(op, dst, src, src2);
}

static uint32_t eflags_now(CPUX86State *env)
{
    return cc_compute_all(env->cc_op, env->cc_dst, env->cc_src, env->cc_src2);
}

static void set_flags(CPUX86State *env, uint32_t f)
{
    env->cc_src = f & CC_ALL;
    env->cc_op = CC_OP_EFLAGS;
}

static uint32_t zsp8(uint32_t v)
{
    v &= 0xff;
    return (v == 0 ? CC_Z : 0) | ((v & 0x80) ? CC_S : 0) | (__builtin_parity(v) ? 0 : CC_P);
}

void helper_write_eflags(CPUX86State *env, uint32_t val, uint32_t mask)
{
    /* The arithmetic flags are taken by the translator; here the rest. */
    uint32_t m = mask & ~CC_ALL;
    uint32_t cur = (uint32_t)env->eflags;
    uint32_t nv = (cur & ~m) | (val & m);
    env->eflags = (nv & ~CC_ALL) | EFLAGS_FIXED;
    env->df = (nv & DF_MASK) ? -1 : 1;
    x86_update_hflags(env);
}

void helper_set_if(CPUX86State *env, uint32_t on)
{
    if (on) {
        env->eflags |= IF_MASK;
    } else {
        env->eflags &= ~(uint64_t)IF_MASK;
    }
}

/* ---- division (SDM DIV/IDIV: #DE on a zero divisor or a quotient that does not fit) ---- */

void helper_divb(CPUX86State *env, uint64_t val)
{
    uintptr_t ra = GETPC();
    uint32_t num = (uint16_t)env->regs[R_EAX];
    uint32_t den = (uint8_t)val;
    if (den == 0) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    uint32_t q = num / den;
    if (q > 0xff) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    uint32_t r = num % den;
    env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | q | (r << 8);
}

void helper_idivb(CPUX86State *env, uint64_t val)
{
    uintptr_t ra = GETPC();
    int32_t num = (int16_t)env->regs[R_EAX];
    int32_t den = (int8_t)val;
    if (den == 0) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    int32_t q = num / den;
    if (q != (int8_t)q) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    int32_t r = num % den;
    env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | (uint8_t)q | ((uint32_t)(uint8_t)r << 8);
}

void helper_divw(CPUX86State *env, uint64_t val)
{
    uintptr_t ra = GETPC();
    uint32_t num = (uint16_t)env->regs[R_EAX] | ((uint32_t)(uint16_t)env->regs[R_EDX] << 16);
    uint32_t den = (uint16_t)val;
    if (den == 0) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    uint32_t q = num / den;
    if (q > 0xffff) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    uint32_t r = num % den;
    env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | q;
    env->regs[R_EDX] = (env->regs[R_EDX] & ~0xffffull) | r;
}

void helper_idivw(CPUX86State *env, uint64_t val)
{
    uintptr_t ra = GETPC();
    int32_t num = (int32_t)((uint16_t)env->regs[R_EAX] | ((uint32_t)(uint16_t)env->regs[R_EDX] << 16));
    int32_t den = (int16_t)val;
    if (den == 0) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    if (num == INT32_MIN && den == -1) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    int32_t q = num / den;
    if (q != (int16_t)q) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    int32_t r = num % den;
    env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | (uint16_t)q;
    env->regs[R_EDX] = (env->regs[R_EDX] & ~0xffffull) | (uint16_t)r;
}

void helper_divl(CPUX86State *env, uint64_t val)
{
    uintptr_t ra = GETPC();
    uint64_t num = (uint32_t)env->regs[R_EAX] | ((uint64_t)(uint32_t)env->regs[R_EDX] << 32);
    uint64_t den = (uint32_t)val;
    if (den == 0) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    uint64_t q = num / den;
    if (q > 0xffffffffull) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    env->regs[R_EAX] = (uint32_t)q;
    env->regs[R_EDX] = (uint32_t)(num % den);
}

void helper_idivl(CPUX86State *env, uint64_t val)
{
    uintptr_t ra = GETPC();
    int64_t num = (int64_t)((uint32_t)env->regs[R_EAX] | ((uint64_t)(uint32_t)env->regs[R_EDX] << 32));
    int64_t den = (int32_t)val;
    if (den == 0 || (num == INT64_MIN && den == -1)) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    int64_t q = num / den;
    if (q != (int32_t)q) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    env->regs[R_EAX] = (uint32_t)q;
    env->regs[R_EDX] = (uint32_t)(num % den);
}

void helper_divq(CPUX86State *env, uint64_t val)
{
    uintptr_t ra = GETPC();
    unsigned __int128 num = ((unsigned __int128)env->regs[R_EDX] << 64) | env->regs[R_EAX];
    uint64_t den = val;
    if (den == 0) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    unsigned __int128 q = num / den;
    if (q >> 64) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    env->regs[R_EAX] = (uint64_t)q;
    env->regs[R_EDX] = (uint64_t)(num % den);
}

void helper_idivq(CPUX86State *env, uint64_t val)
{
    uintptr_t ra = GETPC();
    __int128 num = (__int128)(((unsigned __int128)env->regs[R_EDX] << 64) | env->regs[R_EAX]);
    int64_t den = (int64_t)val;
    if (den == 0) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    /* The only overflowing case of the 128-bit division itself is MIN / -1. */
    __int128 min128 = (__int128)((unsigned __int128)1 << 127);
    if (num == min128 && den == -1) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    __int128 q = num / den;
    if (q != (int64_t)q) {
        x86_raise_exception_ra(env, EXCP00_DIVZ, ra);
    }
    env->regs[R_EAX] = (uint64_t)(int64_t)q;
    env->regs[R_EDX] = (uint64_t)(int64_t)(num % den);
}

/* ---- BCD (SDM DAA/DAS/AAA/AAS/AAM/AAD) ---- */

void helper_daa(CPUX86State *env)
{
    uint32_t f = eflags_now(env);
    uint32_t al = (uint8_t)env->regs[R_EAX], old_al = al;
    bool old_cf = f & CC_C;
    uint32_t nf = 0;

    if ((al & 0x0f) > 9 || (f & CC_A)) {
        /* The carry of this step is overwritten by the next one (SDM DAA). */
        al += 6;
        nf |= CC_A;
    }
    if (old_al > 0x99 || old_cf) {
        al += 0x60;
        nf |= CC_C;
    }
    al &= 0xff;
    /* OF is undefined; we clear it. */
    nf |= zsp8(al);
    env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffull) | al;
    set_flags(env, nf);
}

void helper_das(CPUX86State *env)
{
    uint32_t f = eflags_now(env);
    uint32_t al = (uint8_t)env->regs[R_EAX], old_al = al;
    bool old_cf = f & CC_C;
    uint32_t nf = 0;

    if ((al & 0x0f) > 9 || (f & CC_A)) {
        if (al < 6 || old_cf) {
            nf |= CC_C;
        }
        al = (al - 6) & 0xff;
        nf |= CC_A;
    }
    if (old_al > 0x99 || old_cf) {
        al = (al - 0x60) & 0xff;
        nf |= CC_C;
    }
    nf |= zsp8(al);
    env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffull) | al;
    set_flags(env, nf);
}

void helper_aaa(CPUX86State *env)
{
    uint32_t f = eflags_now(env);
    uint32_t ax = (uint16_t)env->regs[R_EAX];
    uint32_t nf = f & ~(CC_A | CC_C);

    if ((ax & 0x0f) > 9 || (f & CC_A)) {
        ax += 0x106;
        nf |= CC_A | CC_C;
    }
    ax &= 0xff0f;
    env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | ax;
    /* OF, SF, ZF, PF undefined: left as they were. */
    set_flags(env, nf);
}

void helper_aas(CPUX86State *env)
{
    uint32_t f = eflags_now(env);
    uint32_t ax = (uint16_t)env->regs[R_EAX];
    uint32_t nf = f & ~(CC_A | CC_C);

    if ((ax & 0x0f) > 9 || (f & CC_A)) {
        /* AX <- AX - 6 (the borrow reaches AH), then AH <- AH - 1. */
        ax = (ax - 6) & 0xffff;
        ax = ((((ax >> 8) - 1) & 0xff) << 8) | (ax & 0xff);
        nf |= CC_A | CC_C;
    }
    ax &= 0xff0f;
    env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | ax;
    set_flags(env, nf);
}

void helper_aam(CPUX86State *env, uint32_t base)
{
    uint32_t al = (uint8_t)env->regs[R_EAX];
    uint32_t ah = al / base;
    al %= base;
    env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | al | (ah << 8);
    set_flags(env, zsp8(al));
}

void helper_aad(CPUX86State *env, uint32_t base)
{
    uint32_t al = (uint8_t)env->regs[R_EAX];
    uint32_t ah = (uint8_t)(env->regs[R_EAX] >> 8);
    al = (al + ah * base) & 0xff;
    env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | al;
    set_flags(env, zsp8(al));
}

/* ---- RCL/RCR: the flags are already explicit in cc_src (the translator computed them). ---- */

/*
 * RCL and RCR rotate the operand and CF together, bits+1 positions in all,
 * so a byte count is taken mod 9 and a word count mod 17 (SDM Vol. 2B,
 * RCL/RCR/ROL/ROR "tempCOUNT").  OF is MSB(result) xor CF for RCL and
 * MSB(operand) xor CF-before for RCR; it is defined for a count of 1 and
 * computed the same way for any count.
 */
static uint64_t rotate_through_carry(CPUX86State *env, uint64_t val, uint32_t count, uint32_t ot, bool left)
{
    unsigned bits = 8u << ot;
    uint32_t f = (uint32_t)env->cc_src;
    unsigned c = count;

    if (ot == MO_8) {
        c %= 9;
    } else if (ot == MO_16) {
        c %= 17;
    }
    if (c == 0) {
        return val;
    }
    unsigned __int128 mask = ((unsigned __int128)1 << bits) - 1;
    unsigned __int128 wide_mask = ((unsigned __int128)1 << (bits + 1)) - 1;
    uint32_t of_before = (uint32_t)((val >> (bits - 1)) & 1) ^ (f & CC_C);
    unsigned __int128 v = ((unsigned __int128)val & mask) | ((unsigned __int128)(f & CC_C) << bits);
    if (left) {
        v = ((v << c) | (v >> (bits + 1 - c))) & wide_mask;
    } else {
        v = ((v >> c) | (v << (bits + 1 - c))) & wide_mask;
    }
    uint64_t res = (uint64_t)(v & mask);
    uint32_t cf = (uint32_t)(v >> bits) & 1;
    uint32_t of = left ? (uint32_t)((res >> (bits - 1)) & 1) ^ cf : of_before;
    f = (f & ~(CC_C | CC_O)) | cf | (of ? CC_O : 0);
    env->cc_src = f;
    env->cc_op = CC_OP_EFLAGS;
    return res;
}

uint64_t helper_rcl(CPUX86State *env, uint64_t val, uint32_t count, uint32_t ot)
{
    return rotate_through_carry(env, val, count, ot, true);
}

uint64_t helper_rcr(CPUX86State *env, uint64_t val, uint32_t count, uint32_t ot)
{
    return rotate_through_carry(env, val, count, ot, false);
}

/* ---- SHLD/SHRD ---- */

static uint64_t double_shift(CPUX86State *env, uint64_t dst, uint64_t src, uint32_t count, uint32_t ot, bool left)
{
    unsigned bits = 8u << ot;
    uint32_t f = (uint32_t)env->cc_src;

    if (count == 0) {
        return dst;
    }
    uint64_t res, last;
    if (ot == MO_16) {
        /*
         * Counts above 16 are undefined (SDM SHLD); like common hardware we
         * shift the 48-bit value dst:src:dst.
         */
        uint64_t v = left ? ((dst & 0xffff) << 32) | ((src & 0xffff) << 16) | (dst & 0xffff)
                          : ((dst & 0xffff)) | ((src & 0xffff) << 16) | ((dst & 0xffff) << 32);
        if (left) {
            res = (v << count) >> 32;
            last = (v << (count - 1)) >> 47;
        } else {
            res = v >> count;
            last = v >> (count - 1);
        }
        res &= 0xffff;
        last &= 1;
    } else if (ot == MO_32) {
        uint64_t v = left ? ((dst & 0xffffffffu) << 32) | (src & 0xffffffffu)
                          : (dst & 0xffffffffu) | ((src & 0xffffffffu) << 32);
        if (left) {
            res = (v << count) >> 32;
            last = (v << (count - 1)) >> 63;
        } else {
            res = (v >> count) & 0xffffffffu;
            last = (v >> (count - 1)) & 1;
        }
        res &= 0xffffffffu;
    } else {
        if (left) {
            res = (dst << count) | (src >> (64 - count));
            last = (dst >> (64 - count)) & 1;
        } else {
            res = (dst >> count) | (src << (64 - count));
            last = (dst >> (count - 1)) & 1;
        }
    }
    uint32_t of = (uint32_t)(((res ^ dst) >> (bits - 1)) & 1);
    uint64_t d = bits == 64 ? res : res & ((1ull << bits) - 1);
    uint32_t zsp = (d == 0 ? CC_Z : 0) | (((d >> (bits - 1)) & 1) ? CC_S : 0) |
                   (__builtin_parity((unsigned)(d & 0xff)) ? 0 : CC_P);
    /* AF undefined: cleared.  OF defined for a count of 1; computed the same way always. */
    f = (f & 0) | (uint32_t)last | (of ? CC_O : 0) | zsp;
    env->cc_src = f;
    env->cc_op = CC_OP_EFLAGS;
    return res;
}

uint64_t helper_shld(CPUX86State *env, uint64_t dst, uint64_t src, uint32_t count, uint32_t ot)
{
    return double_shift(env, dst, src, count, ot, true);
}

uint64_t helper_shrd(CPUX86State *env, uint64_t dst, uint64_t src, uint32_t count, uint32_t ot)
{
    return double_shift(env, dst, src, count, ot, false);
}

/* ---- CMPXCHG8B / CMPXCHG16B (SDM: the destination is written in both cases) ---- */

void helper_cmpxchg8b(CPUX86State *env, uint64_t addr)
{
    uintptr_t ra = GETPC();
    uint32_t f = eflags_now(env);
    uint64_t old = x86_ld_data(env, addr, MO_64 | MO_WRITE_INTENT, ra);
    uint64_t cmp = (uint32_t)env->regs[R_EAX] | ((uint64_t)(uint32_t)env->regs[R_EDX] << 32);

    if (old == cmp) {
        uint64_t nv = (uint32_t)env->regs[R_EBX] | ((uint64_t)(uint32_t)env->regs[R_ECX] << 32);
        x86_st_data(env, addr, nv, MO_64, ra);
        f |= CC_Z;
    } else {
        x86_st_data(env, addr, old, MO_64, ra);
        env->regs[R_EAX] = (uint32_t)old;
        env->regs[R_EDX] = (uint32_t)(old >> 32);
        f &= ~CC_Z;
    }
    set_flags(env, f);
}

void helper_cmpxchg16b(CPUX86State *env, uint64_t addr)
{
    uintptr_t ra = GETPC();
    uint32_t f = eflags_now(env);
    if (addr & 15) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    uint64_t lo = x86_ld_data(env, addr, MO_64 | MO_WRITE_INTENT, ra);
    uint64_t hi = x86_ld_data(env, addr + 8, MO_64 | MO_WRITE_INTENT, ra);

    if (lo == env->regs[R_EAX] && hi == env->regs[R_EDX]) {
        x86_st_data(env, addr, env->regs[R_EBX], MO_64, ra);
        x86_st_data(env, addr + 8, env->regs[R_ECX], MO_64, ra);
        f |= CC_Z;
    } else {
        x86_st_data(env, addr, lo, MO_64, ra);
        x86_st_data(env, addr + 8, hi, MO_64, ra);
        env->regs[R_EAX] = lo;
        env->regs[R_EDX] = hi;
        f &= ~CC_Z;
    }
    set_flags(env, f);
}

const TCGHelperInfo helper_info_cc_compute_all =
    TCG_HELPER_INFO(helper_cc_compute_all, TCG_CALL_PURE, TCG_CALL_I32, 4, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I64,
                    TCG_CALL_I64);
const TCGHelperInfo helper_info_cc_compute_c =
    TCG_HELPER_INFO(helper_cc_compute_c, TCG_CALL_PURE, TCG_CALL_I64, 4, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I64,
                    TCG_CALL_I64);
const TCGHelperInfo helper_info_write_eflags =
    TCG_HELPER_INFO(helper_write_eflags, TCG_CALL_NO_RWG, TCG_CALL_VOID, 3, TCG_CALL_I64, TCG_CALL_I32, TCG_CALL_I32);
const TCGHelperInfo helper_info_set_if =
    TCG_HELPER_INFO(helper_set_if, TCG_CALL_NO_RWG, TCG_CALL_VOID, 2, TCG_CALL_I64, TCG_CALL_I32);
#define DIV_INFO(n) \
    const TCGHelperInfo helper_info_##n = TCG_HELPER_INFO(helper_##n, 0, TCG_CALL_VOID, 2, TCG_CALL_I64, TCG_CALL_I64)
DIV_INFO(divb);
DIV_INFO(divw);
DIV_INFO(divl);
DIV_INFO(divq);
DIV_INFO(idivb);
DIV_INFO(idivw);
DIV_INFO(idivl);
DIV_INFO(idivq);
const TCGHelperInfo helper_info_daa = TCG_HELPER_INFO(helper_daa, 0, TCG_CALL_VOID, 1, TCG_CALL_I64);
const TCGHelperInfo helper_info_das = TCG_HELPER_INFO(helper_das, 0, TCG_CALL_VOID, 1, TCG_CALL_I64);
const TCGHelperInfo helper_info_aaa = TCG_HELPER_INFO(helper_aaa, 0, TCG_CALL_VOID, 1, TCG_CALL_I64);
const TCGHelperInfo helper_info_aas = TCG_HELPER_INFO(helper_aas, 0, TCG_CALL_VOID, 1, TCG_CALL_I64);
const TCGHelperInfo helper_info_aam = TCG_HELPER_INFO(helper_aam, 0, TCG_CALL_VOID, 2, TCG_CALL_I64, TCG_CALL_I32);
const TCGHelperInfo helper_info_aad = TCG_HELPER_INFO(helper_aad, 0, TCG_CALL_VOID, 2, TCG_CALL_I64, TCG_CALL_I32);
const TCGHelperInfo helper_info_rcl = TCG_HELPER_INFO(helper_rcl, 0, TCG_CALL_I64, 4, TCG_CALL_I64, TCG_CALL_I64,
                                                      TCG_CALL_I32, TCG_CALL_I32);
const TCGHelperInfo helper_info_rcr = TCG_HELPER_INFO(helper_rcr, 0, TCG_CALL_I64, 4, TCG_CALL_I64, TCG_CALL_I64,
                                                      TCG_CALL_I32, TCG_CALL_I32);
const TCGHelperInfo helper_info_shld = TCG_HELPER_INFO(helper_shld, 0, TCG_CALL_I64, 5, TCG_CALL_I64, TCG_CALL_I64,
                                                       TCG_CALL_I64, TCG_CALL_I32, TCG_CALL_I32);
const TCGHelperInfo helper_info_shrd = TCG_HELPER_INFO(helper_shrd, 0, TCG_CALL_I64, 5, TCG_CALL_I64, TCG_CALL_I64,
                                                       TCG_CALL_I64, TCG_CALL_I32, TCG_CALL_I32);
const TCGHelperInfo helper_info_cmpxchg8b = TCG_HELPER_INFO(helper_cmpxchg8b, 0, TCG_CALL_VOID, 2, TCG_CALL_I64,
                                                            TCG_CALL_I64);
const TCGHelperInfo helper_info_cmpxchg16b = TCG_HELPER_INFO(helper_cmpxchg16b, 0, TCG_CALL_VOID, 2, TCG_CALL_I64,
                                                             TCG_CALL_I64);
