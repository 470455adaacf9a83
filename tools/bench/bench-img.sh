#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Image conversion and block-layer throughput: ioemu-img against qemu-img,
# side by side in one run on the same files.
#
#   convert raw->qcow2 and qcow2->raw of a 1 GiB image holding 256 MiB of
#   random data (4 x 64 MiB, the rest a hole): median wall time, CPU time
#   (user+sys, steadier on a loaded machine) and peak RSS over ROUNDS runs,
#   and the ioemu/qemu ratios (goal: <= 1.0);
#   sequential write and read throughput through each block layer
#   (`bench`, 1 MiB requests, queue depth 8, cache=none) on raw and qcow2.
#
# Usage: tools/bench/bench-img.sh [BUILD_DIR]   (env: ROUNDS=5, BENCH_DIR=BUILD/bench-img)
set -eu
BUILD=${1:-build}
IMG=$(realpath "$BUILD/ioemu-img")
ROUNDS=${ROUNDS:-5}
DIR=${BENCH_DIR:-$BUILD/bench-img}
command -v qemu-img >/dev/null || { echo "bench-img: qemu-img not installed"; exit 1; }
[ -x "$IMG" ] || { echo "bench-img: $IMG not built"; exit 1; }
command -v python3 >/dev/null || { echo "bench-img: python3 needed"; exit 1; }
mkdir -p "$DIR"
cd "$DIR"
trap 'rm -f src.raw ref.qcow2 out.*' EXIT

echo "bench-img: preparing a 1 GiB raw image with 256 MiB of random data in $DIR"
rm -f src.raw
truncate -s 1G src.raw
for i in 0 1 2 3; do
    head -c 64M /dev/urandom | dd of=src.raw bs=1M seek=$((i * 256)) conv=notrunc status=none
done
qemu-img convert -f raw -O qcow2 src.raw ref.qcow2

# run TOOL ARGS...: prints "wall_seconds max_rss_kb cpu_seconds"
run() {
    sync
    python3 -c '
import os, sys, time
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
if status:
    sys.exit("bench-img: %s failed" % " ".join(sys.argv[1:]))
print("%.4f %d %.4f" % (time.monotonic() - t0, usage.ru_maxrss,
                       usage.ru_utime + usage.ru_stime))
' "$@"
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

declare -A T R C
ops="raw-to-qcow2 qcow2-to-raw"
for r in $(seq "$ROUNDS"); do
    for op in $ops; do
        # Alternate which tool goes first so neither always gets a warm cache.
        tools="ioemu qemu"
        [ $((r % 2)) = 0 ] && tools="qemu ioemu"
        for tool in $tools; do
            bin=$IMG
            [ "$tool" = qemu ] && bin=qemu-img
            rm -f out.*
            case $op in
            raw-to-qcow2) set -- "$bin" convert -f raw -O qcow2 src.raw out.qcow2 ;;
            qcow2-to-raw) set -- "$bin" convert -f qcow2 -O raw ref.qcow2 out.raw ;;
            esac
            read -r secs rss cpu < <(run "$@")
            T[$op.$tool]="${T[$op.$tool]:-} $secs"
            R[$op.$tool]="${R[$op.$tool]:-} $rss"
            C[$op.$tool]="${C[$op.$tool]:-} $cpu"
            if [ "$r" = 1 ]; then
                # The result must be right before its speed matters.
                if [ "$op" = raw-to-qcow2 ]; then
                    qemu-img check -q out.qcow2
                    qemu-img compare -q out.qcow2 src.raw
                else
                    cmp out.raw src.raw
                fi
            fi
        done
    done
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (wall times are noisy under load)"
printf '\n%-14s %-10s %10s %10s %14s\n' operation tool "wall (s)" "CPU (s)" "peak RSS (MiB)"
summary=""
for op in $ops; do
    for tool in ioemu qemu; do
        t=$(echo ${T[$op.$tool]} | tr ' ' '\n' | median)
        c=$(echo ${C[$op.$tool]} | tr ' ' '\n' | median)
        m=$(echo ${R[$op.$tool]} | tr ' ' '\n' | median)
        printf '%-14s %-10s %10.3f %10.3f %14.1f\n' "$op" "$tool-img" "$t" "$c" "$(echo "$m / 1024" | bc -l)"
        eval "t_$tool=$t; c_$tool=$c; m_$tool=$m"
    done
    tr=$(echo "$t_ioemu / $t_qemu" | bc -l)
    cr=$(echo "$c_ioemu / $c_qemu" | bc -l)
    mr=$(echo "$m_ioemu / $m_qemu" | bc -l)
    printf '%-14s %-10s %10.2f %10.2f %14.2f\n' "$op" "ratio" "$tr" "$cr" "$mr"
    summary="$summary $op time ratio $(printf %.2f "$tr") cpu ratio $(printf %.2f "$cr") rss ratio $(printf %.2f "$mr");"
done

echo
echo "Sequential throughput through the block layer (1 MiB requests, depth 8, cache=none):"
printf '%-8s %-7s %-10s %10s\n' format dir tool "MiB/s"
rm -f out.*
for fmt in raw qcow2; do
    for tool in ioemu qemu; do
        bin=$IMG
        [ "$tool" = qemu ] && bin=qemu-img
        rm -f out.img
        qemu-img create -q -f "$fmt" out.img 1G
        for dir in write read; do
            w=""
            [ "$dir" = write ] && w=-w
            secs=$("$bin" bench -f "$fmt" $w -c 512 -s 1M -d 8 -t none out.img |
                   sed -n 's/Run completed in \([0-9.]*\) seconds./\1/p')
            printf '%-8s %-7s %-10s %10.0f\n' "$fmt" "$dir" "$tool-img" "$(echo "512 / $secs" | bc -l)"
        done
    done
done
rm -f out.img
echo
echo "bench-img:$summary (goal <= 1.0)"
