#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run-under-sanitizers
# Command-line errors of the standalone binary: every invalid option or
# value must give exactly one "ioemu: ..." line on stderr and exit status 1
# (no crash, no sanitizer report, no stack of messages); --version, --help
# and "-device help" work.  None of these cases reaches the accelerator, so
# the results do not depend on /dev/kvm.
# Usage: tests/scripts/test-cmdline.sh BUILD_DIR
set -u
BUILD=${1:-build}
IOEMU=$BUILD/ioemu
if [ ! -x "$IOEMU" ]; then
    echo "1..0 # SKIP $IOEMU not built"
    exit 0
fi

tmp=$(mktemp -d /tmp/ioemu-cmdline.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
head -c 1000 /dev/zero >"$tmp/bios-1000.bin"
head -c 65536 /dev/zero >"$tmp/bios-64k.bin"

n=0
fail=0
ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

# expect_error DESCRIPTION PATTERN ARGS...: status 1, one stderr line "ioemu: ..." matching PATTERN (grep -E).
expect_error() {
    local desc=$1 pattern=$2; shift 2
    case "${1:-}" in
    --unshare-dev-tmpfs)  # run with an empty /dev
        shift
        timeout 20 unshare -m sh -c 'mount -t tmpfs none /dev && exec "$@"' sh "$IOEMU" "$@" \
            </dev/null >"$tmp/out" 2>"$tmp/err"
        ;;
    --unshare-dev-null)   # run with /dev/kvm replaced by /dev/null
        shift
        timeout 20 unshare -m sh -c 'mount --bind /dev/null /dev/kvm && exec "$@"' sh "$IOEMU" "$@" \
            </dev/null >"$tmp/out" 2>"$tmp/err"
        ;;
    *)
        timeout 20 "$IOEMU" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
        ;;
    esac
    local rc=$?
    local lines
    lines=$(wc -l <"$tmp/err")
    local first
    first=$(head -n 1 "$tmp/err")
    if [ "$rc" != 1 ]; then
        not_ok "$desc: exit status 1" "ioemu $* exited with $rc" "stderr: $(head -c 500 "$tmp/err")"
    elif [ "$lines" != 1 ]; then
        not_ok "$desc: exactly one line on stderr" "got $lines lines:" "$(head -c 500 "$tmp/err")"
    elif ! [[ $first == "ioemu: "* ]]; then
        not_ok "$desc: message starts with 'ioemu: '" "got: $first"
    elif grep -qE 'Sanitizer|runtime error|Segmentation|Aborted|core dumped' "$tmp/err"; then
        not_ok "$desc: no crash report" "$first"
    elif ! grep -qE -- "$pattern" "$tmp/err"; then
        not_ok "$desc: message mentions /$pattern/" "got: $first"
    else
        ok "$desc ($first)"
    fi
}

# Memory sizes
expect_error "-m 0"                     "zero"              -m 0
expect_error "-m negative"              "invalid memory"    -m -5
expect_error "-m garbage"               "invalid memory"    -m abc
expect_error "-m bad suffix"            "invalid memory"    -m 12X
expect_error "-m overflow"              "too large"         -m 99999999999999999999
expect_error "-m over 1 TiB"            "maximum"           -m 2T
expect_error "-m below 1 MiB"           "at least 1 MiB"    -m 512K
expect_error "-m size= empty"           "invalid memory"    -m size=
expect_error "-m unknown key"           "slots"             -m 128,slots=2
expect_error "-m missing argument"      "requires an argument" -m

# Options and devices
expect_error "unknown option"           "invalid option"    --bogus-option
expect_error "bare word"                "unexpected argument" disk.img
expect_error "unknown -device model"    "unknown device model 'e1000'" -device e1000
expect_error "-device bad property"     "no property 'foo'" -device isa-debug-exit,foo=1
expect_error "-device port overflow"    "0xffff"            -device isa-debug-exit,iobase=0x10000
expect_error "-device ports run past 64K" "past 0xffff"     -device isa-debug-exit,iobase=0xffff,iosize=4
expect_error "unknown machine"          "unsupported machine type 'q35'" -machine q35
expect_error "unknown machine property" "unsupported machine property" -machine pc,foo=bar
expect_error "-smp 0"                   "cpus=0"            -smp 0
expect_error "-smp too many"            "1 to 255"          -smp 1000
expect_error "-smp maxcpus"             "maxcpus"           -smp 2,maxcpus=4
expect_error "-boot bad drive"          "invalid boot device" -boot order=z
expect_error "-boot duplicate drive"    "given twice"       -boot cdc
expect_error "-display gtk"             "only 'none'"       -display gtk
expect_error "-d unknown category"      "-d"                -d nosuchcategory
expect_error "-qtest-log without -qtest" "needs -qtest"     -qtest-log /dev/null

# Firmware
expect_error "missing -bios file"       "No such file"      -bios "$tmp/does-not-exist.bin"
expect_error "-bios of 1000 bytes"      "1000 bytes"        -bios "$tmp/bios-1000.bin"
expect_error "-bios a directory"        "not a regular file" -bios "$tmp"

# Accelerators
expect_error "unknown -accel"           "unknown accelerator 'foo'" -accel foo
expect_error "unknown accel= in -machine" "unknown accelerator 'bar'" -machine pc,accel=bar
# expect_runs DESCRIPTION ARGS...: the emulator starts and is still running (paused) after 2 s.
expect_runs() {
    local desc=$1; shift
    local pre=()
    if [ "${1:-}" = --unshare-dev-tmpfs ]; then
        shift
        timeout 2 unshare -m sh -c 'mount -t tmpfs none /dev && exec "$@"' sh "$IOEMU" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    else
        timeout 2 "$IOEMU" "${pre[@]}" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    fi
    local rc=$?
    if [ "$rc" = 124 ] && ! grep -qE 'Sanitizer|runtime error' "$tmp/err"; then
        ok "$desc"
    else
        not_ok "$desc: still running after 2 s" "exited with $rc" "stderr: $(head -c 500 "$tmp/err")"
    fi
}
expect_runs "-accel tcg starts"          -accel tcg -display none -S
expect_runs "-machine accel=tcg starts"  -machine pc,accel=tcg -display none -S
expect_error "-qtest with -accel tcg"   "not available yet|needs -accel qtest" -accel tcg -qtest unix:$tmp/q

# -accel kvm where /dev/kvm is missing or not KVM: hide it in a private mount namespace (needs root).
if unshare -m true 2>/dev/null; then
    expect_error "-accel kvm without /dev/kvm" "-accel kvm: cannot open /dev/kvm" \
        --unshare-dev-tmpfs -accel kvm -display none
    expect_runs "no /dev/kvm: the default falls back to TCG" --unshare-dev-tmpfs -display none -S
    if [ -e /dev/kvm ]; then
        expect_error "-accel kvm on a /dev/kvm that is not KVM" "not a KVM device" \
            --unshare-dev-null -accel kvm -display none
    else
        n=$((n + 1)); echo "ok $n # SKIP no /dev/kvm to replace"
    fi
else
    for _ in 1 2 3; do
        n=$((n + 1)); echo "ok $n # SKIP cannot unshare a mount namespace to hide /dev/kvm"
    done
fi

# Character devices
expect_error "bad -serial spec"         "bogus"             -serial bogus:spec
expect_error "-serial file: without name" "file"            -serial file:
expect_error "-serial unknown chardev"  "no -chardev with id 'nosuch'" -serial chardev:nosuch
expect_error "five -serial"             "at most 4"         -serial null -serial null -serial null -serial null -serial null
expect_error "bad -chardev backend"     "bogus"             -chardev bogus,id=x
expect_error "duplicate -chardev id"    "duplicate|already in use"        -chardev null,id=x -chardev null,id=x
expect_error "chardev used twice"       "already in use"    -chardev null,id=x -serial chardev:x -serial chardev:x

# Things that must work
if out=$(timeout 10 "$IOEMU" --version 2>&1) && [[ $out == *"ioemu version"* ]]; then
    ok "--version prints the version and exits 0"
else
    not_ok "--version prints the version and exits 0" "got: $out"
fi
if out=$(timeout 10 "$IOEMU" --help 2>&1) && [[ $out == *"-accel kvm|tcg|qtest"* ]]; then
    ok "--help prints the options and exits 0"
else
    not_ok "--help prints the options and exits 0" "got: ${out:0:300}"
fi
if out=$(timeout 10 "$IOEMU" -device help 2>&1) && [[ $out == *isa-debug-exit* ]]; then
    ok "-device help lists isa-debug-exit"
else
    not_ok "-device help lists isa-debug-exit" "got: $out"
fi

echo "1..$n"
exit $fail
