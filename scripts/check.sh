#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run qemu-iotests on the built tree: the whole 'auto' group for qcow2 and
# for raw, plus tests/iotests.list (block jobs and the series' own tests),
# then the unit tests that the series adds or changes, then the crash test.
# The full log goes to build/check/log, each failing test's output and
# diff to build/check/failures/.  Ends with 'N passed, N failed, N skipped'.
#
#   ITESTS="041 foo"          run only these (with the formats the list gives,
#                            qcow2 and raw for tests not in it)
#   IOTESTS_JOBS=N           parallel jobs (default 2)
#   CRASH_ARGS="--kills 100" options for tests/live-restore-crash.py, run last
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
# QEMU_BUILD and CHECK_OUT test another build (bisect-check.sh's)
B=${QEMU_BUILD:-build/qemu/build}
OUT=${CHECK_OUT:-build/check}
LIST=tests/iotests.list
JOBS=${IOTESTS_JOBS:-2}

die() { echo "check: $*" >&2; exit 1; }
[ -x "$B/tests/qemu-iotests/check" ] || die "$B is not built: run 'make'"

rm -rf "$OUT"
mkdir -p "$OUT/failures" "$OUT/scratch"
log=$OUT/log
: > "$log"

pass=0 fail=0 skip=0
failed=() flaky=()
# The 'auto' group holds tests for other formats too: they say so and are
# not counted.
NOT_APPLICABLE='not suitable for this image format'


# list_for FMT -> "test" lines to run, "skip test reason" lines to report
list_for() {
    grep -v -e '^#' -e '^[[:space:]]*$' "$LIST" | while read -r line; do
        t=${line%% *}
        rest=" ${line#* } "
        fmts=${rest%%skip:*}
        case "$fmts" in *" $1 "*) ;; *) continue ;; esac
        if [ -n "$ITESTS_SEL" ]; then
            case " $ITESTS_SEL " in *" $t "*) ;; *) continue ;; esac
        fi
        case "$rest" in
            *skip:*) echo "skip $t ${rest#*skip:}" ;;
            *) echo "$t" ;;
        esac
    done
}

ITESTS_SEL=${ITESTS:-}

# Debian's Python, which sees Debian's python3-libnbd, whatever python3
# comes first on PATH
mkdir -p "$OUT/bin"
ln -sf /usr/bin/python3 "$OUT/bin/python3"
export PATH=$top/$OUT/bin:$PATH

cd "$B/tests/qemu-iotests"
export TEST_DIR=$top/$OUT/scratch
for fmt in qcow2 raw; do
    if [ -n "$ITESTS_SEL" ]; then
        auto=""
        for t in $ITESTS_SEL; do
            case "$t" in live-restore-crash|test-*) continue ;; esac
            grep -qE "^$t( |\$)" "$top/$LIST" || auto="$auto $t"
        done
    else
        auto=$(./check -n "-$fmt" -g auto 2>/dev/null | grep -v '^$') ||
            die "cannot list the auto group"
    fi
    listed=$(cd "$top" && list_for "$fmt")
    skipped=$(grep '^skip ' <<<"$listed" | awk '{print $2}')
    tests=$( (echo "$auto" | tr ' ' '\n'; grep -v '^skip ' <<<"$listed") | grep -v '^$' |
             grep -vxF -e "${skipped:-/}" | awk '!seen[$0]++')
    while read -r _ t reason; do
        [ -n "$t" ] || continue
        echo "$(basename "$t") [$fmt] skipped: $reason" | tee -a "$top/$log"
        skip=$((skip + 1))
    done < <(grep '^skip ' <<<"$listed")
    [ -n "$tests" ] || continue

    echo "check: $(wc -w <<<"$tests") tests for $fmt" | tee -a "$top/$log"
    ./check "-$fmt" --color off -j "$JOBS" $tests >"$top/$OUT/$fmt.log" 2>&1
    cat "$top/$OUT/$fmt.log" >> "$top/$log"
    failed_now=()
    while read -r name status; do
        case "$status" in
            pass) pass=$((pass + 1)) ;;
            fail)
                failed_now+=("$name")
                ;;
            "not run") skip=$((skip + 1)) ;;
        esac
    done < <(grep -v "$NOT_APPLICABLE" "$top/$OUT/$fmt.log" |
             sed -nE 's/^(\S+)\s+(pass|fail|not run)\s+\[.*/\1 \2/p')
    grep -E '^\S+\s+(fail|not run)\s+\[' "$top/$OUT/$fmt.log" | grep -v "$NOT_APPLICABLE" |
        sed -E "s/^(\S+)\s+(\S+( run)?)\s+\[[^]]*\]\s+(\[[^]]*\])?\s+\S+\s+/\1 [$fmt] \2: /"

    # A failure is run once more, alone: upstream tests that race under
    # load pass then, and are reported as flaky rather than hidden.
    for name in "${failed_now[@]}"; do
        bad=$TEST_DIR/$fmt-file-$name/$name.out.bad
        [ -f "$bad" ] && cp "$bad" "$top/$OUT/failures/$fmt-$name.out.bad"
        sed -n "/^--- .*\/$name.out\(\.[a-z0-9]*\)\?\$/,/^[^-+@ ]/p" "$top/$OUT/$fmt.log" \
            > "$top/$OUT/failures/$fmt-$name.diff"
        if ./check "-$fmt" --color off "$name" >"$top/$OUT/$fmt-$name.retry.log" 2>&1; then
            echo "$name [$fmt] flaky: failed, then passed when run alone" | tee -a "$top/$log"
            flaky+=("$name [$fmt]")
            pass=$((pass + 1))
        else
            cat "$top/$OUT/$fmt-$name.retry.log" >> "$top/$log"
            echo "$name [$fmt] failed again when run alone" | tee -a "$top/$log"
            fail=$((fail + 1))
            failed+=("$name [$fmt]")
        fi
    done
done

cd "$top"
# The unit tests that the series adds or changes
Q=$(dirname "$B")
for t in $(git -C "$Q" diff --name-only --diff-filter=AM base -- 'tests/unit/test-*.c' 2>/dev/null |
           sed 's|^tests/unit/||; s|\.c$||'); do
    if [ -n "$ITESTS_SEL" ] && [[ " $ITESTS_SEL " != *" $t "* ]]; then
        continue
    fi
    if "$B/tests/unit/$t" >"$OUT/$t.log" 2>&1; then
        echo "$t [unit] pass" >>"$log"
        pass=$((pass + 1))
    else
        echo "$t [unit] failed: see $OUT/$t.log" | tee -a "$log"
        fail=$((fail + 1))
        failed+=("$t [unit]")
    fi
done

# The crash test of a durable live restore: SIGKILLs at random moments
if [ -z "$ITESTS_SEL" ] || [[ " $ITESTS_SEL " == *" live-restore-crash "* ]]; then
    # blockseries (python/) and QEMU's qemu.qmp of the tree under test, as
    # the Makefile gives them to demo/ and bench/
    if PYTHONPATH="$top/python:$(cd "$Q" && pwd)/python" \
           /usr/bin/python3 tests/live-restore-crash.py ${CRASH_ARGS:-} \
           >"$OUT/live-restore-crash.log" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        failed+=("live-restore-crash")
    fi
    tee -a "$log" <"$OUT/live-restore-crash.log" | grep -E 'mismatches|FAILED|Error'
fi

if [ ${#flaky[@]} -gt 0 ]; then
    echo "Flaky (passed when run alone): ${flaky[*]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "Failed: ${failed[*]}"
fi
if [ ${#failed[@]} -gt 0 ] || [ ${#flaky[@]} -gt 0 ]; then
    echo "Log: $log; outputs and diffs: $OUT/failures/"
fi
echo "$pass passed, $fail failed, $skip skipped" | tee -a "$log"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
