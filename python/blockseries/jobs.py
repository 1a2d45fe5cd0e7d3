# SPDX-License-Identifier: GPL-2.0-or-later
"""
Waiting for a job on its QMP events, not by polling query-jobs: the end
of a job is seen when it happens, and a job that failed is not taken for
one that finished (both leave query-jobs alike once dismissed).
"""

import asyncio
import time

ENDED = ('concluded', 'null')


class JobError(RuntimeError):
    pass


def job_progress(qmp, job_id):
    """(done, total) of a job, or None once it has gone"""
    for job in qmp.cmd('query-jobs'):
        if job['id'] == job_id:
            return job['current-progress'], job['total-progress']
    return None


def job_error(qmp, job_id):
    """The error of a concluded job that is not dismissed yet"""
    for job in qmp.cmd('query-jobs'):
        if job['id'] == job_id:
            return job.get('error')
    return None


def wait_job(qmp, job_id, status='concluded', timeout=None, progress=None,
             interval=0.25, alive=None, events=None, also=()):
    """
    Wait until the job reaches status ('ready', say), or ends: 'concluded'
    or 'null' (dismissed) end every wait.  Raise JobError if the job
    failed or ended without reaching status, TimeoutError after timeout
    seconds.  Meanwhile call progress(secs, done, total) every interval
    seconds, and alive(), which says whether the QEMU process runs still:
    a dead one sends no event.  Return the seconds waited.  events: a
    list to which the job's own events, and those named in also, are
    appended as they are pulled, each with QEMU's timestamp of when it
    happened.

    The events are those that the connection received and no one pulled
    yet, so a job that changed state before the call is still seen.
    """
    start = time.monotonic()
    deadline = None if timeout is None else start + timeout
    tick = start + interval
    failed = False
    error = None
    while True:
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            raise TimeoutError(f'job {job_id} not {status} after {timeout} s')
        if now >= tick:
            if alive and not alive():
                raise JobError(f'job {job_id}: QEMU has gone')
            done = progress and job_progress(qmp, job_id)
            if done:
                progress(now - start, *done)
            tick = now + interval
        wake = tick if deadline is None else min(tick, deadline)
        try:
            # A float: pull_event() takes an int as 'wait forever'
            event = qmp.pull_event(wait=float(max(wake - now, 0.001)))
        except asyncio.TimeoutError:
            continue
        data = event.get('data', {})
        if events is not None and (event['event'] in also or
                                   job_id in (data.get('id'),
                                              data.get('device'))):
            events.append(event)
        if event['event'] == 'BLOCK_JOB_COMPLETED' and \
           data.get('device') == job_id:
            # Comes before 'concluded'; only a failure has an error
            error = data.get('error')
        elif event['event'] == 'BLOCK_JOB_CANCELLED' and \
                data.get('device') == job_id:
            error = 'cancelled'
        elif event['event'] == 'JOB_STATUS_CHANGE' and \
                data['id'] == job_id:
            now_status = data['status']
            failed = failed or now_status == 'aborting'
            if now_status == status or now_status in ENDED:
                if failed or error:
                    raise JobError(f'job {job_id} failed: ' +
                                   (error or job_error(qmp, job_id) or
                                    'aborted'))
                if now_status != status and status not in ENDED:
                    raise JobError(f'job {job_id} ended before it was '
                                   f'{status}')
                return time.monotonic() - start
