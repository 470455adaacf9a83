/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The execution loop: deliver pending exceptions and interrupts, find the
 * next block, chain it to the previous one, run it.  Exceptions raised in
 * generated code or helpers come back here by longjmp (see exec.h).
 */
#include <string.h>

#include "tcg/exec.h"

uint64_t tcg_engine_flush_count(TCGEngine *e);
void tcg_tb_chain(TCGCPU *cpu, TranslationBlock *from, int n, TranslationBlock *to);

void tcg_cpu_loop_exit(TCGCPU *cpu)
{
    cpu->current_tb = NULL;
    longjmp(cpu->jmp_env, 1);
}

void tcg_cpu_loop_exit_restore(TCGCPU *cpu, uintptr_t retaddr)
{
    if (retaddr) {
        tcg_restore_state(cpu, retaddr);
    }
    tcg_cpu_loop_exit(cpu);
}

void tcg_cpu_kick(TCGCPU *cpu)
{
    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_SEQ_CST);
}

static uint32_t default_cflags(TCGCPU *cpu)
{
    return cpu->icount ? CF_ICOUNT : 0;
}

const void *tcg_helper_lookup_tb_ptr(TCGCPU *cpu)
{
    uint64_t pc, cs_base;
    uint32_t flags;
    const TCGBackend *be = tcg_engine_backend(cpu->engine);

    cpu->ops->get_tb_key(cpu, &pc, &cs_base, &flags);
    unsigned h = (unsigned)((pc ^ (pc >> TB_JMP_CACHE_BITS)) & (TB_JMP_CACHE_SIZE - 1));
    TranslationBlock *tb = cpu->tb_jmp_cache[h];
    if (tb && tb->pc == pc && tb->cs_base == cs_base && tb->flags == flags &&
        tb->cflags == default_cflags(cpu) && !tb->invalid) {
        return tb->tc_ptr;
    }
    return be->exit_zero;
}

const TCGHelperInfo tcg_helper_info_lookup_tb_ptr =
    TCG_HELPER_INFO(tcg_helper_lookup_tb_ptr, TCG_CALL_NO_WG, TCG_CALL_I64, 1, TCG_CALL_I64);

static int cpu_exec_inner(TCGCPU *cpu)
{
    TCGEngine *e = cpu->engine;
    const TCGBackend *be = tcg_engine_backend(e);
    TranslationBlock *last_tb = NULL;
    unsigned tb_exit = 0;
    uint64_t gen = tcg_engine_flush_count(e);

    for (;;) {
        if (cpu->exception_index >= 0) {
            if (cpu->exception_index >= EXCP_INTERRUPT) {
                int r = cpu->exception_index;
                cpu->exception_index = EXCP_NONE;
                return r;
            }
            /* May raise again (double fault): then we come back through the longjmp. */
            cpu->ops->do_interrupt(cpu);
            cpu->exception_index = EXCP_NONE;
            last_tb = NULL;
        }
        if (__atomic_load_n(&cpu->exit_request, __ATOMIC_RELAXED)) {
            __atomic_store_n(&cpu->exit_request, 0, __ATOMIC_SEQ_CST);
            last_tb = NULL;
        }
        if (cpu->stop) {
            return EXCP_INTERRUPT;
        }
        if (__atomic_load_n(&cpu->interrupt_request, __ATOMIC_ACQUIRE)) {
            if (cpu->ops->exec_interrupt(cpu)) {
                last_tb = NULL;
            }
            if (cpu->exception_index >= 0) {
                continue;
            }
        }
        if (cpu->halted) {
            return EXCP_HLT;
        }
        if (cpu->icount && cpu->icount_budget <= 0) {
            return EXCP_INTERRUPT;
        }

        uint64_t pc, cs_base;
        uint32_t flags;
        cpu->ops->get_tb_key(cpu, &pc, &cs_base, &flags);
        uint32_t cflags = cpu->cflags_next_tb ? cpu->cflags_next_tb : default_cflags(cpu);
        cpu->cflags_next_tb = 0;
        if (cpu->icount) {
            cflags |= CF_ICOUNT;
        }
        TranslationBlock *tb = tcg_tb_lookup(cpu, pc, cs_base, flags, cflags);
        if (!tb) {
            /* Could not translate even one instruction: nothing sane to run. */
            cpu->stop = true;
            return EXCP_INTERRUPT;
        }
        uint64_t now = tcg_engine_flush_count(e);
        if (now != gen) {
            gen = now;
            last_tb = NULL;
        }
        if (last_tb && tb_exit < 2) {
            /* Chaining is only offered by goto_tb exits, which stay inside one virtual page. */
            tcg_tb_chain(cpu, last_tb, (int)tb_exit, tb);
        }
        cpu->current_tb = tb;
        uintptr_t ret = tcg_exec_code(be, cpu, tb->tc_ptr);
        cpu->current_tb = NULL;
        last_tb = (TranslationBlock *)(ret & ~(uintptr_t)TB_EXIT_MASK);
        tb_exit = (unsigned)(ret & TB_EXIT_MASK);
        if (tb_exit == TB_EXIT_REQUESTED && cpu->icount && cpu->icount_budget > 0 &&
            (uint32_t)cpu->icount_budget < last_tb->icount) {
            /* The block would overrun the deadline: run exactly the instructions left, once. */
            cpu->cflags_next_tb = CF_ICOUNT | CF_NOCACHE | (uint32_t)cpu->icount_budget;
        }
        if (tb_exit == TB_EXIT_REQUESTED || (tb->cflags & CF_NOCACHE)) {
            last_tb = NULL;
        }
        if (tb->cflags & CF_NOCACHE) {
            /* One-shot blocks are dropped at once (their code stays until the next flush). */
            tb->invalid = true;
        }
    }
}

int tcg_cpu_exec(TCGCPU *cpu)
{
    for (;;) {
        if (setjmp(cpu->jmp_env) == 0) {
            cpu->can_longjmp = true;
            int r = cpu_exec_inner(cpu);
            cpu->can_longjmp = false;
            return r;
        }
        /* Back from an exception or a restart: the loop delivers it. */
        cpu->current_tb = NULL;
    }
}
