#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Configure (only when the flags changed) and build build/qemu, then put
# the firmware qemu-iotests needs where QEMU run from the build tree finds
# it: the x86 option ROMs built from the tree; SeaBIOS, VGA BIOSes and
# iPXE NIC ROMs from Debian.
#
#   QEMU_TREE=DIR        build another tree (bisect-check.sh's worktree)
#   QEMU_BUILD=DIR       in another build directory (check-sanitizers.sh's)
#   EXTRA_CONFIGURE_FLAGS, CC, CXX   configure it otherwise
#   BUILD_TARGETS="..."  build only these ninja targets
#   CONFIGURE_ONLY=1     stop after configuring
set -euo pipefail
cd "$(dirname "$0")/.."
Q=${QEMU_TREE:-build/qemu}
B=${QEMU_BUILD:-$Q/build}

die() { echo "build: $*" >&2; exit 1; }

FLAGS=(
    --python=/usr/bin/python3
    --target-list=x86_64-softmmu
    --enable-tools
    --disable-docs
    --disable-user
    --enable-linux-aio
    --enable-linux-io-uring
    --enable-zstd
    --enable-gnutls
    --enable-rbd
    --disable-download
    --disable-werror
    --disable-install-blobs
    ${EXTRA_CONFIGURE_FLAGS:-}
)

for t in ninja meson /usr/bin/python3 cc; do
    command -v "$t" >/dev/null || die "$t not found: run 'make deps'"
done

want="${FLAGS[*]}"
# The compilers count as flags, but only when set: the default build's
# record stays as it was, and is not reconfigured.
[ -z "${CC:-}${CXX:-}" ] || want="$want CC=${CC:-} CXX=${CXX:-}"
if [ ! -f "$B/build.ninja" ] || [ "$(cat "$B/block-series-flags" 2>/dev/null)" != "$want" ]; then
    echo "build: configuring"
    rm -rf "$B"
    mkdir -p "$B"
    src=$(cd "$Q" && pwd)
    (cd "$B" && "$src/configure" "${FLAGS[@]}" >configure.log 2>&1) ||
        die "configure failed: see $B/configure.log"
    echo "$want" > "$B/block-series-flags"
fi
[ -z "${CONFIGURE_ONLY:-}" ] || exit 0

if ! ninja -C "$B" ${BUILD_TARGETS:-} >"$B/ninja.log" 2>&1; then
    grep -E -A5 'error|FAILED' "$B/ninja.log" | head -n 40 >&2
    die "ninja failed: see $B/ninja.log"
fi

# Option ROMs need configure's i386 compiler probe to pass (gcc-multilib).
if [ -f "$B/pc-bios/optionrom/Makefile" ]; then
    make -s -C "$B/pc-bios/optionrom" >"$B/optionrom.log" 2>&1 ||
        die "building the option ROMs failed: see $B/optionrom.log"
fi
datadir=$B/qemu-bundle/usr/local/share/qemu
mkdir -p "$datadir"
for rom in "$B"/pc-bios/optionrom/kvmvapic.bin /usr/share/seabios/bios-256k.bin \
           /usr/lib/ipxe/qemu/efi-e1000.rom; do
    [ -f "$rom" ] || die "missing firmware $rom: run 'make deps' (gcc-multilib, seabios, ipxe-qemu)"
done
for rom in "$B"/pc-bios/optionrom/*.bin /usr/share/seabios/*.bin /usr/lib/ipxe/qemu/*.rom; do
    ln -sf "$(realpath "$rom")" "$datadir/"
done
echo "build: $B is up to date"
