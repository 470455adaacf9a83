#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xensim end to end: runs xensim-test-dm (a minimal device model linked
# against the real Xen libraries) under xensim and drives it over qtest:
# PIO/MMIO/PCI-config ioreqs, the buffered ring, rep and data_is_ptr ioreqs,
# IRQs, dm_op records, xenstore through the real libxenstore, malformed
# ioreqs, timeouts and the gfn fallback.  TAP on stdout.
# Usage: tests/scripts/test-xensim.sh BUILD_DIR
# run-under-sanitizers
build=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
if ! command -v python3 >/dev/null; then
    echo "1..0 # SKIP python3 not available"
    exit 0
fi
exec python3 tools/xensim/tests/test_xensim.py "$build"
