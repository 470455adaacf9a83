/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Liveness and dead-code elimination: one backward pass over the ops.
 *
 * An op without side effects whose outputs are all dead is deleted.  This
 * is what makes the x86 front end's condition codes lazy: every flag-
 * setting instruction writes the cc_* globals, and a write that is
 * overwritten before anything reads it (no helper, guest memory access or
 * block end in between) disappears here.
 *
 * For the ops that stay, op->life gets DEAD_ARG(n) for each argument whose
 * value is not needed after the op, so the register allocator frees its
 * register at once.
 *
 * Rules: globals and tb temps are live at every block end (they must be in
 * memory there); ebb temps are dead at set_label, br and block exits but
 * keep their state across a brcond (its fall-through continues the ebb);
 * helpers that may read or write globals, and guest memory accesses (which
 * may raise an exception that must see the exact state), make every global
 * live.
 */
#include <string.h>

#include "tcg/tcg.h"

enum { DEAD = 0, LIVE = 1 };

static void globals_live(TCGContext *s, uint8_t *state)
{
    for (TCGv t = 0; t < s->nb_globals; t++) {
        state[t] = LIVE;
    }
}

static void bb_end(TCGContext *s, uint8_t *state, bool keep_ebb)
{
    for (TCGv t = 0; t < s->nb_temps; t++) {
        switch (s->temps[t].kind) {
        case TEMP_GLOBAL: case TEMP_TB: case TEMP_ENV:
            state[t] = LIVE;
            break;
        case TEMP_CONST:
            state[t] = DEAD;
            break;
        default:
            if (!keep_ebb) {
                state[t] = DEAD;
            }
            break;
        }
    }
}

void tcg_liveness(TCGContext *s)
{
    uint8_t *state = g_new0(uint8_t, s->nb_temps);

    bb_end(s, state, false);
    for (int i = s->nb_ops - 1; i >= 0; i--) {
        TCGOp *op = &s->ops[i];
        const TCGOpDef *def = &tcg_op_defs[op->opc];
        unsigned nout = tcg_op_nout(op), nin = tcg_op_nin(op);
        unsigned flags = def->flags;
        bool removable;

        op->life = 0;
        switch (op->opc) {
        case INDEX_op_nop:
        case INDEX_op_insn_start:
            continue;
        case INDEX_op_discard:
            state[op->args[0]] = DEAD;
            op->opc = INDEX_op_nop;
            continue;
        case INDEX_op_set_label:
        case INDEX_op_br:
        case INDEX_op_goto_tb:
        case INDEX_op_exit_tb:
        case INDEX_op_goto_ptr:
            bb_end(s, state, false);
            break;
        case INDEX_op_brcond:
            bb_end(s, state, true);
            break;
        default:
            break;
        }

        if (op->opc == INDEX_op_call) {
            const TCGHelperInfo *info = tcg_op_helper(op);
            removable = (info->flags & TCG_CALL_NO_SIDE_EFFECTS) && (info->flags & TCG_CALL_NO_WRITE_GLOBALS);
        } else {
            removable = !(flags & (OPF_SIDE_EFFECTS | OPF_BB_END)) && nout > 0;
        }
        if (removable) {
            bool any_live = false;
            for (unsigned k = 0; k < nout; k++) {
                if (state[op->args[k]] == LIVE) {
                    any_live = true;
                }
            }
            if (!any_live) {
                op->opc = INDEX_op_nop;
                continue;
            }
        }

        /* Outputs: dead before this op; flag those never read. */
        for (unsigned k = 0; k < nout; k++) {
            TCGv t = (TCGv)op->args[k];
            if (state[t] == DEAD) {
                op->life |= DEAD_ARG(k);
            }
            state[t] = DEAD;
        }

        /* Side effects on globals happen before the inputs are read (backwards). */
        if (op->opc == INDEX_op_call) {
            const TCGHelperInfo *info = tcg_op_helper(op);
            if ((info->flags & TCG_CALL_NO_RWG) != TCG_CALL_NO_RWG) {
                globals_live(s, state);
            }
        } else if (flags & OPF_GUEST_MEM) {
            globals_live(s, state);
        }

        for (unsigned k = 0; k < nin; k++) {
            TCGv t = (TCGv)op->args[nout + k];
            if (state[t] == DEAD) {
                op->life |= DEAD_ARG(nout + k);
                state[t] = LIVE;
            }
        }
        /* A constant is never "live" in a register across ops: re-materialise. */
        for (unsigned k = 0; k < nin; k++) {
            TCGv t = (TCGv)op->args[nout + k];
            if (s->temps[t].kind == TEMP_CONST) {
                state[t] = DEAD;
            }
        }
    }
    g_free(state);
}
