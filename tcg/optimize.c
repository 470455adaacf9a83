/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The optimiser: one forward pass doing constant propagation and folding,
 * copy propagation and algebraic simplification, with branch folding for
 * constant conditions.  Knowledge is per extended basic block: everything
 * is forgotten at a label, and globals are forgotten across helpers that
 * may write them.  Dead code is removed afterwards by the liveness pass.
 */
#include <assert.h>
#include <string.h>

#include "tcg/tcg.h"

typedef struct TempInfo {
    bool is_const;
    bool zext32;        /* known to hold a zero-extended 32-bit value */
    uint64_t val;
    TCGv next_copy, prev_copy;   /* circular list of temps holding the same value */
} TempInfo;

typedef struct Opt {
    TCGContext *s;
    TempInfo *ti;
    int ti_size;        /* allocated entries */
    int nb_init;        /* entries initialised (temps created later are constants) */
} Opt;

static void reset_temp(Opt *o, TCGv t);

/* Give every temp created since the last call (constants made by folding) its info. */
static void sync_info(Opt *o)
{
    if (o->s->nb_temps > o->ti_size) {
        o->ti_size = o->s->nb_temps * 2 + 64;
        o->ti = g_renew(TempInfo, o->ti, o->ti_size);
    }
    for (; o->nb_init < o->s->nb_temps; o->nb_init++) {
        TCGv t = o->nb_init;
        o->ti[t].next_copy = o->ti[t].prev_copy = t;
        reset_temp(o, t);
    }
}

static TCGv opt_const(Opt *o, uint64_t val)
{
    TCGv c = tcg_const(o->s, val);
    sync_info(o);
    return c;
}

static void reset_temp(Opt *o, TCGv t)
{
    TempInfo *ti = &o->ti[t];

    /* Unlink from its copy list. */
    o->ti[ti->prev_copy].next_copy = ti->next_copy;
    o->ti[ti->next_copy].prev_copy = ti->prev_copy;
    ti->next_copy = ti->prev_copy = t;
    if (o->s->temps[t].kind == TEMP_CONST) {
        ti->is_const = true;
        ti->val = o->s->temps[t].val;
        ti->zext32 = (ti->val >> 32) == 0;
    } else {
        ti->is_const = false;
        ti->zext32 = false;
    }
}

static void reset_all(Opt *o)
{
    o->nb_init = 0;
    sync_info(o);
}

static bool is_const(Opt *o, TCGv t) { return o->ti[t].is_const; }
static uint64_t cval(Opt *o, TCGv t) { return o->ti[t].val; }

static bool are_copies(Opt *o, TCGv a, TCGv b)
{
    if (a == b) {
        return true;
    }
    if (is_const(o, a) && is_const(o, b)) {
        return cval(o, a) == cval(o, b);
    }
    for (TCGv i = o->ti[a].next_copy; i != a; i = o->ti[i].next_copy) {
        if (i == b) {
            return true;
        }
    }
    return false;
}

/* Prefer the copy that lives longest: const > env > global > tb > ebb. */
static int kind_rank(TCGTempKind k)
{
    switch (k) {
    case TEMP_CONST: return 4;
    case TEMP_ENV: return 3;
    case TEMP_GLOBAL: return 2;
    case TEMP_TB: return 1;
    default: return 0;
    }
}

static TCGv best_copy(Opt *o, TCGv t)
{
    TCGv best = t;
    int rank = kind_rank(o->s->temps[t].kind);

    for (TCGv i = o->ti[t].next_copy; i != t; i = o->ti[i].next_copy) {
        int r = kind_rank(o->s->temps[i].kind);
        if (r > rank) {
            best = i;
            rank = r;
        }
    }
    return best;
}

static void set_const(Opt *o, TCGOp *op, TCGType type, uint64_t val)
{
    TCGv d = (TCGv)op->args[0];
    val = tcg_trunc(type, val);
    op->opc = INDEX_op_mov;
    op->type = TCG_I64;
    op->args[1] = opt_const(o, val);
    reset_temp(o, d);
    o->ti[d].is_const = true;
    o->ti[d].val = val;
    o->ti[d].zext32 = (val >> 32) == 0;
}

/* Turn op into "d = a" (a copy for the purposes of later ops). */
static void set_copy(Opt *o, TCGOp *op, TCGType type, TCGv a)
{
    TCGv d = (TCGv)op->args[0];

    if (is_const(o, a)) {
        set_const(o, op, type, cval(o, a));
        return;
    }
    op->opc = INDEX_op_mov;
    op->type = (type == TCG_I32 && !o->ti[a].zext32) ? TCG_I32 : TCG_I64;
    op->args[1] = a;
    reset_temp(o, d);
    if (d == a) {
        op->opc = op->type == TCG_I32 ? INDEX_op_ext32u : INDEX_op_nop;
        if (op->opc == INDEX_op_ext32u) {
            /* d = zext(d): a 64-bit ext32u, d is now 32-bit clean. */
            op->type = TCG_I64;
            o->ti[d].zext32 = true;
        }
        return;
    }
    if (op->type == TCG_I64) {
        /* Exact copy: join a's list. */
        TempInfo *di = &o->ti[d], *ai = &o->ti[a];
        di->next_copy = ai->next_copy;
        di->prev_copy = a;
        o->ti[ai->next_copy].prev_copy = d;
        ai->next_copy = d;
        di->zext32 = ai->zext32;
    } else {
        o->ti[d].zext32 = true;
    }
}

/* Width of an output: does this op leave a zero-extended 32-bit value? */
static bool op_output_zext32(const TCGOp *op)
{
    switch (op->opc) {
    case INDEX_op_ext8u: case INDEX_op_ext16u: case INDEX_op_ext32u:
    case INDEX_op_ld8u: case INDEX_op_ld16u: case INDEX_op_ld32u:
    case INDEX_op_setcond:
        return true;
    case INDEX_op_extract:
        return op->args[2] + op->args[3] <= 32 || op->args[3] < 32;
    case INDEX_op_guest_ld:
        return !(get_memop((TCGMemOpIdx)op->args[2]) & MO_SIGN) &&
               (get_memop((TCGMemOpIdx)op->args[2]) & MO_SIZE) != MO_64;
    default:
        return op->type == TCG_I32;
    }
}

static void fold_branch(Opt *o, TCGOp *op, bool taken)
{
    if (taken) {
        uint64_t label = op->args[3];
        op->opc = INDEX_op_br;
        op->args[0] = label;
    } else {
        op->opc = INDEX_op_nop;
    }
}

/* Some comparisons are decided without constants (x < x, x == x). */
static int cond_of_copies(TCGCond c)
{
    switch (c) {
    case TCG_COND_EQ: case TCG_COND_GE: case TCG_COND_LE: case TCG_COND_GEU: case TCG_COND_LEU:
    case TCG_COND_ALWAYS:
        return 1;
    case TCG_COND_NE: case TCG_COND_LT: case TCG_COND_GT: case TCG_COND_LTU: case TCG_COND_GTU:
    case TCG_COND_NEVER:
        return 0;
    default:
        return -1;
    }
}

static bool fold_binary_identity(Opt *o, TCGOp *op)
{
    TCGType t = (TCGType)op->type;
    TCGv a = (TCGv)op->args[1], b = (TCGv)op->args[2];
    uint64_t ones = tcg_trunc(t, ~0ull);
    bool bc = is_const(o, b), ac = is_const(o, a);
    uint64_t bv = bc ? tcg_trunc(t, cval(o, b)) : 0, av = ac ? tcg_trunc(t, cval(o, a)) : 0;

    switch (op->opc) {
    case INDEX_op_add: case INDEX_op_or: case INDEX_op_xor:
        if (bc && bv == 0) { set_copy(o, op, t, a); return true; }
        if (ac && av == 0) { set_copy(o, op, t, b); return true; }
        if (op->opc == INDEX_op_xor && are_copies(o, a, b)) { set_const(o, op, t, 0); return true; }
        if (op->opc == INDEX_op_or && are_copies(o, a, b)) { set_copy(o, op, t, a); return true; }
        if (op->opc == INDEX_op_or && bc && bv == ones) { set_const(o, op, t, ones); return true; }
        break;
    case INDEX_op_sub:
        if (bc && bv == 0) { set_copy(o, op, t, a); return true; }
        if (are_copies(o, a, b)) { set_const(o, op, t, 0); return true; }
        break;
    case INDEX_op_shl: case INDEX_op_shr: case INDEX_op_sar: case INDEX_op_rotl: case INDEX_op_rotr:
        if (bc && (bv & (t == TCG_I32 ? 31 : 63)) == 0) { set_copy(o, op, t, a); return true; }
        if (ac && av == 0) { set_const(o, op, t, 0); return true; }
        break;
    case INDEX_op_and:
        if ((bc && bv == 0) || (ac && av == 0)) { set_const(o, op, t, 0); return true; }
        if (bc && bv == ones) { set_copy(o, op, t, a); return true; }
        if (ac && av == ones) { set_copy(o, op, t, b); return true; }
        if (are_copies(o, a, b)) { set_copy(o, op, t, a); return true; }
        /* and with 0xffffffff on a 64-bit op is ext32u; a value already 32-bit clean is unchanged. */
        if (bc && bv == 0xffffffffu && t == TCG_I64 && o->ti[a].zext32) { set_copy(o, op, t, a); return true; }
        break;
    case INDEX_op_andc:
        if (bc && bv == 0) { set_copy(o, op, t, a); return true; }
        if (are_copies(o, a, b)) { set_const(o, op, t, 0); return true; }
        break;
    case INDEX_op_mul:
        if ((bc && bv == 0) || (ac && av == 0)) { set_const(o, op, t, 0); return true; }
        if (bc && bv == 1) { set_copy(o, op, t, a); return true; }
        if (ac && av == 1) { set_copy(o, op, t, b); return true; }
        break;
    default:
        break;
    }
    return false;
}

void tcg_optimize(TCGContext *s)
{
    Opt o = { .s = s };

    reset_all(&o);

    for (int i = 0; i < s->nb_ops; i++) {
        TCGOp *op = &s->ops[i];
        unsigned nout = tcg_op_nout(op), nin = tcg_op_nin(op);
        TCGType t = (TCGType)op->type;

        switch (op->opc) {
        case INDEX_op_set_label:
            reset_all(&o);
            continue;
        case INDEX_op_nop: case INDEX_op_insn_start:
            continue;
        case INDEX_op_discard:
            reset_temp(&o, (TCGv)op->args[0]);
            continue;
        default:
            break;
        }

        /* Replace inputs by their best copies. */
        for (unsigned k = 0; k < nin; k++) {
            TCGv in = (TCGv)op->args[nout + k];
            if (is_const(&o, in) && s->temps[in].kind != TEMP_CONST) {
                op->args[nout + k] = opt_const(&o, cval(&o, in));
            } else {
                op->args[nout + k] = best_copy(&o, in);
            }
        }

        if (op->opc == INDEX_op_call) {
            const TCGHelperInfo *info = tcg_op_helper(op);
            if (!(info->flags & TCG_CALL_NO_WRITE_GLOBALS)) {
                for (TCGv g = 0; g < s->nb_globals; g++) {
                    if (s->temps[g].kind == TEMP_GLOBAL) {
                        reset_temp(&o, g);
                    }
                }
            }
            for (unsigned k = 0; k < nout; k++) {
                reset_temp(&o, (TCGv)op->args[k]);
                o.ti[op->args[k]].zext32 = info->ret == TCG_CALL_I32;
            }
            continue;
        }

        bool done = false;
        TCGOpcode opc = (TCGOpcode)op->opc;
        if (opc == INDEX_op_mov) {
            set_copy(&o, op, t, (TCGv)op->args[1]);
            done = true;
        } else if (tcg_op_is_foldable_unary(opc) && nin == 1 && nout == 1) {
            TCGv a = (TCGv)op->args[1];
            if (is_const(&o, a)) {
                set_const(&o, op, t, tcg_eval_unary(opc, t, cval(&o, a)));
                done = true;
            } else if ((opc == INDEX_op_ext32u || opc == INDEX_op_ext16u || opc == INDEX_op_ext8u) &&
                       o.ti[a].zext32 && opc == INDEX_op_ext32u) {
                set_copy(&o, op, TCG_I64, a);
                done = true;
            }
        } else if (tcg_op_is_foldable_binary(opc)) {
            TCGv a = (TCGv)op->args[1], b = (TCGv)op->args[2];
            if (is_const(&o, a) && is_const(&o, b)) {
                set_const(&o, op, t, tcg_eval_binary(opc, t, cval(&o, a), cval(&o, b)));
                done = true;
            } else {
                done = fold_binary_identity(&o, op);
            }
        } else {
            switch (opc) {
            case INDEX_op_brcond: {
                TCGv a = (TCGv)op->args[0], b = (TCGv)op->args[1];
                TCGCond c = (TCGCond)op->args[2];
                if (is_const(&o, a) && is_const(&o, b)) {
                    fold_branch(&o, op, tcg_cond_eval(c, t, cval(&o, a), cval(&o, b)));
                } else if (are_copies(&o, a, b) && cond_of_copies(c) >= 0) {
                    fold_branch(&o, op, cond_of_copies(c));
                } else if (c == TCG_COND_NEVER || c == TCG_COND_ALWAYS) {
                    fold_branch(&o, op, c == TCG_COND_ALWAYS);
                }
                continue;
            }
            case INDEX_op_trapcond: {
                /* A guard decided at translation time either vanishes or always fires. */
                TCGv a = (TCGv)op->args[0], b = (TCGv)op->args[1];
                TCGCond c = (TCGCond)op->args[2];
                int r = -1;
                if (is_const(&o, a) && is_const(&o, b)) {
                    r = tcg_cond_eval(c, t, cval(&o, a), cval(&o, b));
                } else if (are_copies(&o, a, b)) {
                    r = cond_of_copies(c);
                }
                if (r == 0) {
                    op->opc = INDEX_op_nop;
                } else if (r == 1) {
                    op->args[2] = TCG_COND_ALWAYS;
                }
                continue;
            }
            case INDEX_op_setcond:
            case INDEX_op_negsetcond: {
                TCGv a = (TCGv)op->args[1], b = (TCGv)op->args[2];
                TCGCond c = (TCGCond)op->args[3];
                int r = -1;
                if (is_const(&o, a) && is_const(&o, b)) {
                    r = tcg_cond_eval(c, t, cval(&o, a), cval(&o, b));
                } else if (are_copies(&o, a, b)) {
                    r = cond_of_copies(c);
                }
                if (r >= 0) {
                    set_const(&o, op, t, opc == INDEX_op_setcond ? (uint64_t)r : -(uint64_t)r);
                    done = true;
                }
                break;
            }
            case INDEX_op_movcond: {
                TCGv a = (TCGv)op->args[1], b = (TCGv)op->args[2];
                TCGCond c = (TCGCond)op->args[5];
                int r = -1;
                if (is_const(&o, a) && is_const(&o, b)) {
                    r = tcg_cond_eval(c, t, cval(&o, a), cval(&o, b));
                } else if (are_copies(&o, a, b)) {
                    r = cond_of_copies(c);
                }
                if (r >= 0) {
                    set_copy(&o, op, t, (TCGv)op->args[r ? 3 : 4]);
                    done = true;
                } else if (are_copies(&o, (TCGv)op->args[3], (TCGv)op->args[4])) {
                    set_copy(&o, op, t, (TCGv)op->args[3]);
                    done = true;
                }
                break;
            }
            case INDEX_op_deposit: {
                TCGv a = (TCGv)op->args[1], b = (TCGv)op->args[2];
                if (is_const(&o, a) && is_const(&o, b)) {
                    set_const(&o, op, t, tcg_deposit_val(t, cval(&o, a), cval(&o, b),
                                                         (unsigned)op->args[3], (unsigned)op->args[4]));
                    done = true;
                }
                break;
            }
            case INDEX_op_extract:
            case INDEX_op_sextract: {
                TCGv a = (TCGv)op->args[1];
                if (is_const(&o, a)) {
                    set_const(&o, op, t, tcg_extract_val(tcg_trunc(t, cval(&o, a)), (unsigned)op->args[2],
                                                         (unsigned)op->args[3], opc == INDEX_op_sextract));
                    done = true;
                }
                break;
            }
            default:
                break;
            }
        }
        if (done) {
            continue;
        }
        /* Generic: the outputs are new, unknown values. */
        for (unsigned k = 0; k < nout; k++) {
            reset_temp(&o, (TCGv)op->args[k]);
            o.ti[op->args[k]].zext32 = op_output_zext32(op);
        }
    }
    g_free(o.ti);
}
