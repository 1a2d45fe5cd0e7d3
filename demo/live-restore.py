#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Live restore, end to end, with the patched QEMU in build/qemu/build:

1. create a disk image with a known pattern;
2. back it up with blockdev-backup while a "guest" writes to it;
3. live-restore the backup into a fresh target through alloc-track,
   under qemu-storage-daemon, with an NBD export serving the guest's
   reads and writes while block-stream copies; the target is a raw file,
   or with --target rbd an RBD image (of the Ceph cluster that CEPH_CONF
   names, or else of a throwaway one started in the work directory);
4. check the restored image: the backup plus the guest's writes.

Each phase is timed.  The work directory is removed at the end.
"""

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time

from blockseries import ceph
from blockseries.nodes import image_node, rbd_node, track_node
from blockseries.qsd import StorageDaemon
from blockseries.tools import TOP, QemuIoGuest, qemu_img, qemu_io

MiB = 1024 * 1024
STRIPE = 64 * MiB


def stripe_pattern(i):
    return 0x10 + i % 0xe0


def show_progress(what):
    """A terminal gets one line updated in place, a log a line a second"""
    tty = sys.stdout.isatty()
    last = [0.0]

    def show(secs, done, length):
        if tty or secs - last[0] >= 1:
            last[0] = secs
            print(f'\r  {what}: {100 * done // max(length, 1):3d}% '
                  f'{done // MiB:6d}/{length // MiB} MiB '
                  f'{done / MiB / max(secs, 1e-3):7.1f} MiB/s',
                  end='' if tty else '\n', flush=True)
    return show


def wait_job(qsd, job_id, size):
    secs = qsd.wait_job(job_id, progress=show_progress(job_id))
    print(f'\r  {job_id}: 100% {size // MiB:6d}/{size // MiB} MiB '
          f'{size / MiB / max(secs, 1e-3):7.1f} MiB/s in {secs:.1f} s')


def phase(timings, name):
    class Timer:
        def __enter__(self):
            print(f'== {name}')
            self.start = time.monotonic()

        def __exit__(self, *exc):
            timings.append((name, time.monotonic() - self.start))
    return Timer()


def main():
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument('--size', type=int, default=1024,
                   help='disk size in MiB, a multiple of 64 (default 1024)')
    p.add_argument('--workdir', help='where to put the images '
                   '(default: a new directory under build/, removed after)')
    p.add_argument('--target', choices=['raw', 'rbd'], default='raw',
                   help='restore into a raw file (default) or an RBD image')
    opts = p.parse_args()
    size = opts.size * MiB
    if size <= 0 or size % STRIPE:
        p.error('--size must be a positive multiple of 64')

    os.makedirs(os.path.join(TOP, 'build'), exist_ok=True)
    workdir = opts.workdir or tempfile.mkdtemp(prefix='demo-',
                                               dir=os.path.join(TOP, 'build'))
    os.makedirs(workdir, exist_ok=True)
    timings = []

    try:
        with contextlib.ExitStack() as stack:
            restore_demo(opts, stack, workdir, timings)
    finally:
        if not opts.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    print('\nWhat happened, and how long each phase took:')
    for name, secs in timings:
        print(f'  {secs:7.2f} s  {name}')
    print('Live restore: OK')


def restore_target(opts, stack, workdir, size):
    """The target's node, and its name for qemu-img"""
    if opts.target == 'raw':
        target = os.path.join(workdir, 'target.raw')
        qemu_img('create', '-f', 'raw', target, str(size))
        return image_node(target, node_name='target'), target
    conf = stack.enter_context(ceph.cluster(workdir))
    image = f'demo-{os.getpid()}'
    ceph.create(conf, image, size)
    stack.callback(ceph.remove, conf, image)
    print(f'  target: RBD image {ceph.POOL}/{image} of {conf}')
    return rbd_node(conf, image, node_name='target'), ceph.filename(conf,
                                                                    image)


def restore_demo(opts, stack, workdir, timings):
    size = opts.size * MiB
    stripes = size // STRIPE
    disk = os.path.join(workdir, 'disk.raw')
    backup = os.path.join(workdir, 'backup.qcow2')
    expected = os.path.join(workdir, 'expected.raw')
    # The guest's writes during the backup (which must not reach the
    # backup) and during the restore (which must reach the target)
    backup_writes = [f'write -P 0xf0 {i * STRIPE + 8 * MiB} 1M'
                     for i in range(stripes)]
    restore_writes = [f'write -P 0xe{i % 2} {i * STRIPE + 16 * MiB + 512} 4k'
                      for i in range(stripes)]
    restore_writes += [f'write -z {i * STRIPE + 24 * MiB} 64k'
                       for i in range(stripes)]
    restore_reads = [f'read -P {stripe_pattern(i):#x} '
                     f'{i * STRIPE + 32 * MiB} 1M'
                     for i in reversed(range(stripes))]

    with phase(timings, f'create a {opts.size} MiB disk with a pattern'):
        qemu_img('create', '-f', 'raw', disk, str(size))
        qemu_io(disk, [f'write -P {stripe_pattern(i):#x} {i * STRIPE} '
                       f'{STRIPE}' for i in range(stripes)])

    with phase(timings, 'back it up with blockdev-backup, guest writing'):
        qemu_img('create', '-f', 'qcow2', backup, str(size))
        qsd = StorageDaemon(workdir, 'backup')
        try:
            qsd.add(image_node(disk, node_name='disk'))
            qsd.add(image_node(backup, 'qcow2', node_name='backup'))
            qsd.export('disk', writable=True)
            qsd.cmd('blockdev-backup', job_id='backup', device='disk',
                    target='backup', sync='full')
            guest = QemuIoGuest(qsd.uri('disk'), backup_writes)
            wait_job(qsd, 'backup', size)
            guest.wait()
        finally:
            qsd.stop()
        # The backup is the disk as it was when the job started
        qemu_io(backup, [f'read -P {stripe_pattern(i):#x} {i * STRIPE} '
                         f'{STRIPE}' for i in range(stripes)], 'qcow2')
        print(f'  backup verified; {len(backup_writes)} guest writes '
              'during the job stayed out of it')

    with phase(timings, f'live-restore into an empty {opts.target} target'):
        target_node, target = restore_target(opts, stack, workdir, size)
        qsd = StorageDaemon(workdir, 'restore')
        try:
            qsd.add(track_node(
                target_node, image_node(backup, 'qcow2', read_only=True)))
            qsd.export('restore', writable=True)
            # The guest is up before the copy starts
            t0 = time.monotonic()
            qemu_io(qsd.uri('disk'), restore_reads[:1])
            print(f'  guest\'s first read served from the backup after '
                  f'{(time.monotonic() - t0) * 1000:.1f} ms')
            qsd.cmd('block-stream', job_id='restore', device='restore')
            guest = QemuIoGuest(qsd.uri('disk'),
                                restore_writes + restore_reads)
            wait_job(qsd, 'restore', size)
            guest.wait()
            print(f'  guest did {len(restore_writes)} writes and '
                  f'{len(restore_reads)} verified reads meanwhile')
            nodes = [n['node-name'] for n in
                     qsd.cmd('query-named-block-nodes', flat=True)]
            if 'restore' in nodes:
                raise RuntimeError('alloc-track node still in the graph')
            print('  alloc-track left the graph; the export now serves '
                  'the target directly')
        finally:
            qsd.stop()

    with phase(timings, 'verify the restored image'):
        qemu_img('convert', '-f', 'qcow2', '-O', 'raw', backup, expected)
        qemu_io(expected, restore_writes)
        qemu_img('compare', '-f', 'raw', '-F', 'raw', expected, target)
        print('  target == backup + the guest\'s writes '
              '(qemu-img compare)')


if __name__ == '__main__':
    main()
