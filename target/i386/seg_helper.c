/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protected-mode segmentation helpers: segment register loads with their
 * checks (SDM vol. 2, MOV/POP; vol. 3A 5.5-5.8), far JMP/CALL/RET and IRET
 * within and across privilege levels, call gates, interrupt delivery
 * through the IDT (6.12, 6.14), LLDT/LTR/LAR/LSL/VERR/VERW/ARPL, and the
 * fast system calls (SYSCALL/SYSRET, SYSENTER/SYSEXIT), and task switches
 * (far JMP/CALL to a TSS or task gate, task gates in the IDT, IRET with NT;
 * 32- and 16-bit TSSs; none in IA-32e mode).
 */
#include <string.h>

#include "hw/core/log.h"
#include "target/i386/helper.h"
#include "target/i386/seg.h"

static inline int cpl_of(CPUX86State *env)
{
    return (int)(env->hflags & HF_CPL_MASK);
}

static uint64_t desc_base(uint32_t e1, uint32_t e2)
{
    return (e1 >> 16) | ((e2 & 0xff) << 16) | (e2 & 0xff000000u);
}

static uint32_t desc_limit(uint32_t e1, uint32_t e2)
{
    uint32_t limit = (e1 & 0xffff) | (e2 & 0x000f0000u);
    if (e2 & DESC_G_MASK) {
        limit = (limit << 12) | 0xfff;
    }
    return limit;
}

static uint32_t desc_flags(uint32_t e2)
{
    return e2 & 0x00f0ff00u;
}

/* Read the 8-byte descriptor for selector; false if outside its table. */
static bool load_descriptor(CPUX86State *env, uint32_t selector, uint32_t *e1, uint32_t *e2, uintptr_t ra)
{
    SegmentCache *dt = (selector & 4) ? &env->ldt : &env->gdt;
    uint32_t index = selector & ~7u;

    if (index + 7 > dt->limit) {
        return false;
    }
    uint64_t addr = dt->base + index;
    *e1 = (uint32_t)x86_ld_kernel(env, addr, MO_32, ra);
    *e2 = (uint32_t)x86_ld_kernel(env, addr + 4, MO_32, ra);
    return true;
}

static void set_accessed(CPUX86State *env, uint32_t selector, uint32_t e2, uintptr_t ra)
{
    if (!(e2 & DESC_A_MASK)) {
        SegmentCache *dt = (selector & 4) ? &env->ldt : &env->gdt;
        x86_st_kernel(env, dt->base + (selector & ~7u) + 4, e2 | DESC_A_MASK, MO_32, ra);
    }
}

static void load_seg_from_desc(CPUX86State *env, int seg, uint32_t selector, uint32_t e1, uint32_t e2)
{
    x86_load_seg_cache(env, seg, selector, desc_base(e1, e2), desc_limit(e1, e2), desc_flags(e2));
}

static void load_seg_vm(CPUX86State *env, int seg, uint32_t selector)
{
    selector &= 0xffff;
    x86_load_seg_cache(env, seg, selector, (uint64_t)selector << 4, 0xffff,
                       DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK | (3u << DESC_DPL_SHIFT));
}

/* MOV/POP/LxS to a segment register in protected mode. */
static void load_seg(CPUX86State *env, int seg, uint32_t selector, uintptr_t ra)
{
    uint32_t e1, e2;
    int cpl = cpl_of(env);

    selector &= 0xffff;
    if ((selector & 0xfffc) == 0) {
        /* Null selector: fine except for SS outside 64-bit mode at CPL 3 (SDM MOV). */
        if (seg == R_SS && (!(env->hflags & HF_CS64) || cpl == 3)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        uint32_t flags = seg == R_SS ? ((uint32_t)cpl << DESC_DPL_SHIFT) : 0;
        x86_load_seg_cache(env, seg, selector, 0, 0, flags);
        return;
    }
    if (!load_descriptor(env, selector, &e1, &e2, ra)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
    }
    if (!(e2 & DESC_S_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
    }
    int rpl = selector & 3;
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if (seg == R_SS) {
        if ((e2 & DESC_CS_MASK) || !(e2 & DESC_W_MASK) || rpl != cpl || dpl != cpl) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
        }
        if (!(e2 & DESC_P_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0C_STACK, (int)(selector & 0xfffc), ra);
        }
    } else {
        if ((e2 & (DESC_CS_MASK | DESC_R_MASK)) == DESC_CS_MASK) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
        }
        if (!(e2 & DESC_CS_MASK) || !(e2 & DESC_C_MASK)) {
            if (dpl < cpl || dpl < rpl) {
                x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
            }
        }
        if (!(e2 & DESC_P_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0B_NOSEG, (int)(selector & 0xfffc), ra);
        }
    }
    set_accessed(env, selector, e2, ra);
    e2 |= DESC_A_MASK;
    load_seg_from_desc(env, seg, selector, e1, e2);
}

void helper_load_seg(CPUX86State *env, uint32_t seg, uint32_t selector)
{
    uintptr_t ra = GETPC();
    if (seg > R_GS) {
        x86_raise_exception_err_ra(env, EXCP06_ILLOP, 0, ra);
    }
    if (!(env->cr[0] & CR0_PE) || (env->eflags & VM_MASK)) {
        selector &= 0xffff;
        env->segs[seg].selector = selector;
        env->segs[seg].base = (uint64_t)selector << 4;
        x86_update_hflags(env);
        return;
    }
    load_seg(env, (int)seg, selector, ra);
}

/* Data segments not accessible at the new (outer) privilege become null (SDM RET, IRET). */
static void validate_seg(CPUX86State *env, int seg, int cpl)
{
    uint32_t f = env->segs[seg].flags;
    if ((seg == R_FS || seg == R_GS) && (env->segs[seg].selector & 0xfffc) == 0) {
        return;
    }
    int dpl = (f >> DESC_DPL_SHIFT) & 3;
    if (!(f & DESC_CS_MASK) || !(f & DESC_C_MASK)) {
        if (dpl < cpl) {
            x86_load_seg_cache(env, seg, 0, 0, 0, 0);
        }
    }
}

/* Inner stack from the TSS for privilege level dpl (SDM 7.2.1 / 7.7 for 64-bit). */
static void get_ss_esp_from_tss(CPUX86State *env, int dpl, uint32_t *ss, uint64_t *esp, uintptr_t ra)
{
    int type = (env->tr.flags >> DESC_TYPE_SHIFT) & 0xf;
    if (!(env->tr.flags & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0A_TSS, (int)(env->tr.selector & 0xfffc), ra);
    }
    int shift = type >> 3;    /* 0: 16-bit TSS, 1: 32-bit */
    uint32_t index = (uint32_t)(dpl * 4 + 2) << shift;
    if (index + (4u << shift) - 1 > env->tr.limit) {
        x86_raise_exception_err_ra(env, EXCP0A_TSS, (int)(env->tr.selector & 0xfffc), ra);
    }
    if (shift == 0) {
        *esp = x86_ld_kernel(env, env->tr.base + index, MO_16, ra);
        *ss = (uint32_t)x86_ld_kernel(env, env->tr.base + index + 2, MO_16, ra);
    } else {
        *esp = x86_ld_kernel(env, env->tr.base + index, MO_32, ra);
        *ss = (uint32_t)x86_ld_kernel(env, env->tr.base + index + 4, MO_16, ra);
    }
}

typedef struct StackPtr {
    uint64_t base;
    uint64_t sp;
    uint64_t mask;
    int mmu_idx;
} StackPtr;

static void push_v(CPUX86State *env, StackPtr *st, uint64_t v, int ot, uintptr_t ra)
{
    st->sp -= 1u << ot;
    tcg_guest_st(&env->tcg, st->base + (st->sp & st->mask), v, (TCGMemOp)ot, st->mmu_idx, ra);
}

static uint64_t pop_v(CPUX86State *env, StackPtr *st, int ot, uintptr_t ra)
{
    uint64_t v = tcg_guest_ld(&env->tcg, st->base + (st->sp & st->mask), (TCGMemOp)ot, st->mmu_idx, ra);
    st->sp += 1u << ot;
    return v;
}

static uint64_t stack_mask_of(uint32_t flags)
{
    return (flags & DESC_B_MASK) ? 0xffffffffu : 0xffffu;
}

static void set_esp(CPUX86State *env, uint64_t sp, uint64_t mask)
{
    if (mask == 0xffff) {
        env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | (sp & 0xffff);
    } else if (mask == 0xffffffffu) {
        env->regs[R_ESP] = (uint32_t)sp;
    } else {
        env->regs[R_ESP] = sp;
    }
}

/* ---- task switches (SDM vol. 3A, 7.3) ---- */

enum { SWITCH_TSS_JMP, SWITCH_TSS_IRET, SWITCH_TSS_CALL };

#define DESC_TSS_BUSY_MASK (1u << 9)

static G_NORETURN void raise_ts(CPUX86State *env, uint32_t selector, uintptr_t ra)
{
    x86_raise_exception_err_ra(env, EXCP0A_TSS, (int)(selector & 0xfffc), ra);
}

/* Set or clear the busy bit of the TSS descriptor `selector` in the GDT. */
static void set_tss_busy(CPUX86State *env, uint32_t selector, bool busy, uintptr_t ra)
{
    uint64_t addr = env->gdt.base + (selector & ~7u) + 4;
    uint32_t e2 = (uint32_t)x86_ld_kernel(env, addr, MO_32, ra);
    e2 = busy ? (e2 | DESC_TSS_BUSY_MASK) : (e2 & ~DESC_TSS_BUSY_MASK);
    x86_st_kernel(env, addr, e2, MO_32, ra);
}

/*
 * A segment register of the new task (SDM 7.3, step 12 and table 7-1's
 * checks): faults are #TS with the selector (#NP, #SS for SS, when not
 * present), raised in the context of the new task.
 */
static void tss_load_seg(CPUX86State *env, int seg, uint32_t selector, int cpl, uintptr_t ra)
{
    uint32_t e1, e2;

    selector &= 0xffff;
    if ((selector & 0xfffc) == 0) {
        if (seg == R_CS || seg == R_SS) {
            raise_ts(env, selector, ra);
        }
        x86_load_seg_cache(env, seg, selector, 0, 0, 0);
        return;
    }
    if (!load_descriptor(env, selector, &e1, &e2, ra) || !(e2 & DESC_S_MASK)) {
        raise_ts(env, selector, ra);
    }
    int rpl = selector & 3;
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if (seg == R_CS) {
        if (!(e2 & DESC_CS_MASK) || ((e2 & DESC_C_MASK) ? dpl > rpl : dpl != rpl)) {
            raise_ts(env, selector, ra);
        }
    } else if (seg == R_SS) {
        if ((e2 & DESC_CS_MASK) || !(e2 & DESC_W_MASK) || dpl != cpl || rpl != cpl) {
            raise_ts(env, selector, ra);
        }
    } else {
        if ((e2 & DESC_CS_MASK) && !(e2 & DESC_R_MASK)) {
            raise_ts(env, selector, ra);
        }
        if ((!(e2 & DESC_CS_MASK) || !(e2 & DESC_C_MASK)) && (dpl < cpl || dpl < rpl)) {
            raise_ts(env, selector, ra);
        }
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, seg == R_SS ? EXCP0C_STACK : EXCP0B_NOSEG, (int)(selector & 0xfffc), ra);
    }
    set_accessed(env, selector, e2, ra);
    load_seg_from_desc(env, seg, selector, e1, e2 | DESC_A_MASK);
}

/*
 * Switch to the task of TSS descriptor (or task gate) `selector` whose
 * descriptor words are e1/e2, from a JMP, CALL (also interrupts through a
 * task gate) or IRET with NT.  next_eip is what the old task resumes at.
 * The 32-bit and 16-bit TSS layouts are SDM figures 7-2 and 7-11.
 */
static void switch_tss(CPUX86State *env, uint32_t selector, uint32_t e1, uint32_t e2, int source,
                       uint64_t next_eip, uintptr_t ra)
{
    int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;

    if (env->efer & EFER_LMA) {
        /* No hardware task switching in IA-32e mode. */
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
    }
    if (type == 5) {
        /* A task gate: the TSS is the one it names (in the GDT). */
        if (!(e2 & DESC_P_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0B_NOSEG, (int)(selector & 0xfffc), ra);
        }
        selector = e1 >> 16;
        if (selector & 4) {
            raise_ts(env, selector, ra);
        }
        if (!load_descriptor(env, selector, &e1, &e2, ra) || (e2 & DESC_S_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
        }
        type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
        if ((type & 7) != 1 && (type & 7) != 3) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
        }
    }
    if (source == SWITCH_TSS_IRET ? !(type & 2) : (type & 2) != 0) {
        /* IRET returns to a busy task; JMP and CALL go to an available one. */
        if (source == SWITCH_TSS_IRET) {
            raise_ts(env, selector, ra);
        }
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, (int)(selector & 0xfffc), ra);
    }
    bool tss32 = (type & 8) != 0;
    uint32_t limit = desc_limit(e1, e2);
    uint64_t base = desc_base(e1, e2);
    if (limit < (tss32 ? 103u : 43u)) {
        raise_ts(env, selector, ra);
    }

    /* Read the new task's state (it may fault: nothing is changed yet). */
    uint32_t new_regs[8], new_segs[6], new_eip, new_eflags, new_ldt, new_cr3 = 0;
    if (tss32) {
        new_cr3 = (uint32_t)x86_ld_kernel(env, base + 0x1c, MO_32, ra);
        new_eip = (uint32_t)x86_ld_kernel(env, base + 0x20, MO_32, ra);
        new_eflags = (uint32_t)x86_ld_kernel(env, base + 0x24, MO_32, ra);
        for (int i = 0; i < 8; i++) {
            new_regs[i] = (uint32_t)x86_ld_kernel(env, base + 0x28 + i * 4, MO_32, ra);
        }
        for (int i = 0; i < 6; i++) {
            new_segs[i] = (uint32_t)x86_ld_kernel(env, base + 0x48 + i * 4, MO_16, ra);
        }
        new_ldt = (uint32_t)x86_ld_kernel(env, base + 0x60, MO_16, ra);
    } else {
        new_eip = (uint32_t)x86_ld_kernel(env, base + 0x0e, MO_16, ra);
        new_eflags = (uint32_t)x86_ld_kernel(env, base + 0x10, MO_16, ra);
        for (int i = 0; i < 8; i++) {
            new_regs[i] = (uint32_t)x86_ld_kernel(env, base + 0x12 + i * 2, MO_16, ra);
        }
        for (int i = 0; i < 4; i++) {
            new_segs[i] = (uint32_t)x86_ld_kernel(env, base + 0x22 + i * 2, MO_16, ra);
        }
        new_segs[R_FS] = new_segs[R_GS] = 0;
        new_ldt = (uint32_t)x86_ld_kernel(env, base + 0x2a, MO_16, ra);
    }

    /* Save the old task's state in its TSS. */
    int old_type = (env->tr.flags >> DESC_TYPE_SHIFT) & 0xf;
    uint64_t old_base = env->tr.base;
    uint32_t old_eflags = x86_compute_eflags(env);
    if (source == SWITCH_TSS_IRET) {
        old_eflags &= ~(uint32_t)NT_MASK;
    }
    if (old_type & 8) {
        x86_st_kernel(env, old_base + 0x20, (uint32_t)next_eip, MO_32, ra);
        x86_st_kernel(env, old_base + 0x24, old_eflags, MO_32, ra);
        for (int i = 0; i < 8; i++) {
            x86_st_kernel(env, old_base + 0x28 + i * 4, (uint32_t)env->regs[i], MO_32, ra);
        }
        for (int i = 0; i < 6; i++) {
            x86_st_kernel(env, old_base + 0x48 + i * 4, env->segs[i].selector, MO_16, ra);
        }
    } else {
        x86_st_kernel(env, old_base + 0x0e, (uint16_t)next_eip, MO_16, ra);
        x86_st_kernel(env, old_base + 0x10, (uint16_t)old_eflags, MO_16, ra);
        for (int i = 0; i < 8; i++) {
            x86_st_kernel(env, old_base + 0x12 + i * 2, (uint16_t)env->regs[i], MO_16, ra);
        }
        for (int i = 0; i < 4; i++) {
            x86_st_kernel(env, old_base + 0x22 + i * 2, env->segs[i].selector, MO_16, ra);
        }
    }
    if (source == SWITCH_TSS_JMP || source == SWITCH_TSS_IRET) {
        set_tss_busy(env, env->tr.selector, false, ra);
    }
    if (source == SWITCH_TSS_CALL) {
        /* The back link to the old task; the new one runs nested. */
        x86_st_kernel(env, base, env->tr.selector, MO_16, ra);
        new_eflags |= NT_MASK;
    }
    if (source == SWITCH_TSS_JMP || source == SWITCH_TSS_CALL) {
        set_tss_busy(env, selector, true, ra);
        e2 |= DESC_TSS_BUSY_MASK;
    }

    /* Now the new task: TR, CR0.TS, CR3, flags, registers, LDT, segments. */
    env->tr = (SegmentCache){ selector & 0xffff, limit, base, desc_flags(e2) };
    env->cr[0] |= CR0_TS;
    if (tss32 && (env->cr[0] & CR0_PG)) {
        x86_set_cr3(env, new_cr3);
    }
    uint32_t eflags_mask = TF_MASK | AC_MASK | ID_MASK | IF_MASK | IOPL_MASK | VM_MASK | RF_MASK | NT_MASK |
                           DF_MASK | CC_ALL;
    if (!tss32) {
        eflags_mask &= 0xffff;
    }
    x86_load_eflags(env, new_eflags, eflags_mask);
    env->eip = new_eip;
    for (int i = 0; i < 8; i++) {
        env->regs[i] = tss32 ? new_regs[i] : ((env->regs[i] & ~0xffffull) | new_regs[i]);
    }
    if (new_eflags & VM_MASK) {
        for (int i = 0; i < 6; i++) {
            load_seg_vm(env, i, new_segs[i]);
        }
    } else {
        /* Selectors first, so a fault below reports the new task's view (SDM 7.3, step 12). */
        for (int i = 0; i < 6; i++) {
            x86_load_seg_cache(env, i, new_segs[i], 0, 0, 0);
        }
    }
    env->ldt = (SegmentCache){ new_ldt & 0xffff, 0, 0, 0 };
    if (new_ldt & 4) {
        raise_ts(env, new_ldt, ra);
    }
    if ((new_ldt & 0xfffc) != 0) {
        uint32_t le1, le2;
        if (!load_descriptor(env, new_ldt, &le1, &le2, ra) || (le2 & DESC_S_MASK) ||
            ((le2 >> DESC_TYPE_SHIFT) & 0xf) != 2) {
            raise_ts(env, new_ldt, ra);
        }
        if (!(le2 & DESC_P_MASK)) {
            raise_ts(env, new_ldt, ra);
        }
        env->ldt = (SegmentCache){ new_ldt & 0xffff, desc_limit(le1, le2), desc_base(le1, le2), desc_flags(le2) };
    }
    if (!(new_eflags & VM_MASK)) {
        int cpl = new_segs[R_CS] & 3;
        tss_load_seg(env, R_CS, new_segs[R_CS], cpl, ra);
        tss_load_seg(env, R_SS, new_segs[R_SS], cpl, ra);
        tss_load_seg(env, R_ES, new_segs[R_ES], cpl, ra);
        tss_load_seg(env, R_DS, new_segs[R_DS], cpl, ra);
        tss_load_seg(env, R_FS, new_segs[R_FS], cpl, ra);
        tss_load_seg(env, R_GS, new_segs[R_GS], cpl, ra);
    }
    x86_update_hflags(env);
    if (new_eip > env->segs[R_CS].limit) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
}

/* An interrupt or exception through a task gate: the error code goes on the new task's stack. */
static void interrupt_task_gate(CPUX86State *env, int vector, uint32_t e1, uint32_t e2, bool is_int,
                                int error_code, uint64_t next_eip, bool has_error_code)
{
    uint32_t gate_err = (uint32_t)vector * 8 + 2;
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP0B_NOSEG, (int)gate_err);
    }
    switch_tss(env, gate_err & ~3u, e1, e2, SWITCH_TSS_CALL, is_int ? next_eip : env->eip, 0);
    if (has_error_code) {
        int ot = (env->tr.flags & (8u << DESC_TYPE_SHIFT)) ? MO_32 : MO_16;
        StackPtr st = { env->segs[R_SS].base, env->regs[R_ESP], stack_mask_of(env->segs[R_SS].flags),
                        x86_cpu_mmu_index(env) };
        push_v(env, &st, (uint32_t)error_code, ot, 0);
        set_esp(env, st.sp, st.mask);
    }
}

/* ---- interrupts through the IDT ---- */

void x86_do_interrupt_protected(CPUX86State *env, int vector, bool is_int, int error_code, uint64_t next_eip,
                                bool has_error_code)
{
    uint32_t e1, e2, ce1, ce2;
    int cpl = cpl_of(env);
    uint32_t gate_err = (uint32_t)vector * 8 + 2;

    if ((uint32_t)vector * 8 + 7 > env->idt.limit) {
        x86_raise_exception_err(env, EXCP0D_GPF, (int)gate_err);
    }
    uint64_t gaddr = env->idt.base + (uint32_t)vector * 8;
    e1 = (uint32_t)x86_ld_kernel(env, gaddr, MO_32, 0);
    e2 = (uint32_t)x86_ld_kernel(env, gaddr + 4, MO_32, 0);
    int type = (e2 >> DESC_TYPE_SHIFT) & 0x1f;
    switch (type) {
    case 6: case 7: case 14: case 15:
        break;
    case 5:
        if (is_int && (int)((e2 >> DESC_DPL_SHIFT) & 3) < cpl) {
            x86_raise_exception_err(env, EXCP0D_GPF, (int)gate_err);
        }
        interrupt_task_gate(env, vector, e1, e2, is_int, error_code, next_eip, has_error_code);
        return;
    default:
        x86_raise_exception_err(env, EXCP0D_GPF, (int)gate_err);
    }
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if (is_int && dpl < cpl) {
        x86_raise_exception_err(env, EXCP0D_GPF, (int)gate_err);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP0B_NOSEG, (int)gate_err);
    }
    uint32_t selector = e1 >> 16;
    uint64_t offset = (e2 & 0xffff0000u) | (e1 & 0xffff);
    if ((selector & 0xfffc) == 0) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0);
    }
    if (!load_descriptor(env, selector, &ce1, &ce2, 0)) {
        x86_raise_exception_err(env, EXCP0D_GPF, (int)(selector & 0xfffc));
    }
    int cdpl = (ce2 >> DESC_DPL_SHIFT) & 3;
    if (!(ce2 & DESC_S_MASK) || !(ce2 & DESC_CS_MASK) || cdpl > cpl) {
        x86_raise_exception_err(env, EXCP0D_GPF, (int)(selector & 0xfffc));
    }
    if (!(ce2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP0B_NOSEG, (int)(selector & 0xfffc));
    }
    int shift = type >> 3;    /* 1: 32-bit gate */
    int ot = shift ? MO_32 : MO_16;
    bool vm86 = (env->eflags & VM_MASK) != 0;
    bool new_stack = false;
    uint32_t ss = 0, sse1 = 0, sse2 = 0;
    uint64_t esp = 0;
    StackPtr st;

    if (!(ce2 & DESC_C_MASK) && cdpl < cpl) {
        /* Inner privilege level: switch to the TSS stack. */
        get_ss_esp_from_tss(env, cdpl, &ss, &esp, 0);
        if ((ss & 0xfffc) == 0) {
            x86_raise_exception_err(env, EXCP0A_TSS, (int)(ss & 0xfffc));
        }
        if ((int)(ss & 3) != cdpl || !load_descriptor(env, ss, &sse1, &sse2, 0)) {
            x86_raise_exception_err(env, EXCP0A_TSS, (int)(ss & 0xfffc));
        }
        int sdpl = (sse2 >> DESC_DPL_SHIFT) & 3;
        if (sdpl != cdpl || !(sse2 & DESC_S_MASK) || (sse2 & DESC_CS_MASK) || !(sse2 & DESC_W_MASK)) {
            x86_raise_exception_err(env, EXCP0A_TSS, (int)(ss & 0xfffc));
        }
        if (!(sse2 & DESC_P_MASK)) {
            x86_raise_exception_err(env, EXCP0C_STACK, (int)(ss & 0xfffc));
        }
        new_stack = true;
        st.base = desc_base(sse1, sse2);
        st.mask = stack_mask_of(sse2);
        st.sp = esp;
    } else if ((ce2 & DESC_C_MASK) || cdpl == cpl) {
        if (vm86) {
            x86_raise_exception_err(env, EXCP0D_GPF, (int)(selector & 0xfffc));
        }
        st.base = env->segs[R_SS].base;
        st.mask = stack_mask_of(env->segs[R_SS].flags);
        st.sp = env->regs[R_ESP];
        cdpl = cpl;
    } else {
        x86_raise_exception_err(env, EXCP0D_GPF, (int)(selector & 0xfffc));
    }
    st.mmu_idx = cdpl == 3 ? MMU_USER_IDX : MMU_KNOSMAP_IDX;

    uint32_t eflags = x86_compute_eflags(env);
    uint64_t ret_eip = is_int ? next_eip : env->eip;
    if (new_stack) {
        if (vm86) {
            push_v(env, &st, env->segs[R_GS].selector, ot, 0);
            push_v(env, &st, env->segs[R_FS].selector, ot, 0);
            push_v(env, &st, env->segs[R_DS].selector, ot, 0);
            push_v(env, &st, env->segs[R_ES].selector, ot, 0);
        }
        push_v(env, &st, env->segs[R_SS].selector, ot, 0);
        push_v(env, &st, env->regs[R_ESP], ot, 0);
    }
    push_v(env, &st, eflags, ot, 0);
    push_v(env, &st, env->segs[R_CS].selector, ot, 0);
    push_v(env, &st, ret_eip, ot, 0);
    if (has_error_code) {
        push_v(env, &st, (uint32_t)error_code, ot, 0);
    }

    /* Commit. */
    if (new_stack) {
        if (vm86) {
            x86_load_seg_cache(env, R_ES, 0, 0, 0, 0);
            x86_load_seg_cache(env, R_DS, 0, 0, 0, 0);
            x86_load_seg_cache(env, R_FS, 0, 0, 0, 0);
            x86_load_seg_cache(env, R_GS, 0, 0, 0, 0);
        }
        ss = (ss & ~3u) | (uint32_t)cdpl;
        load_seg_from_desc(env, R_SS, ss, sse1, sse2);
    }
    set_esp(env, st.sp, st.mask);
    selector = (selector & ~3u) | (uint32_t)cdpl;
    load_seg_from_desc(env, R_CS, selector, ce1, ce2);
    env->eip = shift ? offset : (offset & 0xffff);
    /* Interrupt gates clear IF; both clear TF, VM, RF, NT (SDM 6.12.1.2). */
    if (!(type & 1)) {
        env->eflags &= ~(uint64_t)IF_MASK;
    }
    env->eflags &= ~(uint64_t)(TF_MASK | VM_MASK | RF_MASK | NT_MASK);
    x86_update_hflags(env);
}

static uint64_t get_rsp_from_tss64(CPUX86State *env, int level, uintptr_t ra)
{
    /* 64-bit TSS: RSP0-2 at 4, 12, 20; IST1-7 at 0x24 + 8 * (n - 1) (SDM 8.7). */
    uint32_t index = 8 * (uint32_t)level + 4;
    if (!(env->tr.flags & DESC_P_MASK) || index + 7 > env->tr.limit) {
        x86_raise_exception_err_ra(env, EXCP0A_TSS, (int)(env->tr.selector & 0xfffc), ra);
    }
    return x86_ld_kernel(env, env->tr.base + index, MO_64, ra);
}

void x86_do_interrupt64(CPUX86State *env, int vector, bool is_int, int error_code, uint64_t next_eip,
                        bool has_error_code)
{
    uint32_t e1, e2, e3, ce1, ce2;
    int cpl = cpl_of(env);
    uint32_t gate_err = (uint32_t)vector * 8 + 2;

    if ((uint32_t)vector * 16 + 15 > env->idt.limit) {
        x86_raise_exception_err(env, EXCP0D_GPF, (int)gate_err);
    }
    uint64_t gaddr = env->idt.base + (uint32_t)vector * 16;
    e1 = (uint32_t)x86_ld_kernel(env, gaddr, MO_32, 0);
    e2 = (uint32_t)x86_ld_kernel(env, gaddr + 4, MO_32, 0);
    e3 = (uint32_t)x86_ld_kernel(env, gaddr + 8, MO_32, 0);
    int type = (e2 >> DESC_TYPE_SHIFT) & 0x1f;
    if (type != 14 && type != 15) {
        x86_raise_exception_err(env, EXCP0D_GPF, (int)gate_err);
    }
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if (is_int && dpl < cpl) {
        x86_raise_exception_err(env, EXCP0D_GPF, (int)gate_err);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP0B_NOSEG, (int)gate_err);
    }
    uint32_t selector = e1 >> 16;
    uint64_t offset = ((uint64_t)e3 << 32) | (e2 & 0xffff0000u) | (e1 & 0xffff);
    int ist = e2 & 7;
    if ((selector & 0xfffc) == 0) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0);
    }
    if (!load_descriptor(env, selector, &ce1, &ce2, 0)) {
        x86_raise_exception_err(env, EXCP0D_GPF, (int)(selector & 0xfffc));
    }
    int cdpl = (ce2 >> DESC_DPL_SHIFT) & 3;
    if (!(ce2 & DESC_S_MASK) || !(ce2 & DESC_CS_MASK) || cdpl > cpl || !(ce2 & DESC_L_MASK) ||
        (ce2 & DESC_B_MASK)) {
        x86_raise_exception_err(env, EXCP0D_GPF, (int)(selector & 0xfffc));
    }
    if (!(ce2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP0B_NOSEG, (int)(selector & 0xfffc));
    }
    uint64_t rsp;
    bool priv_change = !(ce2 & DESC_C_MASK) && cdpl < cpl;
    if (priv_change || ist) {
        rsp = get_rsp_from_tss64(env, ist ? ist + 3 : cdpl, 0);
    } else {
        rsp = env->regs[R_ESP];
    }
    if (!priv_change) {
        cdpl = cpl;
    }
    rsp &= ~0xfull;   /* 16-byte aligned frame */
    StackPtr st = { 0, rsp, ~0ull, cdpl == 3 ? MMU_USER_IDX : MMU_KNOSMAP_IDX };
    uint32_t eflags = x86_compute_eflags(env);
    push_v(env, &st, env->segs[R_SS].selector, MO_64, 0);
    push_v(env, &st, env->regs[R_ESP], MO_64, 0);
    push_v(env, &st, eflags, MO_64, 0);
    push_v(env, &st, env->segs[R_CS].selector, MO_64, 0);
    push_v(env, &st, is_int ? next_eip : env->eip, MO_64, 0);
    if (has_error_code) {
        push_v(env, &st, (uint32_t)error_code, MO_64, 0);
    }
    if (priv_change) {
        /* SS becomes a null selector with RPL = new CPL. */
        x86_load_seg_cache(env, R_SS, (uint32_t)cdpl, 0, 0, (uint32_t)cdpl << DESC_DPL_SHIFT);
    }
    env->regs[R_ESP] = st.sp;
    load_seg_from_desc(env, R_CS, (selector & ~3u) | (uint32_t)cdpl, ce1, ce2);
    env->eip = offset;
    if (!(type & 1)) {
        env->eflags &= ~(uint64_t)IF_MASK;
    }
    env->eflags &= ~(uint64_t)(TF_MASK | VM_MASK | RF_MASK | NT_MASK);
    x86_update_hflags(env);
}

/* ---- far JMP / CALL / RET ---- */

/*
 * The selector of a far JMP/CALL in protected mode: a null selector is #GP(0),
 * one outside its table #GP(selector) (SDM Vol. 2A, JMP/CALL "Operation").
 */
static void load_far_target_descriptor(CPUX86State *env, uint32_t selector, uint32_t *e1, uint32_t *e2,
                                       uintptr_t ra)
{
    if ((selector & 0xfffc) == 0) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    if (!load_descriptor(env, selector, e1, e2, ra)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
    }
}

static void check_code_target(CPUX86State *env, uint32_t selector, uint32_t e2, bool is_call, uintptr_t ra)
{
    int cpl = cpl_of(env);
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    int rpl = selector & 3;
    if (e2 & DESC_C_MASK) {
        if (dpl > cpl) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
        }
    } else if (rpl > cpl || dpl != cpl) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, (int)(selector & 0xfffc), ra);
    }
}

/*
 * A far JMP/CALL straight to a code segment: it must be code, pass the
 * privilege and present checks, and the offset must be inside the limit
 * (no limit check for a 64-bit code segment in long mode).
 */
static void check_direct_code_target(CPUX86State *env, uint32_t selector, uint32_t e1, uint32_t e2,
                                     uint64_t offset, bool is_call, uintptr_t ra)
{
    if (!(e2 & DESC_CS_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
    }
    check_code_target(env, selector, e2, is_call, ra);
    uint32_t limit = desc_limit(e1, e2);
    if (!((env->efer & EFER_LMA) && (e2 & DESC_L_MASK)) && offset > limit) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
}

void helper_ljmp(CPUX86State *env, uint32_t selector, uint64_t offset, uint64_t next_eip)
{
    uintptr_t ra = GETPC();
    uint32_t e1, e2;
    int cpl = cpl_of(env);

    selector &= 0xffff;
    if (!(env->cr[0] & CR0_PE) || (env->eflags & VM_MASK)) {
        env->segs[R_CS].selector = selector;
        env->segs[R_CS].base = (uint64_t)selector << 4;
        env->eip = offset;
        x86_update_hflags(env);
        return;
    }
    load_far_target_descriptor(env, selector, &e1, &e2, ra);
    if (e2 & DESC_S_MASK) {
        check_direct_code_target(env, selector, e1, e2, offset, false, ra);
        set_accessed(env, selector, e2, ra);
        load_seg_from_desc(env, R_CS, (selector & 0xfffc) | (uint32_t)cpl, e1, e2 | DESC_A_MASK);
        env->eip = offset;
        return;
    }
    int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    int rpl = selector & 3;
    if (type == 4 || type == 12) {
        /* Call gate used by JMP: no privilege change possible. */
        if (dpl < cpl || dpl < rpl) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
        }
        if (!(e2 & DESC_P_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0B_NOSEG, (int)(selector & 0xfffc), ra);
        }
        uint32_t gsel = e1 >> 16;
        uint64_t goff = (e1 & 0xffff) | (type == 12 ? (e2 & 0xffff0000u) : 0);
        uint32_t ce1, ce2;
        if (!load_descriptor(env, gsel, &ce1, &ce2, ra)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(gsel & 0xfffc), ra);
        }
        int cdpl = (ce2 >> DESC_DPL_SHIFT) & 3;
        if (!(ce2 & DESC_S_MASK) || !(ce2 & DESC_CS_MASK) ||
            ((ce2 & DESC_C_MASK) ? cdpl > cpl : cdpl != cpl)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(gsel & 0xfffc), ra);
        }
        if (!(ce2 & DESC_P_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0B_NOSEG, (int)(gsel & 0xfffc), ra);
        }
        load_seg_from_desc(env, R_CS, (gsel & 0xfffc) | (uint32_t)cpl, ce1, ce2);
        env->eip = goff;
        return;
    }
    if (type == 1 || type == 9 || type == 5) {
        /* Task switch through an available TSS or a task gate. */
        if (dpl < cpl || dpl < rpl) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
        }
        switch_tss(env, selector, e1, e2, SWITCH_TSS_JMP, next_eip, ra);
        return;
    }
    x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
}

static StackPtr current_stack(CPUX86State *env)
{
    StackPtr st;
    st.base = (env->hflags & HF_CS64) ? 0 : env->segs[R_SS].base;
    st.mask = (env->hflags & HF_CS64) ? ~0ull : stack_mask_of(env->segs[R_SS].flags);
    st.sp = env->regs[R_ESP];
    st.mmu_idx = x86_cpu_mmu_index(env);
    return st;
}

void helper_lcall(CPUX86State *env, uint32_t selector, uint64_t offset, uint32_t ot, uint64_t next_eip)
{
    uintptr_t ra = GETPC();
    uint32_t e1, e2;
    int cpl = cpl_of(env);
    StackPtr st = current_stack(env);

    selector &= 0xffff;
    if (!(env->cr[0] & CR0_PE) || (env->eflags & VM_MASK)) {
        push_v(env, &st, env->segs[R_CS].selector, (int)ot, ra);
        push_v(env, &st, next_eip, (int)ot, ra);
        set_esp(env, st.sp, st.mask);
        env->segs[R_CS].selector = selector;
        env->segs[R_CS].base = (uint64_t)selector << 4;
        env->eip = offset;
        x86_update_hflags(env);
        return;
    }
    load_far_target_descriptor(env, selector, &e1, &e2, ra);
    if (e2 & DESC_S_MASK) {
        check_direct_code_target(env, selector, e1, e2, offset, true, ra);
        push_v(env, &st, env->segs[R_CS].selector, (int)ot, ra);
        push_v(env, &st, next_eip, (int)ot, ra);
        set_accessed(env, selector, e2, ra);
        set_esp(env, st.sp, st.mask);
        load_seg_from_desc(env, R_CS, (selector & 0xfffc) | (uint32_t)cpl, e1, e2 | DESC_A_MASK);
        env->eip = offset;
        return;
    }
    int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    int rpl = selector & 3;
    if (type == 1 || type == 9 || type == 5) {
        /* Task switch through an available TSS or a task gate; the new task is nested. */
        if (dpl < cpl || dpl < rpl) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
        }
        switch_tss(env, selector, e1, e2, SWITCH_TSS_CALL, next_eip, ra);
        return;
    }
    if (type != 4 && type != 12) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
    }
    if (dpl < cpl || dpl < rpl) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, (int)(selector & 0xfffc), ra);
    }
    int gshift = type >> 3;
    int got = gshift ? MO_32 : MO_16;
    uint32_t gsel = e1 >> 16;
    uint64_t goff = (e1 & 0xffff) | (gshift ? (e2 & 0xffff0000u) : 0);
    int param_count = e2 & 0x1f;
    uint32_t ce1, ce2;
    if ((gsel & 0xfffc) == 0) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    if (!load_descriptor(env, gsel, &ce1, &ce2, ra)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(gsel & 0xfffc), ra);
    }
    int cdpl = (ce2 >> DESC_DPL_SHIFT) & 3;
    if (!(ce2 & DESC_S_MASK) || !(ce2 & DESC_CS_MASK) || cdpl > cpl) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(gsel & 0xfffc), ra);
    }
    if (!(ce2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, (int)(gsel & 0xfffc), ra);
    }
    if (!(ce2 & DESC_C_MASK) && cdpl < cpl) {
        /* To an inner level: new stack from the TSS, copy the parameters (SDM 5.8.5). */
        uint32_t ss, sse1, sse2;
        uint64_t esp;
        get_ss_esp_from_tss(env, cdpl, &ss, &esp, ra);
        if ((ss & 0xfffc) == 0 || (int)(ss & 3) != cdpl || !load_descriptor(env, ss, &sse1, &sse2, ra)) {
            x86_raise_exception_err_ra(env, EXCP0A_TSS, (int)(ss & 0xfffc), ra);
        }
        if (((sse2 >> DESC_DPL_SHIFT) & 3) != (uint32_t)cdpl || !(sse2 & DESC_S_MASK) ||
            (sse2 & DESC_CS_MASK) || !(sse2 & DESC_W_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0A_TSS, (int)(ss & 0xfffc), ra);
        }
        if (!(sse2 & DESC_P_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0C_STACK, (int)(ss & 0xfffc), ra);
        }
        StackPtr ns = { desc_base(sse1, sse2), esp, stack_mask_of(sse2), cdpl == 3 ? MMU_USER_IDX : MMU_KNOSMAP_IDX };
        push_v(env, &ns, env->segs[R_SS].selector, got, ra);
        push_v(env, &ns, env->regs[R_ESP], got, ra);
        for (int i = param_count - 1; i >= 0; i--) {
            uint64_t v = tcg_guest_ld(&env->tcg, st.base + ((st.sp + (uint64_t)(i << got)) & st.mask), (TCGMemOp)got,
                                      st.mmu_idx, ra);
            push_v(env, &ns, v, got, ra);
        }
        push_v(env, &ns, env->segs[R_CS].selector, got, ra);
        push_v(env, &ns, next_eip, got, ra);
        load_seg_from_desc(env, R_SS, (ss & 0xfffc) | (uint32_t)cdpl, sse1, sse2);
        set_esp(env, ns.sp, ns.mask);
    } else {
        push_v(env, &st, env->segs[R_CS].selector, got, ra);
        push_v(env, &st, next_eip, got, ra);
        set_esp(env, st.sp, st.mask);
        cdpl = cpl;
    }
    load_seg_from_desc(env, R_CS, (gsel & 0xfffc) | (uint32_t)cdpl, ce1, ce2);
    env->eip = goff;
}

/* Protected-mode return (RETF or IRET): pops already done by the caller into the values given. */
static void return_to(CPUX86State *env, uint32_t new_cs, uint64_t new_eip, StackPtr *st, int ot, uint32_t addend,
                      bool is_iret, uint32_t new_eflags, uintptr_t ra)
{
    uint32_t e1, e2;
    int cpl = cpl_of(env);
    int rpl = new_cs & 3;

    if ((new_cs & 0xfffc) == 0) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    if (!load_descriptor(env, new_cs, &e1, &e2, ra)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(new_cs & 0xfffc), ra);
    }
    if (!(e2 & DESC_S_MASK) || !(e2 & DESC_CS_MASK) || rpl < cpl) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(new_cs & 0xfffc), ra);
    }
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if ((e2 & DESC_C_MASK) ? dpl > rpl : dpl != rpl) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(new_cs & 0xfffc), ra);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, (int)(new_cs & 0xfffc), ra);
    }
    st->sp += addend;
    bool to_64 = (env->efer & EFER_LMA) && (e2 & DESC_L_MASK);
    if (rpl == cpl && !(env->hflags & HF_CS64)) {
        load_seg_from_desc(env, R_CS, new_cs, e1, e2);
        set_esp(env, st->sp, st->mask);
    } else if (rpl == cpl && !is_iret) {
        load_seg_from_desc(env, R_CS, new_cs, e1, e2);
        set_esp(env, st->sp, st->mask);
    } else {
        /* Outer level (or any IRET in 64-bit mode): SS:ESP come off the stack too. */
        uint64_t new_esp = pop_v(env, st, ot, ra);
        uint32_t new_ss = (uint32_t)pop_v(env, st, ot, ra) & 0xffff;
        uint32_t se1 = 0, se2 = 0;
        if ((new_ss & 0xfffc) == 0) {
            if (!to_64 || rpl == 3) {
                x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
            }
        } else {
            if ((int)(new_ss & 3) != rpl || !load_descriptor(env, new_ss, &se1, &se2, ra)) {
                x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(new_ss & 0xfffc), ra);
            }
            if (!(se2 & DESC_S_MASK) || (se2 & DESC_CS_MASK) || !(se2 & DESC_W_MASK) ||
                (int)((se2 >> DESC_DPL_SHIFT) & 3) != rpl) {
                x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(new_ss & 0xfffc), ra);
            }
            if (!(se2 & DESC_P_MASK)) {
                x86_raise_exception_err_ra(env, EXCP0C_STACK, (int)(new_ss & 0xfffc), ra);
            }
        }
        load_seg_from_desc(env, R_CS, new_cs, e1, e2);
        if ((new_ss & 0xfffc) == 0) {
            x86_load_seg_cache(env, R_SS, new_ss, 0, 0, (uint32_t)rpl << DESC_DPL_SHIFT);
        } else {
            load_seg_from_desc(env, R_SS, new_ss, se1, se2);
        }
        uint64_t mask = to_64 ? ~0ull : stack_mask_of(env->segs[R_SS].flags);
        if (!is_iret) {
            new_esp += addend;
        }
        set_esp(env, new_esp, mask);
        if (rpl != cpl) {
            validate_seg(env, R_ES, rpl);
            validate_seg(env, R_DS, rpl);
            validate_seg(env, R_FS, rpl);
            validate_seg(env, R_GS, rpl);
        }
    }
    env->eip = new_eip;
    if (is_iret) {
        uint32_t mask = TF_MASK | AC_MASK | ID_MASK | RF_MASK | NT_MASK | DF_MASK | CC_ALL;
        if (cpl == 0) {
            mask |= IOPL_MASK | IF_MASK | VIF_MASK | VIP_MASK;
        } else if (cpl <= (int)((env->eflags >> IOPL_SHIFT) & 3)) {
            mask |= IF_MASK;
        }
        if (ot == MO_16) {
            mask &= 0xffff;
        }
        x86_load_eflags(env, new_eflags, mask);
    }
}

void helper_lret(CPUX86State *env, uint32_t ot, uint32_t addend)
{
    uintptr_t ra = GETPC();
    StackPtr st = current_stack(env);
    uint64_t new_eip = pop_v(env, &st, (int)ot, ra);
    uint32_t new_cs = (uint32_t)pop_v(env, &st, (int)ot, ra) & 0xffff;

    if (!(env->cr[0] & CR0_PE) || (env->eflags & VM_MASK)) {
        st.sp += addend;
        set_esp(env, st.sp, st.mask);
        env->segs[R_CS].selector = new_cs;
        env->segs[R_CS].base = (uint64_t)new_cs << 4;
        env->eip = new_eip;
        x86_update_hflags(env);
        return;
    }
    return_to(env, new_cs, new_eip, &st, (int)ot, addend, false, 0, ra);
}

void helper_iret(CPUX86State *env, uint32_t ot, uint64_t next_eip)
{
    uintptr_t ra = GETPC();
    StackPtr st = current_stack(env);

    if (!(env->cr[0] & CR0_PE) || (env->eflags & VM_MASK)) {
        /* Real mode, or virtual-8086 with IOPL 3 (the translator checked): IOPL is kept in VM86. */
        uint64_t new_eip = pop_v(env, &st, (int)ot, ra);
        uint32_t new_cs = (uint32_t)pop_v(env, &st, (int)ot, ra) & 0xffff;
        uint32_t new_flags = (uint32_t)pop_v(env, &st, (int)ot, ra);
        uint32_t mask = TF_MASK | AC_MASK | ID_MASK | NT_MASK | IF_MASK | DF_MASK | RF_MASK | CC_ALL;
        if (!(env->eflags & VM_MASK)) {
            mask |= IOPL_MASK;
        }
        if (ot == MO_16) {
            mask &= 0xffff;
        }
        set_esp(env, st.sp, st.mask);
        env->segs[R_CS].selector = new_cs;
        env->segs[R_CS].base = (uint64_t)new_cs << 4;
        env->eip = new_eip;
        x86_load_eflags(env, new_flags, mask);
        return;
    }
    if (env->eflags & NT_MASK) {
        /* Return from a nested task to the one in the back link (SDM IRET, 7.4). */
        if (env->efer & EFER_LMA) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        uint32_t back = (uint32_t)x86_ld_kernel(env, env->tr.base, MO_16, ra);
        uint32_t e1, e2;
        if ((back & 4) || !load_descriptor(env, back, &e1, &e2, ra) || (e2 & DESC_S_MASK)) {
            raise_ts(env, back, ra);
        }
        int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
        if (type != 3 && type != 11) {
            raise_ts(env, back, ra);
        }
        switch_tss(env, back, e1, e2, SWITCH_TSS_IRET, next_eip, ra);
        return;
    }
    uint64_t new_eip = pop_v(env, &st, (int)ot, ra);
    uint32_t new_cs = (uint32_t)pop_v(env, &st, (int)ot, ra) & 0xffff;
    uint32_t new_flags = (uint32_t)pop_v(env, &st, (int)ot, ra);
    if ((new_flags & VM_MASK) && cpl_of(env) == 0 && !(env->efer & EFER_LMA)) {
        /* Return to virtual-8086 mode (SDM IRET). */
        uint64_t new_esp = pop_v(env, &st, (int)ot, ra);
        uint32_t new_ss = (uint32_t)pop_v(env, &st, (int)ot, ra);
        uint32_t es = (uint32_t)pop_v(env, &st, (int)ot, ra);
        uint32_t ds = (uint32_t)pop_v(env, &st, (int)ot, ra);
        uint32_t fs = (uint32_t)pop_v(env, &st, (int)ot, ra);
        uint32_t gs = (uint32_t)pop_v(env, &st, (int)ot, ra);
        x86_load_eflags(env, new_flags, 0xffffffffu & ~(uint32_t)(VIF_MASK | VIP_MASK));
        load_seg_vm(env, R_CS, new_cs);
        load_seg_vm(env, R_SS, new_ss);
        load_seg_vm(env, R_ES, es);
        load_seg_vm(env, R_DS, ds);
        load_seg_vm(env, R_FS, fs);
        load_seg_vm(env, R_GS, gs);
        env->eip = new_eip & 0xffff;
        env->regs[R_ESP] = (uint32_t)new_esp;
        x86_update_hflags(env);
        return;
    }
    return_to(env, new_cs, new_eip, &st, (int)ot, 0, true, new_flags, ra);
    (void)next_eip;
}

/* ---- LDT / TR / descriptor queries ---- */

void helper_lldt(CPUX86State *env, uint32_t selector)
{
    uintptr_t ra = GETPC();
    uint32_t e1, e2;
    selector &= 0xffff;
    if ((selector & 0xfffc) == 0) {
        env->ldt = (SegmentCache){ selector, 0, 0, 0 };
        return;
    }
    if ((selector & 4) || !load_descriptor(env, selector, &e1, &e2, ra)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
    }
    if ((e2 & DESC_S_MASK) || ((e2 >> DESC_TYPE_SHIFT) & 0xf) != 2) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, (int)(selector & 0xfffc), ra);
    }
    uint64_t base = desc_base(e1, e2);
    if (env->efer & EFER_LMA) {
        base |= x86_ld_kernel(env, env->gdt.base + (selector & ~7u) + 8, MO_32, ra) << 32;
    }
    env->ldt = (SegmentCache){ selector, desc_limit(e1, e2), base, desc_flags(e2) };
}

void helper_ltr(CPUX86State *env, uint32_t selector)
{
    uintptr_t ra = GETPC();
    uint32_t e1, e2;
    selector &= 0xffff;
    if ((selector & 0xfffc) == 0 || (selector & 4) || !load_descriptor(env, selector, &e1, &e2, ra)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
    }
    int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    if ((e2 & DESC_S_MASK) || (type != 1 && type != 9)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, (int)(selector & 0xfffc), ra);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, (int)(selector & 0xfffc), ra);
    }
    uint64_t base = desc_base(e1, e2);
    if (env->efer & EFER_LMA) {
        base |= x86_ld_kernel(env, env->gdt.base + (selector & ~7u) + 8, MO_32, ra) << 32;
    }
    /* Mark busy (type 3 / 11). */
    e2 |= 2u << DESC_TYPE_SHIFT;
    x86_st_kernel(env, env->gdt.base + (selector & ~7u) + 4, e2, MO_32, ra);
    env->tr = (SegmentCache){ selector, desc_limit(e1, e2), base, desc_flags(e2) };
}

/* Set or clear ZF, the other flags as they are (the lazy state becomes EFLAGS). */
static void set_zf(CPUX86State *env, bool z)
{
    uint32_t f = cc_compute_all(env->cc_op, env->cc_dst, env->cc_src, env->cc_src2);
    env->cc_src = (f & ~(uint32_t)CC_Z) | (z ? CC_Z : 0);
    env->cc_op = CC_OP_EFLAGS;
}

/* Is the descriptor visible to LAR/LSL/VERR/VERW at this CPL/RPL? */
static bool desc_visible(CPUX86State *env, uint32_t selector, uint32_t e2)
{
    int cpl = cpl_of(env), rpl = selector & 3, dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if ((e2 & DESC_S_MASK) && (e2 & DESC_CS_MASK) && (e2 & DESC_C_MASK)) {
        return true;
    }
    return dpl >= cpl && dpl >= rpl;
}

/*
 * LAR and LSL: ZF says whether the selector names a descriptor this code may
 * inspect -- not null, inside its table, a code/data segment or one of the
 * system types the instruction accepts, and visible at CPL/RPL (conforming
 * code always is).  Bad selectors never fault (SDM Vol. 2A, LAR; Vol. 2B, LSL).
 */
static bool load_inspectable_descriptor(CPUX86State *env, uint32_t selector, const bool system_type_ok[16],
                                        uint32_t *e1, uint32_t *e2, uintptr_t ra)
{
    bool ok = (selector & 0xfffc) != 0 && load_descriptor(env, selector, e1, e2, ra) &&
              ((*e2 & DESC_S_MASK) || system_type_ok[(*e2 >> DESC_TYPE_SHIFT) & 0xf]) &&
              desc_visible(env, selector, *e2);
    set_zf(env, ok);
    return ok;
}

uint64_t helper_lar(CPUX86State *env, uint32_t selector)
{
    static const bool lar_system_types[16] = {
        [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [9] = 1, [11] = 1, [12] = 1,
    };
    uintptr_t ra = GETPC();
    uint32_t e1, e2;

    if (!load_inspectable_descriptor(env, selector & 0xffff, lar_system_types, &e1, &e2, ra)) {
        return 0;
    }
    return e2 & 0x00f0ff00u;
}

uint64_t helper_lsl(CPUX86State *env, uint32_t selector)
{
    static const bool lsl_system_types[16] = { [1] = 1, [2] = 1, [3] = 1, [9] = 1, [11] = 1 };
    uintptr_t ra = GETPC();
    uint32_t e1, e2;

    if (!load_inspectable_descriptor(env, selector & 0xffff, lsl_system_types, &e1, &e2, ra)) {
        return 0;
    }
    return desc_limit(e1, e2);
}

static void verify(CPUX86State *env, uint32_t selector, bool write, uintptr_t ra)
{
    uint32_t e1, e2;
    selector &= 0xffff;
    if ((selector & 0xfffc) == 0 || !load_descriptor(env, selector, &e1, &e2, ra) || !(e2 & DESC_S_MASK)) {
        set_zf(env, false);
        return;
    }
    bool ok;
    if (e2 & DESC_CS_MASK) {
        ok = !write && (e2 & DESC_R_MASK) && ((e2 & DESC_C_MASK) || desc_visible(env, selector, e2));
    } else {
        ok = (!write || (e2 & DESC_W_MASK)) && desc_visible(env, selector, e2);
    }
    set_zf(env, ok);
}

void helper_verr(CPUX86State *env, uint32_t selector)
{
    uintptr_t ra = GETPC();
    verify(env, selector, false, ra);
}

void helper_verw(CPUX86State *env, uint32_t selector)
{
    uintptr_t ra = GETPC();
    verify(env, selector, true, ra);
}

/* ARPL: dst.RPL = max(dst.RPL, src.RPL), ZF set when it changed. */
uint32_t helper_arpl(CPUX86State *env, uint32_t dst, uint32_t src)
{
    bool adjust = (dst & 3) < (src & 3);
    if (adjust) {
        dst = (dst & ~3u) | (src & 3);
    }
    set_zf(env, adjust);
    return dst & 0xffff;
}

/* ENTER with nesting level > 0 (SDM ENTER): copy level-1 frame pointers, push the new one. */
void helper_enter_level(CPUX86State *env, uint32_t level, uint32_t ot, uint64_t frame_temp)
{
    uintptr_t ra = GETPC();
    StackPtr st = current_stack(env);
    uint64_t bp = env->regs[R_EBP];
    int size = 1 << ot;

    st.sp = frame_temp;
    for (uint32_t i = 1; i < level; i++) {
        bp -= (uint64_t)size;
        uint64_t v = tcg_guest_ld(&env->tcg, st.base + (bp & st.mask), (TCGMemOp)ot, st.mmu_idx, ra);
        push_v(env, &st, v, (int)ot, ra);
    }
    push_v(env, &st, frame_temp, (int)ot, ra);
}

void helper_bound(CPUX86State *env, uint64_t addr, uint64_t val, uint32_t ot)
{
    uintptr_t ra = GETPC();
    int64_t v, lo, hi;
    if (ot == MO_16) {
        lo = (int16_t)x86_ld_data(env, addr, MO_16, ra);
        hi = (int16_t)x86_ld_data(env, (uint32_t)(addr + 2), MO_16, ra);
        v = (int16_t)val;
    } else {
        lo = (int32_t)x86_ld_data(env, addr, MO_32, ra);
        hi = (int32_t)x86_ld_data(env, (uint32_t)(addr + 4), MO_32, ra);
        v = (int32_t)val;
    }
    if (v < lo || v > hi) {
        x86_raise_exception_ra(env, EXCP05_BOUND, ra);
    }
}

/* ---- fast system calls ---- */

#define MSR_STAR_CS_SHIFT 32

void helper_syscall(CPUX86State *env, uint64_t next_eip)
{
    uintptr_t ra = GETPC();
    if (!(env->efer & EFER_SCE)) {
        x86_raise_exception_ra(env, EXCP06_ILLOP, ra);
    }
    uint32_t selector = (uint32_t)(env->star >> 32) & 0xffff;
    uint32_t code_flags = DESC_G_MASK | DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK;
    uint32_t data_flags = DESC_G_MASK | DESC_B_MASK | DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK;
    if (env->efer & EFER_LMA) {
        uint32_t eflags = x86_compute_eflags(env);
        env->regs[R_ECX] = next_eip;
        env->regs[11] = eflags & ~(uint32_t)RF_MASK;
        x86_load_seg_cache(env, R_CS, selector & 0xfffc, 0, 0xffffffff, code_flags | DESC_L_MASK);
        x86_load_seg_cache(env, R_SS, (selector + 8) & 0xfffc, 0, 0xffffffff, data_flags);
        x86_load_eflags(env, eflags & ~(uint32_t)env->fmask & ~(uint32_t)RF_MASK, 0xffffffffu);
        env->eip = (env->hflags & HF_CS64) ? env->lstar : env->cstar;
    } else {
        env->regs[R_ECX] = (uint32_t)next_eip;
        x86_load_seg_cache(env, R_CS, selector & 0xfffc, 0, 0xffffffff, code_flags | DESC_B_MASK);
        x86_load_seg_cache(env, R_SS, (selector + 8) & 0xfffc, 0, 0xffffffff, data_flags);
        x86_load_eflags(env, x86_compute_eflags(env) & ~(uint32_t)(IF_MASK | RF_MASK | VM_MASK), 0xffffffffu);
        env->eip = (uint32_t)env->star;
    }
    x86_update_hflags(env);
}

void helper_sysret(CPUX86State *env, uint32_t ot)
{
    uintptr_t ra = GETPC();
    if (!(env->efer & EFER_SCE)) {
        x86_raise_exception_ra(env, EXCP06_ILLOP, ra);
    }
    if (cpl_of(env) != 0 || !(env->cr[0] & CR0_PE)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    uint32_t selector = (uint32_t)(env->star >> 48) & 0xffff;
    uint32_t code_flags = DESC_G_MASK | DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK |
                          (3u << DESC_DPL_SHIFT);
    uint32_t data_flags = DESC_G_MASK | DESC_B_MASK | DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK |
                          (3u << DESC_DPL_SHIFT);
    if (env->efer & EFER_LMA) {
        if (ot == MO_64) {
            x86_load_seg_cache(env, R_CS, (selector + 16) | 3, 0, 0xffffffff, code_flags | DESC_L_MASK);
            env->eip = env->regs[R_ECX];
        } else {
            x86_load_seg_cache(env, R_CS, selector | 3, 0, 0xffffffff, code_flags | DESC_B_MASK);
            env->eip = (uint32_t)env->regs[R_ECX];
        }
        x86_load_seg_cache(env, R_SS, (selector + 8) | 3, 0, 0xffffffff, data_flags);
        x86_load_eflags(env, (uint32_t)env->regs[11], TF_MASK | AC_MASK | ID_MASK | IF_MASK | IOPL_MASK |
                                                          VM_MASK | RF_MASK | NT_MASK | DF_MASK | CC_ALL);
    } else {
        x86_load_seg_cache(env, R_CS, selector | 3, 0, 0xffffffff, code_flags | DESC_B_MASK);
        env->eip = (uint32_t)env->regs[R_ECX];
        x86_load_seg_cache(env, R_SS, (selector + 8) | 3, 0, 0xffffffff, data_flags);
        env->eflags |= IF_MASK;
    }
    x86_update_hflags(env);
}

void helper_sysenter(CPUX86State *env)
{
    uintptr_t ra = GETPC();
    if ((env->sysenter_cs & 0xfffc) == 0 || !(env->cr[0] & CR0_PE)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    uint32_t cs = (uint32_t)env->sysenter_cs & 0xfffc;
    uint32_t code_flags = DESC_G_MASK | DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK;
    uint32_t data_flags = DESC_G_MASK | DESC_B_MASK | DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK;
    env->eflags &= ~(uint64_t)(VM_MASK | IF_MASK | RF_MASK);
    if (env->efer & EFER_LMA) {
        x86_load_seg_cache(env, R_CS, cs, 0, 0xffffffff, code_flags | DESC_L_MASK);
    } else {
        x86_load_seg_cache(env, R_CS, cs, 0, 0xffffffff, code_flags | DESC_B_MASK);
    }
    x86_load_seg_cache(env, R_SS, cs + 8, 0, 0xffffffff, data_flags);
    env->regs[R_ESP] = env->sysenter_esp;
    env->eip = env->sysenter_eip;
    x86_update_hflags(env);
}

void helper_sysexit(CPUX86State *env, uint32_t ot)
{
    uintptr_t ra = GETPC();
    if ((env->sysenter_cs & 0xfffc) == 0 || cpl_of(env) != 0 || !(env->cr[0] & CR0_PE)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    uint32_t cs = (uint32_t)env->sysenter_cs & 0xfffc;
    uint32_t code_flags = DESC_G_MASK | DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK |
                          (3u << DESC_DPL_SHIFT);
    uint32_t data_flags = DESC_G_MASK | DESC_B_MASK | DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK |
                          (3u << DESC_DPL_SHIFT);
    if (ot == MO_64) {
        x86_load_seg_cache(env, R_CS, (cs + 32) | 3, 0, 0xffffffff, code_flags | DESC_L_MASK);
        x86_load_seg_cache(env, R_SS, (cs + 40) | 3, 0, 0xffffffff, data_flags);
        env->regs[R_ESP] = env->regs[R_ECX];
        env->eip = env->regs[R_EDX];
    } else {
        x86_load_seg_cache(env, R_CS, (cs + 16) | 3, 0, 0xffffffff, code_flags | DESC_B_MASK);
        x86_load_seg_cache(env, R_SS, (cs + 24) | 3, 0, 0xffffffff, data_flags);
        env->regs[R_ESP] = (uint32_t)env->regs[R_ECX];
        env->eip = (uint32_t)env->regs[R_EDX];
    }
    x86_update_hflags(env);
}

void helper_swapgs(CPUX86State *env)
{
    uint64_t t = env->segs[R_GS].base;
    env->segs[R_GS].base = env->kernel_gs_base;
    env->kernel_gs_base = t;
}

const TCGHelperInfo helper_info_load_seg = TCG_HELPER_INFO(helper_load_seg, 0, TCG_CALL_VOID, 3, TCG_CALL_I64,
                                                           TCG_CALL_I32, TCG_CALL_I32);
const TCGHelperInfo helper_info_ljmp = TCG_HELPER_INFO(helper_ljmp, 0, TCG_CALL_VOID, 4, TCG_CALL_I64, TCG_CALL_I32,
                                                       TCG_CALL_I64, TCG_CALL_I64);
const TCGHelperInfo helper_info_lcall = TCG_HELPER_INFO(helper_lcall, 0, TCG_CALL_VOID, 5, TCG_CALL_I64, TCG_CALL_I32,
                                                        TCG_CALL_I64, TCG_CALL_I32, TCG_CALL_I64);
const TCGHelperInfo helper_info_lret = TCG_HELPER_INFO(helper_lret, 0, TCG_CALL_VOID, 3, TCG_CALL_I64, TCG_CALL_I32,
                                                       TCG_CALL_I32);
const TCGHelperInfo helper_info_iret = TCG_HELPER_INFO(helper_iret, 0, TCG_CALL_VOID, 3, TCG_CALL_I64, TCG_CALL_I32,
                                                       TCG_CALL_I64);
const TCGHelperInfo helper_info_lldt = TCG_HELPER_INFO(helper_lldt, TCG_CALL_NO_WG, TCG_CALL_VOID, 2, TCG_CALL_I64,
                                                       TCG_CALL_I32);
const TCGHelperInfo helper_info_ltr = TCG_HELPER_INFO(helper_ltr, TCG_CALL_NO_WG, TCG_CALL_VOID, 2, TCG_CALL_I64,
                                                      TCG_CALL_I32);
const TCGHelperInfo helper_info_lar = TCG_HELPER_INFO(helper_lar, 0, TCG_CALL_I64, 2, TCG_CALL_I64, TCG_CALL_I32);
const TCGHelperInfo helper_info_lsl = TCG_HELPER_INFO(helper_lsl, 0, TCG_CALL_I64, 2, TCG_CALL_I64, TCG_CALL_I32);
const TCGHelperInfo helper_info_verr = TCG_HELPER_INFO(helper_verr, 0, TCG_CALL_VOID, 2, TCG_CALL_I64, TCG_CALL_I32);
const TCGHelperInfo helper_info_verw = TCG_HELPER_INFO(helper_verw, 0, TCG_CALL_VOID, 2, TCG_CALL_I64, TCG_CALL_I32);
const TCGHelperInfo helper_info_arpl = TCG_HELPER_INFO(helper_arpl, 0, TCG_CALL_I32, 3, TCG_CALL_I64, TCG_CALL_I32,
                                                       TCG_CALL_I32);
const TCGHelperInfo helper_info_enter_level = TCG_HELPER_INFO(helper_enter_level, TCG_CALL_NO_WG, TCG_CALL_VOID, 4,
                                                              TCG_CALL_I64, TCG_CALL_I32, TCG_CALL_I32, TCG_CALL_I64);
const TCGHelperInfo helper_info_bound = TCG_HELPER_INFO(helper_bound, TCG_CALL_NO_WG, TCG_CALL_VOID, 4, TCG_CALL_I64,
                                                        TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I32);
const TCGHelperInfo helper_info_syscall = TCG_HELPER_INFO(helper_syscall, 0, TCG_CALL_VOID, 2, TCG_CALL_I64,
                                                          TCG_CALL_I64);
const TCGHelperInfo helper_info_sysret = TCG_HELPER_INFO(helper_sysret, 0, TCG_CALL_VOID, 2, TCG_CALL_I64,
                                                         TCG_CALL_I32);
const TCGHelperInfo helper_info_sysenter = TCG_HELPER_INFO(helper_sysenter, 0, TCG_CALL_VOID, 1, TCG_CALL_I64);
const TCGHelperInfo helper_info_sysexit = TCG_HELPER_INFO(helper_sysexit, 0, TCG_CALL_VOID, 2, TCG_CALL_I64,
                                                          TCG_CALL_I32);
const TCGHelperInfo helper_info_swapgs = TCG_HELPER_INFO(helper_swapgs, 0, TCG_CALL_VOID, 1, TCG_CALL_I64);
