/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86 to TCG IR: decodes one instruction at a time with the tables of
 * decode.c and emits IR for it.
 *
 * Conventions:
 *  - Architectural registers are 64-bit TCG globals.  Sub-register writes
 *    follow the SDM (vol. 1, 3.4.1.1): 8/16-bit writes leave the rest, a
 *    32-bit write zero-extends to 64 bits.
 *  - Values of operands narrower than 64 bits are computed with 32-bit IR
 *    ops and are zero-extended.
 *  - Condition codes are lazy (cc_helper.c); the static cc_op is tracked
 *    here and written to env only at block exits and before code that
 *    needs it.
 *  - An instruction changes architectural state only after its last
 *    access that can fault, so a fault restores the exact state from the
 *    insn_start record (eip and cc_op).
 *  - A block ends at a page boundary, after anything that changes the
 *    mode bits in hflags, after port output (the memory map or an
 *    interrupt line may have changed) and after control transfers.
 */
#include <string.h>

#include "hw/core/log.h"
#include "target/i386/helper.h"
#include "target/i386/translate-internal.h"
#include "tcg/codegen.h"

/* ---- globals ---- */

void x86_tcg_init_globals(TCGContext *s)
{
    static const char *const reg_names[16] = {
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    };
    static const char *const seg_names[6] = { "es_base", "cs_base", "ss_base", "ds_base", "fs_base", "gs_base" };

    for (int i = 0; i < 16; i++) {
        TCGv t = tcg_global_mem_new(s, TCG_I64, ENV_OFF(regs[i]), reg_names[i]);
        g_assert(t == G_REG(i));
    }
    g_assert(tcg_global_mem_new(s, TCG_I64, ENV_OFF(eip), "rip") == G_EIP);
    g_assert(tcg_global_mem_new(s, TCG_I64, ENV_OFF(cc_dst), "cc_dst") == G_CC_DST);
    g_assert(tcg_global_mem_new(s, TCG_I64, ENV_OFF(cc_src), "cc_src") == G_CC_SRC);
    g_assert(tcg_global_mem_new(s, TCG_I64, ENV_OFF(cc_src2), "cc_src2") == G_CC_SRC2);
    g_assert(tcg_global_mem_new(s, TCG_I32, ENV_OFF(cc_op), "cc_op") == G_CC_OP);
    for (int i = 0; i < 6; i++) {
        g_assert(tcg_global_mem_new(s, TCG_I64, ENV_OFF(segs[i].base), seg_names[i]) == G_SEG_BASE + i);
    }
}

/* ---- small IR shorthands ---- */

#define S (dc->s)

static TCGType ty(int ot)
{
    return ot == MO_64 ? TCG_I64 : TCG_I32;
}

static TCGv tmp(DisasContext *dc)
{
    return tcg_temp_new(S);
}

static TCGv cst(DisasContext *dc, uint64_t v)
{
    return tcg_const(S, v);
}

static uint64_t size_mask(int ot)
{
    return ot == MO_64 ? ~0ull : (1ull << (8 << ot)) - 1;
}

/* t = zero-extension of the low (8 << ot) bits of a. */
static void gen_ext(DisasContext *dc, int ot, TCGv t, TCGv a)
{
    switch (ot) {
    case MO_8: tcg_gen_ext8u(S, TCG_I64, t, a); break;
    case MO_16: tcg_gen_ext16u(S, TCG_I64, t, a); break;
    case MO_32: tcg_gen_ext32u(S, t, a); break;
    default: tcg_gen_mov(S, TCG_I64, t, a); break;
    }
}

static void gen_exts(DisasContext *dc, int ot, TCGv t, TCGv a)
{
    switch (ot) {
    case MO_8: tcg_gen_ext8s(S, TCG_I64, t, a); break;
    case MO_16: tcg_gen_ext16s(S, TCG_I64, t, a); break;
    case MO_32: tcg_gen_ext32s(S, t, a); break;
    default: tcg_gen_mov(S, TCG_I64, t, a); break;
    }
}

static void gen_set_label(DisasContext *dc, int l)
{
    tcg_gen_set_label(S, l);
    /* ebb temps die at a label. */
    dc->cc_srcT = -1;
}

/* ---- code fetch ---- */

static uint64_t linear_pc(DisasContext *dc, uint64_t eip)
{
    uint64_t lin = dc->cs_base + eip;
    return dc->code64 ? lin : (uint32_t)lin;
}

static const uint8_t *code_page(DisasContext *dc, uint64_t lin, uint64_t *phys)
{
    uint64_t page = lin & TCG_PAGE_MASK;

    for (int i = 0; i < dc->nb_pages; i++) {
        if (dc->page_vaddr[i] == page) {
            *phys = dc->page_phys[i];
            return dc->page_host[i];
        }
    }
    /* A second page. */
    void *host = NULL;
    uint64_t ph;
    if (dc->num_insns <= 1) {
        /* The first instruction: a fetch fault is raised with exact state (nothing ran yet). */
        host = tcg_get_code_page(dc->cpu, page, dc->mem_index, &ph);
    } else if (!tcg_probe_code_page(dc->cpu, page, dc->mem_index, &ph, &host)) {
        longjmp(dc->abort_insn, 1);
    }
    if (dc->nb_pages >= 2) {
        /* Cannot happen: blocks stop at the first page boundary. */
        longjmp(dc->abort_insn, 1);
    }
    dc->page_vaddr[dc->nb_pages] = page;
    dc->page_host[dc->nb_pages] = host;
    dc->page_phys[dc->nb_pages] = ph & TCG_PAGE_MASK;
    dc->nb_pages++;
    dc->tb->page_addr[1] = ph & TCG_PAGE_MASK;
    *phys = ph & TCG_PAGE_MASK;
    return host;
}

static uint8_t fetch_byte(DisasContext *dc)
{
    uint64_t lin = linear_pc(dc, dc->next_eip);
    uint64_t phys;

    if (dc->next_eip - dc->eip >= 15) {
        /* SDM vol. 2, 2.3.11: an instruction longer than 15 bytes raises #GP(0). */
        longjmp(dc->abort_insn, 2);
    }
    const uint8_t *host = code_page(dc, lin, &phys);
    dc->next_eip++;
    if (!dc->code64 && !dc->code32) {
        /* 16-bit code: the instruction pointer wraps within the segment. */
    }
    if (host) {
        return host[lin & ~TCG_PAGE_MASK];
    }
    return (uint8_t)dc->cpu->ops->io_read(dc->cpu, phys | (lin & ~TCG_PAGE_MASK), 1);
}

static uint16_t fetch_w(DisasContext *dc)
{
    uint16_t v = fetch_byte(dc);
    return (uint16_t)(v | (fetch_byte(dc) << 8));
}

static uint32_t fetch_l(DisasContext *dc)
{
    uint32_t v = fetch_w(dc);
    return v | ((uint32_t)fetch_w(dc) << 16);
}

static uint64_t fetch_q(DisasContext *dc)
{
    uint64_t v = fetch_l(dc);
    return v | ((uint64_t)fetch_l(dc) << 32);
}

/* ---- lazy flags ---- */

enum { USES_DST = 1, USES_SRC = 2, USES_SRC2 = 4, USES_SRCT = 8 };

static int cc_op_uses(int op)
{
    switch (op) {
    case CC_OP_DYNAMIC: return USES_DST | USES_SRC | USES_SRC2;
    case CC_OP_EFLAGS: return USES_SRC;
    case CC_OP_CLR: return 0;
    case CC_OP_POPCNT: return USES_SRC;
    case CC_OP_ADCB ... CC_OP_ADCQ: case CC_OP_SBBB ... CC_OP_SBBQ: return USES_DST | USES_SRC | USES_SRC2;
    case CC_OP_SUBB ... CC_OP_SUBQ: return USES_DST | USES_SRC | USES_SRCT;
    case CC_OP_LOGICB ... CC_OP_LOGICQ: return USES_DST;
    default: return USES_DST | USES_SRC;
    }
}

static void set_cc_op(DisasContext *dc, int op)
{
    if (dc->cc_op == op) {
        return;
    }
    int dead = cc_op_uses(dc->cc_op) & ~cc_op_uses(op);
    if (dead & USES_DST) {
        tcg_gen_discard(S, G_CC_DST);
    }
    if (dead & USES_SRC) {
        tcg_gen_discard(S, G_CC_SRC);
    }
    if (dead & USES_SRC2) {
        tcg_gen_discard(S, G_CC_SRC2);
    }
    if (dead & USES_SRCT) {
        dc->cc_srcT = -1;
    }
    if (op == CC_OP_DYNAMIC) {
        /* The code that made it dynamic stored it. */
        dc->cc_op_dirty = false;
    } else {
        dc->cc_op_dirty = true;
    }
    dc->cc_op = op;
}

static void gen_update_cc_op(DisasContext *dc)
{
    if (dc->cc_op_dirty) {
        tcg_gen_movi(S, TCG_I32, G_CC_OP, (uint32_t)dc->cc_op);
        dc->cc_op_dirty = false;
    }
}

static TCGv cc_op_value(DisasContext *dc)
{
    return dc->cc_op == CC_OP_DYNAMIC ? G_CC_OP : cst(dc, (uint64_t)dc->cc_op);
}

/* Make the six flags explicit: cc_src = EFLAGS arithmetic bits, cc_op = EFLAGS. */
static void gen_compute_eflags(DisasContext *dc)
{
    if (dc->cc_op == CC_OP_EFLAGS) {
        return;
    }
    TCGv t = tmp(dc);
    if (dc->cc_op == CC_OP_CLR) {
        tcg_gen_movi(S, TCG_I64, t, CC_Z | CC_P);
    } else {
        tcg_gen_callN(S, &helper_info_cc_compute_all, t, cc_op_value(dc), G_CC_DST, G_CC_SRC, G_CC_SRC2);
    }
    tcg_gen_mov(S, TCG_I64, G_CC_SRC, t);
    set_cc_op(dc, CC_OP_EFLAGS);
}

/* The six flags as a value, without changing the lazy representation (safe before a fault). */
static TCGv gen_eflags_value(DisasContext *dc)
{
    TCGv t = tmp(dc);
    if (dc->cc_op == CC_OP_EFLAGS) {
        tcg_gen_andi(S, TCG_I64, t, G_CC_SRC, CC_ALL);
    } else if (dc->cc_op == CC_OP_CLR) {
        tcg_gen_movi(S, TCG_I64, t, CC_Z | CC_P);
    } else {
        tcg_gen_callN(S, &helper_info_cc_compute_all, t, cc_op_value(dc), G_CC_DST, G_CC_SRC, G_CC_SRC2);
    }
    return t;
}

static int cc_size(int op, int base)
{
    return op - base;
}

/* The first operand of the last SUB/CMP, zero-extended to its size. */
static TCGv gen_sub_src1(DisasContext *dc, int ot)
{
    TCGv a = tmp(dc);
    if (dc->cc_srcT >= 0) {
        gen_ext(dc, ot, a, dc->cc_srcT);
    } else {
        tcg_gen_add(S, TCG_I64, a, G_CC_DST, G_CC_SRC);
        gen_ext(dc, ot, a, a);
    }
    return a;
}

/* reg = CF (0 or 1). */
static void gen_compute_c(DisasContext *dc, TCGv reg)
{
    int op = dc->cc_op;
    int ot;
    TCGv a, b;

    switch (op) {
    case CC_OP_SUBB ... CC_OP_SUBQ:
        ot = cc_size(op, CC_OP_SUBB);
        a = gen_sub_src1(dc, ot);
        b = tmp(dc);
        gen_ext(dc, ot, b, G_CC_SRC);
        tcg_gen_setcond(S, TCG_I64, TCG_COND_LTU, reg, a, b);
        return;
    case CC_OP_ADDB ... CC_OP_ADDQ:
        ot = cc_size(op, CC_OP_ADDB);
        a = tmp(dc);
        b = tmp(dc);
        gen_ext(dc, ot, a, G_CC_DST);
        gen_ext(dc, ot, b, G_CC_SRC);
        tcg_gen_setcond(S, TCG_I64, TCG_COND_LTU, reg, a, b);
        return;
    case CC_OP_LOGICB ... CC_OP_LOGICQ:
    case CC_OP_CLR:
    case CC_OP_POPCNT:
        tcg_gen_movi(S, TCG_I64, reg, 0);
        return;
    case CC_OP_INCB ... CC_OP_DECQ:
        tcg_gen_andi(S, TCG_I64, reg, G_CC_SRC, 1);
        return;
    case CC_OP_SHLB ... CC_OP_SHLQ:
        ot = cc_size(op, CC_OP_SHLB);
        tcg_gen_extract(S, TCG_I64, reg, G_CC_SRC, (8u << ot) - 1, 1);
        return;
    case CC_OP_SARB ... CC_OP_SARQ:
    case CC_OP_EFLAGS:
        tcg_gen_andi(S, TCG_I64, reg, G_CC_SRC, 1);
        return;
    case CC_OP_MULB ... CC_OP_MULQ:
        tcg_gen_setcondi(S, TCG_I64, TCG_COND_NE, reg, G_CC_SRC, 0);
        return;
    default:
        tcg_gen_callN(S, &helper_info_cc_compute_c, reg, cc_op_value(dc), G_CC_DST, G_CC_SRC, G_CC_SRC2);
        return;
    }
}

typedef struct CCPrepare {
    TCGCond cond;
    TCGType type;
    TCGv a, b;
} CCPrepare;

/* x86 condition codes (SDM appendix B.1): bit 0 inverts, bits 3:1 select. */
enum { JCC_O, JCC_B, JCC_Z, JCC_BE, JCC_S, JCC_P, JCC_L, JCC_LE };

static CCPrepare cc_from_eflags(DisasContext *dc, int jcc_op)
{
    CCPrepare cc = { TCG_COND_TSTNE, TCG_I64, G_CC_SRC, -1 };
    TCGv t;

    switch (jcc_op) {
    case JCC_O: cc.b = cst(dc, CC_O); break;
    case JCC_B: cc.b = cst(dc, CC_C); break;
    case JCC_Z: cc.b = cst(dc, CC_Z); break;
    case JCC_BE: cc.b = cst(dc, CC_C | CC_Z); break;
    case JCC_S: cc.b = cst(dc, CC_S); break;
    case JCC_P: cc.b = cst(dc, CC_P); break;
    case JCC_L:
        /* SF != OF: OF (bit 11) shifted onto SF (bit 7). */
        t = tmp(dc);
        tcg_gen_shri(S, TCG_I64, t, G_CC_SRC, 4);
        tcg_gen_xor(S, TCG_I64, t, t, G_CC_SRC);
        cc.a = t;
        cc.b = cst(dc, CC_S);
        break;
    default: /* LE: ZF or SF != OF */
        t = tmp(dc);
        tcg_gen_shri(S, TCG_I64, t, G_CC_SRC, 4);
        tcg_gen_xor(S, TCG_I64, t, t, G_CC_SRC);
        cc.a = t;
        cc.b = cst(dc, CC_S | CC_Z);
        break;
    }
    return cc;
}

/* ZF / SF straight from cc_dst. */
static bool cc_from_dst(DisasContext *dc, int ot, int jcc_op, CCPrepare *cc)
{
    if (jcc_op == JCC_Z) {
        if (ot >= MO_32) {
            *cc = (CCPrepare){ TCG_COND_EQ, ty(ot), G_CC_DST, cst(dc, 0) };
        } else {
            *cc = (CCPrepare){ TCG_COND_TSTEQ, TCG_I64, G_CC_DST, cst(dc, size_mask(ot)) };
        }
        return true;
    }
    if (jcc_op == JCC_S) {
        if (ot >= MO_32) {
            *cc = (CCPrepare){ TCG_COND_LT, ty(ot), G_CC_DST, cst(dc, 0) };
        } else {
            *cc = (CCPrepare){ TCG_COND_TSTNE, TCG_I64, G_CC_DST, cst(dc, 1ull << ((8 << ot) - 1)) };
        }
        return true;
    }
    return false;
}

static CCPrepare gen_prepare_cc(DisasContext *dc, int b)
{
    int jcc_op = (b >> 1) & 7;
    int op = dc->cc_op;
    CCPrepare cc;
    int ot;

    switch (op) {
    case CC_OP_SUBB ... CC_OP_SUBQ: {
        ot = cc_size(op, CC_OP_SUBB);
        TCGv a, bb;
        switch (jcc_op) {
        case JCC_B: case JCC_BE:
            a = gen_sub_src1(dc, ot);
            bb = tmp(dc);
            gen_ext(dc, ot, bb, G_CC_SRC);
            cc = (CCPrepare){ jcc_op == JCC_B ? TCG_COND_LTU : TCG_COND_LEU, TCG_I64, a, bb };
            goto done;
        case JCC_L: case JCC_LE:
            a = tmp(dc);
            bb = tmp(dc);
            if (dc->cc_srcT >= 0) {
                gen_exts(dc, ot, a, dc->cc_srcT);
            } else {
                tcg_gen_add(S, TCG_I64, a, G_CC_DST, G_CC_SRC);
                gen_exts(dc, ot, a, a);
            }
            gen_exts(dc, ot, bb, G_CC_SRC);
            cc = (CCPrepare){ jcc_op == JCC_L ? TCG_COND_LT : TCG_COND_LE, TCG_I64, a, bb };
            goto done;
        default:
            if (cc_from_dst(dc, ot, jcc_op, &cc)) {
                goto done;
            }
            break;
        }
        break;
    }
    case CC_OP_LOGICB ... CC_OP_LOGICQ:
        ot = cc_size(op, CC_OP_LOGICB);
        switch (jcc_op) {
        case JCC_O: case JCC_B:
            cc = (CCPrepare){ TCG_COND_NEVER, TCG_I64, G_CC_DST, cst(dc, 0) };
            goto done;
        case JCC_BE:
            jcc_op = JCC_Z;
            break;
        case JCC_L:
            jcc_op = JCC_S;
            break;
        case JCC_LE: {
            TCGv a = tmp(dc);
            gen_exts(dc, ot, a, G_CC_DST);
            cc = (CCPrepare){ TCG_COND_LE, TCG_I64, a, cst(dc, 0) };
            goto done;
        }
        default:
            break;
        }
        if (cc_from_dst(dc, ot, jcc_op, &cc)) {
            goto done;
        }
        break;
    case CC_OP_ADDB ... CC_OP_ADDQ:
        ot = cc_size(op, CC_OP_ADDB);
        if (jcc_op == JCC_B) {
            TCGv a = tmp(dc), bb = tmp(dc);
            gen_ext(dc, ot, a, G_CC_DST);
            gen_ext(dc, ot, bb, G_CC_SRC);
            cc = (CCPrepare){ TCG_COND_LTU, TCG_I64, a, bb };
            goto done;
        }
        if (cc_from_dst(dc, ot, jcc_op, &cc)) {
            goto done;
        }
        break;
    case CC_OP_INCB ... CC_OP_DECQ:
        ot = (op - CC_OP_INCB) & 3;
        if (jcc_op == JCC_B) {
            cc = (CCPrepare){ TCG_COND_TSTNE, TCG_I64, G_CC_SRC, cst(dc, 1) };
            goto done;
        }
        if (cc_from_dst(dc, ot, jcc_op, &cc)) {
            goto done;
        }
        break;
    case CC_OP_SHLB ... CC_OP_SARQ:
    case CC_OP_MULB ... CC_OP_MULQ:
        ot = (op - CC_OP_MULB) & 3;
        if (op >= CC_OP_SHLB) {
            ot = (op - CC_OP_SHLB) & 3;
        }
        if (cc_from_dst(dc, ot, jcc_op, &cc)) {
            goto done;
        }
        break;
    case CC_OP_CLR:
        /* Z and P set, all else clear. */
        cc.type = TCG_I64;
        cc.a = cst(dc, 0);
        cc.b = cst(dc, 0);
        cc.cond = (jcc_op == JCC_Z || jcc_op == JCC_BE || jcc_op == JCC_P || jcc_op == JCC_LE)
                      ? TCG_COND_ALWAYS : TCG_COND_NEVER;
        goto done;
    default:
        break;
    }
    gen_compute_eflags(dc);
    cc = cc_from_eflags(dc, jcc_op);
done:
    if (b & 1) {
        cc.cond = tcg_invert_cond(cc.cond);
    }
    return cc;
}

static void gen_setcc(DisasContext *dc, int b, TCGv reg)
{
    CCPrepare cc = gen_prepare_cc(dc, b);
    if (cc.cond == TCG_COND_NEVER || cc.cond == TCG_COND_ALWAYS) {
        tcg_gen_movi(S, TCG_I64, reg, cc.cond == TCG_COND_ALWAYS);
        return;
    }
    tcg_gen_setcond(S, cc.type, cc.cond, reg, cc.a, cc.b);
}

/* Branch to label if condition b holds.  Both paths see the same (stored) cc_op. */
static void gen_jcc_label(DisasContext *dc, int b, int label)
{
    CCPrepare cc = gen_prepare_cc(dc, b);
    gen_update_cc_op(dc);
    if (cc.cond == TCG_COND_NEVER) {
        return;
    }
    if (cc.cond == TCG_COND_ALWAYS) {
        tcg_gen_br(S, label);
        return;
    }
    tcg_gen_brcond(S, cc.type, cc.cond, cc.a, cc.b, label);
}

/* ---- registers ---- */

static bool byte_reg_is_high(DisasContext *dc, int reg)
{
    return reg >= 4 && reg < 8 && !dc->rex_present;
}

/* t = register value of size ot, zero-extended. */
static void gen_read_reg(DisasContext *dc, int ot, TCGv t, int reg, bool high8)
{
    if (ot == MO_8 && high8) {
        tcg_gen_extract(S, TCG_I64, t, G_REG(reg - 4), 8, 8);
    } else {
        gen_ext(dc, ot, t, G_REG(reg));
    }
}

static void gen_write_reg(DisasContext *dc, int ot, int reg, bool high8, TCGv v)
{
    switch (ot) {
    case MO_8:
        if (high8) {
            tcg_gen_deposit(S, TCG_I64, G_REG(reg - 4), G_REG(reg - 4), v, 8, 8);
        } else {
            tcg_gen_deposit(S, TCG_I64, G_REG(reg), G_REG(reg), v, 0, 8);
        }
        break;
    case MO_16:
        tcg_gen_deposit(S, TCG_I64, G_REG(reg), G_REG(reg), v, 0, 16);
        break;
    case MO_32:
        tcg_gen_mov(S, TCG_I32, G_REG(reg), v);
        break;
    default:
        tcg_gen_mov(S, TCG_I64, G_REG(reg), v);
        break;
    }
}

/* Plain register access by number, for the fixed registers (AL/AX, CX, ...). */
static void gen_read_gpr(DisasContext *dc, int ot, TCGv t, int reg)
{
    gen_read_reg(dc, ot, t, reg, false);
}

static void gen_write_gpr(DisasContext *dc, int ot, int reg, TCGv v)
{
    gen_write_reg(dc, ot, reg, false, v);
}

/* ---- memory ---- */

static TCGMemOpIdx mop(DisasContext *dc, int ot)
{
    return make_memop_idx((TCGMemOp)ot, (unsigned)dc->mem_index);
}

/* Alignment checking at CPL 3 with EFLAGS.AC and CR0.AM (SDM 6.15, interrupt 17). */
static void gen_check_align(DisasContext *dc, int ot, TCGv addr)
{
    if ((dc->flags & HF_AC) && dc->cpl == 3 && ot > MO_8) {
        tcg_gen_callN(S, &helper_info_check_align, -1, S->env, addr, cst(dc, (1u << ot) - 1));
    }
}

/* Stack-segment references are marked: in 64-bit mode a non-canonical one is #SS, not #GP. */
static TCGMemOpIdx mop_seg(DisasContext *dc, int ot, bool ss)
{
    return mop(dc, ot) | (ss ? (unsigned)X86_ACCESS_SS << TCG_OI_ATTR_SHIFT : 0);
}

static void gen_ld_ss(DisasContext *dc, int ot, TCGv t, TCGv addr, bool ss)
{
    gen_check_align(dc, ot, addr);
    tcg_gen_guest_ld(S, t, addr, mop_seg(dc, ot, ss));
}

static void gen_st_ss(DisasContext *dc, int ot, TCGv v, TCGv addr, bool ss)
{
    gen_check_align(dc, ot, addr);
    tcg_gen_guest_st(S, v, addr, mop_seg(dc, ot, ss));
}

static void gen_ld(DisasContext *dc, int ot, TCGv t, TCGv addr)
{
    gen_ld_ss(dc, ot, t, addr, false);
}

static void gen_st(DisasContext *dc, int ot, TCGv v, TCGv addr)
{
    gen_st_ss(dc, ot, v, addr, false);
}

static void gen_gp0(DisasContext *dc);

/*
 * The limit check of an access of `size` bytes at offset `off` (zero-
 * extended, truncated to the address size) through segment `seg`:
 * #GP(0), or #SS(0) for the stack segment (SDM 5.3).  Emitted only for
 * segments whose hflags bit says they are not flat.
 */
static void gen_check_limit(DisasContext *dc, int seg, TCGv off, unsigned size)
{
    if (dc->code64 || size == 0) {
        return;
    }
    uint64_t code = seg == R_SS ? X86_TRAP_SS0 : X86_TRAP_GP0;
    if (!(dc->flags & HF_SEG_LIMCHK(seg))) {
        /* A flat segment: only an access wrapping past offset 0xffffffff is outside (2 host insns). */
        if (size > 1) {
            tcg_gen_trapcond(S, TCG_I32, TCG_COND_GTU, off, cst(dc, 0xffffffffu - (size - 1)), code);
        }
        return;
    }
    TCGv lo = tmp(dc), span = tmp(dc), u = tmp(dc);
    tcg_gen_ld(S, INDEX_op_ld64, lo, S->env, ENV_OFF(seg_lim_lo[seg]));
    tcg_gen_sub(S, TCG_I64, u, off, lo);
    tcg_gen_ld(S, INDEX_op_ld64, span, S->env, ENV_OFF(seg_lim_span[seg]));
    /* The first byte (below lo, u is huge), then the last (u is small now: no wrap-around). */
    tcg_gen_trapcond(S, TCG_I64, TCG_COND_GTU, u, span, code);
    if (size > 1) {
        TCGv t = tmp(dc);
        tcg_gen_addi(S, TCG_I64, t, u, size - 1);
        tcg_gen_trapcond(S, TCG_I64, TCG_COND_GTU, t, span, code);
    }
}

/*
 * Linear address from an offset (already truncated to the address size)
 * and a segment: 64-bit mode adds only FS/GS bases; otherwise the base is
 * added (with 32-bit wrap-around) unless it is known to be zero.  `size`
 * bytes from there are checked against the limit (0: no access, no check).
 */
static TCGv gen_add_seg(DisasContext *dc, TCGv off, int seg, unsigned size)
{
    TCGv a = tmp(dc);

    if (dc->code64) {
        if (seg == R_FS || seg == R_GS) {
            tcg_gen_add(S, TCG_I64, a, off, G_SEG_BASE + seg);
        } else {
            tcg_gen_mov(S, TCG_I64, a, off);
        }
        return a;
    }
    if (dc->flags & HF_SEG_UNUSABLE(seg)) {
        /* A null segment in protected mode: any access through it is a #GP(0). */
        gen_gp0(dc);
    }
    gen_check_limit(dc, seg, off, size);
    bool need_base = dc->addseg || seg == R_CS || seg == R_FS || seg == R_GS;
    if (need_base) {
        tcg_gen_add(S, TCG_I32, a, off, G_SEG_BASE + seg);
    } else {
        tcg_gen_ext32u(S, a, off);
    }
    return a;
}

/* Effective address (offset) of the ModRM memory operand, truncated to the address size. */
static TCGv gen_ea_offset(DisasContext *dc)
{
    TCGv ea = tmp(dc);
    TCGType t = dc->aflag == MO_64 ? TCG_I64 : TCG_I32;

    if (dc->mem_rip_rel) {
        uint64_t v = dc->next_eip + (uint64_t)dc->mem_disp;
        tcg_gen_movi(S, TCG_I64, ea, dc->aflag == MO_32 ? (uint32_t)v : v);
        return ea;
    }
    tcg_gen_movi(S, TCG_I64, ea, (uint64_t)dc->mem_disp);
    if (dc->mem_base >= 0) {
        tcg_gen_add(S, t, ea, ea, G_REG(dc->mem_base));
    }
    if (dc->mem_index_reg >= 0) {
        TCGv x = tmp(dc);
        tcg_gen_shli(S, t, x, G_REG(dc->mem_index_reg), (uint64_t)dc->mem_scale);
        tcg_gen_add(S, t, ea, ea, x);
    }
    if (dc->aflag == MO_16) {
        tcg_gen_ext16u(S, TCG_I64, ea, ea);
    } else if (dc->aflag == MO_32) {
        tcg_gen_ext32u(S, ea, ea);
    }
    return ea;
}

static int seg_for(DisasContext *dc, int def)
{
    return dc->override >= 0 ? dc->override : def;
}

/* Address of a data access of `size` bytes at offset `off` (aflag-truncated) in segment `seg`. */
static TCGv gen_lea_seg(DisasContext *dc, TCGv off, int seg, unsigned size)
{
    return gen_add_seg(dc, off, seg, size);
}

/* ---- operands ---- */

static void gen_ld_op(DisasContext *dc, const X86Op *op, TCGv t)
{
    switch (op->kind) {
    case OPK_REG:
        gen_read_reg(dc, op->ot, t, op->reg, op->high8);
        break;
    case OPK_MEM:
        gen_ld_ss(dc, op->ot, t, dc->A0, dc->mem_seg == R_SS);
        break;
    case OPK_IMM:
        tcg_gen_movi(S, TCG_I64, t, op->imm & size_mask(op->ot));
        break;
    default:
        tcg_gen_movi(S, TCG_I64, t, 0);
        break;
    }
}

/*
 * Load the destination of a read-modify-write instruction: the access is
 * checked for writing, as the CPU does (a fault on the read reports W=1).
 */
static void gen_ld_op_rmw(DisasContext *dc, const X86Op *op, TCGv t)
{
    if (op->kind == OPK_MEM) {
        gen_check_align(dc, op->ot, dc->A0);
        tcg_gen_guest_ld(S, t, dc->A0, mop_seg(dc, op->ot | MO_WRITE_INTENT, dc->mem_seg == R_SS));
        return;
    }
    gen_ld_op(dc, op, t);
}

static void gen_st_op(DisasContext *dc, const X86Op *op, TCGv v)
{
    switch (op->kind) {
    case OPK_REG:
        gen_write_reg(dc, op->ot, op->reg, op->high8, v);
        break;
    case OPK_MEM:
        if (dc->mem_seg == R_CS && dc->pe && !dc->vm86 && !dc->code64) {
            /* Code segments are never writable in protected mode (SDM 3.4.5.1). */
            gen_gp0(dc);
            break;
        }
        gen_st_ss(dc, op->ot, v, dc->A0, dc->mem_seg == R_SS);
        break;
    default:
        break;
    }
}

/* ---- exits ---- */

static void gen_exception(DisasContext *dc, int vector)
{
    gen_update_cc_op(dc);
    tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
    tcg_gen_callN(S, &helper_info_raise_exception, -1, S->env, cst(dc, (uint64_t)vector));
    dc->is_jmp = DISAS_NORETURN;
}

static void gen_exception_err(DisasContext *dc, int vector, int err)
{
    gen_update_cc_op(dc);
    tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
    tcg_gen_callN(S, &helper_info_raise_exception_err, -1, S->env, cst(dc, (uint64_t)vector),
                  cst(dc, (uint64_t)(uint32_t)err));
    dc->is_jmp = DISAS_NORETURN;
}

static void gen_illegal(DisasContext *dc)
{
    gen_exception(dc, EXCP06_ILLOP);
}

static void gen_gp0(DisasContext *dc)
{
    gen_exception_err(dc, EXCP0D_GPF, 0);
}

static uint64_t eip_mask(DisasContext *dc, uint64_t eip, int ot)
{
    if (dc->code64) {
        return ot == MO_64 ? eip : (ot == MO_32 ? (uint32_t)eip : (uint16_t)eip);
    }
    return ot == MO_16 ? (uint16_t)eip : (uint32_t)eip;
}

static bool use_goto_tb(DisasContext *dc, uint64_t eip)
{
    if (dc->flags & HF_TF) {
        return false;
    }
    uint64_t lin = linear_pc(dc, eip) & TCG_PAGE_MASK;
    return lin == (dc->tb->pc & TCG_PAGE_MASK) || lin == (linear_pc(dc, dc->eip) & TCG_PAGE_MASK);
}

/* Common tail of every exit: the single-step trap, or the exit proper. */
static void gen_lookup_and_goto(DisasContext *dc)
{
    if (dc->flags & HF_TF) {
        tcg_gen_callN(S, &helper_info_single_step, -1, S->env);
        return;
    }
    TCGv p = tmp(dc);
    tcg_gen_callN(S, &tcg_helper_info_lookup_tb_ptr, p, S->env);
    tcg_gen_goto_ptr(S, p);
}

/* Jump to a known eip (already masked), chaining when the target is in the same page. */
static void gen_jmp_tb(DisasContext *dc, uint64_t eip, int slot)
{
    gen_update_cc_op(dc);
    tcg_gen_movi(S, TCG_I64, G_EIP, eip);
    if (use_goto_tb(dc, eip)) {
        tcg_gen_goto_tb(S, (unsigned)slot);
        tcg_gen_exit_tb(S, (uintptr_t)dc->tb | (unsigned)slot);
    } else {
        gen_lookup_and_goto(dc);
    }
    dc->is_jmp = DISAS_NORETURN;
}

/* eip global holds the target. */
static void gen_jr(DisasContext *dc)
{
    gen_update_cc_op(dc);
    gen_lookup_and_goto(dc);
    dc->is_jmp = DISAS_NORETURN;
}

/* Back to the exec loop at eip (state changed). */
static void gen_eob(DisasContext *dc, uint64_t eip, bool inhibit)
{
    gen_update_cc_op(dc);
    tcg_gen_movi(S, TCG_I64, G_EIP, eip);
    TCGv h = tmp(dc);
    tcg_gen_ld(S, INDEX_op_ld32u, h, S->env, ENV_OFF(hflags));
    if (inhibit) {
        tcg_gen_ori(S, TCG_I32, h, h, HF_INHIBIT_IRQ);
    } else {
        tcg_gen_andi(S, TCG_I32, h, h, ~(uint64_t)HF_INHIBIT_IRQ);
    }
    tcg_gen_st(S, INDEX_op_st32, h, S->env, ENV_OFF(hflags));
    if (dc->flags & HF_TF) {
        tcg_gen_callN(S, &helper_info_single_step, -1, S->env);
    } else {
        tcg_gen_exit_tb(S, 0);
    }
    dc->is_jmp = DISAS_NORETURN;
}

/* ---- stack ---- */

static int stack_aflag(DisasContext *dc)
{
    return dc->code64 ? MO_64 : (dc->ss32 ? MO_32 : MO_16);
}

/* The stack offset rsp + off, truncated to the stack address size. */
static TCGv gen_stack_off(DisasContext *dc, int64_t off)
{
    TCGv t = tmp(dc);
    int sa = stack_aflag(dc);
    tcg_gen_addi(S, sa == MO_64 ? TCG_I64 : TCG_I32, t, G_REG(R_ESP), (uint64_t)off);
    if (sa == MO_16) {
        tcg_gen_ext16u(S, TCG_I64, t, t);
    }
    return t;
}

/* The linear address of `size` bytes at stack offset `off` (limit-checked: #SS). */
static TCGv gen_stack_addr(DisasContext *dc, TCGv off, unsigned size)
{
    TCGv a = tmp(dc);
    if (!dc->code64) {
        gen_check_limit(dc, R_SS, off, size);
    }
    if (dc->code64) {
        tcg_gen_mov(S, TCG_I64, a, off);
    } else if (dc->addseg || !dc->ss32) {
        tcg_gen_add(S, TCG_I32, a, off, G_SEG_BASE + R_SS);
    } else {
        tcg_gen_ext32u(S, a, off);
    }
    return a;
}

static void gen_set_sp(DisasContext *dc, TCGv newsp)
{
    gen_write_gpr(dc, stack_aflag(dc), R_ESP, newsp);
}

/* Push: store first (may fault), then move rsp. */
static void gen_push(DisasContext *dc, int ot, TCGv val)
{
    TCGv sp = gen_stack_off(dc, -(int64_t)(1 << ot));
    gen_st_ss(dc, ot, val, gen_stack_addr(dc, sp, 1u << ot), true);
    gen_set_sp(dc, sp);
}

/* Load the value at the top of the stack (rsp not moved yet). */
static void gen_pop_load(DisasContext *dc, int ot, TCGv val)
{
    TCGv sp = gen_stack_off(dc, 0);
    gen_ld_ss(dc, ot, val, gen_stack_addr(dc, sp, 1u << ot), true);
}

static void gen_pop_update(DisasContext *dc, int ot)
{
    gen_set_sp(dc, gen_stack_off(dc, 1 << ot));
}

static int push_ot(DisasContext *dc)
{
    /* Stack operations are 16 or 32 bits, or 16/64 in 64-bit mode. */
    return dc->dflag;
}

/* ---- arithmetic ---- */

static void set_cc_result(DisasContext *dc, int opbase, int ot, TCGv dst, TCGv src)
{
    tcg_gen_mov(S, TCG_I64, G_CC_DST, dst);
    if (src >= 0) {
        tcg_gen_mov(S, TCG_I64, G_CC_SRC, src);
    }
    set_cc_op(dc, opbase + ot);
}

static void gen_alu(DisasContext *dc, int mnem, const X86Op *d, const X86Op *src)
{
    int ot = d->ot;
    TCGType t = ty(ot);
    TCGv a = tmp(dc), b = tmp(dc), r = tmp(dc);

    if (mnem == X86_CMP) {
        gen_ld_op(dc, d, a);
    } else {
        gen_ld_op_rmw(dc, d, a);
    }
    gen_ld_op(dc, src, b);
    switch (mnem) {
    case X86_ADD:
        tcg_gen_add(S, t, r, a, b);
        gen_ext(dc, ot, r, r);
        gen_st_op(dc, d, r);
        set_cc_result(dc, CC_OP_ADDB, ot, r, b);
        break;
    case X86_ADC:
    case X86_SBB: {
        TCGv c = tmp(dc);
        gen_compute_c(dc, c);
        if (mnem == X86_ADC) {
            tcg_gen_add(S, t, r, a, b);
            tcg_gen_add(S, t, r, r, c);
        } else {
            tcg_gen_sub(S, t, r, a, b);
            tcg_gen_sub(S, t, r, r, c);
        }
        gen_ext(dc, ot, r, r);
        gen_st_op(dc, d, r);
        tcg_gen_mov(S, TCG_I64, G_CC_SRC2, c);
        set_cc_result(dc, mnem == X86_ADC ? CC_OP_ADCB : CC_OP_SBBB, ot, r, b);
        break;
    }
    case X86_SUB:
    case X86_CMP:
        tcg_gen_sub(S, t, r, a, b);
        gen_ext(dc, ot, r, r);
        if (mnem == X86_SUB) {
            gen_st_op(dc, d, r);
        }
        set_cc_result(dc, CC_OP_SUBB, ot, r, b);
        dc->cc_srcT = a;
        break;
    case X86_AND:
    case X86_OR:
    case X86_XOR:
        if (mnem == X86_AND) {
            tcg_gen_and(S, t, r, a, b);
        } else if (mnem == X86_OR) {
            tcg_gen_or(S, t, r, a, b);
        } else {
            tcg_gen_xor(S, t, r, a, b);
        }
        gen_st_op(dc, d, r);
        set_cc_result(dc, CC_OP_LOGICB, ot, r, -1);
        break;
    }
}

static void gen_inc_dec(DisasContext *dc, const X86Op *d, bool inc)
{
    int ot = d->ot;
    TCGv a = tmp(dc), r = tmp(dc), c = tmp(dc);

    gen_ld_op_rmw(dc, d, a);
    tcg_gen_addi(S, ty(ot), r, a, inc ? 1 : (uint64_t)-1);
    gen_ext(dc, ot, r, r);
    gen_compute_c(dc, c);
    gen_st_op(dc, d, r);
    set_cc_result(dc, inc ? CC_OP_INCB : CC_OP_DECB, ot, r, c);
}

/* SHL/SHR/SAR. */
static void gen_shift(DisasContext *dc, int mnem, const X86Op *d, const X86Op *cnt)
{
    int ot = d->ot;
    TCGType t = ty(ot);
    unsigned mask = ot == MO_64 ? 63 : 31;
    TCGv v = tmp(dc), r = tmp(dc), s1 = tmp(dc);
    int ccop = mnem == X86_SHL ? CC_OP_SHLB : CC_OP_SARB;

    gen_ld_op_rmw(dc, d, v);
    if (mnem == X86_SAR) {
        gen_exts(dc, ot, v, v);
    }
    if (cnt->kind == OPK_IMM) {
        unsigned c = (unsigned)cnt->imm & mask;
        if (c == 0) {
            /*
             * Flags untouched; a 32-bit register is still written (zero-extended)
             * and a memory operand still accessed, as hardware does.
             */
            if (d->kind == OPK_REG && ot == MO_32) {
                gen_write_reg(dc, ot, d->reg, false, G_REG(d->reg));
            } else if (d->kind == OPK_MEM) {
                gen_ld_op_rmw(dc, d, v);
            }
            return;
        }
        if (mnem == X86_SHL) {
            tcg_gen_shli(S, t, s1, v, c - 1);
            tcg_gen_shli(S, t, r, v, c);
        } else if (mnem == X86_SHR) {
            tcg_gen_shri(S, TCG_I64, s1, v, c - 1);
            tcg_gen_shri(S, TCG_I64, r, v, c);
        } else {
            tcg_gen_sari(S, TCG_I64, s1, v, c - 1);
            tcg_gen_sari(S, TCG_I64, r, v, c);
        }
        gen_ext(dc, ot, r, r);
        gen_st_op(dc, d, r);
        set_cc_result(dc, ccop, ot, r, s1);
        return;
    }
    /* Count in CL: a masked count of zero leaves the flags alone. */
    TCGv c = tmp(dc), c1 = tmp(dc);
    gen_read_gpr(dc, MO_8, c, R_ECX);
    tcg_gen_andi(S, TCG_I64, c, c, mask);
    tcg_gen_subi(S, TCG_I64, c1, c, 1);
    if (mnem == X86_SHL) {
        tcg_gen_shl(S, TCG_I64, s1, v, c1);
        tcg_gen_shl(S, TCG_I64, r, v, c);
    } else if (mnem == X86_SHR) {
        tcg_gen_shr(S, TCG_I64, s1, v, c1);
        tcg_gen_shr(S, TCG_I64, r, v, c);
    } else {
        tcg_gen_sar(S, TCG_I64, s1, v, c1);
        tcg_gen_sar(S, TCG_I64, r, v, c);
    }
    gen_ext(dc, ot, r, r);
    gen_st_op(dc, d, r);
    gen_update_cc_op(dc);
    TCGv z = cst(dc, 0);
    tcg_gen_movcond(S, TCG_I64, TCG_COND_NE, G_CC_DST, c, z, r, G_CC_DST);
    tcg_gen_movcond(S, TCG_I64, TCG_COND_NE, G_CC_SRC, c, z, s1, G_CC_SRC);
    tcg_gen_movcond(S, TCG_I32, TCG_COND_NE, G_CC_OP, c, z, cst(dc, (uint64_t)(ccop + ot)), G_CC_OP);
    dc->cc_op = CC_OP_DYNAMIC;
    dc->cc_op_dirty = false;
    dc->cc_srcT = -1;
}

/* ROL/ROR: only CF and OF change (for a nonzero masked count). */
static void gen_rotate(DisasContext *dc, int mnem, const X86Op *d, const X86Op *cnt)
{
    int ot = d->ot;
    unsigned bits = 8u << ot;
    unsigned mask = ot == MO_64 ? 63 : 31;
    TCGv v = tmp(dc), r = tmp(dc), c = tmp(dc);
    bool is_imm = cnt->kind == OPK_IMM;

    if (is_imm && ((unsigned)cnt->imm & mask) == 0) {
        if (d->kind == OPK_REG && ot == MO_32) {
            gen_write_reg(dc, ot, d->reg, false, G_REG(d->reg));
        } else if (d->kind == OPK_MEM) {
            gen_ld_op_rmw(dc, d, v);
        }
        return;
    }
    /* Load (checked for writing) before the flags change form: a fault must see them as they were. */
    gen_ld_op_rmw(dc, d, v);
    gen_compute_eflags(dc);
    if (is_imm) {
        tcg_gen_movi(S, TCG_I64, c, cnt->imm & mask);
    } else {
        gen_read_gpr(dc, MO_8, c, R_ECX);
        tcg_gen_andi(S, TCG_I64, c, c, mask);
    }
    /* Narrow rotates: replicate the value across 32 bits and rotate that. */
    if (ot == MO_8) {
        tcg_gen_muli(S, TCG_I32, r, v, 0x01010101);
    } else if (ot == MO_16) {
        tcg_gen_deposit(S, TCG_I32, r, v, v, 16, 16);
    } else {
        tcg_gen_mov(S, TCG_I64, r, v);
    }
    if (mnem == X86_ROL) {
        tcg_gen_rotl(S, ty(ot), r, r, c);
    } else {
        tcg_gen_rotr(S, ty(ot), r, r, c);
    }
    gen_ext(dc, ot, r, r);
    gen_st_op(dc, d, r);

    /* New CF and OF (SDM: OF defined for count 1; we compute the count-1 formula always). */
    TCGv cf = tmp(dc), of = tmp(dc), f = tmp(dc);
    if (mnem == X86_ROL) {
        tcg_gen_andi(S, TCG_I64, cf, r, 1);
        tcg_gen_shri(S, TCG_I64, of, r, bits - 1);
        tcg_gen_xor(S, TCG_I64, of, of, cf);
    } else {
        tcg_gen_shri(S, TCG_I64, cf, r, bits - 1);
        tcg_gen_shri(S, TCG_I64, of, r, bits - 2);
        tcg_gen_xor(S, TCG_I64, of, of, cf);
        tcg_gen_andi(S, TCG_I64, of, of, 1);
    }
    tcg_gen_shli(S, TCG_I64, of, of, 11);
    tcg_gen_andi(S, TCG_I64, f, G_CC_SRC, ~(uint64_t)(CC_C | CC_O));
    tcg_gen_or(S, TCG_I64, f, f, cf);
    tcg_gen_or(S, TCG_I64, f, f, of);
    if (is_imm) {
        tcg_gen_mov(S, TCG_I64, G_CC_SRC, f);
    } else {
        tcg_gen_movcond(S, TCG_I64, TCG_COND_NE, G_CC_SRC, c, cst(dc, 0), f, G_CC_SRC);
    }
}

static void gen_rcl_rcr(DisasContext *dc, bool left, const X86Op *d, const X86Op *cnt)
{
    int ot = d->ot;
    unsigned mask = ot == MO_64 ? 63 : 31;
    TCGv v = tmp(dc), r = tmp(dc), c = tmp(dc);

    gen_ld_op_rmw(dc, d, v);
    gen_compute_eflags(dc);
    if (cnt->kind == OPK_IMM) {
        tcg_gen_movi(S, TCG_I64, c, cnt->imm & mask);
    } else {
        gen_read_gpr(dc, MO_8, c, R_ECX);
        tcg_gen_andi(S, TCG_I64, c, c, mask);
    }
    gen_update_cc_op(dc);
    tcg_gen_callN(S, left ? &helper_info_rcl : &helper_info_rcr, r, S->env, v, c, cst(dc, (uint64_t)ot));
    gen_st_op(dc, d, r);
}

static void gen_shld_shrd(DisasContext *dc, bool left)
{
    const X86Op *d = &dc->op[0], *src = &dc->op[1], *cnt = &dc->op[2];
    int ot = d->ot;
    unsigned mask = ot == MO_64 ? 63 : 31;
    TCGv v = tmp(dc), sv = tmp(dc), r = tmp(dc), c = tmp(dc);

    gen_ld_op_rmw(dc, d, v);
    gen_compute_eflags(dc);
    gen_ld_op(dc, src, sv);
    if (cnt->kind == OPK_IMM) {
        tcg_gen_movi(S, TCG_I64, c, cnt->imm & mask);
    } else {
        gen_read_gpr(dc, MO_8, c, R_ECX);
        tcg_gen_andi(S, TCG_I64, c, c, mask);
    }
    gen_update_cc_op(dc);
    tcg_gen_callN(S, left ? &helper_info_shld : &helper_info_shrd, r, S->env, v, sv, c, cst(dc, (uint64_t)ot));
    gen_st_op(dc, d, r);
}

static void gen_mul(DisasContext *dc, bool is_signed, const X86Op *src)
{
    int ot = src->ot;
    TCGv b = tmp(dc), a = tmp(dc), lo = tmp(dc), hi = tmp(dc);

    gen_ld_op(dc, src, b);
    gen_read_gpr(dc, ot, a, R_EAX);
    switch (ot) {
    case MO_8:
    case MO_16:
        if (is_signed) {
            gen_exts(dc, ot, a, a);
            gen_exts(dc, ot, b, b);
        }
        tcg_gen_mul(S, TCG_I32, lo, a, b);
        if (ot == MO_8) {
            gen_write_gpr(dc, MO_16, R_EAX, lo);
            if (is_signed) {
                TCGv e = tmp(dc);
                gen_exts(dc, MO_8, e, lo);
                tcg_gen_sub(S, TCG_I32, hi, lo, e);
            } else {
                tcg_gen_andi(S, TCG_I64, hi, lo, 0xff00);
            }
        } else {
            TCGv h = tmp(dc);
            tcg_gen_shri(S, TCG_I32, h, lo, 16);
            gen_write_gpr(dc, MO_16, R_EAX, lo);
            gen_write_gpr(dc, MO_16, R_EDX, h);
            if (is_signed) {
                TCGv e = tmp(dc);
                gen_exts(dc, MO_16, e, lo);
                tcg_gen_sub(S, TCG_I32, hi, lo, e);
            } else {
                tcg_gen_mov(S, TCG_I64, hi, h);
            }
        }
        break;
    default: {
        TCGv h = tmp(dc);
        TCGType t = ty(ot);
        if (is_signed) {
            tcg_gen_muls2(S, t, lo, h, a, b);
            TCGv e = tmp(dc);
            tcg_gen_sari(S, t, e, lo, ot == MO_64 ? 63 : 31);
            tcg_gen_sub(S, t, hi, h, e);
        } else {
            tcg_gen_mulu2(S, t, lo, h, a, b);
            tcg_gen_mov(S, TCG_I64, hi, h);
        }
        gen_write_gpr(dc, ot, R_EAX, lo);
        gen_write_gpr(dc, ot, R_EDX, h);
        break;
    }
    }
    set_cc_result(dc, CC_OP_MULB, ot, lo, hi);
}

/* IMUL r, r/m[, imm]: truncated product, CF=OF when it does not fit. */
static void gen_imul_trunc(DisasContext *dc, int ot, int dreg, TCGv a, TCGv b)
{
    TCGv lo = tmp(dc), ov = tmp(dc);

    if (ot == MO_16) {
        TCGv sa = tmp(dc), sb = tmp(dc), e = tmp(dc);
        gen_exts(dc, MO_16, sa, a);
        gen_exts(dc, MO_16, sb, b);
        tcg_gen_mul(S, TCG_I32, lo, sa, sb);
        gen_exts(dc, MO_16, e, lo);
        tcg_gen_sub(S, TCG_I32, ov, lo, e);
        tcg_gen_ext16u(S, TCG_I64, lo, lo);
    } else {
        TCGType t = ty(ot);
        TCGv h = tmp(dc), e = tmp(dc);
        tcg_gen_muls2(S, t, lo, h, a, b);
        tcg_gen_sari(S, t, e, lo, ot == MO_64 ? 63 : 31);
        tcg_gen_sub(S, t, ov, h, e);
    }
    gen_write_reg(dc, ot, dreg, false, lo);
    set_cc_result(dc, CC_OP_MULB, ot, lo, ov);
}

static void gen_div(DisasContext *dc, bool is_signed, const X86Op *src)
{
    static const TCGHelperInfo *const udiv[4] = {
        &helper_info_divb, &helper_info_divw, &helper_info_divl, &helper_info_divq,
    };
    static const TCGHelperInfo *const sdiv[4] = {
        &helper_info_idivb, &helper_info_idivw, &helper_info_idivl, &helper_info_idivq,
    };
    TCGv b = tmp(dc);
    gen_ld_op(dc, src, b);
    tcg_gen_callN(S, (is_signed ? sdiv : udiv)[src->ot], -1, S->env, b);
}

/* ---- string instructions ---- */

/* Offset register (rSI/rDI/rCX) truncated to the address size. */
static TCGv gen_areg(DisasContext *dc, int reg)
{
    TCGv t = tmp(dc);
    gen_ext(dc, dc->aflag, t, G_REG(reg));
    return t;
}

static TCGv gen_string_src_addr(DisasContext *dc, int ot)
{
    return gen_lea_seg(dc, gen_areg(dc, R_ESI), seg_for(dc, R_DS), 1u << ot);
}

static TCGv gen_string_dst_addr(DisasContext *dc, int ot)
{
    return gen_add_seg(dc, gen_areg(dc, R_EDI), R_ES, 1u << ot);
}

/* reg += DF * size, within the address size. */
static void gen_string_advance(DisasContext *dc, int reg, int ot)
{
    TCGv d = tmp(dc), n = tmp(dc);
    tcg_gen_ld(S, INDEX_op_ld32s, d, S->env, ENV_OFF(df));
    tcg_gen_shli(S, TCG_I64, d, d, (uint64_t)ot);
    tcg_gen_add(S, TCG_I64, n, G_REG(reg), d);
    gen_write_gpr(dc, dc->aflag, reg, n);
}

static void gen_string_once(DisasContext *dc, int mnem, int ot)
{
    TCGv v = tmp(dc), w = tmp(dc);

    switch (mnem) {
    case X86_MOVS:
        gen_ld(dc, ot, v, gen_string_src_addr(dc, ot));
        gen_st(dc, ot, v, gen_string_dst_addr(dc, ot));
        gen_string_advance(dc, R_ESI, ot);
        gen_string_advance(dc, R_EDI, ot);
        break;
    case X86_STOS:
        gen_read_gpr(dc, ot, v, R_EAX);
        gen_st(dc, ot, v, gen_string_dst_addr(dc, ot));
        gen_string_advance(dc, R_EDI, ot);
        break;
    case X86_LODS:
        gen_ld(dc, ot, v, gen_string_src_addr(dc, ot));
        gen_write_gpr(dc, ot, R_EAX, v);
        gen_string_advance(dc, R_ESI, ot);
        break;
    case X86_CMPS: {
        TCGv r = tmp(dc);
        /* ES:rDI is read first (what hardware does: it decides which fault is reported). */
        gen_ld(dc, ot, w, gen_string_dst_addr(dc, ot));
        gen_ld(dc, ot, v, gen_string_src_addr(dc, ot));
        tcg_gen_sub(S, ty(ot), r, v, w);
        gen_ext(dc, ot, r, r);
        gen_string_advance(dc, R_ESI, ot);
        gen_string_advance(dc, R_EDI, ot);
        set_cc_result(dc, CC_OP_SUBB, ot, r, w);
        dc->cc_srcT = v;
        break;
    }
    case X86_SCAS: {
        TCGv r = tmp(dc);
        gen_read_gpr(dc, ot, v, R_EAX);
        gen_ld(dc, ot, w, gen_string_dst_addr(dc, ot));
        tcg_gen_sub(S, ty(ot), r, v, w);
        gen_ext(dc, ot, r, r);
        gen_string_advance(dc, R_EDI, ot);
        set_cc_result(dc, CC_OP_SUBB, ot, r, w);
        dc->cc_srcT = v;
        break;
    }
    default:
        break;
    }
}

/* Port access permission: CPL > IOPL or virtual-8086 mode consult the TSS bitmap. */
static void gen_check_io(DisasContext *dc, TCGv port, int ot)
{
    if (dc->pe && (dc->cpl > dc->iopl || dc->vm86)) {
        tcg_gen_callN(S, &helper_info_check_io, -1, S->env, port, cst(dc, 1u << ot));
    }
}

static void gen_string(DisasContext *dc, int mnem, int ot)
{
    bool rep = dc->prefix & (PREFIX_REPZ | PREFIX_REPNZ);

    if (mnem == X86_INS || mnem == X86_OUTS) {
        TCGv port = tmp(dc);
        gen_read_gpr(dc, MO_16, port, R_EDX);
        gen_check_io(dc, port, ot);
        if (!rep) {
            TCGv v = tmp(dc);
            if (mnem == X86_INS) {
                /* The destination is probed by the store after the read (SDM INS: the port is read first). */
                tcg_gen_callN(S, &helper_info_in, v, S->env, port, cst(dc, 1u << ot));
                gen_st(dc, ot, v, gen_string_dst_addr(dc, ot));
                gen_string_advance(dc, R_EDI, ot);
            } else {
                gen_ld(dc, ot, v, gen_string_src_addr(dc, ot));
                tcg_gen_callN(S, &helper_info_out, -1, S->env, port, cst(dc, 1u << ot), v);
                gen_string_advance(dc, R_ESI, ot);
            }
            dc->is_jmp = DISAS_EOB_NEXT;
            return;
        }
    }
    if (!rep) {
        gen_string_once(dc, mnem, ot);
        return;
    }
    /*
     * REP forms run in a helper that does as many iterations as it can
     * without delaying interrupts much, leaving rCX/rSI/rDI consistent; if
     * rCX is still nonzero (and the REPE/REPNE condition holds) the
     * instruction runs again.
     */
    int seg = (mnem == X86_STOS || mnem == X86_SCAS || mnem == X86_INS) ? R_ES : seg_for(dc, R_DS);
    uint32_t desc = STR_DESC(ot, dc->aflag, seg) | STR_LEN(dc->next_eip - dc->eip);
    const TCGHelperInfo *h = NULL;
    switch (mnem) {
    case X86_MOVS: h = &helper_info_rep_movs; break;
    case X86_STOS: h = &helper_info_rep_stos; break;
    case X86_LODS: h = &helper_info_rep_lods; break;
    case X86_CMPS: h = &helper_info_rep_cmps; break;
    case X86_SCAS: h = &helper_info_rep_scas; break;
    case X86_INS: h = &helper_info_rep_ins; break;
    case X86_OUTS: h = &helper_info_rep_outs; break;
    }
    if (mnem == X86_CMPS || mnem == X86_SCAS) {
        desc |= (dc->prefix & PREFIX_REPNZ) ? STR_REPNZ : STR_REPZ;
        /* The helper computes flags from env: make cc_op current. */
        gen_update_cc_op(dc);
    }
    /* The helper leaves eip at this instruction, or moves it past when the repeat is over. */
    gen_update_cc_op(dc);
    tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
    tcg_gen_callN(S, h, -1, S->env, cst(dc, desc));
    if (mnem == X86_CMPS || mnem == X86_SCAS) {
        /*
         * The helper updates cc_op/cc_dst/cc_src together after each
         * iteration; a fault in a later one must keep them, so this
         * instruction restores with "cc_op as in env".
         */
        tcg_set_insn_aux(S, CC_OP_DYNAMIC);
        set_cc_op(dc, CC_OP_DYNAMIC);
    }
    if (mnem == X86_INS || mnem == X86_OUTS) {
        gen_jr(dc);
        return;
    }
    /* Loop back to this instruction while it is not finished; else go on. */
    int done = tcg_label_new(S);
    tcg_gen_brcondi(S, TCG_I64, TCG_COND_NE, G_EIP, dc->eip, done);
    gen_jmp_tb(dc, dc->eip, 1);
    gen_set_label(dc, done);
    gen_jmp_tb(dc, dc->next_eip, 0);
}

/* ---- control transfer ---- */

static void gen_jcc(DisasContext *dc, int b, uint64_t target)
{
    int l = tcg_label_new(S);
    gen_jcc_label(dc, b, l);
    gen_jmp_tb(dc, dc->next_eip, 0);
    gen_set_label(dc, l);
    gen_jmp_tb(dc, target, 1);
}

static void gen_loop(DisasContext *dc, int mnem, uint64_t target)
{
    int taken = tcg_label_new(S);
    int not_taken = tcg_label_new(S);
    int ot = dc->aflag;
    TCGv c = tmp(dc);

    if (mnem == X86_JCXZ) {
        gen_ext(dc, ot, c, G_REG(R_ECX));
        gen_update_cc_op(dc);
        tcg_gen_brcondi(S, TCG_I64, TCG_COND_EQ, c, 0, taken);
    } else {
        /* LOOP decrements rCX (address size) without touching the flags. */
        tcg_gen_subi(S, TCG_I64, c, G_REG(R_ECX), 1);
        gen_write_gpr(dc, ot, R_ECX, c);
        gen_ext(dc, ot, c, c);
        if (mnem != X86_LOOP) {
            /* LOOPE/LOOPNE also need ZF. */
            TCGv z = tmp(dc);
            gen_setcc(dc, JCC_Z << 1, z);
            gen_update_cc_op(dc);
            tcg_gen_brcondi(S, TCG_I64, TCG_COND_EQ, c, 0, not_taken);
            tcg_gen_brcondi(S, TCG_I64, mnem == X86_LOOPE ? TCG_COND_NE : TCG_COND_EQ, z, 0, taken);
            tcg_gen_br(S, not_taken);
        } else {
            gen_update_cc_op(dc);
            tcg_gen_brcondi(S, TCG_I64, TCG_COND_NE, c, 0, taken);
        }
    }
    gen_set_label(dc, not_taken);
    gen_jmp_tb(dc, dc->next_eip, 0);
    gen_set_label(dc, taken);
    gen_jmp_tb(dc, target, 1);
}

/* Far transfers and privileged operations leave through helpers that may fault. */
static void gen_far_prep(DisasContext *dc)
{
    gen_update_cc_op(dc);
}

/* ---- segment loads ---- */

static void gen_movl_seg(DisasContext *dc, int seg, TCGv sel)
{
    if (dc->pe && !dc->vm86) {
        tcg_gen_callN(S, &helper_info_load_seg, -1, S->env, cst(dc, (uint64_t)seg), sel);
        /* SS: interrupt shadow; DS/ES/SS in 32-bit code may change ADDSEG. */
        if (seg == R_SS) {
            dc->is_jmp = DISAS_EOB_INHIBIT;
        } else if (dc->code32 && seg < R_FS) {
            dc->is_jmp = DISAS_EOB_NEXT;
        }
        return;
    }
    /* Real and virtual-8086 mode: base = selector * 16, limit and attributes stay (big real mode). */
    TCGv v = tmp(dc), base = tmp(dc);
    tcg_gen_ext16u(S, TCG_I64, v, sel);
    tcg_gen_st(S, INDEX_op_st32, v, S->env, ENV_OFF(segs[seg].selector));
    tcg_gen_shli(S, TCG_I64, base, v, 4);
    tcg_gen_mov(S, TCG_I64, G_SEG_BASE + seg, base);
    if (seg == R_SS) {
        dc->is_jmp = DISAS_EOB_INHIBIT;
    }
}

/* ---- the instruction dispatcher ---- */

static void gen_pushf(DisasContext *dc)
{
    TCGv f = tmp(dc), e = tmp(dc);
    TCGv cc = gen_eflags_value(dc);
    tcg_gen_ld(S, INDEX_op_ld32u, e, S->env, ENV_OFF(eflags));
    tcg_gen_or(S, TCG_I64, f, cc, e);
    /* VM and RF are not pushed (SDM PUSHF). */
    tcg_gen_andi(S, TCG_I64, f, f, ~(uint64_t)(VM_MASK | RF_MASK));
    gen_push(dc, dc->dflag, f);
}

static void gen_popf(DisasContext *dc)
{
    TCGv f = tmp(dc);
    uint32_t mask = TF_MASK | AC_MASK | ID_MASK | NT_MASK | DF_MASK | CC_ALL;

    if (dc->pe && !dc->vm86) {
        if (dc->cpl == 0) {
            mask |= IF_MASK | IOPL_MASK;
        } else if (dc->cpl <= dc->iopl) {
            mask |= IF_MASK;
        }
    } else if (dc->vm86) {
        if (dc->iopl < 3) {
            gen_gp0(dc);
            return;
        }
        mask |= IF_MASK;
    } else {
        mask |= IF_MASK | IOPL_MASK;
    }
    if (dc->dflag == MO_16) {
        mask &= 0xffff;
    }
    gen_pop_load(dc, dc->dflag, f);
    gen_pop_update(dc, dc->dflag);
    tcg_gen_callN(S, &helper_info_write_eflags, -1, S->env, f, cst(dc, mask));
    TCGv a = tmp(dc);
    tcg_gen_andi(S, TCG_I64, a, f, CC_ALL);
    tcg_gen_mov(S, TCG_I64, G_CC_SRC, a);
    set_cc_op(dc, CC_OP_EFLAGS);
    dc->is_jmp = DISAS_EOB_NEXT;
}

static void gen_lxs(DisasContext *dc, int seg)
{
    /* Offset then 16-bit selector (SDM LDS/LES/LFS/LGS/LSS). */
    TCGv off = tmp(dc), sel = tmp(dc), a = tmp(dc);
    int ot = dc->dflag;
    gen_ld(dc, ot, off, dc->A0);
    tcg_gen_addi(S, TCG_I64, a, dc->A0, 1u << ot);
    if (!dc->code64) {
        tcg_gen_ext32u(S, a, a);
    }
    gen_ld(dc, MO_16, sel, a);
    gen_movl_seg(dc, seg, sel);
    gen_write_reg(dc, ot, dc->op[0].reg, false, off);
}

static bool check_cpl0(DisasContext *dc)
{
    if (dc->pe && dc->cpl != 0) {
        gen_gp0(dc);
        return false;
    }
    return true;
}

static void gen_enter(DisasContext *dc, int esp_addend, int level)
{
    int ot = dc->dflag;
    int sa = stack_aflag(dc);
    TCGv fp = tmp(dc), sp, bp = tmp(dc);

    level &= 31;
    /* Push rBP. */
    sp = gen_stack_off(dc, -(int64_t)(1 << ot));
    gen_read_gpr(dc, ot, bp, R_EBP);
    gen_st_ss(dc, ot, bp, gen_stack_addr(dc, sp, 1u << ot), true);
    tcg_gen_mov(S, TCG_I64, fp, sp);
    if (level) {
        gen_update_cc_op(dc);
        tcg_gen_callN(S, &helper_info_enter_level, -1, S->env, cst(dc, (uint64_t)level), cst(dc, (uint64_t)ot), fp);
    }
    TCGv nsp = tmp(dc);
    tcg_gen_subi(S, sa == MO_64 ? TCG_I64 : TCG_I32, nsp, fp, (uint64_t)esp_addend + (uint64_t)(level << ot));
    /* Probe the new top of stack? Real CPUs do; writes of nested frames did already. */
    gen_write_gpr(dc, ot, R_EBP, fp);
    gen_set_sp(dc, nsp);
}

static void gen_leave(DisasContext *dc)
{
    int ot = dc->dflag;
    TCGv bp = tmp(dc), v = tmp(dc), nsp = tmp(dc);
    int sa = stack_aflag(dc);

    gen_ext(dc, sa, bp, G_REG(R_EBP));
    gen_ld_ss(dc, ot, v, gen_stack_addr(dc, bp, 1u << ot), true);
    tcg_gen_addi(S, sa == MO_64 ? TCG_I64 : TCG_I32, nsp, bp, 1u << ot);
    gen_set_sp(dc, nsp);
    gen_write_gpr(dc, ot, R_EBP, v);
}

static void gen_bt(DisasContext *dc, int mnem)
{
    const X86Op *d = &dc->op[0], *src = &dc->op[1];
    int ot = d->ot;
    unsigned bits = 8u << ot;
    TCGv off = tmp(dc), v = tmp(dc), bit = tmp(dc), m = tmp(dc);

    gen_ld_op(dc, src, off);
    if (d->kind == OPK_MEM && src->kind != OPK_IMM) {
        /* A register bit offset addresses a bit string: signed, any distance (SDM BT). */
        TCGv disp = tmp(dc);
        gen_exts(dc, ot, disp, off);
        tcg_gen_sari(S, TCG_I64, disp, disp, ot + 3);
        tcg_gen_shli(S, TCG_I64, disp, disp, ot);
        tcg_gen_add(S, TCG_I64, dc->A0, dc->A0, disp);
        if (!dc->code64) {
            tcg_gen_ext32u(S, dc->A0, dc->A0);
        } else if (dc->aflag == MO_32) {
            /* Offsets wrap in the address size; base already added.  Good enough. */
        }
    }
    tcg_gen_andi(S, TCG_I64, off, off, bits - 1);
    if (mnem == X86_BT) {
        gen_ld_op(dc, d, v);
    } else {
        gen_ld_op_rmw(dc, d, v);
    }
    tcg_gen_shr(S, TCG_I64, bit, v, off);
    tcg_gen_andi(S, TCG_I64, bit, bit, 1);
    if (mnem != X86_BT) {
        TCGv one = tmp(dc), r = tmp(dc);
        tcg_gen_shl(S, TCG_I64, one, cst(dc, 1), off);
        switch (mnem) {
        case X86_BTS: tcg_gen_or(S, TCG_I64, r, v, one); break;
        case X86_BTR: tcg_gen_andc(S, TCG_I64, r, v, one); break;
        default: tcg_gen_xor(S, TCG_I64, r, v, one); break;
        }
        gen_st_op(dc, d, r);
    }
    /* CF = the bit; ZF unaffected; OF/SF/AF/PF undefined (kept). */
    gen_compute_eflags(dc);
    tcg_gen_andi(S, TCG_I64, m, G_CC_SRC, ~(uint64_t)CC_C);
    tcg_gen_or(S, TCG_I64, G_CC_SRC, m, bit);
}

static void gen_bsf_bsr(DisasContext *dc, bool reverse)
{
    const X86Op *d = &dc->op[0], *src = &dc->op[1];
    int ot = d->ot;
    TCGv v = tmp(dc), r = tmp(dc), old = tmp(dc), nv = tmp(dc);

    gen_ld_op(dc, src, v);
    if (reverse) {
        /* bsr = width-1 - clz */
        tcg_gen_clz(S, TCG_I64, r, v, cst(dc, 64));
        tcg_gen_subfi(S, TCG_I64, r, 63, r);
    } else {
        tcg_gen_ctz(S, TCG_I64, r, v, cst(dc, 0));
    }
    /* A zero source leaves the destination untouched (AMD documents it; Intel CPUs do it). */
    gen_ext(dc, ot, nv, r);
    tcg_gen_mov(S, TCG_I64, old, G_REG(d->reg));
    if (ot == MO_16) {
        tcg_gen_deposit(S, TCG_I64, nv, old, nv, 0, 16);
    }
    tcg_gen_movcond(S, TCG_I64, TCG_COND_EQ, G_REG(d->reg), v, cst(dc, 0), old, nv);
    /* ZF = source is zero; the rest undefined: logic flags of the source. */
    set_cc_result(dc, CC_OP_LOGICB, ot, v, -1);
}

static void gen_cmpxchg(DisasContext *dc)
{
    const X86Op *d = &dc->op[0], *src = &dc->op[1];
    int ot = d->ot;
    TCGv old = tmp(dc), nv = tmp(dc), acc = tmp(dc), r = tmp(dc), s = tmp(dc), merged = tmp(dc);

    gen_ld_op_rmw(dc, d, old);
    gen_ld_op(dc, src, s);
    gen_read_gpr(dc, ot, acc, R_EAX);
    tcg_gen_movcond(S, TCG_I64, TCG_COND_EQ, nv, acc, old, s, old);
    if (d->kind == OPK_MEM) {
        /* A memory destination is always written (the locked read-modify-write cycle). */
        gen_st_op(dc, d, nv);
    } else {
        /* A register destination only when equal: unequal leaves all 64 bits alone. */
        TCGv full = tmp(dc), cur = G_REG(d->reg - (d->high8 ? 4 : 0));
        tcg_gen_mov(S, TCG_I64, full, cur);
        gen_st_op(dc, d, nv);
        tcg_gen_movcond(S, TCG_I64, TCG_COND_EQ, cur, acc, old, cur, full);
    }
    /* Not equal: the accumulator gets the old value; equal: it is left alone entirely. */
    switch (ot) {
    case MO_8: tcg_gen_deposit(S, TCG_I64, merged, G_REG(R_EAX), old, 0, 8); break;
    case MO_16: tcg_gen_deposit(S, TCG_I64, merged, G_REG(R_EAX), old, 0, 16); break;
    case MO_32: tcg_gen_ext32u(S, merged, old); break;
    default: tcg_gen_mov(S, TCG_I64, merged, old); break;
    }
    tcg_gen_movcond(S, TCG_I64, TCG_COND_EQ, G_REG(R_EAX), acc, old, G_REG(R_EAX), merged);
    tcg_gen_sub(S, ty(ot), r, acc, old);
    gen_ext(dc, ot, r, r);
    set_cc_result(dc, CC_OP_SUBB, ot, r, old);
    dc->cc_srcT = acc;
}

static void gen_xadd(DisasContext *dc)
{
    const X86Op *d = &dc->op[0], *src = &dc->op[1];
    int ot = d->ot;
    TCGv a = tmp(dc), b = tmp(dc), r = tmp(dc);

    gen_ld_op_rmw(dc, d, a);
    gen_ld_op(dc, src, b);
    tcg_gen_add(S, ty(ot), r, a, b);
    gen_ext(dc, ot, r, r);
    if (d->kind == OPK_MEM) {
        gen_st_op(dc, d, r);
        gen_st_op(dc, src, a);
    } else {
        gen_st_op(dc, src, a);
        gen_st_op(dc, d, r);
    }
    set_cc_result(dc, CC_OP_ADDB, ot, r, b);
}

static void gen_in_out(DisasContext *dc, bool is_out)
{
    int ot = is_out ? dc->op[1].ot : dc->op[0].ot;
    const X86Op *portop = is_out ? &dc->op[0] : &dc->op[1];
    TCGv port = tmp(dc), v = tmp(dc);

    if (ot == MO_64) {
        ot = MO_32;
    }
    if (portop->kind == OPK_IMM) {
        tcg_gen_movi(S, TCG_I64, port, portop->imm & 0xff);
    } else {
        gen_read_gpr(dc, MO_16, port, R_EDX);
    }
    gen_check_io(dc, port, ot);
    if (is_out) {
        gen_read_gpr(dc, ot, v, R_EAX);
        tcg_gen_callN(S, &helper_info_out, -1, S->env, port, cst(dc, 1u << ot), v);
        /* A port write may remap memory or raise an interrupt: leave the block. */
        dc->is_jmp = DISAS_EOB_NEXT;
    } else {
        tcg_gen_callN(S, &helper_info_in, v, S->env, port, cst(dc, 1u << ot));
        gen_write_gpr(dc, ot, R_EAX, v);
        if (dc->tb->cflags & CF_ICOUNT) {
            /* With instruction counting a port access ends its block: device time is exact there. */
            dc->is_jmp = DISAS_EOB_NEXT;
        }
    }
}

static void gen_sahf(DisasContext *dc)
{
    TCGv ah = tmp(dc), f = tmp(dc);
    gen_compute_eflags(dc);
    tcg_gen_extract(S, TCG_I64, ah, G_REG(R_EAX), 8, 8);
    tcg_gen_andi(S, TCG_I64, ah, ah, CC_S | CC_Z | CC_A | CC_P | CC_C);
    tcg_gen_andi(S, TCG_I64, f, G_CC_SRC, CC_O);
    tcg_gen_or(S, TCG_I64, G_CC_SRC, f, ah);
}

static void gen_lahf(DisasContext *dc)
{
    TCGv f = tmp(dc);
    gen_compute_eflags(dc);
    tcg_gen_andi(S, TCG_I64, f, G_CC_SRC, CC_S | CC_Z | CC_A | CC_P | CC_C);
    tcg_gen_ori(S, TCG_I64, f, f, 2);
    tcg_gen_deposit(S, TCG_I64, G_REG(R_EAX), G_REG(R_EAX), f, 8, 8);
}

/* Set/clear/complement CF. */
static void gen_cf_op(DisasContext *dc, int how)
{
    TCGv f = tmp(dc);
    gen_compute_eflags(dc);
    switch (how) {
    case 0: tcg_gen_andi(S, TCG_I64, f, G_CC_SRC, ~(uint64_t)CC_C); break;
    case 1: tcg_gen_ori(S, TCG_I64, f, G_CC_SRC, CC_C); break;
    default: tcg_gen_xori(S, TCG_I64, f, G_CC_SRC, CC_C); break;
    }
    tcg_gen_mov(S, TCG_I64, G_CC_SRC, f);
}

static void gen_set_df(DisasContext *dc, bool set)
{
    TCGv e = tmp(dc);
    tcg_gen_st(S, INDEX_op_st32, cst(dc, set ? (uint64_t)-1 : 1), S->env, ENV_OFF(df));
    tcg_gen_ld(S, INDEX_op_ld32u, e, S->env, ENV_OFF(eflags));
    if (set) {
        tcg_gen_ori(S, TCG_I32, e, e, DF_MASK);
    } else {
        tcg_gen_andi(S, TCG_I32, e, e, ~(uint64_t)DF_MASK);
    }
    tcg_gen_st(S, INDEX_op_st32, e, S->env, ENV_OFF(eflags));
}

static void gen_cli_sti(DisasContext *dc, bool sti)
{
    /* SDM CLI/STI: protected mode needs CPL <= IOPL; virtual-8086 needs IOPL 3 (no VME). */
    if (dc->pe && ((!dc->vm86 && dc->cpl > dc->iopl) || (dc->vm86 && dc->iopl != 3))) {
        gen_gp0(dc);
        return;
    }
    tcg_gen_callN(S, &helper_info_set_if, -1, S->env, cst(dc, sti));
    /* STI: one more instruction before interrupts are taken. */
    dc->is_jmp = sti ? DISAS_EOB_INHIBIT : DISAS_EOB_NEXT;
}

static void gen_descriptor_table_store(DisasContext *dc, bool idt)
{
    TCGv lim = tmp(dc), base = tmp(dc), a = tmp(dc);
    int32_t off_lim = idt ? ENV_OFF(idt.limit) : ENV_OFF(gdt.limit);
    int32_t off_base = idt ? ENV_OFF(idt.base) : ENV_OFF(gdt.base);
    tcg_gen_ld(S, INDEX_op_ld32u, lim, S->env, off_lim);
    tcg_gen_ld(S, INDEX_op_ld64, base, S->env, off_base);
    gen_st(dc, MO_16, lim, dc->A0);
    tcg_gen_addi(S, TCG_I64, a, dc->A0, 2);
    if (!dc->code64) {
        tcg_gen_ext32u(S, a, a);
    }
    if (dc->code64) {
        gen_st(dc, MO_64, base, a);
    } else {
        /* With a 16-bit operand size the high byte is stored as zero on current CPUs. */
        if (dc->dflag == MO_16) {
            tcg_gen_andi(S, TCG_I64, base, base, 0xffffff);
        }
        gen_st(dc, MO_32, base, a);
    }
}

static void gen_descriptor_table_load(DisasContext *dc, bool idt)
{
    TCGv lim = tmp(dc), base = tmp(dc), a = tmp(dc);
    gen_ld(dc, MO_16, lim, dc->A0);
    tcg_gen_addi(S, TCG_I64, a, dc->A0, 2);
    if (!dc->code64) {
        tcg_gen_ext32u(S, a, a);
    }
    if (dc->code64) {
        gen_ld(dc, MO_64, base, a);
    } else {
        gen_ld(dc, MO_32, base, a);
        if (dc->dflag == MO_16) {
            tcg_gen_andi(S, TCG_I64, base, base, 0xffffff);
        }
    }
    tcg_gen_callN(S, &helper_info_lgdt_lidt, -1, S->env, cst(dc, idt), base, lim);
}

static void gen_grp7_reg(DisasContext *dc)
{
    /* 0F 01 with mod == 3 (SDM table A-6, group 7). */
    switch (dc->modrm) {
    case 0xf8: /* SWAPGS */
        if (!dc->code64) {
            gen_illegal(dc);
            return;
        }
        if (!check_cpl0(dc)) {
            return;
        }
        tcg_gen_callN(S, &helper_info_swapgs, -1, S->env);
        break;
    case 0xf9: /* RDTSCP */
        gen_update_cc_op(dc);
        tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
        tcg_gen_callN(S, &helper_info_rdtscp, -1, S->env);
        break;
    case 0xd0: /* XGETBV: only with OSXSAVE, which we do not offer */
    default:
        gen_illegal(dc);
        break;
    }
}

static void gen_grp15(DisasContext *dc)
{
    if (dc->mod == 3) {
        switch (dc->reg) {
        case 5: case 6: case 7:
            return;   /* LFENCE, MFENCE, SFENCE: one vCPU, in order */
        default:
            gen_illegal(dc);
            return;
        }
    }
    switch (dc->reg) {
    case 0: /* FXSAVE */
    case 1: /* FXRSTOR */
        if (dc->flags & (HF_TS | HF_EM)) {
            gen_exception(dc, (dc->flags & HF_EM) ? EXCP06_ILLOP : EXCP07_PREX);
            return;
        }
        tcg_gen_callN(S, dc->reg == 0 ? &helper_info_fxsave : &helper_info_fxrstor, -1, S->env, dc->A0);
        break;
    case 2: { /* LDMXCSR */
        TCGv v = tmp(dc);
        gen_ld(dc, MO_32, v, dc->A0);
        tcg_gen_st(S, INDEX_op_st32, v, S->env, ENV_OFF(mxcsr));
        break;
    }
    case 3: { /* STMXCSR */
        TCGv v = tmp(dc);
        tcg_gen_ld(S, INDEX_op_ld32u, v, S->env, ENV_OFF(mxcsr));
        gen_st(dc, MO_32, v, dc->A0);
        break;
    }
    case 7: /* CLFLUSH: a no-op for us, but the address must be valid */
        {
            TCGv v = tmp(dc);
            gen_ld(dc, MO_8, v, dc->A0);
        }
        break;
    default:
        gen_illegal(dc);
        break;
    }
}

/* x87: enough for firmware that probes the FPU (FNINIT, FNSTSW, FNSTCW, FLDCW, FWAIT). */
static void gen_fpu(DisasContext *dc)
{
    int op = ((dc->b & 7) << 3) | dc->reg;

    if (dc->flags & (HF_EM | HF_TS)) {
        gen_exception(dc, EXCP07_PREX);
        return;
    }
    if (dc->mod != 3) {
        switch (op) {
        case 0x0d: { /* FLDCW m16 */
            TCGv v = tmp(dc);
            gen_ld(dc, MO_16, v, dc->A0);
            tcg_gen_st(S, INDEX_op_st16, v, S->env, ENV_OFF(fpuc));
            return;
        }
        case 0x0f: { /* FNSTCW m16 */
            TCGv v = tmp(dc);
            tcg_gen_ld(S, INDEX_op_ld16u, v, S->env, ENV_OFF(fpuc));
            gen_st(dc, MO_16, v, dc->A0);
            return;
        }
        case 0x2f: { /* FNSTSW m16 */
            TCGv v = tmp(dc);
            tcg_gen_ld(S, INDEX_op_ld16u, v, S->env, ENV_OFF(fpus));
            gen_st(dc, MO_16, v, dc->A0);
            return;
        }
        default:
            break;
        }
    } else {
        if (dc->b == 0xdb && dc->modrm == 0xe3) {          /* FNINIT */
            tcg_gen_callN(S, &helper_info_fninit, -1, S->env);
            return;
        }
        if (dc->b == 0xdb && dc->modrm == 0xe2) {          /* FNCLEX */
            TCGv v = tmp(dc);
            tcg_gen_ld(S, INDEX_op_ld16u, v, S->env, ENV_OFF(fpus));
            tcg_gen_andi(S, TCG_I32, v, v, 0x7f00);
            tcg_gen_st(S, INDEX_op_st16, v, S->env, ENV_OFF(fpus));
            return;
        }
        if (dc->b == 0xdf && dc->modrm == 0xe0) {          /* FNSTSW AX */
            TCGv v = tmp(dc);
            tcg_gen_ld(S, INDEX_op_ld16u, v, S->env, ENV_OFF(fpus));
            gen_write_gpr(dc, MO_16, R_EAX, v);
            return;
        }
    }
    log_unimp("tcg: x87 opcode %02x /%d (modrm %02x) at %llx\n", dc->b, dc->reg, dc->modrm,
              (unsigned long long)dc->eip);
    gen_illegal(dc);
}

static void gen_insn(DisasContext *dc)
{
    const X86OpEntry *e = &dc->e;
    X86Op *o = dc->op;
    int mnem = e->mnem;
    int ot = o[0].kind ? o[0].ot : dc->dflag;
    TCGv t0, t1;

    switch (mnem) {
    case X86_ADD: case X86_OR: case X86_ADC: case X86_SBB:
    case X86_AND: case X86_SUB: case X86_XOR: case X86_CMP:
        gen_alu(dc, mnem, &o[0], &o[1]);
        break;
    case X86_TEST: {
        TCGv a = tmp(dc), b = tmp(dc), r = tmp(dc);
        gen_ld_op(dc, &o[0], a);
        gen_ld_op(dc, &o[1], b);
        tcg_gen_and(S, TCG_I64, r, a, b);
        set_cc_result(dc, CC_OP_LOGICB, o[0].ot, r, -1);
        break;
    }
    case X86_INC: case X86_DEC:
        gen_inc_dec(dc, &o[0], mnem == X86_INC);
        break;
    case X86_NOT:
        t0 = tmp(dc);
        gen_ld_op_rmw(dc, &o[0], t0);
        tcg_gen_xori(S, TCG_I64, t0, t0, size_mask(o[0].ot));
        gen_st_op(dc, &o[0], t0);
        break;
    case X86_NEG: {
        TCGv a = tmp(dc), r = tmp(dc);
        gen_ld_op_rmw(dc, &o[0], a);
        tcg_gen_neg(S, ty(o[0].ot), r, a);
        gen_ext(dc, o[0].ot, r, r);
        gen_st_op(dc, &o[0], r);
        set_cc_result(dc, CC_OP_SUBB, o[0].ot, r, a);
        dc->cc_srcT = cst(dc, 0);
        break;
    }
    case X86_MUL: case X86_IMUL1:
        gen_mul(dc, mnem == X86_IMUL1, &o[0]);
        break;
    case X86_DIV: case X86_IDIV:
        gen_div(dc, mnem == X86_IDIV, &o[0]);
        break;
    case X86_IMUL2: case X86_IMUL3:
        t0 = tmp(dc);
        t1 = tmp(dc);
        gen_ld_op(dc, &o[1], t0);
        gen_ld_op(dc, mnem == X86_IMUL3 ? &o[2] : &o[0], t1);
        gen_imul_trunc(dc, o[0].ot, o[0].reg, t0, t1);
        break;
    case X86_SHL: case X86_SHR: case X86_SAR:
        gen_shift(dc, mnem, &o[0], &o[1]);
        break;
    case X86_ROL: case X86_ROR:
        gen_rotate(dc, mnem, &o[0], &o[1]);
        break;
    case X86_RCL: case X86_RCR:
        gen_rcl_rcr(dc, mnem == X86_RCL, &o[0], &o[1]);
        break;
    case X86_SHLD: case X86_SHRD:
        gen_shld_shrd(dc, mnem == X86_SHLD);
        break;
    case X86_MOV:
        t0 = tmp(dc);
        gen_ld_op(dc, &o[1], t0);
        gen_st_op(dc, &o[0], t0);
        break;
    case X86_MOVZX:
        t0 = tmp(dc);
        gen_ld_op(dc, &o[1], t0);
        gen_write_reg(dc, o[0].ot, o[0].reg, false, t0);
        break;
    case X86_MOVSX: case X86_MOVSXD:
        t0 = tmp(dc);
        gen_ld_op(dc, &o[1], t0);
        gen_exts(dc, o[1].ot, t0, t0);
        gen_ext(dc, o[0].ot, t0, t0);
        gen_write_reg(dc, o[0].ot, o[0].reg, false, t0);
        break;
    case X86_LEA:
        t0 = gen_ea_offset(dc);
        gen_ext(dc, o[0].ot, t0, t0);
        gen_write_reg(dc, o[0].ot, o[0].reg, false, t0);
        break;
    case X86_XCHG:
        t0 = tmp(dc);
        t1 = tmp(dc);
        gen_ld_op_rmw(dc, &o[0], t0);
        gen_ld_op(dc, &o[1], t1);
        if (o[0].kind == OPK_MEM) {
            gen_st_op(dc, &o[0], t1);
            gen_st_op(dc, &o[1], t0);
        } else {
            gen_st_op(dc, &o[1], t0);
            gen_st_op(dc, &o[0], t1);
        }
        break;
    case X86_NOP:
        if (dc->b == 0x90 && dc->rex_b && !dc->has_modrm) {
            /* 90 with REX.B is XCHG r8, rAX. */
            X86Op r8 = { OPK_REG, (uint8_t)dc->dflag, 8, false, 0 };
            X86Op ax = { OPK_REG, (uint8_t)dc->dflag, 0, false, 0 };
            t0 = tmp(dc);
            t1 = tmp(dc);
            gen_ld_op(dc, &r8, t0);
            gen_ld_op(dc, &ax, t1);
            gen_st_op(dc, &r8, t1);
            gen_st_op(dc, &ax, t0);
        }
        break;
    case X86_CBW:
        t0 = tmp(dc);
        gen_read_gpr(dc, dc->dflag - 1, t0, R_EAX);
        gen_exts(dc, dc->dflag - 1, t0, t0);
        gen_ext(dc, dc->dflag, t0, t0);
        gen_write_gpr(dc, dc->dflag, R_EAX, t0);
        break;
    case X86_CWD:
        t0 = tmp(dc);
        gen_read_gpr(dc, dc->dflag, t0, R_EAX);
        gen_exts(dc, dc->dflag, t0, t0);
        tcg_gen_sari(S, TCG_I64, t0, t0, 63);
        gen_ext(dc, dc->dflag, t0, t0);
        gen_write_gpr(dc, dc->dflag, R_EDX, t0);
        break;
    case X86_PUSH:
        t0 = tmp(dc);
        gen_ld_op(dc, &o[0], t0);
        if (o[0].kind == OPK_IMM) {
            gen_ext(dc, push_ot(dc), t0, cst(dc, o[0].imm));
        }
        gen_push(dc, push_ot(dc), t0);
        break;
    case X86_POP:
        t0 = tmp(dc);
        gen_pop_load(dc, push_ot(dc), t0);
        if (o[0].kind == OPK_MEM) {
            /*
             * The address is computed with rSP already incremented (SDM POP), but
             * rSP must still be the old one if the store faults.
             */
            if (dc->mem_base == R_ESP || dc->mem_index_reg == R_ESP) {
                TCGv old_sp = tmp(dc);
                tcg_gen_mov(S, TCG_I64, old_sp, G_REG(R_ESP));
                gen_pop_update(dc, push_ot(dc));
                TCGv off = gen_ea_offset(dc);
                dc->A0 = gen_lea_seg(dc, off, seg_for(dc, dc->mem_def_seg), 1u << push_ot(dc));
                tcg_gen_mov(S, TCG_I64, G_REG(R_ESP), old_sp);
            }
            gen_st_op(dc, &o[0], t0);
            gen_pop_update(dc, push_ot(dc));
        } else {
            gen_pop_update(dc, push_ot(dc));
            gen_st_op(dc, &o[0], t0);
        }
        break;
    case X86_PUSH_SEG: {
        t0 = tmp(dc);
        tcg_gen_ld(S, INDEX_op_ld32u, t0, S->env, ENV_OFF(segs[e->arg].selector));
        gen_push(dc, push_ot(dc), t0);
        break;
    }
    case X86_POP_SEG:
        t0 = tmp(dc);
        gen_pop_load(dc, push_ot(dc), t0);
        gen_movl_seg(dc, e->arg, t0);
        gen_pop_update(dc, push_ot(dc));
        break;
    case X86_PUSHA: {
        int pot = dc->dflag;
        TCGv sp0 = tmp(dc);
        gen_ext(dc, MO_32, sp0, G_REG(R_ESP));
        for (int i = 0; i < 8; i++) {
            TCGv v = tmp(dc);
            TCGv off = gen_stack_off(dc, -(int64_t)((i + 1) << pot));
            if (i == R_ESP) {
                tcg_gen_mov(S, TCG_I64, v, sp0);
            } else {
                gen_read_gpr(dc, pot, v, i);
            }
            gen_st_ss(dc, pot, v, gen_stack_addr(dc, off, 1u << pot), true);
        }
        gen_set_sp(dc, gen_stack_off(dc, -(int64_t)(8 << pot)));
        break;
    }
    case X86_POPA: {
        /* EDI at the top of the stack, EAX deepest; the saved ESP is skipped (SDM POPA). */
        int pot = dc->dflag;
        TCGv vals[8];
        for (int r = 0; r < 8; r++) {
            vals[r] = -1;
            if (r == R_ESP) {
                continue;
            }
            vals[r] = tmp(dc);
            TCGv off = gen_stack_off(dc, (int64_t)((7 - r) << pot));
            gen_ld_ss(dc, pot, vals[r], gen_stack_addr(dc, off, 1u << pot), true);
        }
        TCGv nsp = gen_stack_off(dc, 8 << pot);
        for (int r = 0; r < 8; r++) {
            if (r != R_ESP) {
                gen_write_gpr(dc, pot, r, vals[r]);
            }
        }
        gen_set_sp(dc, nsp);
        break;
    }
    case X86_PUSHF:
        if (dc->vm86 && dc->iopl != 3) {
            gen_gp0(dc);
            break;
        }
        gen_pushf(dc);
        break;
    case X86_POPF:
        gen_popf(dc);
        break;
    case X86_SAHF:
        gen_sahf(dc);
        break;
    case X86_LAHF:
        gen_lahf(dc);
        break;
    case X86_SALC:
        t0 = tmp(dc);
        gen_compute_c(dc, t0);
        tcg_gen_neg(S, TCG_I64, t0, t0);
        gen_write_gpr(dc, MO_8, R_EAX, t0);
        break;
    case X86_XLAT: {
        TCGv off = tmp(dc), al = tmp(dc);
        gen_read_gpr(dc, MO_8, al, R_EAX);
        tcg_gen_add(S, TCG_I64, off, G_REG(R_EBX), al);
        gen_ext(dc, dc->aflag, off, off);
        t0 = tmp(dc);
        gen_ld(dc, MO_8, t0, gen_lea_seg(dc, off, seg_for(dc, R_DS), 1));
        gen_write_gpr(dc, MO_8, R_EAX, t0);
        break;
    }
    case X86_MOVS: case X86_STOS: case X86_LODS: case X86_CMPS: case X86_SCAS:
    case X86_INS: case X86_OUTS: {
        int sot = (dc->b & 1) ? dc->dflag : MO_8;
        gen_string(dc, mnem, sot);
        break;
    }
    case X86_JCC:
        gen_jcc(dc, e->arg, eip_mask(dc, dc->next_eip + o[0].imm, dc->dflag));
        break;
    case X86_JMP:
        gen_jmp_tb(dc, eip_mask(dc, dc->next_eip + o[0].imm, dc->dflag), 0);
        break;
    case X86_CALL: {
        TCGv r = cst(dc, dc->next_eip);
        gen_push(dc, dc->dflag, r);
        gen_jmp_tb(dc, eip_mask(dc, dc->next_eip + o[0].imm, dc->dflag), 0);
        break;
    }
    case X86_CALL_IND: case X86_JMP_IND:
        t0 = tmp(dc);
        gen_ld_op(dc, &o[0], t0);
        gen_ext(dc, dc->dflag, t0, t0);
        if (mnem == X86_CALL_IND) {
            gen_push(dc, dc->dflag, cst(dc, dc->next_eip));
        }
        tcg_gen_mov(S, TCG_I64, G_EIP, t0);
        gen_jr(dc);
        break;
    case X86_RET: {
        t0 = tmp(dc);
        gen_pop_load(dc, dc->dflag, t0);
        gen_set_sp(dc, gen_stack_off(dc, (int64_t)(1 << dc->dflag) + (int64_t)(o[0].kind ? o[0].imm : 0)));
        tcg_gen_mov(S, TCG_I64, G_EIP, t0);
        gen_jr(dc);
        break;
    }
    case X86_LOOP: case X86_LOOPE: case X86_LOOPNE: case X86_JCXZ:
        gen_loop(dc, mnem, eip_mask(dc, dc->next_eip + o[0].imm, dc->dflag));
        break;
    case X86_JMPF: case X86_CALLF: {
        uint64_t off = o[0].imm & 0xffffffff;
        uint32_t sel = (uint32_t)(o[0].imm >> 32);
        gen_far_prep(dc);
        tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
        if (mnem == X86_JMPF) {
            tcg_gen_callN(S, &helper_info_ljmp, -1, S->env, cst(dc, sel), cst(dc, off), cst(dc, dc->next_eip));
        } else {
            tcg_gen_callN(S, &helper_info_lcall, -1, S->env, cst(dc, sel), cst(dc, off), cst(dc, (uint64_t)dc->dflag),
                          cst(dc, dc->next_eip));
        }
        gen_jr(dc);
        break;
    }
    case X86_JMPF_IND: case X86_CALLF_IND: {
        TCGv off = tmp(dc), sel = tmp(dc), a = tmp(dc);
        int fot = dc->dflag;
        gen_ld(dc, fot, off, dc->A0);
        tcg_gen_addi(S, TCG_I64, a, dc->A0, 1u << fot);
        if (!dc->code64) {
            tcg_gen_ext32u(S, a, a);
        }
        gen_ld(dc, MO_16, sel, a);
        gen_far_prep(dc);
        tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
        if (mnem == X86_JMPF_IND) {
            tcg_gen_callN(S, &helper_info_ljmp, -1, S->env, sel, off, cst(dc, dc->next_eip));
        } else {
            tcg_gen_callN(S, &helper_info_lcall, -1, S->env, sel, off, cst(dc, (uint64_t)fot), cst(dc, dc->next_eip));
        }
        gen_jr(dc);
        break;
    }
    case X86_RETF:
        gen_far_prep(dc);
        tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
        tcg_gen_callN(S, &helper_info_lret, -1, S->env, cst(dc, (uint64_t)dc->dflag),
                      cst(dc, o[0].kind ? o[0].imm : 0));
        gen_jr(dc);
        break;
    case X86_IRET:
        if (dc->vm86 && dc->iopl != 3) {
            gen_gp0(dc);
            break;
        }
        gen_far_prep(dc);
        tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
        tcg_gen_callN(S, &helper_info_iret, -1, S->env, cst(dc, (uint64_t)dc->dflag), cst(dc, dc->next_eip));
        set_cc_op(dc, CC_OP_EFLAGS);
        dc->cc_op_dirty = true;
        gen_update_cc_op(dc);
        /* Back to the loop: IF may have changed. */
        gen_update_cc_op(dc);
        tcg_gen_exit_tb(S, 0);
        dc->is_jmp = DISAS_NORETURN;
        break;
    case X86_INT3: case X86_INT: case X86_INT1: {
        int vec = mnem == X86_INT3 ? 3 : mnem == X86_INT1 ? 1 : (int)(o[0].imm & 0xff);
        if (dc->vm86 && dc->iopl != 3 && mnem == X86_INT) {
            gen_gp0(dc);
            break;
        }
        gen_update_cc_op(dc);
        tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
        if (mnem == X86_INT1) {
            tcg_gen_callN(S, &helper_info_raise_exception, -1, S->env, cst(dc, 1));
        } else {
            tcg_gen_callN(S, &helper_info_raise_interrupt, -1, S->env, cst(dc, (uint64_t)vec),
                          cst(dc, dc->next_eip - dc->eip));
        }
        dc->is_jmp = DISAS_NORETURN;
        break;
    }
    case X86_INTO: {
        int l = tcg_label_new(S);
        gen_update_cc_op(dc);
        gen_jcc_label(dc, (JCC_O << 1) | 1, l);
        gen_update_cc_op(dc);
        tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
        tcg_gen_callN(S, &helper_info_raise_interrupt, -1, S->env, cst(dc, 4), cst(dc, dc->next_eip - dc->eip));
        gen_set_label(dc, l);
        break;
    }
    case X86_ENTER:
        gen_enter(dc, (int)(o[0].imm & 0xffff), (int)(o[1].imm & 0xff));
        break;
    case X86_LEAVE:
        gen_leave(dc);
        break;
    case X86_HLT:
        gen_update_cc_op(dc);
        tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
        tcg_gen_callN(S, &helper_info_hlt, -1, S->env, cst(dc, dc->next_eip - dc->eip));
        dc->is_jmp = DISAS_NORETURN;
        break;
    case X86_CMC: gen_cf_op(dc, 2); break;
    case X86_CLC: gen_cf_op(dc, 0); break;
    case X86_STC: gen_cf_op(dc, 1); break;
    case X86_CLD: gen_set_df(dc, false); break;
    case X86_STD: gen_set_df(dc, true); break;
    case X86_CLI: gen_cli_sti(dc, false); break;
    case X86_STI: gen_cli_sti(dc, true); break;
    case X86_IN: gen_in_out(dc, false); break;
    case X86_OUT: gen_in_out(dc, true); break;
    case X86_DAA: case X86_DAS: case X86_AAA: case X86_AAS:
        gen_update_cc_op(dc);
        tcg_gen_callN(S, mnem == X86_DAA ? &helper_info_daa : mnem == X86_DAS ? &helper_info_das :
                         mnem == X86_AAA ? &helper_info_aaa : &helper_info_aas, -1, S->env);
        set_cc_op(dc, CC_OP_EFLAGS);
        dc->cc_op_dirty = false;
        break;
    case X86_AAM: case X86_AAD:
        if (mnem == X86_AAM && (o[0].imm & 0xff) == 0) {
            gen_exception(dc, EXCP00_DIVZ);
            break;
        }
        gen_update_cc_op(dc);
        tcg_gen_callN(S, mnem == X86_AAM ? &helper_info_aam : &helper_info_aad, -1, S->env, cst(dc, o[0].imm & 0xff));
        set_cc_op(dc, CC_OP_EFLAGS);
        dc->cc_op_dirty = false;
        break;
    case X86_MOV_FROM_SEG:
        if (o[1].reg > R_GS) {
            gen_illegal(dc);
            break;
        }
        t0 = tmp(dc);
        tcg_gen_ld(S, INDEX_op_ld32u, t0, S->env, ENV_OFF(segs[o[1].reg].selector));
        /* A register destination takes the zero-extended selector at 32/64 bits. */
        if (o[0].kind == OPK_MEM) {
            o[0].ot = MO_16;
        }
        gen_st_op(dc, &o[0], t0);
        break;
    case X86_MOV_TO_SEG:
        if (o[0].reg > R_GS || o[0].reg == R_CS) {
            gen_illegal(dc);
            break;
        }
        t0 = tmp(dc);
        gen_ld_op(dc, &o[1], t0);
        gen_movl_seg(dc, o[0].reg, t0);
        break;
    case X86_LES: gen_lxs(dc, R_ES); break;
    case X86_LDS: gen_lxs(dc, R_DS); break;
    case X86_LSS: gen_lxs(dc, R_SS); break;
    case X86_LFS: gen_lxs(dc, R_FS); break;
    case X86_LGS: gen_lxs(dc, R_GS); break;
    case X86_CMOV: {
        TCGv v = tmp(dc), c = tmp(dc), old = tmp(dc), nv = tmp(dc);
        gen_ld_op(dc, &o[1], v);
        gen_setcc(dc, e->arg, c);
        gen_read_reg(dc, o[0].ot, old, o[0].reg, false);
        tcg_gen_movcond(S, TCG_I64, TCG_COND_NE, nv, c, cst(dc, 0), v, old);
        /* A 32-bit CMOV writes (zero-extends) its destination whatever the condition. */
        gen_write_reg(dc, o[0].ot, o[0].reg, false, nv);
        break;
    }
    case X86_SETCC:
        t0 = tmp(dc);
        if (o[0].kind == OPK_MEM) {
            /* Fault (if at all) before the flags may change form. */
            TCGv probe = tmp(dc);
            gen_ld_op_rmw(dc, &o[0], probe);
        }
        gen_setcc(dc, e->arg, t0);
        gen_st_op(dc, &o[0], t0);
        break;
    case X86_BT: case X86_BTS: case X86_BTR: case X86_BTC:
        gen_bt(dc, mnem);
        break;
    case X86_BSF: case X86_BSR:
        gen_bsf_bsr(dc, mnem == X86_BSR);
        break;
    case X86_POPCNT: {
        TCGv v = tmp(dc), r = tmp(dc);
        gen_ld_op(dc, &o[1], v);
        tcg_gen_ctpop(S, TCG_I64, r, v);
        gen_write_reg(dc, o[0].ot, o[0].reg, false, r);
        tcg_gen_mov(S, TCG_I64, G_CC_SRC, v);
        set_cc_op(dc, CC_OP_POPCNT);
        break;
    }
    case X86_CMPXCHG:
        gen_cmpxchg(dc);
        break;
    case X86_XADD:
        gen_xadd(dc);
        break;
    case X86_BSWAP:
        t0 = tmp(dc);
        if (o[0].ot == MO_64) {
            tcg_gen_bswap64(S, t0, G_REG(o[0].reg));
        } else {
            tcg_gen_bswap32(S, TCG_I32, t0, G_REG(o[0].reg));
        }
        gen_write_reg(dc, o[0].ot, o[0].reg, false, t0);
        break;
    case X86_MOVBE:
        t0 = tmp(dc);
        if (o[0].kind == OPK_REG) {
            gen_ld(dc, o[0].ot, t0, dc->A0);
        } else {
            gen_read_reg(dc, o[1].ot, t0, o[1].reg, false);
        }
        switch (o[0].kind == OPK_REG ? o[0].ot : o[1].ot) {
        case MO_16: tcg_gen_bswap16(S, TCG_I32, t0, t0); break;
        case MO_32: tcg_gen_bswap32(S, TCG_I32, t0, t0); break;
        default: tcg_gen_bswap64(S, t0, t0); break;
        }
        if (o[0].kind == OPK_REG) {
            gen_write_reg(dc, o[0].ot, o[0].reg, false, t0);
        } else {
            gen_st(dc, o[1].ot, t0, dc->A0);
        }
        break;
    case X86_ARPL: {
        if (!dc->pe || dc->vm86) {
            gen_illegal(dc);
            break;
        }
        TCGv d = tmp(dc), sv = tmp(dc), r = tmp(dc);
        gen_ld_op_rmw(dc, &o[0], d);
        gen_ld_op(dc, &o[1], sv);
        gen_update_cc_op(dc);
        tcg_gen_callN(S, &helper_info_arpl, r, S->env, d, sv);
        gen_st_op(dc, &o[0], r);
        set_cc_op(dc, CC_OP_EFLAGS);
        dc->cc_op_dirty = false;
        break;
    }
    case X86_BOUND: {
        TCGv v = tmp(dc);
        gen_read_reg(dc, o[0].ot, v, o[0].reg, false);
        tcg_gen_callN(S, &helper_info_bound, -1, S->env, dc->A0, v, cst(dc, (uint64_t)o[0].ot));
        break;
    }
    case X86_FWAIT:
        if ((dc->flags & (HF_MP | HF_TS)) == (HF_MP | HF_TS)) {
            gen_exception(dc, EXCP07_PREX);
        }
        break;
    case X86_FPU:
        gen_fpu(dc);
        break;
    case X86_CPUID:
        gen_update_cc_op(dc);
        tcg_gen_callN(S, &helper_info_cpuid, -1, S->env);
        break;
    case X86_RDTSC:
        gen_update_cc_op(dc);
        tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
        tcg_gen_callN(S, &helper_info_rdtsc, -1, S->env);
        break;
    case X86_RDMSR: case X86_WRMSR:
        if (!check_cpl0(dc)) {
            break;
        }
        gen_update_cc_op(dc);
        tcg_gen_callN(S, mnem == X86_RDMSR ? &helper_info_rdmsr : &helper_info_wrmsr, -1, S->env);
        if (mnem == X86_WRMSR) {
            dc->is_jmp = DISAS_EOB_NEXT;
        }
        break;
    case X86_RDPMC:
        gen_gp0(dc);
        break;
    case X86_SLDT: case X86_STR:
        if (!dc->pe || dc->vm86) {
            gen_illegal(dc);
            break;
        }
        t0 = tmp(dc);
        tcg_gen_ld(S, INDEX_op_ld32u, t0, S->env, mnem == X86_SLDT ? ENV_OFF(ldt.selector) : ENV_OFF(tr.selector));
        if (o[0].kind == OPK_MEM) {
            o[0].ot = MO_16;
        }
        gen_st_op(dc, &o[0], t0);
        break;
    case X86_LLDT: case X86_LTR:
        if (!dc->pe || dc->vm86) {
            gen_illegal(dc);
            break;
        }
        if (!check_cpl0(dc)) {
            break;
        }
        t0 = tmp(dc);
        gen_ld_op(dc, &o[0], t0);
        tcg_gen_callN(S, mnem == X86_LLDT ? &helper_info_lldt : &helper_info_ltr, -1, S->env, t0);
        break;
    case X86_VERR: case X86_VERW: case X86_LAR: case X86_LSL: {
        if (!dc->pe || dc->vm86) {
            gen_illegal(dc);
            break;
        }
        const X86Op *selop = (mnem == X86_LAR || mnem == X86_LSL) ? &o[1] : &o[0];
        t0 = tmp(dc);
        gen_ld_op(dc, selop, t0);
        /* The helper reads the lazy flags from env and leaves them as EFLAGS with ZF set or clear. */
        gen_update_cc_op(dc);
        if (mnem == X86_VERR || mnem == X86_VERW) {
            tcg_gen_callN(S, mnem == X86_VERR ? &helper_info_verr : &helper_info_verw, -1, S->env, t0);
        } else {
            TCGv r = tmp(dc), z = tmp(dc);
            int l = tcg_label_new(S);
            tcg_gen_callN(S, mnem == X86_LAR ? &helper_info_lar : &helper_info_lsl, r, S->env, t0);
            /* The destination is written only when ZF is set. */
            tcg_gen_andi(S, TCG_I64, z, G_CC_SRC, CC_Z);
            TCGv lr = tcg_temp_local_new(S);
            tcg_gen_mov(S, TCG_I64, lr, r);
            tcg_gen_brcondi(S, TCG_I64, TCG_COND_EQ, z, 0, l);
            gen_write_reg(dc, o[0].ot, o[0].reg, false, lr);
            gen_set_label(dc, l);
        }
        set_cc_op(dc, CC_OP_EFLAGS);
        dc->cc_op_dirty = false;
        break;
    }
    case X86_SGDT: case X86_SIDT:
        gen_descriptor_table_store(dc, mnem == X86_SIDT);
        break;
    case X86_LGDT: case X86_LIDT:
        gen_descriptor_table_load(dc, mnem == X86_LIDT);
        break;
    case X86_SMSW:
        t0 = tmp(dc);
        tcg_gen_ld(S, INDEX_op_ld64, t0, S->env, ENV_OFF(cr[0]));
        if (o[0].kind == OPK_MEM) {
            o[0].ot = MO_16;
        }
        gen_st_op(dc, &o[0], t0);
        break;
    case X86_LMSW:
        t0 = tmp(dc);
        gen_ld_op(dc, &o[0], t0);
        tcg_gen_callN(S, &helper_info_lmsw, -1, S->env, t0);
        dc->is_jmp = DISAS_EOB_NEXT;
        break;
    case X86_INVLPG:
        gen_update_cc_op(dc);
        tcg_gen_callN(S, &helper_info_invlpg, -1, S->env, dc->A0);
        dc->is_jmp = DISAS_EOB_NEXT;
        break;
    case X86_GRP7_REG:
        gen_grp7_reg(dc);
        break;
    case X86_CLTS:
        tcg_gen_callN(S, &helper_info_clts, -1, S->env);
        dc->is_jmp = DISAS_EOB_NEXT;
        break;
    case X86_INVD: case X86_WBINVD:
        break;
    case X86_MOV_FROM_CR:
        if (o[1].reg != 0 && o[1].reg != 2 && o[1].reg != 3 && o[1].reg != 4 && o[1].reg != 8) {
            gen_illegal(dc);
            break;
        }
        t0 = tmp(dc);
        tcg_gen_callN(S, &helper_info_read_cr, t0, S->env, cst(dc, o[1].reg));
        gen_write_reg(dc, o[0].ot, o[0].reg, false, t0);
        break;
    case X86_MOV_TO_CR:
        if (o[0].reg != 0 && o[0].reg != 2 && o[0].reg != 3 && o[0].reg != 4 && o[0].reg != 8) {
            gen_illegal(dc);
            break;
        }
        t0 = tmp(dc);
        gen_read_reg(dc, o[1].ot, t0, o[1].reg, false);
        gen_update_cc_op(dc);
        tcg_gen_callN(S, &helper_info_write_cr, -1, S->env, cst(dc, o[0].reg), t0);
        dc->is_jmp = DISAS_EOB_NEXT;
        break;
    case X86_MOV_FROM_DR:
        if (o[1].reg > 7) {
            gen_illegal(dc);
            break;
        }
        t0 = tmp(dc);
        tcg_gen_ld(S, INDEX_op_ld64, t0, S->env, ENV_OFF(dr[o[1].reg]));
        gen_write_reg(dc, o[0].ot, o[0].reg, false, t0);
        break;
    case X86_MOV_TO_DR:
        if (o[0].reg > 7) {
            gen_illegal(dc);
            break;
        }
        t0 = tmp(dc);
        gen_read_reg(dc, o[1].ot, t0, o[1].reg, false);
        tcg_gen_callN(S, &helper_info_write_dr, -1, S->env, cst(dc, o[0].reg), t0);
        dc->is_jmp = DISAS_EOB_NEXT;
        break;
    case X86_SYSCALL:
        gen_update_cc_op(dc);
        tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
        tcg_gen_callN(S, &helper_info_syscall, -1, S->env, cst(dc, dc->next_eip));
        set_cc_op(dc, CC_OP_EFLAGS);
        gen_jr(dc);
        break;
    case X86_SYSRET:
        gen_update_cc_op(dc);
        tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
        tcg_gen_callN(S, &helper_info_sysret, -1, S->env, cst(dc, (uint64_t)dc->dflag));
        set_cc_op(dc, CC_OP_EFLAGS);
        gen_update_cc_op(dc);
        tcg_gen_exit_tb(S, 0);
        dc->is_jmp = DISAS_NORETURN;
        break;
    case X86_SYSENTER: case X86_SYSEXIT:
        gen_update_cc_op(dc);
        tcg_gen_movi(S, TCG_I64, G_EIP, dc->eip);
        if (mnem == X86_SYSENTER) {
            tcg_gen_callN(S, &helper_info_sysenter, -1, S->env);
        } else {
            tcg_gen_callN(S, &helper_info_sysexit, -1, S->env, cst(dc, (uint64_t)dc->dflag));
        }
        tcg_gen_exit_tb(S, 0);
        dc->is_jmp = DISAS_NORETURN;
        break;
    case X86_GRP9:
        if (dc->mod == 3) {
            gen_illegal(dc);     /* RDRAND/RDSEED/RDPID not offered */
            break;
        }
        gen_update_cc_op(dc);
        if (dc->rex_w) {
            tcg_gen_callN(S, &helper_info_cmpxchg16b, -1, S->env, dc->A0);
        } else {
            tcg_gen_callN(S, &helper_info_cmpxchg8b, -1, S->env, dc->A0);
        }
        set_cc_op(dc, CC_OP_EFLAGS);
        dc->cc_op_dirty = false;
        break;
    case X86_GRP15:
        gen_grp15(dc);
        break;
    case X86_RSM:
    case X86_UD:
    case X86_SSE:
    default:
        gen_illegal(dc);
        break;
    }
    (void)ot;
}

/* ---- decoding ---- */

static int reg_size(DisasContext *dc, X86OpSpec spec)
{
    switch (spec) {
    case Eb: case Gb: case Ib: case Jb: case Ob: case Zb: case AL: case CL: case Xb: case Yb:
        return MO_8;
    case Ew: case Gw: case Iw: case Mw: case Sw: case DX:
        return MO_16;
    case Ed: case Gd: case Md:
        return MO_32;
    case Rd: case Cd: case Dd:
        /* Control/debug register moves are 64-bit in 64-bit mode (SDM MOV CR). */
        return dc->code64 ? MO_64 : MO_32;
    case Eq: case Gq: case Mq:
        return MO_64;
    case Ey: case Gy: case Ry: case Zy: case My:
        return dc->dflag == MO_64 ? MO_64 : MO_32;
    case Iz: case Jz:
        return dc->dflag == MO_16 ? MO_16 : MO_32;
    default:
        return dc->dflag;
    }
}

/* ModRM + SIB + displacement (SDM vol. 2, tables 2-1 to 2-3). */
static void decode_modrm_mem(DisasContext *dc)
{
    int mod = dc->mod, rm = dc->rm;

    dc->has_mem = true;
    dc->mem_base = -1;
    dc->mem_index_reg = -1;
    dc->mem_scale = 0;
    dc->mem_disp = 0;
    dc->mem_rip_rel = false;
    dc->mem_def_seg = R_DS;

    if (dc->aflag == MO_16) {
        static const int8_t base16[8] = { R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX };
        static const int8_t index16[8] = { R_ESI, R_EDI, R_ESI, R_EDI, -1, -1, -1, -1 };
        if (mod == 0 && rm == 6) {
            dc->mem_disp = fetch_w(dc);
            return;
        }
        dc->mem_base = base16[rm];
        dc->mem_index_reg = index16[rm];
        if (rm == 2 || rm == 3 || rm == 6) {
            dc->mem_def_seg = R_SS;
        }
        if (mod == 1) {
            dc->mem_disp = (int8_t)fetch_byte(dc);
        } else if (mod == 2) {
            dc->mem_disp = (int16_t)fetch_w(dc);
        }
        return;
    }

    int base = rm;
    if (rm == 4) {
        int sib = fetch_byte(dc);
        int index = ((sib >> 3) & 7) | (dc->rex_x << 3);
        dc->mem_scale = sib >> 6;
        base = sib & 7;
        if (index != 4) {
            dc->mem_index_reg = index;
        }
        if (base == 5 && mod == 0) {
            dc->mem_disp = (int32_t)fetch_l(dc);
            base = -1;
        } else {
            base |= dc->rex_b << 3;
        }
    } else if (rm == 5 && mod == 0) {
        dc->mem_disp = (int32_t)fetch_l(dc);
        if (dc->code64) {
            dc->mem_rip_rel = true;
        }
        base = -1;
    } else {
        base |= dc->rex_b << 3;
    }
    dc->mem_base = base;
    if (base == R_ESP || base == R_EBP) {
        dc->mem_def_seg = R_SS;
    }
    if (mod == 1) {
        dc->mem_disp += (int8_t)fetch_byte(dc);
    } else if (mod == 2) {
        dc->mem_disp += (int32_t)fetch_l(dc);
    }
}

static bool spec_uses_modrm(X86OpSpec s)
{
    switch (s) {
    case Eb: case Ew: case Ed: case Eq: case Ev: case Ey:
    case Gb: case Gw: case Gd: case Gq: case Gv: case Gy:
    case M: case Mw: case Md: case Mq: case Mp: case Mv: case My:
    case Rd: case Ry: case Sw: case Cd: case Dd:
        return true;
    default:
        return false;
    }
}

static void set_reg_op(DisasContext *dc, X86Op *op, int ot, int reg)
{
    op->kind = OPK_REG;
    op->ot = (uint8_t)ot;
    op->high8 = ot == MO_8 && byte_reg_is_high(dc, reg);
    op->reg = (uint8_t)reg;
}

/* Returns false for an encoding that is invalid (#UD). */
static bool decode_operand(DisasContext *dc, X86Op *op, X86OpSpec spec)
{
    int ot = reg_size(dc, spec);

    memset(op, 0, sizeof(*op));
    op->ot = (uint8_t)ot;
    switch (spec) {
    case __:
        return true;
    case Eb: case Ew: case Ed: case Eq: case Ev: case Ey:
        if (dc->mod == 3) {
            set_reg_op(dc, op, ot, dc->rm | (dc->rex_b << 3));
        } else {
            op->kind = OPK_MEM;
        }
        return true;
    case M: case Mw: case Md: case Mq: case Mp: case Mv: case My:
        if (dc->mod == 3) {
            return false;
        }
        op->kind = OPK_MEM;
        return true;
    case Gb: case Gw: case Gd: case Gq: case Gv: case Gy:
        set_reg_op(dc, op, ot, dc->reg | (dc->rex_r << 3));
        return true;
    case Rd: case Ry:
        set_reg_op(dc, op, dc->code64 ? MO_64 : MO_32, dc->rm | (dc->rex_b << 3));
        return true;
    case Sw:
        op->kind = OPK_SEG;
        op->reg = (uint8_t)dc->reg;
        return dc->reg <= R_GS;
    case Cd:
        op->kind = OPK_CR;
        op->reg = (uint8_t)(dc->reg | (dc->rex_r << 3));
        return true;
    case Dd:
        op->kind = OPK_DR;
        op->reg = (uint8_t)(dc->reg | (dc->rex_r << 3));
        return true;
    case Ib:
        op->kind = OPK_IMM;
        op->imm = fetch_byte(dc);
        return true;
    case Ibs:
        op->kind = OPK_IMM;
        op->imm = (uint64_t)(int64_t)(int8_t)fetch_byte(dc);
        return true;
    case Iw:
        op->kind = OPK_IMM;
        op->imm = fetch_w(dc);
        return true;
    case Iz:
        op->kind = OPK_IMM;
        if (dc->dflag == MO_16) {
            op->imm = fetch_w(dc);
        } else {
            op->imm = (uint64_t)(int64_t)(int32_t)fetch_l(dc);
        }
        op->ot = (uint8_t)dc->dflag;
        return true;
    case Iv:
        op->kind = OPK_IMM;
        op->imm = dc->dflag == MO_64 ? fetch_q(dc) : dc->dflag == MO_32 ? fetch_l(dc) : fetch_w(dc);
        return true;
    case Jb:
        op->kind = OPK_IMM;
        op->imm = (uint64_t)(int64_t)(int8_t)fetch_byte(dc);
        return true;
    case Jz:
        op->kind = OPK_IMM;
        op->imm = dc->dflag == MO_16 ? (uint64_t)(int64_t)(int16_t)fetch_w(dc)
                                     : (uint64_t)(int64_t)(int32_t)fetch_l(dc);
        return true;
    case Ap: {
        op->kind = OPK_IMM;
        uint64_t off = dc->dflag == MO_16 ? fetch_w(dc) : fetch_l(dc);
        uint64_t sel = fetch_w(dc);
        op->imm = off | (sel << 32);
        return true;
    }
    case Ob: case Ov: {
        uint64_t addr = dc->aflag == MO_64 ? fetch_q(dc) : dc->aflag == MO_32 ? fetch_l(dc) : fetch_w(dc);
        op->kind = OPK_MEM;
        dc->has_mem = true;
        dc->mem_base = -1;
        dc->mem_index_reg = -1;
        dc->mem_scale = 0;
        dc->mem_disp = (int64_t)addr;
        dc->mem_rip_rel = false;
        dc->mem_def_seg = R_DS;
        return true;
    }
    case Zb: case Zv: case Zy:
        set_reg_op(dc, op, ot, (dc->b & 7) | (dc->rex_b << 3));
        return true;
    case AL:
        set_reg_op(dc, op, MO_8, R_EAX);
        return true;
    case CL:
        set_reg_op(dc, op, MO_8, R_ECX);
        return true;
    case DX:
        set_reg_op(dc, op, MO_16, R_EDX);
        return true;
    case eAX:
        set_reg_op(dc, op, dc->dflag, R_EAX);
        return true;
    case One:
        op->kind = OPK_IMM;
        op->imm = 1;
        return true;
    case Xb: case Xv: case Yb: case Yv:
        op->kind = OPK_STR;
        return true;
    default:
        return false;
    }
}

/*
 * How many bytes at the memory operand the instruction accesses, for the
 * segment limit check: the operand's size, the pieces of far pointers,
 * bounds and descriptor-table registers together; 0 for the forms that
 * compute an address without accessing it (hint NOPs, INVLPG).
 */
static unsigned mem_extent(DisasContext *dc, int mnem)
{
    unsigned size = 1;
    for (int i = 0; i < 3; i++) {
        if (dc->op[i].kind == OPK_MEM) {
            size = 1u << (dc->op[i].ot & MO_SIZE);
            break;
        }
    }
    switch (mnem) {
    case X86_NOP: case X86_INVLPG:
        return 0;
    case X86_LES: case X86_LDS: case X86_LSS: case X86_LFS: case X86_LGS:
    case X86_CALLF_IND: case X86_JMPF_IND:
        return size + 2;
    case X86_BOUND:
        return size * 2;
    case X86_SGDT: case X86_SIDT: case X86_LGDT: case X86_LIDT:
        return 6;
    case X86_GRP9:
        return 8;
    default:
        return size;
    }
}

static void disas_insn(DisasContext *dc)
{
    int b;
    int map = X86_MAP_1BYTE;

    dc->prefix = 0;
    dc->override = -1;
    dc->rex_present = false;
    dc->rex_w = dc->rex_r = dc->rex_x = dc->rex_b = 0;
    dc->has_modrm = false;
    dc->has_mem = false;
    dc->A0 = -1;

    /* Prefixes (SDM vol. 2, 2.1.1); a REX only counts right before the opcode. */
    for (;;) {
        b = fetch_byte(dc);
        switch (b) {
        case 0xf3: dc->prefix = (dc->prefix & ~PREFIX_REPNZ) | PREFIX_REPZ; break;
        case 0xf2: dc->prefix = (dc->prefix & ~PREFIX_REPZ) | PREFIX_REPNZ; break;
        case 0xf0: dc->prefix |= PREFIX_LOCK; break;
        case 0x2e: dc->override = R_CS; break;
        case 0x36: dc->override = R_SS; break;
        case 0x3e: dc->override = R_DS; break;
        case 0x26: dc->override = R_ES; break;
        case 0x64: dc->override = R_FS; break;
        case 0x65: dc->override = R_GS; break;
        case 0x66: dc->prefix |= PREFIX_DATA; break;
        case 0x67: dc->prefix |= PREFIX_ADR; break;
        default:
            if (dc->code64 && (b & 0xf0) == 0x40) {
                dc->rex_present = true;
                dc->rex_w = (b >> 3) & 1;
                dc->rex_r = (b >> 2) & 1;
                dc->rex_x = (b >> 1) & 1;
                dc->rex_b = b & 1;
                continue;
            }
            goto prefixes_done;
        }
        /* A legacy prefix after a REX cancels the REX. */
        dc->rex_present = false;
        dc->rex_w = dc->rex_r = dc->rex_x = dc->rex_b = 0;
    }
prefixes_done:
    if (dc->code64 && dc->override >= 0 && dc->override < R_FS) {
        dc->override = -1;    /* CS/DS/ES/SS overrides are ignored in 64-bit mode */
    }
    if (b == 0x0f) {
        b = fetch_byte(dc);
        map = X86_MAP_0F;
        if (b == 0x38) {
            b = fetch_byte(dc);
            map = X86_MAP_0F38;
        } else if (b == 0x3a) {
            gen_illegal(dc);
            return;
        }
    }
    dc->b = b;

    const X86OpEntry *e = map == X86_MAP_1BYTE ? &x86_opcodes_1byte[b]
                        : map == X86_MAP_0F ? &x86_opcodes_0f[b] : &x86_opcodes_0f38[b];
    X86OpEntry ent = *e;

    if (map == X86_MAP_1BYTE && dc->code64) {
        if (b == 0x63) {
            ent = (X86OpEntry){ X86_MOVSXD, { Gv, Ed, __ }, 0, 0 };
        } else if (b == 0xc4 || b == 0xc5) {
            gen_illegal(dc);    /* VEX: no AVX */
            return;
        }
    }
    if (map == X86_MAP_0F && (b == 0x20 || b == 0x21 || b == 0x22 || b == 0x23)) {
        /* MOV to/from CR/DR: ModRM.mod is ignored, always the register form. */
    }

    bool need_modrm = (ent.flags & (XF_MODRM | XF_GROUP | XF_PREFIX_TABLE)) != 0;
    for (int i = 0; i < 3; i++) {
        need_modrm |= spec_uses_modrm((X86OpSpec)ent.op[i]);
    }
    if (need_modrm) {
        dc->has_modrm = true;
        dc->modrm = fetch_byte(dc);
        dc->mod = dc->modrm >> 6;
        dc->reg = (dc->modrm >> 3) & 7;
        dc->rm = dc->modrm & 7;
        if (map == X86_MAP_0F && b >= 0x20 && b <= 0x23) {
            dc->mod = 3;
        }
    }
    if (ent.flags & XF_GROUP) {
        const X86OpEntry *g = &x86_groups[ent.arg][((ent.flags & XF_MOD3) && dc->mod == 3) ? 8 + dc->reg : dc->reg];
        X86OpEntry m = *g;
        if (!g->op[0]) {
            memcpy(m.op, ent.op, sizeof(m.op));
        }
        m.flags = (uint16_t)((g->flags | (ent.flags & (XF_I64 | XF_D64 | XF_F64))) & ~XF_GROUP);
        ent = m;
    }
    if (ent.flags & XF_PREFIX_TABLE) {
        int idx = (dc->prefix & PREFIX_REPZ) ? 2 : (dc->prefix & PREFIX_REPNZ) ? 3 : (dc->prefix & PREFIX_DATA) ? 1 : 0;
        ent = x86_prefix_tables[ent.arg][idx];
    }
    dc->e = ent;
    if (ent.mnem == X86_INVALID || ((ent.flags & XF_I64) && dc->code64) || ((ent.flags & XF_O64) && !dc->code64)) {
        gen_illegal(dc);
        return;
    }

    /* Operand and address size (SDM vol. 1, 3.6 and table 3-4). */
    if (dc->code64) {
        if (dc->rex_w) {
            dc->dflag = MO_64;
        } else if (ent.flags & XF_F64) {
            dc->dflag = MO_64;
        } else if (ent.flags & XF_D64) {
            dc->dflag = (dc->prefix & PREFIX_DATA) ? MO_16 : MO_64;
        } else {
            dc->dflag = (dc->prefix & PREFIX_DATA) ? MO_16 : MO_32;
        }
        dc->aflag = (dc->prefix & PREFIX_ADR) ? MO_32 : MO_64;
    } else {
        dc->dflag = (dc->code32 ^ !!(dc->prefix & PREFIX_DATA)) ? MO_32 : MO_16;
        dc->aflag = (dc->code32 ^ !!(dc->prefix & PREFIX_ADR)) ? MO_32 : MO_16;
    }

    if (dc->has_modrm && dc->mod != 3) {
        bool any_mem = false;
        for (int i = 0; i < 3; i++) {
            any_mem |= spec_uses_modrm((X86OpSpec)ent.op[i]);
        }
        if (any_mem || ent.mnem == X86_NOP || ent.mnem == X86_FPU || ent.mnem == X86_GRP15 ||
            ent.mnem == X86_GRP9 || ent.mnem == X86_SSE) {
            decode_modrm_mem(dc);
        }
    }
    for (int i = 0; i < 3; i++) {
        if (!decode_operand(dc, &dc->op[i], (X86OpSpec)ent.op[i])) {
            gen_illegal(dc);
            return;
        }
    }
    tcg_set_insn_length(S, (unsigned)(dc->next_eip - dc->eip));

    /* LOCK: only on the listed read-modify-write forms with a memory destination (SDM LOCK). */
    if ((dc->prefix & PREFIX_LOCK) && (!(ent.flags & XF_LOCK) || dc->op[0].kind != OPK_MEM)) {
        gen_illegal(dc);
        return;
    }
    if ((ent.flags & XF_PRIV) && dc->pe && dc->cpl != 0) {
        gen_gp0(dc);
        return;
    }
    if (ent.mnem == X86_SSE) {
        /* SSE is not offered yet: #NM first if the FPU is taken away, else #UD. */
        gen_illegal(dc);
        return;
    }
    /* The memory operand's linear address (LEA and string ops compute their own). */
    dc->mem_seg = dc->has_mem ? seg_for(dc, dc->mem_def_seg) : -1;
    if (dc->has_mem && ent.mnem != X86_LEA) {
        TCGv off = gen_ea_offset(dc);
        dc->A0 = gen_lea_seg(dc, off, dc->mem_seg, mem_extent(dc, ent.mnem));
    }
    gen_insn(dc);
}

/* ---- the translation loop ---- */

static bool translate_one(DisasContext *dc)
{
    int r = setjmp(dc->abort_insn);
    if (r == 1) {
        return false;   /* fetch fault on a later instruction: end the block before it */
    }
    if (r == 2) {
        /* Too long: #GP(0) at this instruction. */
        S->nb_ops = dc->ops_start;
        tcg_gen_insn_start(S, dc->eip, dc->cc_op == CC_OP_DYNAMIC ? CC_OP_DYNAMIC : (uint64_t)dc->cc_op);
        gen_gp0(dc);
        return true;
    }
    /* Instruction fetch beyond the CS limit: #GP(0) (SDM 5.3), before anything is fetched or after decoding. */
    bool cs_checked = (dc->flags & HF_SEG_LIMCHK(R_CS)) != 0;
    if (cs_checked && dc->eip > dc->cs_limit) {
        gen_gp0(dc);
        return true;
    }
    int saved_cc_op = dc->cc_op;
    bool saved_dirty = dc->cc_op_dirty;
    TCGv saved_srcT = dc->cc_srcT;
    disas_insn(dc);
    if (cs_checked && dc->next_eip - 1 > dc->cs_limit) {
        S->nb_ops = dc->ops_start;
        dc->cc_op = saved_cc_op;
        dc->cc_op_dirty = saved_dirty;
        dc->cc_srcT = saved_srcT;
        tcg_gen_insn_start(S, dc->eip, dc->cc_op == CC_OP_DYNAMIC ? CC_OP_DYNAMIC : (uint64_t)dc->cc_op);
        dc->is_jmp = DISAS_NEXT;
        gen_gp0(dc);
    }
    return true;
}

static void init_disas_context(DisasContext *dc, TCGCPU *cpu, TCGContext *s, TranslationBlock *tb)
{
    CPUX86State *env = x86_env(cpu);
    uint32_t f = tb->flags;

    memset(dc, 0, sizeof(*dc));
    dc->s = s;
    dc->env = env;
    dc->cpu = cpu;
    dc->tb = tb;
    /* A checked CS has its limit above the 32-bit base in the key (x86_get_tb_key). */
    dc->cs_base = (f & HF_SEG_LIMCHK(R_CS)) ? (uint32_t)tb->cs_base : tb->cs_base;
    dc->cs_limit = (uint32_t)(tb->cs_base >> 32);
    dc->flags = f;
    dc->pe = (f & HF_PE) != 0;
    dc->vm86 = (f & HF_VM) != 0;
    dc->code32 = (f & HF_CS32) != 0;
    dc->code64 = (f & HF_CS64) != 0;
    dc->ss32 = (f & HF_SS32) != 0;
    dc->addseg = (f & HF_ADDSEG) != 0;
    dc->lma = (f & HF_LMA) != 0;
    dc->cpl = (int)(f & HF_CPL_MASK);
    dc->iopl = (int)((f >> HF_IOPL_SHIFT) & 3);
    dc->mem_index = dc->cpl == 3 ? MMU_USER_IDX : MMU_KSMAP_IDX;
    dc->cc_op = CC_OP_DYNAMIC;
    dc->cc_op_dirty = false;
    dc->cc_srcT = -1;
    dc->next_eip = tb->pc - dc->cs_base;
    if (!dc->code64) {
        dc->next_eip = (uint32_t)dc->next_eip;
    }
    uint64_t phys;
    void *host = tcg_get_code_page(cpu, tb->pc, dc->mem_index, &phys);
    dc->page_vaddr[0] = tb->pc & TCG_PAGE_MASK;
    dc->page_host[0] = host;
    dc->page_phys[0] = phys & TCG_PAGE_MASK;
    dc->nb_pages = 1;
}

void x86_translate(TCGCPU *cpu, TCGContext *s, TranslationBlock *tb, int max_insns)
{
    DisasContext ctx, *dc = &ctx;
    TCGv budget_const = -1;
    int exit_label = -1;

    init_disas_context(dc, cpu, s, tb);
    if (dc->flags & (HF_TF | HF_INHIBIT_IRQ)) {
        max_insns = 1;
    }
    dc->max_insns = max_insns;

    /* The block prologue: leave at once if an exit was requested, charge the icount budget. */
    if (!(tb->cflags & CF_NOIRQ)) {
        TCGv t = tcg_temp_new(s);
        exit_label = tcg_label_new(s);
        tcg_gen_ld(s, INDEX_op_ld32s, t, s->env, TCG_CPU_EXIT_REQUEST_OFFSET);
        tcg_gen_brcondi(s, TCG_I32, TCG_COND_NE, t, 0, exit_label);
        if (tb->cflags & CF_ICOUNT) {
            TCGv bud = tcg_temp_new(s);
            budget_const = tcg_const_unique(s, 0);
            tcg_gen_ld(s, INDEX_op_ld32s, bud, s->env, TCG_CPU_ICOUNT_OFFSET);
            tcg_gen_sub(s, TCG_I32, bud, bud, budget_const);
            tcg_gen_brcondi(s, TCG_I32, TCG_COND_LT, bud, 0, exit_label);
            tcg_gen_st(s, INDEX_op_st32, bud, s->env, TCG_CPU_ICOUNT_OFFSET);
        }
    }

    for (;;) {
        dc->eip = dc->next_eip;
        dc->ops_start = s->nb_ops;
        dc->num_insns++;
        tcg_gen_insn_start(s, dc->eip, dc->cc_op == CC_OP_DYNAMIC ? CC_OP_DYNAMIC : (uint64_t)dc->cc_op);
        /* Snapshot the lazy-flags state: an aborted instruction must not leave it changed. */
        int saved_cc_op = dc->cc_op;
        bool saved_dirty = dc->cc_op_dirty;
        TCGv saved_srcT = dc->cc_srcT;
        if (!translate_one(dc)) {
            s->nb_ops = dc->ops_start;
            dc->num_insns--;
            dc->cc_op = saved_cc_op;
            dc->cc_op_dirty = saved_dirty;
            dc->cc_srcT = saved_srcT;
            dc->next_eip = dc->eip;
            dc->is_jmp = DISAS_TOO_MANY;
            break;
        }
        if (dc->is_jmp != DISAS_NEXT) {
            break;
        }
        if (dc->flags & HF_INHIBIT_IRQ) {
            dc->is_jmp = DISAS_EOB_NEXT;
            break;
        }
        if (dc->num_insns >= dc->max_insns) {
            dc->is_jmp = DISAS_TOO_MANY;
            break;
        }
        /* Stop at the page boundary (a block never starts an instruction in a second page). */
        if ((linear_pc(dc, dc->next_eip) & TCG_PAGE_MASK) != dc->page_vaddr[0]) {
            dc->is_jmp = DISAS_TOO_MANY;
            break;
        }
        if (s->nb_ops > 4000) {
            dc->is_jmp = DISAS_TOO_MANY;
            break;
        }
    }

    switch (dc->is_jmp) {
    case DISAS_TOO_MANY:
        gen_jmp_tb(dc, dc->next_eip, 0);
        break;
    case DISAS_EOB_NEXT:
        gen_eob(dc, dc->next_eip, false);
        break;
    case DISAS_EOB_INHIBIT:
        gen_eob(dc, dc->next_eip, true);
        break;
    case DISAS_JUMP:
        gen_jr(dc);
        break;
    default:
        break;
    }
    if (exit_label >= 0) {
        tcg_gen_set_label(s, exit_label);
        tcg_gen_exit_tb(s, (uintptr_t)tb | TB_EXIT_REQUESTED);
    }
    if (budget_const >= 0) {
        s->temps[budget_const].val = (uint64_t)dc->num_insns;
    }
    tb->size = (uint32_t)(linear_pc(dc, dc->next_eip) - tb->pc);
    if (dc->nb_pages < 2 || tb->size == 0 ||
        ((tb->pc + tb->size - 1) & TCG_PAGE_MASK) == (tb->pc & TCG_PAGE_MASK)) {
        tb->page_addr[1] = UINT64_MAX;
    }

    if (log_enabled(LOG_TCG_IN_ASM)) {
        GString *str = g_string_new(NULL);
        uint8_t buf[4096 + 16];
        uint32_t n = tb->size < sizeof(buf) ? tb->size : (uint32_t)sizeof(buf);
        for (uint32_t i = 0; i < n; i++) {
            uint64_t lin = tb->pc + i;
            for (int p = 0; p < dc->nb_pages; p++) {
                if ((lin & TCG_PAGE_MASK) == dc->page_vaddr[p]) {
                    buf[i] = dc->page_host[p] ? dc->page_host[p][lin & ~TCG_PAGE_MASK] : 0xff;
                }
            }
        }
        tcg_disas_x86(str, buf, n, tb->pc - dc->cs_base, dc->code64 ? 64 : dc->code32 ? 32 : 16);
        if (dc->flags & HF_SEG_LIMCHK(R_CS)) {
            log_printf("IN: cs_base 0x%llx cs_limit 0x%x flags 0x%x\n%s\n", (unsigned long long)dc->cs_base,
                       dc->cs_limit, tb->flags, str->str);
        } else {
            log_printf("IN: cs_base 0x%llx flags 0x%x\n%s\n", (unsigned long long)dc->cs_base, tb->flags, str->str);
        }
        g_string_free(str, true);
    }
}
