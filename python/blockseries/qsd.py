# SPDX-License-Identifier: GPL-2.0-or-later
"""
qemu-storage-daemon of the QEMU build (see tools.py), with a QMP monitor
and an NBD server, driven with QEMU's own QMP client, qemu.qmp.
"""

import json
import os
import signal
import subprocess

from blockseries import jobs
from blockseries.tools import binary, nbd_uri, opt_value

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
        nbd_server = {'addr': {'type': 'unix', 'path': self.nbd_path}}
        with open(self.log, 'w', encoding='utf-8') as log:
            self.proc = subprocess.Popen(
                [binary(os.path.join('storage-daemon', 'qemu-storage-daemon')),
                 # --chardev takes only key=value options
                 '--chardev',
                 'socket,id=qmp,path=' + opt_value(self.qmp_path),
                 '--monitor', 'qmp',
                 '--nbd-server', json.dumps(nbd_server),
                 *args], stdout=log, stderr=subprocess.STDOUT)
        try:
            self.qmp.accept(timeout=30)
        except Exception as exc:
            with open(self.log, encoding='utf-8') as log:
                raise RuntimeError(f'qemu-storage-daemon: {log.read()}') \
                    from exc

    def uri(self, export='disk'):
        return nbd_uri(self.nbd_path, export)

    def cmd(self, name, args=None, **kwargs):
        """A QMP command: args as a dict, or keywords with _ for -"""
        args = dict(args or {})
        args.update({k.replace('_', '-'): v for k, v in kwargs.items()})
        return self.qmp.cmd(name, **args)

    def add(self, node):
        """blockdev-add of a node built in nodes.py"""
        return self.cmd('blockdev-add', node)

    def export(self, node_name, name='disk', writable=False, iothread=None):
        """An NBD export of a node"""
        args = {'type': 'nbd', 'id': 'exp', 'node-name': node_name,
                'name': name, 'writable': writable}
        if iothread:
            args['iothread'] = iothread
        return self.cmd('block-export-add', args)

    def wait_job(self, job_id, **kwargs):
        """jobs.wait_job() on this daemon"""
        return jobs.wait_job(self.qmp, job_id,
                             alive=lambda: self.proc.poll() is None,
                             **kwargs)

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
