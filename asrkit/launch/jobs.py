"""What every backend shares: the ``JOB=1:N`` range, the per-task bash wrapper, results.

A job array is one command line and one log path, both holding the range variable
(``JOB``), run once per task with the variable replaced by the task number. Each backend
runs the same bash wrapper per task, so logs look the same locally and on SLURM: a
Kaldi-style header (``# <command>``, ``# Started at <date>``, ``#``), the command's stdout
and stderr, and a footer (``# Accounting: time=<s> threads=<n>``,
``# Ended (code <rc>) at <date>, elapsed time <s> seconds``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

# Arguments kept unquoted when a command is given as several arguments, so that Kaldi's
# escaped operators (``cmd1 \| cmd2 \> out``) still act as bash operators.
SHELL_OPERATORS = frozenset({"|", "|&", "||", "&&", ";", "<", ">", ">>", "2>", "2>>", "&>",
                             "2>&1", "1>&2", ">&2", "(", ")"})
_RANGE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(\d+)(?::(\d+))?$")
_RANGE_LIKE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*:")
FOOTER_PREFIXES = ("# Accounting: ", "# Ended (code ")


class LaunchError(ValueError):
    """A launcher call that cannot work as written (bad range, options, log path)."""


class JobsFailed(RuntimeError):
    """Some tasks of a job array failed; the message names each task, its exit and its log."""

    def __init__(self, message: str, results: Sequence["TaskResult"] = (), exit_code: int = 1):
        super().__init__(message)
        self.results = list(results)
        self.failed = [r for r in self.results if not r.ok]
        self.exit_code = exit_code


@dataclass(frozen=True)
class JobRange:
    """``JOB=1:N`` (or ``JOB=3``): a variable name and an inclusive task range."""

    var: str
    first: int
    last: int

    @classmethod
    def parse(cls, text: str) -> "JobRange | None":
        """The range in ``text``, or None when ``text`` is not a range (it is the log path)."""
        m = _RANGE.match(text)
        if m is None:
            if _RANGE_LIKE.match(text):
                raise LaunchError(f"malformed job range '{text}': write it as JOB=1:N")
            return None
        first = int(m.group(2))
        last = int(m.group(3)) if m.group(3) is not None else first
        if first < 1 or last < first:
            raise LaunchError(f"invalid job range '{text}': need 1 <= first <= last "
                              "(SLURM array indices start at 1)")
        return cls(m.group(1), first, last)

    def __str__(self) -> str:
        return f"{self.var}={self.first}:{self.last}"

    @property
    def tasks(self) -> list[int]:
        return list(range(self.first, self.last + 1))


def command_line(argv: Sequence[str]) -> str:
    """The bash command line for ``argv``.

    One argument is taken as a shell command line (``"a | b > c"`` works as in a script).
    Several arguments are quoted one by one, except the bash operators in
    ``SHELL_OPERATORS``, so ``["python", "-c", "print(1)"]`` and Kaldi's ``cmd \\| cmd2``
    both run as meant.
    """
    if not argv:
        raise LaunchError("no command given after the log file")
    if len(argv) == 1:
        return argv[0]
    return " ".join(a if a in SHELL_OPERATORS else shlex.quote(a) for a in argv)


@dataclass(frozen=True)
class JobArray:
    """One command run once per task, each task writing its own log."""

    command: str  # bash command line; the range variable is replaced per task
    log: str  # log path; the range variable is replaced per task
    range: JobRange | None = None  # None: a single job, nothing is replaced
    num_threads: int | None = None  # None: not requested (the footer says 1)

    def __post_init__(self) -> None:
        if self.range and self.range.last > self.range.first and self.range.var not in self.log:
            raise LaunchError(
                f"{len(self.range.tasks)} jobs ({self.range}) would all write the same log "
                f"{self.log}; put {self.range.var} in the log path, e.g. "
                f"{Path(self.log).with_suffix('')}.{self.range.var}.log")
        if self.num_threads is not None and self.num_threads < 1:
            raise LaunchError(f"--num-threads must be at least 1, got {self.num_threads}")

    @classmethod
    def from_argv(cls, argv: Sequence[str], log: str | Path, range: JobRange | None = None,
                  num_threads: int | None = None) -> "JobArray":
        return cls(command_line(argv), str(log), range, num_threads)

    @property
    def tasks(self) -> list[int | None]:
        return self.range.tasks if self.range else [None]

    @property
    def threads(self) -> int:
        return self.num_threads or 1

    def _substitute(self, text: str, task: int | None) -> str:
        return text.replace(self.range.var, str(task)) if self.range and task is not None else text

    def log_for(self, task: int | None) -> Path:
        return Path(self._substitute(self.log, task))

    def command_for(self, task: int | None) -> str:
        return self._substitute(self.command, task)

    @property
    def name(self) -> str:
        """A short job name from the log file name: ``exp/x/log/decode.JOB.log`` -> ``decode``."""
        name = Path(self.log).name
        if self.range:
            name = name.replace(f".{self.range.var}", "").replace(self.range.var, "")
        for suffix in (".log", ".txt"):
            name = name.removesuffix(suffix)
        return name.strip(".") or "job"

    @property
    def log_dir(self) -> Path:
        """The deepest directory of the log path that does not depend on the task."""
        parent = Path(self.log).parent
        while self.range and self.range.var in str(parent):
            parent = parent.parent
        return parent

    def task_script(self, task: str, status_dir: Path | None = None) -> str:
        """The bash text that runs one task: header, command, footer, exit status.

        ``task`` is a bash expression for the task number (``3`` or ``$SLURM_ARRAY_TASK_ID``).
        With ``status_dir`` the exit code is also written to ``status_dir/<task>``, for
        backends that cannot see the process exit (SLURM without accounting).
        """
        threads = self.threads
        lines = [f"task={task}",
                 f"cmd={shlex.quote(self.command)}",
                 f"log={shlex.quote(self.log)}"]
        if self.range:
            var = self.range.var
            lines += [f'cmd="${{cmd//{var}/$task}}"', f'log="${{log//{var}/$task}}"']
        lines += [
            'mkdir -p -- "$(dirname -- "$log")" || exit 1',
            f"export OMP_NUM_THREADS={threads} MKL_NUM_THREADS={threads}",
            "nl=$'\\n'",
            "{ printf '# %s\\n' \"${cmd//$nl/ }\"; printf '# Started at %s\\n#\\n' \"$(date)\"; }"
            ' > "$log" || exit 1',
            "start=$(date +%s)",
            # On Ctrl-C/scancel the job gets the signal too; wait for it, then write the footer.
            "trap : INT TERM",
            'bash -c "$cmd" < /dev/null >> "$log" 2>&1',
            "rc=$?",
            "elapsed=$(( $(date +%s) - start ))",
            f"printf '# Accounting: time=%d threads=%d\\n' \"$elapsed\" {threads} >> \"$log\"",
            "printf '# Ended (code %d) at %s, elapsed time %d seconds\\n' "
            '"$rc" "$(date)" "$elapsed" >> "$log"',
        ]
        if status_dir is not None:
            status = shlex.quote(str(status_dir))
            lines += [f'echo "$rc" > {status}/"$task".tmp && mv -f {status}/"$task".tmp '
                      f'{status}/"$task"']
        lines.append("exit $rc")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class TaskResult:
    """How one task ended. ``returncode`` is None when the task left no exit status."""

    task: int | None
    log: Path
    returncode: int | None
    reason: str = ""  # the scheduler's word when there is no exit status: TIMEOUT, ...

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def describe(self, var: str) -> str:
        what = f"exit {self.returncode}" if self.returncode is not None else (
            self.reason or "no exit status")
        head = f"{var}={self.task} ({what})" if self.task is not None else f"({what})"
        return f"{head}, see {self.log}"


def log_tail(path: Path, lines: int = 10) -> list[str]:
    """The last output lines of a task log, without the footer."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    body = [line for line in text if not line.startswith(FOOTER_PREFIXES)]
    if len(body) <= 3:  # only the header
        return []
    return body[3:][-lines:]


def check_results(jobs: JobArray, results: Sequence[TaskResult], backend: str = "",
                  max_listed: int = 5) -> list[TaskResult]:
    """Return ``results`` when every task succeeded, else raise :class:`JobsFailed`.

    The message reads ``1/4 failed: JOB=3 (exit 2), see exp/x/log/name.3.log`` followed
    by the last lines of the first failed log. Its exit code is the first failed task's.
    """
    failed = [r for r in results if not r.ok]
    if not failed:
        return list(results)
    var = jobs.range.var if jobs.range else "JOB"
    shown = "; ".join(r.describe(var) for r in failed[:max_listed])
    if len(failed) > max_listed:
        shown += f"; and {len(failed) - max_listed} more"
    where = f" on {backend}" if backend else ""
    count = f"{len(failed)}/{len(results)} failed" if jobs.range else "job failed"
    message = f"{count}{where}: {shown}"
    tail = log_tail(failed[0].log)
    if tail:
        message += f"\nlast lines of {failed[0].log}:\n" + "\n".join(f"  {t}" for t in tail)
    code = failed[0].returncode
    raise JobsFailed(message, results, exit_code=code if code and 0 < code < 256 else 1)
