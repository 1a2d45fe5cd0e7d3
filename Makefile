# SPDX-License-Identifier: GPL-2.0-or-later
#
# The block-series workshop: fetch the pinned QEMU base, apply patches/,
# build, test, and export the series back.  See README.md.

SCRIPTS := scripts

# The Python packages of demo/ and bench/: blockseries (python/) and QEMU's
# qemu.qmp, from the tree of the build they run (QEMU_BUILD, as in
# python/blockseries/tools.py).  scripts/check.sh sets the same for the
# crash test.  Only on their command lines: QEMU's configure and the
# iotests bring their own.
PY_PATH = $(CURDIR)/python:$(abspath $(or $(QEMU_BUILD),build/qemu/build)/..)/python

.PHONY: all deps fetch tree build check check-sanitizers bisect-check demo bench series checkpatch clean distclean

all: build

deps:
	@$(SCRIPTS)/deps.sh

fetch: deps
	@$(SCRIPTS)/fetch-base.sh

tree: fetch
	@$(SCRIPTS)/tree.sh

build: tree
	@$(SCRIPTS)/build.sh

check: build
	@$(SCRIPTS)/check.sh

# The series under ASan and UBSan, and its C files under clang -Werror;
# builds its own build directories (build/qemu/build-san, build-clang)
check-sanitizers: tree
	@$(SCRIPTS)/check-sanitizers.sh

# Build each prefix of the series in a worktree and run the tests it adds
bisect-check: tree
	@$(SCRIPTS)/bisect-check.sh

# Live restore end to end on a 1 GiB disk; DEMO_ARGS="--size 4096" for more
demo: build
	@PYTHONPATH='$(PY_PATH)' /usr/bin/python3 demo/live-restore.py $(DEMO_ARGS)

# Restore and guest I/O benchmarks; BENCH_ARGS="--size 1024 --cases restore"
bench: build
	@PYTHONPATH='$(PY_PATH)' /usr/bin/python3 bench/bench.py $(BENCH_ARGS)

series:
	@$(SCRIPTS)/series.sh

checkpatch:
	@$(SCRIPTS)/checkpatch.sh

# Removes QEMU's build directories only; the tree and its commits stay,
# and so does build/ccache.
clean:
	rm -rf build/qemu/build build/qemu/build-san build/qemu/build-clang \
		build/check build/check-san build/bisect

# Removes everything under build/, the QEMU tree with it: run 'make series'
# first if it holds commits you want.
distclean:
	@$(SCRIPTS)/series.sh --check-exported
	rm -rf build
