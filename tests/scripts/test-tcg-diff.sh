#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Differential CPU test (tests/tcg/): a fixed-seed set of random x86
# sequences (2000 per mode) and the whole hand-written corpus (3 random
# states per case), 32- and 64-bit user code, run on the host CPU and in
# ioemu's JIT and compared.  One TAP line per mode and group: the host-side
# checks (expected exceptions only, corpus outcomes as declared, repeatable
# runs) and the JIT comparison, which is a SKIP (with the reason) while the
# translator cannot run user code.
# Usage: tests/scripts/test-tcg-diff.sh BUILD_DIR
set -u
BUILD=${1:-build}
BIN=$BUILD/tests/tcg/tcg-diff

if [ ! -x "$BIN" ]; then
    echo "1..0 # SKIP $BIN not built"
    exit 0
fi
if [ "$(uname -m)" != x86_64 ]; then
    echo "1..0 # SKIP the host is not x86-64"
    exit 0
fi
exec "$BIN" --tap --seed 1 --count 2000 --variants 3 --max-reports 3
