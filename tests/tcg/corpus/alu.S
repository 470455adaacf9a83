/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flags of the ALU ops at their edges, and the 64-bit zero-extension rules. */
#include "tests/tcg/corpus/corpus.h"

CASE add8_overflow, 32
    mov $0x7f, %al
    add $1, %al
END add8_overflow

CASE sub_borrow_all_widths, 64
    xor %eax, %eax
    sub $1, %al
    sbb $0, %ax
    sbb $0, %eax
    sbb $0, %rax
    pushf
    pop %rbx
END sub_borrow_all_widths

CASE add32_zero_extends, 64
    mov $-1, %rax
    add $0, %eax
END add32_zero_extends

CASE div_by_zero, 32, VEC_DE
    xor %ecx, %ecx
    div %ecx
END div_by_zero
