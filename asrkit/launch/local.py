"""The local backend: each task is a bash process on this machine, a few at a time.

Like Kaldi's ``run.pl``: at most ``max_jobs_run`` tasks run at once (default: the CPUs
this process may use divided by ``--num-threads``). Tasks run in their own process
groups; Ctrl-C or SIGTERM stops every running task (SIGTERM, then SIGKILL after a grace
period) and starts no new one.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from asrkit.launch.jobs import JobArray, LaunchError, TaskResult, check_results
from asrkit.launch.signals import terminate_as_interrupt

logger = logging.getLogger(__name__)

KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL when interrupted


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_max_jobs(num_threads: int) -> int:
    return max(1, available_cpus() // max(1, num_threads))


class _Running:
    """The live task processes, so an interrupt can stop them all."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.procs: set[subprocess.Popen] = set()
        self.stopping = False

    def run(self, jobs: JobArray, task: int | None) -> TaskResult | None:
        with self.lock:
            if self.stopping:
                return None
            proc = subprocess.Popen(["bash", "-c", jobs.task_script(str(task or 1))],
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            self.procs.add(proc)
        rc = proc.wait()
        with self.lock:
            self.procs.discard(proc)
        if rc < 0:  # killed by a signal before bash could report it
            rc = 128 - rc
        return TaskResult(task, jobs.log_for(task), rc)

    def stop(self) -> int:
        """Stop new tasks; SIGTERM the running ones, SIGKILL what is left after a grace."""
        with self.lock:
            self.stopping = True
            procs = list(self.procs)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for proc in procs:
                if proc.poll() is None:
                    try:
                        os.killpg(proc.pid, sig)
                    except ProcessLookupError:
                        pass
            deadline = time.monotonic() + KILL_GRACE
            while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
                time.sleep(0.05)
        return len(procs)


def run_local(jobs: JobArray, max_jobs_run: int | None = None) -> list[TaskResult]:
    """Run every task of ``jobs`` here; return the results or raise ``JobsFailed``.

    KeyboardInterrupt (Ctrl-C, or SIGTERM in the main thread) stops the running tasks and
    is raised again.
    """
    if max_jobs_run is not None and max_jobs_run < 1:
        raise LaunchError(f"--max-jobs-run must be at least 1, got {max_jobs_run}")
    limit = min(max_jobs_run or default_max_jobs(jobs.threads), len(jobs.tasks))
    running = _Running()
    with terminate_as_interrupt(), ThreadPoolExecutor(limit, "asrkit-launch") as pool:
        futures = [pool.submit(running.run, jobs, task) for task in jobs.tasks]
        try:
            results = [f.result() for f in futures]
        except BaseException:
            n = running.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            logger.warning("interrupted: stopped %d running job(s) of %s", n, jobs.log)
            raise
    return check_results(jobs, results)
