#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Is the series bisectable?  Build each prefix base..C of build/qemu's
# commits in a worktree of its own (build/bisect/qemu), and run the tests
# that C adds or changes: its iotests (with the formats that
# tests/iotests.list gives them, else qcow2 and raw) and its unit tests.
# The developer's tree and its build are left alone.  Logs go to
# build/bisect/; ends with 'N passed, N failed' for the patches.
#
#   BISECT_FROM=N   start at the Nth patch (the ones before are not built)
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
Q=build/qemu
W=build/bisect/qemu
OUT=build/bisect
FROM=${BISECT_FROM:-1}

die() { echo "bisect-check: $*" >&2; exit 1; }

[ -d "$Q/.git" ] && git -C "$Q" rev-parse -q --verify base >/dev/null ||
    die "no QEMU tree with a 'base' tag in $Q: run 'make' first"
commits=$(git -C "$Q" rev-list --reverse base..HEAD)
[ -n "$commits" ] || die "$Q has no commits on top of base"

if [ ! -e "$W/.git" ]; then
    rm -rf "$W"
    git -C "$Q" worktree prune
    git -C "$Q" worktree add -q --detach "$top/$W" base ||
        die "cannot add a worktree of $Q at $W"
fi
[ -z "$(git -C "$W" status --porcelain --untracked-files=no)" ] ||
    die "$W has changes of its own: remove it ('git -C $Q worktree remove --force $top/$W') and re-run"
mkdir -p "$OUT"

# COMMIT -> the iotests and unit tests it adds or changes, "io NAME" or
# "unit NAME", one a line
tests_of() {
    git -C "$Q" diff-tree --no-commit-id --name-only -r --diff-filter=AM "$1" |
        sed -nE -e 's|^tests/qemu-iotests/tests/([^/.]+)(\.out)?$|io \1|p' \
                -e 's|^tests/qemu-iotests/([0-9]{3})(\.out)?$|io \1|p' \
                -e 's|^tests/unit/(test-[^/]+)\.c$|unit \1|p' |
        awk '!seen[$0]++'
}

total=$(wc -w <<<"$commits")
n=0 good=0 bad=0
summary=()
for c in $commits; do
    n=$((n + 1))
    [ "$n" -ge "$FROM" ] || continue
    subject=$(git -C "$Q" log -1 --format=%s "$c")
    label="$n/$total \"$subject\""
    start=$(date +%s)
    git -C "$W" checkout -q --detach "$c" || die "cannot check out $c in $W"

    if ! QEMU_TREE=$W scripts/build.sh >"$OUT/$n-build.log" 2>&1; then
        echo "$label: does not build, see $OUT/$n-build.log"
        bad=$((bad + 1)) summary+=("$n: build failed")
        continue
    fi

    ok=1 ran=""
    io=$(tests_of "$c" | sed -n 's/^io //p' | xargs)
    for t in $(tests_of "$c" | sed -n 's/^unit //p'); do
        ran="$ran $t"
        if ! ninja -C "$W/build" "tests/unit/$t" >"$OUT/$n-$t.log" 2>&1 ||
           ! "$W/build/tests/unit/$t" >>"$OUT/$n-$t.log" 2>&1; then
            echo "$label: unit test $t failed, see $OUT/$n-$t.log"
            ok=0
        fi
    done
    if [ -n "$io" ]; then
        ran="$ran $io"
        ITESTS="$io" QEMU_BUILD=$W/build CHECK_OUT=$OUT/$n-check \
            scripts/check.sh >"$OUT/$n-check.log" 2>&1
        result=$(tail -n 1 "$OUT/$n-check.log")
        # Something must have run: a test skipped everywhere proves nothing
        if ! [[ $result =~ ^[1-9][0-9]*\ passed,\ 0\ failed, ]]; then
            echo "$label: iotests: $result, see $OUT/$n-check.log"
            ok=0
        fi
    fi

    time=$(( $(date +%s) - start ))
    if [ "$ok" = 1 ]; then
        echo "$label: builds; tests:${ran:- none of its own} pass (${time} s)"
        good=$((good + 1))
    else
        bad=$((bad + 1)) summary+=("$n: tests failed")
    fi
done

[ ${#summary[@]} -eq 0 ] || echo "Failed: ${summary[*]}"
echo "$good passed, $bad failed"
[ "$bad" = 0 ]
