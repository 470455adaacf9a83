/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ALU flags at their edges (signed and unsigned overflow, half carry,
 * zero, parity) in every width, with carry-in for adc/sbb; inc/dec/neg/
 * not; and the 64-bit register rules: 8/16-bit writes keep the rest,
 * 32-bit writes zero-extend (also when nothing changes), high-byte
 * registers vs REX.
 */
#include "tests/tcg/corpus/corpus.h"

#define JUNK 0xdead5a5acafe1234

/* Load \val (a w-bit value) into rax/eax with junk above w bits where the register is wider. */
.macro LOADW reg64, reg32, w, m, val
    .if \m == 64
        .if \w == 64
            movabs $(\val), \reg64
        .else
            movabs $(((\val) & ((1 << \w) - 1)) | (JUNK & ~((1 << \w) - 1))), \reg64
        .endif
    .else
        .if \w == 32
            mov $((\val) & 0xffffffff), \reg32
        .else
            mov $((((\val) & ((1 << \w) - 1)) | (JUNK & ~((1 << \w) - 1))) & 0xffffffff), \reg32
        .endif
    .endif
.endm

.macro OP2 op, w
    .if \w == 8
        \op\()b %bl, %al
    .elseif \w == 16
        \op\()w %bx, %ax
    .elseif \w == 32
        \op\()l %ebx, %eax
    .else
        \op\()q %rbx, %rax
    .endif
.endm

.macro ALU_CASE op, w, p, m, a, b, cf, uf
    CASE alu_\op\()\w\()_\p\()_\m, \m, -1, \uf
    LOADW %rax, %eax, \w, \m, \a
    LOADW %rbx, %ebx, \w, \m, \b
    .if \cf
        SETFLAGS(FL_CF | FL_ZF | FL_OF)
    .else
        SETFLAGS(FL_SF | FL_AF | FL_PF)
    .endif
    OP2 \op, \w
    END alu_\op\()\w\()_\p\()_\m
.endm

/* Operand pairs at the edges of the signed and unsigned ranges, half carries. */
.macro ALU_PAIRS op, w, m, uf
    ALU_CASE \op, \w, 1, \m, ((1 << (\w - 1)) - 1), 1, 0, \uf
    ALU_CASE \op, \w, 2, \m, (1 << (\w - 1)), -1, 1, \uf
    ALU_CASE \op, \w, 3, \m, 0, 0, 1, \uf
    ALU_CASE \op, \w, 4, \m, -1, 1, 0, \uf
    ALU_CASE \op, \w, 5, \m, 0x0f, 0x01, 1, \uf
    ALU_CASE \op, \w, 6, \m, (1 << (\w - 1)), (1 << (\w - 1)), 0, \uf
    ALU_CASE \op, \w, 7, \m, 0x5a5a5a5a5a5a5a5a, 0xa5a5a5a5a5a5a5a5, 1, \uf
    ALU_CASE \op, \w, 8, \m, 1, 2, 0, \uf
    ALU_CASE \op, \w, 9, \m, -1, -1, 1, \uf
.endm

.macro ALU_WIDTH w, m
    .irp op, add, adc, sub, sbb, cmp
        ALU_PAIRS \op, \w, \m, 0
    .endr
    .irp op, and, or, xor, test
        ALU_PAIRS \op, \w, \m, FL_AF
    .endr
.endm

ALU_WIDTH 8, 32
ALU_WIDTH 16, 32
ALU_WIDTH 32, 32
ALU_WIDTH 8, 64
ALU_WIDTH 16, 64
ALU_WIDTH 32, 64
ALU_WIDTH 64, 64

/* inc dec neg not: CF kept by inc/dec. */
.macro UNARY op, w, p, m, a, cf
    CASE un_\op\()\w\()_\p\()_\m, \m
    LOADW %rax, %eax, \w, \m, \a
    .if \cf
        SETFLAGS(FL_CF | FL_ZF)
    .else
        SETFLAGS(FL_OF | FL_SF)
    .endif
    .if \w == 8
        \op\()b %al
    .elseif \w == 16
        \op\()w %ax
    .elseif \w == 32
        \op\()l %eax
    .else
        \op\()q %rax
    .endif
    END un_\op\()\w\()_\p\()_\m
.endm

.macro UNARY_ALL w, m
    .irp op, inc, dec, neg, not
        UNARY \op, \w, 1, \m, ((1 << (\w - 1)) - 1), 1
        UNARY \op, \w, 2, \m, (1 << (\w - 1)), 0
        UNARY \op, \w, 3, \m, 0, 1
        UNARY \op, \w, 4, \m, -1, 0
        UNARY \op, \w, 5, \m, 0x0f, 1
        UNARY \op, \w, 6, \m, 0x10, 0
    .endr
.endm

UNARY_ALL 8, 32
UNARY_ALL 16, 32
UNARY_ALL 32, 32
UNARY_ALL 8, 64
UNARY_ALL 16, 64
UNARY_ALL 32, 64
UNARY_ALL 64, 64

/* 32-bit inc/dec with the one-byte forms (40+r / 48+r, REX prefixes in 64-bit code). */
CASE incdec_short_forms, 32
    mov $0x7fffffff, %edx
    stc
    .byte 0x42          /* inc %edx */
    .byte 0x4f          /* dec %edi */
END incdec_short_forms

CASE rex_is_not_dec, 64
    mov $-1, %rax
    mov $5, %ecx
    .byte 0x48, 0x01, 0xc8      /* add %rcx, %rax: 0x48 is REX.W here */
END rex_is_not_dec

/* Zero-extension of 32-bit results, including writes that change nothing. */
CASE zext_add0, 64
    mov $-1, %rax
    add $0, %eax
END zext_add0

CASE zext_mov_self, 64
    mov $-1, %rbx
    mov %ebx, %ebx
END zext_mov_self

CASE zext_xchg_eax_eax, 64
    mov $-1, %rax
    .byte 0x87, 0xc0            /* xchg %eax, %eax: zero-extends */
END zext_xchg_eax_eax

CASE nop_is_not_xchg, 64
    mov $-1, %rax
    .byte 0x90                  /* nop: rax unchanged */
    .byte 0x41, 0x90            /* xchg %r8, %rax (REX.B 90) */
END nop_is_not_xchg

CASE zext_cmov_not_taken, 64
    mov $-1, %rax
    mov $-1, %rcx
    xor %edx, %edx              /* ZF=1 */
    cmovnz %ecx, %eax           /* not taken: still zero-extends rax */
END zext_cmov_not_taken

CASE zext_cmov_taken, 64
    mov $-1, %rax
    movabs $0x1234567887654321, %rcx
    xor %edx, %edx
    cmovz %ecx, %eax
END zext_cmov_taken

CASE cmov16_not_taken_keeps, 64
    mov $-1, %rax
    mov $0x5555, %ecx
    xor %edx, %edx
    cmovnz %cx, %ax
END cmov16_not_taken_keeps

CASE cmov32_not_taken_32bit, 32
    mov $-1, %eax
    mov $0x5555, %ecx
    xor %edx, %edx
    cmovnz %ecx, %eax
END cmov32_not_taken_32bit

CASE cmov_mem_not_taken_reads, 64
    /* the memory operand is read even when the move does not happen: here it is fine */
    mov $-1, %rax
    xor %edx, %edx
    cmovnz DIFF_DATA_BASE + 0x10, %eax
END cmov_mem_not_taken_reads

CASE cmov_mem_not_taken_faults, 64, VEC_PF
    mov $-1, %rax
    xor %edx, %edx
    cmovnz DIFF_DATA_BASE + DIFF_DATA_SIZE + 0x10, %eax
END cmov_mem_not_taken_faults

CASE partial_writes_keep, 64
    mov $-1, %rax
    mov $-1, %rbx
    mov $0x12, %al
    mov $0x34, %ah
    mov $0x5678, %bx
    movabs $0x1111111111111111, %rcx
    add %cl, %ch
    movabs $0x2222222222222222, %rdx
    inc %dx
END partial_writes_keep

CASE high_bytes_vs_rex, 64
    movabs $0x0102030405060708, %rsi
    movabs $0x1112131415161718, %rdx
    mov $0, %eax
    .byte 0x88, 0xf0            /* mov %dh, %al */
    .byte 0x40, 0x88, 0xf3      /* mov %sil, %bl */
    .byte 0x40, 0x88, 0xe1      /* mov %spl, %cl */
    .byte 0x88, 0xe1            /* mov %ah, %cl */
END high_bytes_vs_rex

CASE high_bytes_32, 32
    mov $0x11223344, %eax
    mov $0x55667788, %ebx
    xchg %ah, %bl
    add %bh, %al
    sub %al, %ah
END high_bytes_32

CASE movsxd_and_friends, 64
    mov $0x80000000, %eax
    movslq %eax, %rbx
    movabs $0x7fffffff80000000, %rcx
    movslq %ecx, %rdx
    movl $0xfffffffe, DIFF_DATA_BASE + 0x20
    movslq DIFF_DATA_BASE + 0x20, %rsi
    movsbq %al, %rdi
    movswq %cx, %r8
    movzbl %ah, %ebp
    movzwq %cx, %r10
    movsbw %al, %r11w
END movsxd_and_friends

CASE movzx_movsx_32, 32
    mov $0x8081, %eax
    movsbl %al, %ebx
    movzbl %ah, %ecx
    movswl %ax, %edx
    movzwl %ax, %esi
    movsbw %ah, %di
END movzx_movsx_32

CASE lea_forms_32, 32
    mov $0x7ffffff0, %ebx
    mov $0x20, %esi
    lea 0x10(%ebx,%esi,4), %eax
    lea -1(%eax), %cx
    lea 0x12345678(,%esi,8), %edx
    lea (%esp), %ebp
    .byte 0x67, 0x8d, 0x40, 0x10            /* lea 0x10(%bx,%si), %eax: 16-bit address */
    .byte 0x67, 0x8d, 0x3e, 0xff, 0xff      /* lea 0xffff, %edi (16-bit disp16) */
END lea_forms_32

CASE lea_wrap_addr32, 64
    mov $-16, %rbx
    .byte 0x67, 0x8d, 0x43, 0x20            /* lea 0x20(%ebx), %eax: wraps at 4 GiB */
    .byte 0x67, 0x48, 0x8d, 0x4b, 0x20      /* lea 0x20(%ebx), %rcx: 32-bit address zero-extended */
    lea 0x20(%rbx), %rdx
    lea 0(%rip), %rsi
    .byte 0x66, 0x8d, 0x7b, 0x20            /* lea 0x20(%rbx), %di */
END lea_wrap_addr32

CASE adc_sbb_chain_128, 64
    mov $-1, %rax
    mov $0x7fffffffffffffff, %rdx
    add $1, %rax
    adc $0, %rdx
    sub $2, %rax
    sbb $0, %rdx
END adc_sbb_chain_128

CASE imm8_sign_extension, 64
    mov $0, %eax
    add $-1, %rax
    mov $0, %ebx
    addw $-1, %bx
    mov $0, %ecx
    andq $0xffffffff80000000, %rcx
    or $0xffffffff80000000, %rcx
    push $-2
    pop %rdx
END imm8_sign_extension

CASE alias_82_is_80, 32
    mov $0x7f, %al
    .byte 0x82, 0xc0, 0x01          /* add $1, %al through the 0x82 alias */
END alias_82_is_80

CASE alias_82_invalid_64, 64, VEC_UD
    .byte 0x82, 0xc0, 0x01
END alias_82_invalid_64

CASE xor_self_clears, 64
    mov $-1, %rax
    SETFLAGS(FL_CF | FL_OF | FL_SF)
    xor %eax, %eax
    sub %rbx, %rbx
END xor_self_clears

CASE mem_dest_alu_all_widths, 64
    movabs $0x8000007f8000807f, %rax
    mov %rax, DIFF_DATA_BASE + 0x100
    addb $1, DIFF_DATA_BASE + 0x100
    adcw $0x7f81, DIFF_DATA_BASE + 0x102
    sbbl $1, DIFF_DATA_BASE + 0x104
    negq DIFF_DATA_BASE + 0x108
    notl DIFF_DATA_BASE + 0x10c
    lock incw DIFF_DATA_BASE + 0x110
    lock xorq %rax, DIFF_DATA_BASE + 0x118
END mem_dest_alu_all_widths

CASE cross_page_rmw, 32
    mov $DIFF_DATA_BASE + 0xffe, %ebx
    movl $0xffffffff, (%ebx)
    addl $1, (%ebx)
    lock orl $0x80808080, (%ebx)
    mov (%ebx), %eax
END cross_page_rmw

CASE store_to_guard_page_no_partial_write, 32, VEC_PF
    movl $0x11223344, DIFF_DATA_BASE + DIFF_DATA_SIZE - 2
END store_to_guard_page_no_partial_write

CASE load_below_data_faults, 64, VEC_PF
    mov DIFF_DATA_BASE - 1, %al
END load_below_data_faults
