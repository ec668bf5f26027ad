"""asrkit-experiment: run a grid of arms (``conf/grid_*.yaml``, :mod:`asrkit.grid`) through
the recipe's ``./run.sh`` and compare them (:mod:`asrkit.comparison`).

    asrkit-experiment run conf/grid_x.yaml [--cmd "$cuda_cmd"] [--max-parallel N] [--force] [-- run.sh options]
    asrkit-experiment report conf/grid_x.yaml

Run it from the recipe directory. ``run`` does, in order:

1. stages 1-2 for every labeled amount (``./run.sh --stage 1 --stop-stage 2 ...``), here,
   one after another;
2. the pretrainings, one job array through ``--cmd`` (``asrkit-experiment pretrain GRID
   --pretraining JOB``): each (pretraining config, pool, seed) once, in
   ``exp/pretraining/<name>/``, shared with other grids that ask for the same;
3. the arms, a second job array (``asrkit-experiment arm GRID --arm JOB``): stages 3-6 in
   ``exp/<grid>/<arm>/``, decoding dev and test;
4. the comparison: ``exp/<grid>/comparison.md`` (one row per init, pretraining, fine-tuning,
   labeled amount and decoding; mean ± sd over seeds), ``exp/<grid>/learning_curve_*.png``,
   and RESULTS.md again (``asrkit-score results`` includes every grid's comparison).

Each pretraining and arm keeps ``status.json`` and its ``run.log``: a finished one is skipped
(``--force`` redoes it), a killed grid continues where it stopped, and run.sh's own stages
resume from their checkpoints. An arm that fails shows as failed in the table, and ``run``
exits 1 once the other arms are done, naming it and its log. Options after ``--`` go to every
``./run.sh`` call (e.g. ``-- --ngpu 1``).
"""

from __future__ import annotations

import argparse
import logging
import re
import shlex
import subprocess
import sys
from pathlib import Path

from asrkit import grid as gridlib
from asrkit.cli import run_cli
from asrkit.comparison import curves, render, summarize
from asrkit.fileio import atomic_open
from asrkit.grid import RUN_LOG, Arm, Grid, GridError, Pretraining, read_status, write_status
from asrkit.launch import JobsFailed, submit
from asrkit.launch.signals import terminate_as_interrupt
from asrkit.layout import COMPARISON_MD, RESULTS_MD
from asrkit.plots import plot_learning_curve
from asrkit.results import ResultsError, write_results

log = logging.getLogger(__name__)

EXP = Path("exp")  # asr.sh's default --expdir: where RESULTS.md looks


def grid_dir(grid_path: str | Path) -> Path:
    return EXP / Path(grid_path).stem


def arm_dir(grid_path: str | Path, arm: Arm) -> Path:
    return grid_dir(grid_path) / arm.name


def pretraining_dir(pre: Pretraining) -> Path:
    return EXP / gridlib.PRETRAINING_DIR / pre.name


def _run_recipe(directory: Path, name: str, argv: list[str], key: list[str] | None = None) -> int:
    """``./run.sh argv`` with its output in ``directory/run.log``, its state in status.json."""
    run_log = directory / RUN_LOG
    run_log.parent.mkdir(parents=True, exist_ok=True)
    command = ["./run.sh", *argv]
    fields = {"log": str(run_log), "command": shlex.join(command)} | ({"key": key} if key else {})
    write_status(directory, "running", **fields)
    print(f"{name}: {shlex.join(command)} (log: {run_log})", flush=True)
    with open(run_log, "w", encoding="utf-8") as f:
        rc = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT).returncode
    if rc == 0:
        write_status(directory, "done", **fields)
        return 0
    write_status(directory, "failed", reason=f"run.sh exit {rc}", **fields)
    tail = "\n".join(f"  {line}" for line in log_tail_of(run_log))
    print(f"{name} failed (exit {rc}); last lines of {run_log}:\n{tail}", file=sys.stderr)
    return rc


def log_tail_of(path: Path, lines: int = 10) -> list[str]:
    """The last lines of a run.log (its first line is the command)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()[1:][-lines:]
    except OSError:
        return []


def _recorded_key(pre: Pretraining, grid: Grid) -> list[str]:
    """What makes a pretraining: its run.sh options, without --force and machine options."""
    return gridlib.pretraining_argv(grid, pre, pretraining_dir(pre))


def check_shared_pretrainings(grid: Grid) -> None:
    """A pretraining directory another grid made with other options is an error, not a reuse."""
    for pre in gridlib.pretrainings(grid):
        status = read_status(pretraining_dir(pre))
        key = _recorded_key(pre, grid)
        if status.get("key") not in (None, key):
            raise GridError(
                f"{pretraining_dir(pre)} was pretrained by './run.sh {shlex.join(status['key'])}', but "
                f"this grid asks for './run.sh {shlex.join(key)}' under the same name: name the "
                "pretrain variant ('name:') or remove the directory")


def run_pretraining(grid_path: Path, grid: Grid, index: int, force: bool, extra: list[str]) -> int:
    pre = gridlib.pretrainings(grid)[index - 1]
    directory = pretraining_dir(pre)
    if read_status(directory)["state"] == "done" and not force:
        print(f"{pre.name}: finished before ({directory})")
        return 0
    key = _recorded_key(pre, grid)
    return _run_recipe(directory, pre.name, key + (["--force", "true"] if force else []) + extra, key)


def pretrained_checkpoint(pre: Pretraining) -> Path | str:
    """The checkpoint an ssl arm fine-tunes from, or why there is none."""
    directory = pretraining_dir(pre)
    state = read_status(directory)["state"]
    if state != "done":
        return f"pretraining {directory} {'not run' if state == 'pending' else state}"
    found = sorted(directory.glob("ssl_*/checkpoint_best.pt"))
    if len(found) != 1:
        return f"pretraining {directory} left {len(found)} ssl_*/checkpoint_best.pt, not one"
    return found[0]


def run_arm(grid_path: Path, grid: Grid, index: int, force: bool, extra: list[str]) -> int:
    arm = gridlib.arms(grid)[index - 1]
    directory = arm_dir(grid_path, arm)
    if read_status(directory)["state"] == "done" and not force:
        print(f"{arm.name}: finished before ({directory})")
        return 0
    init = {"scratch": "none", "ssl": None, "bljust": "none"}.get(arm.init, arm.init)
    if arm.pretraining is not None:
        checkpoint = pretrained_checkpoint(arm.pretraining)
        if isinstance(checkpoint, str):
            write_status(directory, "failed", reason=checkpoint,
                         log=str(pretraining_dir(arm.pretraining) / RUN_LOG))
            print(f"{arm.name}: not run: {checkpoint}", file=sys.stderr)
            return 1
        init = str(checkpoint)
    argv = gridlib.arm_argv(grid, arm, directory, init) + (["--force", "true"] if force else []) + extra
    return _run_recipe(directory, arm.name, argv)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", text)


def report(grid_path: Path, grid: Grid) -> Path:
    """Write ``exp/<grid>/comparison.md`` and the learning curves from what is there now."""
    out = grid_dir(grid_path)
    rows = summarize(grid, [(arm, arm_dir(grid_path, arm)) for arm in gridlib.arms(grid)])
    images = []
    if grid.labeled_minutes:
        for decoding in grid.decodings:
            lines = curves(rows, decoding)
            if lines:
                path = plot_learning_curve(lines, out / f"learning_curve_{_slug(decoding)}.png",
                                           title=f"{out.name}: {decoding}")
                images.append((f"{decoding}: test CER against labeled minutes", str(path)))
    text = render(out.name, rows, images)
    with atomic_open(out / COMPARISON_MD, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)
    return out / COMPARISON_MD


def _submit_array(what: str, grid_path: Path, args: argparse.Namespace, count: int, extra: list[str]) -> bool:
    """Run one job array of ``count`` jobs; False when some failed (the jobs say which)."""
    cmd = args.cmd + (f" --max-jobs-run {args.max_parallel}" if args.max_parallel else "")
    option = {"pretrain": "--pretraining", "arm": "--arm"}[what]
    argv = [sys.executable, "-m", "asrkit.experiment", what, str(grid_path), option, "JOB",
            *(["--force"] if args.force else []), "--", *extra]
    logs = grid_dir(grid_path) / "log" / f"{what}.JOB.log"
    log.info("%d %s job(s) via '%s'; logs: %s", count, what, cmd, logs)
    try:
        submit(cmd, logs, argv, count)
    except JobsFailed as e:
        log.warning("some %s jobs failed; the others are done:\n%s", what, e)
        return False
    return True


def run(args: argparse.Namespace, extra: list[str]) -> int:
    grid_path = Path(args.grid).resolve()
    grid = gridlib.load(args.grid)
    reserved = sorted({o.split("=")[0] for o in extra} & gridlib.DRIVER_OPTIONS)
    if reserved:
        raise GridError(f"options after '--': {', '.join(reserved)} is set by the driver")
    check_shared_pretrainings(grid)
    arms = gridlib.arms(grid)
    with terminate_as_interrupt():
        for amount in gridlib.amounts(grid):
            argv = gridlib.data_argv(grid, amount) + extra
            log.info("stages 1-2%s: ./run.sh %s", f" ({amount.tag})" if amount.tag else "", shlex.join(argv))
            rc = subprocess.run(["./run.sh", *argv], stdin=subprocess.DEVNULL).returncode
            if rc != 0:
                raise GridError(f"stages 1-2 failed (./run.sh {shlex.join(argv)}: exit {rc}); no arm ran")
        pres = gridlib.pretrainings(grid)
        if any(args.force or read_status(pretraining_dir(p))["state"] != "done" for p in pres):
            _submit_array("pretrain", grid_path, args, len(pres), extra)
        if any(args.force or read_status(arm_dir(grid_path, a))["state"] != "done" for a in arms):
            _submit_array("arm", grid_path, args, len(arms), extra)
    report(grid_path, grid)
    try:
        log.info("RESULTS.md: %s", write_results(EXP, RESULTS_MD))
    except ResultsError as e:
        log.warning("RESULTS.md not written: %s", e)
    failed = [(a, read_status(arm_dir(grid_path, a))) for a in arms]
    failed = [(a, s) for a, s in failed if s["state"] != "done"]
    if failed:
        listed = "\n".join(f"  {a.name}: " + "; ".join(
            [s["state"], *([s["reason"]] if "reason" in s else []), f"log {s.get('log', '-')}"])
            for a, s in failed)
        print(f"asrkit-experiment: {len(failed)} of {len(arms)} arm(s) did not finish:\n{listed}",
              file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asrkit-experiment", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run every unfinished arm, then report")
    r.add_argument("grid", help="the grid, e.g. conf/grid_label_efficiency.yaml")
    r.add_argument("--cmd", default="asrkit-launch local",
                   help="job command for the arrays, e.g. \"$cuda_cmd\" (default: %(default)s)")
    r.add_argument("--max-parallel", type=int, default=None,
                   help="at most N pretrainings or arms at once (the launcher's --max-jobs-run)")
    r.add_argument("--force", action="store_true", help="redo finished pretrainings and arms")
    rep = sub.add_parser("report", help="write the comparison table and learning curves only")
    rep.add_argument("grid")
    for name, option in (("pretrain", "--pretraining"), ("arm", "--arm")):
        job = sub.add_parser(name, help=f"one {name} job of 'run' (K: 1-based index)")
        job.add_argument("grid")
        job.add_argument(option, dest="index", type=int, required=True, metavar="K")
        job.add_argument("--force", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    head = argv[:argv.index("--")] if "--" in argv else argv

    def dispatch(args: argparse.Namespace) -> int:
        if args.command == "run":
            return run(args, extra)
        grid = gridlib.load(args.grid)
        if args.command == "report":
            report(Path(args.grid), grid)
            return 0
        job = run_pretraining if args.command == "pretrain" else run_arm
        return job(Path(args.grid), grid, args.index, args.force, extra)

    return run_cli(build_parser(), dispatch, head)


if __name__ == "__main__":
    sys.exit(main())
