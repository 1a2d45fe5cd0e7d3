#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Export the commits base..HEAD of build/qemu into patches/, one file per
# commit plus patches/series in order.  The output is stable: no commit
# hashes, no version signature, no numbering in subjects, so re-exporting
# an unchanged commit changes nothing in the project repo.
set -euo pipefail
cd "$(dirname "$0")/.."
Q=build/qemu

die() { echo "series: $*" >&2; exit 1; }

if [ "${1:-}" = --check-exported ]; then
    # Is everything in build/qemu safe in patches/?  For 'make distclean'.
    [ -d "$Q/.git" ] || exit 0
    ids() { git patch-id --stable | awk '{print $1}' | sort; }
    have=$(git -C "$Q" format-patch --stdout base..HEAD | ids)
    exported=$(cat patches/*.patch 2>/dev/null | ids)
    [ "$have" = "$exported" ] && [ -z "$(git -C "$Q" status --porcelain --untracked-files=no)" ] ||
        die "$Q has work not exported to patches/: run 'make series' (or remove $Q by hand)"
    exit 0
fi

[ -d "$Q/.git" ] && git -C "$Q" rev-parse -q --verify base >/dev/null ||
    die "no QEMU tree with a 'base' tag in $Q: run 'make' first"
[ ! -d "$Q/.git/rebase-apply" ] && [ ! -d "$Q/.git/rebase-merge" ] ||
    die "$Q is in the middle of a rebase or git am: finish it first"
dirty=$(git -C "$Q" status --porcelain | grep -v -E '^\?\? (build|pyvenv)/' || true)
[ -z "$dirty" ] ||
    die "$Q has uncommitted or untracked changes ($(echo "$dirty" | head -n 3 | awk '{print $2}' | tr '\n' ' ')...): commit them there (or remove them) and re-run"

tmp=patches.tmp
rm -rf "$tmp"
mkdir "$tmp"
git -C "$Q" -c core.abbrev=12 -c diff.noprefix=false format-patch -q \
    --zero-commit --no-signature --no-numbered --subject-prefix=PATCH \
    --no-cover-letter -o "$PWD/$tmp" base..HEAD || { rm -rf "$tmp"; die "git format-patch failed"; }
(cd "$tmp" && ls -1 *.patch 2>/dev/null || true) > "$tmp/series"

mkdir -p patches
rm -f patches/*.patch patches/series
mv "$tmp"/* patches/
rmdir "$tmp"
# What scripts/tree.sh may replace without losing work (see there)
git -C "$Q" format-patch --stdout base..HEAD | git patch-id --stable |
    awk '{print $1}' > "$Q/.git/block-series-exported"
echo "series: exported $(wc -l < patches/series) patches to patches/"
