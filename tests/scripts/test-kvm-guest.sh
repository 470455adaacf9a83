#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run-under-sanitizers
# The KVM accelerator with a tiny real-mode guest of our own (assembled here
# with binutils' `as`, loaded with -bios): string port IO (rep outsb, rep
# insb) on the debug console, MMIO exits to unassigned memory, a guest write to the BIOS ROM that must be ignored, PIT
# channel 2 counted down through the in-kernel PIT and polled on port 0x61
# bit 5, a UART interrupt through GSI 4 and the in-kernel PIC, a reset through the PIIX3's port 0xcf9 that must restart the vCPU
# at the reset vector with RAM kept (or, with -no-reboot, end the process),
# a triple fault, and the guest's exit code through isa-debug-exit.
# Skips without /dev/kvm or without `as`.
# Usage: tests/scripts/test-kvm-guest.sh BUILD_DIR
set -u
BUILD=${1:-build}
IOEMU=$BUILD/ioemu

if [ ! -x "$IOEMU" ]; then
    echo "1..0 # SKIP $IOEMU not built"
    exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "1..0 # SKIP no /dev/kvm"
    exit 0
fi
if ! command -v as >/dev/null || ! command -v objcopy >/dev/null; then
    echo "1..0 # SKIP no binutils (as, objcopy)"
    exit 0
fi

tmp=$(mktemp -d /tmp/ioemu-kvm-guest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# A 64 KiB BIOS image: the board maps it below 4 GiB and at 0xf0000.
cat >"$tmp/guest.S" <<'EOF'
    .code16
    .org 0xfc00
start:
    xor %ax, %ax
    mov %ax, %ds
    cmpb $0x5a, 0x500           /* RAM survives a reset: second boot? */
    je second_boot
    movb $0x5a, 0x500
    mov $'A', %al
    out %al, $0xe9
.ifdef TRIPLE_FAULT
    /* With an empty IDT, int3 raises #GP, then #DF, then shutdown (a triple fault). */
    lidt %cs:empty_idt
    int3
.else
    /* PIIX3 reset control register (0xcf9): hard reset (bit 1), then reset CPU (bit 2). */
    mov $0xcf9, %dx
    mov $0x02, %al
    out %al, %dx
    mov $0x06, %al
    out %al, %dx
.endif
    hlt

second_boot:
    mov $'B', %al
    out %al, $0xe9
    /*
     * An interrupt from a userspace device through the in-kernel PIC:
     * COM1's THR-empty interrupt on ISA IRQ 4 (GSI 4, KVM_IRQ_LINE), PIC
     * vectors at 8, so the handler sits in IVT entry 0x0c.
     */
    cli
    xor %ax, %ax
    mov %ax, %ss
    mov $0x7000, %sp
    movw $irq4_handler, 0x30
    movw $0xf000, 0x32
    mov $0x11, %al              /* ICW1: edge, cascade, ICW4 follows */
    out %al, $0x20
    mov $0x08, %al              /* ICW2: vectors 8-15 */
    out %al, $0x21
    mov $0x04, %al              /* ICW3: slave on IRQ 2 */
    out %al, $0x21
    mov $0x01, %al              /* ICW4: 8086 mode */
    out %al, $0x21
    mov $0xef, %al              /* OCW1: only IRQ 4 unmasked */
    out %al, $0x21
    mov $0x3fc, %dx             /* MCR: OUT2 gates the UART's interrupt onto the bus */
    mov $0x08, %al
    out %al, %dx
    mov $0x3f9, %dx             /* IER: transmitter holding register empty */
    mov $0x02, %al
    out %al, %dx
    sti
    hlt                         /* woken by the interrupt */
    cli
    /* String IO: KVM hands the whole "rep outsb" over in one exit (count > 1). */
    mov $0xf000, %ax
    mov %ax, %ds
    mov $msg, %si
    mov $(msg_end - msg), %cx
    mov $0xe9, %dx
    cld
    rep outsb
    /* String input: "rep insb" from the debug console port reads 0xe9 per byte (bochs convention). */
    xor %ax, %ax
    mov %ax, %es
    mov $0x600, %di
    mov $4, %cx
    mov $0xe9, %dx
    rep insb
    cmpl $0xe9e9e9e9, %es:0x600
    jne skip_insb
    mov $'S', %al
    out %al, $0xe9
skip_insb:
    /* MMIO exits: nothing decodes 0xa0000 here (no VGA), so a write vanishes and reads are all-ones. */
    mov $0xa000, %ax
    mov %ax, %es
    movw $0x1234, %es:0x10
    cmpw $0xffff, %es:0x10
    jne skip_mmio
    cmpb $0xff, %es:0x11
    jne skip_mmio
    mov $'M', %al
    out %al, $0xe9
skip_mmio:
    /* A write to the BIOS ROM must not stick. */
    movb $'X', %ds:(rom_byte)
    movb %ds:(rom_byte), %al
    out %al, $0xe9
    /* PIT channel 2, mode 0, count 0x1000 (3.4 ms): gate on through port 0x61, wait for OUT2. */
    in $0x61, %al
    and $0xfc, %al
    or $0x01, %al
    out %al, $0x61
    mov $0xb0, %al
    out %al, $0x43
    xor %al, %al
    out %al, $0x42
    mov $0x10, %al
    out %al, $0x42
wait_out2:
    in $0x61, %al
    test $0x20, %al
    jz wait_out2
    mov $'T', %al
    out %al, $0xe9
    /* isa-debug-exit: the process exits with (0x2a << 1) | 1 = 85. */
    mov $0x2a, %al
    out %al, $0xf4
    hlt

irq4_handler:
    push %ax
    push %dx
    mov $'I', %al
    out %al, $0xe9
    mov $0x3f9, %dx             /* IER = 0: no more interrupts */
    xor %al, %al
    out %al, %dx
    mov $0x20, %al              /* non-specific EOI */
    out %al, $0x20
    pop %dx
    pop %ax
    iret

empty_idt:
    .word 0
    .long 0
msg:
    .ascii "-string-io-"
msg_end:
rom_byte:
    .byte 'R'

    .org 0xfff0
    jmp start
    .org 0x10000
EOF
if ! as --32 -o "$tmp/guest.o" "$tmp/guest.S" 2>"$tmp/as.err" ||
   ! objcopy -O binary -j .text "$tmp/guest.o" "$tmp/guest.bin" ||
   ! as --32 --defsym TRIPLE_FAULT=1 -o "$tmp/tf.o" "$tmp/guest.S" 2>"$tmp/as.err" ||
   ! objcopy -O binary -j .text "$tmp/tf.o" "$tmp/triple-fault.bin"; then
    echo "1..0 # SKIP cannot assemble the guest: $(head -n 1 "$tmp/as.err")"
    exit 0
fi

n=0
fail=0
ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

# run NAME EXPECTED_STATUS EXPECTED_DEBUGCON EXTRA_ARGS...
run() {
    local name=$1 want_rc=$2 want_out=$3; shift 3
    launch "$@"
    local rc=$?
    local got
    got=$(cat "$tmp/con" 2>/dev/null)
    if [ "$rc" = 1 ] && grep -q "^ioemu: -accel kvm:" "$tmp/err"; then
        n=$((n + 1)); echo "ok $n # SKIP KVM unusable: $(head -n 1 "$tmp/err")"
        return
    fi
    if [ "$rc" != "$want_rc" ] || [ "$got" != "$want_out" ]; then
        not_ok "$name" "want status $want_rc, debugcon '$want_out'" "got status $rc, debugcon '$got'" \
            "stderr: $(head -c 400 "$tmp/err")"
    elif grep -qE 'Sanitizer|runtime error' "$tmp/err"; then
        not_ok "$name: no sanitizer report" "$(head -n 3 "$tmp/err")"
    else
        ok "$name (status $rc, '$got')"
    fi
}

# launch [-bios FILE] EXTRA_ARGS...: run the guest, debugcon to $tmp/con; returns the exit status.
launch() {
    local bios=$tmp/guest.bin
    if [ "${1:-}" = -bios ]; then
        bios=$2
        shift 2
    fi
    rm -f "$tmp/con"
    timeout 60 "$IOEMU" -accel kvm -m 16 -bios "$bios" -display none \
        -debugcon "file:$tmp/con" -device isa-debug-exit,iobase=0xf4,iosize=4 -serial null "$@" \
        </dev/null >"$tmp/out" 2>"$tmp/err"
}

run "reset via 0xcf9 restarts the vCPU (RAM kept); UART IRQ via in-kernel PIC; string IO, MMIO, ROM write ignored, port 0x61 OUT2, debug exit" \
    85 "ABI-string-io-SMRT"
run "same on two vCPUs (the AP waits for SIPI)" 85 "ABI-string-io-SMRT" -smp 2
run "-no-reboot: the guest's reset ends the process with status 0" 0 "A" -no-reboot

# -S: the vCPU stays parked (nothing reaches the debug console); SIGTERM still ends the process cleanly.
rm -f "$tmp/con"
"$IOEMU" -accel kvm -m 16 -bios "$tmp/guest.bin" -display none -debugcon "file:$tmp/con" \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -S </dev/null >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid"
rc=$?
if [ "$rc" = 1 ] && grep -q "^ioemu: -accel kvm:" "$tmp/err"; then
    n=$((n + 1)); echo "ok $n # SKIP KVM unusable: $(head -n 1 "$tmp/err")"
elif [ "$rc" = 0 ] && [ ! -s "$tmp/con" ]; then
    ok "-S: no guest code runs; SIGTERM exits with status 0"
else
    not_ok "-S: no guest code runs; SIGTERM exits with status 0" \
        "status $rc, debugcon '$(cat "$tmp/con" 2>/dev/null)'" "stderr: $(head -c 400 "$tmp/err")"
fi

# A triple fault is a reset on hardware KVM; a software-emulating KVM may
# instead fail to emulate the exception delivery.  Either way: no crash, and
# with -no-reboot either status 0 or one clear error line and status 1.
launch -bios "$tmp/triple-fault.bin" -no-reboot
rc=$?
if [ "$rc" = 0 ] && [ "$(cat "$tmp/con")" = A ]; then
    ok "triple fault with -no-reboot: reset request, status 0"
elif [ "$rc" = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "^ioemu: kvm: vCPU 0: KVM internal error" "$tmp/err"; then
    ok "triple fault with -no-reboot: this KVM cannot emulate it; clean error ($(cat "$tmp/err"))"
elif [ "$rc" = 1 ] && grep -q "^ioemu: -accel kvm:" "$tmp/err"; then
    n=$((n + 1)); echo "ok $n # SKIP KVM unusable: $(head -n 1 "$tmp/err")"
else
    not_ok "triple fault with -no-reboot" "status $rc, debugcon '$(cat "$tmp/con" 2>/dev/null)'" \
        "stderr: $(head -c 400 "$tmp/err")"
fi

echo "1..$n"
exit $fail
