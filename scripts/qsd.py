# SPDX-License-Identifier: GPL-2.0-or-later
"""
qemu-storage-daemon and qemu-io from build/qemu/build, for the demo and the
benchmarks: a daemon with a QMP monitor and an NBD server, and a "guest"
doing I/O through an NBD export in the background.

QEMU_BUILD=DIR takes them from another build directory (absolute, or
relative to the top of the project), e.g. build/qemu-stream/build; the
QEMU python package comes from the tree above it.
"""

import os
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(TOP, os.environ.get('QEMU_BUILD') or
                   os.path.join('build', 'qemu', 'build'))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(BIN)),
                                'python'))

# pylint: disable=wrong-import-position
from qemu.qmp.legacy import QEMUMonitorProtocol  # noqa: E402


class StorageDaemon:
    """qemu-storage-daemon with a QMP monitor and an NBD server"""

    def __init__(self, workdir, name, *args):
        self.qmp_path = os.path.join(workdir, f'{name}-qmp.sock')
        self.nbd_path = os.path.join(workdir, f'{name}-nbd.sock')
        for sock in (self.qmp_path, self.nbd_path):
            if os.path.exists(sock):
                os.remove(sock)
        self.log = os.path.join(workdir, f'{name}.log')
        self.qmp = QEMUMonitorProtocol(self.qmp_path, server=True)
        with open(self.log, 'w', encoding='utf-8') as log:
            self.proc = subprocess.Popen(
                [os.path.join(BIN, 'storage-daemon', 'qemu-storage-daemon'),
                 '--chardev', f'socket,id=qmp,path={self.qmp_path}',
                 '--monitor', 'qmp',
                 '--nbd-server', f'addr.type=unix,addr.path={self.nbd_path}',
                 *args], stdout=log, stderr=subprocess.STDOUT)
        try:
            self.qmp.accept(timeout=30)
        except Exception as exc:
            with open(self.log, encoding='utf-8') as log:
                raise RuntimeError(f'qemu-storage-daemon: {log.read()}') \
                    from exc

    def uri(self, export='disk'):
        return f'nbd+unix:///{export}?socket={self.nbd_path}'

    def cmd(self, name, **args):
        return self.qmp.cmd(name, **{k.replace('_', '-'): v
                                     for k, v in args.items()})

    def wait_job(self, job_id, on_progress=None, interval=0.05):
        """Wait for the job to go; call on_progress(secs, done, len)"""
        start = time.monotonic()
        while True:
            jobs = [j for j in self.cmd('query-block-jobs')
                    if j['device'] == job_id]
            if not jobs:
                return time.monotonic() - start
            if on_progress:
                on_progress(time.monotonic() - start, jobs[0]['offset'],
                            jobs[0]['len'])
            time.sleep(interval)

    def stop(self):
        """Closing flushes the images, as qemu-img does at its end"""
        self.qmp.close()
        self.proc.terminate()
        self.proc.wait(timeout=60)


class Guest:
    """qemu-io commands on an NBD export, in the background"""

    def __init__(self, uri, cmds):
        args = [os.path.join(BIN, 'qemu-io'), '-f', 'raw', uri]
        for c in cmds:
            args += ['-c', c]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)

    def wait(self):
        out = self.proc.communicate()[0]
        if self.proc.returncode or 'failed' in out:
            raise RuntimeError(f'guest I/O failed: {out}')
        return out
