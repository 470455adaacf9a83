/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lazy condition codes: the translator records what the last flag-setting
 * instruction computed (cc_op, cc_dst, cc_src, cc_src2) and the flags are
 * derived from that only when something reads them.
 *
 * Flag definitions per SDM vol. 1, appendix A (EFLAGS cross-reference) and
 * the instruction pages.  AF after logical ops, SF/ZF/PF/AF after MUL and
 * AF after shifts are undefined in the SDM; we produce what QEMU does
 * (zero AF, flags of the low result), which the differential tester masks.
 */
#include "target/i386/cpu.h"

static inline unsigned size_bits(int sz) { return 8u << sz; }

static inline uint64_t trunc_sz(uint64_t v, int sz)
{
    return sz == 3 ? v : v & ((1ull << size_bits(sz)) - 1);
}

static inline uint32_t sign_of(uint64_t v, int sz)
{
    return (uint32_t)(v >> (size_bits(sz) - 1)) & 1;
}

static inline uint32_t parity(uint64_t v)
{
    return __builtin_parity((unsigned)(v & 0xff)) ? 0 : CC_P;
}

static inline uint32_t zsp(uint64_t dst, int sz)
{
    uint64_t d = trunc_sz(dst, sz);
    return (d == 0 ? CC_Z : 0) | (sign_of(d, sz) ? CC_S : 0) | parity(d);
}

uint32_t cc_compute_all(uint32_t op, uint64_t dst, uint64_t src, uint64_t src2)
{
    int sz;
    uint64_t a, b, d;
    uint32_t cf, of, af;

    switch (op) {
    case CC_OP_EFLAGS:
        return (uint32_t)src & CC_ALL;
    case CC_OP_CLR:
        return CC_Z | CC_P;
    case CC_OP_POPCNT:
        return src ? 0 : CC_Z;
    case CC_OP_MULB ... CC_OP_MULQ:
        sz = op - CC_OP_MULB;
        cf = src != 0 ? CC_C | CC_O : 0;
        return cf | zsp(dst, sz);
    case CC_OP_ADDB ... CC_OP_ADDQ:
        sz = op - CC_OP_ADDB;
        d = trunc_sz(dst, sz);
        b = trunc_sz(src, sz);
        a = trunc_sz(dst - src, sz);
        cf = d < a ? CC_C : 0;
        of = sign_of((a ^ b ^ ~0ull) & (a ^ d), sz) ? CC_O : 0;
        af = (uint32_t)((a ^ b ^ d) & CC_A);
        return cf | of | af | zsp(d, sz);
    case CC_OP_ADCB ... CC_OP_ADCQ:
        sz = op - CC_OP_ADCB;
        d = trunc_sz(dst, sz);
        b = trunc_sz(src, sz);
        a = trunc_sz(dst - src - src2, sz);
        cf = (src2 ? d <= a : d < a) ? CC_C : 0;
        of = sign_of((a ^ b ^ ~0ull) & (a ^ d), sz) ? CC_O : 0;
        af = (uint32_t)((a ^ b ^ d) & CC_A);
        return cf | of | af | zsp(d, sz);
    case CC_OP_SUBB ... CC_OP_SUBQ:
        sz = op - CC_OP_SUBB;
        d = trunc_sz(dst, sz);
        b = trunc_sz(src, sz);
        a = trunc_sz(dst + src, sz);
        cf = a < b ? CC_C : 0;
        of = sign_of((a ^ b) & (a ^ d), sz) ? CC_O : 0;
        af = (uint32_t)((a ^ b ^ d) & CC_A);
        return cf | of | af | zsp(d, sz);
    case CC_OP_SBBB ... CC_OP_SBBQ:
        sz = op - CC_OP_SBBB;
        d = trunc_sz(dst, sz);
        b = trunc_sz(src, sz);
        a = trunc_sz(dst + src + src2, sz);
        cf = (src2 ? a <= b : a < b) ? CC_C : 0;
        of = sign_of((a ^ b) & (a ^ d), sz) ? CC_O : 0;
        af = (uint32_t)((a ^ b ^ d) & CC_A);
        return cf | of | af | zsp(d, sz);
    case CC_OP_LOGICB ... CC_OP_LOGICQ:
        sz = op - CC_OP_LOGICB;
        return zsp(dst, sz);
    case CC_OP_INCB ... CC_OP_INCQ:
        sz = op - CC_OP_INCB;
        d = trunc_sz(dst, sz);
        a = trunc_sz(dst - 1, sz);
        cf = (uint32_t)src & CC_C;
        of = d == (1ull << (size_bits(sz) - 1)) ? CC_O : 0;
        af = (uint32_t)((a ^ 1 ^ d) & CC_A);
        return cf | of | af | zsp(d, sz);
    case CC_OP_DECB ... CC_OP_DECQ:
        sz = op - CC_OP_DECB;
        d = trunc_sz(dst, sz);
        a = trunc_sz(dst + 1, sz);
        cf = (uint32_t)src & CC_C;
        of = d == (1ull << (size_bits(sz) - 1)) - 1 ? CC_O : 0;
        af = (uint32_t)((a ^ 1 ^ d) & CC_A);
        return cf | of | af | zsp(d, sz);
    case CC_OP_SHLB ... CC_OP_SHLQ:
        sz = op - CC_OP_SHLB;
        cf = sign_of(src, sz) ? CC_C : 0;
        of = sign_of(src ^ dst, sz) ? CC_O : 0;
        return cf | of | zsp(dst, sz);
    case CC_OP_SARB ... CC_OP_SARQ:
        sz = op - CC_OP_SARB;
        cf = (uint32_t)src & 1;
        of = sign_of(src ^ dst, sz) ? CC_O : 0;
        return cf | of | zsp(dst, sz);
    case CC_OP_BMILGB ... CC_OP_BMILGQ:
        sz = op - CC_OP_BMILGB;
        cf = trunc_sz(src, sz) == 0 ? CC_C : 0;
        return cf | (zsp(dst, sz) & (CC_Z | CC_S));
    default:
        return 0;
    }
}

uint32_t cc_compute_c(uint32_t op, uint64_t dst, uint64_t src, uint64_t src2)
{
    int sz;
    uint64_t a, b, d;

    switch (op) {
    case CC_OP_EFLAGS:
        return (uint32_t)src & CC_C;
    case CC_OP_CLR: case CC_OP_POPCNT:
    case CC_OP_LOGICB ... CC_OP_LOGICQ:
        return 0;
    case CC_OP_MULB ... CC_OP_MULQ:
        return src != 0;
    case CC_OP_ADDB ... CC_OP_ADDQ:
        sz = op - CC_OP_ADDB;
        return trunc_sz(dst, sz) < trunc_sz(src, sz);
    case CC_OP_ADCB ... CC_OP_ADCQ:
        sz = op - CC_OP_ADCB;
        d = trunc_sz(dst, sz);
        a = trunc_sz(dst - src - src2, sz);
        return src2 ? d <= a : d < a;
    case CC_OP_SUBB ... CC_OP_SUBQ:
        sz = op - CC_OP_SUBB;
        b = trunc_sz(src, sz);
        a = trunc_sz(dst + src, sz);
        return a < b;
    case CC_OP_SBBB ... CC_OP_SBBQ:
        sz = op - CC_OP_SBBB;
        b = trunc_sz(src, sz);
        a = trunc_sz(dst + src + src2, sz);
        return src2 ? a <= b : a < b;
    case CC_OP_INCB ... CC_OP_DECQ:
        return (uint32_t)src & 1;
    case CC_OP_SHLB ... CC_OP_SHLQ:
        return sign_of(src, op - CC_OP_SHLB);
    case CC_OP_SARB ... CC_OP_SARQ:
        return (uint32_t)src & 1;
    case CC_OP_BMILGB ... CC_OP_BMILGQ:
        return trunc_sz(src, op - CC_OP_BMILGB) == 0;
    default:
        return 0;
    }
}
