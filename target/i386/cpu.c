/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86 CPU state: reset, EFLAGS assembly, the hflags mode summary, control
 * registers, and the TCGTargetOps that tie the front end to the JIT.
 */
#include <string.h>

#include "hw/core/log.h"
#include "target/i386/cpu.h"
#include "target/i386/helper.h"
#include "target/i386/translate-internal.h"
#include "tcg/exec.h"

uint32_t x86_compute_eflags(CPUX86State *env)
{
    return (uint32_t)env->eflags | cc_compute_all(env->cc_op, env->cc_dst, env->cc_src, env->cc_src2) |
           EFLAGS_FIXED;
}

/* Load EFLAGS bits under update_mask; the arithmetic flags go to the lazy state. */
void x86_load_eflags(CPUX86State *env, uint32_t eflags, uint32_t update_mask)
{
    uint32_t cur = x86_compute_eflags(env);
    uint32_t nv = (cur & ~update_mask) | (eflags & update_mask);

    env->cc_src = nv & CC_ALL;
    env->cc_op = CC_OP_EFLAGS;
    env->df = (nv & DF_MASK) ? -1 : 1;
    env->eflags = (nv & ~CC_ALL) | EFLAGS_FIXED;
    x86_update_hflags(env);
}

void x86_update_hflags(CPUX86State *env)
{
    uint32_t h = env->hflags & (HF_CPL_MASK | HF_INHIBIT_IRQ);
    uint64_t cr0 = env->cr[0];

    if (cr0 & CR0_PE) {
        h |= HF_PE;
    }
    if (cr0 & CR0_PG) {
        h |= HF_PG;
    }
    if (cr0 & CR0_MP) {
        h |= HF_MP;
    }
    if (cr0 & CR0_EM) {
        h |= HF_EM;
    }
    if (cr0 & CR0_TS) {
        h |= HF_TS;
    }
    if (env->cr[4] & CR4_OSFXSR) {
        h |= HF_OSFXSR;
    }
    if (env->eflags & TF_MASK) {
        h |= HF_TF;
    }
    if (env->eflags & VM_MASK) {
        h |= HF_VM;
    }
    if ((env->eflags & AC_MASK) && (cr0 & CR0_AM)) {
        h |= HF_AC;
    }
    h |= ((uint32_t)(env->eflags >> IOPL_SHIFT) & 3) << HF_IOPL_SHIFT;
    if (env->efer & EFER_LMA) {
        h |= HF_LMA;
    }
    if ((h & HF_LMA) && (env->segs[R_CS].flags & DESC_L_MASK)) {
        h |= HF_CS64 | HF_CS32 | HF_SS32;
    } else {
        if (env->segs[R_CS].flags & DESC_B_MASK) {
            h |= HF_CS32;
        }
        if (env->segs[R_SS].flags & DESC_B_MASK) {
            h |= HF_SS32;
        }
    }
    /* CPL is SS.DPL (equal to CPL by construction; real mode 0, virtual-8086 3). */
    h = (h & ~HF_CPL_MASK);
    if (!(cr0 & CR0_PE)) {
        /* real mode: 0 */
    } else if (env->eflags & VM_MASK) {
        h |= 3;
    } else {
        h |= (env->segs[R_SS].flags >> DESC_DPL_SHIFT) & 3;
    }
    /* Segments loaded with a null selector in protected mode (no P bit) fault on use (SDM 3.4.2). */
    if ((h & HF_PE) && !(h & HF_VM) && !(h & HF_CS64)) {
        static const int data_segs[] = { R_ES, R_DS, R_FS, R_GS };
        for (size_t i = 0; i < sizeof(data_segs) / sizeof(data_segs[0]); i++) {
            if (!(env->segs[data_segs[i]].flags & DESC_P_MASK)) {
                h |= HF_SEG_UNUSABLE(data_segs[i]);
            }
        }
    }
    /* Segment limits (SDM 5.3): none in 64-bit mode; flat 4 GiB expand-up segments need no check. */
    for (int i = 0; i < 6; i++) {
        const SegmentCache *sc = &env->segs[i];
        bool expand_down = (sc->flags & DESC_S_MASK) && !(sc->flags & DESC_CS_MASK) && (sc->flags & DESC_E_MASK);
        uint64_t lo = 0, hi = sc->limit;
        if (expand_down) {
            lo = (uint64_t)sc->limit + 1;
            hi = (sc->flags & DESC_B_MASK) ? 0xffffffffu : 0xffffu;
        }
        if (lo > hi) {
            /* Nothing is inside: any offset minus lo is huge. */
            lo = 1ull << 33;
            hi = lo;
        }
        env->seg_lim_lo[i] = lo;
        env->seg_lim_span[i] = hi - lo;
        if (!(h & HF_CS64) && (expand_down || sc->limit != 0xffffffffu)) {
            h |= HF_SEG_LIMCHK(i);
        }
    }
    if (!(h & HF_PE) || (h & HF_VM) || !(h & HF_CS32)) {
        h |= HF_ADDSEG;
    } else if ((env->segs[R_DS].base | env->segs[R_ES].base | env->segs[R_SS].base) != 0) {
        h |= HF_ADDSEG;
    }
    env->hflags = h;
}

void x86_load_seg_cache(CPUX86State *env, int seg, uint32_t selector, uint64_t base, uint32_t limit,
                        uint32_t flags)
{
    SegmentCache *sc = &env->segs[seg];
    sc->selector = selector;
    sc->base = base;
    sc->limit = limit;
    sc->flags = flags;
    x86_update_hflags(env);
}

int x86_cpu_mmu_index(CPUX86State *env)
{
    return (env->hflags & HF_CPL_MASK) == 3 ? MMU_USER_IDX : MMU_KSMAP_IDX;
}

void x86_set_a20(CPUX86State *env, bool enabled)
{
    uint32_t nv = enabled ? 0 : (1u << 20);
    if (nv != env->a20_mask_hi) {
        env->a20_mask_hi = nv;
        tlb_flush(&env->tcg);
    }
}

void x86_set_cr0(CPUX86State *env, uint64_t val)
{
    uint64_t old = env->cr[0];

    /* ET is hardwired to 1 (SDM 2.5). */
    val |= CR0_ET;
    if ((val ^ old) & (CR0_PG | CR0_WP | CR0_PE)) {
        tlb_flush(&env->tcg);
    }
    /* Long mode activates when paging turns on with EFER.LME (SDM 9.8.5). */
    if (!(old & CR0_PG) && (val & CR0_PG) && (env->efer & EFER_LME)) {
        env->efer |= EFER_LMA;
    }
    if ((old & CR0_PG) && !(val & CR0_PG) && (env->efer & EFER_LMA)) {
        env->efer &= ~(uint64_t)EFER_LMA;
    }
    env->cr[0] = val;
    x86_update_hflags(env);
}

void x86_set_cr3(CPUX86State *env, uint64_t val)
{
    env->cr[3] = val;
    tlb_flush(&env->tcg);
}

void x86_set_cr4(CPUX86State *env, uint64_t val)
{
    if ((val ^ env->cr[4]) & (CR4_PGE | CR4_PAE | CR4_PSE | CR4_SMEP | CR4_SMAP | CR4_PCIDE)) {
        tlb_flush(&env->tcg);
    }
    env->cr[4] = val;
    x86_update_hflags(env);
}

void x86_set_efer(CPUX86State *env, uint64_t val)
{
    /* LMA is read-only: it follows CR0.PG and LME. */
    uint64_t lma = env->efer & EFER_LMA;
    env->efer = (val & ~(uint64_t)EFER_LMA) | lma;
    if ((val ^ env->efer) & EFER_NXE) {
        tlb_flush(&env->tcg);
    }
    tlb_flush(&env->tcg);
    x86_update_hflags(env);
}

/* SDM vol. 3A, table 9-1: processor state after power-up / RESET. */
void x86_cpu_reset(CPUX86State *env)
{
    TCGCPU saved = env->tcg;
    X86Accel *accel = env->accel;

    memset((char *)env + sizeof(TCGCPU), 0, sizeof(*env) - sizeof(TCGCPU));
    env->tcg = saved;
    env->accel = accel;
    env->tcg.halted = false;
    env->tcg.exception_index = -1;
    env->tcg.cflags_next_tb = 0;
    env->old_exception = -1;

    env->cr[0] = 0x60000010;
    env->eflags = EFLAGS_FIXED;
    env->cc_op = CC_OP_EFLAGS;
    env->cc_src = 0;
    env->df = 1;
    env->eip = 0xfff0;
    /* EDX: family/model/stepping, as CPUID leaf 1 EAX. */
    env->regs[R_EDX] = 0x000006f1;
    uint32_t data_flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK;
    for (int i = 0; i < 6; i++) {
        env->segs[i] = (SegmentCache){ 0, 0xffff, 0, data_flags };
    }
    env->segs[R_CS] = (SegmentCache){ 0xf000, 0xffff, 0xffff0000ull,
                                      DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK };
    env->gdt = (SegmentCache){ 0, 0xffff, 0, 0 };
    env->idt = (SegmentCache){ 0, 0xffff, 0, 0 };
    env->ldt = (SegmentCache){ 0, 0xffff, 0, DESC_P_MASK | (2u << DESC_TYPE_SHIFT) };
    env->tr = (SegmentCache){ 0, 0xffff, 0, DESC_P_MASK | (11u << DESC_TYPE_SHIFT) };
    env->dr[6] = 0xffff0ff0;
    env->dr[7] = 0x400;
    env->fpuc = 0x40;
    env->fptag = 0xffff;
    env->mxcsr = 0x1f80;
    env->pat = 0x0007040600070406ull;
    env->misc_enable = 1;            /* fast strings */
    env->apic_base = 0;              /* no local APIC on this machine */
    env->hflags = 0;
    x86_update_hflags(env);
    tlb_flush(&env->tcg);
}

/* ---- TCGTargetOps ---- */

static void x86_get_tb_key(TCGCPU *cpu, uint64_t *pc, uint64_t *cs_base, uint32_t *flags)
{
    CPUX86State *env = x86_env(cpu);
    *cs_base = env->segs[R_CS].base;
    *pc = (env->hflags & HF_CS64) ? env->eip : (uint32_t)(*cs_base + env->eip);
    *flags = env->hflags;
    if (env->hflags & HF_SEG_LIMCHK(R_CS)) {
        /* Outside 64-bit mode the base has 32 bits: the limit the block was checked against goes above. */
        *cs_base |= (uint64_t)env->segs[R_CS].limit << 32;
    }
}

static int x86_mmu_index_hook(TCGCPU *cpu, bool code)
{
    return x86_cpu_mmu_index(x86_env(cpu));
}

static void *x86_phys_host_page(TCGCPU *cpu, uint64_t phys_page, bool *writable)
{
    CPUX86State *env = x86_env(cpu);
    if (!env->accel) {
        *writable = false;
        return NULL;
    }
    return env->accel->ops->phys_host_page(env->accel->opaque, phys_page, writable);
}

static uint64_t x86_io_read(TCGCPU *cpu, uint64_t phys, unsigned size)
{
    CPUX86State *env = x86_env(cpu);
    if (!env->accel) {
        return ~0ull;
    }
    return env->accel->ops->mem_read(env->accel->opaque, phys, size);
}

static void x86_io_write(TCGCPU *cpu, uint64_t phys, unsigned size, uint64_t val)
{
    CPUX86State *env = x86_env(cpu);
    if (env->accel) {
        env->accel->ops->mem_write(env->accel->opaque, phys, size, val);
    }
}

static void x86_restore_state(TCGCPU *cpu, const TranslationBlock *tb, uint64_t pc, uint64_t aux)
{
    CPUX86State *env = x86_env(cpu);
    env->eip = pc;
    if (aux != CC_OP_DYNAMIC) {
        env->cc_op = (uint32_t)aux;
    }
}

/* A translator guard fired (segment limit checks): code = vector | error code << 32. */
static void x86_trap(TCGCPU *cpu, uint64_t code, uintptr_t ra)
{
    x86_raise_exception_err_ra(x86_env(cpu), (int)(code & 0xff), (int)(uint32_t)(code >> 32), ra);
}

const TCGTargetOps x86_tcg_ops = {
    .trap = x86_trap,
    .get_tb_key = x86_get_tb_key,
    .mmu_index = x86_mmu_index_hook,
    .translate = x86_translate,
    .tlb_fill = x86_tlb_fill,
    .phys_host_page = x86_phys_host_page,
    .io_read = x86_io_read,
    .io_write = x86_io_write,
    .restore_state = x86_restore_state,
    .do_interrupt = x86_do_interrupt,
    .exec_interrupt = x86_exec_interrupt,
};

void x86_cpu_init(CPUX86State *env)
{
    memset(env, 0, sizeof(*env));
    env->tcg.ops = &x86_tcg_ops;
    env->tcg.exception_index = -1;
    x86_cpu_reset(env);
}
