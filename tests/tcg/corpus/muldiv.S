/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mul/imul (one, two, three operands; CF/OF defined, SF/ZF/AF/PF not),
 * div/idiv (all flags undefined) with #DE for a zero divisor, a quotient
 * too large, and INT_MIN / -1; AAM 0.
 */
#include "tests/tcg/corpus/corpus.h"

#define MUL_UNDEF (FL_SF | FL_ZF | FL_AF | FL_PF)

.macro MUL1 op, w, m, a, b, n
    CASE \op\()1_\w\()_\n\()_\m, \m, -1, MUL_UNDEF
    .if \m == 64
        movabs $(\a), %rax
        movabs $(\b), %rbx
        movabs $0x5555555555555555, %rdx
    .else
        mov $((\a) & 0xffffffff), %eax
        mov $((\b) & 0xffffffff), %ebx
        mov $0x55555555, %edx
    .endif
    .if \w == 8
        \op\()b %bl
    .elseif \w == 16
        \op\()w %bx
    .elseif \w == 32
        \op\()l %ebx
    .else
        \op\()q %rbx
    .endif
    END \op\()1_\w\()_\n\()_\m
.endm

.macro MUL_ALL w, m
    .irp op, mul, imul
        MUL1 \op, \w, \m, 3, 5, small
        MUL1 \op, \w, \m, -1, -1, ones
        MUL1 \op, \w, \m, -1, 1, m1x1
        MUL1 \op, \w, \m, ((1 << (\w - 1)) - 1), 2, ovf
        MUL1 \op, \w, \m, (1 << (\w - 1)), -1, minx
        MUL1 \op, \w, \m, 0, 0x1234, zero
        MUL1 \op, \w, \m, (1 << (\w / 2)), (1 << (\w / 2 - 1)), edge
    .endr
.endm

MUL_ALL 8, 32
MUL_ALL 16, 32
MUL_ALL 32, 32
MUL_ALL 8, 64
MUL_ALL 16, 64
MUL_ALL 32, 64
MUL_ALL 64, 64

CASE imul2_3_forms_32, 32, -1, MUL_UNDEF
    mov $0x10000, %eax
    mov $0x10000, %ebx
    imul %ebx, %eax             /* overflows: CF = OF = 1 */
    mov $-3, %ecx
    imul $7, %ecx, %edx
    imul $0x12345, %ecx, %esi
    mov $0x4000, %di
    imul $2, %di, %di
END imul2_3_forms_32

CASE imul2_3_forms_64, 64, -1, MUL_UNDEF
    movabs $0x100000000, %rax
    imul %rax, %rax
    mov $-1, %rcx
    imul $-1, %ecx, %edx        /* 32-bit: zero-extended */
    imul $0x7fffffff, %rcx, %rsi
    movl $0x80000000, DIFF_DATA_BASE + 0x30
    imull $2, DIFF_DATA_BASE + 0x30, %edi
    imul DIFF_DATA_BASE + 0x30, %r8
END imul2_3_forms_64

/* Division: quotient and remainder signs, dividends that need the high half. */
.macro DIV1 op, w, m, hi, lo, d, n, expect=-1
    CASE \op\()_\w\()_\n\()_\m, \m, \expect, FL_ARITH
    .if \m == 64
        movabs $(\lo), %rax
        movabs $(\hi), %rdx
        movabs $(\d), %rbx
    .else
        mov $((\lo) & 0xffffffff), %eax
        mov $((\hi) & 0xffffffff), %edx
        mov $((\d) & 0xffffffff), %ebx
    .endif
    .if \w == 8
        \op\()b %bl
    .elseif \w == 16
        \op\()w %bx
    .elseif \w == 32
        \op\()l %ebx
    .else
        \op\()q %rbx
    .endif
    END \op\()_\w\()_\n\()_\m
.endm

.macro DIV_ALL w, m
    /* for 8-bit the dividend is AX (lo), for the others hi:lo */
    .if \w == 8
        DIV1 div, 8, \m, 0, 0x1234, 0x40, plain
        DIV1 div, 8, \m, 0, 0x1234, 0x12, ovf, VEC_DE
        DIV1 div, 8, \m, 0, 0x1234, 0, zero, VEC_DE
        DIV1 idiv, 8, \m, 0, 0xff85, 7, negq
        DIV1 idiv, 8, \m, 0, 0x0079, 0xf9, negd
        DIV1 idiv, 8, \m, 0, 0xff80, 0xff, minm1, VEC_DE
        DIV1 idiv, 8, \m, 0, 0xff81, 0xff, edge
        DIV1 idiv, 8, \m, 0, 0x0080, 1, ovf2, VEC_DE
    .else
        DIV1 div, \w, \m, 0, 0x1234567, 0x40, plain
        DIV1 div, \w, \m, ((1 << (\w - 1)) - 1), -1, (1 << (\w - 1)), edge
        DIV1 div, \w, \m, 1, 0, 1, ovf, VEC_DE
        DIV1 div, \w, \m, 0, 5, 0, zero, VEC_DE
        DIV1 idiv, \w, \m, -1, -7, 2, negq
        DIV1 idiv, \w, \m, 0, 7, -2, negd
        DIV1 idiv, \w, \m, -1, (1 << (\w - 1)), -1, minm1, VEC_DE
        DIV1 idiv, \w, \m, -1, ((1 << (\w - 1)) + 1), -1, maxq
        DIV1 idiv, \w, \m, 0, (1 << (\w - 1)), 1, ovf2, VEC_DE
    .endif
.endm

DIV_ALL 8, 32
DIV_ALL 16, 32
DIV_ALL 32, 32
DIV_ALL 8, 64
DIV_ALL 16, 64
DIV_ALL 32, 64
DIV_ALL 64, 64

/* The #DE leaves everything as it was before the division (it is a fault). */
CASE div_fault_is_precise, 64, VEC_DE, FL_ARITH
    mov $1, %eax
    add %rax, %rax
    movl $0, DIFF_DATA_BASE + 0x80
    divl DIFF_DATA_BASE + 0x80
    mov $9, %eax
END div_fault_is_precise

CASE div_mem_upper_ignored, 64, -1, FL_ARITH
    movabs $0xffffffff00000064, %rax
    movabs $0xffffffff00000000, %rdx
    movl $7, DIFF_DATA_BASE + 0x80
    movl $0xffffffff, DIFF_DATA_BASE + 0x84
    divl DIFF_DATA_BASE + 0x80
END div_mem_upper_ignored

CASE aam_zero, 32, VEC_DE, FL_OF | FL_AF | FL_CF
    mov $0x55, %eax
    .byte 0xd4, 0x00
END aam_zero
