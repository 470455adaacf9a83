/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmpxchg (equal and unequal, register and memory, and which 64-bit
 * registers a 32-bit form writes: RAX only when unequal, the destination
 * only when equal), xadd, xchg (memory xchg is always locked),
 * cmpxchg8b/16b (16b needs 16-byte alignment).
 */
#include "tests/tcg/corpus/corpus.h"

.macro CMPXCHG_CASE w, m, eq, dest, n
    CASE cmpxchg\w\()_\n\()_\m, \m
    .if \m == 64
        movabs $0x1111111122222222, %rax
        movabs $0x3333333344444444, %rbx
        .if \eq
            movabs $0x5555555522222222, %rcx
        .else
            movabs $0x5555555566666666, %rcx
        .endif
    .else
        mov $0x22222222, %eax
        mov $0x44444444, %ebx
        .if \eq
            mov $0x22222222, %ecx
        .else
            mov $0x66666666, %ecx
        .endif
    .endif
    .if \dest
        mov %rcx, DIFF_DATA_BASE + 0x100
        .if \w == 8
            cmpxchgb %bl, DIFF_DATA_BASE + 0x100
        .elseif \w == 16
            cmpxchgw %bx, DIFF_DATA_BASE + 0x100
        .elseif \w == 32
            cmpxchgl %ebx, DIFF_DATA_BASE + 0x100
        .else
            cmpxchgq %rbx, DIFF_DATA_BASE + 0x100
        .endif
    .else
        .if \w == 8
            cmpxchg %bl, %cl
        .elseif \w == 16
            cmpxchg %bx, %cx
        .elseif \w == 32
            cmpxchg %ebx, %ecx
        .else
            cmpxchg %rbx, %rcx
        .endif
    .endif
    END cmpxchg\w\()_\n\()_\m
.endm

.irp w, 8, 16, 32, 64
    CMPXCHG_CASE \w, 64, 1, 0, eq_reg
    CMPXCHG_CASE \w, 64, 0, 0, ne_reg
    CMPXCHG_CASE \w, 64, 1, 1, eq_mem
    CMPXCHG_CASE \w, 64, 0, 1, ne_mem
.endr

CASE cmpxchg32_eq_reg_32, 32
    mov $7, %eax
    mov $7, %ecx
    mov $9, %edx
    lock cmpxchg %edx, DIFF_DATA_BASE
    cmpxchg %edx, %ecx
END cmpxchg32_eq_reg_32

CASE cmpxchg_dest_is_eax, 64
    movabs $0x1234567800000005, %rax
    mov $0x77, %ebx
    cmpxchg %ebx, %eax          /* equal: eax <- ebx, zero-extended */
    movabs $0x8765432100000005, %rdx
    cmpxchg %edx, %edx
END cmpxchg_dest_is_eax

CASE cmpxchg_lock_reg_ud, 64, VEC_UD
    .byte 0xf0, 0x0f, 0xb1, 0xd9        /* lock cmpxchg %ebx, %ecx */
END cmpxchg_lock_reg_ud

.macro XADD_CASE w, m, n, dest
    CASE xadd\w\()_\n\()_\m, \m
    .if \m == 64
        movabs $0x7fffffffffffffff, %rax
        movabs $0x0000000180000001, %rbx
    .else
        mov $0x7fffffff, %eax
        mov $0x80000001, %ebx
    .endif
    .if \dest
        mov %rax, DIFF_DATA_BASE + 0x110
        .if \w == 8
            lock xaddb %bl, DIFF_DATA_BASE + 0x110
        .elseif \w == 16
            xaddw %bx, DIFF_DATA_BASE + 0x110
        .elseif \w == 32
            lock xaddl %ebx, DIFF_DATA_BASE + 0x110
        .else
            xaddq %rbx, DIFF_DATA_BASE + 0x110
        .endif
    .else
        .if \w == 8
            xadd %bl, %al
        .elseif \w == 16
            xadd %bx, %ax
        .elseif \w == 32
            xadd %ebx, %eax
        .else
            xadd %rbx, %rax
        .endif
    .endif
    END xadd\w\()_\n\()_\m
.endm

.irp w, 8, 16, 32, 64
    XADD_CASE \w, 64, reg, 0
    XADD_CASE \w, 64, mem, 1
.endr

CASE xadd_same_reg, 64
    movabs $0x4000000000000001, %rax
    xadd %rax, %rax
    mov $0x80000001, %ebx
    xadd %ebx, %ebx
END xadd_same_reg

CASE xadd_32, 32
    mov $0xffffffff, %eax
    mov $1, %ecx
    xadd %ecx, %eax
    movl $0x7f, DIFF_DATA_BASE + 0x120
    lock xaddb %cl, DIFF_DATA_BASE + 0x120
END xadd_32

CASE xchg_forms, 64
    movabs $0x1111111111111111, %rax
    movabs $0x2222222222222222, %rbx
    movabs $0x3333333333333333, %rcx
    xchg %bl, %ah
    xchg %ebx, %ecx             /* zero-extends both */
    xchg %cx, %ax
    mov %rax, DIFF_DATA_BASE + 0x130
    xchg DIFF_DATA_BASE + 0x130, %edx
    xchg %r8, %rax
END xchg_forms

CASE cmpxchg8b_eq, 32
    movl $0x11111111, DIFF_DATA_BASE + 0x140
    movl $0x22222222, DIFF_DATA_BASE + 0x144
    mov $0x11111111, %eax
    mov $0x22222222, %edx
    mov $0x33333333, %ebx
    mov $0x44444444, %ecx
    SETFLAGS(FL_CF | FL_OF)
    lock cmpxchg8b DIFF_DATA_BASE + 0x140
END cmpxchg8b_eq

CASE cmpxchg8b_ne, 32
    movl $0x11111111, DIFF_DATA_BASE + 0x140
    movl $0x22222222, DIFF_DATA_BASE + 0x144
    mov $0x11111111, %eax
    mov $0x22222223, %edx
    SETFLAGS(FL_ZF | FL_SF)
    cmpxchg8b DIFF_DATA_BASE + 0x140
END cmpxchg8b_ne

CASE cmpxchg8b_64_zero_extends, 64
    movl $4, DIFF_DATA_BASE + 0x140
    movl $5, DIFF_DATA_BASE + 0x144
    movabs $0xffffffff00000001, %rax
    movabs $0xffffffff00000002, %rdx
    cmpxchg8b DIFF_DATA_BASE + 0x140
END cmpxchg8b_64_zero_extends

CASE cmpxchg8b_unaligned_cross_page, 32
    movl $0, DIFF_DATA_BASE + 0xffc
    movl $0, DIFF_DATA_BASE + 0x1000
    xor %eax, %eax
    xor %edx, %edx
    mov $-1, %ebx
    mov $-2, %ecx
    lock cmpxchg8b DIFF_DATA_BASE + 0xffc
END cmpxchg8b_unaligned_cross_page

CASE cmpxchg16b_eq, 64
    movabs $0x0123456789abcdef, %rax
    movabs $0xfedcba9876543210, %rdx
    mov %rax, DIFF_DATA_BASE + 0x150
    mov %rdx, DIFF_DATA_BASE + 0x158
    mov $-1, %rbx
    mov $-2, %rcx
    lock cmpxchg16b DIFF_DATA_BASE + 0x150
END cmpxchg16b_eq

CASE cmpxchg16b_ne, 64
    movabs $0x0123456789abcdef, %rax
    mov %rax, DIFF_DATA_BASE + 0x150
    movq $7, DIFF_DATA_BASE + 0x158
    mov $0, %edx
    cmpxchg16b DIFF_DATA_BASE + 0x150
END cmpxchg16b_ne

CASE cmpxchg16b_misaligned_gp, 64, VEC_GP
    cmpxchg16b DIFF_DATA_BASE + 0x158
END cmpxchg16b_misaligned_gp

CASE cmpxchg8b_reg_ud, 32, VEC_UD
    .byte 0x0f, 0xc7, 0xc8              /* cmpxchg8b with a register operand */
END cmpxchg8b_reg_ud
