/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 16-bit real-mode code (checked against QEMU): 16-bit addressing and
 * its wrap at 64 KiB, 0x66/0x67 in 16-bit code, segment arithmetic, BCD,
 * string ops with SI/DI/CX, push/pop widths, far transfers, and
 * exceptions through the IVT.  DS = ES = SS = FS = GS = DIFF16_DATA_SEG;
 * data at offsets 0-0x7ff, the stack above.
 *
 * Not here, because QEMU (7.2) is wrong about them and it is the oracle:
 * real-mode segment limits (an offset beyond 0xffff raises #GP/#SS on
 * hardware, QEMU wraps or reads on), and the flags CMPXCHG8B leaves alone
 * (QEMU computes them from a stale lazy state).
 */
#include "tests/tcg/corpus/corpus.h"

CASE r16_alu_flags, 16
    mov $0x7fff, %ax
    add $1, %ax
    mov $0xff, %bl
    add $1, %bl
    adc $0, %bh
    mov $0x8000, %cx
    neg %cx
END r16_alu_flags

CASE r16_32bit_ops, 16
    mov $0x12345678, %eax
    mov $0x9abcdef0, %ebx
    add %ebx, %eax
    shl $4, %eax
    imul %ebx, %eax
    movzwl %ax, %ecx
    movsbl %bl, %edx
END r16_32bit_ops

CASE r16_addr16_forms, 16
    mov $0x100, %bx
    mov $0x20, %si
    mov $0x40, %di
    mov $0x200, %bp
    movw $0x1111, 0x120
    movw $0x2222, 0x140
    movw $0x3333, 0x220
    mov (%bx,%si), %ax
    mov (%bx,%di), %cx
    mov (%bp,%si), %dx
    addw $5, 0x10(%bp,%di)
    mov (%si), %ax
    mov 0x100(%di), %cx
END r16_addr16_forms

CASE r16_addr16_wraps, 16
    mov $0xffff, %bx
    mov $0x11, %si
    movb $0x5a, 0x10
    mov (%bx,%si), %al          /* 0xffff + 0x11 = 0x10 (mod 64 KiB) */
    mov $0xfff0, %di
    movb %al, 0x30(%di)         /* 0x20 */
END r16_addr16_wraps

CASE r16_addr32_upper_ignored, 16
    mov $0xdead0100, %ebx       /* 16-bit addressing: only BX */
    movb $0x77, (%bx)
    mov $0x00000100, %ebx
    mov (%ebx), %cl             /* 32-bit addressing (0x67): EBX */
END r16_addr32_upper_ignored

CASE r16_push_pop_widths, 16
    mov $0x11223344, %eax
    push %ax
    pushl %eax
    push $0x55
    pushl $-2
    pop %ebx
    pop %cx
    pop %edx
END r16_push_pop_widths

CASE r16_pusha_popa, 16
    mov $1, %ax
    mov $2, %cx
    pusha
    pushal
    mov $0, %ax
    popal
    popa
END r16_pusha_popa

CASE r16_string_si_di, 16
    cld
    mov $0x100, %si
    mov $0x200, %di
    mov $8, %cx
    rep movsb
    std
    mov $0x30f, %di
    mov $4, %cx
    mov $0x99, %al
    rep stosb
    cld
    mov $0x100, %si
    mov $0x200, %di
    mov $8, %cx
    repe cmpsb
END r16_string_si_di

CASE r16_string_ecx_addr32, 16
    cld
    mov $0x00000100, %esi
    mov $0x00000180, %edi
    mov $0x00000006, %ecx
    .byte 0x67, 0xf3, 0xa5      /* rep movsw with 32-bit addresses: ECX, ESI, EDI */
END r16_string_ecx_addr32

CASE r16_string_cx_upper_ignored, 16
    cld
    mov $0xabcd0003, %ecx       /* rep counts CX only */
    mov $0x100, %si
    mov $0x400, %di
    rep movsb
END r16_string_cx_upper_ignored

CASE r16_bcd, 16, -1, FL_OF
    mov $0x58, %al
    add $0x46, %al
    daa
    mov %al, %bl
    mov $0x31, %al
    sub $0x49, %al
    das
END r16_bcd

CASE r16_aam_aad, 16, -1, FL_OF | FL_AF | FL_CF
    mov $0x73, %al
    aam
    aad $16
END r16_aam_aad

CASE r16_div_by_zero, 16, VEC_DE, FL_ARITH
    mov $5, %ax
    xor %dx, %dx
    xor %bx, %bx
    div %bx
END r16_div_by_zero

CASE r16_ud2, 16, VEC_UD
    ud2
END r16_ud2

CASE r16_int3_mid, 16, VEC_BP
    mov $1, %ax
    int3
    mov $2, %ax
END r16_int3_mid

CASE r16_into, 16, VEC_OF
    mov $0x7f, %al
    add $1, %al
    into
END r16_into

CASE r16_bound_out, 16, VEC_BR
    movw $10, 0x20
    movw $20, 0x22
    mov $30, %ax
    bound %ax, 0x20
END r16_bound_out

CASE r16_call_ret_near, 16
    call 1f
    jmp 2f
1:  mov $0x1234, %dx
    ret
2:  call 3f
3:  pop %bx                     /* our IP */
END r16_call_ret_near

CASE r16_far_call_ret, 16
    push %cs
    call 1f                     /* a far call, by hand: push cs; call near; retf pops IP and CS */
    jmp 2f
1:  lret
2:  mov %cs, %ax
END r16_far_call_ret

CASE r16_jmp_rel16, 16
    .byte 0xe9
    .word 1f - 2f               /* jmp rel16 */
2:  mov $1, %ax
1:  mov $2, %bx
END r16_jmp_rel16

CASE r16_loop_cx, 16
    mov $0xffff0005, %ecx
    xor %ax, %ax
1:  add %cx, %ax
    loop 1b
END r16_loop_cx

CASE r16_segment_arith, 16
    mov %ds, %ax
    add $0x10, %ax
    mov %ax, %es                /* ES = DS + 0x10: offset 0 there is 0x100 here */
    movb $0x42, %es:0
    mov 0x100, %bl
    mov $DIFF16_DATA_SEG, %ax
    mov %ax, %es
END r16_segment_arith

CASE r16_lds_les, 16
    movw $0x123, 0x40
    movw $DIFF16_DATA_SEG, 0x42
    les 0x40, %di
    lds 0x40, %si
END r16_lds_les

CASE r16_pushf_popf, 16
    pushf
    pop %ax
    push $0x08d5                /* status flags, DF; IF stays clear */
    popf
    pushf
    pop %bx
END r16_pushf_popf

CASE r16_xlat_bx, 16
    mov $0xffff0100, %ebx
    movb $0x66, 0x105
    mov $5, %al
    xlat
END r16_xlat_bx

CASE r16_enter_leave, 16
    enter $8, $1
    mov %sp, %ax
    mov %bp, %bx
    leave
END r16_enter_leave

CASE r16_smc, 16
    call 2f
2:  pop %bx
    movw $0x4242, %cs:(1f + 1 - 2b)(%bx)
1:  mov $0, %ax
END r16_smc
