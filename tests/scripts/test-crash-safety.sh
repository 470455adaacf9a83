#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Crash safety of a qcow2 disk written through the emulated IDE.
# Each round: tests/hw/crash-writer drives build/ioemu over qtest, writing
# (DMA and PIO) and flushing a qcow2 image through the PIIX3 IDE
# registers and logging every step; at a random moment this script kills
# the emulator with SIGKILL.  Then `qemu-img check` must find no
# corruption (leaked clusters are allowed), and every write completed
# before the last completed FLUSH CACHE must be in the image, with every
# other sector holding an older or a later value, never garbage
# (crash-writer --verify, on the image converted to raw by qemu-img).
# The same image goes through all rounds, so each round also opens an
# image the previous one left after a crash.
# Usage: tests/scripts/test-crash-safety.sh BUILD_DIR   (CRASH_ROUNDS, CRASH_SEED)
set -u
BUILD=${1:-build}
IOEMU=$BUILD/ioemu
WRITER=$BUILD/tests/hw/crash-writer
ROUNDS=${CRASH_ROUNDS:-5}
SEED=${CRASH_SEED:-$(( $(date +%s) % 100000 ))}

echo "1..$ROUNDS"
if [ ! -x "$IOEMU" ] || [ ! -x "$WRITER" ]; then
    for i in $(seq 1 "$ROUNDS"); do echo "not ok $i - $IOEMU or $WRITER not built (make)"; done
    exit 1
fi
if ! command -v qemu-img >/dev/null 2>&1; then
    for i in $(seq 1 "$ROUNDS"); do echo "ok $i # SKIP qemu-img not installed"; done
    exit 0
fi

tmp=$(mktemp -d /tmp/ioemu-crash.XXXXXX)
writer=
cleanup() {
    [ -n "$writer" ] && kill -KILL "$writer" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
ulimit -c 0

img=$tmp/disk.qcow2
qemu-img create -q -f qcow2 -o cluster_size=65536 "$img" 64M
RANDOM=$SEED
echo "# seed $SEED (CRASH_SEED=$SEED to repeat)"
failed=0

for round in $(seq 1 "$ROUNDS"); do
    log=$tmp/log.$round
    QTEST_QEMU_BINARY=$IOEMU "$WRITER" "$img" "$log" $((SEED * 100 + round)) "$round" \
        >"$tmp/writer.$round" 2>&1 &
    writer=$!
    # Wait for the emulator (the writer's child) to be up, however loaded the machine is.
    emu=
    for _ in $(seq 1 100); do
        emu=$(pgrep -P "$writer" | head -n 1)
        [ -n "$emu" ] && grep -q '^S' "$log" 2>/dev/null && break
        kill -0 "$writer" 2>/dev/null || break
        sleep 0.05
    done
    # Let it write for 0.3-1.5 s more, then kill the emulator with SIGKILL.
    delay=$(( 300 + RANDOM % 1200 ))
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    emu=$(pgrep -P "$writer" | head -n 1)
    if [ -z "$emu" ]; then
        echo "not ok $round - round $round: the emulator was not running when the kill came"
        sed 's/^/# writer: /' "$tmp/writer.$round" | tail -n 10
        failed=1
        wait "$writer" 2>/dev/null
        writer=
        continue
    fi
    kill -KILL "$emu"
    # The writer notices its emulator is gone and stops.
    for _ in $(seq 1 100); do kill -0 "$writer" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$writer" 2>/dev/null
    wait "$writer" 2>/dev/null
    writer=

    writes=$(grep -c '^W' "$log")
    flushes=$(grep -c '^F' "$log")
    qemu-img check -q "$img" >"$tmp/check.$round" 2>&1
    check=$?
    # 0: clean; 3: leaked clusters only.  Anything else is corruption or a failed check.
    if [ "$check" != 0 ] && [ "$check" != 3 ]; then
        echo "not ok $round - round $round: qemu-img check exit $check after SIGKILL at ${delay} ms"
        sed 's/^/# check: /' "$tmp/check.$round" | head -n 20
        failed=1
        continue
    fi
    rm -f "$tmp/raw"
    if ! qemu-img convert -f qcow2 -O raw "$img" "$tmp/raw" 2>"$tmp/convert.$round"; then
        echo "not ok $round - round $round: qemu-img convert failed"
        sed 's/^/# /' "$tmp/convert.$round" | head -n 5
        failed=1
        continue
    fi
    if "$WRITER" --verify "$tmp/raw" "$log" "$tmp/state" >"$tmp/verify.$round" 2>&1; then
        echo "ok $round - round $round: killed at ${delay} ms after $writes writes, $flushes flushes;" \
             "qemu-img check $( [ $check = 0 ] && echo clean || echo 'leaks only'); flushed data present"
        sed 's/^/# /' "$tmp/verify.$round"
    else
        echo "not ok $round - round $round: data lost or garbled after SIGKILL at ${delay} ms"
        sed 's/^/# /' "$tmp/verify.$round" | head -n 20
        failed=1
    fi
done
exit $failed
