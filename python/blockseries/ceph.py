# SPDX-License-Identifier: GPL-2.0-or-later
"""
A Ceph cluster and its RBD images: the cluster that CEPH_CONF names, or
else a throwaway one that scripts/ceph-cluster.sh starts for the time of
a with block.  Images go in the pool 'rbd', and are read and written
without authentication options, as on that throwaway cluster.
"""

import contextlib
import os
import subprocess

from .tools import TOP, run

POOL = 'rbd'
SCRIPT = os.path.join(TOP, 'scripts', 'ceph-cluster.sh')


@contextlib.contextmanager
def cluster(workdir):
    """The configuration file of a running cluster"""
    conf = os.environ.get('CEPH_CONF')
    if conf:
        yield conf
        return
    cluster_dir = os.path.join(workdir, 'ceph')
    out = run([SCRIPT, 'start', cluster_dir])
    try:
        yield out.strip().splitlines()[-1].split('=', 1)[1]
    finally:
        run([SCRIPT, 'stop', cluster_dir])


def create(conf, image, size):
    run(['rbd', '--conf', conf, 'create', '--size', f'{size // 1024}K',
         f'{POOL}/{image}'])


def remove(conf, image):
    run(['rbd', '--conf', conf, 'rm', '--no-progress', f'{POOL}/{image}'])


def filename(conf, image):
    """The image for qemu-img and qemu-io"""
    return f'rbd:{POOL}/{image}:conf={conf}'


def read(conf, image):
    """An image's whole content"""
    return subprocess.run(['rbd', '--conf', conf, 'export', '--no-progress',
                           f'{POOL}/{image}', '-'],
                          check=True, stdout=subprocess.PIPE).stdout
