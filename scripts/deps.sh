#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install what building and testing the series needs on a Debian 12 host:
# apt sources for trixie's source packages and bookworm-backports (meson
# >= 1.5 and python3-pycotap), then the packages.  The archive address is
# taken from the machine's own apt sources, so none is written here.
set -euo pipefail

die() { echo "deps: $*" >&2; exit 1; }

PKGS=(
    build-essential gcc-multilib pkg-config git dpkg-dev ca-certificates
    libglib2.0-dev libpixman-1-dev zlib1g-dev libaio-dev liburing-dev
    libzstd-dev libfdt-dev libslirp-dev flex bison python3-venv python3-setuptools
    ninja-build seabios ipxe-qemu
    python3 file bc socat gzip xz-utils
    libgnutls28-dev gnutls-bin python3-libnbd
    nbdkit libnbd-bin fio gnuplot-nox
    clang-19 ccache
    ceph-mon ceph-osd ceph-common librbd-dev
)
BACKPORTS=(meson python3-pycotap)

missing() {
    local p
    for p in "${PKGS[@]}" "${BACKPORTS[@]}"; do
        dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed || echo "$p"
    done
    dpkg --compare-versions "$(dpkg-query -W -f='${Version}' meson 2>/dev/null)" ge 1.5 ||
        echo "meson>=1.5"
}

SOURCES=/etc/apt/sources.list.d/block-series.sources

[ -f "$SOURCES" ] && [ -z "$(missing)" ] && exit 0

[ "$(id -u)" = 0 ] || die "missing packages ($(missing | tr '\n' ' ')): run 'make deps' as root"
command -v apt-get >/dev/null || die "apt-get not found: a Debian 12 host is needed"

archive_uri() {
    # deb822 files first, then one-line sources; first Debian main archive
    # (not the security one) wins.
    {
        grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | sed 's/^URIs:[[:space:]]*//' | tr ' ' '\n' || true
        grep -hs '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
            sed -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' | awk '{print $1}' || true
    } | grep -E '/debian/?$' | grep -v security | head -n 1 || true
}

if [ ! -f "$SOURCES" ]; then
    uri=$(archive_uri)
    [ -n "$uri" ] || die "no Debian archive in the machine's apt sources to derive trixie's deb-src from; add a 'deb' entry for Debian and re-run"
    cat > "$SOURCES.tmp" <<EOT
# Added by the block-series build (scripts/deps.sh).
Types: deb-src
URIs: $uri
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
    mv "$SOURCES.tmp" "$SOURCES"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || die "apt-get update failed: check the network and $SOURCES"

apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null ||
    die "apt-get install failed for: ${PKGS[*]}"
apt-get install -y -qq --no-install-recommends -t bookworm-backports "${BACKPORTS[@]}" >/dev/null ||
    die "apt-get install from bookworm-backports failed for: ${BACKPORTS[*]}"

ver=$(/usr/bin/python3 -c 'import mesonbuild.coredata as c; print(c.version)' 2>/dev/null || meson --version)
echo "deps: installed; meson $ver"
