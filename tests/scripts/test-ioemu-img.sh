#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Interop between ioemu-img and qemu-img (Debian's qemu-utils), both ways:
#  - images ioemu-img writes pass `qemu-img check` and compare equal;
#  - images qemu-img writes (chains, snapshots, compressed, zero clusters,
#    v2/v3, cluster sizes 512..2M) read back identically in ioemu-img;
#  - info/map/check output matches qemu-img's where the layout is defined;
#  - malformed images give a clear error and a non-zero exit, never a crash.
# Usage: tests/scripts/test-ioemu-img.sh BUILD_DIR   (TAP on stdout)
set -u
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
IMG=$BUILD/ioemu-img
T=$(mktemp -d "$BUILD/tmp-test-ioemu-img.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

n=0
fails=0
ok()   { n=$((n + 1)); echo "ok $n - $*"; }
nok()  { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $* # SKIP"; }
# check NAME CMD...: passes when CMD exits 0; shows its output otherwise.
check() {
    local name=$1; shift
    local out
    if out=$("$@" 2>&1); then ok "$name"; else nok "$name"; echo "$out" | sed 's/^/# /' | head -20; fi
}
# expect_rc NAME RC CMD...
expect_rc() {
    local name=$1 want=$2; shift 2
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ]; then ok "$name"; else nok "$name (exit $rc, want $want)"; echo "$out" | sed 's/^/# /' | head -20; fi
}
# bad_image NAME PATTERN CMD...: non-zero exit below 128 (no signal) and the message.
bad_image() {
    local name=$1 pat=$2; shift 2
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" != 0 ] && [ "$rc" -lt 128 ] && echo "$out" | grep -qi -- "$pat"; then
        ok "$name"
    else
        nok "$name (exit $rc)"; echo "$out" | sed 's/^/# /' | head -10
    fi
}
qcheck() { qemu-img check -q "$1"; }          # exit 0 only without errors or leaks
qsame()  { qemu-img compare -q "$1" "$2"; }

if [ ! -x "$IMG" ]; then
    echo "1..1"; echo "not ok 1 - $IMG not built"; exit 1
fi
if ! command -v qemu-img >/dev/null || ! command -v qemu-io >/dev/null; then
    echo "1..1"; echo "ok 1 - qemu-utils missing # SKIP"; exit 0
fi

# A reference data set: patterns, a zero run, holes, an unaligned tail.
qemu-img create -q -f raw ref.raw 64M
qemu-io -f raw -c 'write -P 0x5a 0 3M' -c 'write -P 0xa5 7M 65k' -c 'write -P 0 9M 1M' \
        -c 'write -P 0x33 20M 4M' -c 'write -P 0x77 63M 1536' ref.raw >/dev/null
head -c 2M /dev/urandom > rnd.bin
dd if=rnd.bin of=ref.raw bs=1M seek=30 conv=notrunc status=none

# ---------- ioemu-img writes, qemu-img checks ----------

"$IMG" create -q -f qcow2 new.qcow2 64M
qemu-img create -q -f qcow2 qnew.qcow2 64M
check "fresh qcow2 is byte-identical to qemu-img's" cmp new.qcow2 qnew.qcow2
"$IMG" create -q -f qcow2 -o compat=0.10 new2.qcow2 1G
qemu-img create -q -f qcow2 -o compat=0.10 qnew2.qcow2 1G
check "fresh v2 qcow2 is byte-identical to qemu-img's" cmp new2.qcow2 qnew2.qcow2
check "create output matches qemu-img" diff <("$IMG" create -f qcow2 -o cluster_size=4k,compat=0.10 c1.qcow2 1G) \
    <(qemu-img create -f qcow2 -o cluster_size=4k,compat=0.10 c1.qcow2 1G | sed 's/qemu-img/ioemu-img/')

for cs in 512 4096 65536 2097152; do
    for compat in 0.10 1.1; do
        "$IMG" convert -O qcow2 -o cluster_size=$cs,compat=$compat ref.raw w.qcow2
        check "convert raw->qcow2 cluster_size=$cs compat=$compat: qemu-img check" qcheck w.qcow2
        check "convert raw->qcow2 cluster_size=$cs compat=$compat: compare" qsame w.qcow2 ref.raw
    done
done
for rb in 1 8 64; do
    "$IMG" convert -O qcow2 -o refcount_bits=$rb,cluster_size=4096 ref.raw w.qcow2
    check "refcount_bits=$rb: qemu-img check + compare" bash -c "qemu-img check -q w.qcow2 && qemu-img compare -q w.qcow2 ref.raw"
done
for ct in zlib zstd; do
    "$IMG" convert -c -O qcow2 -o compression_type=$ct ref.raw wc.qcow2
    check "convert -c ($ct): qemu-img check" qcheck wc.qcow2
    check "convert -c ($ct): compare" qsame wc.qcow2 ref.raw
    check "convert -c ($ct): clusters are compressed" bash -c \
        "qemu-img check --output=json wc.qcow2 | grep -q '\"compressed-clusters\"'"
    qemu-img convert -c -O qcow2 -o compression_type=$ct ref.raw qwc.qcow2
    check "convert -c ($ct): no bigger than qemu-img's (+2%)" \
        bash -c "[ \$(stat -c %s wc.qcow2) -le \$(( \$(stat -c %s qwc.qcow2) * 102 / 100 )) ]"
done
"$IMG" convert -O raw w.qcow2 back.raw
check "convert qcow2->raw is byte-identical" cmp back.raw ref.raw
check "convert qcow2->raw stays sparse" bash -c "[ \$(du -k back.raw | cut -f1) -lt 20000 ]"
check "convert -p prints progress" bash -c "'$IMG' convert -p -O qcow2 ref.raw p.qcow2 | grep -q '100.00/100%'"

# Backing files: overlay written by ioemu-img over a qemu-img base.
qemu-img create -q -f qcow2 base.qcow2 64M
qemu-io -c 'write -P 0x11 0 16M' base.qcow2 >/dev/null
"$IMG" convert -O qcow2 -B base.qcow2 -F qcow2 ref.raw ov.qcow2
check "convert -B: qemu-img check" qcheck ov.qcow2
check "convert -B: compare with the source" qsame ov.qcow2 ref.raw
check "convert -B: backing recorded" bash -c "qemu-img info ov.qcow2 | grep -q 'backing file: base.qcow2'"

# Snapshots written by ioemu-img.
"$IMG" convert -O qcow2 ref.raw s.qcow2
"$IMG" snapshot -c first s.qcow2
qemu-io -c 'write -P 0xee 1M 5M' s.qcow2 >/dev/null
qemu-img convert -O raw s.qcow2 s-now.raw
"$IMG" snapshot -c second s.qcow2
check "snapshot -c: qemu-img check" qcheck s.qcow2
check "snapshot -l matches qemu-img" diff <("$IMG" snapshot -l s.qcow2) <(qemu-img snapshot -l s.qcow2)
check "snapshot taken by ioemu-img reads back in qemu-img" bash -c \
    "qemu-img convert -l first -O raw s.qcow2 s-first.raw && cmp s-first.raw ref.raw"
"$IMG" snapshot -a first s.qcow2
check "snapshot -a: qemu-img check" qcheck s.qcow2
check "snapshot -a: content is the snapshot's" qsame s.qcow2 ref.raw
"$IMG" snapshot -d first s.qcow2
check "snapshot -d: qemu-img check" qcheck s.qcow2
check "snapshot -d: list" bash -c "qemu-img snapshot -l s.qcow2 | grep -q second && ! qemu-img snapshot -l s.qcow2 | grep -q first"
"$IMG" snapshot -a second s.qcow2
check "snapshot -a after delete: content" qsame s.qcow2 s-now.raw
expect_rc "snapshot -a unknown name fails" 1 "$IMG" snapshot -a nosuch s.qcow2

# Commit, rebase, resize.
qemu-img create -q -f qcow2 cb.qcow2 64M
qemu-io -c 'write -P 0x21 0 32M' cb.qcow2 >/dev/null
qemu-img create -q -f qcow2 -b cb.qcow2 -F qcow2 ct.qcow2
qemu-io -c 'write -P 0x22 8M 8M' -c 'write -z 30M 1M' -c 'write -P 0x23 40M 3M' ct.qcow2 >/dev/null
qemu-img convert -O raw ct.qcow2 ct.raw
check "commit prints like qemu-img" bash -c "'$IMG' commit ct.qcow2 | grep -qx 'Image committed.'"
check "commit: base holds the data" qsame cb.qcow2 ct.raw
check "commit: base passes qemu-img check" qcheck cb.qcow2
check "commit: top emptied, still reads the same" bash -c "qemu-img check -q ct.qcow2 && qemu-img compare -q ct.qcow2 ct.raw && [ -z \"\$(qemu-img map ct.qcow2 | grep ct.qcow2)\" ]"

qemu-img create -q -f qcow2 r-old.qcow2 64M
qemu-io -c 'write -P 0x31 0 20M' r-old.qcow2 >/dev/null
qemu-img create -q -f qcow2 r-new.qcow2 64M
qemu-io -c 'write -P 0x31 0 4M' -c 'write -P 0x32 50M 1M' r-new.qcow2 >/dev/null
qemu-img create -q -f qcow2 -b r-old.qcow2 -F qcow2 r.qcow2
qemu-io -c 'write -P 0x39 2M 1M' r.qcow2 >/dev/null
qemu-img convert -O raw r.qcow2 r.raw
"$IMG" rebase -b r-new.qcow2 -F qcow2 r.qcow2
check "rebase (safe): qemu-img check" qcheck r.qcow2
check "rebase (safe): content unchanged" qsame r.qcow2 r.raw
check "rebase (safe): new backing recorded" bash -c "qemu-img info r.qcow2 | grep -q 'backing file: r-new.qcow2'"
cp r.qcow2 ru.qcow2
"$IMG" rebase -u -b r-old.qcow2 -F qcow2 ru.qcow2
check "rebase -u: header only" bash -c "qemu-img check -q ru.qcow2 && qemu-img info ru.qcow2 | grep -q 'backing file: r-old.qcow2'"
"$IMG" rebase -b "" r.qcow2
check "rebase -b '': standalone with the same content" bash -c \
    "qemu-img compare -q r.qcow2 r.raw && ! qemu-img info r.qcow2 | grep -q backing"

"$IMG" convert -O qcow2 ref.raw rs.qcow2
check "resize +1G" bash -c "'$IMG' resize rs.qcow2 +1G >/dev/null && qemu-img check -q rs.qcow2 && qemu-img info rs.qcow2 | grep -q '(1140850688 bytes)'"
expect_rc "resize smaller without --shrink fails" 1 "$IMG" resize rs.qcow2 32M
check "resize --shrink" bash -c "'$IMG' resize --shrink rs.qcow2 32M >/dev/null && qemu-img check -q rs.qcow2 && qemu-img info rs.qcow2 | grep -q '(33554432 bytes)'"
check "resize --shrink keeps the head" bash -c "qemu-img convert -O raw rs.qcow2 rs.raw && cmp -n 33554432 rs.raw ref.raw"
cp ref.raw rr.raw
check "resize raw" bash -c "'$IMG' resize rr.raw 100M >/dev/null && [ \$(stat -c %s rr.raw) = 104857600 ]"

# ---------- qemu-img writes, ioemu-img reads ----------

qemu-img create -q -f raw cbase.raw 64M
qemu-io -f raw -c 'write -P 0xab 0 4M' -c 'write -P 0xcd 20M 1M' cbase.raw >/dev/null
qemu-img create -q -f qcow2 -b cbase.raw -F raw cmid.qcow2
qemu-io -c 'write -P 0x12 1M 2M' -c 'write -z 20M 64k' -c 'write -P 0x44 30M 3k' cmid.qcow2 >/dev/null
qemu-img snapshot -c s1 cmid.qcow2
qemu-io -c 'write -P 0x55 0 512k' cmid.qcow2 >/dev/null
qemu-img create -q -f qcow2 -b cmid.qcow2 -F qcow2 ctop.qcow2
qemu-io -c 'write -P 0x66 3M 100k' -c 'discard 20M 64k' -c 'write -z 40M 2M' ctop.qcow2 >/dev/null
qemu-img convert -O raw ctop.qcow2 ctop.raw
check "qemu chain (raw<-qcow2<-qcow2): compare" "$IMG" compare ctop.qcow2 ctop.raw
check "qemu chain: convert to raw is identical" bash -c "'$IMG' convert -O raw ctop.qcow2 mine.raw && cmp mine.raw ctop.raw"
check "info --backing-chain matches qemu-img" diff <("$IMG" info --backing-chain ctop.qcow2) <(qemu-img info --backing-chain ctop.qcow2)
check "info --output=json matches qemu-img" diff <("$IMG" info --output=json cmid.qcow2) <(qemu-img info --output=json cmid.qcow2)
check "info --output=json --backing-chain parses and matches" bash -c \
    "'$IMG' info --output=json --backing-chain ctop.qcow2 | python3 -m json.tool >/dev/null && diff <('$IMG' info --output=json --backing-chain ctop.qcow2) <(qemu-img info --output=json --backing-chain ctop.qcow2)"
check "map --output=json matches qemu-img" diff <("$IMG" map --output=json ctop.qcow2) <(qemu-img map --output=json ctop.qcow2)
check "map (human) matches qemu-img" diff <("$IMG" map cmid.qcow2) <(qemu-img map cmid.qcow2)
check "check --output=json matches qemu-img" diff <("$IMG" check --output=json cmid.qcow2) <(qemu-img check --output=json cmid.qcow2)
check "snapshot made by qemu-img applies" bash -c \
    "cp cmid.qcow2 ap.qcow2 && qemu-img convert -l s1 -O raw cmid.qcow2 s1.raw && '$IMG' snapshot -a s1 ap.qcow2 && qemu-img check -q ap.qcow2 && '$IMG' compare ap.qcow2 s1.raw >/dev/null"

for cs in 512 4096 65536 2097152; do
    for compat in 0.10 1.1; do
        qemu-img convert -O qcow2 -o cluster_size=$cs,compat=$compat ref.raw q.qcow2
        expect_rc "qemu-img image cluster_size=$cs compat=$compat reads back" 0 "$IMG" compare q.qcow2 ref.raw
    done
done
for ct in zlib zstd; do
    qemu-img convert -c -O qcow2 -o compression_type=$ct ref.raw qc.qcow2
    expect_rc "qemu-img compressed ($ct) reads back" 0 "$IMG" compare qc.qcow2 ref.raw
    check "qemu-img compressed ($ct): our check agrees" diff <("$IMG" check qc.qcow2) <(qemu-img check qc.qcow2)
done
qemu-img convert -c -O qcow2 -o cluster_size=2M ref.raw qc2m.qcow2
expect_rc "qemu-img compressed with 2M clusters reads back" 0 "$IMG" compare qc2m.qcow2 ref.raw
qemu-img create -q -f qcow2 existing.qcow2 64M
"$IMG" convert -n -O qcow2 qc.qcow2 existing.qcow2
check "convert -n into an existing qemu-img image" bash -c "qemu-img check -q existing.qcow2 && qemu-img compare -q existing.qcow2 ref.raw"

qemu-img create -q -f qcow2 bm.qcow2 64M
qemu-img bitmap --add bm.qcow2 b0 && qemu-img bitmap --add -g 1M bm.qcow2 b1
qemu-io -c 'write -P 7 0 3M' bm.qcow2 >/dev/null
check "persistent bitmaps: our check agrees with qemu-img (no false leaks)" \
    diff <("$IMG" check bm.qcow2 2>&1) <(qemu-img check bm.qcow2 2>&1)

# ---------- check, compare: exit codes ----------

qemu-img create -q -f qcow2 l.qcow2 64M
qemu-io -c 'write 0 192k' -c 'discard 64k 64k' l.qcow2 >/dev/null
printf '\x00\x01' | dd of=l.qcow2 bs=1 seek=$((0x20000 + 2 * 6)) conv=notrunc status=none
expect_rc "check: leaks give exit 3" 3 "$IMG" check l.qcow2
check "check: leak report matches qemu-img" diff <("$IMG" check l.qcow2 2>&1) <(qemu-img check l.qcow2 2>&1)
expect_rc "check -r leaks repairs (exit 0)" 0 "$IMG" check -r leaks l.qcow2
check "check -r leaks: qemu-img agrees" qcheck l.qcow2
qemu-img create -q -f qcow2 c.qcow2 64M
qemu-io -c 'write 0 64k' c.qcow2 >/dev/null
printf '\x00\x00' | dd of=c.qcow2 bs=1 seek=$((0x20000 + 2 * 5)) conv=notrunc status=none
expect_rc "check: corruption gives exit 2" 2 "$IMG" check c.qcow2
expect_rc "check -r all repairs (exit 0)" 0 "$IMG" check -r all c.qcow2
check "check -r all: qemu-img agrees" qcheck c.qcow2
expect_rc "check on raw: exit 63" 63 "$IMG" check ref.raw
expect_rc "compare equal: exit 0" 0 "$IMG" compare w.qcow2 ref.raw
cp ref.raw diff.raw; printf 'X' | dd of=diff.raw bs=1 seek=$((5 * 1048576 + 700)) conv=notrunc status=none
check "compare different: exit 1 and the offset" bash -c \
    "out=\$('$IMG' compare w.qcow2 diff.raw); [ \$? = 1 ] && [ \"\$out\" = 'Content mismatch at offset 5243392!' ]"
expect_rc "compare missing file: exit 2" 2 "$IMG" compare w.qcow2 nothere.raw
qemu-img create -q -f raw longer.raw 65M; dd if=ref.raw of=longer.raw conv=notrunc status=none
check "compare sizes differ, tail zero: identical" bash -c "'$IMG' compare ref.raw longer.raw | grep -q 'Images are identical'"
expect_rc "compare -s sizes differ: exit 1" 1 "$IMG" compare -s ref.raw longer.raw

# ---------- malformed images ----------

mkbad() { qemu-img create -q -f qcow2 "$1" 64M && qemu-io -c 'write -P 1 0 64k' "$1" >/dev/null; }
patch() { python3 -c "import sys,struct; f=open(sys.argv[1],'r+b'); f.seek(int(sys.argv[2],0)); f.write(bytes.fromhex(sys.argv[3]))" "$@"; }

mkbad huge-l1.qcow2; patch huge-l1.qcow2 36 10000000
bad_image "huge L1 table: refused" "L1 table too large" "$IMG" info huge-l1.qcow2
mkbad l1-eof.qcow2; patch l1-eof.qcow2 0x30000 8000000100000000
bad_image "L1 entry beyond EOF: read error" "beyond the end" "$IMG" convert -O raw l1-eof.qcow2 out.raw
bad_image "L1 entry beyond EOF: check reports corruption" "beyond the end" "$IMG" check l1-eof.qcow2
mkbad l2-unaligned.qcow2; patch l2-unaligned.qcow2 0x40000 8000000000050200
bad_image "unaligned data cluster: read error" "unaligned" "$IMG" compare l2-unaligned.qcow2 ref.raw
qemu-img create -q -f qcow2 -u -b loopB.qcow2 -F qcow2 loopA.qcow2 1M
qemu-img create -q -f qcow2 -u -b loopA.qcow2 -F qcow2 loopB.qcow2 1M
bad_image "backing loop: refused" "chain loop" "$IMG" compare loopA.qcow2 ref.raw
qemu-img create -q -f qcow2 -u -b loopZ.qcow2 -F qcow2 loopS.qcow2 1M
python3 -c "d=open('loopS.qcow2','rb').read(); open('loopS.qcow2','wb').write(d.replace(b'loopZ.qcow2', b'loopS.qcow2'))"
bad_image "image backed by itself: refused" "chain loop" "$IMG" convert -O raw loopS.qcow2 out.raw
mkbad ovf.qcow2; patch ovf.qcow2 $((0x20000 + 2 * 5)) ffff
bad_image "refcount overflow on snapshot: clear error" "overflow" "$IMG" snapshot -c s ovf.qcow2
check "refcount overflow: image still reads" bash -c "qemu-img convert -O raw ovf.qcow2 a.raw && '$IMG' compare ovf.qcow2 a.raw >/dev/null"
mkbad trunc.qcow2; truncate -s 60 trunc.qcow2
bad_image "truncated header: refused" "truncated" "$IMG" info trunc.qcow2
mkbad feat.qcow2; patch feat.qcow2 72 0000010000000000
bad_image "unknown incompatible feature: refused" "unsupported qcow2 feature" "$IMG" info feat.qcow2
mkbad cbits.qcow2; patch cbits.qcow2 20 00000040
bad_image "cluster_bits 64: refused" "cluster size" "$IMG" info cbits.qcow2
mkbad rtab.qcow2; patch rtab.qcow2 56 7fffffff
bad_image "huge refcount table: refused" "refcount table" "$IMG" info rtab.qcow2
mkbad snaps.qcow2; patch snaps.qcow2 60 7fffffff
bad_image "absurd snapshot count: refused" "snapshots" "$IMG" info snaps.qcow2
mkbad corrupt.qcow2; patch corrupt.qcow2 72 0000000000000002
bad_image "corrupt bit: writes refused with a message" "corrupt" "$IMG" snapshot -c x corrupt.qcow2
check "corrupt bit: still readable" bash -c "'$IMG' convert -O raw corrupt.qcow2 out.raw 2>/dev/null"
check "corrupt bit: check -r all clears it" bash -c "'$IMG' check -r all corrupt.qcow2 >/dev/null 2>&1; qemu-img info --output=json corrupt.qcow2 | grep -q '\"corrupt\": false'"

echo "1..$n"
[ "$fails" = 0 ]
