#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Compile the C files that the series touches with clang and
# --enable-werror, in build/qemu/build-clang: clang warns about more than
# gcc, and meson adds -Wthread-safety for it, which checks the series'
# lock annotations.  Only those files' objects are built (and the headers
# they need), not the whole tree.  clang 19, not bookworm's default 14:
# meson adds -Wthread-safety only for a clang that follows
# __attribute__((cleanup)) (QEMU's lock guards), which 14 does not.
set -uo pipefail
cd "$(dirname "$0")/.."
Q=build/qemu
B=$Q/build-clang

die() { echo "clang-werror: $*" >&2; exit 1; }
command -v clang-19 >/dev/null || die "clang-19 not found: run 'make deps'"

CC="ccache clang-19" CXX="ccache clang++-19" QEMU_BUILD=$B CONFIGURE_ONLY=1 \
    EXTRA_CONFIGURE_FLAGS=--enable-werror scripts/build.sh ||
    die "cannot configure $B with clang: see $B/configure.log"

grep -q -e '-Wthread-safety' "$B/compile_commands.json" ||
    die "meson did not enable -Wthread-safety with clang-19: see 'tsa_has_cleanup' in $B/meson-logs/meson-log.txt"

files=$(git -C "$Q" diff --name-only --diff-filter=d base -- '*.c')
[ -n "$files" ] || die "the series touches no C file: is $Q's 'base' tag right?"
# Each file's objects (a file may be built into more than one target)
objs=$(/usr/bin/python3 - "$B/compile_commands.json" $files <<'EOT'
import json, os, sys
cmds = json.load(open(sys.argv[1]))
build = os.path.dirname(os.path.abspath(sys.argv[1]))
src = os.path.dirname(build)
for f in sys.argv[2:]:
    outs = [c['output'] for c in cmds
            if os.path.normpath(os.path.join(build, c['file'])) == os.path.join(src, f)]
    print(' '.join(outs) if outs else 'MISSING:' + f)
EOT
) || die "cannot read $B/compile_commands.json: remove $B and re-run"
missing=$(tr ' ' '\n' <<<"$objs" | sed -n 's/^MISSING://p')
[ -z "$missing" ] || die "no object builds $(echo $missing) in $B: is it in the configured targets?"

echo "clang-werror: $(wc -w <<<"$files") files, $(wc -w <<<"$objs") objects"
if ! ninja -C "$B" $objs >"$B/ninja.log" 2>&1; then
    grep -E -A3 'warning:|error:' "$B/ninja.log" | head -n 60 >&2
    die "clang -Werror found the above in the series' files: fix the patch that adds it (log: $B/ninja.log)"
fi
echo "clang-werror: the series' files build with clang -Werror"
