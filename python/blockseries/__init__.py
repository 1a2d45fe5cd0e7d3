# SPDX-License-Identifier: GPL-2.0-or-later
"""
What the demo, the benchmarks and the crash test share:

  tools   where the QEMU binaries are, and the programs run around them:
          qemu-img, qemu-io, fio, nbdkit
  nodes   blockdev-add arguments: file, rbd and format nodes, alloc-track
  qsd     qemu-storage-daemon with a QMP monitor and an NBD server
  jobs    waiting for a job on its QMP events
  ceph    a Ceph cluster (scripts/ceph-cluster.sh) and its RBD images

The programs find this package, and QEMU's qemu.qmp, on PYTHONPATH, which
the Makefile (demo, bench) and scripts/check.sh (the crash test) set:

  PYTHONPATH=python:build/qemu/python
"""
