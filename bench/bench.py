#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Live-restore benchmarks for the patched QEMU in build/qemu/build, or in
the build directory QEMU_BUILD names (see python/blockseries/tools.py).

Each case runs several times and reports medians, and ratios against a
reference measured in the same run: these machines are shared and noisy,
absolute times drift, ratios hold.  Results go to bench/results/ as JSON,
a markdown table and a PNG plot of one restore's progress and the guest's
I/O latency over time.

Cases:
  restore   block-stream through alloc-track into an empty raw target,
            raw and qcow2 backups, O_DIRECT with native AIO and cached,
            against qemu-img convert of the same source to the same target
  remote    the same from a backup served over NBD by nbdkit with added
            per-request latency and a bandwidth cap, against qemu-img
            convert from that server
  readpath  fio 4 KiB random reads at queue depth 1 and 32 and 1 MiB
            sequential reads through an NBD export: the target directly vs
            alloc-track on restored regions, the backup directly vs
            alloc-track on unrestored regions
  guestio   a guest inside the restore: fio 4 KiB random reads and
            writes at queue depth 1 through an NBD export of alloc-track,
            in a window that lies inside the restore, and again after it;
            the restore's time with the guest busy and idle; from a local
            and from a remote backup, with block-stream's guest-first on
            and off
  state     the cost of a durable alloc-track state: restore time, and
            the latency of a flush after each 4 KiB guest write, with a
            state against without
  qcow2data upstream's way side by side: a qcow2 overlay whose external
            data file is the target, block-stream into it; restore time,
            the guest inside the restore and flush latency, against
            alloc-track with a durable state
  completion the guest across the end of a restore from a qcow2 backup
            that is mostly holes, into a target that hides its holes and
            zeroes slowly: its worst latency from the job's last moments
            to alloc-track's drop, against its p99 after, and the drop's
            time
  mirror    a guest inside blockdev-mirror: fio 4 KiB random reads and
            writes at queue depth 1 through an NBD export of the source,
            in a window inside the mirror's first phase (to
            BLOCK_JOB_READY), and again once the job is cancelled; the
            time to ready with the guest busy and idle; with mirror's
            guest-first on and off
  backup    a guest inside blockdev-backup to a slow target (nbdkit with
            a delay per write and a rate cap): fio 32 KiB random writes
            at queue depth 8 through an NBD export of the disk, in a
            window inside the backup and again after it; the backup's
            time, busy and idle, and against qemu-img convert; with
            guest-first on and off, and upstream's fleecing by hand
  rbd       a restore of a local raw backup into an RBD image, against
            qemu-img convert -W -m 16 of the same backup into one; and
            the guest inside that restore, as guestio measures it.  On
            the Ceph cluster CEPH_CONF names, or else on a throwaway one
            (scripts/ceph-cluster.sh)
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from blockseries import ceph
from blockseries.nodes import (add_state, file_node, image_node, nbd_node,
                               rbd_node, track_node)
from blockseries.qsd import StorageDaemon
from blockseries.tools import (BIN, TOP, fio, nbd_uri, nbdkit, opt_value,
                               qemu_img, qemu_io)
from qemu.qmp import ExecuteError

MiB = 1024 * 1024
GiB = 1024 * MiB
# The completion case looks at the guest from this long before the job's
# end: its final flush and its drained completion lie within it
COMPLETION_S = 0.5


def drop_caches():
    """Cached cases start cold: the source must come from the disk"""
    subprocess.run(['sync'], check=False)
    try:
        with open('/proc/sys/vm/drop_caches', 'w', encoding='ascii') as f:
            f.write('3\n')
    except OSError:
        pass


def restore_node(backing, target, direct, auto_remove=True):
    """alloc-track over a raw target, as the restore cases use it"""
    return track_node(image_node(target, direct=direct, node_name='target'),
                      backing, auto_remove=auto_remove)


def event_stamp(events, name, status=None):
    """QEMU's wall-clock stamp of the first event name (with status)"""
    for e in events:
        if e['event'] == name and status in (None, e['data'].get('status')):
            return e['timestamp']['seconds'] + \
                e['timestamp']['microseconds'] / 1e6
    raise RuntimeError(f'no {name} {status or ""} event: {events}')


def job_span(run, events, end_event):
    """
    The job's span in run, from its events: start, end, time; and with a
    guest, whether its window ('during') lay inside
    """
    run['start'] = event_stamp(events, 'JOB_STATUS_CHANGE', 'running')
    run['end'] = event_stamp(events, end_event)
    run['time'] = run['end'] - run['start']
    if 'during' in run:
        d = run['during']
        run['inside'] = d['start'] is not None and \
            run['start'] < d['start'] and d['end'] < run['end']
    return run


def progress_at(run, stamp):
    """
    The job's progress in run (0 to 1) at wall-clock time stamp, between
    its samples (every 0.25 s) in a straight line
    """
    points = [(run['start'], 0.0), *run['progress'], (run['end'], 1.0)]
    for (t0, f0), (t1, f1) in zip(points, points[1:]):
        if t0 <= stamp <= t1:
            return f0 if t1 == t0 else f0 + (f1 - f0) * (stamp - t0) / (t1 - t0)
    return 1.0 if stamp > run['end'] else 0.0


def window_speed(run, start, end):
    """The job's progress per second (percent) from start to end"""
    return (progress_at(run, end) - progress_at(run, start)) * 100 / \
        (end - start)


def num(value, unit=''):
    """A measurement for the tables: n/a where there is none"""
    return 'n/a' if value is None else f'{value:.3f} {unit}'.rstrip()


def gnuplot_str(text):
    """A gnuplot string: in single quotes, only a quote is special"""
    return "'" + text.replace("'", "''") + "'"


class Bench:
    def __init__(self, opts):
        self.opts = opts
        self.size = opts.size * MiB
        os.makedirs(os.path.join(TOP, 'build'), exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix='bench-',
                                    dir=os.path.join(TOP, 'build'))
        self.results = {'size_mib': opts.size, 'runs': opts.runs,
                        'build': os.path.relpath(BIN, TOP),
                        'x_perf': opts.x_perf,
                        'convert_unsafe': not opts.convert_flush,
                        'guestio_size_mib': opts.guestio_size,
                        'guest_window_s': opts.guest_window,
                        'guest_delay_s': opts.guest_delay,
                        'cases': {}}
        # (title, run): a busy run of each guest measurement, to plot
        self.lat_plots = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def median(self, fn):
        times = []
        for _ in range(self.opts.runs):
            times.append(fn())
        return statistics.median(times), times

    def record(self, case, name, ref, ref_times, val, val_times, unit='s',
               lower_is_better=True):
        """ref or val None: not measured (n/a)"""
        entry = {'reference': ref, 'value': val, 'unit': unit,
                 'ratio': val / ref if ref and val is not None else None,
                 'reference_runs': ref_times, 'value_runs': val_times,
                 'lower_is_better': lower_is_better}
        self.results['cases'].setdefault(case, {})[name] = entry
        print(f'  {name:42s} ref {num(ref, unit):>14s} value '
              f'{num(val, unit):>14s} ratio {num(entry["ratio"])}',
              flush=True)

    def backup(self, fmt='raw', size_mib=None):
        """The backup of size_mib (default --size): random, made once"""
        size_mib = size_mib or self.opts.size
        path = self.path(f'backup-{size_mib}.{fmt}')
        if os.path.exists(path):
            return path
        if fmt == 'raw':
            print(f'== data: {size_mib} MiB of random bytes', flush=True)
            with open(path, 'wb') as out:
                subprocess.run(['head', '-c', str(size_mib * MiB),
                                '/dev/urandom'], stdout=out, check=True)
        else:
            qemu_img('convert', '-f', 'raw', '-O', fmt,
                     self.backup('raw', size_mib), path)
        return path

    def fresh_target(self, size=None):
        target = self.path('target.raw')
        if os.path.exists(target):
            os.remove(target)
        qemu_img('create', '-f', 'raw', target, str(size or self.size))
        return target

    def convert(self, src_args, direct, src_direct=None, size=None):
        target = self.fresh_target(size)
        drop_caches()
        # qemu-img convert writes with cache=unsafe unless told otherwise,
        # and so never flushes, while the restore flushes its target when
        # the daemon closes it: --convert-flush makes convert flush too
        if direct:
            cache = ['-t', 'none']
        else:
            cache = ['-t', 'writeback' if self.opts.convert_flush
                     else 'unsafe']
        if direct if src_direct is None else src_direct:
            cache += ['-T', 'none']
        start = time.monotonic()
        qemu_img('convert', '-n', *cache, *src_args, '-O', 'raw', target)
        return time.monotonic() - start

    def restore(self, backing, direct, state=None, target=None):
        """The time of a restore into target (a node), or a raw file"""
        node = track_node(target, backing) if target else \
            restore_node(backing, self.fresh_target(), direct)
        if state:
            add_state(node, state, True)
        drop_caches()
        qsd = StorageDaemon(self.dir, 'qsd')
        try:
            qsd.add(node)
            start = time.monotonic()
            extra = {}
            if self.opts.x_perf:
                extra['x-perf'] = json.loads(self.opts.x_perf)
            qsd.cmd('block-stream', job_id='restore', device='restore',
                    **extra)
            qsd.wait_job('restore')
        finally:
            # Closing flushes the target (qemu-img convert does so too at its
            # end with O_DIRECT, or when cached with --convert-flush)
            qsd.stop()
        return time.monotonic() - start

    def case_restore(self):
        print('== restore: block-stream through alloc-track vs qemu-img '
              'convert', flush=True)
        for fmt in ('raw', 'qcow2'):
            src = self.backup(fmt)
            for direct in (True, False):
                mode = 'O_DIRECT/native' if direct else 'cached'
                ref, ref_t = self.median(
                    lambda: self.convert(['-f', fmt, src], direct))
                backing = image_node(src, fmt, direct, read_only=True)
                val, val_t = self.median(lambda: self.restore(backing, direct))
                self.record('restore', f'{fmt} backup, {mode}',
                            ref, ref_t, val, val_t)

    def nbdkit(self, delay, src=None):
        sock = self.path('nbdkit.sock')
        # file=PATH, not a bare PATH: nbdkit would split a path with an
        # '=' in it as key=value
        proc = nbdkit(sock, '--filter=delay', '--filter=rate', 'file',
                      f'file={src or self.backup()}', f'rdelay={delay}',
                      f'rate={self.opts.remote_rate}')
        return proc, sock

    def case_remote(self):
        print(f'== remote: backup over NBD (nbdkit, rate '
              f'{self.opts.remote_rate} bit/s)', flush=True)
        # nbdkit's delay filter counts in whole milliseconds: 1 ms stands
        # for the 0.5 ms case
        for delay in ('1ms', '5ms'):
            proc, sock = self.nbdkit(delay)
            try:
                uri = nbd_uri(sock)
                ref, ref_t = self.median(
                    lambda: self.convert(['-f', 'raw', uri], True, False))
                backing = {'driver': 'raw', 'read-only': True,
                           'file': nbd_node(sock)}
                val, val_t = self.median(lambda: self.restore(backing, True))
                self.record('remote', f'{delay} per request',
                            ref, ref_t, val, val_t)
            finally:
                proc.terminate()
                proc.wait()

    def fio(self, uri, rw, bs, iodepth, runtime, extra=(), during=None,
            size=None):
        """Run fio; call during() repeatedly while it runs"""
        return fio(uri, size or self.size, f'--rw={rw}', f'--bs={bs}',
                   f'--iodepth={iodepth}', f'--runtime={runtime}',
                   '--time_based', '--norandommap', *extra, during=during)

    @staticmethod
    def iops(job):
        return job['read']['iops'] + job['write']['iops']

    def case_readpath(self):
        print('== readpath: fio through NBD, IOPS (higher is better)',
              flush=True)
        target = self.fresh_target()
        shutil.copyfile(self.backup(), target)
        loads = [('randread', '4k', 1), ('randread', '4k', 32),
                 ('read', '1M', 4)]
        backup = image_node(self.backup(), direct=True, read_only=True)
        pairs = [
            ('restored', image_node(target, direct=True, node_name='disk'),
             'restored'),
            ('unrestored', dict(backup, **{'node-name': 'disk'}),
             'unrestored'),
        ]
        for label, direct_node, mode in pairs:
            for rw, bs, qd in loads:
                def measure(node, prepare=None):
                    qsd = StorageDaemon(self.dir, 'qsd')
                    try:
                        qsd.add(node)
                        qsd.export(node['node-name'])
                        if prepare:
                            prepare(qsd)
                        return self.iops(self.fio(qsd.uri(), rw, bs, qd,
                                                  self.opts.fio_runtime))
                    finally:
                        qsd.stop()

                def restored(qsd):
                    qsd.cmd('block-stream', job_id='s', device='restore')
                    qsd.wait_job('s')

                if mode == 'restored':
                    track = restore_node(backup, target, True, False)
                    prep = restored
                else:
                    track = restore_node(backup, self.fresh_target(), True,
                                         False)
                    prep = None
                ref, ref_t = self.median(lambda: measure(direct_node))
                val, val_t = self.median(lambda: measure(track, prep))
                self.record('readpath', f'{label}: {rw} {bs} QD{qd}',
                            ref, ref_t, val, val_t, 'IOPS', False)

    # The guest inside the restore: the guestio and qcow2data cases

    def guest_fio(self, uri, size, log, window=None, rw='randrw', bs='4k',
                  iodepth=1):
        """
        The guest: fio 4 KiB random reads and writes at queue depth 1 (or
        rw, bs, iodepth) for window seconds (default --guest-window).  Its
        IOPS and latency p50, p99 (ms) of reads and writes together, its
        window (start, end) from its log of each I/O, stamped with the
        wall clock at completion, and that log's points (stamp, latency in
        ms).
        """
        job = self.fio(uri, rw, bs, iodepth,
                       f'{round((window or self.opts.guest_window) * 1000)}ms',
                       ('--unified_rw_reporting=mixed', '--lat_percentiles=1',
                        f'--write_lat_log={log}', '--log_unix_epoch=1'),
                       size=size)
        points = []
        with open(f'{log}_lat.1.log', encoding='ascii') as f:
            for line in f:
                stamp, lat = line.split(',')[:2]
                points.append((int(stamp) / 1000, int(lat) / 1e6))
        for kind in ('lat', 'clat', 'slat'):
            os.remove(f'{log}_{kind}.1.log')
        pct = job['mixed']['lat_ns'].get('percentile', {})
        return {'iops': job['mixed']['iops'],
                'p50': pct.get('50.000000', 0) / 1e6 or None,
                'p99': pct.get('99.000000', 0) / 1e6 or None,
                'start': min((t - lat / 1000 for t, lat in points),
                             default=None),
                'end': max((t for t, _ in points), default=None),
                'points': points}

    def guest_run(self, setup, size, guest, x_perf, iothread=False,
                  mirror=None):
        """
        One job on a node that setup(qsd) adds to the daemon, exported
        over NBD: block-stream of 'restore' (through alloc-track), or with
        mirror, blockdev-mirror with those arguments of 'src' into
        'target', up to BLOCK_JOB_READY, when it is cancelled.  With
        guest, fio's window starts --guest-delay s into the job, and runs
        again once the job is gone.  The job's span (to BLOCK_JOB_READY
        for mirror) is that of its events, fio's is from its log: both
        are wall clock.  None if QEMU refuses x_perf.
        """
        args = ('--object', 'iothread,id=io0') if iothread else ()
        cmd, job = ('blockdev-mirror', dict(mirror, target='target')) \
            if mirror else ('block-stream', {})
        if x_perf:
            job['x-perf'] = x_perf
        node = 'src' if mirror else 'restore'
        qsd = StorageDaemon(self.dir, 'qsd', *args)
        try:
            setup(qsd)
            qsd.export(node, writable=True,
                       iothread='io0' if iothread else None)
            try:
                qsd.cmd(cmd, job_id='s', device=node, **job)
            except ExecuteError as exc:
                # A QEMU without the mechanism knows no way to turn it off
                if 'guest-first' in x_perf and \
                   ('guest-first' in str(exc) or 'unexpected' in str(exc)):
                    self.results.setdefault('guest_first_refused',
                                            {})[cmd] = str(exc)
                    return None
                raise
            run = {'progress': []}
            events = []
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                if guest:
                    time.sleep(self.opts.guest_delay)
                    during = pool.submit(self.guest_fio, qsd.uri(), size,
                                         self.path('lat'))
                qsd.wait_job('s', status='ready' if mirror else 'concluded',
                             events=events, progress=lambda _, done,
                             total: run['progress'].append(
                                 (time.time(), done / max(total, 1))))
                if mirror:
                    run['guest-first'] = qsd.cmd('query-block-jobs')[0].get(
                        'guest-first')
                if guest:
                    run['during'] = during.result()
            if mirror:
                # Once ready, cancelling completes without a pivot: the
                # guest stays on the source, without mirror_top
                qsd.cmd('block-job-cancel', device='s')
                qsd.wait_job('s', events=events)
            if guest:
                run['after'] = self.guest_fio(qsd.uri(), size,
                                              self.path('lat'))
        finally:
            qsd.stop()

        return job_span(run, events, 'BLOCK_JOB_READY' if mirror
                        else 'BLOCK_JOB_COMPLETED')

    def guest_runs(self, setup, size, iothread=False, mirror=None):
        """
        guest_run() of each job, with guest-first on (QEMU's default) and
        off: each run has the job once with an idle guest, once with a
        busy one, for each in turn, so that a change in the machine's load
        hits both alike.  For 'on' and 'off', the list of (idle, busy)
        runs; none where QEMU refused guest-first.
        """
        cmd = 'blockdev-mirror' if mirror else 'block-stream'
        all_runs = {'on': [], 'off': []}
        for _ in range(self.opts.runs):
            for mech, runs in all_runs.items():
                # --x-perf is block-stream's
                x_perf = {} if mirror else json.loads(self.opts.x_perf or
                                                      '{}')
                if mech == 'off':
                    if cmd in self.results.get('guest_first_refused', {}):
                        continue
                    x_perf['guest-first'] = False
                idle = self.guest_run(setup, size, False, x_perf, iothread,
                                      mirror)
                busy = idle and self.guest_run(setup, size, True, x_perf,
                                               iothread, mirror)
                if busy:
                    runs.append((idle, busy))
        return all_runs

    def guest_nums(self, case, name, runs, job):
        """
        The numbers of guest_runs()' runs of one setting: job's time idle
        and busy, the guest's IOPS, p50, p99 during and after it; and the
        name to record them under, marked INVALID where a window did not
        lie inside the job.  Notes that, plots the run of the median p99.
        Without runs, records n/a, and the numbers are None.
        """
        if not runs:
            self.record(case, f'{name}: n/a, QEMU refused guest-first',
                        None, [], None, [], '')
            return name, None
        nums = {'idle': [i['time'] for i, _ in runs],
                'busy': [b['time'] for _, b in runs]}
        for when in ('during', 'after'):
            for key in ('iops', 'p50', 'p99'):
                nums[f'{key} {when}'] = [b[when][key] for _, b in runs
                                         if b[when][key] is not None]
        # The job's speed inside the guest's window, and with an idle guest
        # at the same time from its start
        nums['speed busy'], nums['speed idle'] = [], []
        for idle, busy in runs:
            win = busy['during']
            if win['start'] is None:
                continue
            nums['speed busy'].append(window_speed(busy, win['start'],
                                                   win['end']))
            nums['speed idle'].append(window_speed(
                idle, idle['start'] + win['start'] - busy['start'],
                idle['start'] + win['end'] - busy['start']))
        inside = sum(b['inside'] for _, b in runs)
        span = statistics.median(nums['busy']) / self.opts.guest_window
        note = (f'{case}, {name}: the fio window lay inside the {job} in '
                f'{inside} of {len(runs)} runs; the busy {job} lasted '
                f'{span:.1f}x the window')
        if inside < len(runs):
            name += f' [INVALID: window not inside the {job}]'
            note = 'WARNING: ' + note
        if span < 3:
            note += ' (WARNING: less than 3x: grow --guestio-size)'
        self.results.setdefault('notes', []).append(note)
        print('  ' + note, flush=True)
        # The run of the median p99 during the job
        runs.sort(key=lambda r: r[1]['during']['p99'] or 0)
        self.lat_plots.append((f'{case}: {name}, the run of median p99',
                               runs[len(runs) // 2][1]))
        return name, nums

    def guestio(self, case, label, setup, size, convert, rtt,
                iothread=False):
        """
        The guest inside restores into setup()'s node, with
        block-stream's guest-first on and off (see guest_runs()).
        convert: the median and runs of qemu-img convert of the same
        backup; rtt: the backup's round trip, p50 and p99.  Returns, for
        'on' and 'off', the runs' numbers, or None where QEMU refused
        guest-first.
        """
        out = {}
        for mech, runs in self.guest_runs(lambda qsd: qsd.add(setup()),
                                          size, iothread).items():
            name, nums = self.guest_nums(
                case, f'{label}, guest-first {mech}', runs, 'restore')
            out[mech] = nums
            if nums:
                # A read of what is not restored yet takes a round trip
                # to the source: its p99 is at least the round trip's p99
                for key, trip in (('bound', rtt[0]), ('bound p99', rtt[1])):
                    nums[key] = [trip + 2 * b['after']['p99']
                                 for _, b in runs if b['after']['p99']]
                self.record_guest(case, name, nums, 'restore time', convert)
        return out

    def record_guest(self, case, name, nums, time_name, convert=None):
        """
        guest_nums()' numbers; with convert (guestio's), the guest's p99
        against its bound and the idle restore against qemu-img convert
        """
        def med(key):
            return statistics.median(nums[key]) if nums[key] else None

        for key, unit, what in (('iops', 'IOPS', 'guest IOPS'),
                                ('p50', 'ms', 'guest p50 latency'),
                                ('p99', 'ms', 'guest p99 latency')):
            self.record(case, f'{name}: {what}, during / after',
                        med(f'{key} after'), nums[f'{key} after'],
                        med(f'{key} during'), nums[f'{key} during'], unit,
                        unit != 'IOPS')
        if convert:
            for key in ('bound', 'bound p99'):
                pct = 'p99' if key.endswith('p99') else 'p50'
                self.record(case, f'{name}: guest p99 during / (source RTT '
                            f'{pct} + 2 x p99 after)', med(key), nums[key],
                            med('p99 during'), nums['p99 during'], 'ms')
        self.record(case, f'{name}: {time_name}, busy / idle guest',
                    med('idle'), nums['idle'], med('busy'), nums['busy'])
        self.record(case, f'{name}: progress in the guest\'s window, busy / '
                    'idle guest', med('speed idle'), nums['speed idle'],
                    med('speed busy'), nums['speed busy'], '%/s', False)
        if convert:
            self.record(case, f'{name}: {time_name}, idle guest / qemu-img '
                        'convert', convert[0], convert[1], med('idle'),
                        nums['idle'])

    def source_rtt(self, case, label, backing, size):
        """
        p50 and p99 (ms) of 4 KiB reads at QD 1 of a backup over NBD, as
        the restore reads it, for the bound on the guest's p99
        """
        qsd = StorageDaemon(self.dir, 'qsd')
        try:
            qsd.add(dict(backing, **{'node-name': 'src'}))
            qsd.export('src')
            job = self.fio(qsd.uri(), 'randread', '4k', 1, 2,
                           ('--lat_percentiles=1',), size=size)
        finally:
            qsd.stop()
        pct = job['read']['lat_ns']['percentile']
        rtt = pct['50.000000'] / 1e6, pct['99.000000'] / 1e6
        self.record(case, f'{label}: source round trip 4k QD1, p99 / p50',
                    rtt[0], [rtt[0]], rtt[1], [rtt[1]], 'ms')
        return rtt

    def guestio_source(self, label, backing, src_args, src_direct, size,
                       iothread=False):
        """guestio() of alloc-track over an empty raw target"""
        convert = self.median(
            lambda: self.convert(src_args, True, src_direct, size))
        rtt = self.source_rtt('guestio', label, backing, size)
        self.guestio('guestio', label,
                     lambda: restore_node(backing, self.fresh_target(size),
                                          True),
                     size, convert, rtt, iothread)

    def case_guestio(self):
        size_mib = self.opts.guestio_size
        size = size_mib * MiB
        print(f'== guestio: fio 4k randrw QD1 through NBD inside a restore '
              f'of {size_mib} MiB ({self.opts.guest_window} s window), and '
              'after it', flush=True)
        raw = self.backup('raw', size_mib)
        for variant in self.opts.guestio_variants.split(','):
            if variant == 'remote':
                proc, sock = self.nbdkit('5ms', raw)
                try:
                    backing = {'driver': 'raw', 'read-only': True,
                               'file': nbd_node(sock)}
                    self.guestio_source('remote, 5ms per request', backing,
                                        ['-f', 'raw', nbd_uri(sock)], False,
                                        size)
                finally:
                    proc.terminate()
                    proc.wait()
                continue
            fmt = 'qcow2' if variant == 'qcow2' else 'raw'
            src = self.backup(fmt, size_mib)
            label = {'local': 'local raw', 'qcow2': 'local qcow2',
                     'iothread': 'local raw, iothread'}[variant]
            self.guestio_source(label, image_node(src, fmt, True,
                                                  read_only=True),
                                ['-f', fmt, src], True, size,
                                variant == 'iothread')

    def fresh_rbd(self, conf, size):
        """A new, empty RBD image of size in place of the last one"""
        try:
            ceph.remove(conf, 'bench-target')
        except subprocess.CalledProcessError:
            pass
        ceph.create(conf, 'bench-target', size)
        return 'bench-target'

    def case_rbd(self):
        size_mib = self.opts.rbd_size
        size = size_mib * MiB
        print(f'== rbd: restore of {size_mib} MiB into an RBD image vs '
              'qemu-img convert -W -m 16, and a guest inside it', flush=True)
        src = self.backup('raw', size_mib)
        backing = image_node(src, 'raw', True, read_only=True)
        with ceph.cluster(self.dir) as conf:
            def convert():
                target = ceph.filename(conf, self.fresh_rbd(conf, size))
                drop_caches()
                start = time.monotonic()
                qemu_img('convert', '-n', '-W', '-m', '16', '-T', 'none',
                         '-f', 'raw', src, '-O', 'raw', target)
                return time.monotonic() - start

            def target():
                return rbd_node(conf, self.fresh_rbd(conf, size),
                                node_name='target')

            ref = self.median(convert)
            val = self.median(lambda: self.restore(backing, True,
                                                   target=target()))
            self.record('rbd', 'local raw backup: restore / qemu-img '
                        'convert -W -m 16', *ref, *val)
            rtt = self.source_rtt('rbd', 'local raw', backing, size)
            self.guestio('rbd', 'local raw into rbd',
                         lambda: track_node(target(), backing), size, ref,
                         rtt)

    def fresh_state(self):
        state = self.path('state.img')
        open(state, 'wb').close()
        return file_node(state, True)

    def flushes(self, setup, size=None):
        """fio 4 KiB random writes, each flushed, to setup()'s node"""
        qsd = StorageDaemon(self.dir, 'qsd')
        try:
            qsd.add(setup())
            qsd.export('restore', writable=True)
            return self.fio(qsd.uri(), 'randwrite', '4k', 1,
                            self.opts.fio_runtime, ('--fsync=1',), size=size)
        finally:
            qsd.stop()

    def record_flushes(self, case, label, ref_jobs, val_jobs):
        for metric, get, unit in (
                ('flush p50 latency',
                 lambda j: j['sync']['lat_ns']['percentile']['50.000000'] /
                 1000, 'us'),
                ('flush p99 latency',
                 lambda j: j['sync']['lat_ns']['percentile']['99.000000'] /
                 1000, 'us'),
                ('4k writes/s, each flushed',
                 lambda j: j['write']['iops'], 'IOPS')):
            ref_t = [get(j) for j in ref_jobs]
            val_t = [get(j) for j in val_jobs]
            self.record(case, label + metric, statistics.median(ref_t),
                        ref_t, statistics.median(val_t), val_t, unit,
                        unit != 'IOPS')

    def case_state(self):
        print('== state: alloc-track with a durable state vs without',
              flush=True)
        backing = image_node(self.backup(), direct=True, read_only=True)

        ref, ref_t = self.median(lambda: self.restore(backing, True))
        val, val_t = self.median(
            lambda: self.restore(backing, True, self.fresh_state()))
        self.record('state', 'restore time, raw backup, O_DIRECT',
                    ref, ref_t, val, val_t)

        # A flush after each 4 KiB write to an unrestored region: every
        # flush has a block of the record to write
        def node(durable):
            node = restore_node(backing, self.fresh_target(), True, False)
            if durable:
                add_state(node, self.fresh_state(), True)
            return node

        results = {d: [self.flushes(lambda: node(d))
                       for _ in range(self.opts.runs)]
                   for d in (False, True)}
        self.record_flushes('state', '', results[False], results[True])

    def case_qcow2data(self):
        size_mib = self.opts.guestio_size
        size = size_mib * MiB
        print(f'== qcow2data: a qcow2 overlay with the target as its data '
              f'file vs alloc-track with a state, {size_mib} MiB',
              flush=True)
        raw = self.backup('raw', size_mib)
        backing = image_node(raw, direct=True, read_only=True)

        def tracked():
            node = restore_node(backing, self.fresh_target(size), True)
            add_state(node, self.fresh_state(), True)
            return node

        def qcow2data():
            meta, target = self.path('meta.qcow2'), self.path('target.raw')
            for name in (meta, target):
                if os.path.exists(name):
                    os.remove(name)
            qemu_img('create', '-f', 'qcow2', '-o',
                     'data_file=' + opt_value(target), '-b', raw, '-F', 'raw',
                     meta, str(size))
            return {'driver': 'qcow2', 'node-name': 'restore',
                    'file': file_node(meta, True),
                    'data-file': file_node(target, True),
                    'backing': backing}

        convert = self.median(
            lambda: self.convert(['-f', 'raw', raw], True, None, size))
        rtt = self.source_rtt('qcow2data', 'local raw', backing, size)
        at = self.guestio('qcow2data', 'alloc-track + state', tracked, size,
                          convert, rtt)
        q2 = self.guestio('qcow2data', 'qcow2 + data file', qcow2data, size,
                          convert, rtt)
        for mech in ('on', 'off'):
            if not at[mech] or not q2[mech]:
                continue
            for key, unit, what in (
                    ('idle', 's', 'restore time, idle guest'),
                    ('busy', 's', 'restore time, busy guest'),
                    ('iops during', 'IOPS', 'guest IOPS during'),
                    ('p99 during', 'ms', 'guest p99 latency during'),
                    ('iops after', 'IOPS', 'guest IOPS after'),
                    ('p99 after', 'ms', 'guest p99 latency after')):
                if at[mech][key] and q2[mech][key]:
                    self.record('qcow2data', f'qcow2 + data file / '
                                f'alloc-track + state, guest-first {mech}: '
                                f'{what}',
                                statistics.median(at[mech][key]),
                                at[mech][key],
                                statistics.median(q2[mech][key]),
                                q2[mech][key], unit, unit != 'IOPS')
        results = {s: [self.flushes(s, size) for _ in range(self.opts.runs)]
                   for s in (tracked, qcow2data)}
        self.record_flushes('qcow2data', 'qcow2 + data file / alloc-track + '
                            'state: ', results[tracked], results[qcow2data])

    # The guest across the job's completion: the completion case

    def completion_run(self, backup, size, window):
        """
        One restore of the backup into a target served by nbdkit that
        hides its holes (noextents) and writes zeroes as data at 500 MB/s
        (nozero, rate), as a device without fast zeroing would, and that
        caches little (cache=none).  With a window, a guest runs for that
        many seconds from the job's start.  The job's span and the drop's,
        from QEMU's events, and the guest's fio results.
        """
        sock = self.path('target.sock')
        proc = nbdkit(sock, '--filter=noextents', '--filter=nozero',
                      '--filter=rate', 'file',
                      f'file={self.fresh_target(size)}', 'cache=none',
                      'zeromode=emulate', 'rate=4G')
        qsd = StorageDaemon(self.dir, 'qsd')
        events = []
        try:
            qsd.add(track_node({'driver': 'raw', 'node-name': 'target',
                                'file': nbd_node(sock)},
                               image_node(backup, 'qcow2', True,
                                          read_only=True)))
            qsd.export('restore', writable=True)
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                guest = window and pool.submit(
                    self.guest_fio, qsd.uri(), size, self.path('lat'), window)
                qsd.cmd('block-stream', job_id='restore', device='restore')
                qsd.wait_job('restore', events=events,
                             also=('ALLOC_TRACK_AUTO_REMOVE',))
                while not any(e['event'] == 'ALLOC_TRACK_AUTO_REMOVE'
                              for e in events):
                    events.append(qsd.qmp.pull_event(wait=120.0))
                run = {'guest': guest and guest.result()}
        finally:
            qsd.stop()
            proc.terminate()
            proc.wait()

        run['start'] = event_stamp(events, 'JOB_STATUS_CHANGE', 'running')
        run['completed'] = event_stamp(events, 'BLOCK_JOB_COMPLETED')
        run['removed'] = event_stamp(events, 'ALLOC_TRACK_AUTO_REMOVE')
        return run

    def case_completion(self):
        size = self.size
        print(f'== completion: the guest across the end of a restore of '
              f'{self.opts.size} MiB, a qcow2 backup three quarters holes, '
              'into a target that hides its holes and zeroes slowly',
              flush=True)
        backup = self.path(f'holes-{self.opts.size}.qcow2')
        if not os.path.exists(backup):
            qemu_img('create', '-f', 'qcow2', backup, str(size))
            qemu_io(backup, [f'write -P 0x5a 0 {size // 4}'], 'qcow2')
        nums = {k: [] for k in ('restore', 'drop idle', 'drop busy',
                                'max across', 'p99 after')}
        inside = 0
        for _ in range(self.opts.runs):
            idle = self.completion_run(backup, size, None)
            nums['restore'].append(idle['completed'] - idle['start'])
            nums['drop idle'].append(idle['removed'] - idle['completed'])
            # A busy restore is slower: leave the guest 2 s after the drop
            window = 3 * (idle['removed'] - idle['start']) + 2
            busy = self.completion_run(backup, size, window)
            nums['drop busy'].append(busy['removed'] - busy['completed'])
            points = busy['guest']['points']
            # Every I/O of the guest in flight from the job's last
            # moments (its final flush, its drained completion) to the drop
            across = [lat for t, lat in points
                      if t - lat / 1000 < busy['removed'] + 0.25 and
                      t > busy['completed'] - COMPLETION_S]
            after = sorted(lat for t, lat in points
                           if t - lat / 1000 > busy['removed'] + 0.5)
            started = busy['guest']['start'] < \
                busy['completed'] - COMPLETION_S
            if started and len(after) >= 100:
                inside += 1
                nums['max across'].append(max(across))
                nums['p99 after'].append(after[len(after) * 99 // 100])

        def med(key):
            return statistics.median(nums[key]) if nums[key] else None

        note = (f'completion: the guest ran from {COMPLETION_S} s before '
                f'the job completed to 100 I/Os past the drop in {inside} '
                f'of {self.opts.runs} runs')
        if inside < self.opts.runs:
            note = 'WARNING: ' + note
        self.results.setdefault('notes', []).append(note)
        print('  ' + note, flush=True)
        self.record('completion', 'guest max latency across the '
                    'completion and drop / guest p99 after them',
                    med('p99 after'), nums['p99 after'], med('max across'),
                    nums['max across'], 'ms')
        self.record('completion', 'drop (BLOCK_JOB_COMPLETED to '
                    'ALLOC_TRACK_AUTO_REMOVE) / restore, idle guest',
                    med('restore'), nums['restore'], med('drop idle'),
                    nums['drop idle'])
        self.record('completion', 'drop, busy / idle guest', med('drop idle'),
                    nums['drop idle'], med('drop busy'), nums['drop busy'])

    # The guest inside a mirror: the mirror case

    def mark_all(self, qsd, node, size):
        """
        A dirty bitmap 'all' on node, marking all of it: merged from the
        persistent bitmap of a qcow2 image that writes of zeroes over the
        whole image marked (no data written, so made in a moment)
        """
        mark = self.path(f'mark-{size}.qcow2')
        if not os.path.exists(mark):
            qemu_img('create', '-f', 'qcow2', mark, str(size))
            qemu_img('bitmap', '--add', mark, 'all')
            qemu_io(mark, [f'write -z {off} {min(GiB, size - off)}'
                           for off in range(0, size, GiB)], 'qcow2')
        qsd.add(image_node(mark, 'qcow2', node_name='mark', read_only=True))
        qsd.cmd('block-dirty-bitmap-add', {'node': node, 'name': 'all'})
        qsd.cmd('block-dirty-bitmap-merge', node=node, target='all',
                bitmaps=[{'node': 'mark', 'name': 'all'}])
        qsd.cmd('blockdev-del', node_name='mark')

    def case_mirror(self):
        size_mib = self.opts.guestio_size
        size = size_mib * MiB
        print(f'== mirror: fio 4k randrw QD1 through NBD while '
              f'blockdev-mirror copies {size_mib} MiB '
              f'({self.opts.guest_window} s window), and after it',
              flush=True)
        # The guest writes into guestio's backup: its bytes change, not
        # what any case measures of it (fully allocated, random)
        src = self.backup('raw', size_mib)
        for variant in self.opts.mirror_variants.split(','):
            label = {'local': 'local raw', 'iothread': 'local raw, iothread',
                     'bitmap': 'local raw, sync=bitmap'}[variant]
            mirror = {'sync': 'full'}
            if variant == 'bitmap':
                mirror = {'sync': 'bitmap', 'bitmap': 'all',
                          'bitmap-mode': 'never'}

            def setup(qsd, bitmap=variant == 'bitmap'):
                qsd.add(image_node(src, direct=True, node_name='src'))
                qsd.add(image_node(self.fresh_target(size), direct=True,
                                   node_name='target'))
                if bitmap:
                    self.mark_all(qsd, 'src', size)

            idle = {}
            for mech, runs in self.guest_runs(setup, size,
                                              variant == 'iothread',
                                              mirror).items():
                name, nums = self.guest_nums(
                    'mirror', f'{label}, guest-first {mech}', runs,
                    'first phase')
                if nums:
                    idle[mech] = nums['idle']
                    self.record_guest('mirror', name, nums, 'time to ready')
                    info = [b['guest-first'] for _, b in runs]
                    note = (f'mirror, {name}: guest-first in '
                            'query-block-jobs at ready, busy guest: ' +
                            '; '.join(f'enabled {i["enabled"]}, cuts '
                                      f'{i["cuts"]}' if i else 'absent'
                                      for i in info))
                    self.results['notes'].append(note)
                    print('  ' + note, flush=True)
            on, off = idle.get('on', []), idle.get('off', [])
            self.record('mirror', f'{label}: time to ready, idle guest, '
                        'guest-first on / off',
                        statistics.median(off) if off else None, off,
                        statistics.median(on) if on else None, on)

    def backup_target(self, size):
        """An empty target behind nbdkit, slow as --backup-* say"""
        sock = self.path('backup-target.sock')
        kit = nbdkit(sock, '--filter=delay', '--filter=rate', 'file',
                     f'file={self.fresh_target(size)}',
                     f'wdelay={self.opts.backup_delay}',
                     f'rate={self.opts.backup_rate}')
        return kit, sock

    def backup_run(self, disk, size, mode, guest):
        """
        One blockdev-backup sync=full of disk to a target behind nbdkit
        (--backup-delay per write, --backup-rate), exported over NBD to the
        guest: mode 'on' and 'off' (guest-first), or 'fleecing': upstream's
        fleecing by hand, copy-before-write into a local qcow2 image and
        snapshot-access, the backup from that.  With guest, fio 32 KiB
        random writes at queue depth 8 in a window --guest-delay s into
        the job, and again once it is done, with nothing else running.
        """
        kit, sock = self.backup_target(size)
        qsd = StorageDaemon(self.dir, 'qsd')
        run = {'progress': []}
        events = []
        fio_args = {'rw': 'randwrite', 'bs': '32k', 'iodepth': 8}
        try:
            qsd.add(image_node(disk, direct=True, node_name='src'))
            qsd.add(dict(nbd_node(sock), **{'node-name': 'target'}))
            device = 'src'
            if mode == 'fleecing':
                fleece = self.path('fleece.qcow2')
                qemu_img('create', '-f', 'qcow2', fleece, str(size))
                qsd.add(image_node(fleece, 'qcow2', node_name='fleece'))
                qsd.add({'driver': 'copy-before-write', 'node-name': 'cbw',
                         'file': 'src', 'target': 'fleece'})
                qsd.add({'driver': 'snapshot-access', 'node-name': 'access',
                         'file': 'cbw'})
                device = 'access'
            qsd.export('cbw' if mode == 'fleecing' else 'src',
                       writable=True)
            job = {'job_id': 'b', 'device': device, 'target': 'target',
                   'sync': 'full'}
            if mode == 'off':
                job['x_perf'] = {'guest-first': False}
            try:
                qsd.cmd('blockdev-backup', **job)
            except ExecuteError as exc:
                if mode == 'off':
                    self.results.setdefault('guest_first_refused',
                                            {})['blockdev-backup'] = str(exc)
                    return None
                raise
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                if guest:
                    time.sleep(self.opts.guest_delay)
                    during = pool.submit(self.guest_fio, qsd.uri(), size,
                                         self.path('lat'), **fio_args)
                qsd.wait_job('b', events=events, progress=lambda _, done,
                             total: run['progress'].append(
                                 (time.time(), done / max(total, 1))))
                if guest:
                    run['during'] = during.result()
            if guest:
                run['after'] = self.guest_fio(qsd.uri(), size,
                                              self.path('lat'), **fio_args)
        finally:
            qsd.stop()
            kit.terminate()
            kit.wait()
        return job_span(run, events, 'BLOCK_JOB_COMPLETED')

    def case_backup(self):
        size_mib = self.opts.backup_size
        size = size_mib * MiB
        label = (f'target {self.opts.backup_rate} bit/s, '
                 f'{self.opts.backup_delay} per write')
        print(f'== backup: fio 32k randwrite QD8 through NBD while '
              f'blockdev-backup copies {size_mib} MiB to nbdkit ({label}), '
              f'and after it', flush=True)
        disk = self.backup('raw', size_mib)
        runs = {'on': [], 'off': [], 'fleecing': []}
        for _ in range(self.opts.runs):
            for mode, mode_runs in runs.items():
                if mode == 'off' and 'blockdev-backup' in \
                        self.results.get('guest_first_refused', {}):
                    continue
                idle = self.backup_run(disk, size, mode, False)
                busy = idle and self.backup_run(disk, size, mode, True)
                if busy:
                    mode_runs.append((idle, busy))
        # Fleecing's filter stays in the graph after the backup, and goes
        # on copying before writes: its guest is compared with the 'on'
        # run's after the backup, which has no filter left
        for (_, busy), (_, ref) in zip(runs['fleecing'], runs['on']):
            busy['after'] = ref['after']
        for mode, mode_runs in runs.items():
            name = {'on': 'guest-first on', 'off': 'guest-first off',
                    'fleecing': 'fleecing by hand'}[mode]
            name, nums = self.guest_nums('backup', f'{label}, {name}',
                                         mode_runs, 'backup')
            if nums:
                self.record_guest('backup', name, nums, 'backup time')
        # The backup's own speed: against guest-first off, and against
        # qemu-img convert of the same disk to the same target
        idle = {mode: [i['time'] for i, _ in r] for mode, r in runs.items()}

        def med(times):
            return statistics.median(times) if times else None

        self.record('backup', f'{label}: backup time, idle guest, '
                    'guest-first on / off', med(idle['off']), idle['off'],
                    med(idle['on']), idle['on'])

        def convert():
            kit, sock = self.backup_target(size)
            try:
                start = time.time()
                qemu_img('convert', '-n', '-W', '-T', 'none', '-f', 'raw',
                         disk, '-O', 'raw', nbd_uri(sock))
                return time.time() - start
            finally:
                kit.terminate()
                kit.wait()

        ref, ref_t = self.median(convert)
        self.record('backup', f'{label}: backup time, idle guest, '
                    'guest-first on / qemu-img convert -W', ref, ref_t,
                    med(idle['on']), idle['on'])

    def report(self):
        os.makedirs(os.path.join(TOP, 'bench', 'results'), exist_ok=True)
        stamp = time.strftime('%Y%m%d-%H%M%S')
        base = os.path.join(TOP, 'bench', 'results', stamp)
        with open(base + '.json', 'w', encoding='utf-8') as f:
            json.dump(self.results, f, indent=2)
        guest = ''
        if self.lat_plots:
            guest = (f' (guestio, qcow2data, mirror: '
                     f'{self.opts.guestio_size} MiB, '
                     f'fio window {self.opts.guest_window} s)')
        lines = [f'# Live-restore benchmark, {stamp}', '',
                 f'{self.opts.size} MiB{guest}, median of {self.opts.runs} '
                 'runs; ratio = value / reference', '',
                 f'QEMU: {self.results["build"]}' +
                 (f', block-stream x-perf {self.opts.x_perf}'
                  if self.opts.x_perf else '') +
                 ('; cached convert flushes (cache=writeback)'
                  if self.opts.convert_flush else
                  '; cached convert without flush (cache=unsafe)'), '',
                 '| case | measurement | reference | value | ratio |',
                 '|---|---|---|---|---|']
        for case, entries in self.results['cases'].items():
            for name, e in entries.items():
                lines.append(f'| {case} | {name} | '
                             f'{num(e["reference"], e["unit"])} | '
                             f'{num(e["value"], e["unit"])} | '
                             f'{num(e["ratio"])} |')
        notes = self.results.get('notes', [])
        for cmd, err in self.results.get('guest_first_refused', {}).items():
            notes.append(f'{cmd} guest-first off: n/a, QEMU refused it: '
                         f'{err}')
        if notes:
            lines += [''] + [f'- {n}' for n in notes]
        with open(base + '.md', 'w', encoding='utf-8') as f:
            f.write('\n'.join(lines) + '\n')
        print('\n'.join(lines))
        self.plot(base + '.png')
        print(f'\nResults: {base}.json, .md, .png')

    def plot(self, png):
        """The guest's latency over each job, one panel each"""
        if not self.lat_plots or not shutil.which('gnuplot'):
            return
        script = f'''
set terminal png size 900,{320 * len(self.lat_plots)}
set output {gnuplot_str(png)}
set multiplot layout {len(self.lat_plots)},1
set xlabel "seconds from the start of the job"
set ylabel "guest I/O latency (ms)"
set logscale y
set y2label "job progress (%)"
set y2range [0:100]
set y2tics
set ytics nomirror
set xrange [0:*]
set key tmargin horizontal
'''
        for n, (title, run) in enumerate(self.lat_plots):
            files = []
            for what, rows in (
                    ('during', run['during']['points']),
                    ('after', run['after']['points']),
                    ('progress', [(run['start'], 0)] +
                     [(t, frac * 100) for t, frac in run['progress']] +
                     [(run['end'], 100)])):
                name = self.path(f'plot-{n}-{what}.dat')
                with open(name, 'w', encoding='ascii') as f:
                    for t, y in rows:
                        f.write(f'{t - run["start"]:.3f} {y}\n')
                files.append(gnuplot_str(name))
            script += f'''
set title {gnuplot_str(title)}
set object 1 rect from 0, graph 0 to {run['time']:.3f}, graph 1 behind \\
    fillcolor rgb "#e0e8f8" fillstyle solid noborder
plot {files[0]} using 1:2 with points pt 7 ps 0.4 title "guest, in the job", \\
     {files[1]} using 1:2 with points pt 7 ps 0.4 title "guest, after", \\
     {files[2]} using 1:2 axes x1y2 with lines lw 2 title "job (shaded)"
'''
        subprocess.run(['gnuplot'], input=script, text=True, check=False)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(
        description='Live-restore benchmarks; see bench/README.md')
    p.add_argument('--size', type=int,
                   default=int(os.environ.get('BENCH_SIZE_MIB', 4096)),
                   help='image size in MiB (default 4096)')
    p.add_argument('--runs', type=int, default=3,
                   help='runs per measurement; medians are reported')
    p.add_argument('--cases',
                   default='restore,remote,readpath,guestio,state,qcow2data,'
                           'completion,mirror,backup,rbd',
                   help='comma-separated cases to run')
    p.add_argument('--guestio-size', type=int, default=8192,
                   help='image size in MiB of guestio, qcow2data and '
                        'mirror, so that a job lasts at least 3x the fio '
                        'window '
                        '(default 8192)')
    p.add_argument('--guestio-variants', default='local,remote',
                   help='guestio backups, comma-separated: local (raw), '
                        'remote (raw over nbdkit, 5 ms per request), '
                        'iothread (local raw, alloc-track in an iothread), '
                        'qcow2 (local qcow2); default local,remote')
    p.add_argument('--mirror-variants', default='local,iothread',
                   help='mirror sources, comma-separated: local (raw), '
                        'iothread (local raw and its export in an '
                        'iothread), bitmap (local raw, sync=bitmap with a '
                        'bitmap of the whole disk); default local,iothread')
    p.add_argument('--rbd-size', type=int, default=4096,
                   help='image size in MiB of the rbd case (default 4096)')
    p.add_argument('--backup-size', type=int, default=1024,
                   help='disk size in MiB of the backup case (default '
                        '1024)')
    p.add_argument('--backup-rate', default='320M',
                   help="the backup case's target: nbdkit rate filter cap "
                        'in bits per second (default 320M: 40 MB/s)')
    p.add_argument('--backup-delay', default='2ms',
                   help="the backup case's target: nbdkit delay per write "
                        '(default 2ms)')
    p.add_argument('--guest-window', type=float, default=3,
                   help='seconds of each guestio and mirror fio window '
                        '(default 3)')
    p.add_argument('--guest-delay', type=float, default=0.5,
                   help='seconds from the start of the job to that of '
                        'the fio window (default 0.5)')
    p.add_argument('--remote-rate', default='8G',
                   help='nbdkit rate filter cap in bits per second')
    p.add_argument('--fio-runtime', type=int, default=10,
                   help='seconds per fio measurement')
    p.add_argument('--convert-flush', action='store_true',
                   help='in the cached cases, make the reference qemu-img '
                        'convert flush its target at the end (-t '
                        'writeback), as the restore does; by default it '
                        'runs with cache=unsafe and does not')
    p.add_argument('--x-perf', default=None,
                   help="block-stream x-perf, as JSON, e.g. "
                        "'{\"max-workers\": 4}' (default: none)")
    opts = p.parse_args()

    bench = Bench(opts)
    try:
        for case in opts.cases.split(','):
            getattr(bench, f'case_{case}')()
        bench.report()
    finally:
        bench.cleanup()


if __name__ == '__main__':
    main()
