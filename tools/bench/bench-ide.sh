#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sequential read and write throughput through the emulated PIIX3 IDE
# disk, ioemu against QEMU, same accelerator, same raw image:
# a boot sector (assembled here) finds the bus master block in PCI config
# space and issues READ DMA EXT / WRITE DMA EXT of 128 KiB (two 64 KiB PRD
# entries) one after the other, polling the bus master status, then exits
# through isa-debug-exit.  Throughput = bytes / (time with N commands -
# time with none), so firmware boot time cancels out; best of RUNS.
# Prints MiB/s and the ioemu/QEMU ratio (above 1: ioemu faster).
# TCG is the default: under this machine's nested KVM a firmware boot takes
# ~6 s with +-0.5 s of jitter, more than the IO itself.
# Usage: tools/bench/bench-ide.sh [BUILD_DIR]   (env: RUNS, MIB, ACCEL=tcg|kvm)
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-build}
IOEMU=$BUILD/ioemu
QEMU=${QEMU:-qemu-system-x86_64}
BIOS=${SEABIOS:-/usr/share/seabios/bios.bin}
RUNS=${RUNS:-3}
MIB=${MIB:-256}
CMDS=$((MIB * 8))          # 128 KiB per command

for tool in as ld objcopy; do
    command -v $tool >/dev/null 2>&1 || { echo "bench-ide: $tool not installed" >&2; exit 1; }
done
[ -x "$IOEMU" ] || { echo "bench-ide: $IOEMU not built" >&2; exit 1; }
have_qemu=1
command -v "$QEMU" >/dev/null 2>&1 || have_qemu=0

tmp=$(mktemp -d /tmp/ioemu-bench-ide.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Pick the accelerator both can use: TCG when ioemu has it (cheap IO exits), else KVM.
if [ -z "${ACCEL:-}" ]; then
    ACCEL=kvm
    if timeout 10 "$IOEMU" -accel tcg -m 16 -display none -S </dev/null >/dev/null 2>&1 & p=$!; sleep 1; kill -0 $p 2>/dev/null; then
        ACCEL=tcg
    fi
    kill -TERM $p 2>/dev/null; wait $p 2>/dev/null
fi

# The guest.  The word at 0x1f0 of the sector is the command count, the byte at 0x1f4 the opcode.
cat >"$tmp/bench.S" <<'EOF'
    .code16
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7c00, %sp
    # Bus master enable and BAR4 of 00:01.1.
    mov $0xcf8, %dx
    movl $0x80000904, %eax
    outl %eax, %dx
    mov $0xcfc, %dx
    inw %dx, %ax
    or $0x05, %ax
    outw %ax, %dx
    mov $0xcf8, %dx
    movl $0x80000920, %eax
    outl %eax, %dx
    mov $0xcfc, %dx
    inl %dx, %eax
    and $0xfffc, %ax
    mov %ax, bmbase
    # PRD table at 0x7000: 64 KiB at 1 MiB, 64 KiB at 1 MiB + 64 KiB (EOT).
    movl $0x100000, 0x7000
    movl $0x00000000, 0x7004
    movl $0x110000, 0x7008
    movl $0x80000000, 0x700c
    movl $256, %esi             # LBA: past the boot sector, which the writes must not hit
    mov count, %cx
    test %cx, %cx
    jz done
next:
    mov bmbase, %dx             # stop, clear status, table
    xor %al, %al
    outb %al, %dx
    add $2, %dx
    mov $0x06, %al
    outb %al, %dx
    add $2, %dx
    movl $0x7000, %eax
    outl %eax, %dx
    mov $0x1f6, %dx             # 48-bit taskfile: 256 sectors at LBA esi
    mov $0x40, %al
    outb %al, %dx
    mov $0x1f2, %dx
    mov $0x01, %al
    outb %al, %dx
    xor %al, %al
    outb %al, %dx
    mov %esi, %eax
    mov $0x1f3, %dx
    rol $8, %eax                # bits 31:24
    outb %al, %dx
    ror $8, %eax
    outb %al, %dx               # bits 7:0
    mov $0x1f4, %dx
    xor %al, %al
    outb %al, %dx
    mov %ah, %al
    outb %al, %dx               # bits 15:8
    mov $0x1f5, %dx
    xor %al, %al
    outb %al, %dx
    mov %esi, %eax
    shr $16, %eax
    outb %al, %dx               # bits 23:16
    mov $0x1f7, %dx
    mov opcode, %al
    outb %al, %dx
    mov bmbase, %dx             # start: to memory for reads
    mov $0x09, %al
    cmpb $0x25, opcode
    je 1f
    mov $0x01, %al
1:  outb %al, %dx
    add $2, %dx
2:  inb %dx, %al
    test $0x04, %al
    jz 2b
    mov bmbase, %dx
    xor %al, %al
    outb %al, %dx
    mov $0x1f7, %dx
    inb %dx, %al
    test $0x01, %al
    jnz fail
    add $256, %esi
    dec %cx
    jnz next
done:
    mov $okmsg, %si
    jmp print
fail:
    mov $errmsg, %si
print:
    mov $0x3f8, %dx
3:  lodsb
    test %al, %al
    jz 4f
    outb %al, %dx
    jmp 3b
4:  mov $0x501, %dx
    mov $0x31, %al
    outb %al, %dx
5:  hlt
    jmp 5b
bmbase: .word 0
okmsg:  .asciz "BENCH-DONE\n"
errmsg: .asciz "BENCH-ERROR\n"
    .org 0x1f0
count:  .word 0
    .word 0
opcode: .byte 0x25
    .org 510
    .word 0xaa55
EOF
as --32 -o "$tmp/bench.o" "$tmp/bench.S" && ld -m elf_i386 -Ttext 0x7c00 -e _start -o "$tmp/bench.elf" "$tmp/bench.o" &&
    objcopy -O binary -j .text "$tmp/bench.elf" "$tmp/bench.bin" || { echo "bench-ide: assembly failed" >&2; exit 1; }

disk=$tmp/disk.raw
# Data to read: MIB of random bytes after the boot sector area (LBA 0 is overwritten by the writes: fine).
dd if=/dev/urandom of="$disk" bs=1M count=$((MIB + 1)) status=none

# Put the boot sector with count/opcode into the image.
set_guest() {  # count opcode
    cp "$tmp/bench.bin" "$tmp/boot.bin"
    printf "$(printf '\\x%02x\\x%02x' $(($1 & 0xff)) $(($1 >> 8)))" | dd of="$tmp/boot.bin" bs=1 seek=$((0x1f0)) conv=notrunc status=none
    printf "$(printf '\\x%02x' "$2")" | dd of="$tmp/boot.bin" bs=1 seek=$((0x1f4)) conv=notrunc status=none
    dd if="$tmp/boot.bin" of="$disk" conv=notrunc status=none
}

run_once() {  # emulator -> seconds, or nan
    local start end rc
    start=$(date +%s.%N)
    if [ "$1" = ioemu ]; then
        timeout 300 "$IOEMU" -accel "$ACCEL" -m 256 -bios "$BIOS" -display none -nodefaults -no-reboot \
            -serial file:"$tmp/serial" -device isa-debug-exit \
            -drive file="$disk",if=ide,index=0,format=raw,cache=writeback </dev/null >/dev/null 2>"$tmp/err"
    else
        timeout 300 "$QEMU" -machine pc -accel "$ACCEL" -m 256 -bios "$BIOS" -display none -nodefaults -no-reboot \
            -serial file:"$tmp/serial" -device isa-debug-exit \
            -drive file="$disk",if=ide,index=0,format=raw,cache=writeback </dev/null >/dev/null 2>"$tmp/err"
    fi
    rc=$?
    end=$(date +%s.%N)
    if [ "$rc" != 99 ] || ! grep -q BENCH-DONE "$tmp/serial"; then
        echo nan
        return
    fi
    echo "$end - $start" | bc
}

best_of() {  # emulator count opcode
    local best=nan t
    set_guest "$2" "$3"
    for _ in $(seq 1 "$RUNS"); do
        t=$(run_once "$1")
        [ "$t" = nan ] && continue
        if [ "$best" = nan ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then
            best=$t
        fi
    done
    echo "$best"
}

throughput() {  # emulator opcode -> MiB/s
    local base full
    base=$(best_of "$1" 0 "$2")
    full=$(best_of "$1" "$CMDS" "$2")
    if [ "$base" = nan ] || [ "$full" = nan ] || [ "$(echo "$full <= $base" | bc)" = 1 ]; then
        echo nan
        return
    fi
    echo "scale=1; $MIB / ($full - $base)" | bc
}

printf 'IDE sequential DMA, %d MiB in 128 KiB commands, -accel %s, raw image, cache=writeback, best of %d\n' \
    "$MIB" "$ACCEL" "$RUNS"
printf '%-22s %12s %12s %8s\n' "workload" "ioemu MiB/s" "QEMU MiB/s" "ratio"
status=0
for w in "read:0x25" "write:0x35"; do
    name=${w%%:*}
    op=$((${w#*:}))
    io=$(throughput ioemu "$op")
    qm=nan
    [ "$have_qemu" = 1 ] && qm=$(throughput qemu "$op")
    ratio=nan
    if [ "$io" != nan ] && [ "$qm" != nan ]; then
        ratio=$(echo "scale=2; $io / $qm" | bc)
    fi
    [ "$io" = nan ] && status=1
    printf '%-22s %12s %12s %8s\n' "sequential $name" "$io" "$qm" "$ratio"
done
exit $status
