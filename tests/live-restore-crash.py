#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Crash test of a live restore with a durable alloc-track state.

qemu-storage-daemon runs a live restore: alloc-track over an empty raw
target with a raw backup as backing and a state node, block-stream
copying at a limited speed, and an NBD export of the node that a
"guest" (this script, through libnbd) writes to and flushes.  The daemon
is killed with SIGKILL at random moments, so during stream copies, guest
writes, flushes and state updates, and started again each time with the
same file, backing and state; the stream starts again too.  Every
other run has the node in an iothread.

At the end the restore runs to completion and the node leaves the
graph; the guest writes to the target, the daemon is killed once more
and started as before, and the node must read those writes.

With --target rbd, the target and the state are RBD images of the
cluster that CEPH_CONF names, or of a throwaway one.  A killed daemon
holds the image's exclusive lock until the cluster sees it gone (the
throwaway cluster's 'osd client watch timeout' of 5 s), so each run
lasts that much longer before it is killed.

The model: a guest write is durable once a flush issued after it
completes.  After each restart every 4 KiB block must read as its
durable content or as one of the writes since (acknowledged or not: a
volatile cache may have kept any of them); what it reads becomes its
durable content.  At the very end the target must equal the model
exactly.

    tests/live-restore-crash.py [--kills N] [--seed S] [--size MiB]
                                [--target file|rbd]

with PYTHONPATH=python:build/qemu/python, as scripts/check.sh runs it.
"""

import argparse
import os
import random
import shutil
import struct
import subprocess
import sys
import threading
import time

import nbd

from blockseries import ceph
from blockseries.nodes import file_node, image_node, rbd_node, track_node
from blockseries.qsd import StorageDaemon
from blockseries.tools import TOP, binary

BLOCK = 4096


class Model:
    """What each 4 KiB block may hold"""

    def __init__(self, backup):
        self.durable = bytearray(backup)
        # block -> contents written since the last completed flush
        self.pending = {}

    def latest(self, block):
        if self.pending.get(block):
            return self.pending[block][-1]
        return bytes(self.durable[block * BLOCK:(block + 1) * BLOCK])

    def write(self, offset, data):
        """A write of whole 512-byte sectors, not always whole blocks"""
        end = offset + len(data)
        for block in range(offset // BLOCK, (end - 1) // BLOCK + 1):
            start = max(offset, block * BLOCK)
            stop = min(end, (block + 1) * BLOCK)
            content = bytearray(self.latest(block))
            content[start - block * BLOCK:stop - block * BLOCK] = \
                data[start - offset:stop - offset]
            self.pending.setdefault(block, []).append(bytes(content))

    def flushed(self, pending):
        """A flush completed: what was pending before it is durable"""
        for block, contents in pending.items():
            self.durable[block * BLOCK:(block + 1) * BLOCK] = contents[-1]
            if self.pending.get(block) and \
               self.pending[block][:len(contents)] == contents:
                del self.pending[block][:len(contents)]
                if not self.pending[block]:
                    del self.pending[block]

    def snapshot(self):
        return {b: list(c) for b, c in self.pending.items()}

    def check(self, image):
        """Check what the node reads after a crash; adopt it"""
        bad = []
        for block in range(len(self.durable) // BLOCK):
            now = bytes(image[block * BLOCK:(block + 1) * BLOCK])
            allowed = [bytes(self.durable[block * BLOCK:
                                          (block + 1) * BLOCK])]
            allowed += self.pending.get(block, [])
            if now not in allowed:
                bad.append(block)
            self.durable[block * BLOCK:(block + 1) * BLOCK] = now
        self.pending = {}
        return bad


class Guest(threading.Thread):
    """
    Random writes of 512 bytes to 64 KiB, some of them covering only part
    of a granule, with a flush every few writes
    """

    def __init__(self, uri, model, rng, size):
        super().__init__(daemon=True)
        self.h = nbd.NBD()
        self.h.connect_uri(uri)
        self.model = model
        self.rng = rng
        self.size = size
        self.lock = threading.Lock()
        self.writes = self.flushes = 0

    def run(self):
        try:
            while True:
                for _ in range(self.rng.randint(1, 8)):
                    sectors = self.rng.choice((1, 3, 8, 8, 32, 128))
                    offset = self.rng.randrange(
                        0, self.size // 512 - sectors + 1) * 512
                    data = self.rng.randbytes(sectors * 512)
                    with self.lock:
                        self.model.write(offset, data)
                    self.h.pwrite(data, offset)
                    self.writes += 1
                    # Leave most of the disk to the restore
                    time.sleep(self.rng.uniform(0, 0.02))
                with self.lock:
                    covered = self.model.snapshot()
                self.h.flush()
                with self.lock:
                    self.model.flushed(covered)
                self.flushes += 1
        except nbd.Error:
            pass    # the daemon is gone


class Files:
    """The target and the state in files of the work directory"""

    # A killed daemon holds nothing that a new one waits for
    lock_wait = 0

    def __init__(self, work, size):
        self.target_path = os.path.join(work, 'target.raw')
        self.state_path = os.path.join(work, 'state.img')
        with open(self.target_path, 'wb') as f:
            f.truncate(size)
        open(self.state_path, 'wb').close()

    def target(self):
        return image_node(self.target_path)

    def state(self):
        return file_node(self.state_path)

    def state_bytes(self):
        with open(self.state_path, 'rb') as f:
            return f.read()

    def target_filename(self):
        return self.target_path

    def remove(self):
        pass


class RbdImages:
    """The target and the state in RBD images"""

    # Until the cluster breaks a killed daemon's exclusive lock
    lock_wait = 6

    def __init__(self, conf, size, tag):
        self.conf = conf
        self.target_image = f'crash-target-{tag}'
        self.state_image = f'crash-state-{tag}'
        ceph.create(conf, self.target_image, size)
        ceph.create(conf, self.state_image, 1024 * 1024)

    def target(self):
        return rbd_node(self.conf, self.target_image)

    def state(self):
        return rbd_node(self.conf, self.state_image)

    def state_bytes(self):
        return ceph.read(self.conf, self.state_image)

    def target_filename(self):
        return ceph.filename(self.conf, self.target_image)

    def remove(self):
        ceph.remove(self.conf, self.target_image)
        ceph.remove(self.conf, self.state_image)


def track_opts(work, disks, auto_remove=False, new_state=False):
    return track_node(disks.target(),
                      image_node(os.path.join(work, 'backup.raw')),
                      disks.state(), new_state, node_name='track',
                      auto_remove=auto_remove)


def start(work, disks, auto_remove=False, iothread=False, new_state=False):
    qsd = StorageDaemon(work, 'qsd', '--object', 'iothread,id=io0')
    try:
        qsd.add(track_opts(work, disks, auto_remove, new_state))
        qsd.export('track', writable=True,
                   iothread='io0' if iothread else None)
    except Exception:
        qsd.kill()
        raise
    return qsd


def stream(qsd, speed):
    # Started after the check: reads through the job's filter restore
    qsd.cmd('block-stream', job_id='restore', device='track', speed=speed)


def recorded(state):
    """How much of the disk the state records as in the target"""
    granularity = struct.unpack_from('<Q', state, 16)[0]
    nb_blocks = struct.unpack_from('<Q', state, 40)[0]
    total = 0
    for block in range(nb_blocks):
        slots = [state[(1 + 2 * block + i) * 4096:(2 + 2 * block + i) * 4096]
                 for i in range(2)]
        newest = max(slots, key=lambda s: struct.unpack_from('<Q', s, 8))
        total += sum(bin(b).count('1') for b in newest[64:])
    return total * granularity


def read_all(uri, size):
    h = nbd.NBD()
    h.connect_uri(uri)
    data = bytearray()
    for off in range(0, size, 4 * 1024 * 1024):
        data += h.pread(min(4 * 1024 * 1024, size - off), off)

    h.shutdown()
    return data


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[1])
    p.add_argument('--kills', type=int, default=20)
    p.add_argument('--seed', type=int, default=None)
    p.add_argument('--size', type=int, default=32, help='MiB')
    p.add_argument('--target', choices=('file', 'rbd'), default='file')
    p.add_argument('--workdir', default=os.path.join(TOP, 'build', 'crash'))
    args = p.parse_args()

    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    size = args.size * 1024 * 1024
    work = args.workdir
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    print(f'live-restore-crash: {args.kills} kills, {args.size} MiB, '
          f'target {args.target}, seed {seed}')

    backup = rng.randbytes(size)
    with open(os.path.join(work, 'backup.raw'), 'wb') as f:
        f.write(backup)
    if args.target == 'rbd':
        with ceph.cluster(work) as conf:
            disks = RbdImages(conf, size, seed)
            try:
                ret = crash_runs(args, work, disks, rng, backup, seed)
            finally:
                disks.remove()
    else:
        ret = crash_runs(args, work, Files(work, size), rng, backup, seed)
    if not ret:
        shutil.rmtree(work, ignore_errors=True)
    return ret


def crash_runs(args, work, disks, rng, backup, seed):
    size = len(backup)
    model = Model(backup)
    # Slow enough that the restore spans the kills: a run lasts about
    # lock_wait + 0.5 s
    speed = max(int(size / (args.kills or 1) / (disks.lock_wait + 0.5) *
                    0.75), 1024 * 1024)

    failures = 0
    writes = flushes = 0
    restored = []   # percent of the disk the state has after each kill
    for kill in range(args.kills):
        # Every other run in an iothread
        qsd = start(work, disks, iothread=kill % 2 == 1,
                    new_state=kill == 0)
        try:
            bad = model.check(read_all(qsd.uri(), size))
            stream(qsd, speed)
        except Exception:
            qsd.kill()
            raise
        if bad:
            failures += 1
            print(f'kill {kill}: {len(bad)} blocks read neither their '
                  f'durable content nor a later write, first at '
                  f'{bad[0] * BLOCK}')
        guest = Guest(qsd.uri(), model, rng, size)
        guest.start()
        time.sleep((disks.lock_wait if kill else 0) + rng.uniform(0.05, 1.0))
        qsd.kill()
        guest.join(30)
        restored.append(recorded(disks.state_bytes()) * 100 // size)
        writes += guest.writes
        flushes += guest.flushes

    # The last run: check, then let the restore finish and the node leave;
    # the guest goes on writing to the target, then a last crash
    qsd = start(work, disks, auto_remove=True, new_state=args.kills == 0)
    bad = model.check(read_all(qsd.uri(), size))
    if bad:
        failures += 1
        print(f'last start: {len(bad)} blocks wrong, first at '
              f'{bad[0] * BLOCK}')
    stream(qsd, 0)
    qsd.wait_job('restore', timeout=600)
    # auto-remove takes the node out from the main loop, just after
    for _ in range(100):
        if all(n['drv'] != 'alloc-track'
               for n in qsd.cmd('query-named-block-nodes', flat=True)):
            break
        time.sleep(0.1)
    else:
        failures += 1
        print('alloc-track did not leave the graph after the restore')
    guest = Guest(qsd.uri(), model, rng, size)
    guest.start()
    time.sleep(0.5)
    qsd.kill()
    guest.join(30)
    writes += guest.writes
    flushes += guest.flushes

    # Opened as before, it must read the guest's writes, not the backup
    qsd = start(work, disks)
    bad = model.check(read_all(qsd.uri(), size))
    if bad:
        failures += 1
        print(f'after the restore: {len(bad)} blocks wrong, first at '
              f'{bad[0] * BLOCK}')
    qsd.stop()

    with open(os.path.join(work, 'expected.raw'), 'wb') as f:
        f.write(model.durable)
    cmp = subprocess.run([binary('qemu-img'), 'compare',
                          '-f', 'raw', '-F', 'raw',
                          disks.target_filename(),
                          os.path.join(work, 'expected.raw')],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, check=False)
    if cmp.returncode:
        failures += 1
        print(f'target differs from the model: {cmp.stdout.strip()}')

    print(f'live-restore-crash: {args.kills} kills, {writes} guest writes, '
          f'{flushes} flushes, {failures} mismatches')
    print('live-restore-crash: percent of the disk recorded as restored '
          'or written after each kill: ' + ' '.join(map(str, restored)))
    if failures:
        print(f'live-restore-crash: FAILED (seed {seed}, files in {work})')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
