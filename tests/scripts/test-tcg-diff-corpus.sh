#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Differential CPU test with tcg-diff (tests/tcg/): the hand-written corpus
# of tests/tcg/corpus/*.S (about 2400 cases, each from 3 random states; the
# 32-bit ones alternately in legacy protected mode and in compatibility
# mode on the JIT side) and 2000 random unit sequences per mode, run on the
# host CPU and in ioemu's JIT and compared.  One TAP line per mode and
# group: the host-side checks (only expected exceptions, corpus outcomes as
# declared, repeatable runs) and the JIT comparison, a SKIP (with the
# reason) while the JIT cannot run user code.  16-bit real-mode code (512
# random sequences and the 16-bit corpus) is compared with QEMU instead of
# the host; skipped when qemu-system-x86_64 is missing.  Divergences print
# reproducers (`tcg-diff ... --corpus-filter NAME` or `--first INDEX`).
# Usage: tests/scripts/test-tcg-diff-corpus.sh BUILD_DIR
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
exec "$BIN" --tap --seed 1 --count 2000 --count16 512 --variants 3 --max-reports 5 \
    --known tests/tcg/known-divergences.txt
