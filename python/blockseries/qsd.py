# SPDX-License-Identifier: GPL-2.0-or-later
"""
qemu-storage-daemon of the QEMU build (see tools.py), with a QMP monitor
and an NBD server, driven with QEMU's own QMP client, qemu.qmp.
"""

import os
import signal
import subprocess
import time

from blockseries.tools import binary

try:
    from qemu.qmp.legacy import QEMUMonitorProtocol
except ImportError as exc:
    raise ImportError('qemu.qmp not found: put build/qemu/python on '
                      'PYTHONPATH (the Makefile and scripts/check.sh '
                      'do)') from exc


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
                [binary(os.path.join('storage-daemon', 'qemu-storage-daemon')),
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

    def kill(self):
        """SIGKILL: a crash, with nothing flushed"""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        try:
            self.qmp.close()
        except EOFError:
            pass
