#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Create or update the QEMU git tree build/qemu: the pristine base (the
# Debian source package unpacked with its own patches applied) committed
# and tagged 'base', then patches/ applied in patches/series order, one
# commit per patch.  See scripts/series-lib.sh for the layout of patches/.
#
# An existing tree is only rebuilt when every commit in it is already in
# patches/ and it has no uncommitted changes: a developer's work is never
# thrown away.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/series-lib.sh
top=$PWD
Q=build/qemu
version=$(cat build/dl/VERSION)

die() { echo "tree: $*" >&2; exit 1; }

# Commit identity: the one configured here, else the project's own.
ident_env() {
    if ! git config user.email >/dev/null; then
        export GIT_AUTHOR_NAME="Block Series" GIT_AUTHOR_EMAIL=block-series@localhost
        export GIT_COMMITTER_NAME="Block Series" GIT_COMMITTER_EMAIL=block-series@localhost
    fi
}

series() {   # patch files in order; validated up front (check_series)
    series_files
}

check_series() {
    local why
    why=$(series_validate) || die "$why"
}

patch_ids() {   # stdin: mbox(es) -> patch-ids, one per line, in order
    git patch-id --stable | awk '{print $1}'
}

wanted_ids() {
    local p
    for p in $(series); do patch_ids < "$p"; done
}

have_ids() {
    git -C "$Q" format-patch --stdout base..HEAD | patch_ids
}

apply_series() {   # dir -> applies patches/ on HEAD, or fails cleanly
    local dir=$1 p n=0
    for p in $(series); do
        n=$((n + 1))
        if ! git -C "$dir" am -q --3way "$top/$p" >build/am.log 2>&1; then
            local files
            git -C "$dir" am --abort >/dev/null 2>&1 || true
            files=$(git -C "$dir" apply --check "$top/$p" 2>&1 |
                    sed -n 's/^error: patch failed: \([^:]*\):.*/\1/p
                            s/^error: \([^:]*\): \(does not exist in index\|No such file or directory\|already exists in working directory\)$/\1/p' |
                    sort -u | tr '\n' ' ')
            echo "tree: patch $p does not apply to qemu $version; conflicting files: ${files:-none found, see build/am.log}" >&2
            return 1
        fi
    done
    echo "tree: applied $n patches"
    record_applied "$dir"
}

# The patch-ids of the commits that came from patches/: replacing those
# loses nothing, even after patches/ changed under them (a pull).
record_applied() {
    git -C "$1" format-patch --stdout base..HEAD | patch_ids > "$1/.git/block-series-exported"
}

new_tree() {
    local tmp=$Q.tmp dsc
    rm -rf "$tmp"
    dsc=$(ls build/dl/qemu_*.dsc)
    echo "tree: unpacking $(basename "$dsc")"
    # Its signature cannot be checked without Debian's keyring of
    # uploaders; fetch-base.sh has checked the sums pinned in base.conf.
    dpkg-source -q -x "$dsc" "$tmp" >build/dpkg-source.log 2>&1 ||
        { rm -rf "$tmp"; die "dpkg-source -x failed on $dsc: see build/dpkg-source.log"; }
    rm -f build/qemu_*.orig.tar.*   # dpkg-source's link to the tarball
    (
        cd "$tmp"
        rm -rf .pc   # quilt's bookkeeping of Debian's patches, not source
        git init -q -b master
        git config core.autocrlf false
        git config am.keepcr true
        # build/ is make's build directory, build-*/ those of the other lanes
        printf '/build/\n/build-*/\n' >> .git/info/exclude
        git add -A -f .
        # Fixed dates give the same base commit on every machine.
        GIT_AUTHOR_NAME="Block Series" GIT_AUTHOR_EMAIL=block-series@localhost \
        GIT_COMMITTER_NAME="Block Series" GIT_COMMITTER_EMAIL=block-series@localhost \
        GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
            git commit -q -m "Base: Debian qemu $version" \
                -m "Debian trixie's qemu source package, unpacked with dpkg-source -x."
        git tag base
        echo "$version" > .git/block-series-base
    )
    ident_env
    if ! apply_series "$tmp"; then
        rm -rf "$tmp"
        exit 1
    fi
    rm -rf "$Q"
    mv "$tmp" "$Q"
}

command -v git >/dev/null || die "git not found: run 'make deps'"
check_series

if [ ! -d "$Q/.git" ]; then
    [ ! -e "$Q" ] || die "$Q exists but is not a git tree: move it away and re-run"
    new_tree
    exit 0
fi

git -C "$Q" rev-parse -q --verify base >/dev/null || die "$Q has no 'base' tag: move it away and re-run"
[ ! -d "$Q/.git/rebase-apply" ] && [ ! -d "$Q/.git/rebase-merge" ] ||
    die "$Q is in the middle of a rebase or git am: finish or abort it there"

same_base=0
[ "$(cat "$Q/.git/block-series-base" 2>/dev/null)" = "$version" ] && same_base=1
if [ "$same_base" = 1 ]; then
    have=$(have_ids)
    missing=$(grep -vxF -f <(echo "$have") <(wanted_ids) || true)
    if [ -z "$missing" ]; then
        # Up to date, or ahead with the developer's own commits
        ahead=$(grep -cvxF -f <(wanted_ids) <(echo "$have") || true)
        [ "$ahead" = 0 ] ||
            echo "tree: note: $Q has $ahead commit(s) not yet in patches/ ('make series' exports them)"
        exit 0
    fi
fi

# The tree differs from patches/: rebuild it only if nothing would be lost.
if [ -n "$(git -C "$Q" status --porcelain --untracked-files=no)" ]; then
    die "$Q has uncommitted changes and patches/ differs from its commits: commit them and run 'make series', or discard them"
fi
wanted=$( (wanted_ids; cat "$Q/.git/block-series-exported" 2>/dev/null) | sort -u)
for c in $(git -C "$Q" rev-list --reverse base..HEAD); do
    id=$(git -C "$Q" format-patch --stdout -1 "$c" | patch_ids)
    if ! grep -qxF "$id" <<<"$wanted"; then
        die "$Q has commit $(git -C "$Q" log -1 --format='%h "%s"' "$c") that is not in patches/, which changed: export it with 'make series', or remove $Q to take patches/ as it is"
    fi
done

if [ "$same_base" = 1 ]; then
    echo "tree: patches/ changed; re-applying the series on base"
    old=$(git -C "$Q" rev-parse HEAD)
    git -C "$Q" reset -q --hard base
    ident_env
    if ! apply_series "$Q"; then
        git -C "$Q" reset -q --hard "$old"
        exit 1
    fi
else
    echo "tree: base changed to qemu $version; recreating $Q"
    new_tree
fi
