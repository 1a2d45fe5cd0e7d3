# SPDX-License-Identifier: GPL-2.0-or-later
#
# The layout of patches/, shared by tree.sh, series.sh and checkpatch.sh.
# Sourced, not run.
#
#   patches/topics          the known topics: a name, then what it holds
#   patches/series          every patch, TOPIC/NNNN-subject.patch, in
#                           applying order
#   patches/TOPIC/*.patch   a topic's patches, numbered within the topic
#
# A commit says its topic in a trailer, "Topic: NAME", which 'git am'
# keeps, so that 'make series' can write it back where it came from.

TOPIC_TRAILER=Topic

# The known topic names, one a line
series_topics() {
    [ -f patches/topics ] || return 0
    sed -e 's/#.*//' patches/topics | awk 'NF {print $1}'
}

# The lines of patches/series, comments and blanks dropped
series_lines() {
    [ -f patches/series ] || return 0
    sed -e 's/#.*//' -e 's/[[:space:]]*$//' patches/series | grep -v '^[[:space:]]*$' || true
}

# Check patches/series against patches/: prints one line of cause and fix
# and returns 1 at the first problem.
series_validate() {
    local line topic topics n=0
    topics=$(series_topics)
    while read -r line; do
        [ -n "$line" ] || continue
        n=$((n + 1))
        case "$line" in
            */*/*|/*|*/) echo "patches/series line '$line': expected TOPIC/FILE.patch"; return 1 ;;
            */*.patch) ;;
            *) echo "patches/series line '$line': expected TOPIC/FILE.patch"; return 1 ;;
        esac
        topic=${line%%/*}
        grep -qxF "$topic" <<<"$topics" ||
            { echo "patches/series names $line, in topic '$topic', which patches/topics does not list: add it there or fix the line"; return 1; }
        [ -f "patches/$line" ] ||
            { echo "patches/series names $line, which does not exist: restore it or drop the line"; return 1; }
    done < <(series_lines)
    # A patch that the series does not name would be silently left out
    local f
    while read -r f; do
        [ -n "$f" ] || continue
        grep -qxF "$f" < <(series_lines) ||
            { echo "patches/$f is not named in patches/series: add it there in its place, or remove it"; return 1; }
    done < <(cd patches 2>/dev/null && find . -mindepth 2 -name '*.patch' | sed 's|^\./||' | sort)
    return 0
}

# The patch files in applying order, as paths from the project's top
series_files() {
    series_lines | sed 's|^|patches/|'
}

# TREE COMMIT -> the commit's topic, from its trailer (empty if none)
commit_topic() {
    git -C "$1" log -1 --format="%(trailers:key=$TOPIC_TRAILER,valueonly,separator=%x2C)" "$2" |
        tr -d '[:space:]'
}
