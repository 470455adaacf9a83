/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What user code sees of the system state: segment registers and loads
 * (Linux's selectors 0x23/0x2b/0x33; a null, kernel or out-of-range
 * selector), LAR/LSL/VERR/VERW, ARPL, LDS/LES, EFLAGS through
 * PUSHF/POPF at CPL 3 (IF/IOPL cannot change silently; NT, AC, ID can),
 * single-stepping with TF, alignment checks with AC.
 */
#include "tests/tcg/corpus/corpus.h"

CASE seg_read_selectors_32, 32
    mov %cs, %eax
    mov %ds, %ebx
    mov %ss, %ecx
    mov %es, %edx
    mov %gs, %esi
    movl $0, -4(%esp)
    push %ds
    pop %edi
END seg_read_selectors_32

CASE seg_read_selectors_64, 64
    mov %cs, %eax
    mov %ss, %ebx
    mov %ds, %ecx
    mov %es, %edx
    mov %gs, %esi
END seg_read_selectors_64

CASE seg_reload_data_32, 32
    mov $DIFF_SEL_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    push $DIFF_SEL_DS
    pop %gs
    mov %ax, %ss                    /* loads SS: the next instruction is in its shadow */
    mov DIFF_DATA_BASE, %ebx
    movl $DIFF_STACK_INIT - 0x40, DIFF_DATA_BASE + 0x10
    movw $DIFF_SEL_DS, DIFF_DATA_BASE + 0x14
    lss DIFF_DATA_BASE + 0x10, %esp  /* SS:ESP from a far pointer */
END seg_reload_data_32

CASE seg_null_ds_then_use_gp, 32, VEC_GP
    xor %eax, %eax
    mov %eax, %ds                   /* allowed: null selector */
    mov %eax, %es
    mov DIFF_DATA_BASE, %ebx        /* faults: DS is null */
END seg_null_ds_then_use_gp

CASE seg_null_ss_gp, 32, VEC_GP
    xor %eax, %eax
    mov %eax, %ss
END seg_null_ss_gp

CASE seg_kernel_selector_gp, 32, VEC_GP
    mov $0x18, %eax                 /* kernel data: DPL 0 */
    mov %eax, %ds
END seg_kernel_selector_gp

CASE seg_code_selector_into_ds_gp, 32, VEC_GP
    mov $DIFF_SEL_CS32, %eax        /* readable code may be loaded into DS... */
    mov %eax, %es
    mov $0x33, %eax
    mov %eax, %ss                   /* ...but never into SS */
END seg_code_selector_into_ds_gp

CASE seg_beyond_gdt_gp, 32, VEC_GP
    mov $0x83, %eax                 /* index 16: past the 16-entry GDT */
    mov %eax, %es
END seg_beyond_gdt_gp

CASE seg_ldt_selector_gp, 32, VEC_GP
    mov $0x7, %eax                  /* TI=1, no LDT */
    mov %eax, %es
END seg_ldt_selector_gp

CASE seg_rpl_mismatch_ss_gp, 32, VEC_GP
    mov $0x28, %eax                 /* user data with RPL 0 into SS at CPL 3 */
    mov %eax, %ss
END seg_rpl_mismatch_ss_gp

/* LAR: bits 19:16 (the limit's top) are undefined (SDM; AMD copies them): masked off. */
CASE seg_lar_lsl_verr_verw, 32
    mov $DIFF_SEL_CS32, %ecx
    lar %ecx, %eax
    and $0xfff0ffff, %eax
    lsl %ecx, %ebx
    mov $DIFF_SEL_DS, %edx
    lar %edx, %esi
    and $0xfff0ffff, %esi
    lsl %edx, %edi
    verr %cx
    setz %cl
    verw %cx
    setz %ch
    verw %dx
    setz %dl
END seg_lar_lsl_verr_verw

CASE seg_lar_fails_kernel_null, 64
    mov $0x5555, %eax
    mov $0x10, %ecx
    lar %ecx, %eax                  /* DPL 0 code at CPL 3: ZF=0, eax unchanged */
    setz %bl
    xor %ecx, %ecx
    lsl %ecx, %edx                  /* null: ZF=0 */
    setz %bh
    mov $0x7ff8, %ecx               /* far beyond the GDT */
    lar %ecx, %esi
    setz %cl
    mov $DIFF_SEL_CS64, %edi
    lar %edi, %edi
    and $0xfff0ffff, %edi
END seg_lar_fails_kernel_null

CASE seg_arpl, 32
    mov $0x28, %eax
    mov $0x2b, %ebx
    arpl %bx, %ax                   /* RPL raised to 3: ZF=1 */
    setz %cl
    arpl %bx, %ax                   /* already 3: ZF=0 */
    setz %ch
    movw $0x20, DIFF_DATA_BASE + 0x40
    arpl %bx, DIFF_DATA_BASE + 0x40
END seg_arpl

CASE seg_lds_les, 32
    movl $DIFF_DATA_BASE + 0x80, DIFF_DATA_BASE + 0x50
    movw $DIFF_SEL_DS, DIFF_DATA_BASE + 0x54
    lds DIFF_DATA_BASE + 0x50, %esi
    les DIFF_DATA_BASE + 0x50, %edi
    lgs DIFF_DATA_BASE + 0x50, %ebx
    mov (%esi), %eax
END seg_lds_les

CASE seg_lds_null_then_use, 32, VEC_GP
    movl $DIFF_DATA_BASE + 0x80, DIFF_DATA_BASE + 0x50
    movw $0, DIFF_DATA_BASE + 0x54
    lds DIFF_DATA_BASE + 0x50, %esi
    mov (%esi), %eax
END seg_lds_null_then_use

CASE seg_lds_reg_ud, 32, VEC_UD
    .byte 0xc5, 0xc0                /* lds with a register operand */
END seg_lds_reg_ud

CASE seg_gs_base_zero_64, 64
    movl $0xabcd, DIFF_DATA_BASE
    mov %gs:DIFF_DATA_BASE, %eax
END seg_gs_base_zero_64

/* ---- EFLAGS at CPL 3 ---- */

CASE fl_pushf_value_32, 32
    SETFLAGS(FL_CF | FL_ZF | FL_DF)
    pushf
    pop %eax
    pushfw
    pop %bx
END fl_pushf_value_32

CASE fl_pushf_value_64, 64
    SETFLAGS(FL_OF | FL_SF | FL_AF | FL_PF)
    pushfq
    pop %rax
END fl_pushf_value_64

CASE fl_popf_cannot_change_if_iopl, 32
    push $0x3002                    /* IF=0, IOPL=3: both ignored at CPL 3, IOPL 0 */
    popf
    pushf
    pop %eax
END fl_popf_cannot_change_if_iopl

CASE fl_popf_nt_ac_id, 64
    push $0x244a02                  /* ID | NT | some arithmetic bits; AC left clear */
    popfq
    pushfq
    pop %rax
    push $0x202
    popfq
END fl_popf_nt_ac_id

CASE fl_popf_16bit, 32
    SETFLAGS(0)
    pushw $0x08d5
    popfw
    pushf
    pop %eax
END fl_popf_16bit

CASE fl_lahf_sahf, 64
    mov $0xd700, %eax               /* SF ZF AF PF CF from AH */
    sahf
    lahf
    mov %eax, %ebx
    mov $0x2a00, %eax
    sahf
    lahf
END fl_lahf_sahf

CASE fl_cmc_stc_clc_std_cld, 32
    clc
    cmc
    setc %al
    stc
    cmc
    setc %ah
    std
    pushf
    cld
    pushf
    pop %ebx
    pop %ecx
END fl_cmc_stc_clc_std_cld

CASE fl_trap_flag_single_step, 32, VEC_DB
    pushf
    orl $FL_TF, (%esp)
    popf                            /* TF takes effect after the next instruction */
    mov $1, %eax
    mov $2, %eax
END fl_trap_flag_single_step

CASE fl_alignment_check, 64, VEC_AC
    pushfq
    orl $0x40000, (%rsp)            /* AC: CR0.AM is set by Linux */
    popfq
    mov DIFF_DATA_BASE + 1, %eax
END fl_alignment_check

CASE fl_setcc_all, 32
    SETFLAGS(FL_OF | FL_PF)
    seto %al
    setno %ah
    setb %bl
    setae %bh
    sete %cl
    setne %ch
    setbe %dl
    seta %dh
    sets DIFF_DATA_BASE + 0
    setns DIFF_DATA_BASE + 1
    setp DIFF_DATA_BASE + 2
    setnp DIFF_DATA_BASE + 3
    setl DIFF_DATA_BASE + 4
    setge DIFF_DATA_BASE + 5
    setle DIFF_DATA_BASE + 6
    setg DIFF_DATA_BASE + 7
END fl_setcc_all

CASE fl_jcc_all_taken_paths, 64
    SETFLAGS(FL_SF | FL_CF)
    xor %eax, %eax
    jo 1f
    or $1, %eax
1:  jb 2f
    or $2, %eax
2:  jl 3f
    or $4, %eax
3:  jle 4f
    or $8, %eax
4:  jbe 5f
    or $16, %eax
5:  jnp 6f
    or $32, %eax
6:
END fl_jcc_all_taken_paths

/* ---- miscellaneous user instructions ---- */

CASE misc_cbw_family, 64
    movabs $0x12345678abcd8081, %rax
    cbtw
    cwtl
    cltq
    movabs $0x0000000080000000, %rax
    cqto
    mov %rdx, %rbx
    cltd
    mov $0x8000, %eax
    cwtd
END misc_cbw_family

CASE misc_bswap, 64
    movabs $0x0102030405060708, %rax
    bswap %rax
    mov %rax, %rbx
    bswap %ebx
    movabs $0x1122334455667788, %r9
    bswap %r9
END misc_bswap

CASE misc_xlat, 32
    mov $DIFF_DATA_BASE + 0x100, %ebx
    movb $0x5a, 0x100 + 0x7f(%ebx)
    mov $0x1234567f, %eax
    xlat
    .byte 0x2e, 0xd7                 /* xlat %cs:(%ebx) */
END misc_xlat

CASE misc_enter_leave_32, 32
    mov %esp, %ebp
    enter $16, $0
    mov %esp, %eax
    leave
    mov %esp, %ebx
    enter $8, $2
    mov %esp, %ecx
    mov %ebp, %edx
    leave
END misc_enter_leave_32

CASE misc_enter_leave_64, 64
    mov %rsp, %rbp
    enter $24, $3
    mov %rsp, %rax
    mov %rbp, %rbx
    leave
    .byte 0x66, 0xc8, 0x04, 0x00, 0x01   /* enterw $4, $1 */
    mov %rsp, %rcx
    .byte 0x66, 0xc9                     /* leavew */
END misc_enter_leave_64

CASE misc_pusha_popa, 32
    mov $1, %eax
    mov $2, %ecx
    mov $3, %edx
    mov $4, %ebx
    mov $6, %ebp
    mov $7, %esi
    mov $8, %edi
    pusha
    add $100, %eax
    popa
    pushaw
    popaw
END misc_pusha_popa

CASE misc_push_pop_esp, 32
    push %esp                       /* pushes the value before the push */
    pop %eax
    mov %esp, %ebx
    push %esp
    pop %esp                        /* loads the popped value */
    pushl (%esp)
    popl (%esp)                     /* the address is computed after the pop */
END misc_push_pop_esp

CASE misc_pop_to_esp_relative, 64
    push $0x1111
    push $0x2222
    popq 8(%rsp)                    /* rsp already incremented when the address is formed */
    pop %rax
END misc_pop_to_esp_relative

CASE misc_nops_fences_prefetch, 64
    nop
    .byte 0x66, 0x90
    .byte 0x0f, 0x1f, 0x44, 0x00, 0x00
    .byte 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00
    pause
    lfence
    mfence
    sfence
    prefetcht0 DIFF_DATA_BASE
    prefetchnta 0x12345678          /* unmapped: a prefetch never faults */
    prefetchw 0x0
    mov $1, %eax
END misc_nops_fences_prefetch

CASE misc_movnti_and_xchg_lock, 64
    mov $0x1234, %eax
    movnti %eax, DIFF_DATA_BASE + 0x30
    movabs $0x1122334455667788, %rbx
    movnti %rbx, DIFF_DATA_BASE + 0x38
    xchg %rbx, DIFF_DATA_BASE + 0x38
END misc_movnti_and_xchg_lock

/* POPCNT and MOVBE: both in the JIT's CPUID (and the host's). */
CASE misc_popcnt, 64
    SETFLAGS(FL_CF | FL_OF | FL_SF | FL_AF | FL_PF)
    movabs $0xf0f0f0f0f0f0f0f1, %rax
    popcnt %rax, %rbx
    popcnt %eax, %ecx
    popcnt %ax, %dx
    xor %esi, %esi
    popcnt %esi, %edi               /* zero: ZF=1, all others clear */
END misc_popcnt

CASE misc_popcnt_mem_32, 32
    movl $0x80000001, DIFF_DATA_BASE + 0x60
    popcntl DIFF_DATA_BASE + 0x60, %eax
    popcntw DIFF_DATA_BASE + 0x62, %bx
END misc_popcnt_mem_32

CASE misc_movbe, 64
    movabs $0x0102030405060708, %rax
    movbe %rax, DIFF_DATA_BASE + 0x70
    movbe DIFF_DATA_BASE + 0x70, %ecx
    movbe %ax, DIFF_DATA_BASE + 0x78
    movbe DIFF_DATA_BASE + 0x74, %dx
END misc_movbe
