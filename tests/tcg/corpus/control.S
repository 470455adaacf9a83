/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Control transfers and exceptions at CPL 3: call/ret (with imm16),
 * indirect jumps and calls, loops backwards, jumps into the middle of an
 * instruction; faults and traps with their exact state: #UD (ud2, opcodes
 * invalid in 64-bit code), #GP for privileged instructions, port I/O
 * without permission, INT n through a DPL 0 gate, #BP/#OF/#DB traps
 * (eip after the instruction), #PF on fetch (NX data, unmapped, code
 * running off its page), #GP/#SS for non-canonical addresses.
 */
#include "tests/tcg/corpus/corpus.h"

CASE ctl_call_ret_32, 32
    call 1f
    jmp 2f
1:  mov $1, %eax
    ret
2:  call 3f
3:  pop %ebx                         /* our own address */
    sub $3b - ctl_call_ret_32_base, %ebx
ctl_call_ret_32_base = .Lstart_ctl_call_ret_32
END ctl_call_ret_32

CASE ctl_ret_imm16_64, 64
    push $1
    push $2
    call 1f
    jmp 2f
1:  ret $16
2:  mov %rsp, %rax
END ctl_ret_imm16_64

CASE ctl_indirect_32, 32
    call 1f
1:  pop %ebx
    lea 2f - 1b(%ebx), %eax
    jmp *%eax
    ud2
2:  lea 3f - 1b(%ebx), %ecx
    mov %ecx, DIFF_DATA_BASE + 0x10
    call *DIFF_DATA_BASE + 0x10
    jmp 4f
3:  mov $7, %edx
    ret
4:
END ctl_indirect_32

CASE ctl_indirect_64, 64
    lea 2f(%rip), %rax
    jmp *%rax
    ud2
2:  lea 3f(%rip), %rcx
    mov %rcx, DIFF_DATA_BASE + 0x10
    call *DIFF_DATA_BASE + 0x10
    lea 4f(%rip), %r11
    push %r11
    ret
3:  mov $7, %edx
    ret
4:
END ctl_indirect_64

CASE ctl_loop_backwards, 32
    mov $10, %ecx
    xor %eax, %eax
1:  add %ecx, %eax
    loop 1b
    mov $5, %ecx
2:  dec %ecx
    jnz 2b
END ctl_loop_backwards

CASE ctl_loop_addr16_cx, 32
    mov $0x12340003, %ecx
    xor %eax, %eax
1:  inc %eax
    .byte 0x67, 0xe2, 1b - 2f       /* loopw 1b: counts in CX only */
2:
END ctl_loop_addr16_cx

CASE ctl_jrcxz_64, 64
    movabs $0x100000000, %rcx
    jrcxz 1f                        /* RCX != 0: not taken */
    mov $1, %eax
1:  .byte 0x67, 0xe3, 3f - 2f       /* jecxz: ECX == 0: taken */
2:  mov $2, %ebx
3:  nop
END ctl_jrcxz_64

CASE ctl_jump_into_insn, 64
    /* the 4-byte immediate of the mov is itself code: jmp +2 lands on eb 00 ... */
    jmp 1f + 1
1:  .byte 0xb8, 0xeb, 0x01, 0x90, 0x90   /* mov $0x9090_01eb, %eax / jmp +1; nop; nop */
    mov $3, %ecx
END ctl_jump_into_insn

CASE ctl_long_basic_block, 64
    .rept 200
    add $1, %eax
    rol $3, %rbx
    .endr
END ctl_long_basic_block

CASE ctl_ud2, 32, VEC_UD
    mov $1, %eax
    ud2
    mov $2, %eax
END ctl_ud2

.macro INVALID64 name, bytes:vararg
    CASE ctl_invalid64_\name, 64, VEC_UD
    .byte \bytes
    END ctl_invalid64_\name
.endm

INVALID64 push_es, 0x06
INVALID64 pop_ds, 0x1f
INVALID64 aaa, 0x37
INVALID64 pusha, 0x60
INVALID64 bound, 0x62, 0x00
INVALID64 callf, 0x9a, 0, 0, 0, 0, 0, 0
INVALID64 into, 0xce
INVALID64 jmpf, 0xea, 0, 0, 0, 0, 0, 0
INVALID64 salc, 0xd6

CASE ctl_mov_to_cs_ud, 32, VEC_UD
    .byte 0x8e, 0xc8
END ctl_mov_to_cs_ud

.macro PRIV name, m, bytes:vararg
    CASE ctl_priv_\name\()_\m, \m, VEC_GP
    .byte \bytes
    END ctl_priv_\name\()_\m
.endm

.irp m, 32, 64
    PRIV hlt, \m, 0xf4
    PRIV cli, \m, 0xfa
    PRIV sti, \m, 0xfb
    PRIV in_al, \m, 0xe4, 0x80
    PRIV out_dx, \m, 0xef
    PRIV insb, \m, 0x6c
    PRIV rdmsr, \m, 0x0f, 0x32
    PRIV wrmsr, \m, 0x0f, 0x30
    PRIV mov_cr0, \m, 0x0f, 0x20, 0xc0
    PRIV mov_to_cr3, \m, 0x0f, 0x22, 0xd8
    PRIV mov_dr7, \m, 0x0f, 0x21, 0xf8
    PRIV lgdt, \m, 0x0f, 0x01, 0x15, 0, 0, 0x10, 0x10
    PRIV invd, \m, 0x0f, 0x08
    PRIV wbinvd, \m, 0x0f, 0x09
    PRIV clts, \m, 0x0f, 0x06
    PRIV rdpmc, \m, 0x0f, 0x33
    PRIV int_0x10, \m, 0xcd, 0x10
    PRIV int_0xff, \m, 0xcd, 0xff
.endr

CASE ctl_int3_traps, 32, VEC_BP
    mov $5, %eax
    int3
    mov $6, %eax
END ctl_int3_traps

CASE ctl_int_3_long_form, 64, VEC_BP
    .byte 0xcd, 0x03
    nop
END ctl_int_3_long_form

CASE ctl_into_overflow, 32, VEC_OF
    mov $0x7fffffff, %eax
    add $1, %eax
    into
    nop
END ctl_into_overflow

CASE ctl_into_no_overflow, 32
    mov $1, %eax
    add $1, %eax
    into
END ctl_into_no_overflow

CASE ctl_icebp, 64, VEC_DB
    .byte 0xf1
    nop
END ctl_icebp

CASE ctl_bound_in_range, 32
    movl $10, DIFF_DATA_BASE + 0x20
    movl $20, DIFF_DATA_BASE + 0x24
    mov $15, %eax
    bound %eax, DIFF_DATA_BASE + 0x20
END ctl_bound_in_range

CASE ctl_bound_out_of_range, 32, VEC_BR
    movl $10, DIFF_DATA_BASE + 0x20
    movl $20, DIFF_DATA_BASE + 0x24
    mov $21, %eax
    bound %eax, DIFF_DATA_BASE + 0x20
END ctl_bound_out_of_range

CASE ctl_exec_nx_data, 64, VEC_PF
    mov $DIFF_DATA_BASE + 0x100, %eax
    movb $0x90, (%rax)
    jmp *%rax
END ctl_exec_nx_data

CASE ctl_exec_nx_stack, 32, VEC_PF
    push $0x90909090
    jmp *%esp
END ctl_exec_nx_stack

CASE ctl_exec_unmapped, 32, VEC_PF
    mov $0x10003000 + 0x4000, %eax      /* just past the code region */
    call *%eax
END ctl_exec_unmapped

CASE ctl_code_runs_off_page, 64, VEC_PF
    /* write "mov $imm32, %eax" two bytes before the end of the code region and jump there */
    mov $DIFF_CODE_BASE + DIFF_CODE_SIZE - 2, %ebx
    movw $0x00b8, (%rbx)
    jmp *%rbx
END ctl_code_runs_off_page

CASE ctl_noncanonical_load_gp, 64, VEC_GP
    movabs $0x0000800000000000, %rbx
    mov (%rbx), %eax
END ctl_noncanonical_load_gp

CASE ctl_noncanonical_stack_ss, 64, VEC_SS
    movabs $0x8000000000000010, %rsp
    push %rax
END ctl_noncanonical_stack_ss

CASE ctl_noncanonical_rbp_ss, 64, VEC_SS
    movabs $0x0000900000000000, %rbp
    mov (%rbp), %eax
END ctl_noncanonical_rbp_ss

CASE ctl_stack_overflow_pf, 32, VEC_PF
    mov $DIFF_STACK_BASE + 2, %esp
    push %eax
END ctl_stack_overflow_pf

CASE ctl_far_ret_same_cs_32, 32
    call 1f
1:  pop %ebx
    push %cs
    lea 2f - 1b(%ebx), %eax
    push %eax
    lret
    ud2
2:  mov %cs, %ecx
END ctl_far_ret_same_cs_32

CASE ctl_far_ret_same_cs_64, 64
    push $DIFF_SEL_CS64
    lea 2f(%rip), %rax
    push %rax
    lretq
    ud2
2:  mov %cs, %ecx
END ctl_far_ret_same_cs_64

CASE ctl_far_ret_to_kernel_cs_gp, 64, VEC_GP
    push $0x10
    lea 2f(%rip), %rax
    push %rax
    lretq
2:
END ctl_far_ret_to_kernel_cs_gp

/* 64-bit code calls 32-bit code through a far pointer and comes back with lret. */
CASE ctl_far_call_to_compat, 64
    lea 1f(%rip), %rax
    mov %eax, DIFF_DATA_BASE + 0x30
    movw $DIFF_SEL_CS32, DIFF_DATA_BASE + 0x34
    mov $-1, %rsi
    lcall *DIFF_DATA_BASE + 0x30
    jmp 2f
    .code32
1:  mov $0x1234, %esi               /* 32-bit code: zero-extends the same way */
    add %esi, %esi
    lret
    .code64
2:  add $1, %rsi
END ctl_far_call_to_compat
