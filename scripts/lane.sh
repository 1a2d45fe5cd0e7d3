#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
#   lane.sh NAME MINUTES COMMAND...
#
# Run one lane of CI under a time limit and print how long it took: CI
# has 90 minutes for everything, and a hung test must not eat them all
# without saying where it was.
set -uo pipefail
name=$1 mins=$2
shift 2

start=$(date +%s)
# -k: a lane that ignores SIGTERM is killed a minute later
timeout -k 60 "${mins}m" "$@"
rc=$?
secs=$(($(date +%s) - start))
took=$(printf '%dm%02ds' $((secs / 60)) $((secs % 60)))
case $rc in
    0) echo "lane $name: passed in $took" ;;
    124|137)
        echo "lane $name: timed out after $mins min: something hangs (its log tells what ran last), or the machine is slower (then raise the limit, in .ci/run or scripts/check-sanitizers.sh)"
        ;;
    *) echo "lane $name: failed in $took (exit $rc)" ;;
esac
exit $rc
