"""``submit``: run parallel jobs from Python through the launcher a user configured.

Stage drivers get ``--cmd "$train_cmd"`` from the recipe and call
``submit(cmd, "exp/x/log/dump.JOB.log", [...argv with JOB...], nj=4)``: the exact
``cmd.sh`` line runs, whether it is ``asrkit-launch local``, ``asrkit-launch slurm ...``
or a Kaldi ``utils/run.pl``.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from asrkit.launch.jobs import JobsFailed, LaunchError


def launcher_argv(cmd: str, log: str | Path, argv: Sequence[str], nj: int | None = None) -> list[str]:
    try:
        prefix = shlex.split(cmd)
    except ValueError as e:
        raise LaunchError(f"cannot split the job command {cmd!r}: {e}") from None
    if not prefix:
        raise LaunchError("empty job command: set e.g. train_cmd='asrkit-launch local' in cmd.sh")
    if nj is not None and nj < 1:
        raise LaunchError(f"nj must be at least 1, got {nj}")
    return prefix + ([f"JOB=1:{nj}"] if nj else []) + [str(log)] + [str(a) for a in argv]


def submit(cmd: str, log: str | Path, argv: Sequence[str], nj: int | None = None) -> None:
    """Run ``argv`` as ``nj`` jobs (``JOB`` replaced by 1..nj) via ``cmd``; wait for them.

    Raises :class:`JobsFailed` with the launcher's message (failed jobs and their logs)
    when it exits non-zero. The launcher's messages also go to stderr as they come.
    """
    full = launcher_argv(cmd, log, argv, nj)
    try:
        proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, errors="replace")
    except FileNotFoundError:
        raise LaunchError(f"job command '{full[0]}' not found (from cmd {cmd!r}); check cmd.sh "
                          "and that the environment (path.sh) is sourced") from None
    lines: list[str] = []
    try:
        for line in proc.stderr:
            sys.stderr.write(line)
            lines.append(line)
        rc = proc.wait()
    except BaseException:
        proc.terminate()  # the launcher stops or cancels its jobs on SIGTERM
        proc.wait()
        raise
    if rc != 0:
        message = "".join(lines).strip() or f"{full[0]} exited with code {rc}"
        raise JobsFailed(f"{message}\n(command: {shlex.join(full)})", exit_code=rc)
