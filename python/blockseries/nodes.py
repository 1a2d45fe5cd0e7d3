# SPDX-License-Identifier: GPL-2.0-or-later
"""
blockdev-add arguments, as data: the nodes of a live restore, alloc-track
with its file (the target), backing (the backup) and state children, on
files, RBD images or NBD.
"""


def file_node(filename, direct=False):
    """A file node; direct: O_DIRECT, with Linux native AIO"""
    node = {'driver': 'file', 'filename': filename}
    if direct:
        node['cache'] = {'direct': True}
        node['aio'] = 'native'
    return node


def image_node(filename, fmt='raw', direct=False, node_name=None,
               read_only=False):
    """A format node (raw, qcow2) over a file node"""
    node = {'driver': fmt, 'file': file_node(filename, direct)}
    if node_name:
        node['node-name'] = node_name
    if read_only:
        node['read-only'] = True
    return node


def rbd_node(conf, image, node_name=None, pool='rbd'):
    """A raw format node over an RBD image of the cluster of conf"""
    node = {'driver': 'raw',
            'file': {'driver': 'rbd', 'pool': pool, 'image': image,
                     'conf': conf}}
    if node_name:
        node['node-name'] = node_name
    return node


def nbd_node(sock):
    """An NBD client node of a Unix socket"""
    return {'driver': 'nbd', 'server': {'type': 'unix', 'path': sock}}


def track_node(file, backing, state=None, new_state=False,
               node_name='restore', auto_remove=True):
    """
    alloc-track over the target node file, reading what it has not copied
    yet from backing; with a state node, the record of what is copied
    survives a crash (new_state: start an empty record).  auto_remove: the
    node leaves the graph once block-stream has copied everything.
    """
    node = {'driver': 'alloc-track', 'node-name': node_name,
            'auto-remove': auto_remove, 'file': file, 'backing': backing}
    if state:
        add_state(node, state, new_state)
    return node


def add_state(node, state, new_state=False):
    """
    Give the alloc-track node a state, with the identities of its target
    and backup that a state requires
    """
    node.update({'state': state, 'new-state': new_state,
                 'file-id': 'target', 'backing-id': 'backup'})
    return node
