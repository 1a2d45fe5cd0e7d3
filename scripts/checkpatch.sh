#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run the base's scripts/checkpatch.pl on every patch in patches/series.
# Fails on any error; warnings are printed for a human to judge.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/series-lib.sh
top=$PWD
Q=build/qemu

die() { echo "checkpatch: $*" >&2; exit 1; }
[ -x "$Q/scripts/checkpatch.pl" ] || die "no $Q/scripts/checkpatch.pl: run 'make' first"
command -v perl >/dev/null || die "perl not found: apt-get install perl"

why=$(series_validate) || die "$why"

rc=0 n=0
for p in $(series_files); do
    n=$((n + 1))
    out=$(cd "$Q" && ./scripts/checkpatch.pl --no-summary --terse "$top/$p" 2>&1) || rc=1
    [ -z "$out" ] || printf '%s:\n%s\n' "$p" "$out"
done
if [ "$rc" = 0 ]; then
    echo "checkpatch: $n patches, no errors"
else
    echo "checkpatch: errors found" >&2
fi
exit $rc
