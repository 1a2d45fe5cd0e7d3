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
  guestio   fio 4 KiB random reads and writes through an NBD export of
            alloc-track, with and without the restore running
  state     the cost of a durable alloc-track state: restore time, and
            the latency of a flush after each 4 KiB guest write, with a
            state against without
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from blockseries.jobs import job_progress
from blockseries.nodes import file_node, image_node, nbd_node, track_node
from blockseries.qsd import StorageDaemon
from blockseries.tools import BIN, TOP, fio, nbd_uri, nbdkit, qemu_img

MiB = 1024 * 1024
GiB = 1024 * MiB


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
                        'cases': {}}
        self.progress = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def median(self, fn):
        times = []
        for _ in range(self.opts.runs):
            times.append(fn())
        return statistics.median(times), times

    def record(self, case, name, ref, ref_times, val, val_times, unit='s',
               lower_is_better=True):
        entry = {'reference': ref, 'value': val, 'unit': unit,
                 'ratio': val / ref if ref else None,
                 'reference_runs': ref_times, 'value_runs': val_times,
                 'lower_is_better': lower_is_better}
        self.results['cases'].setdefault(case, {})[name] = entry
        print(f'  {name:42s} ref {ref:9.3f} {unit:5s} value {val:9.3f} '
              f'{unit:5s} ratio {entry["ratio"]:.2f}', flush=True)

    def make_backups(self):
        print(f'== data: {self.opts.size} MiB of random bytes', flush=True)
        with open(self.path('backup.raw'), 'wb') as out:
            subprocess.run(['head', '-c', str(self.size), '/dev/urandom'],
                           stdout=out, check=True)
        qemu_img('convert', '-f', 'raw', '-O', 'qcow2',
                 self.path('backup.raw'), self.path('backup.qcow2'))

    def fresh_target(self):
        target = self.path('target.raw')
        if os.path.exists(target):
            os.remove(target)
        qemu_img('create', '-f', 'raw', target, str(self.size))
        return target

    def convert(self, src_args, direct, src_direct=None):
        target = self.fresh_target()
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

    def restore(self, backing, direct, state=None):
        target = self.fresh_target()
        node = restore_node(backing, target, direct)
        if state:
            node.update({'state': state, 'new-state': True})
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
            src = self.path(f'backup.{fmt}')
            for direct in (True, False):
                mode = 'O_DIRECT/native' if direct else 'cached'
                ref, ref_t = self.median(
                    lambda: self.convert(['-f', fmt, src], direct))
                backing = image_node(src, fmt, direct, read_only=True)
                val, val_t = self.median(lambda: self.restore(backing, direct))
                self.record('restore', f'{fmt} backup, {mode}',
                            ref, ref_t, val, val_t)

    def nbdkit(self, delay):
        sock = self.path('nbdkit.sock')
        # file=PATH, not a bare PATH: nbdkit would split a path with an
        # '=' in it as key=value
        proc = nbdkit(sock, '--filter=delay', '--filter=rate', 'file',
                      f'file={self.path("backup.raw")}', f'rdelay={delay}',
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

    def fio(self, uri, rw, bs, iodepth, runtime, extra=(), during=None):
        """Run fio; call during() repeatedly while it runs"""
        return fio(uri, self.size, f'--rw={rw}', f'--bs={bs}',
                   f'--iodepth={iodepth}', f'--runtime={runtime}',
                   '--time_based', '--norandommap', *extra, during=during)

    @staticmethod
    def iops(job):
        return job['read']['iops'] + job['write']['iops']

    def case_readpath(self):
        print('== readpath: fio through NBD, IOPS (higher is better)',
              flush=True)
        target = self.fresh_target()
        shutil.copyfile(self.path('backup.raw'), target)
        loads = [('randread', '4k', 1), ('randread', '4k', 32),
                 ('read', '1M', 4)]
        backup = image_node(self.path('backup.raw'), direct=True,
                            read_only=True)
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

    def case_guestio(self):
        print('== guestio: fio 4k randrw QD4 through NBD, with and without '
              'a restore running', flush=True)
        backup = image_node(self.path('backup.raw'), direct=True,
                            read_only=True)
        lat_prefix = self.path('lat')

        def measure(restoring):
            qsd = StorageDaemon(self.dir, 'qsd')
            try:
                qsd.add(restore_node(backup, self.fresh_target(), True,
                                     False))
                qsd.export('restore', writable=True)
                qsd.cmd('block-stream', job_id='s', device='restore')
                if not restoring:
                    qsd.wait_job('s')
                    return self.fio(qsd.uri(), 'randrw', '4k', 4,
                                    self.opts.fio_runtime)
                self.progress = []
                start = time.monotonic()

                def sample():
                    done = job_progress(qsd.qmp, 's')
                    if done:
                        self.progress.append(
                            (time.monotonic() - start,
                             done[0] / max(done[1], 1)))
                    return bool(done)

                job = self.fio(qsd.uri(), 'randrw', '4k', 4,
                               self.opts.fio_runtime,
                               (f'--write_lat_log={lat_prefix}',
                                '--log_avg_msec=100'), sample)
                qsd.wait_job('s')
                return job
            finally:
                qsd.stop()

        results = {}
        for restoring in (False, True):
            jobs = [measure(restoring) for _ in range(self.opts.runs)]
            results[restoring] = jobs
        for metric, get in (
                ('IOPS', self.iops),
                ('read p50 latency us',
                 lambda j: j['read']['clat_ns']['percentile']['50.000000'] /
                 1000),
                ('read p99 latency us',
                 lambda j: j['read']['clat_ns']['percentile']['99.000000'] /
                 1000),
                ('write p99 latency us',
                 lambda j: j['write']['clat_ns']['percentile']['99.000000'] /
                 1000)):
            ref_t = [get(j) for j in results[False]]
            val_t = [get(j) for j in results[True]]
            self.record('guestio', f'{metric} during restore',
                        statistics.median(ref_t), ref_t,
                        statistics.median(val_t), val_t,
                        'IOPS' if metric == 'IOPS' else 'us',
                        metric != 'IOPS')

    def case_state(self):
        print('== state: alloc-track with a durable state vs without',
              flush=True)
        backing = image_node(self.path('backup.raw'), direct=True,
                             read_only=True)

        def fresh_state():
            state = self.path('state.img')
            open(state, 'wb').close()
            return file_node(state, True)

        ref, ref_t = self.median(lambda: self.restore(backing, True))
        val, val_t = self.median(
            lambda: self.restore(backing, True, fresh_state()))
        self.record('state', 'restore time, raw backup, O_DIRECT',
                    ref, ref_t, val, val_t)

        # A flush after each 4 KiB write to an unrestored region: every
        # flush has a block of the record to write
        def flushes(durable):
            node = restore_node(backing, self.fresh_target(), True, False)
            if durable:
                node.update({'state': fresh_state(), 'new-state': True})
            qsd = StorageDaemon(self.dir, 'qsd')
            try:
                qsd.add(node)
                qsd.export('restore', writable=True)
                return self.fio(qsd.uri(), 'randwrite', '4k', 1,
                                self.opts.fio_runtime, ('--fsync=1',))
            finally:
                qsd.stop()

        results = {d: [flushes(d) for _ in range(self.opts.runs)]
                   for d in (False, True)}
        for metric, get, unit in (
                ('flush p50 latency',
                 lambda j: j['sync']['lat_ns']['percentile']['50.000000'] /
                 1000, 'us'),
                ('flush p99 latency',
                 lambda j: j['sync']['lat_ns']['percentile']['99.000000'] /
                 1000, 'us'),
                ('4k writes/s, each flushed',
                 lambda j: j['write']['iops'], 'IOPS')):
            ref_t = [get(j) for j in results[False]]
            val_t = [get(j) for j in results[True]]
            self.record('state', metric, statistics.median(ref_t), ref_t,
                        statistics.median(val_t), val_t, unit,
                        unit != 'IOPS')

    def report(self):
        os.makedirs(os.path.join(TOP, 'bench', 'results'), exist_ok=True)
        stamp = time.strftime('%Y%m%d-%H%M%S')
        base = os.path.join(TOP, 'bench', 'results', stamp)
        with open(base + '.json', 'w', encoding='utf-8') as f:
            json.dump(self.results, f, indent=2)
        lines = [f'# Live-restore benchmark, {stamp}', '',
                 f'{self.opts.size} MiB, median of {self.opts.runs} runs; '
                 'ratio = value / reference', '',
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
                lines.append(f'| {case} | {name} | {e["reference"]:.3f} '
                             f'{e["unit"]} | {e["value"]:.3f} {e["unit"]} | '
                             f'{e["ratio"]:.2f} |')
        with open(base + '.md', 'w', encoding='utf-8') as f:
            f.write('\n'.join(lines) + '\n')
        print('\n'.join(lines))
        self.plot(base + '.png')
        print(f'\nResults: {base}.json, .md, .png')

    def plot(self, png):
        lat_log = self.path('lat_clat.1.log')
        if not self.progress or not shutil.which('gnuplot'):
            return
        prog = self.path('progress.dat')
        with open(prog, 'w', encoding='ascii') as f:
            for t, frac in self.progress:
                f.write(f'{t:.3f} {frac * 100:.1f}\n')
        script = f'''
set terminal png size 900,500
set output {gnuplot_str(png)}
set xlabel "seconds"
set ylabel "restore progress (%)"
set y2label "guest I/O completion latency (us)"
set y2tics
set ytics nomirror
set key top left
'''
        plots = []
        if os.path.exists(lat_log):
            plots.append(f'{gnuplot_str(lat_log)} using ($1/1000):($2/1000) '
                         'axes x1y2 with points pt 7 ps 0.4 '
                         'title "guest 4k latency"')
        plots.append(f'{gnuplot_str(prog)} using 1:2 with lines lw 2 '
                     'title "restore progress"')
        script += 'plot ' + ', '.join(plots) + '\n'
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
                   default='restore,remote,readpath,guestio,state',
                   help='comma-separated cases to run')
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
        bench.make_backups()
        for case in opts.cases.split(','):
            getattr(bench, f'case_{case}')()
        bench.report()
    finally:
        bench.cleanup()


if __name__ == '__main__':
    main()
