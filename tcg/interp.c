/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IR interpreter (see interp.h).  Straightforward on purpose: each op
 * is evaluated with the same helpers the optimiser folds with
 * (tcg_eval_*), so the interpreter is the definition the code generator
 * is tested against.
 */
#include <assert.h>
#include <string.h>

#include "tcg/interp.h"

typedef uint64_t (*helper_fn0)(void);
typedef uint64_t (*helper_fn1)(uint64_t);
typedef uint64_t (*helper_fn2)(uint64_t, uint64_t);
typedef uint64_t (*helper_fn3)(uint64_t, uint64_t, uint64_t);
typedef uint64_t (*helper_fn4)(uint64_t, uint64_t, uint64_t, uint64_t);
typedef uint64_t (*helper_fn5)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
typedef uint64_t (*helper_fn6)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

uint64_t tcg_call_helper(const TCGHelperInfo *info, const uint64_t *a)
{
    uint64_t r = 0;
    uint64_t v[TCG_MAX_HELPER_ARGS];

    for (unsigned i = 0; i < info->nargs; i++) {
        v[i] = info->args[i] == TCG_CALL_I32 ? (uint32_t)a[i] : a[i];
    }
    /*
     * The SysV x86-64 ABI passes every integer argument in a 64-bit
     * register and a callee reads only the width it declared, which is what
     * the generated code relies on too.
     */
    switch (info->nargs) {
    case 0: r = ((helper_fn0)info->func)(); break;
    case 1: r = ((helper_fn1)info->func)(v[0]); break;
    case 2: r = ((helper_fn2)info->func)(v[0], v[1]); break;
    case 3: r = ((helper_fn3)info->func)(v[0], v[1], v[2]); break;
    case 4: r = ((helper_fn4)info->func)(v[0], v[1], v[2], v[3]); break;
    case 5: r = ((helper_fn5)info->func)(v[0], v[1], v[2], v[3], v[4]); break;
    case 6: r = ((helper_fn6)info->func)(v[0], v[1], v[2], v[3], v[4], v[5]); break;
    default: assert(0);
    }
    if (info->ret == TCG_CALL_I32) {
        r = (uint32_t)r;
    }
    return r;
}

typedef struct Interp {
    TCGContext *s;
    uint8_t *env;
    uint64_t *vals;
} Interp;

static uint64_t rd(Interp *in, uint64_t t)
{
    const TCGTemp *ts = &in->s->temps[t];

    switch (ts->kind) {
    case TEMP_CONST:
        return ts->val;
    case TEMP_ENV:
        return (uintptr_t)in->env;
    case TEMP_GLOBAL:
        if (ts->type == TCG_I32) {
            uint32_t v;
            memcpy(&v, in->env + ts->mem_offset, 4);
            return v;
        } else {
            uint64_t v;
            memcpy(&v, in->env + ts->mem_offset, 8);
            return v;
        }
    default:
        return in->vals[t];
    }
}

static void wr(Interp *in, uint64_t t, uint64_t v)
{
    const TCGTemp *ts = &in->s->temps[t];

    switch (ts->kind) {
    case TEMP_GLOBAL:
        if (ts->type == TCG_I32) {
            uint32_t w = (uint32_t)v;
            memcpy(in->env + ts->mem_offset, &w, 4);
        } else {
            memcpy(in->env + ts->mem_offset, &v, 8);
        }
        break;
    case TEMP_CONST:
    case TEMP_ENV:
        assert(!"write to a constant temp");
        break;
    default:
        in->vals[t] = v;
        break;
    }
}

static uint64_t host_load(uintptr_t p, TCGOpcode opc)
{
    switch (opc) {
    case INDEX_op_ld8u: { uint8_t v; memcpy(&v, (void *)p, 1); return v; }
    case INDEX_op_ld8s: { int8_t v; memcpy(&v, (void *)p, 1); return (uint64_t)(int64_t)v; }
    case INDEX_op_ld16u: { uint16_t v; memcpy(&v, (void *)p, 2); return v; }
    case INDEX_op_ld16s: { int16_t v; memcpy(&v, (void *)p, 2); return (uint64_t)(int64_t)v; }
    case INDEX_op_ld32u: { uint32_t v; memcpy(&v, (void *)p, 4); return v; }
    case INDEX_op_ld32s: { int32_t v; memcpy(&v, (void *)p, 4); return (uint64_t)(int64_t)v; }
    default: { uint64_t v; memcpy(&v, (void *)p, 8); return v; }
    }
}

static void host_store(uintptr_t p, TCGOpcode opc, uint64_t v)
{
    switch (opc) {
    case INDEX_op_st8: { uint8_t w = (uint8_t)v; memcpy((void *)p, &w, 1); break; }
    case INDEX_op_st16: { uint16_t w = (uint16_t)v; memcpy((void *)p, &w, 2); break; }
    case INDEX_op_st32: { uint32_t w = (uint32_t)v; memcpy((void *)p, &w, 4); break; }
    default: memcpy((void *)p, &v, 8); break;
    }
}

TCGInterpExit tcg_interp(TCGContext *s, void *env, const TCGInterpHooks *hooks, uint64_t *value)
{
    Interp in = { .s = s, .env = env, .vals = g_new0(uint64_t, s->nb_temps) };
    int *label_pos = g_new(int, s->nb_labels ? s->nb_labels : 1);
    int insn = -1;
    TCGInterpExit result = TCG_INTERP_EXIT_TB;

    *value = 0;
    for (int i = 0; i < s->nb_ops; i++) {
        if (s->ops[i].opc == INDEX_op_set_label) {
            label_pos[s->ops[i].args[0]] = i;
        }
    }
    for (int i = 0; i < s->nb_ops; i++) {
        const TCGOp *op = &s->ops[i];
        const uint64_t *a = op->args;
        TCGType t = (TCGType)op->type;
        TCGOpcode opc = (TCGOpcode)op->opc;

        switch (opc) {
        case INDEX_op_nop:
        case INDEX_op_discard:
        case INDEX_op_set_label:
        case INDEX_op_mb:
            break;
        case INDEX_op_insn_start:
            insn++;
            break;
        case INDEX_op_br:
            i = label_pos[a[0]];
            break;
        case INDEX_op_brcond:
            if (tcg_cond_eval((TCGCond)a[2], t, rd(&in, a[0]), rd(&in, a[1]))) {
                i = label_pos[a[3]];
            }
            break;
        case INDEX_op_trapcond:
            if (tcg_cond_eval((TCGCond)a[2], t, rd(&in, a[0]), rd(&in, a[1]))) {
                *value = a[3];
                result = TCG_INTERP_TRAP;
                goto out;
            }
            break;
        case INDEX_op_goto_tb:
            *value = a[0];
            result = TCG_INTERP_GOTO_TB;
            goto out;
        case INDEX_op_exit_tb:
            *value = a[0];
            result = TCG_INTERP_EXIT_TB;
            goto out;
        case INDEX_op_goto_ptr:
            *value = rd(&in, a[0]);
            result = TCG_INTERP_GOTO_PTR;
            goto out;
        case INDEX_op_call: {
            const TCGHelperInfo *info = tcg_op_helper(op);
            uint64_t args[TCG_MAX_HELPER_ARGS];
            for (unsigned k = 0; k < op->nin; k++) {
                args[k] = rd(&in, a[op->nout + k]);
            }
            uint64_t r = tcg_call_helper(info, args);
            if (op->nout) {
                wr(&in, a[0], r);
            }
            break;
        }
        case INDEX_op_setcond:
            wr(&in, a[0], tcg_cond_eval((TCGCond)a[3], t, rd(&in, a[1]), rd(&in, a[2])));
            break;
        case INDEX_op_negsetcond:
            wr(&in, a[0], tcg_trunc(t, -(uint64_t)tcg_cond_eval((TCGCond)a[3], t, rd(&in, a[1]), rd(&in, a[2]))));
            break;
        case INDEX_op_movcond:
            wr(&in, a[0], tcg_trunc(t, tcg_cond_eval((TCGCond)a[5], t, rd(&in, a[1]), rd(&in, a[2]))
                                           ? rd(&in, a[3]) : rd(&in, a[4])));
            break;
        case INDEX_op_mulu2:
        case INDEX_op_muls2: {
            uint64_t x = tcg_trunc(t, rd(&in, a[2])), y = tcg_trunc(t, rd(&in, a[3]));
            uint64_t lo, hi;
            if (t == TCG_I32) {
                uint64_t p = opc == INDEX_op_mulu2 ? x * y
                                                   : (uint64_t)((int64_t)(int32_t)x * (int64_t)(int32_t)y);
                lo = (uint32_t)p;
                hi = (uint32_t)(p >> 32);
            } else if (opc == INDEX_op_mulu2) {
                unsigned __int128 p = (unsigned __int128)x * y;
                lo = (uint64_t)p;
                hi = (uint64_t)(p >> 64);
            } else {
                __int128 p = (__int128)(int64_t)x * (int64_t)y;
                lo = (uint64_t)p;
                hi = (uint64_t)((unsigned __int128)p >> 64);
            }
            wr(&in, a[0], lo);
            wr(&in, a[1], hi);
            break;
        }
        case INDEX_op_add2:
        case INDEX_op_sub2: {
            unsigned bits = t == TCG_I32 ? 32 : 64;
            unsigned __int128 x = ((unsigned __int128)tcg_trunc(t, rd(&in, a[3])) << bits) | tcg_trunc(t, rd(&in, a[2]));
            unsigned __int128 y = ((unsigned __int128)tcg_trunc(t, rd(&in, a[5])) << bits) | tcg_trunc(t, rd(&in, a[4]));
            unsigned __int128 r = opc == INDEX_op_add2 ? x + y : x - y;
            wr(&in, a[0], tcg_trunc(t, (uint64_t)r));
            wr(&in, a[1], tcg_trunc(t, (uint64_t)(r >> bits)));
            break;
        }
        case INDEX_op_deposit:
            wr(&in, a[0], tcg_deposit_val(t, rd(&in, a[1]), rd(&in, a[2]), (unsigned)a[3], (unsigned)a[4]));
            break;
        case INDEX_op_extract:
        case INDEX_op_sextract:
            wr(&in, a[0], tcg_trunc(t, tcg_extract_val(tcg_trunc(t, rd(&in, a[1])), (unsigned)a[2], (unsigned)a[3],
                                                       opc == INDEX_op_sextract)));
            break;
        case INDEX_op_ld8u: case INDEX_op_ld8s: case INDEX_op_ld16u: case INDEX_op_ld16s:
        case INDEX_op_ld32u: case INDEX_op_ld32s: case INDEX_op_ld64:
            wr(&in, a[0], tcg_trunc(t, host_load(rd(&in, a[1]) + a[2], opc)));
            break;
        case INDEX_op_st8: case INDEX_op_st16: case INDEX_op_st32: case INDEX_op_st64:
            host_store(rd(&in, a[1]) + a[2], opc, rd(&in, a[0]));
            break;
        case INDEX_op_guest_ld:
            wr(&in, a[0], tcg_trunc(t, hooks->guest_ld(env, rd(&in, a[1]), (TCGMemOpIdx)a[2], insn)));
            break;
        case INDEX_op_guest_st:
            hooks->guest_st(env, rd(&in, a[1]), rd(&in, a[0]), (TCGMemOpIdx)a[2], insn);
            break;
        default:
            if (tcg_op_is_foldable_unary(opc)) {
                wr(&in, a[0], tcg_eval_unary(opc, t, rd(&in, a[1])));
            } else if (tcg_op_is_foldable_binary(opc)) {
                wr(&in, a[0], tcg_eval_binary(opc, t, rd(&in, a[1]), rd(&in, a[2])));
            } else {
                assert(!"interp: unhandled op");
            }
            break;
        }
    }
out:
    g_free(label_pos);
    g_free(in.vals);
    return result;
}
