/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The x86-64 host backend: instruction encoder, register allocator and
 * one emitter per IR op.
 *
 * Register use: rbp holds env for the whole block; r10 and r11 are scratch
 * registers of the emitters (never allocated); rsp points at the fixed
 * frame of spill slots.  The allocator is a single forward pass in the
 * style of QEMU's: a temp is dead, in a register, in memory or a known
 * constant; each op states per argument which registers it accepts, whether
 * an immediate will do, and which input its output must share a register
 * with (x86 two-operand forms).  At block ends, globals and tb temps go to
 * memory.
 *
 * Guest memory accesses compile to the inline TLB hit path; the miss path
 * is out of line at the end of the block: it saves the caller-saved
 * registers that hold live values, calls the softmmu helper with the
 * address of the hit path's end (which identifies the guest instruction
 * for exception restore) and jumps back.
 *
 * Encoding facts: Intel SDM vol. 2, chapter 2 (REX, ModRM, SIB) and the
 * opcode map of appendix A.
 */
#include <assert.h>
#include <string.h>

#include <glib.h>

#include "tcg/codegen.h"
#include "tcg/cpu.h"

enum {
    RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
    R8, R9, R10, R11, R12, R13, R14, R15,
};

#define TCG_AREG0 RBP
#define TMP0 R11
#define TMP1 R10
#define REG_BIT(r) (1u << (r))
#define ALL_REGS 0xffffu
#define RESERVED_REGS (REG_BIT(RSP) | REG_BIT(RBP) | REG_BIT(R10) | REG_BIT(R11))
#define ALLOC_REGS (ALL_REGS & ~RESERVED_REGS)
#define CALL_CLOBBERED (REG_BIT(RAX) | REG_BIT(RCX) | REG_BIT(RDX) | REG_BIT(RSI) | REG_BIT(RDI) | \
                        REG_BIT(R8) | REG_BIT(R9) | REG_BIT(R10) | REG_BIT(R11))

static const int alloc_order[] = { RBX, R12, R13, R14, R15, R9, R8, RCX, RDX, RSI, RDI, RAX };
static const int call_arg_regs[6] = { RDI, RSI, RDX, RCX, R8, R9 };

/* Frame: spill slots at [rsp + 8*i].  With the 6 pushes of the prologue the
 * size keeps rsp 16-byte aligned at every call. */
#define FRAME_SLOTS 256
#define FRAME_SIZE (FRAME_SLOTS * 8 + 8)

/* ---- encoder ---- */

#define P_REXW    0x100
#define P_0F      0x200
#define P_DATA16  0x400
#define P_REXB_R  0x800     /* r is a byte register: spl..dil need a REX */
#define P_REXB_RM 0x1000
#define P_F3      0x2000

/* Opcodes. */
#define OPC_ARITH_EvIz  0x81
#define OPC_ARITH_EvIb  0x83
#define OPC_ARITH_GvEv  0x03   /* + (ext << 3): add 03, or 0b, adc 13, sbb 1b, and 23, sub 2b, xor 33, cmp 3b */
#define OPC_ARITH_EvGv  0x01
#define OPC_MOVB_EvGv   0x88
#define OPC_MOVL_EvGv   0x89
#define OPC_MOVL_GvEv   0x8b
#define OPC_LEA         0x8d
#define OPC_MOVL_Iv     0xb8
#define OPC_MOVL_EvIz   0xc7
#define OPC_MOVB_EvIb   0xc6
#define OPC_SHIFT_1     0xd1
#define OPC_SHIFT_Ib    0xc1
#define OPC_SHIFT_cl    0xd3
#define OPC_GRP3_Ev     0xf7
#define OPC_TESTL       0x85
#define OPC_IMUL_GvEv   (0xaf | P_0F)
#define OPC_IMUL_GvEvIz 0x69
#define OPC_IMUL_GvEvIb 0x6b
#define OPC_MOVZBL      (0xb6 | P_0F)
#define OPC_MOVZWL      (0xb7 | P_0F)
#define OPC_MOVSBL      (0xbe | P_0F)
#define OPC_MOVSWL      (0xbf | P_0F)
#define OPC_MOVSLQ      (0x63 | P_REXW)
#define OPC_SETCC       (0x90 | P_0F)
#define OPC_CMOVCC      (0x40 | P_0F)
#define OPC_JCC_long    (0x80 | P_0F)
#define OPC_JCC_short   0x70
#define OPC_JMP_long    0xe9
#define OPC_JMP_short   0xeb
#define OPC_CALL_Jz     0xe8
#define OPC_BSWAP       (0xc8 | P_0F)
#define OPC_BSF         (0xbc | P_0F)
#define OPC_BSR         (0xbd | P_0F)
#define OPC_POPCNT      (0xb8 | P_0F | P_F3)
#define OPC_GRP5        0xff
#define OPC_PUSH_r      0x50
#define OPC_POP_r       0x58
#define OPC_RET         0xc3

enum { ARITH_ADD = 0, ARITH_OR = 1, ARITH_ADC = 2, ARITH_SBB = 3, ARITH_AND = 4, ARITH_SUB = 5,
       ARITH_XOR = 6, ARITH_CMP = 7 };
enum { SHIFT_ROL = 0, SHIFT_ROR = 1, SHIFT_SHL = 4, SHIFT_SHR = 5, SHIFT_SAR = 7 };
enum { EXT3_NOT = 2, EXT3_NEG = 3, EXT3_MUL = 4, EXT3_IMUL = 5 };
enum { EXT5_CALL_Ev = 2, EXT5_JMP_Ev = 4 };

/* x86 condition codes (SDM appendix B.1). */
enum { JCC_JO = 0, JCC_JNO, JCC_JB, JCC_JAE, JCC_JE, JCC_JNE, JCC_JBE, JCC_JA,
       JCC_JS, JCC_JNS, JCC_JP, JCC_JNP, JCC_JL, JCC_JGE, JCC_JLE, JCC_JG };

static const uint8_t tcg_cond_to_jcc[] = {
    [TCG_COND_EQ] = JCC_JE, [TCG_COND_NE] = JCC_JNE,
    [TCG_COND_LT] = JCC_JL, [TCG_COND_GE] = JCC_JGE,
    [TCG_COND_LE] = JCC_JLE, [TCG_COND_GT] = JCC_JG,
    [TCG_COND_LTU] = JCC_JB, [TCG_COND_GEU] = JCC_JAE,
    [TCG_COND_LEU] = JCC_JBE, [TCG_COND_GTU] = JCC_JA,
    [TCG_COND_TSTEQ] = JCC_JE, [TCG_COND_TSTNE] = JCC_JNE,
};

typedef struct Emit {
    uint8_t *start, *p, *end;
    bool overflow;
} Emit;

static inline void b1(Emit *e, uint8_t v)
{
    if (e->p < e->end) {
        *e->p++ = v;
    } else {
        e->overflow = true;
    }
}

static inline void b4(Emit *e, uint32_t v)
{
    b1(e, (uint8_t)v);
    b1(e, (uint8_t)(v >> 8));
    b1(e, (uint8_t)(v >> 16));
    b1(e, (uint8_t)(v >> 24));
}

static inline void b8(Emit *e, uint64_t v)
{
    b4(e, (uint32_t)v);
    b4(e, (uint32_t)(v >> 32));
}

static inline bool fits_s8(int64_t v) { return v == (int8_t)v; }
static inline bool fits_s32(int64_t v) { return v == (int32_t)v; }

/* Prefixes, REX, escape and opcode byte.  x is an index register or -1. */
static void emit_opc(Emit *e, int opc, int r, int rm, int x)
{
    int rex = 0;

    if (opc & P_DATA16) {
        b1(e, 0x66);
    }
    if (opc & P_F3) {
        b1(e, 0xf3);
    }
    if (opc & P_REXW) {
        rex |= 8;
    }
    rex |= (r & 8) >> 1;
    if (x >= 0) {
        rex |= (x & 8) >> 2;
    }
    rex |= (rm & 8) >> 3;
    if ((opc & P_REXB_R) && r >= 4) {
        rex |= 0x40;
    }
    if ((opc & P_REXB_RM) && rm >= 4) {
        rex |= 0x40;
    }
    if (rex) {
        b1(e, (uint8_t)(0x40 | rex));
    }
    if (opc & P_0F) {
        b1(e, 0x0f);
    }
    b1(e, (uint8_t)opc);
}

static void emit_modrm(Emit *e, int opc, int r, int rm)
{
    emit_opc(e, opc, r, rm, -1);
    b1(e, (uint8_t)(0xc0 | ((r & 7) << 3) | (rm & 7)));
}

/* [base + index + disp]; index -1 for none. */
static void emit_modrm_sib(Emit *e, int opc, int r, int base, int index, int32_t disp)
{
    int mod;

    emit_opc(e, opc, r, base, index);
    if (disp == 0 && (base & 7) != RBP) {
        mod = 0x00;
    } else if (fits_s8(disp)) {
        mod = 0x40;
    } else {
        mod = 0x80;
    }
    if (index >= 0) {
        assert(index != RSP);
        b1(e, (uint8_t)(mod | ((r & 7) << 3) | 4));
        b1(e, (uint8_t)(((index & 7) << 3) | (base & 7)));
    } else if ((base & 7) == RSP) {
        b1(e, (uint8_t)(mod | ((r & 7) << 3) | 4));
        b1(e, 0x24);
    } else {
        b1(e, (uint8_t)(mod | ((r & 7) << 3) | (base & 7)));
    }
    if (mod == 0x40) {
        b1(e, (uint8_t)disp);
    } else if (mod == 0x80) {
        b4(e, (uint32_t)disp);
    }
}

static void emit_modrm_offset(Emit *e, int opc, int r, int base, int32_t disp)
{
    emit_modrm_sib(e, opc, r, base, -1, disp);
}

static int rexw(TCGType t) { return t == TCG_I64 ? P_REXW : 0; }

static void emit_mov_rr(Emit *e, TCGType t, int d, int s)
{
    if (d != s || t == TCG_I32) {
        emit_modrm(e, OPC_MOVL_GvEv | rexw(t), d, s);
    }
}

static void emit_movi(Emit *e, TCGType t, int r, uint64_t v)
{
    if (t == TCG_I32) {
        v = (uint32_t)v;
    }
    if (v == 0) {
        emit_modrm(e, (OPC_ARITH_GvEv + (ARITH_XOR << 3)), r, r);   /* xor r32, r32 */
    } else if (v == (uint32_t)v) {
        emit_opc(e, OPC_MOVL_Iv + (r & 7), 0, r, -1);
        b4(e, (uint32_t)v);
    } else if (fits_s32((int64_t)v)) {
        emit_modrm(e, OPC_MOVL_EvIz | P_REXW, 0, r);
        b4(e, (uint32_t)v);
    } else {
        emit_opc(e, (OPC_MOVL_Iv + (r & 7)) | P_REXW, 0, r, -1);
        b8(e, v);
    }
}

static void emit_ld(Emit *e, TCGType t, int r, int base, int32_t off)
{
    emit_modrm_offset(e, OPC_MOVL_GvEv | rexw(t), r, base, off);
}

static void emit_st(Emit *e, TCGType t, int r, int base, int32_t off)
{
    emit_modrm_offset(e, OPC_MOVL_EvGv | rexw(t), r, base, off);
}

/* op r, imm (arith group 1), r 32 or 64 bits. */
static void emit_arith_ri(Emit *e, TCGType t, int ext, int r, int64_t v)
{
    if (fits_s8(v)) {
        emit_modrm(e, OPC_ARITH_EvIb | rexw(t), ext, r);
        b1(e, (uint8_t)v);
    } else {
        assert(fits_s32(v) || t == TCG_I32);
        emit_modrm(e, OPC_ARITH_EvIz | rexw(t), ext, r);
        b4(e, (uint32_t)v);
    }
}

static void emit_arith_rr(Emit *e, TCGType t, int ext, int d, int s)
{
    emit_modrm(e, (OPC_ARITH_GvEv + (ext << 3)) | rexw(t), d, s);
}

static void emit_shift_ri(Emit *e, TCGType t, int ext, int r, unsigned count)
{
    if (count == 1) {
        emit_modrm(e, OPC_SHIFT_1 | rexw(t), ext, r);
    } else {
        emit_modrm(e, OPC_SHIFT_Ib | rexw(t), ext, r);
        b1(e, (uint8_t)count);
    }
}

static void emit_jmp_abs_rel32(Emit *e, int opc, const uint8_t *target)
{
    /* opc is E9 (jmp), E8 (call) or the 2-byte jcc: rel32 from the end of the instruction. */
    if (opc & P_0F) {
        b1(e, 0x0f);
        b1(e, (uint8_t)opc);
    } else {
        b1(e, (uint8_t)opc);
    }
    int64_t rel = (int64_t)(target - (e->p + 4));
    assert(fits_s32(rel));
    b4(e, (uint32_t)(int32_t)rel);
}

static bool reachable_rel32(Emit *e, const void *target)
{
    int64_t rel = (int64_t)((const uint8_t *)target - (e->p + 5));
    return fits_s32(rel);
}

static void emit_call(Emit *e, const void *fn)
{
    if (reachable_rel32(e, fn)) {
        emit_jmp_abs_rel32(e, OPC_CALL_Jz, fn);
    } else {
        emit_movi(e, TCG_I64, RAX, (uintptr_t)fn);
        emit_modrm(e, OPC_GRP5, EXT5_CALL_Ev, RAX);
    }
}

/* ---- relocations ---- */

typedef struct TCGReloc {
    struct TCGReloc *next;
    uint8_t *where;       /* rel32 field */
} TCGReloc;

/* ---- register allocator ---- */

typedef struct SlowPath {
    bool is_store;
    TCGType type;
    TCGMemOpIdx oi;
    int addr_reg;
    int data_reg;           /* store: value register, or -1 with data_const */
    uint64_t data_const;
    int out_reg;            /* load */
    uint16_t save_regs;     /* caller-saved registers holding live values */
    uint8_t *jne_rel32;     /* the hit path's jne to patch */
    uint8_t *done;          /* back into the block */
} SlowPath;

/* The out-of-line call of a trapcond that fired. */
typedef struct TrapPath {
    uint8_t *jcc_rel32;     /* the guard's jcc to patch */
    uint64_t code;
    uint8_t *ret;           /* the return address reported: just after the jcc */
} TrapPath;

typedef struct RA {
    TCGContext *s;
    const TCGBackend *be;
    Emit e;
    int reg_to_temp[16];
    uint16_t frame_used[FRAME_SLOTS / 16];
    GArray *slow;           /* SlowPath */
    GArray *traps;          /* TrapPath */
    GArray *insn_start;     /* uint32_t host offsets */
    GArray *insn_data;      /* uint64_t pairs */
    GArray *insn_len;       /* uint8_t */
    TCGCodeOut *out;
    bool frame_full;
} RA;

static TCGTemp *T(RA *ra, uint64_t t) { return &ra->s->temps[t]; }
static TCGv temp_index(RA *ra, TCGTemp *ts) { return (TCGv)(ts - ra->s->temps); }

static bool temp_is_mem_kind(const TCGTemp *ts)
{
    return ts->kind == TEMP_GLOBAL || ts->kind == TEMP_TB;
}

static void frame_alloc(RA *ra, TCGTemp *ts)
{
    for (int i = 0; i < FRAME_SLOTS; i++) {
        if (!(ra->frame_used[i / 16] & (1u << (i % 16)))) {
            ra->frame_used[i / 16] |= (uint16_t)(1u << (i % 16));
            ts->mem_offset = i * 8;
            ts->mem_allocated = true;
            return;
        }
    }
    /* Out of slots: finish generating garbage-free code is impossible; the caller retries smaller. */
    ra->frame_full = true;
    ts->mem_offset = 0;
    ts->mem_allocated = true;
}

static void frame_free(RA *ra, TCGTemp *ts)
{
    if (ts->kind == TEMP_EBB && ts->mem_allocated) {
        int i = ts->mem_offset / 8;
        ra->frame_used[i / 16] &= (uint16_t)~(1u << (i % 16));
        ts->mem_allocated = false;
    }
}

static int temp_base(const TCGTemp *ts)
{
    return ts->kind == TEMP_GLOBAL ? TCG_AREG0 : RSP;
}

static TCGType temp_mem_type(const TCGTemp *ts)
{
    return ts->kind == TEMP_GLOBAL ? (TCGType)ts->type : TCG_I64;
}

/* Make memory hold the temp's value. */
static void temp_sync(RA *ra, TCGTemp *ts)
{
    if (ts->kind == TEMP_CONST || ts->kind == TEMP_ENV || ts->mem_coherent) {
        return;
    }
    if (!ts->mem_allocated) {
        frame_alloc(ra, ts);
    }
    switch (ts->val_type) {
    case TEMP_VAL_REG:
        emit_st(&ra->e, temp_mem_type(ts), ts->reg, temp_base(ts), ts->mem_offset);
        break;
    case TEMP_VAL_CONST:
        if (temp_mem_type(ts) == TCG_I32 || fits_s32((int64_t)ts->val)) {
            emit_modrm_offset(&ra->e, OPC_MOVL_EvIz | rexw(temp_mem_type(ts)), 0, temp_base(ts), ts->mem_offset);
            b4(&ra->e, (uint32_t)ts->val);
        } else {
            emit_movi(&ra->e, TCG_I64, TMP0, ts->val);
            emit_st(&ra->e, TCG_I64, TMP0, temp_base(ts), ts->mem_offset);
        }
        break;
    default:
        return;   /* dead or already in memory */
    }
    ts->mem_coherent = true;
}

static void reg_release(RA *ra, TCGTemp *ts)
{
    if (ts->val_type == TEMP_VAL_REG && ts->reg >= 0) {
        if (ra->reg_to_temp[ts->reg] == temp_index(ra, ts)) {
            ra->reg_to_temp[ts->reg] = -1;
        }
        ts->reg = -1;
    }
}

/* The temp leaves its register; it stays valid in memory (or as a constant). */
static void temp_free_reg(RA *ra, TCGTemp *ts)
{
    if (ts->kind == TEMP_ENV) {
        return;
    }
    reg_release(ra, ts);
    if (ts->kind == TEMP_CONST) {
        ts->val_type = TEMP_VAL_CONST;
    } else if (ts->val_type == TEMP_VAL_REG) {
        assert(ts->mem_coherent);
        ts->val_type = TEMP_VAL_MEM;
    }
}

static void temp_spill(RA *ra, TCGTemp *ts)
{
    if (ts->val_type == TEMP_VAL_REG || ts->val_type == TEMP_VAL_CONST) {
        temp_sync(ra, ts);
    }
    temp_free_reg(ra, ts);
}

/* The temp's value is no longer needed. */
static void temp_dead(RA *ra, TCGTemp *ts)
{
    if (ts->kind == TEMP_ENV) {
        return;
    }
    reg_release(ra, ts);
    switch (ts->kind) {
    case TEMP_CONST:
        ts->val_type = TEMP_VAL_CONST;
        break;
    case TEMP_GLOBAL:
    case TEMP_TB:
        /* Liveness says nothing reads it before the next write: memory may stay stale. */
        ts->val_type = TEMP_VAL_MEM;
        ts->mem_coherent = true;
        break;
    default:
        ts->val_type = TEMP_VAL_DEAD;
        frame_free(ra, ts);
        break;
    }
}

static int pick_free(RA *ra, uint16_t allowed)
{
    for (size_t i = 0; i < G_N_ELEMENTS(alloc_order); i++) {
        int r = alloc_order[i];
        if ((allowed & REG_BIT(r)) && ra->reg_to_temp[r] == -1) {
            return r;
        }
    }
    return -1;
}

/* A register in `allowed` and not in `avoid`, evicting its occupant if needed. */
static int reg_alloc(RA *ra, uint16_t allowed, uint16_t avoid)
{
    uint16_t set = allowed & ~avoid & ALLOC_REGS;
    int r = pick_free(ra, set);

    if (r >= 0) {
        return r;
    }
    assert(set);
    /* Evict: move the occupant to another free register if one exists, else to memory. */
    r = -1;
    for (size_t i = 0; i < G_N_ELEMENTS(alloc_order); i++) {
        if ((set & REG_BIT(alloc_order[i])) && ra->reg_to_temp[alloc_order[i]] >= 0) {
            r = alloc_order[i];
            break;
        }
    }
    assert(r >= 0);
    TCGTemp *victim = T(ra, (uint64_t)ra->reg_to_temp[r]);
    int other = pick_free(ra, ALLOC_REGS & ~avoid & ~REG_BIT(r));
    if (other >= 0 && victim->kind != TEMP_CONST) {
        emit_mov_rr(&ra->e, TCG_I64, other, r);
        ra->reg_to_temp[r] = -1;
        ra->reg_to_temp[other] = temp_index(ra, victim);
        victim->reg = (int8_t)other;
    } else {
        temp_spill(ra, victim);
    }
    return r;
}

/* Evict whatever lives in register r (it is about to be clobbered). */
static void reg_evict(RA *ra, int r, uint16_t avoid)
{
    if (ra->reg_to_temp[r] < 0) {
        return;
    }
    TCGTemp *victim = T(ra, (uint64_t)ra->reg_to_temp[r]);
    int other = pick_free(ra, ALLOC_REGS & ~avoid & ~REG_BIT(r));
    if (other >= 0 && victim->kind != TEMP_CONST) {
        emit_mov_rr(&ra->e, TCG_I64, other, r);
        ra->reg_to_temp[r] = -1;
        ra->reg_to_temp[other] = temp_index(ra, victim);
        victim->reg = (int8_t)other;
    } else {
        temp_spill(ra, victim);
    }
}

static void temp_to_reg(RA *ra, TCGTemp *ts, int r)
{
    ra->reg_to_temp[r] = temp_index(ra, ts);
    ts->reg = (int8_t)r;
    ts->val_type = TEMP_VAL_REG;
}

/* Put the value of ts into register r without changing where ts lives. */
static void emit_temp_value(RA *ra, TCGTemp *ts, int r)
{
    switch (ts->val_type) {
    case TEMP_VAL_REG:
        emit_mov_rr(&ra->e, TCG_I64, r, ts->reg);
        break;
    case TEMP_VAL_CONST:
        emit_movi(&ra->e, TCG_I64, r, ts->val);
        break;
    case TEMP_VAL_MEM:
        emit_ld(&ra->e, temp_mem_type(ts), r, temp_base(ts), ts->mem_offset);
        break;
    default:
        /* Reading a dead temp: a front-end bug; give it a defined value. */
        emit_movi(&ra->e, TCG_I64, r, 0);
        break;
    }
}

/* Load ts into a register of `allowed`, not in `avoid`; ts then lives there. */
static int temp_load(RA *ra, TCGTemp *ts, uint16_t allowed, uint16_t avoid)
{
    if (ts->kind == TEMP_ENV) {
        return TCG_AREG0;
    }
    if (ts->val_type == TEMP_VAL_REG && (allowed & ~avoid & REG_BIT(ts->reg))) {
        return ts->reg;
    }
    int r = reg_alloc(ra, allowed, avoid);
    if (ts->val_type == TEMP_VAL_REG) {
        emit_mov_rr(&ra->e, TCG_I64, r, ts->reg);
        ra->reg_to_temp[ts->reg] = -1;
        /* Still coherent with memory as before. */
    } else if (ts->val_type == TEMP_VAL_CONST) {
        emit_movi(&ra->e, TCG_I64, r, ts->val);
        ts->mem_coherent = ts->kind == TEMP_CONST;
    } else if (ts->val_type == TEMP_VAL_MEM) {
        emit_ld(&ra->e, temp_mem_type(ts), r, temp_base(ts), ts->mem_offset);
        ts->mem_coherent = true;
    } else {
        emit_movi(&ra->e, TCG_I64, r, 0);
        ts->mem_coherent = false;
    }
    temp_to_reg(ra, ts, r);
    return r;
}

static void sync_globals(RA *ra)
{
    for (TCGv t = 0; t < ra->s->nb_globals; t++) {
        temp_sync(ra, T(ra, t));
    }
}

/* Globals may have been changed in memory by a helper: forget register copies. */
static void forget_globals(RA *ra)
{
    for (TCGv t = 0; t < ra->s->nb_globals; t++) {
        TCGTemp *ts = T(ra, t);
        if (ts->kind == TEMP_GLOBAL) {
            temp_sync(ra, ts);
            temp_free_reg(ra, ts);
            ts->val_type = TEMP_VAL_MEM;
        }
    }
}

/* At a brcond: memory must hold every global and tb temp; registers stay. */
static void bb_sync(RA *ra)
{
    for (TCGv t = 0; t < ra->s->nb_temps; t++) {
        TCGTemp *ts = T(ra, t);
        if (temp_is_mem_kind(ts)) {
            temp_sync(ra, ts);
        }
    }
}

/* At a label or an unconditional jump: everything to memory, no registers in use. */
static void bb_end(RA *ra)
{
    for (TCGv t = 0; t < ra->s->nb_temps; t++) {
        TCGTemp *ts = T(ra, t);
        if (temp_is_mem_kind(ts)) {
            temp_spill(ra, ts);
            ts->val_type = TEMP_VAL_MEM;
        } else if (ts->kind == TEMP_EBB) {
            if (ts->val_type == TEMP_VAL_REG) {
                reg_release(ra, ts);
            }
            ts->val_type = TEMP_VAL_DEAD;
            frame_free(ra, ts);
        } else if (ts->kind == TEMP_CONST) {
            reg_release(ra, ts);
            ts->val_type = TEMP_VAL_CONST;
        }
    }
}

/* ---- constraints ---- */

enum {
    CT_IMM_S32 = 1 << 0,    /* a constant fitting a sign-extended imm32 may stay an immediate */
    CT_IMM_ANY = 1 << 1,    /* any constant may stay an immediate (the emitter copes) */
    CT_NEWREG  = 1 << 2,    /* output must not share a register with any input */
};

typedef struct ArgCt {
    uint16_t regs;
    int8_t alias;           /* output: the input index (0-based among inputs) it shares */
    uint8_t flags;
} ArgCt;

static const ArgCt CT_R = { ALLOC_REGS, -1, 0 };
static const ArgCt CT_RI = { ALLOC_REGS, -1, CT_IMM_S32 };
static const ArgCt CT_RIA = { ALLOC_REGS, -1, CT_IMM_ANY };

static void get_constraints(const TCGOp *op, ArgCt *ct)
{
    unsigned nout = tcg_op_nout(op), nin = tcg_op_nin(op);
    for (unsigned i = 0; i < nout + nin; i++) {
        ct[i] = CT_R;
    }
    switch (op->opc) {
    case INDEX_op_add: case INDEX_op_sub: case INDEX_op_and: case INDEX_op_or: case INDEX_op_xor:
    case INDEX_op_mul:
        ct[0].alias = 0;
        ct[2] = CT_RI;
        break;
    case INDEX_op_andc:
        ct[0].alias = 0;
        ct[2] = CT_RIA;
        break;
    case INDEX_op_shl: case INDEX_op_shr: case INDEX_op_sar: case INDEX_op_rotl: case INDEX_op_rotr:
        ct[0].alias = 0;
        ct[0].regs = ALLOC_REGS & ~REG_BIT(RCX);
        ct[1].regs = ALLOC_REGS & ~REG_BIT(RCX);
        ct[2] = (ArgCt){ REG_BIT(RCX), -1, CT_IMM_ANY };
        break;
    case INDEX_op_neg: case INDEX_op_not: case INDEX_op_bswap16: case INDEX_op_bswap32:
    case INDEX_op_bswap64: case INDEX_op_extract: case INDEX_op_sextract:
        ct[0].alias = 0;
        break;
    case INDEX_op_deposit:
        ct[0].alias = 0;
        ct[2] = CT_RIA;
        break;
    case INDEX_op_mulu2: case INDEX_op_muls2:
        ct[0] = (ArgCt){ REG_BIT(RAX), 0, 0 };
        ct[1] = (ArgCt){ REG_BIT(RDX), -1, 0 };
        ct[2] = (ArgCt){ REG_BIT(RAX), -1, 0 };
        ct[3] = (ArgCt){ ALLOC_REGS & ~(REG_BIT(RAX) | REG_BIT(RDX)), -1, 0 };
        break;
    case INDEX_op_add2: case INDEX_op_sub2:
        ct[0].alias = 0;
        ct[1].alias = 1;
        ct[0].flags = ct[1].flags = CT_NEWREG;
        ct[4] = CT_RI;
        ct[5] = CT_RI;
        break;
    case INDEX_op_setcond: case INDEX_op_negsetcond:
        ct[2] = CT_RI;
        break;
    case INDEX_op_brcond:
        ct[1] = CT_RI;
        break;
    case INDEX_op_movcond:
        ct[0].alias = 3;        /* the false value */
        ct[2] = CT_RI;
        break;
    case INDEX_op_clz: case INDEX_op_ctz:
        ct[2] = CT_RIA;
        break;
    case INDEX_op_st8: case INDEX_op_st16: case INDEX_op_st32: case INDEX_op_st64:
        ct[0] = op->opc == INDEX_op_st64 ? CT_RI : CT_RIA;
        break;
    case INDEX_op_guest_st:
        ct[0] = CT_RIA;
        break;
    default:
        break;
    }
}

/* ---- op emitters ---- */

static void emit_cmp(Emit *e, TCGType t, TCGCond c, int a, bool b_const, int64_t bv, int b)
{
    if (c == TCG_COND_TSTEQ || c == TCG_COND_TSTNE) {
        if (b_const) {
            if (t == TCG_I64 && !fits_s32(bv)) {
                emit_movi(e, TCG_I64, TMP0, (uint64_t)bv);
                emit_modrm(e, OPC_TESTL | P_REXW, TMP0, a);
            } else {
                emit_modrm(e, OPC_GRP3_Ev | rexw(t), 0, a);   /* test r/m, imm32 */
                b4(e, (uint32_t)bv);
            }
        } else {
            emit_modrm(e, OPC_TESTL | rexw(t), b, a);
        }
        return;
    }
    if (b_const) {
        if (bv == 0 && (c == TCG_COND_EQ || c == TCG_COND_NE)) {
            emit_modrm(e, OPC_TESTL | rexw(t), a, a);
        } else {
            emit_arith_ri(e, t, ARITH_CMP, a, bv);
        }
    } else {
        emit_arith_rr(e, t, ARITH_CMP, a, b);
    }
}

static void emit_jcc_label(RA *ra, int jcc, int label)
{
    TCGLabel *l = &ra->s->labels[label];
    Emit *e = &ra->e;

    if (l->has_value) {
        int64_t rel8 = (int64_t)(l->value - (uintptr_t)(e->p + 2));
        if (fits_s8(rel8)) {
            b1(e, (uint8_t)(jcc < 0 ? OPC_JMP_short : OPC_JCC_short + jcc));
            b1(e, (uint8_t)rel8);
            return;
        }
        emit_jmp_abs_rel32(e, jcc < 0 ? OPC_JMP_long : OPC_JCC_long + jcc, (const uint8_t *)l->value);
        return;
    }
    if (jcc < 0) {
        b1(e, OPC_JMP_long);
    } else {
        b1(e, 0x0f);
        b1(e, (uint8_t)(0x80 + jcc));
    }
    TCGReloc *r = g_new(TCGReloc, 1);
    r->where = e->p;
    r->next = l->relocs;
    l->relocs = r;
    b4(e, 0);
}

static void bind_label(RA *ra, int label)
{
    TCGLabel *l = &ra->s->labels[label];
    Emit *e = &ra->e;

    l->has_value = true;
    l->value = (uintptr_t)e->p;
    for (TCGReloc *r = l->relocs, *next; r; r = next) {
        next = r->next;
        if (r->where + 4 <= e->end) {
            int64_t rel = (int64_t)(l->value - (uintptr_t)(r->where + 4));
            uint32_t v = (uint32_t)(int32_t)rel;
            memcpy(r->where, &v, 4);
        }
        g_free(r);
    }
    l->relocs = NULL;
}

/* d = deposit(d, b, pos, len); d already holds a. */
static void emit_deposit(Emit *e, TCGType t, int d, bool b_const, uint64_t bv, int b, unsigned pos, unsigned len)
{
    unsigned width = t == TCG_I32 ? 32 : 64;
    uint64_t field = len >= 64 ? ~0ull : (1ull << len) - 1;
    uint64_t mask = tcg_trunc(t, field << pos);

    if (!b_const && pos == 0 && (len == 8 || len == 16)) {
        if (len == 8) {
            emit_modrm(e, OPC_MOVB_EvGv | P_REXB_R | P_REXB_RM, b, d);
        } else {
            emit_modrm(e, OPC_MOVL_EvGv | P_DATA16, b, d);
        }
        if (t == TCG_I32) {
            emit_mov_rr(e, TCG_I32, d, d);   /* a 32-bit op leaves bits 63:32 clear */
        }
        return;
    }
    if (!b_const && pos == 0 && len == 32 && width == 64) {
        /* d = (d & ~0xffffffff) | (uint32_t)b */
        emit_shift_ri(e, TCG_I64, SHIFT_SHR, d, 32);
        emit_shift_ri(e, TCG_I64, SHIFT_SHL, d, 32);
        emit_mov_rr(e, TCG_I32, TMP0, b);
        emit_arith_rr(e, TCG_I64, ARITH_OR, d, TMP0);
        return;
    }
    /* General: clear the field, or in the shifted value. */
    if (b_const) {
        emit_movi(e, TCG_I64, TMP0, (bv << pos) & mask);
    } else {
        emit_mov_rr(e, TCG_I64, TMP0, b);
        if (len < width) {
            if (field <= 0x7fffffff) {
                emit_arith_ri(e, TCG_I64, ARITH_AND, TMP0, (int64_t)field);
            } else {
                emit_shift_ri(e, TCG_I64, SHIFT_SHL, TMP0, 64 - len);
                emit_shift_ri(e, TCG_I64, SHIFT_SHR, TMP0, 64 - len);
            }
        }
        if (pos) {
            emit_shift_ri(e, TCG_I64, SHIFT_SHL, TMP0, pos);
        }
    }
    uint64_t keep = tcg_trunc(t, ~mask);
    if (t == TCG_I32 || fits_s32((int64_t)keep)) {
        emit_arith_ri(e, t, ARITH_AND, d, (int64_t)(t == TCG_I32 ? (int32_t)keep : (int64_t)keep));
    } else {
        emit_movi(e, TCG_I64, TMP1, keep);
        emit_arith_rr(e, TCG_I64, ARITH_AND, d, TMP1);
    }
    emit_arith_rr(e, t, ARITH_OR, d, TMP0);
}

static void emit_extract(Emit *e, TCGType t, int d, unsigned pos, unsigned len, bool sign)
{
    unsigned width = t == TCG_I32 ? 32 : 64;

    if (sign) {
        if (pos + len < width) {
            emit_shift_ri(e, t, SHIFT_SHL, d, width - pos - len);
        }
        if (len < width) {
            emit_shift_ri(e, t, SHIFT_SAR, d, width - len);
        } else if (t == TCG_I32) {
            emit_mov_rr(e, TCG_I32, d, d);
        }
        return;
    }
    if (pos == 0 && len == 8) {
        emit_modrm(e, OPC_MOVZBL | P_REXB_RM, d, d);
        return;
    }
    if (pos == 0 && len == 16) {
        emit_modrm(e, OPC_MOVZWL, d, d);
        return;
    }
    if (pos == 0 && len == 32) {
        emit_mov_rr(e, TCG_I32, d, d);
        return;
    }
    if (pos) {
        emit_shift_ri(e, t, SHIFT_SHR, d, pos);
    }
    if (pos + len < width) {
        uint64_t field = (1ull << len) - 1;
        if (field <= 0x7fffffff) {
            emit_arith_ri(e, t, ARITH_AND, d, (int64_t)field);
        } else if (len == 32) {
            emit_mov_rr(e, TCG_I32, d, d);
        } else {
            emit_shift_ri(e, TCG_I64, SHIFT_SHL, d, 64 - len);
            emit_shift_ri(e, TCG_I64, SHIFT_SHR, d, 64 - len);
        }
    }
}

/* Load from [base + index] with the extension the memop asks for. */
static void emit_guest_load_insn(Emit *e, TCGType t, TCGMemOp mop, int d, int base, int index)
{
    switch (mop & (MO_SIZE | MO_SIGN)) {
    case MO_8: emit_modrm_sib(e, OPC_MOVZBL, d, base, index, 0); break;
    case MO_SB: emit_modrm_sib(e, OPC_MOVSBL | rexw(t), d, base, index, 0); break;
    case MO_16: emit_modrm_sib(e, OPC_MOVZWL, d, base, index, 0); break;
    case MO_SW: emit_modrm_sib(e, OPC_MOVSWL | rexw(t), d, base, index, 0); break;
    case MO_32: emit_modrm_sib(e, OPC_MOVL_GvEv, d, base, index, 0); break;
    case MO_SL:
        if (t == TCG_I64) {
            emit_modrm_sib(e, OPC_MOVSLQ, d, base, index, 0);
        } else {
            emit_modrm_sib(e, OPC_MOVL_GvEv, d, base, index, 0);
        }
        break;
    default: emit_modrm_sib(e, OPC_MOVL_GvEv | P_REXW, d, base, index, 0); break;
    }
}

/*
 * The inline TLB lookup: leaves TMP0 = addend on a hit, jumps to the slow
 * path (returned rel32 field to patch) on a miss.
 */
static uint8_t *emit_tlb_lookup(Emit *e, int addr, TCGMemOpIdx oi, bool is_store)
{
    unsigned size = 1u << (get_memop(oi) & MO_SIZE);
    int32_t tlb_off = TCG_CPU_TLB_OFFSET + (int32_t)(get_mmuidx(oi) * TCG_TLB_SIZE * sizeof(TCGTLBEntry));
    int32_t cmp_off = is_store ? (int32_t)offsetof(TCGTLBEntry, addr_write) : (int32_t)offsetof(TCGTLBEntry, addr_read);

    emit_mov_rr(e, TCG_I64, TMP0, addr);
    emit_shift_ri(e, TCG_I64, SHIFT_SHR, TMP0, TCG_PAGE_BITS - TCG_TLB_ENTRY_BITS);
    emit_arith_ri(e, TCG_I32, ARITH_AND, TMP0, (TCG_TLB_SIZE - 1) << TCG_TLB_ENTRY_BITS);
    emit_modrm_sib(e, OPC_LEA | P_REXW, TMP0, TCG_AREG0, TMP0, tlb_off);
    /* The last byte's page must match: an access crossing a page misses. */
    if (size > 1) {
        emit_modrm_offset(e, OPC_LEA | P_REXW, TMP1, addr, (int32_t)size - 1);
    } else {
        emit_mov_rr(e, TCG_I64, TMP1, addr);
    }
    emit_arith_ri(e, TCG_I64, ARITH_AND, TMP1, (int64_t)TCG_PAGE_MASK);
    emit_modrm_offset(e, (OPC_ARITH_GvEv + (ARITH_CMP << 3)) | P_REXW, TMP1, TMP0, cmp_off);
    b1(e, 0x0f);
    b1(e, 0x80 + JCC_JNE);
    uint8_t *rel = e->p;
    b4(e, 0);
    emit_ld(e, TCG_I64, TMP0, TMP0, (int32_t)offsetof(TCGTLBEntry, addend));
    return rel;
}

static void emit_slow_path(RA *ra, const SlowPath *sp)
{
    Emit *e = &ra->e;
    int saved[16], n = 0;

    if (sp->jne_rel32 + 4 <= e->end) {
        uint32_t v = (uint32_t)(int32_t)(e->p - (sp->jne_rel32 + 4));
        memcpy(sp->jne_rel32, &v, 4);
    }
    for (int r = 0; r < 16; r++) {
        if (sp->save_regs & REG_BIT(r)) {
            emit_opc(e, OPC_PUSH_r + (r & 7), 0, r, -1);
            saved[n++] = r;
        }
    }
    if (n & 1) {
        emit_arith_ri(e, TCG_I64, ARITH_SUB, RSP, 8);
    }
    emit_mov_rr(e, TCG_I64, TMP1, sp->addr_reg);
    if (sp->is_store) {
        if (sp->data_reg >= 0) {
            emit_mov_rr(e, TCG_I64, TMP0, sp->data_reg);
        } else {
            emit_movi(e, TCG_I64, TMP0, sp->data_const);
        }
        emit_mov_rr(e, TCG_I64, RSI, TMP1);
        emit_mov_rr(e, TCG_I64, RDX, TMP0);
        emit_mov_rr(e, TCG_I64, RDI, TCG_AREG0);
        emit_movi(e, TCG_I32, RCX, sp->oi);
        emit_movi(e, TCG_I64, R8, (uintptr_t)sp->done);
        emit_call(e, (const void *)tcg_helper_st_mmu);
    } else {
        emit_mov_rr(e, TCG_I64, RSI, TMP1);
        emit_mov_rr(e, TCG_I64, RDI, TCG_AREG0);
        emit_movi(e, TCG_I32, RDX, sp->oi);
        emit_movi(e, TCG_I64, RCX, (uintptr_t)sp->done);
        emit_call(e, (const void *)tcg_helper_ld_mmu);
        emit_mov_rr(e, sp->type, sp->out_reg, RAX);
    }
    if (n & 1) {
        emit_arith_ri(e, TCG_I64, ARITH_ADD, RSP, 8);
    }
    while (n > 0) {
        int r = saved[--n];
        emit_opc(e, OPC_POP_r + (r & 7), 0, r, -1);
    }
    emit_jmp_abs_rel32(e, OPC_JMP_long, sp->done);
}

/* A trapcond's target: env, code and the guard's address to the (non-returning) trap helper. */
static void emit_trap_path(RA *ra, const TrapPath *tp)
{
    Emit *e = &ra->e;

    if (tp->jcc_rel32 + 4 <= e->end) {
        uint32_t v = (uint32_t)(int32_t)(e->p - (tp->jcc_rel32 + 4));
        memcpy(tp->jcc_rel32, &v, 4);
    }
    emit_mov_rr(e, TCG_I64, RDI, TCG_AREG0);
    emit_movi(e, TCG_I64, RSI, tp->code);
    emit_movi(e, TCG_I64, RDX, (uintptr_t)tp->ret);
    emit_call(e, (const void *)tcg_helper_trap);
    b1(e, 0x0f);            /* ud2: the helper does not return */
    b1(e, 0x0b);
}

/* Caller-saved registers holding values still needed after the current op. */
static uint16_t live_clobbered_regs(RA *ra, uint16_t except)
{
    uint16_t m = 0;
    for (int r = 0; r < 16; r++) {
        if ((CALL_CLOBBERED & REG_BIT(r)) && ra->reg_to_temp[r] >= 0 && !(except & REG_BIT(r))) {
            m |= REG_BIT(r);
        }
    }
    return m;
}

/* ---- per-op allocation ---- */

typedef struct OpArgs {
    int reg[TCG_MAX_OP_ARGS];
    bool is_const[TCG_MAX_OP_ARGS];
    uint64_t cval[TCG_MAX_OP_ARGS];
} OpArgs;

static bool const_ok(const ArgCt *ct, TCGType t, uint64_t v)
{
    if (ct->flags & CT_IMM_ANY) {
        return true;
    }
    if (ct->flags & CT_IMM_S32) {
        return t == TCG_I32 || fits_s32((int64_t)v);
    }
    return false;
}

static bool temp_const_val(const TCGTemp *ts, uint64_t *v)
{
    if (ts->val_type == TEMP_VAL_CONST) {
        *v = ts->val;
        return true;
    }
    return false;
}

static void emit_op(RA *ra, const TCGOp *op, const OpArgs *a);

static void alloc_and_emit(RA *ra, const TCGOp *op)
{
    ArgCt ct[TCG_MAX_OP_ARGS];
    OpArgs a;
    unsigned nout = tcg_op_nout(op), nin = tcg_op_nin(op);
    uint16_t in_regs = 0;          /* registers holding this op's inputs */
    int alias_reg[TCG_MAX_OP_ARGS];

    memset(&a, 0, sizeof(a));
    get_constraints(op, ct);
    for (unsigned k = 0; k < TCG_MAX_OP_ARGS; k++) {
        alias_reg[k] = -1;
    }

    /* Inputs. */
    for (unsigned i = 0; i < nin; i++) {
        unsigned ai = nout + i;
        TCGTemp *ts = T(ra, op->args[ai]);
        const ArgCt *c = &ct[ai];
        uint64_t v;
        int out_alias = -1;

        for (unsigned o = 0; o < nout; o++) {
            if (ct[o].alias == (int)i) {
                out_alias = (int)o;
            }
        }
        if (out_alias < 0 && temp_const_val(ts, &v) && const_ok(c, (TCGType)op->type, v)) {
            a.is_const[ai] = true;
            a.cval[ai] = v;
            continue;
        }
        if (out_alias >= 0) {
            /* The register will be overwritten: reuse the temp's own only if it dies here. */
            bool dead = (op->life & DEAD_ARG(ai)) && ts->kind != TEMP_ENV;
            bool used_elsewhere = false;
            for (unsigned j = 0; j < nin; j++) {
                if (j != i && op->args[nout + j] == op->args[ai]) {
                    used_elsewhere = true;
                }
            }
            uint16_t allowed = c->regs & ct[out_alias].regs;
            if (dead && !used_elsewhere && ts->val_type == TEMP_VAL_REG && (allowed & REG_BIT(ts->reg)) &&
                !(in_regs & REG_BIT(ts->reg)) && !(ct[out_alias].flags & CT_NEWREG)) {
                int r = ts->reg;
                /* Detach: the register now belongs to the output. */
                if (!ts->mem_coherent && temp_is_mem_kind(ts)) {
                    /* dead global/tb value: nothing reads it again */
                }
                temp_dead(ra, ts);
                ra->reg_to_temp[r] = -2;   /* reserved for the op */
                alias_reg[out_alias] = r;
                a.reg[ai] = r;
                in_regs |= REG_BIT(r);
                continue;
            }
            uint16_t own = ts->val_type == TEMP_VAL_REG && ts->kind != TEMP_ENV ? REG_BIT(ts->reg) : 0;
            int r;
            if (!(allowed & ~(in_regs | own) & ALLOC_REGS) && (allowed & own & ~in_regs)) {
                /* Only the temp's own register will do: move the temp away, keep the value. */
                r = ts->reg;
                reg_evict(ra, r, in_regs | REG_BIT(r));
            } else {
                r = reg_alloc(ra, allowed, in_regs | own);
                emit_temp_value(ra, ts, r);
            }
            ra->reg_to_temp[r] = -2;
            alias_reg[out_alias] = r;
            a.reg[ai] = r;
            in_regs |= REG_BIT(r);
            continue;
        }
        int r = temp_load(ra, ts, c->regs, in_regs & ~(ts->val_type == TEMP_VAL_REG ? REG_BIT(ts->reg) : 0));
        a.reg[ai] = r;
        in_regs |= REG_BIT(r);
    }

    /* Inputs that die here release their registers (unless reserved for an alias). */
    for (unsigned i = 0; i < nin; i++) {
        unsigned ai = nout + i;
        TCGTemp *ts = T(ra, op->args[ai]);
        if ((op->life & DEAD_ARG(ai)) && ts->val_type == TEMP_VAL_REG && ts->reg >= 0 && ra->reg_to_temp[ts->reg] >= 0) {
            bool newreg_out = false;
            for (unsigned o = 0; o < nout; o++) {
                if (ct[o].flags & CT_NEWREG) {
                    newreg_out = true;
                }
            }
            if (newreg_out) {
                continue;   /* keep it busy so outputs do not take it; freed below */
            }
            temp_dead(ra, ts);
        }
    }

    /* Outputs. */
    uint16_t out_regs = 0;
    for (unsigned o = 0; o < nout; o++) {
        TCGTemp *ts = T(ra, op->args[o]);
        int r;
        if (ct[o].alias >= 0) {
            r = alias_reg[o];
            assert(r >= 0);
        } else {
            uint16_t avoid = out_regs;
            if (ct[o].flags & CT_NEWREG) {
                avoid |= in_regs;
            }
            if (ts->val_type == TEMP_VAL_REG && (ct[o].regs & ~avoid & REG_BIT(ts->reg)) &&
                !(in_regs & REG_BIT(ts->reg) && (ct[o].flags & CT_NEWREG))) {
                r = ts->reg;
            } else {
                /* Fixed registers (mulu2's rdx) may hold a live non-input temp: move it away. */
                uint16_t allowed = ct[o].regs & ~avoid;
                if (__builtin_popcount(allowed) == 1) {
                    r = __builtin_ctz(allowed);
                    if (ra->reg_to_temp[r] >= 0 && ra->reg_to_temp[r] != (int)op->args[o]) {
                        reg_evict(ra, r, in_regs | out_regs);
                    }
                } else {
                    r = reg_alloc(ra, allowed, avoid | REG_BIT(RSP));
                }
            }
        }
        /* The output temp's old register (if another one) is freed. */
        if (ts->val_type == TEMP_VAL_REG && ts->reg != r) {
            reg_release(ra, ts);
        }
        if (ra->reg_to_temp[r] >= 0 && ra->reg_to_temp[r] != (int)op->args[o]) {
            /* Should not happen: a live value in the output register. */
            reg_evict(ra, r, in_regs | out_regs | REG_BIT(r));
        }
        a.reg[o] = r;
        out_regs |= REG_BIT(r);
        ra->reg_to_temp[r] = -2;
    }

    emit_op(ra, op, &a);

    /* Late frees for CT_NEWREG ops. */
    for (unsigned i = 0; i < nin; i++) {
        unsigned ai = nout + i;
        TCGTemp *ts = T(ra, op->args[ai]);
        if ((op->life & DEAD_ARG(ai)) && ts->val_type == TEMP_VAL_REG && ts->reg >= 0 &&
            ra->reg_to_temp[ts->reg] >= 0 && !(out_regs & REG_BIT(ts->reg))) {
            temp_dead(ra, ts);
        }
    }
    /* Bind outputs. */
    for (unsigned o = 0; o < nout; o++) {
        TCGTemp *ts = T(ra, op->args[o]);
        int r = a.reg[o];
        if (ts->kind == TEMP_EBB && ts->val_type != TEMP_VAL_REG) {
            frame_free(ra, ts);
        }
        temp_to_reg(ra, ts, r);
        ts->mem_coherent = false;
        if (op->life & DEAD_ARG(o)) {
            temp_dead(ra, ts);
        }
    }
    /* Registers reserved (-2) for aliases that were not bound (none expected) are released. */
    for (int r = 0; r < 16; r++) {
        if (ra->reg_to_temp[r] == -2) {
            ra->reg_to_temp[r] = -1;
        }
    }
}

static void emit_op(RA *ra, const TCGOp *op, const OpArgs *a)
{
    Emit *e = &ra->e;
    TCGType t = (TCGType)op->type;
    const uint64_t *args = op->args;
    unsigned nout = tcg_op_nout(op);
    int d = a->reg[0];
    int i0 = a->reg[nout], i1 = a->reg[nout + 1];
    bool c1 = a->is_const[nout + 1];
    int64_t v1 = (int64_t)a->cval[nout + 1];

    switch (op->opc) {
    case INDEX_op_add: case INDEX_op_sub: case INDEX_op_and: case INDEX_op_or: case INDEX_op_xor: {
        static const uint8_t ext[] = {
            [INDEX_op_add] = ARITH_ADD, [INDEX_op_sub] = ARITH_SUB, [INDEX_op_and] = ARITH_AND,
            [INDEX_op_or] = ARITH_OR, [INDEX_op_xor] = ARITH_XOR,
        };
        if (c1) {
            if (t == TCG_I32) {
                v1 = (int32_t)v1;
            }
            if (op->opc == INDEX_op_and && t == TCG_I64 && v1 == 0xffffffff) {
                emit_mov_rr(e, TCG_I32, d, d);
            } else if (op->opc == INDEX_op_and && v1 == 0xff) {
                emit_modrm(e, OPC_MOVZBL | P_REXB_RM, d, d);
            } else if (op->opc == INDEX_op_and && v1 == 0xffff) {
                emit_modrm(e, OPC_MOVZWL, d, d);
            } else {
                emit_arith_ri(e, t, ext[op->opc], d, v1);
            }
        } else {
            emit_arith_rr(e, t, ext[op->opc], d, i1);
        }
        break;
    }
    case INDEX_op_andc:
        if (c1) {
            uint64_t m = tcg_trunc(t, ~(uint64_t)v1);
            if (t == TCG_I32 || fits_s32((int64_t)m)) {
                emit_arith_ri(e, t, ARITH_AND, d, t == TCG_I32 ? (int32_t)m : (int64_t)m);
            } else {
                emit_movi(e, TCG_I64, TMP0, m);
                emit_arith_rr(e, t, ARITH_AND, d, TMP0);
            }
        } else {
            emit_mov_rr(e, TCG_I64, TMP0, i1);
            emit_modrm(e, OPC_GRP3_Ev | rexw(t), EXT3_NOT, TMP0);
            emit_arith_rr(e, t, ARITH_AND, d, TMP0);
        }
        break;
    case INDEX_op_mul:
        if (c1) {
            if (fits_s8(v1)) {
                emit_modrm(e, OPC_IMUL_GvEvIb | rexw(t), d, d);
                b1(e, (uint8_t)v1);
            } else {
                emit_modrm(e, OPC_IMUL_GvEvIz | rexw(t), d, d);
                b4(e, (uint32_t)v1);
            }
        } else {
            emit_modrm(e, OPC_IMUL_GvEv | rexw(t), d, i1);
        }
        break;
    case INDEX_op_shl: case INDEX_op_shr: case INDEX_op_sar: case INDEX_op_rotl: case INDEX_op_rotr: {
        static const uint8_t ext[] = {
            [INDEX_op_shl] = SHIFT_SHL, [INDEX_op_shr] = SHIFT_SHR, [INDEX_op_sar] = SHIFT_SAR,
            [INDEX_op_rotl] = SHIFT_ROL, [INDEX_op_rotr] = SHIFT_ROR,
        };
        if (c1) {
            unsigned cnt = (unsigned)v1 & (t == TCG_I32 ? 31 : 63);
            if (cnt) {
                emit_shift_ri(e, t, ext[op->opc], d, cnt);
            } else if (t == TCG_I32) {
                emit_mov_rr(e, TCG_I32, d, d);
            }
        } else {
            emit_modrm(e, OPC_SHIFT_cl | rexw(t), ext[op->opc], d);
        }
        break;
    }
    case INDEX_op_neg:
        emit_modrm(e, OPC_GRP3_Ev | rexw(t), EXT3_NEG, d);
        break;
    case INDEX_op_not:
        emit_modrm(e, OPC_GRP3_Ev | rexw(t), EXT3_NOT, d);
        break;
    case INDEX_op_mov:
        emit_mov_rr(e, t, d, i0);
        break;
    case INDEX_op_ext8s:
        emit_modrm(e, OPC_MOVSBL | P_REXB_RM | rexw(t), d, i0);
        break;
    case INDEX_op_ext8u:
        emit_modrm(e, OPC_MOVZBL | P_REXB_RM, d, i0);
        break;
    case INDEX_op_ext16s:
        emit_modrm(e, OPC_MOVSWL | rexw(t), d, i0);
        break;
    case INDEX_op_ext16u:
        emit_modrm(e, OPC_MOVZWL, d, i0);
        break;
    case INDEX_op_ext32s:
        emit_modrm(e, OPC_MOVSLQ, d, i0);
        break;
    case INDEX_op_ext32u:
        emit_mov_rr(e, TCG_I32, d, i0);
        break;
    case INDEX_op_bswap16:
        /* rol r16, 8 then zero-extend. */
        emit_modrm(e, OPC_SHIFT_Ib | P_DATA16, SHIFT_ROL, d);
        b1(e, 8);
        emit_modrm(e, OPC_MOVZWL, d, d);
        break;
    case INDEX_op_bswap32:
        emit_opc(e, OPC_BSWAP + (d & 7), 0, d, -1);
        break;
    case INDEX_op_bswap64:
        emit_opc(e, (OPC_BSWAP + (d & 7)) | P_REXW, 0, d, -1);
        break;
    case INDEX_op_ctpop:
        emit_modrm(e, OPC_POPCNT | rexw(t), d, i0);
        break;
    case INDEX_op_clz:
    case INDEX_op_ctz: {
        unsigned width = t == TCG_I32 ? 32 : 64;
        emit_modrm(e, (op->opc == INDEX_op_clz ? OPC_BSR : OPC_BSF) | rexw(t), TMP0, i0);
        /* mov does not touch the flags bsr/bsf left. */
        if (c1) {
            uint64_t v = tcg_trunc(t, (uint64_t)v1);
            if (v == (uint32_t)v) {
                emit_opc(e, OPC_MOVL_Iv + (d & 7), 0, d, -1);
                b4(e, (uint32_t)v);
            } else {
                emit_opc(e, (OPC_MOVL_Iv + (d & 7)) | P_REXW, 0, d, -1);
                b8(e, v);
            }
        } else {
            emit_mov_rr(e, t, d, i1);
        }
        b1(e, OPC_JCC_short + JCC_JE);
        uint8_t *skip = e->p;
        b1(e, 0);
        if (op->opc == INDEX_op_clz) {
            emit_arith_ri(e, TCG_I32, ARITH_XOR, TMP0, (int64_t)(width - 1));
        }
        emit_mov_rr(e, t, d, TMP0);
        if (skip < e->end) {
            *skip = (uint8_t)(e->p - (skip + 1));
        }
        break;
    }
    case INDEX_op_deposit:
        emit_deposit(e, t, d, c1, (uint64_t)v1, i1, (unsigned)args[3], (unsigned)args[4]);
        break;
    case INDEX_op_extract:
        emit_extract(e, t, d, (unsigned)args[2], (unsigned)args[3], false);
        break;
    case INDEX_op_sextract:
        emit_extract(e, t, d, (unsigned)args[2], (unsigned)args[3], true);
        break;
    case INDEX_op_setcond:
    case INDEX_op_negsetcond: {
        TCGCond c = (TCGCond)args[3];
        emit_cmp(e, t, c, i0, c1, t == TCG_I32 ? (int32_t)v1 : v1, i1);
        emit_modrm(e, (OPC_SETCC + tcg_cond_to_jcc[c]) | P_REXB_RM, 0, d);
        emit_modrm(e, OPC_MOVZBL | P_REXB_RM, d, d);
        if (op->opc == INDEX_op_negsetcond) {
            emit_modrm(e, OPC_GRP3_Ev | rexw(t), EXT3_NEG, d);
        }
        break;
    }
    case INDEX_op_movcond: {
        TCGCond c = (TCGCond)args[5];
        emit_cmp(e, t, c, i0, c1, t == TCG_I32 ? (int32_t)v1 : v1, i1);
        emit_modrm(e, (OPC_CMOVCC + tcg_cond_to_jcc[c]) | rexw(t), d, a->reg[nout + 2]);
        break;
    }
    case INDEX_op_mulu2:
    case INDEX_op_muls2:
        emit_modrm(e, OPC_GRP3_Ev | rexw(t), op->opc == INDEX_op_mulu2 ? EXT3_MUL : EXT3_IMUL, a->reg[3]);
        break;
    case INDEX_op_add2:
    case INDEX_op_sub2: {
        int lo = a->reg[0], hi = a->reg[1];
        int e1 = op->opc == INDEX_op_add2 ? ARITH_ADD : ARITH_SUB;
        int e2 = op->opc == INDEX_op_add2 ? ARITH_ADC : ARITH_SBB;
        if (a->is_const[4]) {
            /* Always the imm32 form: the 8-bit form would not change flags differently, but keep one path. */
            emit_modrm(e, OPC_ARITH_EvIz | rexw(t), e1, lo);
            b4(e, (uint32_t)a->cval[4]);
        } else {
            emit_arith_rr(e, t, e1, lo, a->reg[4]);
        }
        if (a->is_const[5]) {
            emit_modrm(e, OPC_ARITH_EvIz | rexw(t), e2, hi);
            b4(e, (uint32_t)a->cval[5]);
        } else {
            emit_arith_rr(e, t, e2, hi, a->reg[5]);
        }
        break;
    }
    case INDEX_op_ld8u:
        emit_modrm_offset(e, OPC_MOVZBL, d, i0, (int32_t)args[2]);
        break;
    case INDEX_op_ld8s:
        emit_modrm_offset(e, OPC_MOVSBL | rexw(t), d, i0, (int32_t)args[2]);
        break;
    case INDEX_op_ld16u:
        emit_modrm_offset(e, OPC_MOVZWL, d, i0, (int32_t)args[2]);
        break;
    case INDEX_op_ld16s:
        emit_modrm_offset(e, OPC_MOVSWL | rexw(t), d, i0, (int32_t)args[2]);
        break;
    case INDEX_op_ld32u:
        emit_ld(e, TCG_I32, d, i0, (int32_t)args[2]);
        break;
    case INDEX_op_ld32s:
        if (t == TCG_I64) {
            emit_modrm_offset(e, OPC_MOVSLQ, d, i0, (int32_t)args[2]);
        } else {
            emit_ld(e, TCG_I32, d, i0, (int32_t)args[2]);
        }
        break;
    case INDEX_op_ld64:
        emit_ld(e, t, d, i0, (int32_t)args[2]);
        break;
    case INDEX_op_st8: case INDEX_op_st16: case INDEX_op_st32: case INDEX_op_st64: {
        /* args: value, base, offset; value is input 0 */
        int val = a->reg[0], base = a->reg[1];
        bool vc = a->is_const[0];
        uint64_t vv = a->cval[0];
        int32_t off = (int32_t)args[2];
        switch (op->opc) {
        case INDEX_op_st8:
            if (vc) {
                emit_modrm_offset(e, OPC_MOVB_EvIb, 0, base, off);
                b1(e, (uint8_t)vv);
            } else {
                emit_modrm_offset(e, OPC_MOVB_EvGv | P_REXB_R, val, base, off);
            }
            break;
        case INDEX_op_st16:
            if (vc) {
                emit_modrm_offset(e, OPC_MOVL_EvIz | P_DATA16, 0, base, off);
                b1(e, (uint8_t)vv);
                b1(e, (uint8_t)(vv >> 8));
            } else {
                emit_modrm_offset(e, OPC_MOVL_EvGv | P_DATA16, val, base, off);
            }
            break;
        case INDEX_op_st32:
            if (vc) {
                emit_modrm_offset(e, OPC_MOVL_EvIz, 0, base, off);
                b4(e, (uint32_t)vv);
            } else {
                emit_st(e, TCG_I32, val, base, off);
            }
            break;
        default:
            if (vc) {
                emit_modrm_offset(e, OPC_MOVL_EvIz | P_REXW, 0, base, off);
                b4(e, (uint32_t)vv);
            } else {
                emit_st(e, TCG_I64, val, base, off);
            }
            break;
        }
        break;
    }
    default:
        assert(!"codegen: unhandled op");
    }
}

/* ---- special ops ---- */

/* trapcond: compare, and a jcc to an out-of-line call that raises the guest exception. */
static void gen_trapcond(RA *ra, const TCGOp *op)
{
    Emit *e = &ra->e;
    TCGType t = (TCGType)op->type;
    TCGTemp *x = T(ra, op->args[0]), *y = T(ra, op->args[1]);
    TCGCond c = (TCGCond)op->args[2];
    TrapPath tp = { .code = op->args[3] };
    uint64_t yv = 0;

    if (c == TCG_COND_NEVER) {
        return;
    }
    /* The exception must find every global in memory. */
    sync_globals(ra);
    int xr = temp_load(ra, x, ALLOC_REGS, 0), yr = -1;
    bool yc = temp_const_val(y, &yv) && (t == TCG_I32 || fits_s32((int64_t)yv));
    if (!yc) {
        yr = temp_load(ra, y, ALLOC_REGS, REG_BIT(xr) & ~(x == y ? REG_BIT(xr) : 0));
    }
    if (c == TCG_COND_ALWAYS) {
        b1(e, OPC_JMP_long);
    } else {
        emit_cmp(e, t, c, xr, yc, t == TCG_I32 ? (int32_t)yv : (int64_t)yv, yr);
        b1(e, 0x0f);
        b1(e, 0x80 + tcg_cond_to_jcc[c]);
    }
    tp.jcc_rel32 = e->p;
    b4(e, 0);
    tp.ret = e->p;
    g_array_append_val(ra->traps, tp);
    if (op->life & DEAD_ARG(0)) {
        temp_dead(ra, x);
    }
    if (op->life & DEAD_ARG(1)) {
        temp_dead(ra, y);
    }
}

static void gen_guest_mem(RA *ra, const TCGOp *op)
{
    bool is_store = op->opc == INDEX_op_guest_st;
    TCGMemOpIdx oi = (TCGMemOpIdx)op->args[2];
    TCGMemOp mop = get_memop(oi);
    Emit *e = &ra->e;
    SlowPath sp = { .is_store = is_store, .type = (TCGType)op->type, .oi = oi, .data_reg = -1 };

    /* A guest exception must find every global in memory. */
    sync_globals(ra);

    if (is_store) {
        TCGTemp *val = T(ra, op->args[0]);
        TCGTemp *addr = T(ra, op->args[1]);
        int ar = temp_load(ra, addr, ALLOC_REGS, 0);
        int vr = -1;
        uint64_t vv = 0;
        bool vc = temp_const_val(val, &vv) && ((mop & MO_SIZE) != MO_64 || fits_s32((int64_t)vv));
        if (!vc) {
            vr = temp_load(ra, val, ALLOC_REGS, REG_BIT(ar) & ~(val == addr ? REG_BIT(ar) : 0));
        }
        sp.addr_reg = ar;
        sp.data_reg = vr;
        sp.data_const = vv;
        sp.save_regs = live_clobbered_regs(ra, 0);
        sp.jne_rel32 = emit_tlb_lookup(e, ar, oi, true);
        switch (mop & MO_SIZE) {
        case MO_8:
            if (vc) {
                emit_modrm_sib(e, OPC_MOVB_EvIb, 0, ar, TMP0, 0);
                b1(e, (uint8_t)vv);
            } else {
                emit_modrm_sib(e, OPC_MOVB_EvGv | P_REXB_R, vr, ar, TMP0, 0);
            }
            break;
        case MO_16:
            if (vc) {
                emit_modrm_sib(e, OPC_MOVL_EvIz | P_DATA16, 0, ar, TMP0, 0);
                b1(e, (uint8_t)vv);
                b1(e, (uint8_t)(vv >> 8));
            } else {
                emit_modrm_sib(e, OPC_MOVL_EvGv | P_DATA16, vr, ar, TMP0, 0);
            }
            break;
        case MO_32:
            if (vc) {
                emit_modrm_sib(e, OPC_MOVL_EvIz, 0, ar, TMP0, 0);
                b4(e, (uint32_t)vv);
            } else {
                emit_modrm_sib(e, OPC_MOVL_EvGv, vr, ar, TMP0, 0);
            }
            break;
        default:
            if (vc) {
                emit_modrm_sib(e, OPC_MOVL_EvIz | P_REXW, 0, ar, TMP0, 0);
                b4(e, (uint32_t)vv);
            } else {
                emit_modrm_sib(e, OPC_MOVL_EvGv | P_REXW, vr, ar, TMP0, 0);
            }
            break;
        }
        sp.done = e->p;
        g_array_append_val(ra->slow, sp);
        if ((op->life & DEAD_ARG(0)) && !vc) {
            temp_dead(ra, val);
        } else if (op->life & DEAD_ARG(0)) {
            temp_dead(ra, val);
        }
        if (op->life & DEAD_ARG(1)) {
            temp_dead(ra, addr);
        }
        return;
    }

    TCGTemp *out = T(ra, op->args[0]);
    TCGTemp *addr = T(ra, op->args[1]);
    int ar = temp_load(ra, addr, ALLOC_REGS, 0);
    bool addr_dies = (op->life & DEAD_ARG(1)) && addr->kind != TEMP_ENV;
    if (addr_dies) {
        temp_dead(ra, addr);
    }
    int dr;
    if (out->val_type == TEMP_VAL_REG) {
        dr = out->reg;
    } else {
        dr = reg_alloc(ra, ALLOC_REGS, addr_dies ? 0 : REG_BIT(ar));
    }
    if (addr_dies && dr != ar && ra->reg_to_temp[ar] < 0) {
        /* ar is free now but its value is still needed by the hit path: keep it reserved. */
    }
    ra->reg_to_temp[dr] = -2;
    sp.addr_reg = ar;
    sp.out_reg = dr;
    sp.save_regs = live_clobbered_regs(ra, REG_BIT(dr)) & ~REG_BIT(dr);
    /* A load with write intent must hit a writable entry (x86 read-modify-write faults as a write). */
    sp.jne_rel32 = emit_tlb_lookup(e, ar, oi, (mop & MO_WRITE_INTENT) != 0);
    emit_guest_load_insn(e, (TCGType)op->type, mop, dr, ar, TMP0);
    sp.done = e->p;
    g_array_append_val(ra->slow, sp);
    ra->reg_to_temp[dr] = -1;
    if (out->val_type == TEMP_VAL_REG && out->reg != dr) {
        reg_release(ra, out);
    }
    temp_to_reg(ra, out, dr);
    out->mem_coherent = false;
    if (op->life & DEAD_ARG(0)) {
        temp_dead(ra, out);
    }
}

static void gen_call(RA *ra, const TCGOp *op)
{
    const TCGHelperInfo *info = tcg_op_helper(op);
    unsigned nout = op->nout, nin = op->nin;
    Emit *e = &ra->e;

    /* 1. Free the argument registers. */
    for (unsigned i = 0; i < nin; i++) {
        reg_evict(ra, call_arg_regs[i], CALL_CLOBBERED);
    }
    /* Evicting may have moved temps into other argument registers: repeat until stable. */
    for (unsigned i = 0; i < nin; i++) {
        if (ra->reg_to_temp[call_arg_regs[i]] >= 0) {
            temp_spill(ra, T(ra, (uint64_t)ra->reg_to_temp[call_arg_regs[i]]));
        }
    }
    /* 2. Load the arguments (their temps stay where they are). */
    for (unsigned i = 0; i < nin; i++) {
        TCGTemp *ts = T(ra, op->args[nout + i]);
        int r = call_arg_regs[i];
        if (ts->kind == TEMP_ENV) {
            emit_mov_rr(e, TCG_I64, r, TCG_AREG0);
        } else {
            emit_temp_value(ra, ts, r);
        }
        ra->reg_to_temp[r] = -2;
    }
    /* 3. Dead arguments. */
    for (unsigned i = 0; i < nin; i++) {
        if (op->life & DEAD_ARG(nout + i)) {
            temp_dead(ra, T(ra, op->args[nout + i]));
        }
    }
    for (unsigned i = 0; i < nin; i++) {
        ra->reg_to_temp[call_arg_regs[i]] = -1;
    }
    /* 4. Globals: in memory if the helper reads them; forgotten if it writes them. */
    if (!(info->flags & TCG_CALL_NO_READ_GLOBALS) || !(info->flags & TCG_CALL_NO_WRITE_GLOBALS)) {
        sync_globals(ra);
    }
    if (!(info->flags & TCG_CALL_NO_WRITE_GLOBALS)) {
        forget_globals(ra);
    }
    /* 5. Everything else in a caller-saved register goes to memory. */
    for (int r = 0; r < 16; r++) {
        if ((CALL_CLOBBERED & REG_BIT(r)) && ra->reg_to_temp[r] >= 0) {
            temp_spill(ra, T(ra, (uint64_t)ra->reg_to_temp[r]));
        }
    }
    emit_call(e, info->func);
    if (nout) {
        TCGTemp *ts = T(ra, op->args[0]);
        if (ts->val_type == TEMP_VAL_REG) {
            reg_release(ra, ts);
        }
        if (ts->kind == TEMP_EBB && ts->val_type != TEMP_VAL_REG) {
            frame_free(ra, ts);
        }
        if (info->ret == TCG_CALL_I32) {
            emit_mov_rr(e, TCG_I32, RAX, RAX);
        }
        temp_to_reg(ra, ts, RAX);
        ts->mem_coherent = false;
        if (op->life & DEAD_ARG(0)) {
            temp_dead(ra, ts);
        }
    }
}

/* mov: rename when the source dies, keep constants as constants. */
static void gen_mov(RA *ra, const TCGOp *op)
{
    TCGTemp *d = T(ra, op->args[0]), *s = T(ra, op->args[1]);
    TCGType t = (TCGType)op->type;
    bool s_dead = (op->life & DEAD_ARG(1)) && s->kind != TEMP_ENV;

    if (d == s) {
        if (t == TCG_I32) {
            int r = temp_load(ra, s, ALLOC_REGS, 0);
            emit_mov_rr(&ra->e, TCG_I32, r, r);
            d->mem_coherent = false;
        }
        return;
    }
    if (s->val_type == TEMP_VAL_CONST || s->kind == TEMP_CONST) {
        uint64_t v = tcg_trunc(t, s->val);
        if (s_dead) {
            temp_dead(ra, s);
        }
        if (d->val_type == TEMP_VAL_REG) {
            reg_release(ra, d);
        }
        if (d->kind == TEMP_EBB) {
            frame_free(ra, d);
        }
        d->val_type = TEMP_VAL_CONST;
        d->val = v;
        d->mem_coherent = false;
        if (op->life & DEAD_ARG(0)) {
            temp_dead(ra, d);
        }
        return;
    }
    if (s_dead && s->val_type == TEMP_VAL_REG && s->kind != TEMP_CONST) {
        int r = s->reg;
        temp_dead(ra, s);
        if (d->val_type == TEMP_VAL_REG) {
            reg_release(ra, d);
        }
        if (d->kind == TEMP_EBB) {
            frame_free(ra, d);
        }
        if (t == TCG_I32) {
            emit_mov_rr(&ra->e, TCG_I32, r, r);
        }
        temp_to_reg(ra, d, r);
        d->mem_coherent = false;
        if (op->life & DEAD_ARG(0)) {
            temp_dead(ra, d);
        }
        return;
    }
    alloc_and_emit(ra, op);
}

/* ---- driver ---- */

bool tcg_backend_init(TCGBackend *be, uint8_t *buf, size_t size)
{
    Emit e = { .start = buf, .p = buf, .end = buf + size };
    static const int saved[] = { RBP, RBX, R12, R13, R14, R15 };

    be->prologue = e.p;
    for (size_t i = 0; i < G_N_ELEMENTS(saved); i++) {
        emit_opc(&e, OPC_PUSH_r + (saved[i] & 7), 0, saved[i], -1);
    }
    emit_mov_rr(&e, TCG_I64, TCG_AREG0, RDI);
    emit_modrm(&e, OPC_ARITH_EvIz | P_REXW, ARITH_SUB, RSP);
    b4(&e, FRAME_SIZE);
    emit_modrm(&e, OPC_GRP5, EXT5_JMP_Ev, RSI);

    be->exit_zero = e.p;
    emit_movi(&e, TCG_I32, RAX, 0);
    be->epilogue = e.p;
    emit_modrm(&e, OPC_ARITH_EvIz | P_REXW, ARITH_ADD, RSP);
    b4(&e, FRAME_SIZE);
    for (size_t i = G_N_ELEMENTS(saved); i-- > 0;) {
        emit_opc(&e, OPC_POP_r + (saved[i] & 7), 0, saved[i], -1);
    }
    b1(&e, OPC_RET);
    /* Keep blocks 16-byte aligned. */
    while ((uintptr_t)e.p & 15) {
        b1(&e, 0xcc);
    }
    be->size = (size_t)(e.p - e.start);
    return !e.overflow;
}

uintptr_t tcg_exec_code(const TCGBackend *be, void *env, const void *code)
{
    uintptr_t (*fn)(void *, const void *) = (uintptr_t (*)(void *, const void *))(void *)be->prologue;
    return fn(env, code);
}

void tcg_patch_jump(uint8_t *jmp_rel32, const uint8_t *target)
{
    int64_t rel = (int64_t)(target - (jmp_rel32 + 4));
    assert(fits_s32(rel) && ((uintptr_t)jmp_rel32 & 3) == 0);
    __atomic_store_n((uint32_t *)(void *)jmp_rel32, (uint32_t)(int32_t)rel, __ATOMIC_RELEASE);
}

void tcg_code_out_free(TCGCodeOut *out)
{
    g_free(out->insn_end);
    g_free(out->insn_data);
    g_free(out->insn_len);
    memset(out, 0, sizeof(*out));
}

static void ra_init_temps(RA *ra)
{
    TCGContext *s = ra->s;

    for (int r = 0; r < 16; r++) {
        ra->reg_to_temp[r] = -1;
    }
    for (TCGv t = 0; t < s->nb_temps; t++) {
        TCGTemp *ts = &s->temps[t];
        ts->reg = -1;
        switch (ts->kind) {
        case TEMP_ENV:
            ts->val_type = TEMP_VAL_REG;
            ts->reg = TCG_AREG0;
            ts->mem_coherent = true;
            break;
        case TEMP_GLOBAL:
            ts->val_type = TEMP_VAL_MEM;
            ts->mem_coherent = true;
            ts->mem_allocated = true;
            break;
        case TEMP_CONST:
            ts->val_type = TEMP_VAL_CONST;
            ts->mem_coherent = true;
            break;
        case TEMP_TB:
            ts->val_type = TEMP_VAL_MEM;   /* undefined initial value: any is fine */
            ts->mem_coherent = true;
            ts->mem_allocated = false;
            break;
        default:
            ts->val_type = TEMP_VAL_DEAD;
            ts->mem_coherent = false;
            ts->mem_allocated = false;
            break;
        }
    }
    /* tb temps get their slots up front: they live across labels. */
    for (TCGv t = 0; t < s->nb_temps; t++) {
        if (s->temps[t].kind == TEMP_TB) {
            frame_alloc(ra, &s->temps[t]);
        }
    }
}

int tcg_gen_code(TCGContext *s, const TCGBackend *be, uint8_t *buf, size_t size, TCGCodeOut *out)
{
    RA ra = { .s = s, .be = be };
    int ret = TCG_GEN_OK;

    memset(out, 0, sizeof(*out));
    ra.e = (Emit){ .start = buf, .p = buf, .end = buf + size };
    ra.slow = g_array_new(false, false, sizeof(SlowPath));
    ra.traps = g_array_new(false, false, sizeof(TrapPath));
    ra.insn_start = g_array_new(false, false, sizeof(uint32_t));
    ra.insn_data = g_array_new(false, false, sizeof(uint64_t));
    ra.insn_len = g_array_new(false, false, sizeof(uint8_t));
    ra.out = out;
    out->jmp_insn_offset[0] = out->jmp_insn_offset[1] = UINT32_MAX;
    out->jmp_reset_offset[0] = out->jmp_reset_offset[1] = UINT32_MAX;
    for (int l = 0; l < s->nb_labels; l++) {
        s->labels[l].has_value = false;
        s->labels[l].relocs = NULL;
    }
    ra_init_temps(&ra);

    for (int i = 0; i < s->nb_ops && !ra.e.overflow; i++) {
        const TCGOp *op = &s->ops[i];
        Emit *e = &ra.e;

        switch (op->opc) {
        case INDEX_op_nop:
        case INDEX_op_discard:
        case INDEX_op_mb:
            break;
        case INDEX_op_insn_start: {
            uint32_t off = (uint32_t)(e->p - e->start);
            uint8_t len = (uint8_t)op->args[2];
            g_array_append_val(ra.insn_start, off);
            g_array_append_val(ra.insn_data, op->args[0]);
            g_array_append_val(ra.insn_data, op->args[1]);
            g_array_append_val(ra.insn_len, len);
            break;
        }
        case INDEX_op_set_label:
            bb_end(&ra);
            bind_label(&ra, (int)op->args[0]);
            break;
        case INDEX_op_br:
            bb_end(&ra);
            emit_jcc_label(&ra, -1, (int)op->args[0]);
            break;
        case INDEX_op_brcond: {
            TCGType t = (TCGType)op->type;
            TCGTemp *x = T(&ra, op->args[0]), *y = T(&ra, op->args[1]);
            TCGCond c = (TCGCond)op->args[2];
            uint64_t yv = 0;
            int xr = temp_load(&ra, x, ALLOC_REGS, 0), yr = -1;
            bool yc = temp_const_val(y, &yv) && (t == TCG_I32 || fits_s32((int64_t)yv));
            if (!yc) {
                yr = temp_load(&ra, y, ALLOC_REGS, REG_BIT(xr) & ~(x == y ? REG_BIT(xr) : 0));
            }
            bb_sync(&ra);
            emit_cmp(e, t, c, xr, yc, t == TCG_I32 ? (int32_t)yv : (int64_t)yv, yr);
            emit_jcc_label(&ra, tcg_cond_to_jcc[c], (int)op->args[3]);
            if (op->life & DEAD_ARG(0)) {
                temp_dead(&ra, x);
            }
            if (op->life & DEAD_ARG(1)) {
                temp_dead(&ra, y);
            }
            break;
        }
        case INDEX_op_goto_tb: {
            unsigned n = (unsigned)op->args[0];
            sync_globals(&ra);
            /* The rel32 field must be 4-byte aligned to be patched atomically. */
            while (((uintptr_t)e->p + 1) & 3) {
                b1(e, 0x90);
            }
            b1(e, OPC_JMP_long);
            out->jmp_insn_offset[n & 1] = (uint32_t)(e->p - e->start);
            b4(e, 0);
            out->jmp_reset_offset[n & 1] = (uint32_t)(e->p - e->start);
            break;
        }
        case INDEX_op_exit_tb:
            sync_globals(&ra);
            emit_movi(e, TCG_I64, RAX, op->args[0]);
            emit_jmp_abs_rel32(e, OPC_JMP_long, be->epilogue);
            break;
        case INDEX_op_goto_ptr: {
            TCGTemp *p = T(&ra, op->args[0]);
            int r = temp_load(&ra, p, ALLOC_REGS, 0);
            sync_globals(&ra);
            emit_modrm(e, OPC_GRP5, EXT5_JMP_Ev, r);
            break;
        }
        case INDEX_op_call:
            gen_call(&ra, op);
            break;
        case INDEX_op_guest_ld:
        case INDEX_op_guest_st:
            gen_guest_mem(&ra, op);
            break;
        case INDEX_op_trapcond:
            gen_trapcond(&ra, op);
            break;
        case INDEX_op_mov:
            gen_mov(&ra, op);
            break;
        default:
            alloc_and_emit(&ra, op);
            break;
        }
        if ((size_t)(e->end - e->p) < 256) {
            e->overflow = true;
        }
    }
    size_t main_size = (size_t)(ra.e.p - ra.e.start);
    for (guint i = 0; i < ra.slow->len && !ra.e.overflow; i++) {
        emit_slow_path(&ra, &g_array_index(ra.slow, SlowPath, i));
    }
    for (guint i = 0; i < ra.traps->len && !ra.e.overflow; i++) {
        emit_trap_path(&ra, &g_array_index(ra.traps, TrapPath, i));
    }

    /* Free any relocation lists left by a failed generation. */
    for (int l = 0; l < s->nb_labels; l++) {
        for (TCGReloc *r = s->labels[l].relocs, *next; r; r = next) {
            next = r->next;
            g_free(r);
        }
        s->labels[l].relocs = NULL;
    }

    if (ra.e.overflow) {
        ret = TCG_GEN_BUFFER_FULL;
    } else if (ra.frame_full) {
        ret = TCG_GEN_TOO_BIG;
    }
    out->size = (size_t)(ra.e.p - ra.e.start);
    out->nb_insns = (int)ra.insn_start->len;
    out->insn_end = g_new(uint32_t, out->nb_insns + 1);
    for (int i = 0; i < out->nb_insns; i++) {
        out->insn_end[i] = i + 1 < out->nb_insns ? g_array_index(ra.insn_start, uint32_t, i + 1)
                                                 : (uint32_t)main_size;
    }
    out->insn_data = (uint64_t *)(void *)g_array_free(ra.insn_data, false);
    out->insn_len = (uint8_t *)g_array_free(ra.insn_len, false);
    g_array_free(ra.insn_start, true);
    g_array_free(ra.slow, true);
    g_array_free(ra.traps, true);
    return ret;
}
