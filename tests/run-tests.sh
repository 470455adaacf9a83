#!/bin/bash
# The test runner: runs every test program of each build dir given
# (unit tests, device tests over qtest, scripted tests), each with TAP
# output, and ends with one line "N passed, N failed, N skipped".
# Usage: tests/run-tests.sh BUILD [BUILD...]   (env TESTS_FILTER=regex to select)
set -u
cd "$(dirname "$0")/.." || exit 2
passed=0 failed=0 skipped=0
failures=()
log_dir=$(mktemp -d /tmp/ioemu-tests.XXXXXX)

run_one() {  # build name cmd...
    local build=$1 name=$2; shift 2
    local log="$log_dir/$(echo "$build-$name" | tr '/' '_').log"
    local start=$(date +%s.%N)
    QTEST_QEMU_BINARY="${QTEST_BINARY_OVERRIDE:-$PWD/$build/ioemu}" IOEMU_BUILD="$PWD/$build" \
        timeout 600 "$@" >"$log" 2>&1
    local rc=$?
    local p f s
    p=$(grep -cE '^ok [0-9]+' "$log" | tr -d ' ')
    s=$(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$log" | tr -d ' ')
    f=$(grep -cE '^not ok [0-9]+' "$log" | tr -d ' ')
    p=$((p - s))
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        f=1
        echo "not ok - $name exited with status $rc" >>"$log"
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    local dur=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")
    printf '%-8s %-40s %3d passed %3d failed %3d skipped  (%ss)\n' "[$build]" "$name" "$p" "$f" "$s" "${dur:0:5}"
    if [ "$f" != 0 ]; then
        failures+=("$build/$name")
        grep -E '^not ok|^# |ERROR|assert|Sanitizer|runtime error' "$log" | head -n 30 | sed 's/^/    | /'
        echo "    | full log: $log"
    fi
}

for build in "$@"; do
    for t in "$build"/tests/unit/test-* "$build"/tests/hw/test-*; do
        [ -x "$t" ] && [ -f "$t" ] || continue
        case "$t" in *.o|*.d) continue ;; esac
        name=${t#"$build"/}
        [ -n "${TESTS_FILTER:-}" ] && ! [[ $name =~ $TESTS_FILTER ]] && continue
        run_one "$build" "$name" "$t" --tap
    done
    for s in tests/scripts/*.sh; do
        [ -f "$s" ] || continue
        name=${s#tests/}
        [ -n "${TESTS_FILTER:-}" ] && ! [[ $name =~ $TESTS_FILTER ]] && continue
        # Scripted tests (boot, CLI) run against the main build only unless they ask otherwise.
        if [ "$build" != "$1" ] && ! grep -q '^# run-under-sanitizers' "$s"; then continue; fi
        run_one "$build" "$name" bash "$s" "$build"
    done
done

if [ ${#failures[@]} -gt 0 ]; then
    echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
