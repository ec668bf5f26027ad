"""Parallel jobs, Kaldi style: ``$cmd JOB=1:N log command ...`` locally or on SLURM.

Shell: ``asrkit-launch local|slurm [options] JOB=1:N exp/x/log/name.JOB.log command ...``
(see :mod:`asrkit.launch.cli`). Python stage drivers call :func:`submit` with the
``--cmd`` string from ``cmd.sh``; the backends are also callable directly::

    jobs = JobArray.from_argv(["echo", "JOB"], "exp/log/echo.JOB.log", JobRange("JOB", 1, 4))
    run_local(jobs, max_jobs_run=2)
    run_slurm(jobs, "conf/slurm.conf", {"mem": "2G"})
"""

from asrkit.launch.jobs import (
    JobArray,
    JobRange,
    JobsFailed,
    LaunchError,
    TaskResult,
    command_line,
)
from asrkit.launch.local import run_local
from asrkit.launch.slurm import SubmitError, run_slurm
from asrkit.launch.slurm_conf import SlurmConfig
from asrkit.launch.submit import submit

__all__ = [
    "JobArray",
    "JobRange",
    "JobsFailed",
    "LaunchError",
    "SlurmConfig",
    "SubmitError",
    "TaskResult",
    "command_line",
    "run_local",
    "run_slurm",
    "submit",
]
