#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SeaBIOS boots from the emulated PIIX3 IDE: a raw and a qcow2 hard disk
# image whose boot sector reads its message from LBA 1 through INT 13h
# (SeaBIOS's ATA driver doing the IO) and prints it on COM1, then exits
# through isa-debug-exit; an ISO on the ATAPI drive (El Torito, no
# emulation) whose boot image prints its own message; -boot d with a disk
# and a CD present boots the CD; a bootindex on -device ide-cd reaches
# SeaBIOS through fw_cfg "bootorder".
# The boot code is assembled here with `as` (binutils); the ISO is made by
# xorriso (tools/install-deps.sh installs it).  Runs under every
# accelerator that works here: -accel kvm when /dev/kvm opens, -accel tcg
# when the build has it; skips when there is neither.
# Usage: tests/scripts/test-ide-boot.sh BUILD_DIR
set -u
BUILD=${1:-build}
IOEMU=$BUILD/ioemu
BIOS=${SEABIOS:-/usr/share/seabios/bios.bin}
TIMEOUT=${IDE_BOOT_TIMEOUT:-120}
TESTS=5
EXIT_CODE=99    # the guests write 0x31 to isa-debug-exit: (0x31 << 1) | 1

tmp=$(mktemp -d /tmp/ioemu-ide-boot.XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

skip_all() {
    echo "1..$TESTS"
    for i in $(seq 1 $TESTS); do echo "ok $i # SKIP $1"; done
    exit 0
}
if [ ! -x "$IOEMU" ]; then
    echo "1..$TESTS"
    for i in $(seq 1 $TESTS); do echo "not ok $i - $IOEMU not built"; done
    exit 1
fi
[ -f "$BIOS" ] || skip_all "no SeaBIOS at $BIOS"
for tool in as ld objcopy qemu-img xorriso; do
    command -v $tool >/dev/null 2>&1 || skip_all "$tool not installed (tools/install-deps.sh)"
done

# Every accelerator that works here: KVM if /dev/kvm opens, TCG if this build has it.
probe_accel() {
    timeout 20 "$IOEMU" -accel "$1" -m 16 -bios "$BIOS" -display none -S </dev/null >/dev/null 2>"$tmp/probe" &
    local p=$!
    sleep 1
    if kill -0 $p 2>/dev/null; then
        kill -TERM $p 2>/dev/null
        wait $p 2>/dev/null
        return 0
    fi
    wait $p 2>/dev/null
    return 1
}
ACCELS=
why=
if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && probe_accel kvm; then
    ACCELS="kvm"
else
    why="kvm: $(head -n 1 "$tmp/probe" 2>/dev/null)"
fi
if probe_accel tcg; then
    ACCELS="$ACCELS tcg"
else
    why="$why; tcg: $(head -n 1 "$tmp/probe")"
fi
[ -n "$ACCELS" ] || skip_all "no usable accelerator ($why)"
set -- $ACCELS
echo "1..$((TESTS * $#))"

# ---- boot code ----
# Hard disk: read LBA 1 to 0x8000 with INT 13h AH=42h (drive in DL), print the NUL-terminated string there.
cat >"$tmp/hd.S" <<'EOF'
    .code16
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7c00, %sp
    sti
    mov $dap, %si
    mov $0x42, %ah
    int $0x13
    jc fail
    mov $0x8000, %si
    jmp print
fail:
    mov $failmsg, %si
print:
    mov $0x3f8, %dx
1:  lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  mov $0x501, %dx
    mov $0x31, %al
    out %al, %dx
3:  hlt
    jmp 3b
dap:
    .byte 0x10, 0
    .word 1             # sectors
    .word 0x8000, 0     # offset, segment
    .quad 1             # LBA
failmsg:
    .asciz "IOEMU-IDE-INT13-FAILED\n"
    .org 510
    .word 0xaa55
EOF
# CD: El Torito no-emulation image loaded at 0x7c00: print the message it carries.
cat >"$tmp/cd.S" <<'EOF'
    .code16
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov $msg, %si
    mov $0x3f8, %dx
1:  lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  mov $0x501, %dx
    mov $0x31, %al
    out %al, %dx
3:  hlt
    jmp 3b
msg:
    .asciz "IOEMU-IDE-CDROM-OK\n"
    .org 2048
EOF
assemble() {
    as --32 -o "$tmp/$1.o" "$tmp/$1.S" && ld -m elf_i386 -Ttext 0x7c00 -e _start -o "$tmp/$1.elf" "$tmp/$1.o" &&
        objcopy -O binary -j .text "$tmp/$1.elf" "$tmp/$1.bin"
}
if ! assemble hd || ! assemble cd; then
    echo "not ok 1 - the boot code does not assemble"
    exit 1
fi
[ "$(stat -c %s "$tmp/hd.bin")" = 512 ] || { echo "not ok 1 - boot sector is not 512 bytes"; exit 1; }

# Disk: boot sector, then the message at LBA 1; 16 MiB.
qemu-img create -q -f raw "$tmp/disk.raw" 16M
dd if="$tmp/hd.bin" of="$tmp/disk.raw" conv=notrunc status=none
printf 'IOEMU-IDE-DISK-OK\n\0' | dd of="$tmp/disk.raw" bs=512 seek=1 conv=notrunc status=none
qemu-img convert -f raw -O qcow2 "$tmp/disk.raw" "$tmp/disk.qcow2"
# ISO with the boot image.
mkdir -p "$tmp/iso"
cp "$tmp/cd.bin" "$tmp/iso/boot.img"
echo "readme" >"$tmp/iso/README.TXT"
if ! xorriso -as mkisofs -quiet -V IOEMU_BOOT -b boot.img -no-emul-boot -boot-load-size 4 \
        -o "$tmp/cd.iso" "$tmp/iso" 2>"$tmp/xorriso.err"; then
    echo "not ok 1 - xorriso failed: $(head -n 1 "$tmp/xorriso.err")"
    exit 1
fi

# ---- boots ----
n=0
failed=0
boot() {  # description marker args...
    local desc=$1 marker=$2; shift 2
    n=$((n + 1))
    local start=$(date +%s)
    timeout "$TIMEOUT" "$IOEMU" -accel "$ACCEL" -m 64 -bios "$BIOS" -nographic -no-reboot \
        -device isa-debug-exit "$@" </dev/null >"$tmp/serial.$n" 2>"$tmp/err.$n"
    local rc=$?
    local elapsed=$(( $(date +%s) - start ))
    # SeaBIOS's serial console may flush its own pending ".\n" in the middle of ours: compare without them.
    if [ "$rc" = "$EXIT_CODE" ] && tr -d '\r\n.' <"$tmp/serial.$n" | grep -q "$marker"; then
        echo "ok $n - $desc (-accel $ACCEL, ${elapsed}s)"
        tr -d '\r' <"$tmp/serial.$n" | grep -a -E "Booting|OEMU" | sed 's/^/# /'
    else
        failed=1
        echo "not ok $n - $desc (-accel $ACCEL)"
        echo "# exit status $rc after ${elapsed}s (want $EXIT_CODE and '$marker' on the serial port)"
        sed 's/^/# stderr: /' "$tmp/err.$n" | head -n 20
        tr -d '\r' <"$tmp/serial.$n" | sed 's/^/# serial: /' | tail -n 30
    fi
}

for ACCEL in $ACCELS; do
boot "SeaBIOS boots a raw disk; INT 13h reads through the IDE disk" IOEMU-IDE-DISK-OK \
    -drive file="$tmp/disk.raw",if=ide,index=0,format=raw
boot "SeaBIOS boots a qcow2 disk (-hda)" IOEMU-IDE-DISK-OK \
    -drive file="$tmp/disk.qcow2",if=ide,index=0,format=qcow2
boot "SeaBIOS boots an ISO from the ATAPI drive (El Torito, -cdrom, -boot d)" IOEMU-IDE-CDROM-OK \
    -cdrom "$tmp/cd.iso" -boot d
boot "-boot order=dc with a disk and a CD boots the CD" IOEMU-IDE-CDROM-OK \
    -hda "$tmp/disk.raw" -drive file="$tmp/cd.iso",if=ide,index=3,media=cdrom -boot order=dc
boot "bootindex on -device ide-cd (fw_cfg bootorder) beats the default order" IOEMU-IDE-CDROM-OK \
    -drive file="$tmp/disk.qcow2",if=ide,index=0,format=qcow2 \
    -drive if=none,id=cd0,file="$tmp/cd.iso",format=raw,readonly=on \
    -device ide-cd,drive=cd0,bus=ide.1,unit=0,bootindex=0
done
exit $failed
