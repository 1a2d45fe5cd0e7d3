# SPDX-License-Identifier: GPL-2.0-or-later
"""
The QEMU binaries of build/qemu/build, or of the build directory that
QEMU_BUILD names (absolute, or relative to the top of the project, e.g.
build/qemu-stream/build), and the programs run around them.

Command lines are lists, never shell strings: a path goes in as it is,
whatever characters it holds.
"""

import json
import os
import subprocess
import time
import urllib.parse

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BIN = os.path.join(TOP, os.environ.get('QEMU_BUILD') or
                   os.path.join('build', 'qemu', 'build'))


def binary(name):
    """A program of the QEMU build, e.g. 'qemu-img'"""
    return os.path.join(BIN, name)


def opt_value(value):
    """A value for QEMU's key=value,... options: a comma is doubled"""
    return value.replace(',', ',,')


def nbd_uri(sock, export=''):
    """An NBD URI of a Unix socket; QEMU and libnbd decode the %-escapes"""
    return (f'nbd+unix:///{urllib.parse.quote(export)}'
            f'?socket={urllib.parse.quote(sock)}')


def run(args, **kwargs):
    """Run a program to its end; its output, stderr included"""
    return subprocess.run(args, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True,
                          **kwargs).stdout


def qemu_img(*args):
    return run([binary('qemu-img'), *args])


def qemu_io_args(target, cmds, fmt='raw'):
    args = [binary('qemu-io'), '-f', fmt, target]
    for c in cmds:
        args += ['-c', c]
    return args


def qemu_io(target, cmds, fmt='raw'):
    """qemu-io commands on an image or an NBD URI"""
    out = run(qemu_io_args(target, cmds, fmt))
    # qemu-io exits 0 when a command fails, a pattern check included
    if 'failed' in out:
        raise RuntimeError(f'qemu-io on {target}: {out}')
    return out


class QemuIoGuest:
    """qemu-io commands on an NBD export, in the background: a guest"""

    def __init__(self, uri, cmds):
        self.proc = subprocess.Popen(qemu_io_args(uri, cmds),
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)

    def wait(self):
        out = self.proc.communicate()[0]
        if self.proc.returncode or 'failed' in out:
            raise RuntimeError(f'guest I/O failed: {out}')
        return out


def nbdkit(sock, *args):
    """nbdkit serving on a Unix socket, once the socket is there"""
    if os.path.exists(sock):
        os.remove(sock)
    proc = subprocess.Popen(['nbdkit', '-f', '-U', sock, *args],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    # nbdkit has no readiness signal in the foreground but its socket
    for _ in range(100):
        if os.path.exists(sock) or proc.poll() is not None:
            break
        time.sleep(0.05)
    return proc


def fio(uri, size, *args, during=None):
    """
    fio's nbd engine on an NBD URI, with fio options args; the JSON result
    of its job.  during() is called every 50 ms while fio runs, until it
    returns false.
    """
    proc = subprocess.Popen(
        ['fio', '--name=bench', '--ioengine=nbd', f'--uri={uri}',
         f'--size={size}', '--output-format=json', *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if during:
        while proc.poll() is None and during():
            time.sleep(0.05)
    out = proc.communicate()[0]
    if proc.returncode:
        raise RuntimeError(f'fio failed: {out}')
    # fio may print warnings before the JSON
    return json.loads(out[out.index('{'):])['jobs'][0]
