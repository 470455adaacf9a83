/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Segmentation and privilege transitions shared by the x86 helpers:
 * guest memory access for system structures, descriptor loading, and the
 * protected/long-mode interrupt delivery used by excp_helper.c.
 */
#ifndef TARGET_I386_SEG_H
#define TARGET_I386_SEG_H

#include "target/i386/cpu.h"
#include "tcg/exec.h"

/* Accesses with supervisor rights (descriptor tables, TSS, stacks of inner levels). */
static inline uint64_t x86_ld_kernel(CPUX86State *env, uint64_t addr, int ot, uintptr_t ra)
{
    return tcg_guest_ld(&env->tcg, addr, (TCGMemOp)ot, MMU_KNOSMAP_IDX, ra);
}

static inline void x86_st_kernel(CPUX86State *env, uint64_t addr, uint64_t val, int ot, uintptr_t ra)
{
    tcg_guest_st(&env->tcg, addr, val, (TCGMemOp)ot, MMU_KNOSMAP_IDX, ra);
}

/* Accesses with the current privilege (data of the running code). */
static inline uint64_t x86_ld_data(CPUX86State *env, uint64_t addr, int ot, uintptr_t ra)
{
    return tcg_guest_ld(&env->tcg, addr, (TCGMemOp)ot, x86_cpu_mmu_index(env), ra);
}

static inline void x86_st_data(CPUX86State *env, uint64_t addr, uint64_t val, int ot, uintptr_t ra)
{
    tcg_guest_st(&env->tcg, addr, val, (TCGMemOp)ot, x86_cpu_mmu_index(env), ra);
}

void x86_do_interrupt_protected(CPUX86State *env, int vector, bool is_int, int error_code, uint64_t next_eip,
                                bool has_error_code);
void x86_do_interrupt64(CPUX86State *env, int vector, bool is_int, int error_code, uint64_t next_eip,
                        bool has_error_code);

#endif
