#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The x86 JIT against the host CPU: the hand-written corpus (flags of ALU
# ops, shifts/rotates by 0/1/large counts, mul/div with #DE, BCD, bit ops,
# cmpxchg/xadd, strings both directions, prefixes, page-crossing and
# faulting accesses) in 64-bit and 32-bit (compatibility) mode, then a
# fixed-seed set of random instruction sequences.  Each case is one TAP
# line; a divergence prints a minimal reproducer.
# `make fuzz-cpu SEED=... N=...` runs long campaigns with the same tool.
# Usage: tests/scripts/test-tcg-diff.sh BUILD_DIR
set -u
BUILD=${1:-build}
BIN=$BUILD/tests/tcg/difftest
if [ ! -x "$BIN" ]; then
    echo "1..1"
    echo "not ok 1 - $BIN not built"
    exit 1
fi
if [ "$(uname -m)" != x86_64 ]; then
    echo "1..1"
    echo "ok 1 # SKIP the host CPU is not x86-64"
    exit 0
fi
exec "$BIN" --tap --corpus --seed 20240601 --count 600 --len 32
