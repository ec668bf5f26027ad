"""asrkit-launch: Kaldi's "$cmd JOB=1:N log command ..." on this machine or on SLURM.

    asrkit-launch local|slurm [options] [JOB=1:N] exp/x/log/name.JOB.log command args...

JOB in the log path and in the command is replaced by the task number. A command given
as one quoted argument is a bash command line, so "a | b > c" works. The exit status
is 0 when every task succeeded, else the first failed task's (1 when it left none); the
message names each failed task and its log.
"""

from __future__ import annotations

import argparse
import sys

from asrkit.launch.jobs import JobArray, JobRange, JobsFailed, LaunchError
from asrkit.launch.local import run_local
from asrkit.launch.signals import Terminated
from asrkit.launch.slurm import SubmitError, run_slurm
from asrkit.cli import setup_logging

PROG = "asrkit-launch"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise LaunchError(f"{message} (see {PROG} --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("backend", choices=("local", "slurm"),
                   help="local: processes on this machine; slurm: one sbatch array")
    p.add_argument("--num-threads", type=int, default=None,
                   help="threads each job uses (default 1): exported as OMP_NUM_THREADS and "
                        "MKL_NUM_THREADS; slurm: --cpus-per-task via the config; local: at "
                        "most CPUs/N jobs run at once")
    p.add_argument("--mem", default=None,
                   help="memory per thread, e.g. 4G (slurm; ignored locally)")
    p.add_argument("--gpu", default=None,
                   help="GPUs per job (slurm; ignored locally, where jobs see every GPU)")
    p.add_argument("--time", default=None, help="time limit per job, e.g. 4:00:00 (slurm)")
    p.add_argument("--max-jobs-run", type=int, default=None,
                   help="at most this many jobs at once (default: local, CPUs/threads; "
                        "slurm, no limit)")
    p.add_argument("--config", default=None,
                   help="slurm: option mapping (default conf/slurm.conf if present, else a "
                        "built-in one); ignored locally")
    p.add_argument("args", nargs="*", metavar="[JOB=1:N] LOG COMMAND ...")
    return p


def split_options(argv: list[str]) -> tuple[list[str], list[str]]:
    """The backend and launcher options vs. ``[JOB=1:N] LOG COMMAND ...``.

    Options end at the first word after the backend that is not one (every launcher option
    takes a value), so options after the log belong to the command.
    """
    i, backend_seen = 0, False
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return argv[:i], argv[i + 1:]
        if not word.startswith("-"):
            if backend_seen:
                break
            backend_seen = True
            i += 1
        elif word in ("-h", "--help") or "=" in word:
            i += 1
        else:
            i += 2
    return argv[:i], argv[i:]


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, JobArray]:
    head, rest = split_options(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(head)
    job_range = JobRange.parse(rest[0]) if rest else None
    if job_range:
        rest = rest[1:]
    if len(rest) < 2:
        raise LaunchError("expected [JOB=1:N] LOG COMMAND ..., e.g. "
                          f"{PROG} local JOB=1:4 exp/x/log/name.JOB.log echo JOB")
    jobs = JobArray.from_argv(rest[1:], rest[0], job_range, args.num_threads)
    return args, jobs


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    try:
        args, jobs = parse(argv)
        if args.backend == "local":
            run_local(jobs, args.max_jobs_run)
        else:
            options = {"mem": args.mem, "gpu": args.gpu, "time": args.time}
            run_slurm(jobs, args.config, {k: v for k, v in options.items() if v is not None},
                      args.max_jobs_run)
    except JobsFailed as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return e.exit_code
    except (LaunchError, SubmitError) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:
        print(f"{PROG}: interrupted; running jobs were stopped", file=sys.stderr)
        return 128 + (e.signum if isinstance(e, Terminated) else 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
