#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Download the pinned qemu source package into build/dl and check it
# against base.conf; record the version in build/dl/VERSION for the next
# steps.  If trixie no longer serves the pinned version, stop: the base
# never moves by itself.  Print the base.conf lines of the newest 10.0.x
# that trixie serves, so that moving to it is an explicit change.
set -euo pipefail
cd "$(dirname "$0")/.."
. ./base.conf

die() { echo "fetch-base: $*" >&2; exit 1; }

DL=build/dl
upstream_noepoch() { local v=${1#*:}; echo "${v%-*}"; }
files_for() {
    local v=${1#*:}
    echo "qemu_$v.dsc qemu_$(upstream_noepoch "$1").orig.tar.xz qemu_$v.debian.tar.xz"
}
verify() {   # version -> 0 if the three files match base.conf's sums
    local dsc orig deb
    read -r dsc orig deb <<<"$(files_for "$1")"
    [ -f "$DL/$dsc" ] && [ -f "$DL/$orig" ] && [ -f "$DL/$deb" ] || return 1
    sha256sum --status -c - <<EOT
$BASE_SHA256_DSC  $DL/$dsc
$BASE_SHA256_ORIG  $DL/$orig
$BASE_SHA256_DEBIAN  $DL/$deb
EOT
}

have=$(cat "$DL/VERSION" 2>/dev/null || true)
if [ "$have" = "$BASE_VERSION" ] && verify "$have" 2>/dev/null; then
    exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found: a Debian host is needed"
command -v dpkg-source >/dev/null || die "dpkg-source not found: run 'make deps' (package dpkg-dev)"

served=$(apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' | sort -u)
[ -n "$served" ] || die "apt knows no qemu source package: no deb-src entry for trixie; run 'make deps' (it adds one) and 'apt-get update'"

# sums_of VERSION -> "sha256 filename" lines from apt's index
sums_of() {
    apt-cache showsrc qemu 2>/dev/null | awk -v want="$1" '
        /^Version:/ { v = $2 }
        /^Checksums-Sha256:/ { c = (v == want); next }
        c && /^ / { print $1, $3; next }
        { c = 0 }'
}

version=$BASE_VERSION
if ! grep -qxF "$BASE_VERSION" <<<"$served"; then
    newest=""
    for v in $served; do
        case "${v#*:}" in 10.0.*) ;; *) continue ;; esac
        if [ -z "$newest" ] || dpkg --compare-versions "$v" gt "$newest"; then
            newest=$v
        fi
    done
    if [ -n "$newest" ]; then
        read -r dsc orig deb <<<"$(files_for "$newest")"
        sum() { sums_of "$newest" | awk -v f="$1" '$2 == f { print $1 }'; }
        cat >&2 <<EOT
fetch-base: the pinned base $BASE_VERSION is no longer served by trixie's deb-src
fetch-base: the newest 10.0.x served is $newest; to move the base to it, put
fetch-base: these lines in base.conf, then run make, make check and make series,
fetch-base: and commit base.conf with patches/:
BASE_VERSION=$newest
BASE_SHA256_DSC=$(sum "$dsc")
BASE_SHA256_ORIG=$(sum "$orig")
BASE_SHA256_DEBIAN=$(sum "$deb")
EOT
        exit 1
    fi
    die "the pinned base $BASE_VERSION is no longer served, and trixie serves no qemu 10.0.x source (served: $(echo $served)); pick a new base in base.conf"
fi

rm -rf "$DL.tmp"
mkdir -p "$DL.tmp"
chmod 777 "$DL.tmp"   # apt downloads as the unprivileged _apt user
(cd "$DL.tmp" && apt-get source -qq --download-only "qemu=$version") >/dev/null 2>"$DL.tmp/log" ||
    die "download of qemu=$version failed: $(grep -v '^W:' "$DL.tmp/log" | tail -n 1)"
rm -f "$DL.tmp/log"
rm -rf "$DL.old"
[ -d "$DL" ] && mv "$DL" "$DL.old"
mv "$DL.tmp" "$DL"
rm -rf "$DL.old"
if ! verify "$version"; then
    rm -rf "$DL"
    die "checksum mismatch for qemu $version against base.conf; the archive changed or the download is corrupt: re-run, and if it persists check base.conf"
fi
echo "$version" > "$DL/VERSION"
echo "fetch-base: qemu $version downloaded and verified"
