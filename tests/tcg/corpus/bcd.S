/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * BCD adjustments (32-bit code; #UD in 64-bit code) over the AL values
 * and AF/CF inputs where their branches change: digits 9/A, 0x99/0x9A,
 * and the undefined flags of each (DAA/DAS: OF; AAA/AAS: OF SF ZF PF;
 * AAM/AAD: OF AF CF).
 */
#include "tests/tcg/corpus/corpus.h"

.macro BCD op, al, ah, fl, uf
    CASE bcd_\op\()_\al\()_\ah\()_\fl, 32, -1, \uf
    mov $((\ah << 8) | \al | 0x12340000), %eax
    SETFLAGS(\fl)
    \op
    END bcd_\op\()_\al\()_\ah\()_\fl
.endm

.macro BCD_FLAGS op, al, uf
    BCD \op, \al, 0x00, 0, \uf
    BCD \op, \al, 0x00, FL_AF, \uf
    BCD \op, \al, 0x00, FL_CF, \uf
    BCD \op, \al, 0xff, 0x11, \uf       /* AF | CF */
.endm

.irp al, 0x00, 0x09, 0x0a, 0x0f, 0x19, 0x79, 0x99, 0x9a, 0xa0, 0xf9, 0xff, 0x80
    BCD_FLAGS daa, \al, FL_OF
    BCD_FLAGS das, \al, FL_OF
    BCD_FLAGS aaa, \al, (FL_OF | FL_SF | FL_ZF | FL_PF)
    BCD_FLAGS aas, \al, (FL_OF | FL_SF | FL_ZF | FL_PF)
.endr

.macro AAMD op, base, al, ah
    CASE bcd_\op\()_\base\()_\al\()_\ah, 32, -1, (FL_OF | FL_AF | FL_CF)
    mov $((\ah << 8) | \al | 0x56780000), %eax
    .ifc \op,aam
        .byte 0xd4, \base
    .else
        .byte 0xd5, \base
    .endif
    END bcd_\op\()_\base\()_\al\()_\ah
.endm

.irp base, 10, 16, 1, 255, 7
    .irp al, 0x00, 0x63, 0x99, 0xff
        AAMD aam, \base, \al, 0x33
        AAMD aad, \base, \al, 0x09
        AAMD aad, \base, \al, 0xff
    .endr
.endr

CASE bcd_daa_invalid_64, 64, VEC_UD
    .byte 0x27
END bcd_daa_invalid_64

CASE bcd_aam_invalid_64, 64, VEC_UD
    .byte 0xd4, 0x0a
END bcd_aam_invalid_64

/* A BCD addition chain, as compilers of old emitted it. */
CASE bcd_add_chain, 32, -1, FL_OF
    mov $0x99, %al
    add $0x01, %al
    daa
    mov %al, %bl
    mov $0x00, %al
    adc $0x00, %al
    daa
    mov %al, %bh
END bcd_add_chain

CASE salc_undocumented_skipped, 32
    /* SALC (0xd6) is undocumented by Intel: not tested; a plain sbb gives its result */
    stc
    sbb %al, %al
END salc_undocumented_skipped
