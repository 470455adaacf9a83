/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TCG intermediate representation: a translation block (TB) is built as
 * a list of typed operations on temporaries, optimised (optimize.c,
 * liveness.c), then either interpreted (interp.c, the reference) or
 * compiled to host code (x86_64/codegen.c).
 *
 * Temporaries
 *   Every temp is a 64-bit container.  Kinds:
 *   - global: backed by a field of the CPU state (env + offset), 4 or 8
 *     bytes wide.  Its value is in memory at every basic-block end, before
 *     every helper call that may read globals and before every guest
 *     memory access (so a guest exception sees the exact state).
 *   - tb ("local"): lives for the whole TB, keeps its value across labels.
 *   - ebb (normal): lives inside one extended basic block: its value is
 *     undefined after a set_label, br or block exit (it survives the
 *     fall-through of a brcond).  Reading it there is a bug in the
 *     front end (undefined behaviour: the generated code may read garbage).
 *   - const: a read-only constant, created by tcg_const().
 *   - env: the fixed temp holding the CPU state pointer.
 *
 * Operations (ops.def)
 *   Each op has a width, TCG_I32 or TCG_I64.  A 32-bit op reads the low 32
 *   bits of its inputs and writes its result zero-extended to 64 bits.  So
 *   a value computed by 32-bit ops is always a zero-extended 32-bit number,
 *   and 64-bit ops may consume it directly.
 *   Unspecified (any value, never a crash): shift and rotate counts >=
 *   width; extract/deposit with pos+len > width (rejected by an assert).
 *   clz/ctz of zero return their second input.
 *   There is no division op: front ends call helpers (they raise #DE).
 *
 * Guest memory (guest_ld/guest_st) takes a guest virtual address (64
 * bits; a 32-bit guest passes a zero-extended address) and a TCGMemOpIdx:
 * size, sign and the MMU index.  It may raise a guest exception, which
 * leaves the TB through the CPU's jmp_buf after restoring the state of the
 * faulting instruction from its insn_start data.
 *
 * Helpers declare their side effects (TCG_CALL_*): a helper that neither
 * reads nor writes globals lets them stay in host registers across it; a
 * pure helper whose result is unused is deleted.
 */
#ifndef TCG_TCG_H
#define TCG_TCG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

typedef enum { TCG_I32 = 0, TCG_I64 = 1 } TCGType;

typedef enum {
#define DEF(name, oargs, iargs, cargs, flags) INDEX_op_##name,
#include "tcg/ops.def"
#undef DEF
    NB_OPS,
} TCGOpcode;

/* Op flags (ops.def). */
enum {
    OPF_BB_END      = 1 << 0,   /* ends a basic block */
    OPF_COND_BRANCH = 1 << 1,   /* conditional: falls through */
    OPF_SIDE_EFFECTS = 1 << 2,  /* never removed */
    OPF_CALL        = 1 << 3,
    OPF_GUEST_MEM   = 1 << 4,   /* guest load/store: syncs globals, may raise */
    OPF_NOT_PRESENT = 1 << 5,   /* generates no host code */
};

typedef struct TCGOpDef {
    const char *name;
    uint8_t nb_oargs, nb_iargs, nb_cargs;
    uint8_t flags;
} TCGOpDef;
extern const TCGOpDef tcg_op_defs[NB_OPS];

/* Conditions.  Bit 0 set = inverse of the even one before it. */
typedef enum {
    TCG_COND_NEVER = 0, TCG_COND_ALWAYS = 1,
    TCG_COND_EQ = 2,  TCG_COND_NE = 3,
    TCG_COND_LT = 4,  TCG_COND_GE = 5,
    TCG_COND_GT = 6,  TCG_COND_LE = 7,
    TCG_COND_LTU = 8, TCG_COND_GEU = 9,
    TCG_COND_GTU = 10, TCG_COND_LEU = 11,
    TCG_COND_TSTEQ = 12, TCG_COND_TSTNE = 13,   /* (a & b) == 0, != 0 */
} TCGCond;

static inline TCGCond tcg_invert_cond(TCGCond c) { return (TCGCond)(c ^ 1); }
/* The condition with operands swapped: a < b  <=>  b > a. */
TCGCond tcg_swap_cond(TCGCond c);
bool tcg_cond_eval(TCGCond c, TCGType type, uint64_t a, uint64_t b);

/* Guest memory access descriptor. */
typedef enum {
    MO_8 = 0, MO_16 = 1, MO_32 = 2, MO_64 = 3,
    MO_SIZE = 3,
    MO_SIGN = 4,
    MO_WRITE_INTENT = 8,    /* a load that must be allowed to write (x86 read-modify-write) */
    MO_SB = MO_8 | MO_SIGN, MO_SW = MO_16 | MO_SIGN, MO_SL = MO_32 | MO_SIGN,
} TCGMemOp;
/*
 * memop in bits 0-3, mmu index in bits 4-5, and bits 6-7 for the target's
 * own access attributes (x86: a stack-segment access, which faults as #SS),
 * handed to the target's tlb_fill through TCGCPU.access_attr.
 */
typedef uint32_t TCGMemOpIdx;
#define TCG_OI_ATTR_SHIFT 6
static inline TCGMemOpIdx make_memop_idx(TCGMemOp op, unsigned mmu_idx) { return op | (mmu_idx << 4); }
static inline TCGMemOp get_memop(TCGMemOpIdx oi) { return (TCGMemOp)(oi & 15); }
static inline unsigned get_mmuidx(TCGMemOpIdx oi) { return (oi >> 4) & 3; }
static inline unsigned get_oi_attr(TCGMemOpIdx oi) { return (oi >> TCG_OI_ATTR_SHIFT) & 3; }

/* Helper call flags. */
enum {
    TCG_CALL_NO_READ_GLOBALS  = 1 << 0,
    TCG_CALL_NO_WRITE_GLOBALS = 1 << 1,
    TCG_CALL_NO_SIDE_EFFECTS  = 1 << 2,  /* pure: removed when the result is unused */
    TCG_CALL_NO_RETURN        = 1 << 3,  /* always leaves through the jmp_buf */
};
#define TCG_CALL_NO_RWG (TCG_CALL_NO_READ_GLOBALS | TCG_CALL_NO_WRITE_GLOBALS)
#define TCG_CALL_PURE (TCG_CALL_NO_RWG | TCG_CALL_NO_SIDE_EFFECTS)
#define TCG_CALL_NO_WG TCG_CALL_NO_WRITE_GLOBALS

enum { TCG_CALL_VOID = 0, TCG_CALL_I32 = 1, TCG_CALL_I64 = 2 };   /* arg/ret kinds; pointers are I64 */
#define TCG_MAX_HELPER_ARGS 6

typedef struct TCGHelperInfo {
    void *func;
    const char *name;
    unsigned flags;
    uint8_t ret;                               /* TCG_CALL_VOID/I32/I64 */
    uint8_t nargs;
    uint8_t args[TCG_MAX_HELPER_ARGS];         /* TCG_CALL_I32/I64 */
} TCGHelperInfo;

/* Define a TCGHelperInfo for a helper function: DEF_HELPER(name, flags, ret, nargs, args...). */
#define TCG_HELPER_INFO(fn, fl, r, n, ...) \
    { .func = (void *)(fn), .name = #fn, .flags = (fl), .ret = (r), .nargs = (n), .args = { __VA_ARGS__ } }

typedef enum {
    TEMP_EBB,
    TEMP_TB,
    TEMP_GLOBAL,
    TEMP_CONST,
    TEMP_ENV,
} TCGTempKind;

/* Register allocator state of a temp (used by the code generator). */
typedef enum { TEMP_VAL_DEAD, TEMP_VAL_REG, TEMP_VAL_MEM, TEMP_VAL_CONST } TCGTempVal;

typedef struct TCGTemp {
    uint8_t kind;           /* TCGTempKind */
    uint8_t type;           /* TCGType: width in memory for globals */
    uint8_t val_type;       /* TCGTempVal (code generator) */
    int8_t reg;             /* host register while TEMP_VAL_REG */
    bool mem_coherent;      /* memory copy equals the register */
    bool mem_allocated;     /* a frame slot is assigned */
    int32_t mem_offset;     /* globals: offset from env; others: frame slot offset */
    uint64_t val;           /* constants */
    const char *name;       /* globals */
} TCGTemp;

typedef int TCGv;           /* a temp index */
#define TCG_MAX_TEMPS 8192

typedef struct TCGLabel {
    bool present;           /* set_label emitted */
    bool has_value;         /* code generator: address known */
    uintptr_t value;        /* host address */
    struct TCGReloc *relocs;
} TCGLabel;

#define TCG_MAX_OP_ARGS 10

typedef struct TCGOp {
    uint8_t opc;            /* TCGOpcode */
    uint8_t type;           /* TCGType */
    uint8_t nout, nin;      /* for call; else from tcg_op_defs */
    uint16_t life;          /* liveness: DEAD_ARG bits */
    uint64_t args[TCG_MAX_OP_ARGS];   /* outputs, inputs (temp indices), constants */
} TCGOp;

#define DEAD_ARG(n) (1u << (n))

static inline unsigned tcg_op_nout(const TCGOp *op)
{
    return op->opc == INDEX_op_call ? op->nout : tcg_op_defs[op->opc].nb_oargs;
}
static inline unsigned tcg_op_nin(const TCGOp *op)
{
    return op->opc == INDEX_op_call ? op->nin : tcg_op_defs[op->opc].nb_iargs;
}
static inline unsigned tcg_op_ncarg(const TCGOp *op)
{
    return op->opc == INDEX_op_call ? 1 : tcg_op_defs[op->opc].nb_cargs;
}
/* The call op's helper (its only constant argument). */
static inline const TCGHelperInfo *tcg_op_helper(const TCGOp *op)
{
    return (const TCGHelperInfo *)(uintptr_t)op->args[op->nout + op->nin];
}

/* One translation's IR. */
typedef struct TCGContext {
    TCGTemp *temps;
    int nb_temps, max_temps;
    int nb_globals;             /* globals and env come first and survive tcg_ctx_reset */
    TCGv env;

    TCGOp *ops;
    int nb_ops, max_ops;

    TCGLabel *labels;
    int nb_labels, max_labels;

    /* Constant temps of this TB, by value (width-independent). */
    GHashTable *consts;

    /* Where the last insn_start is, to patch its length later. */
    int last_insn_start;
} TCGContext;

TCGContext *tcg_ctx_new(void);
void tcg_ctx_free(TCGContext *s);
/* Forget the ops, labels and non-global temps of the previous TB. */
void tcg_ctx_reset(TCGContext *s);

/* Globals (only before the first op of the first TB is generated). */
TCGv tcg_global_mem_new(TCGContext *s, TCGType type, int32_t env_offset, const char *name);

TCGv tcg_temp_new(TCGContext *s);          /* ebb */
TCGv tcg_temp_local_new(TCGContext *s);    /* tb */
TCGv tcg_const(TCGContext *s, uint64_t val);
/* A constant not shared with others, whose value may be set later (before optimisation). */
TCGv tcg_const_unique(TCGContext *s, uint64_t val);
static inline bool tcg_temp_is_const(TCGContext *s, TCGv t) { return s->temps[t].kind == TEMP_CONST; }
int tcg_label_new(TCGContext *s);

/* Raw emission. */
TCGOp *tcg_emit_op(TCGContext *s, TCGOpcode opc, TCGType type);
void tcg_gen_op1(TCGContext *s, TCGOpcode opc, TCGType type, uint64_t a0);
void tcg_gen_op2(TCGContext *s, TCGOpcode opc, TCGType type, uint64_t a0, uint64_t a1);
void tcg_gen_op3(TCGContext *s, TCGOpcode opc, TCGType type, uint64_t a0, uint64_t a1, uint64_t a2);
void tcg_gen_op4(TCGContext *s, TCGOpcode opc, TCGType type, uint64_t a0, uint64_t a1, uint64_t a2,
                 uint64_t a3);
void tcg_gen_op5(TCGContext *s, TCGOpcode opc, TCGType type, uint64_t a0, uint64_t a1, uint64_t a2,
                 uint64_t a3, uint64_t a4);
void tcg_gen_op6(TCGContext *s, TCGOpcode opc, TCGType type, uint64_t a0, uint64_t a1, uint64_t a2,
                 uint64_t a3, uint64_t a4, uint64_t a5);

/* ---- Front-end API: tcg_gen_<op>(s, width, ...) ---- */
static inline void tcg_gen_mov(TCGContext *s, TCGType t, TCGv d, TCGv a)
{
    if (d != a || t == TCG_I32) {
        tcg_gen_op2(s, INDEX_op_mov, t, d, a);
    }
}
static inline void tcg_gen_movi(TCGContext *s, TCGType t, TCGv d, uint64_t v)
{
    tcg_gen_op2(s, INDEX_op_mov, t, d, tcg_const(s, t == TCG_I32 ? (uint32_t)v : v));
}

#define TCG_GEN_BINARY(name)                                                          \
    static inline void tcg_gen_##name(TCGContext *s, TCGType t, TCGv d, TCGv a, TCGv b) \
    { tcg_gen_op3(s, INDEX_op_##name, t, d, a, b); }                                \
    static inline void tcg_gen_##name##i(TCGContext *s, TCGType t, TCGv d, TCGv a, uint64_t b) \
    { tcg_gen_op3(s, INDEX_op_##name, t, d, a, tcg_const(s, b)); }
TCG_GEN_BINARY(add)
TCG_GEN_BINARY(sub)
TCG_GEN_BINARY(mul)
TCG_GEN_BINARY(and)
TCG_GEN_BINARY(or)
TCG_GEN_BINARY(xor)
TCG_GEN_BINARY(andc)
TCG_GEN_BINARY(shl)
TCG_GEN_BINARY(shr)
TCG_GEN_BINARY(sar)
TCG_GEN_BINARY(rotl)
TCG_GEN_BINARY(rotr)
TCG_GEN_BINARY(clz)
TCG_GEN_BINARY(ctz)
#undef TCG_GEN_BINARY

#define TCG_GEN_UNARY(name)                                                   \
    static inline void tcg_gen_##name(TCGContext *s, TCGType t, TCGv d, TCGv a) \
    { tcg_gen_op2(s, INDEX_op_##name, t, d, a); }
TCG_GEN_UNARY(neg)
TCG_GEN_UNARY(not)
TCG_GEN_UNARY(ext8s)
TCG_GEN_UNARY(ext8u)
TCG_GEN_UNARY(ext16s)
TCG_GEN_UNARY(ext16u)
TCG_GEN_UNARY(bswap16)
TCG_GEN_UNARY(bswap32)
TCG_GEN_UNARY(ctpop)
#undef TCG_GEN_UNARY
static inline void tcg_gen_ext32s(TCGContext *s, TCGv d, TCGv a) { tcg_gen_op2(s, INDEX_op_ext32s, TCG_I64, d, a); }
static inline void tcg_gen_ext32u(TCGContext *s, TCGv d, TCGv a) { tcg_gen_op2(s, INDEX_op_ext32u, TCG_I64, d, a); }
static inline void tcg_gen_bswap64(TCGContext *s, TCGv d, TCGv a) { tcg_gen_op2(s, INDEX_op_bswap64, TCG_I64, d, a); }

static inline void tcg_gen_subfi(TCGContext *s, TCGType t, TCGv d, uint64_t a, TCGv b)
{
    tcg_gen_op3(s, INDEX_op_sub, t, d, tcg_const(s, a), b);
}
static inline void tcg_gen_mulu2(TCGContext *s, TCGType t, TCGv lo, TCGv hi, TCGv a, TCGv b)
{
    tcg_gen_op4(s, INDEX_op_mulu2, t, lo, hi, a, b);
}
static inline void tcg_gen_muls2(TCGContext *s, TCGType t, TCGv lo, TCGv hi, TCGv a, TCGv b)
{
    tcg_gen_op4(s, INDEX_op_muls2, t, lo, hi, a, b);
}
static inline void tcg_gen_add2(TCGContext *s, TCGType t, TCGv lo, TCGv hi, TCGv al, TCGv ah, TCGv bl, TCGv bh)
{
    tcg_gen_op6(s, INDEX_op_add2, t, lo, hi, al, ah, bl, bh);
}
static inline void tcg_gen_sub2(TCGContext *s, TCGType t, TCGv lo, TCGv hi, TCGv al, TCGv ah, TCGv bl, TCGv bh)
{
    tcg_gen_op6(s, INDEX_op_sub2, t, lo, hi, al, ah, bl, bh);
}
static inline void tcg_gen_setcond(TCGContext *s, TCGType t, TCGCond c, TCGv d, TCGv a, TCGv b)
{
    tcg_gen_op4(s, INDEX_op_setcond, t, d, a, b, c);
}
static inline void tcg_gen_setcondi(TCGContext *s, TCGType t, TCGCond c, TCGv d, TCGv a, uint64_t b)
{
    tcg_gen_op4(s, INDEX_op_setcond, t, d, a, tcg_const(s, b), c);
}
static inline void tcg_gen_negsetcond(TCGContext *s, TCGType t, TCGCond c, TCGv d, TCGv a, TCGv b)
{
    tcg_gen_op4(s, INDEX_op_negsetcond, t, d, a, b, c);
}
static inline void tcg_gen_movcond(TCGContext *s, TCGType t, TCGCond c, TCGv d, TCGv c1, TCGv c2,
                                   TCGv v1, TCGv v2)
{
    tcg_gen_op6(s, INDEX_op_movcond, t, d, c1, c2, v1, v2, c);
}
static inline void tcg_gen_deposit(TCGContext *s, TCGType t, TCGv d, TCGv a, TCGv b, unsigned pos, unsigned len)
{
    tcg_gen_op5(s, INDEX_op_deposit, t, d, a, b, pos, len);
}
static inline void tcg_gen_extract(TCGContext *s, TCGType t, TCGv d, TCGv a, unsigned pos, unsigned len)
{
    tcg_gen_op4(s, INDEX_op_extract, t, d, a, pos, len);
}
static inline void tcg_gen_sextract(TCGContext *s, TCGType t, TCGv d, TCGv a, unsigned pos, unsigned len)
{
    tcg_gen_op4(s, INDEX_op_sextract, t, d, a, pos, len);
}

/* Host loads/stores relative to a base temp (normally s->env). */
static inline void tcg_gen_ld(TCGContext *s, TCGOpcode opc, TCGv d, TCGv base, int32_t off)
{
    tcg_gen_op3(s, opc, TCG_I64, d, base, (uint64_t)(int64_t)off);
}
static inline void tcg_gen_st(TCGContext *s, TCGOpcode opc, TCGv v, TCGv base, int32_t off)
{
    tcg_gen_op3(s, opc, TCG_I64, v, base, (uint64_t)(int64_t)off);
}

static inline void tcg_gen_guest_ld(TCGContext *s, TCGv d, TCGv addr, TCGMemOpIdx oi)
{
    tcg_gen_op3(s, INDEX_op_guest_ld, (get_memop(oi) & MO_SIZE) == MO_64 ? TCG_I64 : TCG_I32, d, addr, oi);
}
static inline void tcg_gen_guest_st(TCGContext *s, TCGv v, TCGv addr, TCGMemOpIdx oi)
{
    tcg_gen_op3(s, INDEX_op_guest_st, (get_memop(oi) & MO_SIZE) == MO_64 ? TCG_I64 : TCG_I32, v, addr, oi);
}

/*
 * A guard: if (a c b), the target raises its guest exception `code` at the
 * current instruction (TCGTargetOps.trap); otherwise nothing happens.
 * Cheaper than brcond around a call: the block is not split.
 */
static inline void tcg_gen_trapcond(TCGContext *s, TCGType t, TCGCond c, TCGv a, TCGv b, uint64_t code)
{
    tcg_gen_op4(s, INDEX_op_trapcond, t, a, b, c, code);
}

/* Control flow. */
void tcg_gen_set_label(TCGContext *s, int label);
static inline void tcg_gen_br(TCGContext *s, int label) { tcg_gen_op1(s, INDEX_op_br, TCG_I64, label); }
static inline void tcg_gen_brcond(TCGContext *s, TCGType t, TCGCond c, TCGv a, TCGv b, int label)
{
    tcg_gen_op4(s, INDEX_op_brcond, t, a, b, c, label);
}
static inline void tcg_gen_brcondi(TCGContext *s, TCGType t, TCGCond c, TCGv a, uint64_t b, int label)
{
    tcg_gen_op4(s, INDEX_op_brcond, t, a, tcg_const(s, b), c, label);
}
static inline void tcg_gen_goto_tb(TCGContext *s, unsigned slot) { tcg_gen_op1(s, INDEX_op_goto_tb, TCG_I64, slot); }
static inline void tcg_gen_exit_tb(TCGContext *s, uint64_t val) { tcg_gen_op1(s, INDEX_op_exit_tb, TCG_I64, val); }
static inline void tcg_gen_goto_ptr(TCGContext *s, TCGv ptr) { tcg_gen_op1(s, INDEX_op_goto_ptr, TCG_I64, ptr); }
static inline void tcg_gen_discard(TCGContext *s, TCGv t) { tcg_gen_op1(s, INDEX_op_discard, TCG_I64, t); }
void tcg_gen_insn_start(TCGContext *s, uint64_t pc, uint64_t aux);
/* Patch the length of the last insn_start (known once the instruction is decoded). */
void tcg_set_insn_length(TCGContext *s, unsigned len);
void tcg_set_insn_aux(TCGContext *s, uint64_t aux);

/*
 * Call a helper: ret is -1 for void.  Arguments are temps; the info
 * declares their kinds.
 */
void tcg_gen_call(TCGContext *s, const TCGHelperInfo *info, TCGv ret, int nargs, const TCGv *args);
#define tcg_gen_callN(s, info, ret, ...) \
    tcg_gen_call(s, info, ret, sizeof((TCGv[]){ __VA_ARGS__ }) / sizeof(TCGv), (TCGv[]){ __VA_ARGS__ })
static inline void tcg_gen_call0(TCGContext *s, const TCGHelperInfo *info, TCGv ret)
{
    tcg_gen_call(s, info, ret, 0, NULL);
}

/* ---- Passes ---- */
void tcg_optimize(TCGContext *s);
void tcg_liveness(TCGContext *s);

/* Text dump of the IR (for -d op and test failures). */
void tcg_dump_ops(TCGContext *s, GString *out);
const char *tcg_cond_name(TCGCond c);

/* Constant evaluation shared by the optimiser and the interpreter. */
uint64_t tcg_eval_unary(TCGOpcode opc, TCGType type, uint64_t a);
uint64_t tcg_eval_binary(TCGOpcode opc, TCGType type, uint64_t a, uint64_t b);
bool tcg_op_is_foldable_unary(TCGOpcode opc);
bool tcg_op_is_foldable_binary(TCGOpcode opc);
uint64_t tcg_deposit_val(TCGType type, uint64_t a, uint64_t b, unsigned pos, unsigned len);
uint64_t tcg_extract_val(uint64_t a, unsigned pos, unsigned len, bool sign);

static inline uint64_t tcg_trunc(TCGType t, uint64_t v) { return t == TCG_I32 ? (uint32_t)v : v; }

#endif
