#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every benchmark in tools/bench/ (each a *.sh taking the build
# directory) against the same build, the SeaBIOS-under-KVM boot first.
# Each prints its own table of ioemu against QEMU.  `make bench` runs this.
# Usage: tools/bench/run-all.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-build}
status=0
benches=(tools/bench/boot-seabios-kvm.sh)
for b in tools/bench/*.sh; do
    case "$b" in
    tools/bench/run-all.sh | tools/bench/boot-seabios-kvm.sh) ;;
    *) benches+=("$b") ;;
    esac
done
for b in "${benches[@]}"; do
    echo "=== $(basename "$b" .sh)"
    bash "$b" "$BUILD" || { echo "=== $(basename "$b" .sh): FAILED"; status=1; }
    echo
done
exit $status
