/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shifts and rotates: every op in every width by 0, 1, around the width
 * and beyond the count mask, by CL and by immediate.  Undefined flags per
 * the SDM/APM: OF unless the masked count is 1; AF after a non-zero shift;
 * CF after SHL/SHR/SAR by at least the operand size (8/16-bit only).  A
 * masked count of 0 changes no flag (set beforehand to a known pattern)
 * but still writes the destination (zero-extension of 32-bit results in
 * 64-bit code).
 */
#include "tests/tcg/corpus/corpus.h"

/* The instruction under test on the accumulator of width w, count in CL or immediate. */
.macro SH_OP op, w, c, imm
    .if \imm
        .if \w == 8
            \op\()b $\c, %al
        .elseif \w == 16
            \op\()w $\c, %ax
        .elseif \w == 32
            \op\()l $\c, %eax
        .else
            \op\()q $\c, %rax
        .endif
    .else
        .if \w == 8
            \op\()b %cl, %al
        .elseif \w == 16
            \op\()w %cl, %ax
        .elseif \w == 32
            \op\()l %cl, %eax
        .else
            \op\()q %cl, %rax
        .endif
    .endif
.endm

.macro SH_BODY op, w, c, m, imm, val
    .if \m == 64
        movabs $\val, %rax
    .else
        mov $(\val & 0xffffffff), %eax
    .endif
    mov $(\c | 0x5500), %ecx
    SETFLAGS(FL_OF | FL_ZF | FL_PF | FL_CF)
    SH_OP \op, \w, \c, \imm
.endm

.macro SH_CASE op, w, c, m, imm, val, vn, uf
    CASE sh_\op\()\w\()_\c\()_\m\()_\imm\()_\vn, \m, -1, \uf
    SH_BODY \op, \w, \c, \m, \imm, \val
    END sh_\op\()\w\()_\c\()_\m\()_\imm\()_\vn
.endm

/* Pick the undefined flags for (op, w, c) and emit the case. */
.macro SHIFT op, w, c, m, imm=0, val=0x7f00a5c3c0a18081, vn=a, arith=1
    .if \w == 64
        .if ((\c) & 63) == 0
            SH_CASE \op, \w, \c, \m, \imm, \val, \vn, 0
        .elseif ((\c) & 63) == 1
            SH_CASE \op, \w, \c, \m, \imm, \val, \vn, (FL_AF * \arith)
        .elseif \arith
            SH_CASE \op, \w, \c, \m, \imm, \val, \vn, (FL_OF | FL_AF)
        .else
            SH_CASE \op, \w, \c, \m, \imm, \val, \vn, FL_OF
        .endif
    .else
        .if ((\c) & 31) == 0
            SH_CASE \op, \w, \c, \m, \imm, \val, \vn, 0
        .elseif ((\c) & 31) == 1
            SH_CASE \op, \w, \c, \m, \imm, \val, \vn, (FL_AF * \arith)
        .elseif \arith
            .if ((\c) & 31) >= \w
                SH_CASE \op, \w, \c, \m, \imm, \val, \vn, (FL_OF | FL_AF | FL_CF)
            .else
                SH_CASE \op, \w, \c, \m, \imm, \val, \vn, (FL_OF | FL_AF)
            .endif
        .else
            SH_CASE \op, \w, \c, \m, \imm, \val, \vn, FL_OF
        .endif
    .endif
.endm

.macro SHIFT_ALL m
    .irp c, 0, 1, 2, 7, 8, 9, 16, 17, 31, 32, 33
        .irp op, shl, shr, sar
            SHIFT \op, 8, \c, \m
        .endr
        .irp op, rol, ror, rcl, rcr
            SHIFT \op, 8, \c, \m, arith=0
        .endr
    .endr
    .irp c, 0, 1, 15, 16, 17, 31, 32
        .irp op, shl, shr, sar
            SHIFT \op, 16, \c, \m
        .endr
        .irp op, rol, ror, rcl, rcr
            SHIFT \op, 16, \c, \m, arith=0
        .endr
    .endr
    .irp c, 0, 1, 31, 32, 33
        .irp op, shl, shr, sar
            SHIFT \op, 32, \c, \m
        .endr
        .irp op, rol, ror, rcl, rcr
            SHIFT \op, 32, \c, \m, arith=0
        .endr
    .endr
    /* by immediate, and a value whose top two bits differ (OF after a 1-bit shift) */
    .irp c, 0, 1, 4, 32
        .irp op, shl, shr, sar
            SHIFT \op, 32, \c, \m, imm=1
            SHIFT \op, 8, \c, \m, imm=1, val=0x40, vn=b
        .endr
        .irp op, rol, ror, rcl, rcr
            SHIFT \op, 32, \c, \m, imm=1, arith=0
            SHIFT \op, 16, \c, \m, imm=1, val=0x4000, vn=b, arith=0
        .endr
    .endr
.endm

SHIFT_ALL 32
SHIFT_ALL 64

.irp c, 0, 1, 31, 32, 33, 63, 64, 65
    .irp op, shl, shr, sar
        SHIFT \op, 64, \c, 64
        SHIFT \op, 64, \c, 64, imm=1, val=0x4000000000000000, vn=b
    .endr
    .irp op, rol, ror, rcl, rcr
        SHIFT \op, 64, \c, 64, arith=0
    .endr
.endr

/* Double-precision shifts: count 0, 1, in range, and 16-bit counts up to 16. */
.macro SHD_CASE name, m, uf
    CASE \name, \m, -1, \uf
.endm

CASE shld32_cl_0, 32
    mov $0x80000001, %eax
    mov $0x12345678, %ebx
    mov $32, %ecx
    SETFLAGS(FL_OF | FL_CF)
    shld %cl, %ebx, %eax
END shld32_cl_0

CASE shld32_1, 32, -1, FL_AF
    mov $0x40000001, %eax
    mov $0x92345678, %ebx
    shld $1, %ebx, %eax
END shld32_1

CASE shrd32_13, 32, -1, FL_OF | FL_AF
    mov $0x80000001, %eax
    mov $0x12345678, %ebx
    shrd $13, %ebx, %eax
END shrd32_13

CASE shld16_16, 32, -1, FL_OF | FL_AF
    mov $0xdead8001, %eax
    mov $0xbeef1234, %ebx
    mov $16, %cl
    shld %cl, %bx, %ax
END shld16_16

CASE shrd16_15_mem, 32, -1, FL_OF | FL_AF
    movl $0xa5a58001, DIFF_DATA_BASE + 0x40
    mov $0x7777, %bx
    shrdw $15, %bx, DIFF_DATA_BASE + 0x40
END shrd16_15_mem

CASE shld64_63, 64, -1, FL_OF | FL_AF
    movabs $0x8000000000000001, %rax
    movabs $0x7fffffffffffffff, %rdx
    shld $63, %rdx, %rax
END shld64_63

CASE shrd64_cl_64, 64
    movabs $0x8000000000000001, %rax
    mov $-1, %rdx
    mov $64, %ecx
    SETFLAGS(FL_SF | FL_CF)
    shrd %cl, %rdx, %rax
END shrd64_cl_64

CASE shld32_0_zero_extends, 64
    mov $-1, %rax
    shld $0, %ebx, %eax
END shld32_0_zero_extends

CASE rcl8_9_cf_passes, 32, -1, FL_OF
    mov $0x81, %al
    mov $9, %cl
    stc
    rcl %cl, %al
END rcl8_9_cf_passes

CASE rcr16_17, 32, -1, FL_OF
    mov $0x8001, %ax
    mov $17, %cl
    clc
    rcr %cl, %ax
END rcr16_17

CASE rol8_8_sets_cf, 32, -1, FL_OF
    mov $0x81, %al
    mov $8, %cl
    clc
    rol %cl, %al
END rol8_8_sets_cf

CASE shl_mem_cl, 64, -1, FL_OF | FL_AF
    movq $0x0123456789abcdef, %rax
    mov %rax, DIFF_DATA_BASE + 0xff8
    mov $12, %cl
    shlq %cl, DIFF_DATA_BASE + 0xffc
END shl_mem_cl
