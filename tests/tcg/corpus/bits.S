/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bit tests and scans.  BT*: CF is the bit; OF SF AF PF are undefined,
 * and ZF too (AMD APM, older SDMs).  A register bit offset into memory is
 * signed and may reach far outside the addressed operand.  BSF/BSR: ZF
 * says whether the source was zero; then the destination is undefined
 * (Intel) or unchanged (AMD), and CF OF SF AF PF are undefined.
 */
#include "tests/tcg/corpus/corpus.h"

#define BT_UNDEF (FL_OF | FL_SF | FL_ZF | FL_AF | FL_PF)
#define BSF_UNDEF (FL_CF | FL_OF | FL_SF | FL_AF | FL_PF)

.macro BT_REG op, w, off, m
    CASE \op\()_reg\w\()_\off\()_\m, \m, -1, BT_UNDEF
    .if \m == 64
        movabs $0x8000000100008001, %rax
    .else
        mov $0x80018001, %eax
    .endif
    mov $\off, %ecx
    .if \w == 16
        \op %cx, %ax
    .elseif \w == 32
        \op %ecx, %eax
    .else
        \op %rcx, %rax
    .endif
    END \op\()_reg\w\()_\off\()_\m
.endm

.macro BT_IMM op, w, off, m
    CASE \op\()_imm\w\()_\off\()_\m, \m, -1, BT_UNDEF
    .if \m == 64
        movabs $0x8000000100008001, %rax
    .else
        mov $0x80018001, %eax
    .endif
    .if \w == 16
        \op\()w $\off, %ax
    .elseif \w == 32
        \op\()l $\off, %eax
    .else
        \op\()q $\off, %rax
    .endif
    END \op\()_imm\w\()_\off\()_\m
.endm

.irp op, bt, bts, btr, btc
    .irp off, 0, 15, 16, 31, 32, 63, 64, 255
        BT_REG \op, 16, \off, 32
        BT_REG \op, 32, \off, 32
        BT_REG \op, 32, \off, 64
        BT_REG \op, 64, \off, 64
        BT_IMM \op, 16, \off, 32
        BT_IMM \op, 32, \off, 64
        BT_IMM \op, 64, \off, 64
    .endr
.endr

/* Memory bit strings: the offset register selects an operand-sized word anywhere. */
.macro BT_MEM op, w, off, m, n
    CASE \op\()_mem\w\()_\n\()_\m, \m, -1, BT_UNDEF
    mov $(DIFF_DATA_BASE + 0x1000), %ebx
    movl $0x5a5aa5a5, -0x80(%ebx)
    movl $0x01020304, 0x7c(%ebx)
    .if \m == 64
        mov $(\off), %rcx
    .else
        mov $(\off), %ecx
    .endif
    .if \w == 16
        \op %cx, (%ebx)
    .elseif \w == 32
        \op %ecx, (%ebx)
    .else
        \op %rcx, (%rbx)
    .endif
    END \op\()_mem\w\()_\n\()_\m
.endm

.irp op, bt, bts, btr, btc
    BT_MEM \op, 16, 3, 32, p3
    BT_MEM \op, 16, -1, 32, m1
    BT_MEM \op, 16, -1000, 32, m1000
    BT_MEM \op, 32, 1000, 32, p1000
    BT_MEM \op, 32, -9, 32, m9
    BT_MEM \op, 32, 33, 64, p33
    BT_MEM \op, 64, -1, 64, m1
    BT_MEM \op, 64, 1000, 64, p1000
    BT_MEM \op, 64, -1024, 64, m1024
.endr

CASE bt_mem_imm_ignores_high_bits, 64, -1, BT_UNDEF
    movl $0x80000000, DIFF_DATA_BASE + 0x40
    btl $63, DIFF_DATA_BASE + 0x40
END bt_mem_imm_ignores_high_bits

CASE bts_mem_far_offset_faults, 32, VEC_PF, BT_UNDEF
    mov $0x100000, %ecx             /* 128 KiB away: outside the buffer */
    bts %ecx, DIFF_DATA_BASE
END bts_mem_far_offset_faults

CASE lock_btc_mem, 64, -1, BT_UNDEF
    mov $77, %ecx
    lock btc %ecx, DIFF_DATA_BASE + 0x200
    lock btsq $5, DIFF_DATA_BASE + 0x208
END lock_btc_mem

CASE lock_bt_reg_ud, 32, VEC_UD
    .byte 0xf0, 0x0f, 0xa3, 0xc8        /* lock bt %ecx, %eax */
END lock_bt_reg_ud

.macro SCAN op, w, val, n, m
    CASE \op\()\w\()_\n\()_\m, \m, -1, BSF_UNDEF
    .if \m == 64
        movabs $0x5555555555555555, %rdx
        movabs $(\val), %rax
    .else
        mov $0x55555555, %edx
        mov $((\val) & 0xffffffff), %eax
    .endif
    SETFLAGS(FL_ZF)
    .if \w == 16
        \op %ax, %dx
    .elseif \w == 32
        \op %eax, %edx
    .else
        \op %rax, %rdx
    .endif
    END \op\()\w\()_\n\()_\m
.endm

.irp op, bsf, bsr
    SCAN \op, 16, 0x10000, hi_only, 32
    SCAN \op, 16, 0x8001, ends, 32
    SCAN \op, 32, 1, one, 32
    SCAN \op, 32, 0x80000000, top, 32
    SCAN \op, 32, 0x00f00f00, mid, 64
    SCAN \op, 64, 0x8000000000000000, top, 64
    SCAN \op, 64, 0x100000000, b32, 64
    SCAN \op, 64, -1, all, 64
.endr

/* Zero source: ZF=1, destination undefined. */
CASE bsf32_zero, 32, -1, BSF_UNDEF, REGBIT(EDX)
    mov $0x55555555, %edx
    xor %eax, %eax
    bsf %eax, %edx
END bsf32_zero

CASE bsr64_zero_mem, 64, -1, BSF_UNDEF, REGBIT(EDX)
    movq $0, DIFF_DATA_BASE + 0x50
    bsrq DIFF_DATA_BASE + 0x50, %rdx
END bsr64_zero_mem

CASE bsf16_zero_low_half, 32, -1, BSF_UNDEF, REGBIT(EDX)
    mov $0x10000, %eax
    bsf %ax, %dx
END bsf16_zero_low_half
