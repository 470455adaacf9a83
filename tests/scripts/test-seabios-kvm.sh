#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot Debian's SeaBIOS on ioemu under KVM with the serial console on stdio
# (-nographic makes the board set fw_cfg "etc/sercon-port"), and wait for
# the banner and "No bootable device." (there are no disks).  Then SIGTERM
# must end the process cleanly (status 0).
# /dev/kvm here may be a slow software-nested KVM: QEMU itself takes ~5-12 s
# for the same run, so the timeout is generous.  Skips without a usable
# /dev/kvm or without SeaBIOS.
# Usage: tests/scripts/test-seabios-kvm.sh BUILD_DIR
set -u
BUILD=${1:-build}
IOEMU=$BUILD/ioemu
BIOS=${SEABIOS:-/usr/share/seabios/bios.bin}
TIMEOUT=${SEABIOS_KVM_TIMEOUT:-120}

echo "1..1"
if [ ! -x "$IOEMU" ]; then
    echo "not ok 1 - SeaBIOS boots to 'No bootable device.' under -accel kvm # $IOEMU not built"
    exit 1
fi
if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "ok 1 # SKIP no /dev/kvm"
    exit 0
fi
if [ ! -f "$BIOS" ]; then
    echo "ok 1 # SKIP no SeaBIOS at $BIOS (apt-get install seabios)"
    exit 0
fi

tmp=$(mktemp -d /tmp/ioemu-seabios-kvm.XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

"$IOEMU" -accel kvm -m 128 -bios "$BIOS" -nographic -no-reboot </dev/null >"$tmp/serial" 2>"$tmp/err" &
pid=$!
start=$(date +%s)
found=0
while [ $(( $(date +%s) - start )) -lt "$TIMEOUT" ]; do
    if grep -q "No bootable device." "$tmp/serial" 2>/dev/null; then
        found=1
        break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        break
    fi
    sleep 0.2
done
elapsed=$(( $(date +%s) - start ))

if [ "$found" = 0 ] && ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"
    rc=$?
    pid=
    if [ "$rc" = 1 ] && grep -q "^ioemu: -accel kvm:" "$tmp/err"; then
        echo "ok 1 # SKIP KVM unusable: $(head -n 1 "$tmp/err")"
        exit 0
    fi
    echo "not ok 1 - SeaBIOS boots to 'No bootable device.' under -accel kvm"
    echo "# ioemu exited with status $rc after ${elapsed}s"
    sed 's/^/# stderr: /' "$tmp/err" | head -n 20
    tr -d '\r' <"$tmp/serial" | sed 's/^/# serial: /' | head -n 40
    exit 1
fi
if [ "$found" = 0 ]; then
    echo "not ok 1 - SeaBIOS boots to 'No bootable device.' under -accel kvm"
    echo "# no 'No bootable device.' within ${TIMEOUT}s"
    sed 's/^/# stderr: /' "$tmp/err" | head -n 20
    tr -d '\r' <"$tmp/serial" | sed 's/^/# serial: /' | head -n 40
    exit 1
fi

# A clean exit on SIGTERM.
kill -TERM "$pid"
for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
    echo "not ok 1 - SeaBIOS boots to 'No bootable device.' under -accel kvm"
    echo "# booted in ${elapsed}s but did not exit within 5 s of SIGTERM"
    exit 1
fi
wait "$pid"
rc=$?
pid=
if ! grep -q "SeaBIOS (version" "$tmp/serial"; then
    echo "not ok 1 - SeaBIOS boots to 'No bootable device.' under -accel kvm"
    echo "# 'No bootable device.' came without the SeaBIOS banner"
    tr -d '\r' <"$tmp/serial" | sed 's/^/# serial: /' | head -n 40
    exit 1
fi
if [ "$rc" != 0 ]; then
    echo "not ok 1 - SeaBIOS boots to 'No bootable device.' under -accel kvm"
    echo "# booted in ${elapsed}s, but exited with status $rc on SIGTERM"
    sed 's/^/# stderr: /' "$tmp/err" | head -n 20
    exit 1
fi
echo "ok 1 - SeaBIOS boots to 'No bootable device.' under -accel kvm (${elapsed}s), exits 0 on SIGTERM"
tr -d '\r' <"$tmp/serial" | grep -a -E "SeaBIOS|Booting|No bootable" | sed 's/^/# /'
exit 0
