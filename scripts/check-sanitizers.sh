#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# 'make check-sanitizers': what 'make check' does not catch.  Three lanes,
# each under a time limit, each printing its time:
#
#   asan-build   build/qemu/build-san, configured as build.sh does plus
#                --enable-asan --enable-ubsan; only what the tests use
#   asan-tests   check.sh on that build for the series' own tests (the last
#                block of tests/iotests.list, its unit tests, the crash
#                test); any ASan or UBSan report fails (see check.sh)
#   clang        the series' C files under clang -Werror (clang-werror.sh)
#
# Both builds use ccache, in build/ccache.  Logs go to build/check-san/;
# ends with 'N passed, N failed, N skipped': asan-tests' counts, plus one
# for the clang lane and one failure for a lane that could not run.  The
# line is also written to build/check-san/result.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
Q=build/qemu
B=$Q/build-san
OUT=build/check-san

die() { echo "check-sanitizers: $*" >&2; exit 1; }
command -v ccache >/dev/null || die "ccache not found: run 'make deps'"
[ -d "$Q/.git" ] || die "no QEMU tree in $Q: run 'make'"

export CCACHE_DIR=$top/build/ccache
rm -rf "$OUT"
mkdir -p "$OUT"

# Limits: from a clean clone on 2 idle cores the lanes took 11, 1.5 and
# 1 min (the build 21 min while another build ran; 18, 5 and 1.5 min in
# the CI run of 2026-12-05; 16, 7.5 and 1.3 min with rbd); with .ci/run's
# 48 for 'make check' they add up to 87, inside CI's 90.
BUILD_MIN=23 TESTS_MIN=12 CLANG_MIN=4

unit_tests=$(git -C "$Q" diff --name-only --diff-filter=AM base -- 'tests/unit/test-*.c' |
             sed 's|\.c$||')
targets="qemu-system-x86_64 qemu-img qemu-io qemu-nbd storage-daemon/qemu-storage-daemon $(echo $unit_tests)"

pass=0 fail=0 skip=0
if CC="ccache gcc" CXX="ccache g++" QEMU_BUILD=$B BUILD_TARGETS=$targets \
       EXTRA_CONFIGURE_FLAGS="--enable-asan --enable-ubsan" \
       scripts/lane.sh asan-build $BUILD_MIN scripts/build.sh 2>&1 | tee "$OUT/asan-build.log"; then
    QEMU_BUILD=$B CHECK_OUT=$OUT/tests ITESTS=series \
        scripts/lane.sh asan-tests $TESTS_MIN scripts/check.sh
    rc=$?
    p=0 f=0 s=0
    [ -f "$OUT/tests/result" ] && read -r p _ f _ s _ <"$OUT/tests/result"
    # A lane that failed without counting a failure: it died, timed out,
    # or ran no test
    [ "$rc" = 0 ] || [ "$f" -gt 0 ] || f=1
    pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
else
    fail=$((fail + 1))
fi

if scripts/lane.sh clang $CLANG_MIN scripts/clang-werror.sh 2>&1 | tee "$OUT/clang.log"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
fi

echo "$pass passed, $fail failed, $skip skipped" | tee "$OUT/result"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
