#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The most complete path ioemu runs today: Debian's SeaBIOS on the pc board
# under KVM, its console on the emulated 16550 UART shown here live, until
# "No bootable device." (there are no disks), then a clean SIGTERM exit.
# Without a usable /dev/kvm it falls back to a CPU-less smoke run over the
# qtest protocol (reads the i440FX's PCI ids and the RTC through the same
# device models).  `make demo` runs this.
# Usage: tools/demo.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${1:-build}
IOEMU=$BUILD/ioemu
BIOS=${SEABIOS:-/usr/share/seabios/bios.bin}
TIMEOUT=${TIMEOUT:-120}

if [ ! -x "$IOEMU" ]; then
    echo "demo: $IOEMU not built (run make)" >&2
    exit 1
fi
tmp=$(mktemp -d /tmp/ioemu-demo.XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

kvm_usable() {
    [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]
}

qtest_smoke() {
    echo "demo: $1; running a CPU-less smoke test over the qtest protocol instead."
    local cmds="outl 0xcf8 0x80000000
inl 0xcfc
outl 0xcf8 0x80000800
inl 0xcfc
outb 0x70 0x32
inb 0x71
outb 0x70 0x09
inb 0x71
outb 0x501 0x00"
    # The last command writes isa-debug-exit, which ends the process (status 1 = (0 << 1) | 1).
    echo "$ $IOEMU -machine pc -accel qtest -qtest stdio -display none -device isa-debug-exit"
    local replies
    replies=$(printf '%s\n' "$cmds" | timeout 20 "$IOEMU" -machine pc -accel qtest -qtest stdio -display none \
              -device isa-debug-exit 2>"$tmp/err")
    paste -d '\t' <(printf '%s\n' "$cmds") <(printf '%s\n' "$replies" | grep '^OK' ) | sed 's/^/  /'
    if ! printf '%s\n' "$replies" | grep -q '^OK 0x12378086$'; then
        echo "demo: unexpected replies (host bridge should be 8086:1237)" >&2
        sed 's/^/  stderr: /' "$tmp/err" >&2
        return 1
    fi
    echo "demo: i440FX host bridge 8086:1237 and PIIX3 answered over qtest."
}

if [ -n "${DEMO_FORCE_QTEST:-}" ] || ! kvm_usable; then
    qtest_smoke "no usable /dev/kvm"
    exit $?
fi
if [ ! -f "$BIOS" ]; then
    echo "demo: no SeaBIOS at $BIOS (apt-get install seabios)" >&2
    exit 1
fi

echo "$ $IOEMU -accel kvm -m 128 -bios $BIOS -nographic"
echo "---- serial console (COM1) ----"
"$IOEMU" -accel kvm -m 128 -bios "$BIOS" -nographic </dev/null >"$tmp/serial" 2>"$tmp/err" &
pid=$!
start=$(date +%s%N)
shown=0
found=0
while :; do
    # Show the console as it arrives (without SeaBIOS's terminal reset sequences).
    size=$(stat -c %s "$tmp/serial")
    if [ "$size" -gt "$shown" ]; then
        tail -c +"$((shown + 1))" "$tmp/serial" | head -c "$((size - shown))" | tr -d '\r' |
            sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g'
        shown=$size
    fi
    if grep -q "No bootable device." "$tmp/serial"; then
        found=1
        break
    fi
    kill -0 "$pid" 2>/dev/null || break
    [ $(( ($(date +%s%N) - start) / 1000000000 )) -ge "$TIMEOUT" ] && break
    sleep 0.1
done
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo
echo "-------------------------------"
if [ "$found" = 0 ]; then
    if ! kill -0 "$pid" 2>/dev/null && grep -q "^ioemu: -accel kvm:" "$tmp/err"; then
        pid=
        qtest_smoke "KVM unusable ($(head -n 1 "$tmp/err"))"
        exit $?
    fi
    echo "demo: SeaBIOS did not reach 'No bootable device.' within ${TIMEOUT}s" >&2
    sed 's/^/  stderr: /' "$tmp/err" >&2
    exit 1
fi
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
echo "demo: SeaBIOS reached 'No bootable device.' after ${elapsed_ms} ms under KVM; ioemu exited with status $rc on SIGTERM."
exit 0
