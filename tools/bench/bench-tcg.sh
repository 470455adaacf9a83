#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The JIT against QEMU's, both -accel tcg, side by side:
#  1. time from start to SeaBIOS's "No bootable device." (best of R runs);
#  2. a CPU-bound guest: a boot sector that enters 32-bit protected mode and
#     runs N iterations of a 62-instruction loop (multiply, add/xor/rotate,
#     a data-dependent branch, an 8-dword copy loop), then leaves through
#     isa-debug-exit.  Guest instructions per second come from two runs
#     (N1 and N2 iterations) so boot time cancels out.
# Prints a table with ioemu/QEMU ratios (for times, below 1 means ioemu is
# faster; for instructions per second, above 1).
# Usage: tools/bench/bench-tcg.sh [BUILD_DIR]   (env: RUNS, N1, N2)
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-build}
IOEMU=$BUILD/ioemu
QEMU=${QEMU:-qemu-system-x86_64}
BIOS=${SEABIOS:-/usr/share/seabios/bios.bin}
RUNS=${RUNS:-5}
N1=${N1:-1000000}
N2=${N2:-11000000}
LOOP_INSNS=62

if [ ! -x "$IOEMU" ]; then
    echo "bench-tcg: $IOEMU not built" >&2
    exit 1
fi
if [ ! -f "$BIOS" ]; then
    echo "bench-tcg: no SeaBIOS at $BIOS" >&2
    exit 1
fi
have_qemu=1
command -v "$QEMU" >/dev/null 2>&1 || have_qemu=0

tmp=$(mktemp -d /tmp/ioemu-bench-tcg.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }

# Seconds until "No bootable device." appears on the serial console.
boot_time() {
    local out="$tmp/boot.out" start pid t
    : >"$out"
    start=$(now)
    "$@" </dev/null >"$out" 2>&1 &
    pid=$!
    while ! grep -qa "No bootable device\." "$out"; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$(echo "$(now) - $start > 60" | bc)" = 1 ]; then
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            echo "nan"
            return
        fi
        sleep 0.005
    done
    t=$(echo "$(now) - $start" | bc)
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    echo "$t"
}

best() {   # best of RUNS
    local b=nan t
    for _ in $(seq 1 "$RUNS"); do
        t=$("$@")
        if [ "$b" = nan ] || { [ "$t" != nan ] && [ "$(echo "$t < $b" | bc)" = 1 ]; }; then
            b=$t
        fi
    done
    echo "$b"
}

# ---- the CPU-bound guest ----
cat >"$tmp/loop.S" <<'EOF'
    .code16
    .globl _start
_start:
    cli
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %ss
    movw $0x7c00, %sp
    inb $0x92, %al              # A20 on (fast gate)
    orb $2, %al
    andb $0xfe, %al
    outb %al, $0x92
    lgdtl gdtr
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $pm
    .code32
pm:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $0x7c00, %esp
    movl iterations, %ecx
    xorl %ebx, %ebx
    xorl %edx, %edx
1:  movl %ecx, %eax
    imull $0x9e3779b1, %eax, %eax
    addl %eax, %ebx
    xorl %ebx, %edx
    roll $5, %edx
    testl $0x100, %eax
    jz 2f
    addl $3, %ebx
    jmp 3f
2:  subl $1, %ebx
    nop
3:  movl $0x20000, %esi
    movl $0x30000, %edi
    movl $8, %ebp
4:  movl (%esi), %eax
    movl %eax, (%edi)
    addl $4, %esi
    addl $4, %edi
    decl %ebp
    jnz 4b
    decl %ecx
    jnz 1b
    movb $0x10, %al
    movw $0xf4, %dx
    outb %al, %dx
5:  hlt
    jmp 5b
    .p2align 3
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff
    .quad 0x00cf92000000ffff
gdtr:
    .word 23
    .long gdt
    .org 500
iterations:
    .long 1000
    .org 510
    .byte 0x55, 0xaa
EOF
if ! as --32 -o "$tmp/loop.o" "$tmp/loop.S" || ! ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$tmp/loop.bin" "$tmp/loop.o"; then
    echo "bench-tcg: cannot assemble the guest loop (binutils)" >&2
    exit 1
fi

make_image() {   # iterations -> image path
    local img="$tmp/loop-$1.img"
    python3 - "$tmp/loop.bin" "$img" "$1" <<'PY'
import struct, sys
code = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<I", code, 500, int(sys.argv[3]))
img = bytearray(1 << 20)
img[:512] = code
open(sys.argv[2], "wb").write(img)
PY
    echo "$img"
}

run_time() {   # emulator image -> seconds until it exits with status 33
    local start rc t
    start=$(now)
    "$@" </dev/null >/dev/null 2>&1
    rc=$?
    t=$(echo "$(now) - $start" | bc)
    if [ "$rc" != 33 ]; then
        echo nan
    else
        echo "$t"
    fi
}

img1=$(make_image "$N1")
img2=$(make_image "$N2")
ioemu_loop() { run_time timeout 120 "$IOEMU" -accel tcg -m 32 -bios "$BIOS" -nographic -drive file="$1",format=raw,if=ide -device isa-debug-exit,iobase=0xf4,iosize=0x04; }
qemu_loop() { run_time timeout 120 "$QEMU" -accel tcg -m 32 -bios "$BIOS" -nographic -net none -drive file="$1",format=raw,if=ide -device isa-debug-exit,iobase=0xf4,iosize=0x04; }

ips() {   # t1 t2 -> guest instructions per second
    if [ "$1" = nan ] || [ "$2" = nan ]; then
        echo nan
        return
    fi
    echo "($N2 - $N1) * $LOOP_INSNS / ($2 - $1)" | bc -l
}

ratio() {
    if [ "$1" = nan ] || [ "$2" = nan ]; then
        echo "-"
    else
        printf "%.2f" "$(echo "$1 / $2" | bc -l)"
    fi
}

echo "TCG benchmark: ioemu ($IOEMU) vs QEMU ($QEMU), both -accel tcg, best of $RUNS"
io_boot=$(best boot_time "$IOEMU" -accel tcg -m 128 -bios "$BIOS" -nographic -no-reboot)
io_t1=$(best ioemu_loop "$img1")
io_t2=$(best ioemu_loop "$img2")
io_ips=$(ips "$io_t1" "$io_t2")
if [ "$have_qemu" = 1 ]; then
    q_boot=$(best boot_time "$QEMU" -accel tcg -m 128 -bios "$BIOS" -nographic -no-reboot -net none)
    q_t1=$(best qemu_loop "$img1")
    q_t2=$(best qemu_loop "$img2")
    q_ips=$(ips "$q_t1" "$q_t2")
else
    q_boot=nan q_ips=nan
fi
fmt() { [ "$1" = nan ] && echo "-" || printf "%.3f" "$1"; }
fmtm() { [ "$1" = nan ] && echo "-" || printf "%.0f M" "$(echo "$1 / 1000000" | bc -l)"; }
printf "%-44s %12s %12s %8s\n" "measure" "ioemu" "qemu" "ratio"
printf "%-44s %12s %12s %8s\n" "SeaBIOS to 'No bootable device.' (s)" "$(fmt "$io_boot")" "$(fmt "$q_boot")" \
    "$(ratio "$io_boot" "$q_boot")"
printf "%-44s %12s %12s %8s\n" "guest loop, instructions per second" "$(fmtm "$io_ips")" "$(fmtm "$q_ips")" \
    "$(ratio "$io_ips" "$q_ips")"
