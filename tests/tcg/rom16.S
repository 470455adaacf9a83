/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The real-mode harness of the 16-bit differential test: a BIOS image
 * (64 KiB at F000:0000, built by qemu16.c) that runs a table of cases and
 * writes one record per case to the debug console (port 0xe9), then exits
 * through isa-debug-exit (port 0xf4).  The same image runs in QEMU (the
 * oracle) and in ioemu's JIT, and the two streams are compared.
 *
 * Per case: the code segment (1000:0000-0fff) is filled with int3 and the
 * snippet copied to its entry offset; the data segment (2000:0000-0fff:
 * data buffer, then stack) is filled with xorshift32 bytes from the case's
 * seed; the registers are loaded and an iret starts the snippet with its
 * flags.  Every exception vector 0-31 comes back to `common`, which writes
 * the record: "RC", the case index, the registers as pushed (SS GS FS ES
 * DS, then PUSHAD's EDI..EAX, the vector, IP CS FLAGS: 50 bytes) and the
 * bytes of the 4 KiB data segment that differ from their initial value
 * (u16 offset, value; u16 0xffff ends the list).  The snippet ends with int3, so a normal end is
 * vector 3 with IP just past its code.
 *
 * Layout of the image (offsets in the ROM segment; see qemu16.c):
 *   0x0000 this code; 0x1000 case count, 0x1010 the cases (64 bytes each:
 *   EAX ECX EDX EBX ESP EBP ESI EDI, u16 FLAGS, u16 entry IP, u16 ROM
 *   offset and u16 length of the code, u32 seed); 0x3100 the code of the
 *   cases; 0xfff0 the reset jump.  Scratch RAM at 0000:0500.
 * The code refers to itself only through offsets from rom16_start.
 */
#include "tests/tcg/diff.h"

#define ROM_SEG      0xf000
#define TABLE        0x1000
#define CASES        0x1010
#define VAR_SP       0x500
#define VAR_INDEX    0x502
#define VAR_CASE     0x504
#define STUB_SIZE    8
#define OFF(label)   ((label) - rom16_start)

    .section .rodata.rom16, "a"
    .code16
    .globl rom16_start, rom16_end
rom16_start:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7000, %sp
    /* Mask both 8259s: never programmed, they must not deliver the timer as a low vector. */
    mov $0xff, %al
    out %al, $0x21
    out %al, $0xa1
    /* IVT: vectors 0-31 to F000:stub(n). */
    xor %ax, %ax
    mov %ax, %es
    xor %di, %di
    mov $OFF(stubs), %ax
    mov $32, %cx
1:  stosw
    mov %ax, %bx
    mov $ROM_SEG, %ax
    stosw
    mov %bx, %ax
    add $STUB_SIZE, %ax
    loop 1b
    movw $0, VAR_INDEX

next_case:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7000, %sp
    mov $ROM_SEG, %ax
    mov %ax, %fs
    mov VAR_INDEX, %bx
    cmp %fs:TABLE, %bx
    jae done
    shl $6, %bx
    add $CASES, %bx
    mov %bx, VAR_CASE

    /* code segment: int3 everywhere, then the snippet at its entry */
    mov $DIFF16_CODE_SEG, %ax
    mov %ax, %es
    xor %di, %di
    mov $DIFF16_CODE_SIZE, %cx
    mov $0xcc, %al
    rep stosb
    mov %fs:34(%bx), %di
    mov %fs:36(%bx), %si
    mov %fs:38(%bx), %cx
    push %ds
    push %fs
    pop %ds
    rep movsb
    pop %ds

    /* data segment: xorshift32 bytes from the seed */
    mov %fs:40(%bx), %eax
    mov $DIFF16_DATA_SEG, %dx
    mov %dx, %es
    xor %di, %di
    mov $(DIFF16_DATA_SIZE + DIFF16_STACK_SIZE), %cx
2:  mov %eax, %edx
    shl $13, %edx
    xor %edx, %eax
    mov %eax, %edx
    shr $17, %edx
    xor %edx, %eax
    mov %eax, %edx
    shl $5, %edx
    xor %edx, %eax
    stosb
    loop 2b

    /* registers; an iret frame on the snippet's stack starts it with its flags */
    mov $DIFF16_DATA_SEG, %ax
    mov %ax, %ss
    mov %fs:16(%bx), %esp
    pushw %fs:32(%bx)
    pushw $DIFF16_CODE_SEG
    pushw %fs:34(%bx)
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %gs
    mov %fs:0(%bx), %eax
    mov %fs:4(%bx), %ecx
    mov %fs:8(%bx), %edx
    mov %fs:20(%bx), %ebp
    mov %fs:24(%bx), %esi
    mov %fs:28(%bx), %edi
    pushw $DIFF16_DATA_SEG
    mov %fs:12(%bx), %ebx
    pop %fs
    iret

    /* one stub per vector: push the vector, go to common */
    .balign STUB_SIZE
stubs:
    .irp v, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    .balign STUB_SIZE
    pushw $\v
    jmp common
    .endr

common:
    pushal
    push %ds
    push %es
    push %fs
    push %gs
    push %ss
    cld
    mov %ss, %ax
    mov %ax, %ds
    mov %sp, %si
    xor %ax, %ax
    mov %ax, %es
    mov $0xe9, %dx
    mov $'R', %al
    out %al, %dx
    mov $'C', %al
    out %al, %dx
    mov %es:VAR_INDEX, %ax
    out %al, %dx
    mov %ah, %al
    out %al, %dx
    mov $50, %cx
    rep outsb
    /*
     * The data segment as changes against its initial bytes (regenerated
     * from the seed): offset (2 bytes) and value per changed byte, then
     * 0xffff.  Debug-console bytes are expensive in QEMU.
     */
    mov %es:VAR_CASE, %bx
    mov $ROM_SEG, %ax
    mov %ax, %fs
    mov %fs:40(%bx), %ebx
    mov $DIFF16_DATA_SEG, %ax
    mov %ax, %ds
    xor %si, %si
    mov $(DIFF16_DATA_SIZE + DIFF16_STACK_SIZE), %cx
3:  mov %ebx, %edi
    shl $13, %edi
    xor %edi, %ebx
    mov %ebx, %edi
    shr $17, %edi
    xor %edi, %ebx
    mov %ebx, %edi
    shl $5, %edi
    xor %edi, %ebx
    mov (%si), %al
    cmp %bl, %al
    je 4f
    mov %al, %ah
    mov %si, %di
    mov %di, %ax
    out %al, %dx
    mov %ah, %al
    out %al, %dx
    mov (%si), %al
    out %al, %dx
4:  inc %si
    loop 3b
    mov $0xff, %al
    out %al, %dx
    out %al, %dx
    xor %ax, %ax
    mov %ax, %ds
    incw VAR_INDEX
    jmp next_case

done:
    mov $0xe9, %dx
    mov $'E', %al
    out %al, %dx
    mov $'N', %al
    out %al, %dx
    mov $'D', %al
    out %al, %dx
    xor %al, %al
    out %al, $0xf4
    hlt
    jmp done
rom16_end:

    .code64
    .section .note.GNU-stack, "", @progbits
