"""The SLURM backend: one ``sbatch --array`` per call, then wait for every task.

Files go next to the logs, in ``<log dir>/q/``: the batch script ``<name>.sh``, SLURM's own
output per task ``<name>.<task>.out`` (where SLURM writes "CANCELLED DUE TO TIME LIMIT"
and the like) and ``<name>.status/<task>`` holding each task's exit code. The launcher
waits by looking for those status files and asking ``squeue`` whether the array is still
queued, which works on clusters without accounting (no slurmdbd). A task that left no
status is explained with ``sacct`` or ``scontrol`` when they know it (TIMEOUT,
OUT_OF_MEMORY, ...). Ctrl-C or SIGTERM cancels the array with ``scancel``.

Multi-GPU jobs: ``--gpu N`` gives each task N GPUs and 8N CPUs (``conf/slurm.conf``). The
command runs once per task, as in the local backend, so it starts the ranks itself: either
``torchrun --standalone --nproc-per-node N ...`` (the same line works locally) or
``srun --ntasks N --cpus-per-task 8 ...`` (a job step of N ranks inside the allocation).
The trainer reads torchrun's ``RANK``/``WORLD_SIZE``, or srun's ``SLURM_PROCID``/
``SLURM_NTASKS``; only trust the latter inside an srun step (``SLURM_STEP_ID`` set), since
the batch script itself also sees ``SLURM_PROCID=0``.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

from asrkit.launch.jobs import JobArray, LaunchError, TaskResult, check_results
from asrkit.launch.signals import terminate_as_interrupt
from asrkit.launch.slurm_conf import SlurmConfig

logger = logging.getLogger(__name__)

POLL_ENV = "ASRKIT_SLURM_POLL_INTERVAL"
DEFAULT_POLL = 10.0  # seconds between squeue calls once a job has run a while


class SubmitError(RuntimeError):
    """sbatch (or the cluster) refused the job; the message holds sbatch's reason."""


def poll_interval(value: float | None = None) -> float:
    if value is not None:
        return value
    text = os.environ.get(POLL_ENV)
    if not text:
        return DEFAULT_POLL
    try:
        return max(0.01, float(text))
    except ValueError:
        raise LaunchError(f"{POLL_ENV}={text!r} is not a number of seconds") from None


def sbatch_command(jobs: JobArray, config: SlurmConfig, script: Path, options: dict[str, str],
                   max_jobs_run: int | None = None) -> list[str]:
    """The full sbatch command line for ``jobs`` (one array, throttled by ``max_jobs_run``)."""
    if config.describes("name"):
        options = {"name": jobs.name, **options}
    first, last = (jobs.range.first, jobs.range.last) if jobs.range else (1, 1)
    array = f"{first}-{last}" + (f"%{max_jobs_run}" if max_jobs_run else "")
    out = script.parent / f"{jobs.name}.%a.out"
    return [*config.command, *config.sbatch_args(options), f"--array={array}",
            f"--output={out}", "--parsable", str(script)]


def batch_script(jobs: JobArray, status_dir: Path, sbatch: list[str]) -> str:
    return (f"#!/bin/bash\n"
            f"# Written by asrkit-launch for {jobs.log}; submitted with:\n"
            f"#   {shlex.join(sbatch)}\n"
            + jobs.task_script("${SLURM_ARRAY_TASK_ID:-1}", status_dir))


def _run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    if shutil.which(argv[0]) is None:
        raise SubmitError(f"'{argv[0]}' not found: is SLURM installed here and on PATH? "
                          "(use the local backend on a machine without SLURM)")
    return subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kw)


def submit_array(sbatch: list[str]) -> str:
    proc = _run(sbatch)
    if proc.returncode != 0:
        raise SubmitError(f"sbatch failed (exit {proc.returncode}): {proc.stderr.strip()}\n"
                          f"command: {shlex.join(sbatch)}")
    job_id = proc.stdout.strip().split(";")[0]
    if not job_id.isdigit():
        raise SubmitError(f"sbatch printed no job id (got {proc.stdout.strip()!r}); command: "
                          f"{shlex.join(sbatch)}")
    return job_id


def queued(job_id: str) -> bool | None:
    """Whether any task of the array is still queued/running; None if squeue cannot tell."""
    proc = _run(["squeue", "--noheader", "--jobs", job_id, "--format", "%i"])
    if proc.returncode == 0:
        return bool(proc.stdout.strip())
    if "Invalid job id" in proc.stderr:  # finished and already purged by slurmctld
        return False
    return None


def scheduler_states(job_id: str) -> dict[int, str]:
    """Final state per array task (``TIMEOUT``, ``FAILED``, ...) from sacct, else scontrol."""
    states: dict[int, str] = {}
    proc = _run(["sacct", "--noheader", "--parsable2", "--jobs", job_id,
                 "--format", "JobID,State"])
    if proc.returncode == 0:
        for line in proc.stdout.splitlines():
            jid, _, state = line.partition("|")
            head, _, task = jid.partition("_")
            if head == job_id and task.isdigit():
                states[int(task)] = state.split()[0] if state else ""
        if states:
            return states
    proc = _run(["scontrol", "--oneliner", "show", "job", job_id])
    if proc.returncode == 0:
        for line in proc.stdout.splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            task = fields.get("ArrayTaskId", "")
            if task.isdigit():
                states[int(task)] = fields.get("JobState", "")
    return states


def _read_status(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def wait_for(job_id: str, jobs: JobArray, status_dir: Path, poll: float) -> list[TaskResult]:
    """Wait until every task wrote its status or the array left the queue."""
    tasks = [t or 1 for t in jobs.tasks]
    interval = min(0.5, poll)
    unknown_since: float | None = None
    while True:
        if all((status_dir / str(t)).exists() for t in tasks):
            break
        state = queued(job_id)
        if state is False:
            # Status files may reach a shared file system after the job is gone.
            grace = time.monotonic() + 3 * poll
            while time.monotonic() < grace and not all(
                    (status_dir / str(t)).exists() for t in tasks):
                time.sleep(min(interval, 1.0))
            break
        if state is None:
            unknown_since = unknown_since or time.monotonic()
            if time.monotonic() - unknown_since > 60:
                logger.warning("squeue cannot report job %s for a minute; still waiting", job_id)
                unknown_since = time.monotonic()
        else:
            unknown_since = None
        time.sleep(interval)
        interval = min(interval * 2, poll)
    codes = {t: _read_status(status_dir / str(t)) for t in tasks}
    states = scheduler_states(job_id) if None in codes.values() else {}
    results = []
    for task, t in zip(jobs.tasks, tasks):
        reason = ""
        if codes[t] is None:
            out = status_dir.parent / f"{jobs.name}.{t}.out"
            reason = f"{states.get(t) or 'no exit status'} in SLURM, see also {out}"
        results.append(TaskResult(task, jobs.log_for(task), codes[t], reason))
    return results


def run_slurm(jobs: JobArray, config: SlurmConfig | str | Path | None = None,
              options: dict[str, str] | None = None, max_jobs_run: int | None = None,
              poll: float | None = None) -> list[TaskResult]:
    """Submit ``jobs`` as one SLURM array, wait, return the results or raise ``JobsFailed``.

    ``options`` are launcher options by config name (``mem``, ``gpu``, ``time``,
    ``num_threads``...) mapped through ``config`` (a :class:`SlurmConfig`, a path, or None
    for ``conf/slurm.conf`` / the built-in default). ``poll`` caps the seconds between
    ``squeue`` calls (default ``$ASRKIT_SLURM_POLL_INTERVAL`` or 10).
    """
    if max_jobs_run is not None and max_jobs_run < 1:
        raise LaunchError(f"--max-jobs-run must be at least 1, got {max_jobs_run}")
    if not isinstance(config, SlurmConfig):
        config = SlurmConfig.load(config)
    options = dict(options or {})
    if jobs.num_threads is not None:
        options.setdefault("num_threads", str(jobs.num_threads))
    poll = poll_interval(poll)
    qdir = (jobs.log_dir / "q").absolute()
    status_dir = qdir / f"{jobs.name}.status"
    script = qdir / f"{jobs.name}.sh"
    sbatch = sbatch_command(jobs, config, script, options,
                            max_jobs_run if jobs.range else None)
    shutil.rmtree(status_dir, ignore_errors=True)
    status_dir.mkdir(parents=True)
    for task in jobs.tasks:
        jobs.log_for(task).parent.mkdir(parents=True, exist_ok=True)
        (qdir / f"{jobs.name}.{task or 1}.out").unlink(missing_ok=True)
    script.write_text(batch_script(jobs, status_dir, sbatch))
    script.chmod(0o755)
    with terminate_as_interrupt():
        job_id = submit_array(sbatch)
        logger.info("submitted SLURM job %s (%d task(s)) for %s", job_id, len(jobs.tasks), jobs.log)
        try:
            results = wait_for(job_id, jobs, status_dir, poll)
        except BaseException:
            _run(["scancel", job_id])
            logger.warning("interrupted: cancelled SLURM job %s (%s)", job_id, jobs.log)
            raise
    return check_results(jobs, results, backend=f"SLURM job {job_id}")
