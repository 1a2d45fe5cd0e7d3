#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Export the commits base..HEAD of build/qemu into patches/: each commit
# into the folder of its topic (its "Topic:" trailer, one of
# patches/topics), numbered within the topic, and patches/series listing
# them all in applying order.  The output is stable: no commit hashes, no
# version signature, no numbering in subjects, so re-exporting an
# unchanged commit changes nothing in the project repo.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/series-lib.sh
Q=build/qemu

die() { echo "series: $*" >&2; exit 1; }

if [ "${1:-}" = --check-exported ]; then
    # Is everything in build/qemu safe in patches/?  For 'make distclean'.
    [ -d "$Q/.git" ] || exit 0
    ids() { git patch-id --stable | awk '{print $1}' | sort; }
    have=$(git -C "$Q" format-patch --stdout base..HEAD | ids)
    exported=$(find patches -name '*.patch' -print0 2>/dev/null | sort -z | xargs -0 -r cat | ids)
    [ "$have" = "$exported" ] && [ -z "$(git -C "$Q" status --porcelain --untracked-files=no)" ] ||
        die "$Q has work not exported to patches/: run 'make series' (or remove $Q by hand)"
    exit 0
fi

[ -d "$Q/.git" ] && git -C "$Q" rev-parse -q --verify base >/dev/null ||
    die "no QEMU tree with a 'base' tag in $Q: run 'make' first"
[ ! -d "$Q/.git/rebase-apply" ] && [ ! -d "$Q/.git/rebase-merge" ] ||
    die "$Q is in the middle of a rebase or git am: finish it first"
dirty=$(git -C "$Q" status --porcelain | grep -v -E '^\?\? (build|build-san|build-clang|pyvenv)/' || true)
[ -z "$dirty" ] ||
    die "$Q has uncommitted or untracked changes ($(echo "$dirty" | head -n 3 | awk '{print $2}' | tr '\n' ' ')...): commit them there (or remove them) and re-run"
[ -f patches/topics ] || die "patches/topics is missing: restore it from git"

# Every commit must name a known topic before anything is written
topics=$(series_topics)
commits=$(git -C "$Q" rev-list --reverse base..HEAD)
for c in $commits; do
    t=$(commit_topic "$Q" "$c")
    what=$(git -C "$Q" log -1 --format='%h "%s"' "$c")
    [ -n "$t" ] ||
        die "commit $what has no '$TOPIC_TRAILER:' trailer: add one naming its topic ($(echo $topics)) with 'git commit --amend' or a rebase, and re-run"
    case "$t" in *,*)
        die "commit $what has several '$TOPIC_TRAILER:' trailers ($t): keep one" ;;
    esac
    grep -qxF "$t" <<<"$topics" ||
        die "commit $what names topic '$t', which patches/topics does not list ($(echo $topics)): fix the trailer, or add the topic to patches/topics"
done

tmp=patches.tmp
rm -rf "$tmp"
mkdir "$tmp"
trap 'rm -rf "$tmp"' EXIT
# The files beside the topics' folders stay as they are
find patches -maxdepth 1 -type f ! -name series ! -name '*.patch' -exec cp {} "$tmp/" \;
{
    echo "# The series in applying order: TOPIC/NNNN-subject.patch."
    echo "# Written by 'make series' from build/qemu; see patches/topics."
} > "$tmp/series"
declare -A num=()
for c in $commits; do
    t=$(commit_topic "$Q" "$c")
    num[$t]=$(( ${num[$t]:-0} + 1 ))
    f=$(git -C "$Q" -c core.abbrev=12 -c diff.noprefix=false format-patch \
            --zero-commit --no-signature --no-numbered --subject-prefix=PATCH \
            --no-cover-letter --start-number="${num[$t]}" -o "$PWD/$tmp/$t" -1 "$c") ||
        die "git format-patch failed on $c"
    echo "$t/$(basename "$f")" >> "$tmp/series"
done

trap - EXIT
rm -rf patches.old
[ -d patches ] && mv patches patches.old
mv "$tmp" patches
rm -rf patches.old
# What scripts/tree.sh may replace without losing work (see there)
git -C "$Q" format-patch --stdout base..HEAD | git patch-id --stable |
    awk '{print $1}' > "$Q/.git/block-series-exported"
echo "series: exported $(series_lines | wc -l) patches to patches/ ($(for t in $topics; do [ -n "${num[$t]:-}" ] && printf '%s ' "$t: ${num[$t]}"; done | sed 's/ $//'))"
