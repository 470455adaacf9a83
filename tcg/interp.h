/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IR interpreter: the reference semantics of every op.  The unit tests
 * run hand-built and random blocks both here and as generated host code
 * and require identical results; `-accel tcg,interp=on` could run guests
 * with it (slowly) to tell a code generator bug from a front-end bug.
 */
#ifndef TCG_INTERP_H
#define TCG_INTERP_H

#include "tcg/tcg.h"

typedef enum {
    TCG_INTERP_EXIT_TB,     /* value = exit_tb's constant */
    TCG_INTERP_GOTO_TB,     /* value = slot */
    TCG_INTERP_GOTO_PTR,    /* value = the pointer */
    TCG_INTERP_TRAP,        /* a trapcond fired: value = its code (globals are in env) */
} TCGInterpExit;

typedef struct TCGInterpHooks {
    /* Guest memory; `insn` is the index of the current guest instruction in the TB. */
    uint64_t (*guest_ld)(void *env, uint64_t addr, TCGMemOpIdx oi, int insn);
    void (*guest_st)(void *env, uint64_t addr, uint64_t val, TCGMemOpIdx oi, int insn);
} TCGInterpHooks;

/*
 * Run the (optimised or not) IR of `s` with env as the CPU state.  Globals
 * are read and written in env directly.  Returns how the block ended.
 */
TCGInterpExit tcg_interp(TCGContext *s, void *env, const TCGInterpHooks *hooks, uint64_t *value);

/* Call a helper with up to 6 arguments as the generated code would. */
uint64_t tcg_call_helper(const TCGHelperInfo *info, const uint64_t *args);

#endif
