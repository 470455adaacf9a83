#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ioemu -accel tcg runs real firmware:
#  1. Debian's SeaBIOS to its banner and "No bootable device." (no disks),
#     then SIGTERM ends the process cleanly;
#  2. a boot sector on an IDE disk, loaded and started by SeaBIOS, that
#     prints a marker on COM1 directly, checks a computed sum and exits
#     through isa-debug-exit with status (0x10 << 1) | 1 = 33.
# Both use the JIT's real mode, protected mode, port IO, interrupts (PIT
# through the 8259) and HLT.  QEMU -accel tcg takes about 0.3 s for (1)
# here; the timeouts are generous for loaded machines.
# Usage: tests/scripts/test-tcg-seabios.sh BUILD_DIR
set -u
BUILD=${1:-build}
IOEMU=$BUILD/ioemu
BIOS=${SEABIOS:-/usr/share/seabios/bios.bin}
TIMEOUT=${SEABIOS_TCG_TIMEOUT:-30}

echo "1..2"
if [ ! -x "$IOEMU" ]; then
    echo "not ok 1 - SeaBIOS under -accel tcg # $IOEMU not built"
    echo "not ok 2 - boot sector under -accel tcg # $IOEMU not built"
    exit 1
fi
if [ ! -f "$BIOS" ]; then
    echo "ok 1 # SKIP no SeaBIOS at $BIOS (apt-get install seabios)"
    echo "ok 2 # SKIP no SeaBIOS at $BIOS"
    exit 0
fi

tmp=$(mktemp -d /tmp/ioemu-tcg-seabios.XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# ---- 1: SeaBIOS to "No bootable device." ----
"$IOEMU" -accel tcg -m 128 -bios "$BIOS" -nographic -no-reboot </dev/null >"$tmp/serial" 2>"$tmp/err" &
pid=$!
start=$(date +%s.%N)
found=0
while :; do
    if grep -qa "No bootable device\." "$tmp/serial" 2>/dev/null; then
        found=1
        break
    fi
    kill -0 "$pid" 2>/dev/null || break
    [ "$(echo "$(date +%s.%N) - $start > $TIMEOUT" | bc)" = 1 ] && break
    sleep 0.02
done
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
if [ "$found" = 1 ] && grep -qa "SeaBIOS (version" "$tmp/serial"; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "not ok 1 - SeaBIOS under -accel tcg: booted in ${elapsed}s but did not exit on SIGTERM"
    else
        wait "$pid"
        rc=$?
        if [ "$rc" = 0 ]; then
            echo "ok 1 - SeaBIOS under -accel tcg: banner and 'No bootable device.' in ${elapsed}s, exit 0 on SIGTERM"
        else
            echo "not ok 1 - SeaBIOS under -accel tcg: exit status $rc on SIGTERM"
        fi
    fi
    pid=
else
    echo "not ok 1 - SeaBIOS under -accel tcg: no banner + 'No bootable device.' within ${TIMEOUT}s"
    sed 's/^/# stderr: /' "$tmp/err" | head -n 20
    tr -d '\r' <"$tmp/serial" | sed 's/^/# serial: /' | head -n 40
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=
fi

# ---- 2: a boot sector ----
# 16-bit code at 0x7c00: print the marker on COM1, sum 1..100 with LOOP,
# exit 0x10 (sum right) or 0x11 (wrong) through isa-debug-exit at 0xf4.
python3 - "$tmp/boot.img" <<'PY'
import sys
code = bytes.fromhex(
    "fa31c08ed88ed0bc007c"      # cli; xor ax,ax; mov ds,ax; mov ss,ax; mov sp,0x7c00
    "be347cbaf803"              # mov si,msg; mov dx,0x3f8
    "ac84c07403eeebf8"          # .print: lodsb; test al,al; jz .done; out dx,al; jmp .print
    "31dbb9640001cbe2fc"        # .done: xor bx,bx; mov cx,100; .sum: add bx,cx; loop .sum
    "81fbba137504b010eb02b011"  # cmp bx,5050; jne .bad; mov al,0x10; jmp .out; .bad: mov al,0x11
    "baf400eef4ebfd")           # .out: mov dx,0xf4; out dx,al; hlt; jmp $-1
assert len(code) == 0x34
msg = b"TCG-BOOT-OK\r\n\0"
img = bytearray(1 << 20)
img[0:len(code)] = code
img[0x34:0x34 + len(msg)] = msg
img[510:512] = b"\x55\xaa"
open(sys.argv[1], "wb").write(img)
PY
timeout "$TIMEOUT" "$IOEMU" -accel tcg -m 32 -bios "$BIOS" -nographic \
    -drive file="$tmp/boot.img",format=raw,if=ide \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >"$tmp/serial2" 2>"$tmp/err2"
rc=$?
if [ "$rc" = 33 ] && grep -qa "TCG-BOOT-OK" "$tmp/serial2"; then
    echo "ok 2 - boot sector under -accel tcg: marker printed, sum checked, isa-debug-exit status 33"
else
    echo "not ok 2 - boot sector under -accel tcg: exit status $rc (want 33), marker $(grep -qa TCG-BOOT-OK "$tmp/serial2" && echo seen || echo missing)"
    sed 's/^/# stderr: /' "$tmp/err2" | head -n 20
    tr -d '\r' <"$tmp/serial2" | sed 's/^/# serial: /' | head -n 40
fi
exit 0
