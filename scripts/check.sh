#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run qemu-iotests on the built tree: the whole 'auto' group for qcow2 and
# for raw, plus tests/iotests.list (block jobs and the series' own tests),
# then the unit tests that the series adds or changes, then the crash test.
# Results are read from ./check's TAP output.  The full log goes to
# build/check/log, each failing test's output and diff to
# build/check/failures/.  Ends with 'N passed, N failed, N skipped', also
# written to build/check/result.
#
# A failed iotest is run once more, alone.  If it passes then it is flaky:
# not counted as passed; the series' own flaky tests count as failed, an
# upstream one counts as neither (it is listed, but does not fail the run).
#
#   ITESTS="041 foo"          run only these (with the formats the list gives,
#                            qcow2 and raw for tests not in it); the word
#                            'series' stands for all the series' own tests
#   IOTESTS_JOBS=N           parallel jobs (default 2)
#   CRASH_ARGS="--kills 100" options for tests/live-restore-crash.py, run last
#   RBD_CRASH_ARGS="--kills 20" the same for its run with the target and state
#                            on rbd (live-restore-crash-rbd; default 6 kills)
#
# On a build with AddressSanitizer (check-sanitizers.sh's), ASan and UBSan
# write to files under build/check/sanitizer/, and any report there fails
# the run.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
# QEMU_BUILD and CHECK_OUT test another build (bisect-check.sh's,
# check-sanitizers.sh's)
B=${QEMU_BUILD:-build/qemu/build}
OUT=${CHECK_OUT:-build/check}
LIST=tests/iotests.list
JOBS=${IOTESTS_JOBS:-2}
# tests/live-restore-crash.py finds the build through it too
export QEMU_BUILD=$B

die() { echo "check: $*" >&2; exit 1; }
[ -x "$B/tests/qemu-iotests/check" ] || die "$B is not built: run 'make'"

# A cluster that a killed run left behind
scripts/ceph-cluster.sh stop "$OUT/ceph"
rm -rf "$OUT"
mkdir -p "$OUT/failures" "$OUT/scratch"
log=$OUT/log
: > "$log"

pass=0 fail=0 skip=0
failed=() flaky=() flaky_series=()
# The 'auto' group holds tests for other formats too: they say so and are
# not counted.
NOT_APPLICABLE='not suitable for this image format'

# The series' own tests: the last block of the list, the unit tests that
# the series adds or changes, and the crash test.  A flaky one fails the run.
Q=$(dirname "$B")
series_io=$(sed -n "/^# the series' own tests/,\$p" "$LIST" |
            grep -v -e '^#' -e '^[[:space:]]*$' | awk '{print $1}')
[ -n "$series_io" ] || die "$LIST lacks its last block \"# the series' own tests\": restore it"
unit_tests=$(git -C "$Q" diff --name-only --diff-filter=AM base -- 'tests/unit/test-*.c' 2>/dev/null |
             sed 's|^tests/unit/||; s|\.c$||')
series=" $(echo $series_io $unit_tests) live-restore-crash live-restore-crash-rbd "
is_series() { [[ "$series" == *" $1 "* ]]; }

ITESTS_SEL=
for t in ${ITESTS:-}; do
    if [ "$t" = series ]; then ITESTS_SEL="$ITESTS_SEL$series"; else ITESTS_SEL="$ITESTS_SEL $t"; fi
done
selected() { [ -z "$ITESTS_SEL" ] || [[ " $ITESTS_SEL " == *" $1 "* ]]; }

# list_for FMT PROTO -> "test" lines to run, "skip test reason" lines to
# report.  A line's formats are raw and qcow2; the token nbd runs the test
# with -nbd, instead of on the file protocol.
list_for() {
    grep -v -e '^#' -e '^[[:space:]]*$' "$LIST" | while read -r line; do
        t=${line%% *}
        rest=" ${line#* } "
        fmts=${rest%%skip:*}
        case "$fmts" in *" $1 "*) ;; *) continue ;; esac
        case "$fmts" in *" nbd "*) p=nbd ;; *) p=file ;; esac
        [ "$p" = "$2" ] || continue
        selected "$t" || continue
        case "$rest" in
            *skip:*) echo "skip $t ${rest#*skip:}" ;;
            *) echo "$t" ;;
        esac
    done
}

nbd_tests=$(grep -v -e '^#' -e '^[[:space:]]*$' "$LIST" | sed 's/skip:.*//' |
            awk '/ nbd( |$)/ {print $1}')

# Tests with the token ceph get a throwaway cluster, unless CEPH_CONF names
# one; it is stopped when this script exits, however it exits.  Without a
# cluster they report themselves not run, and are counted as skipped.
need_ceph=
for t in $(grep -v -e '^#' -e '^[[:space:]]*$' "$LIST" | sed 's/skip:.*//' |
           awk '/ ceph( |$)/ {print $1}'); do
    selected "$t" && need_ceph=1
done
selected live-restore-crash-rbd && need_ceph=1
if [ -n "$need_ceph" ] && [ -z "${CEPH_CONF:-}" ]; then
    ceph_dir=$top/$OUT/ceph
    trap '"$top/scripts/ceph-cluster.sh" stop "$ceph_dir"' EXIT
    if out=$(scripts/ceph-cluster.sh start "$ceph_dir" 2>&1); then
        export "$(tail -n 1 <<<"$out")"
        echo "check: a Ceph cluster for the rbd tests: $CEPH_CONF" | tee -a "$log"
    else
        echo "check: no Ceph cluster for the rbd tests: $out" | tee -a "$log"
    fi
fi

# A gcc ASan build logs to files: its makecontext/swapcontext warning in
# every process's stderr would break the iotests' output comparison.
# QEMU leaks at exit by design, hence detect_leaks=0.
san=
if ldd "$B/qemu-img" 2>/dev/null | grep -q libasan; then
    san=$top/$OUT/sanitizer
    mkdir -p "$san"
    export ASAN_OPTIONS="detect_leaks=0:log_path=$san/asan"
    export UBSAN_OPTIONS="print_stacktrace=1:log_path=$san/ubsan"
fi

# Debian's Python, which sees Debian's python3-libnbd, whatever python3
# comes first on PATH
mkdir -p "$OUT/bin"
ln -sf /usr/bin/python3 "$OUT/bin/python3"
export PATH=$top/$OUT/bin:$PATH

# iotests FMT PROTO OUTFILE TEST...: run them with -tap; the TAP goes to
# OUTFILE.tap, the diffs of failures to OUTFILE.err
iotests() {
    local fmt=$1 proto=$2 out=$3
    shift 3
    local p=()
    [ "$proto" = file ] || p=("-$proto")
    ./check "-$fmt" "${p[@]}" -tap -j "$JOBS" "$@" >"$out.tap" 2>"$out.err"
}

# result TAPFILE FMT TEST -> pass, fail, skip, or nothing if check gave no
# result for it (it died).  TAP lines: "ok FMT TEST", "not ok FMT TEST",
# "ok FMT TEST # SKIP".
result() {
    awk -v fmt="$2" -v t="$3" '
        $1 == "ok" && $2 == fmt && $3 == t { r = ($4 == "#" && $5 == "SKIP") ? "skip" : "pass" }
        $1 == "not" && $2 == "ok" && $3 == fmt && $4 == t { r = "fail" }
        END { if (r != "") print r }' "$1"
}

cd "$B/tests/qemu-iotests"
export TEST_DIR=$top/$OUT/scratch
for fmt in qcow2 raw; do
    for proto in file nbd; do
        tag=$fmt
        [ "$proto" = file ] || tag="$fmt $proto"
        auto=""
        if [ "$proto" = file ] && [ -n "$ITESTS_SEL" ]; then
            for t in $ITESTS_SEL; do
                case "$t" in live-restore-crash*|test-*) continue ;; esac
                grep -qE "^$t( |\$)" "$top/$LIST" || auto="$auto $t"
            done
        elif [ "$proto" = file ]; then
            auto=$(./check -n "-$fmt" -g auto 2>/dev/null | grep -v '^$') ||
                die "cannot list the auto group"
        fi
        listed=$(cd "$top" && list_for "$fmt" "$proto")
        skipped=$(grep '^skip ' <<<"$listed" | awk '{print $2}')
        # A test the list runs with -nbd does not run on the file protocol
        tests=$( (echo "$auto" | tr ' ' '\n'; grep -v '^skip ' <<<"$listed") | grep -v '^$' |
                 grep -vxF -e "${skipped:-/}" -e "${nbd_tests:-/}" | awk '!seen[$0]++')
        [ "$proto" = file ] || tests=$(grep -v -e '^skip ' -e '^$' <<<"$listed")
        while read -r _ t reason; do
            [ -n "$t" ] || continue
            echo "$(basename "$t") [$tag] skipped: $reason" | tee -a "$top/$log"
            skip=$((skip + 1))
        done < <(grep '^skip ' <<<"$listed")
        [ -n "$tests" ] || continue

        run=$top/$OUT/$fmt-$proto
        echo "check: $(wc -w <<<"$tests") tests for $tag" | tee -a "$top/$log"
        iotests "$fmt" "$proto" "$run" $tests
        cat "$run.tap" "$run.err" >> "$top/$log"
        grep -q '^TAP version' "$run.tap" ||
            die "./check -$fmt gave no TAP ($(head -n 1 "$run.err")): fix that, see $run.err"
        failed_now=()
        for t in $tests; do
            case "$(result "$run.tap" "$fmt" "$t")" in
                pass) pass=$((pass + 1)) ;;
                skip)
                    reason=$(cat "$TEST_DIR/$fmt-$proto-$t/$t.notrun" 2>/dev/null)
                    case "$reason" in *"$NOT_APPLICABLE"*) continue ;; esac
                    echo "$t [$tag] not run: ${reason:-no reason given}" | tee -a "$top/$log"
                    skip=$((skip + 1))
                    ;;
                fail)
                    echo "$t [$tag] failed" | tee -a "$top/$log"
                    failed_now+=("$t")
                    ;;
                *)
                    echo "$t [$tag] failed: ./check gave no result for it (see $run.err)" |
                        tee -a "$top/$log"
                    failed_now+=("$t")
                    ;;
            esac
        done

        # A failure is run once more, alone: upstream tests that race under
        # load pass then, and are reported as flaky rather than hidden.
        for t in "${failed_now[@]}"; do
            bad=$TEST_DIR/$fmt-$proto-$t/$t.out.bad
            [ -f "$bad" ] && cp "$bad" "$top/$OUT/failures/$fmt-$proto-$t.out.bad"
            sed -n "/^--- .*\/$t.out\(\.[a-z0-9]*\)\?\$/,/^[^-+@ ]/p" "$run.err" \
                > "$top/$OUT/failures/$fmt-$proto-$t.diff"
            iotests "$fmt" "$proto" "$run-$t.retry" "$t"
            cat "$run-$t.retry.tap" "$run-$t.retry.err" >> "$top/$log"
            if [ "$(result "$run-$t.retry.tap" "$fmt" "$t")" = pass ]; then
                echo "$t [$tag] flaky: failed, then passed when run alone" | tee -a "$top/$log"
                if is_series "$t"; then
                    flaky_series+=("$t [$tag]")
                    fail=$((fail + 1))
                else
                    flaky+=("$t [$tag]")
                fi
            else
                echo "$t [$tag] failed again when run alone" | tee -a "$top/$log"
                fail=$((fail + 1))
                failed+=("$t [$tag]")
            fi
        done
    done
done

cd "$top"
# The unit tests that the series adds or changes
for t in $unit_tests; do
    selected "$t" || continue
    if "$B/tests/unit/$t" >"$OUT/$t.log" 2>&1; then
        echo "$t [unit] pass" >>"$log"
        pass=$((pass + 1))
    else
        echo "$t [unit] failed: see $OUT/$t.log" | tee -a "$log"
        fail=$((fail + 1))
        failed+=("$t [unit]")
    fi
done

# The crash test of a durable live restore: SIGKILLs at random moments;
# then with the target and the state on rbd (each run waits 6 s for the
# killed daemon's lock: fewer kills)
crash_test() {
    local name=$1; shift
    selected "$name" || return 0
    # blockseries (python/) and QEMU's qemu.qmp of the tree under test, as
    # the Makefile gives them to demo/ and bench/
    if PYTHONPATH="$top/python:$(cd "$Q" && pwd)/python" \
           /usr/bin/python3 tests/live-restore-crash.py "$@" \
           >"$OUT/$name.log" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        failed+=("$name")
    fi
    tee -a "$log" <"$OUT/$name.log" | grep -E 'mismatches|FAILED|Error'
}
crash_test live-restore-crash ${CRASH_ARGS:-}
crash_test live-restore-crash-rbd --target rbd --workdir "$top/build/crash-rbd" \
    ${RBD_CRASH_ARGS:---kills 6}

# Any sanitizer report fails the run (one failure for all: the files are
# named by process, not by test), except ASan's two warnings about the
# coroutine stacks it cannot follow: gcc's makecontext/swapcontext one, in
# every process, and __asan_handle_no_return's (with its two lines of
# advice), printed once by a process whose coroutine jumps back to the
# main stack.  Neither is a finding; each says false positives may follow,
# and any such would be reported, and fail, on its own.
STACK_WARNINGS=(
    -e "WARNING: ASan doesn't fully support makecontext/swapcontext"
    -e 'WARNING: ASan is ignoring requested __asan_handle_no_return'
    -e '^False positive error reports may follow$'
    -e '^For details see https://github.com/google/sanitizers/issues/189$'
)
if [ -n "$san" ]; then
    reports=0
    for f in "$san"/*; do
        [ -f "$f" ] || continue
        grep -qv "${STACK_WARNINGS[@]}" "$f" || continue
        reports=$((reports + 1))
        echo "sanitizer report in ${f#"$top"/}:" | tee -a "$log"
        grep -v "${STACK_WARNINGS[@]}" "$f" | head -n 20 | sed 's/^/    /' | tee -a "$log"
    done
    if [ "$reports" -gt 0 ]; then
        fail=$((fail + 1))
        failed+=("sanitizers ($reports reports in $OUT/sanitizer/)")
    else
        echo "sanitizers: no report in $OUT/sanitizer/ ($(ls "$san" | wc -l) logs of coroutine-stack warnings only)" |
            tee -a "$log"
    fi
fi

if [ ${#flaky[@]} -gt 0 ]; then
    echo "Flaky, upstream (counted neither passed nor failed): ${flaky[*]}" | tee -a "$log"
fi
if [ ${#flaky_series[@]} -gt 0 ]; then
    echo "Flaky, the series' own (counted as failed): ${flaky_series[*]}" | tee -a "$log"
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "Failed: ${failed[*]}" | tee -a "$log"
fi
if [ ${#failed[@]} -gt 0 ] || [ ${#flaky[@]} -gt 0 ] || [ ${#flaky_series[@]} -gt 0 ]; then
    echo "Log: $log; outputs and diffs: $OUT/failures/"
fi
echo "$pass passed, $fail failed, $skip skipped" | tee -a "$log" > "$OUT/result"
cat "$OUT/result"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
