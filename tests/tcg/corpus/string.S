/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * String instructions: both directions, every width, rep with counts 0, 1
 * and several, repe/repne stopping early, overlapping moves (the result
 * is that of one element at a time), segment overrides of the source,
 * 0x67 (ECX/ESI/EDI in 64-bit code), and a fault in the middle of a rep
 * (registers show the progress; the instruction restarts from there).
 */
#include "tests/tcg/corpus/corpus.h"

#define SRC (DIFF_DATA_BASE + 0x400)
#define DST (DIFF_DATA_BASE + 0x800)

.macro SETUP m, df
    .if \df
        std
    .else
        cld
    .endif
    .if \m == 64
        mov $SRC, %rsi
        mov $DST, %rdi
    .else
        mov $SRC, %esi
        mov $DST, %edi
    .endif
.endm

.macro STR op, m, df, n, rep
    CASE str_\op\()_\m\()_\df\()_\n\()_\rep, \m
    SETUP \m, \df
    mov $\n, %ecx
    movl $0x11223344, %eax
    .if \rep == 1
        rep \op
    .elseif \rep == 2
        repne \op
    .else
        \op
    .endif
    END str_\op\()_\m\()_\df\()_\n\()_\rep
.endm

.irp op, movsb, movsw, movsl, stosb, stosw, stosl, lodsb, lodsw, lodsl
    .irp df, 0, 1
        STR \op, 32, \df, 0, 1
        STR \op, 32, \df, 1, 1
        STR \op, 32, \df, 5, 1
        STR \op, 32, \df, 5, 0
        STR \op, 64, \df, 3, 1
    .endr
.endr
.irp op, movsq, stosq, lodsq
    .irp df, 0, 1
        STR \op, 64, \df, 0, 1
        STR \op, 64, \df, 4, 1
        STR \op, 64, \df, 4, 0
    .endr
.endr

/* cmps/scas: equal runs, then a difference; repe stops at it, repne at the first equal. */
.macro CMPS op, m, df, n, rep
    CASE str_\op\()_\m\()_\df\()_\n\()_\rep, \m
    movl $0x01020304, SRC - 8
    movl $0x05060708, SRC - 4
    movl $0x01020304, SRC
    movl $0x05060708, SRC + 4
    movl $0x01020304, DST - 8
    movl $0x05060708, DST - 4
    movl $0x01020304, DST
    movl $0x05ff0708, DST + 4
    SETUP \m, \df
    mov $\n, %ecx
    mov $0x0708, %eax
    .if \rep == 1
        repe \op
    .elseif \rep == 2
        repne \op
    .else
        \op
    .endif
    END str_\op\()_\m\()_\df\()_\n\()_\rep
.endm

.irp op, cmpsb, cmpsw, cmpsl, scasb, scasw, scasl
    .irp df, 0, 1
        CMPS \op, 32, \df, 0, 1
        CMPS \op, 32, \df, 8, 1
        CMPS \op, 32, \df, 8, 2
        CMPS \op, 32, \df, 1, 0
        CMPS \op, 64, \df, 8, 1
    .endr
.endr
CMPS cmpsq, 64, 0, 3, 1
CMPS scasq, 64, 1, 3, 2

CASE str_overlap_fwd_movsb, 32
    cld
    mov $SRC, %esi
    lea 1(%esi), %edi
    mov $16, %ecx
    rep movsb
END str_overlap_fwd_movsb

CASE str_overlap_fwd_movsw_odd, 32
    cld
    mov $SRC, %esi
    lea 1(%esi), %edi
    mov $7, %ecx
    rep movsw
END str_overlap_fwd_movsw_odd

CASE str_overlap_fwd_movsl_by2, 64
    cld
    mov $SRC, %rsi
    lea 2(%rsi), %rdi
    mov $9, %ecx
    rep movsl
END str_overlap_fwd_movsl_by2

CASE str_overlap_back_movsq, 64
    std
    mov $SRC + 0x40, %rsi
    lea -3(%rsi), %rdi
    mov $6, %ecx
    rep movsq
END str_overlap_back_movsq

CASE str_big_rep_stos, 64
    cld
    mov $DIFF_DATA_BASE, %rdi
    mov $0x2000, %ecx
    mov $0xa5, %al
    rep stosb
END str_big_rep_stos

CASE str_big_rep_movsl_cross_page, 32
    cld
    mov $DIFF_DATA_BASE + 0x10, %esi
    mov $DIFF_DATA_BASE + 0x1002, %edi
    mov $0x3fb, %ecx
    rep movsl
END str_big_rep_movsl_cross_page

/* A rep that runs into the guard page: #PF with ECX/EDI showing how far it got. */
CASE str_rep_stos_faults_midway, 32, VEC_PF
    cld
    mov $DIFF_DATA_BASE + DIFF_DATA_SIZE - 12, %edi
    mov $100, %ecx
    mov $0x5a5a5a5a, %eax
    rep stosl
END str_rep_stos_faults_midway

CASE str_rep_movs_source_faults, 64, VEC_PF
    std
    mov $DIFF_DATA_BASE + 0x10, %rsi
    mov $DIFF_DATA_BASE + 0x800, %rdi
    mov $40, %ecx
    rep movsb
END str_rep_movs_source_faults

CASE str_rep_movsw_straddles_guard, 32, VEC_PF
    cld
    mov $DIFF_DATA_BASE + 0x100, %esi
    mov $DIFF_DATA_BASE + DIFF_DATA_SIZE - 5, %edi
    mov $4, %ecx
    rep movsw
END str_rep_movsw_straddles_guard

/* Segment overrides of the source (the destination is always ES). */
CASE str_seg_override_32, 32
    cld
    mov $SRC, %esi
    mov $DST, %edi
    mov $4, %ecx
    rep movsb %cs:(%esi), %es:(%edi)
    mov $2, %ecx
    rep movsl %ss:(%esi), %es:(%edi)
    lodsb %gs:(%esi)
    mov $3, %ecx
    repe cmpsb %es:(%edi), %cs:(%esi)
END str_seg_override_32

CASE str_seg_override_64, 64
    cld
    mov $SRC, %esi
    mov $DST, %edi
    mov $4, %ecx
    rep movsb %cs:(%rsi), %es:(%rdi)
    lodsq %gs:(%rsi)
END str_seg_override_64

/* 0x67 in 64-bit code: ECX, ESI and EDI (the upper halves ignored and cleared). */
CASE str_addr32_64, 64
    cld
    movabs $0xdeadbeef00000004, %rcx
    movabs $0x1234567800000000 + SRC, %rsi
    movabs $0x8765432100000000 + DST, %rdi
    .byte 0x67, 0xf3, 0xa4          /* rep movsb with 32-bit addresses */
    .byte 0x67, 0xac                /* lodsb */
    .byte 0x67, 0xaa                /* stosb */
END str_addr32_64

CASE str_addr32_wraps, 64, VEC_PF
    /* the address is ESI = 0xffffffff (unmapped), never 0x1_xxxxxxxx */
    cld
    mov $0xffffffff, %esi
    .byte 0x67, 0xac
END str_addr32_wraps

CASE str_rep_count_rcx_64, 64
    std
    movabs $0x0000000100000003, %rcx
    mov $DST, %rdi
    mov $0x77, %al
    mov $0, %ecx
    rep stosb                       /* rcx = 0 after the mov: nothing */
    mov $3, %ecx
    rep stosb
END str_rep_count_rcx_64

CASE str_rep_prefix_on_lods, 32
    cld
    mov $SRC, %esi
    mov $7, %ecx
    rep lodsw
END str_rep_prefix_on_lods

CASE str_rep_movs_small, 32
    cld
    mov $SRC, %esi
    mov $DST, %edi
    mov $2, %ecx
    rep movsb
END str_rep_movs_small

CASE str_16bit_addressing_faults_low, 32, VEC_PF
    /* 0x67 in 32-bit code: SI/DI, addresses below 64 KiB, unmapped here */
    cld
    mov $0x12340010, %esi
    .byte 0x67, 0xac
END str_16bit_addressing_faults_low
