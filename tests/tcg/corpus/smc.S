/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Self-modifying code: stores into the instruction stream ahead of the
 * store (in the same block), into code that already ran (a loop that
 * patches itself), by a string instruction, and across the code pages.
 * x86 executes the new bytes once the store has happened (SDM vol. 3,
 * 8.1.3: no serialising instruction needed for code on the same CPU).
 */
#include "tests/tcg/corpus/corpus.h"

CASE smc_next_insn_imm_64, 64
    movl $0x42, 1f + 1(%rip)
1:  mov $0, %eax
END smc_next_insn_imm_64

CASE smc_next_insn_imm_32, 32
    call 1f
1:  pop %ebx
    movl $0x42, 2f + 1 - 1b(%ebx)
2:  mov $0, %eax
END smc_next_insn_imm_32

CASE smc_patch_opcode, 64
    movb $0x48, 1f(%rip)            /* "nop; inc %eax" (90 ff c0) becomes "inc %rax" (48 ff c0) */
1:  nop
    inc %eax
    mov $-1, %rbx
END smc_patch_opcode

CASE smc_loop_patches_itself, 32
    call 1f
1:  pop %ebx
    mov $4, %ecx
    xor %edx, %edx
2:  add $1, %edx                    /* 83 c2 01: the immediate is patched below */
    incb 2b + 2 - 1b(%ebx)
    loop 2b
END smc_loop_patches_itself

CASE smc_loop_patches_itself_64, 64
    mov $4, %ecx
    xor %edx, %edx
1:  add $1, %edx
    incb 1b + 2(%rip)
    loop 1b
END smc_loop_patches_itself_64

CASE smc_rep_stos_over_code, 64
    lea 1f(%rip), %rdi
    mov $7, %ecx
    mov $0x90, %al
    cld
    rep stosb                       /* the ud2 and the first mov below become nops */
1:  ud2
    mov $1, %eax
    mov $2, %eax
END smc_rep_stos_over_code

CASE smc_far_ahead_other_page, 64
    /* patch code in the middle of another code page, then call it */
    lea 0(%rip), %rbx
    and $-0x1000, %rbx
    xor $0x1800, %rbx
    movl $0x90c3c031, (%rbx)        /* xor %eax,%eax; ret; nop */
    call *%rbx
    add $5, %eax
END smc_far_ahead_other_page

CASE smc_store_then_jump_back, 32
    /* the instruction at 2: runs twice: first as inc %ecx, then patched into inc %edx */
    call 1f
1:  pop %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    mov $2, %esi
2:  inc %ecx
    movb $0x42, 2b - 1b(%ebx)
    dec %esi
    jnz 2b
END smc_store_then_jump_back

CASE smc_xchg_into_code, 64
    mov $0xc3c03148, %eax           /* 48 31 c0 c3: xor %rax, %rax; ret */
    lea 1f(%rip), %rbx
    xchg %eax, (%rbx)
    call *%rbx
    jmp 2f
1:  ud2
    ud2
2:
END smc_xchg_into_code
