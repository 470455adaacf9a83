/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prefixes: operand/address size (0x66, 0x67, REX.W over 0x66, a REX that
 * is not last is ignored, only the last REX counts), segment overrides
 * (ignored in 64-bit code except FS/GS; a null FS faults in 32-bit code;
 * writes through CS fault in 32-bit code), redundant and branch-hint
 * prefixes, LOCK where it is not allowed (#UD), the 15-byte limit (#GP).
 */
#include "tests/tcg/corpus/corpus.h"

CASE pfx_66_operand_size_32, 32
    mov $0x12345678, %eax
    mov $0x9abcdef0, %ebx
    .byte 0x66, 0x01, 0xd8          /* add %bx, %ax */
    .byte 0x66, 0x66, 0x01, 0xd8    /* twice is the same */
    .byte 0x66, 0xb9, 0x34, 0x12    /* mov $0x1234, %cx */
END pfx_66_operand_size_32

CASE pfx_rexw_beats_66, 64
    mov $-1, %rax
    mov $1, %ebx
    .byte 0x66, 0x48, 0x01, 0xd8    /* add %rbx, %rax (REX.W wins) */
END pfx_rexw_beats_66

CASE pfx_rex_not_last_ignored, 64
    mov $-1, %rax
    mov $1, %ebx
    .byte 0x48, 0x66, 0x01, 0xd8    /* REX then 66: the REX is ignored: add %bx, %ax */
END pfx_rex_not_last_ignored

CASE pfx_two_rex_last_counts, 64
    mov $-1, %rax
    mov $1, %ebx
    .byte 0x48, 0x40, 0x01, 0xd8    /* only 0x40 counts: add %ebx, %eax */
END pfx_two_rex_last_counts

CASE pfx_rex_b_on_mem_and_reg, 64
    mov $DIFF_DATA_BASE + 0x200, %r13d
    mov $DIFF_DATA_BASE + 0x208, %r12d
    movq $0x77, (%r13)
    movq $0x88, (%r12)
    mov (%r13), %r8
    add (%r12), %r8
    lea 8(%r13,%r12,1), %r9
END pfx_rex_b_on_mem_and_reg

CASE pfx_addr32_64, 64
    mov $-1, %rbx
    mov $DIFF_DATA_BASE + 0x40, %ebx     /* upper half cleared by the 32-bit mov */
    movabs $0xffffffff00000000, %rcx
    or %rcx, %rbx                        /* junk in the upper half again */
    .byte 0x67, 0x8b, 0x03               /* mov (%ebx), %eax: only EBX counts */
    .byte 0x67, 0x48, 0x8b, 0x53, 0x08   /* mov 8(%ebx), %rdx */
END pfx_addr32_64

CASE pfx_addr32_index_wrap, 64
    mov $DIFF_DATA_BASE + 0x80, %ebx
    mov $-8, %esi                        /* 0xfffffff8 as a 32-bit index */
    .byte 0x67, 0x8b, 0x04, 0x33         /* mov (%ebx,%esi), %eax: wraps to DATA+0x78 */
END pfx_addr32_index_wrap

CASE pfx_moffs_64_and_addr32, 64
    movl $0xcafef00d, DIFF_DATA_BASE + 0x60
    movabs DIFF_DATA_BASE + 0x60, %eax              /* A1 with an 8-byte offset */
    .byte 0x67, 0xa1
    .long DIFF_DATA_BASE + 0x60                     /* A1 with a 4-byte offset */
    .byte 0x48, 0xa3
    .quad DIFF_DATA_BASE + 0x68                     /* mov %rax, moffs64 */
END pfx_moffs_64_and_addr32

CASE pfx_seg_ignored_64, 64
    movl $0x12345678, DIFF_DATA_BASE + 0x70
    mov $DIFF_DATA_BASE + 0x70, %ebx
    .byte 0x26, 0x8b, 0x03          /* es: mov (%rbx), %eax */
    .byte 0x2e, 0x8b, 0x0b          /* cs: */
    .byte 0x36, 0x8b, 0x13          /* ss: */
    .byte 0x3e, 0x89, 0x43, 0x04    /* ds: store */
    .byte 0x2e, 0x89, 0x43, 0x08    /* cs: store: allowed in 64-bit code */
END pfx_seg_ignored_64

CASE pfx_seg_flat_32, 32
    movl $0x12345678, DIFF_DATA_BASE + 0x70
    mov $DIFF_DATA_BASE + 0x70, %ebx
    mov %es:(%ebx), %eax
    mov %cs:(%ebx), %ecx
    mov %ss:(%ebx), %edx
    mov %gs:4(%ebx), %esi
    mov %edi, %ds:8(%ebx)
    mov %edi, %ss:12(%ebx)
END pfx_seg_flat_32

CASE pfx_cs_write_gp_32, 32, VEC_GP
    mov $DIFF_DATA_BASE + 0x70, %ebx
    mov %eax, %cs:(%ebx)
END pfx_cs_write_gp_32

CASE pfx_null_fs_gp_32, 32, VEC_GP
    mov %fs:DIFF_DATA_BASE, %eax
END pfx_null_fs_gp_32

CASE pfx_ebp_default_ss_32, 32
    mov $DIFF_DATA_BASE + 0x90, %ebp
    movl $0x42, (%ebp)
    mov (%ebp), %eax
    mov 4(%esp), %ecx
END pfx_ebp_default_ss_32

CASE pfx_redundant_on_reg_ops, 32
    mov $5, %eax
    .byte 0x3e, 0x2e, 0x01, 0xc0    /* two segment prefixes on a register add */
    .byte 0xf3, 0x01, 0xc0          /* rep on add: ignored */
    .byte 0x2e, 0x74, 0x00          /* je +0 with a branch hint */
    .byte 0xf3, 0xc3 - 0xc3 + 0x90  /* pause */
END pfx_redundant_on_reg_ops

CASE pfx_lock_on_reg_ud, 32, VEC_UD
    .byte 0xf0, 0x01, 0xc0          /* lock add %eax, %eax */
END pfx_lock_on_reg_ud

CASE pfx_lock_on_mov_ud, 64, VEC_UD
    .byte 0xf0, 0x89, 0x03          /* lock mov %eax, (%rbx) */
END pfx_lock_on_mov_ud

CASE pfx_lock_on_cmp_ud, 64, VEC_UD
    .byte 0xf0, 0x39, 0x03          /* lock cmp: not a read-modify-write */
END pfx_lock_on_cmp_ud

CASE pfx_lock_on_nop_ud, 32, VEC_UD
    .byte 0xf0, 0x90
END pfx_lock_on_nop_ud

CASE pfx_15_bytes_ok, 64
    .byte 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90
END pfx_15_bytes_ok

CASE pfx_16_bytes_gp, 64, VEC_GP
    .byte 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90
END pfx_16_bytes_gp

CASE pfx_16_bytes_gp_32, 32, VEC_GP
    .byte 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x66, 0x05, 0x01, 0x00
END pfx_16_bytes_gp_32

CASE pfx_66_push_pop, 64
    .byte 0x66, 0x6a, 0xff          /* pushw $-1 */
    .byte 0x66, 0x68, 0x34, 0x12    /* pushw $0x1234 */
    mov $-1, %rax
    .byte 0x66, 0x58                /* popw %ax */
    .byte 0x66, 0x5b                /* popw %bx */
END pfx_66_push_pop

CASE pfx_66_push_pop_32, 32
    pushw $0x5678
    pushl $-2
    popw %ax
    popw %cx
    popw %dx
END pfx_66_push_pop_32
