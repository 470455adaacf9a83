#!/bin/bash
# make check-xen-real: run ioemu's xen-dm under real Xen 4.17 (the shared
# xenreal harness: Xen + a Debian dom0 + xl, nested in QEMU on TCG), and the
# Debian qemu-system-xen reference on the same guest, and report both.
#
# The harness takes guest configs only from its own guests/ folder, and its
# cached dom0 image is stamped with those files.  So this script works on a
# copy of the harness (build/xenreal-harness) with our configs added
# (tests/xenreal/*.cfg) and a cache of its own (XENREAL_CACHE, default
# /var/cache/xenreal-ioemu, seeded from the shared cache when that exists),
# which setup.sh brings up to date (a ~3 s image rebuild; a full setup
# downloads ~500 MB the first time).
#
# Usage: tests/xenreal/run.sh [--guest NAME] [--no-reference] [--dm PATH]
set -euo pipefail
cd "$(dirname "$0")/../.."
GUEST=fw-novga REFERENCE=1 DM=build/xen-dm
while [ $# -gt 0 ]; do
    case $1 in
        --guest) GUEST=$2; shift ;;
        --no-reference) REFERENCE=0 ;;
        --dm) DM=$2; shift ;;
        *) echo "usage: $0 [--guest NAME] [--no-reference] [--dm PATH]" >&2; exit 2 ;;
    esac
    shift
done
SHARED=${XENREAL_HARNESS:-../shared/xenreal}
[ -x "$SHARED/run.sh" ] || { echo "check-xen-real: no xenreal harness at $SHARED" >&2; exit 2; }
[ -x "$DM" ] || { echo "check-xen-real: $DM is not built (make)" >&2; exit 2; }

HARNESS=build/xenreal-harness
rm -rf "$HARNESS"
mkdir -p "$HARNESS"
cp -r "$SHARED"/. "$HARNESS"/
chmod -R u+w "$HARNESS"
cp tests/xenreal/*.cfg "$HARNESS/guests/"

export XENREAL_CACHE=${XENREAL_CACHE:-/var/cache/xenreal-ioemu}
if [ ! -d "$XENREAL_CACHE" ] && [ -d /var/cache/xenreal ]; then
    cp -a --reflink=auto /var/cache/xenreal "$XENREAL_CACHE"
fi
"$HARNESS/setup.sh" --check >/dev/null 2>&1 || "$HARNESS/setup.sh"

OUT=build/xenreal-runs
mkdir -p "$OUT"
rc=0
"$HARNESS/run.sh" --dm "$DM" --guest "$GUEST" --out "$OUT/ioemu-$GUEST" || rc=$?
if [ "$REFERENCE" = 1 ]; then
    "$HARNESS/run.sh" --dm qemu --guest "$GUEST" --out "$OUT/qemu-$GUEST" || true
fi
echo
printf '%-8s %s\n' dm "verdict and timings (seconds after xl create)"
for dm in ioemu qemu; do
    r=$OUT/$dm-$GUEST/result.txt
    [ -f "$r" ] || continue
    printf '%-8s %s\n' "$dm" "$(head -n1 "$r")"
    grep -E '^(create_to_dm_exec_s|create_to_hvmloader_s|create_to_seabios_s|create_to_boot_attempt_s|total_s)=' "$r" | sed 's/^/         /'
done
exit "$rc"
