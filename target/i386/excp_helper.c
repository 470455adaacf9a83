/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exceptions and interrupts (SDM vol. 3A, chapter 6): raising them from
 * translated code and helpers (with the double/triple-fault rules of
 * table 6-5), and delivering them through the real-mode IVT (SDM 20.1.4),
 * the protected-mode IDT (6.12) or the long-mode IDT (6.14).
 */
#include <string.h>

#include "hw/core/log.h"
#include "target/i386/cpu.h"
#include "target/i386/helper.h"
#include "target/i386/seg.h"
#include "tcg/exec.h"

static bool contributory(int v)
{
    return v == EXCP00_DIVZ || (v >= EXCP0A_TSS && v <= EXCP0D_GPF);
}

/* Table 6-5: a fault while delivering another may become #DF, and one during #DF a shutdown. */
static int check_exception(CPUX86State *env, int vector, int *error_code)
{
    int old = env->old_exception;

    if (old == EXCP08_DBLE) {
        if (vector == EXCP08_DBLE || contributory(vector) || vector == EXCP0E_PAGE) {
            env->triple_fault = true;
            return EXCP08_DBLE;
        }
    } else if ((contributory(old) && contributory(vector)) ||
               (old == EXCP0E_PAGE && (contributory(vector) || vector == EXCP0E_PAGE))) {
        *error_code = 0;
        return EXCP08_DBLE;
    }
    return vector;
}

void x86_raise_exception_err_ra(CPUX86State *env, int vector, int error_code, uintptr_t ra)
{
    vector = check_exception(env, vector, &error_code);
    env->tcg.exception_index = vector;
    env->error_code = error_code;
    env->exception_is_int = false;
    env->exception_next_eip = 0;
    tcg_cpu_loop_exit_restore(&env->tcg, ra);
}

void x86_raise_exception_ra(CPUX86State *env, int vector, uintptr_t ra)
{
    x86_raise_exception_err_ra(env, vector, 0, ra);
}

void x86_raise_exception(CPUX86State *env, int vector)
{
    x86_raise_exception_err_ra(env, vector, 0, 0);
}

void x86_raise_exception_err(CPUX86State *env, int vector, int error_code)
{
    x86_raise_exception_err_ra(env, vector, error_code, 0);
}

/* INT n / INT3 / INTO: software interrupts push the address of the next instruction. */
void x86_raise_interrupt(CPUX86State *env, int vector, int next_eip_addend, uintptr_t ra)
{
    env->tcg.exception_index = vector;
    env->error_code = 0;
    env->exception_is_int = true;
    env->exception_next_eip = env->eip + (uint64_t)next_eip_addend;
    tcg_cpu_loop_exit_restore(&env->tcg, ra);
}

void helper_raise_exception(CPUX86State *env, uint32_t vector)
{
    x86_raise_exception(env, (int)vector);
}

void helper_raise_exception_err(CPUX86State *env, uint32_t vector, uint32_t error_code)
{
    x86_raise_exception_err(env, (int)vector, (int)error_code);
}

void helper_raise_interrupt(CPUX86State *env, uint32_t vector, uint32_t next_eip_addend)
{
    x86_raise_interrupt(env, (int)vector, (int)next_eip_addend, 0);
}

void helper_hlt(CPUX86State *env, uint32_t next_eip_addend)
{
    if ((env->hflags & HF_CPL_MASK) != 0 && (env->hflags & HF_PE)) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0);
    }
    env->eip += next_eip_addend;
    env->hflags &= ~HF_INHIBIT_IRQ;
    env->tcg.halted = true;
    env->tcg.exception_index = EXCP_HLT;
    tcg_cpu_loop_exit(&env->tcg);
}

void helper_single_step(CPUX86State *env)
{
    /* A trap: eip (already the next instruction) stays; DR6.BS (SDM 17.3.1.4). */
    env->dr[6] |= 1u << 14;
    x86_raise_exception(env, EXCP01_DB);
}

const TCGHelperInfo helper_info_raise_exception =
    TCG_HELPER_INFO(helper_raise_exception, TCG_CALL_NO_WG | TCG_CALL_NO_RETURN, TCG_CALL_VOID, 2,
                    TCG_CALL_I64, TCG_CALL_I32);
const TCGHelperInfo helper_info_raise_exception_err =
    TCG_HELPER_INFO(helper_raise_exception_err, TCG_CALL_NO_WG | TCG_CALL_NO_RETURN, TCG_CALL_VOID, 3,
                    TCG_CALL_I64, TCG_CALL_I32, TCG_CALL_I32);
const TCGHelperInfo helper_info_raise_interrupt =
    TCG_HELPER_INFO(helper_raise_interrupt, TCG_CALL_NO_WG | TCG_CALL_NO_RETURN, TCG_CALL_VOID, 3,
                    TCG_CALL_I64, TCG_CALL_I32, TCG_CALL_I32);
const TCGHelperInfo helper_info_hlt =
    TCG_HELPER_INFO(helper_hlt, TCG_CALL_NO_WG | TCG_CALL_NO_RETURN, TCG_CALL_VOID, 2, TCG_CALL_I64, TCG_CALL_I32);
const TCGHelperInfo helper_info_single_step =
    TCG_HELPER_INFO(helper_single_step, TCG_CALL_NO_WG | TCG_CALL_NO_RETURN, TCG_CALL_VOID, 1, TCG_CALL_I64);

/* ---- delivery ---- */

static bool exception_has_error_code(int vector)
{
    switch (vector) {
    case EXCP08_DBLE: case EXCP0A_TSS: case EXCP0B_NOSEG: case EXCP0C_STACK: case EXCP0D_GPF:
    case EXCP0E_PAGE: case EXCP11_ALGN:
        return true;
    default:
        return false;
    }
}

static void do_interrupt_real(CPUX86State *env, int vector, bool is_int, uint64_t next_eip)
{
    /* IVT entry: offset then segment (SDM 20.1.4). */
    uint32_t off = (uint32_t)vector * 4;
    if (off + 3 > env->idt.limit) {
        x86_raise_exception_err(env, EXCP0D_GPF, vector * 8 + 2);
    }
    uint64_t base = env->idt.base + off;
    uint32_t ip = (uint32_t)x86_ld_kernel(env, base, MO_16, 0);
    uint32_t cs = (uint32_t)x86_ld_kernel(env, base + 2, MO_16, 0);
    uint32_t flags = x86_compute_eflags(env);
    uint32_t old_ip = (uint32_t)(is_int ? next_eip : env->eip);
    uint32_t sp = (uint32_t)env->regs[R_ESP];
    uint64_t ssb = env->segs[R_SS].base;
    uint32_t spmask = (env->segs[R_SS].flags & DESC_B_MASK) ? 0xffffffffu : 0xffffu;

    sp -= 2;
    x86_st_kernel(env, ssb + (sp & spmask), flags, MO_16, 0);
    sp -= 2;
    x86_st_kernel(env, ssb + (sp & spmask), env->segs[R_CS].selector, MO_16, 0);
    sp -= 2;
    x86_st_kernel(env, ssb + (sp & spmask), old_ip, MO_16, 0);
    env->regs[R_ESP] = (env->regs[R_ESP] & ~(uint64_t)spmask) | (sp & spmask);
    env->eip = ip;
    env->segs[R_CS].selector = cs;
    env->segs[R_CS].base = (uint64_t)cs << 4;
    env->eflags &= ~(uint64_t)(IF_MASK | TF_MASK | AC_MASK | RF_MASK);
    x86_update_hflags(env);
}

void x86_do_interrupt_all(CPUX86State *env, int vector, bool is_int, bool is_hw, int error_code, uint64_t next_eip)
{
    if (!(env->cr[0] & CR0_PE)) {
        do_interrupt_real(env, vector, is_int, next_eip);
    } else if (env->efer & EFER_LMA) {
        x86_do_interrupt64(env, vector, is_int, error_code, next_eip, !is_int && !is_hw && exception_has_error_code(vector));
    } else {
        x86_do_interrupt_protected(env, vector, is_int, error_code, next_eip,
                                   !is_int && !is_hw && exception_has_error_code(vector));
    }
    env->hflags &= ~HF_INHIBIT_IRQ;
}

void x86_do_interrupt(TCGCPU *cpu)
{
    CPUX86State *env = x86_env(cpu);
    int vector = cpu->exception_index;

    if (env->triple_fault) {
        /* Shutdown: the chipset resets the machine (SDM 6.15, interrupt 8). */
        env->triple_fault = false;
        env->old_exception = -1;
        log_cat(LOG_GUEST_ERROR, "tcg: triple fault at %04x:%llx, system reset\n", env->segs[R_CS].selector,
                (unsigned long long)env->eip);
        cpu->halted = true;
        cpu->stop = true;
        if (env->accel && env->accel->ops->shutdown) {
            env->accel->ops->shutdown(env->accel->opaque, true);
        }
        return;
    }
    env->old_exception = env->exception_is_int ? -1 : vector;
    x86_do_interrupt_all(env, vector, env->exception_is_int, false, env->error_code, env->exception_next_eip);
    env->old_exception = -1;
    env->exception_is_int = false;
}

bool x86_exec_interrupt(TCGCPU *cpu)
{
    CPUX86State *env = x86_env(cpu);
    int req = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_ACQUIRE);

    if ((req & X86_INT_HARD) && (env->eflags & IF_MASK) && !(env->hflags & HF_INHIBIT_IRQ)) {
        int vector = env->accel && env->accel->ops->intack ? env->accel->ops->intack(env->accel->opaque) : -1;
        cpu->halted = false;
        if (vector < 0) {
            return false;   /* the line went down meanwhile */
        }
        env->old_exception = -1;
        x86_do_interrupt_all(env, vector & 0xff, false, true, 0, env->eip);
        return true;
    }
    return false;
}
