/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Macros for the hand-written corpus of the differential tester.
 *
 *     CASE name, mode [, expect [, undef_flags [, undef_regs]]]
 *         ...instructions...
 *     END name
 *
 * mode is 16 (real mode, checked against QEMU), 32 or 64; expect is -1 (runs to the end) or the exception
 * vector the host must raise (VEC_*); undef_flags (FL_*) and undef_regs
 * (bit per GPR, REGBIT(n)) are what the manuals leave undefined at the
 * end.  The code is copied to a random address in the code region and
 * run from a random register state (the stack pointer excepted), so a
 * case sets up whatever it depends on and refers to itself only
 * PC-relatively; the data buffer is at DIFF_DATA_BASE.  An int3 is
 * appended.  Each case is assembled into .rodata (never run in place) and
 * listed in the `diffcorpus` section, which corpus.c walks.
 */
#include "tests/tcg/diff.h"

#define REGBIT(n) (1 << (n))
#define EAX 0
#define ECX 1
#define EDX 2
#define EBX 3
#define EBP 5
#define ESI 6
#define EDI 7

/* push $flags; popf: set the status flags (and DF) to exactly `fl`. */
#define SETFLAGS(fl) push $((fl) | FL_IF | 2); popf

.macro CASE name, mode, expect=-1, uflags=0, uregs=0
    .pushsection diffcorpus, "aw"
    .balign 8
    .quad .Lname_\name, .Lstart_\name, .Lend_\name
    .long \mode, \expect, \uflags, \uregs
    .popsection
    .pushsection .rodata.diffcorpus_names, "a"
.Lname_\name:
    .asciz "\name"
    .popsection
    .pushsection .rodata.diffcorpus_code, "a"
.Lstart_\name:
    .if \mode == 32
    .code32
    .elseif \mode == 16
    .code16
    .else
    .code64
    .endif
.endm

.macro END name
.Lend_\name:
    .code64
    .popsection
.endm

/* No executable stack for the program that links us. */
    .section .note.GNU-stack, "", @progbits
