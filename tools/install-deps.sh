#!/bin/sh
# Installs the Debian packages ioemu needs to build and test, when missing.
# Run as root (CI and the developer machines are); otherwise prints what is missing.
set -eu
PKGS="build-essential clang pkg-config libglib2.0-dev libjson-glib-dev libpixman-1-dev
libslirp-dev libxen-dev zlib1g-dev libzstd-dev libpng-dev libcapstone-dev
seabios qemu-system-x86 qemu-utils xorriso"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: not root; run: apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
