/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Building the IR: temps, labels, op emission, constant evaluation (shared
 * by the optimiser and the interpreter so the two can never disagree) and
 * the text dump used by `-d op`.
 */
#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include <glib.h>

#include "tcg/tcg.h"

const TCGOpDef tcg_op_defs[NB_OPS] = {
#define DEF(n, o, i, c, f) [INDEX_op_##n] = { #n, o, i, c, f },
#include "tcg/ops.def"
#undef DEF
};

static const char *const cond_names[] = {
    [TCG_COND_NEVER] = "never", [TCG_COND_ALWAYS] = "always",
    [TCG_COND_EQ] = "eq", [TCG_COND_NE] = "ne",
    [TCG_COND_LT] = "lt", [TCG_COND_GE] = "ge",
    [TCG_COND_GT] = "gt", [TCG_COND_LE] = "le",
    [TCG_COND_LTU] = "ltu", [TCG_COND_GEU] = "geu",
    [TCG_COND_GTU] = "gtu", [TCG_COND_LEU] = "leu",
    [TCG_COND_TSTEQ] = "tsteq", [TCG_COND_TSTNE] = "tstne",
};

const char *tcg_cond_name(TCGCond c)
{
    return (unsigned)c < G_N_ELEMENTS(cond_names) ? cond_names[c] : "?";
}

TCGCond tcg_swap_cond(TCGCond c)
{
    switch (c) {
    case TCG_COND_LT: return TCG_COND_GT;
    case TCG_COND_GT: return TCG_COND_LT;
    case TCG_COND_LE: return TCG_COND_GE;
    case TCG_COND_GE: return TCG_COND_LE;
    case TCG_COND_LTU: return TCG_COND_GTU;
    case TCG_COND_GTU: return TCG_COND_LTU;
    case TCG_COND_LEU: return TCG_COND_GEU;
    case TCG_COND_GEU: return TCG_COND_LEU;
    default: return c;   /* eq, ne, tst*, never, always are symmetric */
    }
}

bool tcg_cond_eval(TCGCond c, TCGType type, uint64_t a, uint64_t b)
{
    int64_t sa, sb;

    a = tcg_trunc(type, a);
    b = tcg_trunc(type, b);
    sa = type == TCG_I32 ? (int32_t)a : (int64_t)a;
    sb = type == TCG_I32 ? (int32_t)b : (int64_t)b;
    switch (c) {
    case TCG_COND_NEVER: return false;
    case TCG_COND_ALWAYS: return true;
    case TCG_COND_EQ: return a == b;
    case TCG_COND_NE: return a != b;
    case TCG_COND_LT: return sa < sb;
    case TCG_COND_GE: return sa >= sb;
    case TCG_COND_GT: return sa > sb;
    case TCG_COND_LE: return sa <= sb;
    case TCG_COND_LTU: return a < b;
    case TCG_COND_GEU: return a >= b;
    case TCG_COND_GTU: return a > b;
    case TCG_COND_LEU: return a <= b;
    case TCG_COND_TSTEQ: return (a & b) == 0;
    case TCG_COND_TSTNE: return (a & b) != 0;
    }
    return false;
}

/* ---- constant evaluation ---- */

bool tcg_op_is_foldable_unary(TCGOpcode opc)
{
    switch (opc) {
    case INDEX_op_mov: case INDEX_op_neg: case INDEX_op_not:
    case INDEX_op_ext8s: case INDEX_op_ext8u: case INDEX_op_ext16s: case INDEX_op_ext16u:
    case INDEX_op_ext32s: case INDEX_op_ext32u:
    case INDEX_op_bswap16: case INDEX_op_bswap32: case INDEX_op_bswap64:
    case INDEX_op_ctpop:
        return true;
    default:
        return false;
    }
}

bool tcg_op_is_foldable_binary(TCGOpcode opc)
{
    switch (opc) {
    case INDEX_op_add: case INDEX_op_sub: case INDEX_op_mul:
    case INDEX_op_and: case INDEX_op_or: case INDEX_op_xor: case INDEX_op_andc:
    case INDEX_op_shl: case INDEX_op_shr: case INDEX_op_sar:
    case INDEX_op_rotl: case INDEX_op_rotr:
    case INDEX_op_clz: case INDEX_op_ctz:
        return true;
    default:
        return false;
    }
}

uint64_t tcg_eval_unary(TCGOpcode opc, TCGType type, uint64_t a)
{
    uint64_t r;

    switch (opc) {
    case INDEX_op_mov: r = a; break;
    case INDEX_op_neg: r = -a; break;
    case INDEX_op_not: r = ~a; break;
    case INDEX_op_ext8s: r = (uint64_t)(int64_t)(int8_t)a; break;
    case INDEX_op_ext8u: r = (uint8_t)a; break;
    case INDEX_op_ext16s: r = (uint64_t)(int64_t)(int16_t)a; break;
    case INDEX_op_ext16u: r = (uint16_t)a; break;
    case INDEX_op_ext32s: r = (uint64_t)(int64_t)(int32_t)a; break;
    case INDEX_op_ext32u: r = (uint32_t)a; break;
    case INDEX_op_bswap16: r = __builtin_bswap16((uint16_t)a); break;
    case INDEX_op_bswap32: r = __builtin_bswap32((uint32_t)a); break;
    case INDEX_op_bswap64: r = __builtin_bswap64(a); break;
    case INDEX_op_ctpop: r = (uint64_t)__builtin_popcountll(tcg_trunc(type, a)); break;
    default: g_assert_not_reached();
    }
    return tcg_trunc(type, r);
}

uint64_t tcg_eval_binary(TCGOpcode opc, TCGType type, uint64_t a, uint64_t b)
{
    unsigned bits = type == TCG_I32 ? 32 : 64;
    /* Counts >= width are unspecified; we take them modulo the width, as x86 hosts do. */
    unsigned sh = (unsigned)b & (bits - 1);
    uint64_t r;

    a = tcg_trunc(type, a);
    b = tcg_trunc(type, b);
    switch (opc) {
    case INDEX_op_add: r = a + b; break;
    case INDEX_op_sub: r = a - b; break;
    case INDEX_op_mul: r = a * b; break;
    case INDEX_op_and: r = a & b; break;
    case INDEX_op_or: r = a | b; break;
    case INDEX_op_xor: r = a ^ b; break;
    case INDEX_op_andc: r = a & ~b; break;
    case INDEX_op_shl: r = a << sh; break;
    case INDEX_op_shr: r = a >> sh; break;
    case INDEX_op_sar:
        r = type == TCG_I32 ? (uint64_t)(uint32_t)((int32_t)a >> sh) : (uint64_t)((int64_t)a >> sh);
        break;
    case INDEX_op_rotl:
        r = sh ? (a << sh) | (a >> (bits - sh)) : a;
        break;
    case INDEX_op_rotr:
        r = sh ? (a >> sh) | (a << (bits - sh)) : a;
        break;
    case INDEX_op_clz:
        if (!a) {
            r = b;
        } else {
            r = type == TCG_I32 ? (uint64_t)__builtin_clz((uint32_t)a) : (uint64_t)__builtin_clzll(a);
        }
        break;
    case INDEX_op_ctz:
        r = a ? (uint64_t)__builtin_ctzll(a) : b;
        break;
    default:
        g_assert_not_reached();
    }
    return tcg_trunc(type, r);
}

uint64_t tcg_deposit_val(TCGType type, uint64_t a, uint64_t b, unsigned pos, unsigned len)
{
    uint64_t mask = (len >= 64 ? ~0ull : ((1ull << len) - 1)) << pos;
    return tcg_trunc(type, (a & ~mask) | ((b << pos) & mask));
}

uint64_t tcg_extract_val(uint64_t a, unsigned pos, unsigned len, bool sign)
{
    uint64_t v = a >> pos;
    if (len >= 64) {
        return v;
    }
    v &= (1ull << len) - 1;
    if (sign && (v >> (len - 1)) & 1) {
        v |= ~0ull << len;
    }
    return v;
}

/* ---- context ---- */

static TCGv temp_alloc(TCGContext *s, TCGTempKind kind, TCGType type)
{
    if (s->nb_temps == s->max_temps) {
        s->max_temps = s->max_temps ? s->max_temps * 2 : 256;
        s->temps = g_renew(TCGTemp, s->temps, s->max_temps);
    }
    TCGv t = s->nb_temps++;
    memset(&s->temps[t], 0, sizeof(TCGTemp));
    s->temps[t].kind = kind;
    s->temps[t].type = type;
    s->temps[t].reg = -1;
    return t;
}

TCGContext *tcg_ctx_new(void)
{
    TCGContext *s = g_new0(TCGContext, 1);

    s->env = temp_alloc(s, TEMP_ENV, TCG_I64);
    s->temps[s->env].name = "env";
    s->nb_globals = s->nb_temps;
    s->consts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    s->last_insn_start = -1;
    return s;
}

void tcg_ctx_free(TCGContext *s)
{
    if (!s) {
        return;
    }
    g_hash_table_destroy(s->consts);
    g_free(s->temps);
    g_free(s->ops);
    g_free(s->labels);
    g_free(s);
}

void tcg_ctx_reset(TCGContext *s)
{
    s->nb_temps = s->nb_globals;
    s->nb_ops = 0;
    s->nb_labels = 0;
    s->last_insn_start = -1;
    g_hash_table_remove_all(s->consts);
}

TCGv tcg_global_mem_new(TCGContext *s, TCGType type, int32_t env_offset, const char *name)
{
    assert(s->nb_temps == s->nb_globals && s->nb_ops == 0);
    TCGv t = temp_alloc(s, TEMP_GLOBAL, type);
    s->temps[t].mem_offset = env_offset;
    s->temps[t].name = name;
    s->nb_globals = s->nb_temps;
    return t;
}

TCGv tcg_temp_new(TCGContext *s)
{
    return temp_alloc(s, TEMP_EBB, TCG_I64);
}

TCGv tcg_temp_local_new(TCGContext *s)
{
    return temp_alloc(s, TEMP_TB, TCG_I64);
}

TCGv tcg_const(TCGContext *s, uint64_t val)
{
    /* The hash table keys point into the temps array, which may move: key by a stable copy. */
    gpointer found = g_hash_table_lookup(s->consts, &val);
    if (found) {
        return GPOINTER_TO_INT(found) - 1;
    }
    TCGv t = temp_alloc(s, TEMP_CONST, TCG_I64);
    s->temps[t].val = val;
    uint64_t *key = g_new(uint64_t, 1);
    *key = val;
    g_hash_table_insert(s->consts, key, GINT_TO_POINTER(t + 1));
    return t;
}

TCGv tcg_const_unique(TCGContext *s, uint64_t val)
{
    TCGv t = temp_alloc(s, TEMP_CONST, TCG_I64);
    s->temps[t].val = val;
    return t;
}

int tcg_label_new(TCGContext *s)
{
    if (s->nb_labels == s->max_labels) {
        s->max_labels = s->max_labels ? s->max_labels * 2 : 64;
        s->labels = g_renew(TCGLabel, s->labels, s->max_labels);
    }
    int l = s->nb_labels++;
    memset(&s->labels[l], 0, sizeof(TCGLabel));
    return l;
}

TCGOp *tcg_emit_op(TCGContext *s, TCGOpcode opc, TCGType type)
{
    if (s->nb_ops == s->max_ops) {
        s->max_ops = s->max_ops ? s->max_ops * 2 : 1024;
        s->ops = g_renew(TCGOp, s->ops, s->max_ops);
    }
    TCGOp *op = &s->ops[s->nb_ops++];
    memset(op, 0, sizeof(*op));
    op->opc = opc;
    op->type = type;
    return op;
}

void tcg_gen_op1(TCGContext *s, TCGOpcode opc, TCGType type, uint64_t a0)
{
    TCGOp *op = tcg_emit_op(s, opc, type);
    op->args[0] = a0;
}

void tcg_gen_op2(TCGContext *s, TCGOpcode opc, TCGType type, uint64_t a0, uint64_t a1)
{
    TCGOp *op = tcg_emit_op(s, opc, type);
    op->args[0] = a0;
    op->args[1] = a1;
}

void tcg_gen_op3(TCGContext *s, TCGOpcode opc, TCGType type, uint64_t a0, uint64_t a1, uint64_t a2)
{
    TCGOp *op = tcg_emit_op(s, opc, type);
    op->args[0] = a0;
    op->args[1] = a1;
    op->args[2] = a2;
}

void tcg_gen_op4(TCGContext *s, TCGOpcode opc, TCGType type, uint64_t a0, uint64_t a1, uint64_t a2,
                 uint64_t a3)
{
    TCGOp *op = tcg_emit_op(s, opc, type);
    op->args[0] = a0;
    op->args[1] = a1;
    op->args[2] = a2;
    op->args[3] = a3;
}

void tcg_gen_op5(TCGContext *s, TCGOpcode opc, TCGType type, uint64_t a0, uint64_t a1, uint64_t a2,
                 uint64_t a3, uint64_t a4)
{
    TCGOp *op = tcg_emit_op(s, opc, type);
    op->args[0] = a0;
    op->args[1] = a1;
    op->args[2] = a2;
    op->args[3] = a3;
    op->args[4] = a4;
}

void tcg_gen_op6(TCGContext *s, TCGOpcode opc, TCGType type, uint64_t a0, uint64_t a1, uint64_t a2,
                 uint64_t a3, uint64_t a4, uint64_t a5)
{
    TCGOp *op = tcg_emit_op(s, opc, type);
    op->args[0] = a0;
    op->args[1] = a1;
    op->args[2] = a2;
    op->args[3] = a3;
    op->args[4] = a4;
    op->args[5] = a5;
}

void tcg_gen_set_label(TCGContext *s, int label)
{
    assert(label >= 0 && label < s->nb_labels && !s->labels[label].present);
    s->labels[label].present = true;
    tcg_gen_op1(s, INDEX_op_set_label, TCG_I64, (uint64_t)label);
}

void tcg_gen_insn_start(TCGContext *s, uint64_t pc, uint64_t aux)
{
    s->last_insn_start = s->nb_ops;
    tcg_gen_op3(s, INDEX_op_insn_start, TCG_I64, pc, aux, 0);
}

void tcg_set_insn_length(TCGContext *s, unsigned len)
{
    assert(s->last_insn_start >= 0);
    s->ops[s->last_insn_start].args[2] = len;
}

void tcg_set_insn_aux(TCGContext *s, uint64_t aux)
{
    assert(s->last_insn_start >= 0);
    s->ops[s->last_insn_start].args[1] = aux;
}

void tcg_gen_call(TCGContext *s, const TCGHelperInfo *info, TCGv ret, int nargs, const TCGv *args)
{
    assert(nargs == info->nargs && nargs <= TCG_MAX_HELPER_ARGS);
    assert((ret >= 0) == (info->ret != TCG_CALL_VOID));
    TCGOp *op = tcg_emit_op(s, INDEX_op_call, TCG_I64);
    unsigned i = 0;
    op->nout = ret >= 0;
    op->nin = nargs;
    if (ret >= 0) {
        op->args[i++] = ret;
    }
    for (int a = 0; a < nargs; a++) {
        op->args[i++] = args[a];
    }
    op->args[i] = (uintptr_t)info;
}

/* ---- dump ---- */

static void dump_temp(TCGContext *s, GString *out, TCGv t)
{
    const TCGTemp *ts = &s->temps[t];

    switch (ts->kind) {
    case TEMP_GLOBAL:
    case TEMP_ENV:
        g_string_append(out, ts->name);
        break;
    case TEMP_CONST:
        g_string_append_printf(out, "$0x%" PRIx64, ts->val);
        break;
    case TEMP_TB:
        g_string_append_printf(out, "loc%d", t - s->nb_globals);
        break;
    default:
        g_string_append_printf(out, "tmp%d", t - s->nb_globals);
        break;
    }
}

void tcg_dump_ops(TCGContext *s, GString *out)
{
    for (int i = 0; i < s->nb_ops; i++) {
        const TCGOp *op = &s->ops[i];
        const TCGOpDef *def = &tcg_op_defs[op->opc];
        unsigned nout = tcg_op_nout(op), nin = tcg_op_nin(op), k = 0;
        bool first = true;

        if (op->opc == INDEX_op_nop) {
            continue;
        }
        if (op->opc == INDEX_op_insn_start) {
            g_string_append_printf(out, " ---- %016" PRIx64 " %" PRIx64 " len %" PRIu64 "\n",
                                   op->args[0], op->args[1], op->args[2]);
            continue;
        }
        if (op->opc == INDEX_op_set_label) {
            g_string_append_printf(out, " L%" PRIu64 ":\n", op->args[0]);
            continue;
        }
        if (op->opc == INDEX_op_call) {
            g_string_append_printf(out, " call %s", tcg_op_helper(op)->name);
        } else {
            g_string_append_printf(out, " %s%s", def->name,
                                   (op->opc >= INDEX_op_mov && op->type == TCG_I32) ? "_i32" :
                                   (op->opc >= INDEX_op_mov ? "_i64" : ""));
        }
        g_string_append_c(out, ' ');
        for (unsigned a = 0; a < nout + nin; a++, k++) {
            g_string_append(out, first ? "" : ",");
            first = false;
            dump_temp(s, out, (TCGv)op->args[k]);
        }
        if (op->opc != INDEX_op_call) {
            for (unsigned c = 0; c < def->nb_cargs; c++, k++) {
                g_string_append(out, first ? "" : ",");
                first = false;
                bool is_cond = ((op->opc == INDEX_op_brcond || op->opc == INDEX_op_trapcond) && c == 0) ||
                               ((op->opc == INDEX_op_setcond || op->opc == INDEX_op_negsetcond ||
                                 op->opc == INDEX_op_movcond) && c == 0);
                bool is_label = (op->opc == INDEX_op_brcond && c == 1) || op->opc == INDEX_op_br;
                if (is_cond) {
                    g_string_append(out, tcg_cond_name((TCGCond)op->args[k]));
                } else if (is_label) {
                    g_string_append_printf(out, "L%" PRIu64, op->args[k]);
                } else {
                    g_string_append_printf(out, "$0x%" PRIx64, op->args[k]);
                }
            }
        }
        if (op->life) {
            g_string_append_printf(out, "  dead:");
            for (unsigned a = 0; a < nout + nin; a++) {
                if (op->life & DEAD_ARG(a)) {
                    g_string_append_printf(out, " %u", a);
                }
            }
        }
        g_string_append_c(out, '\n');
    }
}
