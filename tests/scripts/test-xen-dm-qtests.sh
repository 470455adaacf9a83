#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The device test suite (tests/hw/test-*) a second time, through Xen:
# libqtest starts each emulator as
#   QTEST_LAUNCHER="build/xensim --domid 1 --" QTEST_QEMU_BINARY=build/xen-dm
# so xensim builds a domain, runs xen-dm (with its replacement Xen
# libraries) on `-machine pc` (xenfv without the platform device), and
# turns every qtest access into an ioreq.  One TAP line per program.
#
# Not everything applies under Xen: the hypervisor emulates the PIC, PIT,
# RTC clock, HPET and the debug console itself (xen-interface.md 5.1), the
# xenfv board has no fw_cfg, PAM shadowing is inert, and the DM's virtual
# clock runs on host time (qtest clock_step moves only Xen's timers).
# Those programs and cases are skipped here with the reason; anything new
# runs by default.
# Usage: tests/scripts/test-xen-dm-qtests.sh BUILD_DIR
# (The sanitizer build has no xensim of its own: the plain build's serves.)
# run-under-sanitizers
build=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
xensim=$root/$build/xensim
[ -x "$xensim" ] || xensim=$root/build/xensim

for f in "$build/xen-dm" "$xensim" "$(dirname "$xensim")/xensim-lib/libxenctrl.so.4.17"; do
    if [ ! -e "$f" ]; then
        echo "1..0 # SKIP $f not built"
        exit 0
    fi
done

# Whole programs whose device is not the device model's under Xen.
declare -A skip_program=(
    [test-i8259]="Xen emulates the PICs and ELCR"
    [test-i8254]="Xen emulates the PIT and port 0x61"
    [test-rtc]="Xen emulates the RTC clock; the DM holds only CMOS NVRAM (tested by test-xen-dm.sh)"
    [test-fw-cfg]="xenfv has no fw_cfg (QEMU adds one only for direct kernel boot)"
    [test-pam]="PAM shadowing is inert under Xen (guest RAM is the hypervisor's)"
    [test-debugexit]="isa-debug-exit is not a xenfv device and Xen owns the 0xe9 debug console"
)
# Single cases, as GTest paths.
declare -A skip_cases=(
    [test-uart]="/uart/qtest/char-timeout /uart/qtest/loopback-and-irq /uart/qtest/socket-backend"
    [test-ide]="/ide/firmware-view"
    [test-qtest-protocol]="/qtest/irq-intercept /qtest/irq-paths /qtest/several-lines /qtest/malformed /qtest/overlong-line /qtest/log"
)
declare -A skip_case_reason=(
    [test-ide]="the firmware view checks fw_cfg's bootorder, and xenfv has no fw_cfg"
    [test-uart]="the character timeout runs on the DM's clock, which is host time under Xen (clock_step moves only Xen's timers), so these checks race it"
    [test-qtest-protocol]="set_irq_in drives interrupt-controller inputs, which are Xen's; the malformed-line, line-limit and -qtest-log cases test ioemu's own qtest server, and under Xen the server is xensim's"
)

programs=()
for t in "$build"/tests/hw/test-*; do
    [ -x "$t" ] && [ -f "$t" ] || continue
    case "$t" in *.o|*.d) continue ;; esac
    programs+=("$t")
done
if [ ${#programs[@]} -eq 0 ]; then
    echo "1..0 # SKIP no device tests built"
    exit 0
fi

echo "1..${#programs[@]}"
n=0
failed=0
log=$(mktemp /tmp/test-xen-dm-qtests.XXXXXX)
for t in "${programs[@]}"; do
    n=$((n + 1))
    name=$(basename "$t")
    if [ -n "${skip_program[$name]:-}" ]; then
        echo "ok $n - $name # SKIP ${skip_program[$name]}"
        continue
    fi
    args=(--tap)
    for c in ${skip_cases[$name]:-}; do
        args+=(-s "$c")
    done
    QTEST_LAUNCHER="$xensim --domid 1 --" QTEST_QEMU_BINARY="$root/$build/xen-dm" \
        timeout 300 "$t" "${args[@]}" >"$log" 2>&1
    rc=$?
    p=$(grep -cE '^ok [0-9]+' "$log")
    s=$(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$log")
    f=$(grep -cE '^not ok [0-9]+' "$log")
    p=$((p - s))
    note=""
    [ -n "${skip_cases[$name]:-}" ] && note="; skipped ${skip_cases[$name]}: ${skip_case_reason[$name]}"
    if [ "$rc" = 0 ] && [ "$f" = 0 ]; then
        echo "ok $n - $name under xensim+xen-dm ($p passed, $s skipped$note)"
    else
        failed=$((failed + 1))
        echo "not ok $n - $name under xensim+xen-dm (exit $rc, $p passed, $f failed)"
        grep -E '^not ok|ERROR|Bail out|xen-dm:|xensim:|Sanitizer' "$log" | head -n 20 | sed 's/^/# /'
    fi
done
rm -f "$log"
[ "$failed" = 0 ]
