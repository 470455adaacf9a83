#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: time from start to SeaBIOS's "No bootable device." on the
# serial console, ioemu -accel kvm against qemu-system-x86_64 -accel kvm,
# same firmware, same RAM, no disks, no NIC, no VGA.  3 runs each (RUNS=),
# median reported, plus the ratio, binary sizes and peak RSS (VmHWM from
# /proc/PID/status, sampled until the run ends).
# Usage: tools/bench/boot-seabios-kvm.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-build}
IOEMU=$BUILD/ioemu
QEMU=${QEMU:-qemu-system-x86_64}
BIOS=${SEABIOS:-/usr/share/seabios/bios.bin}
RUNS=${RUNS:-3}
TIMEOUT=${TIMEOUT:-120}

if [ ! -c /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "boot-seabios-kvm: SKIP: no usable /dev/kvm"
    exit 0
fi
if [ ! -x "$IOEMU" ]; then
    echo "boot-seabios-kvm: $IOEMU not built (make)" >&2
    exit 1
fi
if [ ! -f "$BIOS" ]; then
    echo "boot-seabios-kvm: SKIP: no SeaBIOS at $BIOS"
    exit 0
fi
QEMU_PATH=$(command -v "$QEMU" || true)

tmp=$(mktemp -d /tmp/ioemu-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# run_once NAME CMD...: prints "SECONDS PEAK_KIB" (or "FAIL reason").
run_once() {
    local name=$1; shift
    local out=$tmp/$name.serial
    : >"$out"
    local t0 t1 pid hwm=0 found=0
    t0=$(date +%s%N)
    "$@" </dev/null >"$out" 2>"$tmp/$name.err" &
    pid=$!
    while :; do
        local h
        h=$(awk '/^VmHWM:/ {print $2}' /proc/$pid/status 2>/dev/null)
        [ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
        if grep -q "No bootable device." "$out" 2>/dev/null; then
            found=1
            break
        fi
        kill -0 "$pid" 2>/dev/null || break
        if [ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge "$TIMEOUT" ]; then
            break
        fi
        sleep 0.02
    done
    t1=$(date +%s%N)
    h=$(awk '/^VmHWM:/ {print $2}' /proc/$pid/status 2>/dev/null)
    [ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ "$found" = 1 ]; then
        echo "$(( (t1 - t0) / 1000000 )) $hwm"
    else
        echo "FAIL $(head -n 1 "$tmp/$name.err")"
    fi
}

median() {  # numbers on stdin
    sort -n | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'
}

ms_list_i=() rss_list_i=() ms_list_q=() rss_list_q=()
for r in $(seq 1 "$RUNS"); do
    res=$(run_once ioemu "$IOEMU" -accel kvm -m 128 -bios "$BIOS" -nographic -no-reboot)
    if [[ $res == FAIL* ]]; then
        echo "boot-seabios-kvm: ioemu run $r failed: ${res#FAIL }" >&2
        exit 1
    fi
    ms_list_i+=("${res% *}"); rss_list_i+=("${res#* }")
    echo "  run $r: ioemu ${res% *} ms, peak RSS ${res#* } KiB"
    if [ -n "$QEMU_PATH" ]; then
        # -nodefaults drops QEMU's default NIC (iPXE would try to boot) and VGA,
        # matching ioemu's board; -serial stdio puts the console where ioemu's is;
        # -nographic makes QEMU set etc/sercon-port so SeaBIOS prints there.
        res=$(run_once qemu "$QEMU_PATH" -accel kvm -m 128 -bios "$BIOS" -nographic -nodefaults \
              -serial stdio -no-reboot)
        if [[ $res == FAIL* ]]; then
            echo "boot-seabios-kvm: qemu run $r failed: ${res#FAIL }" >&2
            QEMU_PATH=
        else
            ms_list_q+=("${res% *}"); rss_list_q+=("${res#* }")
            echo "  run $r: qemu  ${res% *} ms, peak RSS ${res#* } KiB"
        fi
    fi
done

ms_i=$(printf '%s\n' "${ms_list_i[@]}" | median)
rss_i=$(printf '%s\n' "${rss_list_i[@]}" | median)
size_i=$(stat -c %s "$IOEMU")
if [ -n "$QEMU_PATH" ] && [ ${#ms_list_q[@]} -gt 0 ]; then
    ms_q=$(printf '%s\n' "${ms_list_q[@]}" | median)
    rss_q=$(printf '%s\n' "${rss_list_q[@]}" | median)
    size_q=$(stat -c %s "$QEMU_PATH")
    ratio=$(awk -v a="$ms_i" -v b="$ms_q" 'BEGIN {printf "%.2f", a / b}')
    rss_ratio=$(awk -v a="$rss_i" -v b="$rss_q" 'BEGIN {printf "%.2f", a / b}')
    size_ratio=$(awk -v a="$size_i" -v b="$size_q" 'BEGIN {printf "%.3f", a / b}')
else
    ms_q=- rss_q=- size_q=- ratio=- rss_ratio=- size_ratio=-
fi

echo
echo "SeaBIOS to 'No bootable device.' under KVM, -m 128, median of $RUNS"
printf '%-24s %12s %12s %10s\n' "" "ioemu" "qemu" "ioemu/qemu"
printf '%-24s %12s %12s %10s\n' "boot time (ms)" "$ms_i" "$ms_q" "$ratio"
printf '%-24s %12s %12s %10s\n' "peak RSS (KiB)" "$rss_i" "$rss_q" "$rss_ratio"
printf '%-24s %12s %12s %10s\n' "binary size (bytes)" "$size_i" "$size_q" "$size_ratio"
