#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xen-dm under real Xen 4.17 (../shared/xenreal: Xen, a PV dom0 and xl,
# nested in QEMU on TCG): libxl launches build/xen-dm for the `fw` guest
# (hvmloader + SeaBIOS) and SeaBIOS must reach its boot attempt; then the
# same guest with Debian's qemu-system-xen for the timings.  Minutes per
# run, so `make check` skips it; `make check-xen-real` runs it.
#
# The stock `fw` guest asks for a cirrus VGA, which xen-dm refuses until a
# display device exists; the run then uses `fw-novga`, the same config with
# vga="none", in a private copy of the harness (and of its cache, whose
# image embeds the guest configs) so the shared one is never touched.
# Needs root (the harness's setup.sh rebuilds the private image).
# Environment: XEN_DM_REAL=1 to run; XEN_DM_REAL_DIR (default
# /var/tmp/xen-dm-xenreal) for the private copies and outputs;
# XEN_DM_REAL_QEMU=0 to skip the reference run.
# Usage: tests/scripts/test-xen-dm-real.sh BUILD_DIR
build=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
if [ "${XEN_DM_REAL:-0}" != 1 ]; then
    echo "1..0 # SKIP real Xen takes minutes: make check-xen-real"
    exit 0
fi
harness=${XENREAL_DIR:-$root/../shared/xenreal}
priv=${XEN_DM_REAL_DIR:-/var/tmp/xen-dm-xenreal}
shared_cache=${XENREAL_CACHE:-/var/cache/xenreal}
dm=$root/$build/xen-dm
if [ ! -x "$harness/run.sh" ] || [ ! -x "$dm" ]; then
    echo "1..0 # SKIP no xenreal harness at $harness or no $dm"
    exit 0
fi
if ! "$harness/setup.sh" --check >/dev/null 2>&1; then
    echo "1..0 # SKIP the xenreal cache is not set up (sudo $harness/setup.sh)"
    exit 0
fi

guest=fw
runner=$harness
cache=$shared_cache
if "$dm" -xen-domid 1 -device cirrus-vga,vgamem_mb=8 2>&1 | grep -q "not supported"; then
    guest=fw-novga
    if [ "$(id -u)" != 0 ]; then
        echo "1..0 # SKIP building the private fw-novga image needs root"
        exit 0
    fi
    mkdir -p "$priv"
    rm -rf "$priv/harness"
    cp -a "$harness" "$priv/harness"
    chmod -R u+w "$priv/harness"
    sed -e 's/^vga = .*/vga = "none"/' -e 's/^name = .*/name = "fw-novga"/' \
        -e 's/^# fw — firmware only:.*/# fw-novga — fw with vga="none": for device models without a display device./' \
        "$harness/guests/fw.cfg" >"$priv/harness/guests/fw-novga.cfg"
    # The image bakes in the harness files; start from the shared cache and let setup.sh rebuild the image.
    if [ ! -f "$priv/cache/stamps/rootfs" ] ||
       ! cmp -s "$shared_cache/stamps/rootfs" "$priv/cache/stamps/rootfs"; then
        rm -rf "$priv/cache"
        cp -a "$shared_cache" "$priv/cache"
    fi
    if ! XENREAL_CACHE=$priv/cache "$priv/harness/setup.sh" >"$priv/setup.log" 2>&1; then
        echo "1..0 # SKIP private xenreal image could not be built (see $priv/setup.log)"
        exit 0
    fi
    runner=$priv/harness
    cache=$priv/cache
fi

runs=("$dm")
[ "${XEN_DM_REAL_QEMU:-1}" = 1 ] && runs+=(qemu)
echo "1..${#runs[@]}"
n=0
failed=0
for d in "${runs[@]}"; do
    n=$((n + 1))
    label=xen-dm
    [ "$d" = qemu ] && label=qemu-system-xen
    out=$priv/out-$guest-$label
    mkdir -p "$priv"
    XENREAL_CACHE=$cache "$runner/run.sh" --dm "$d" --guest "$guest" --out "$out" >"$priv/run-$label.log" 2>&1
    rc=$?
    verdict=$(head -n 1 "$out/result.txt" 2>/dev/null)
    timings=$(grep -E '^(create_to_[a-z_]+|total)_s=' "$out/result.txt" 2>/dev/null | tr '\n' ' ')
    if [ "$rc" = 0 ]; then
        echo "ok $n - $label, guest $guest: $verdict"
    else
        failed=$((failed + 1))
        echo "not ok $n - $label, guest $guest: ${verdict:-no verdict} (run.sh exit $rc; outputs in $out)"
        tail -n 15 "$priv/run-$label.log" | sed 's/^/# /'
        [ -f "$out/qemu-dm-$guest.log" ] && tail -n 15 "$out/qemu-dm-$guest.log" | sed 's/^/# dm: /'
    fi
    echo "# $label timings: $timings"
done
[ "$failed" = 0 ]
