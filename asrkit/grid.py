"""Experiment grids: a study as plain data (``conf/grid_*.yaml``), expanded into arms.

A grid crosses pretraining configs × fine-tuning configs × inits × labeled amounts × seeds::

    pretrain: [{config: conf/pretrain_tiny.yaml}]
    finetune: [{config: conf/finetune_tiny.yaml}, {config: conf/finetune_tiny_rvq.yaml,
                                                    overrides: [model.rvq.num_levels=4]}]
    inits: [scratch, ssl]            # or the path of a checkpoint to fine-tune from
    labeled_minutes: [5, 10, 20, 40] # run.sh --labeled-minutes N (or train_sets: [...])
    seeds: [1, 2, 3]                 # --set train.seed=S for fine-tuning (and pretraining)
    decodings: {greedy: [conf/decode_greedy.yaml], lm: [conf/decode_beam.yaml]}
    bljust: [{config: conf/bljust_tiny.yaml}]   # with init bljust: joint SSL + CTC arms
    equal_passes: true               # each BL-JUST arm must run as many forward/backward
                                     # passes as pretraining + fine-tuning (checked up front)

An **arm** is one fine-tuning run with its decodes and scores: ``./run.sh --stage 3
--stop-stage 6`` in its own experiment directory ``exp/<grid>/<arm>/``. A **pretraining**
runs once per (pretraining variant, pool, seed) in ``exp/pretraining/<name>/`` and is shared
by every arm that starts from it, in this grid and in others. Each run keeps a
``status.json`` (pending, running, done or failed, with its log), which is what makes a
grid resumable. Paths in a grid are relative to the recipe directory.

A **bljust** arm (``inits: [..., bljust]``) trains one of the ``bljust:`` configs from scratch
with ``./run.sh --train-mode bljust --init none`` (its own exploration, joint phase and final
fine-tuning; :mod:`asrkit.bljust`) in place of a pretraining and a fine-tuning. Each arm's
planned forward/backward passes (:func:`passes`: updates × micro-batches, a joint update
counting 2) are in the comparison, and ``equal_passes: true`` makes the grid fail before
anything runs unless every BL-JUST arm's passes equal every pretraining + fine-tuning pair's.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asrkit import config as configlib
from asrkit.fileio import atomic_open

INITS = ("scratch", "ssl", "bljust")
PRETRAINING_DIR = "pretraining"  # under exp/: the pretrainings every grid shares
STATUS = "status.json"
RUN_LOG = "run.log"  # ./run.sh's output, in the run's directory
# run.sh options the driver sets itself; a grid's run_opts may not set them.
DRIVER_OPTIONS = frozenset({
    "--stage", "--stop-stage", "--expdir", "--init", "--pretrain-configs", "--pretrain-opts",
    "--finetune-configs", "--finetune-opts", "--decode-configs", "--test-sets", "--results",
    "--force", "--train-set", "--labeled-minutes", "--unlabeled-set", "--unlabeled-minutes",
    "--skip-data-prep", "--skip-pretrain", "--skip-train", "--skip-eval", "--train-mode",
    "--bljust-configs", "--bljust-opts",
})


class GridError(ValueError):
    """A grid that cannot run as written; the message names the key and what to change."""


@dataclass
class Variant:
    """A training config and the ``--set`` overrides it runs with."""

    config: str
    overrides: list[str] = field(default_factory=list)  # e.g. [model.rvq.num_levels=4]
    name: str | None = None  # default: the config's name and the overrides

    @property
    def tag(self) -> str:
        if self.name:
            return self.name
        return "_".join([Path(self.config).stem, *(_slug(o) for o in self.overrides)])

    def opts(self, seed: int) -> str:
        """The run.sh ``--*-opts`` value: the overrides, then the seed."""
        return " ".join(f"--set {o}" for o in [*self.overrides, f"train.seed={seed}"])


@dataclass
class Grid:
    """The schema of ``conf/grid_*.yaml`` (see the module docstring)."""

    finetune: list[Variant]
    decodings: dict[str, list[str]]  # name -> decode configs; dev picks one per arm and decoding
    inits: list[str] = field(default_factory=lambda: ["scratch", "ssl"])
    pretrain: list[Variant] = field(default_factory=list)
    seeds: list[int] = field(default_factory=lambda: [1])
    pretrain_seed: int | None = None  # null: each seed pretrains its own model; N: one, seed N
    labeled_minutes: list[int] = field(default_factory=list)  # run.sh --labeled-minutes N
    train_sets: list[str] = field(default_factory=list)  # or run.sh --train-set X
    unlabeled_minutes: int | None = None  # the pool: run.sh --unlabeled-minutes M
    unlabeled_set: str | None = None  # or run.sh --unlabeled-set X
    dev_set: str = "dev"  # decoded to choose (LM weights); never test
    test_set: str = "test"
    run_opts: list[str] = field(default_factory=list)  # more options for every ./run.sh call
    bljust: list[Variant] = field(default_factory=list)  # BL-JUST configs of the bljust arms
    equal_passes: bool = False  # every bljust arm runs the passes of pretraining + fine-tuning


@dataclass(frozen=True)
class Amount:
    """A labeled amount: minutes (``--labeled-minutes``), a train set, or run.sh's own."""

    minutes: int | None = None
    train_set: str | None = None

    @property
    def tag(self) -> str:
        return f"{self.minutes}min" if self.minutes is not None else (self.train_set or "")

    @property
    def options(self) -> list[str]:
        if self.minutes is not None:
            return ["--labeled-minutes", str(self.minutes)]
        return ["--train-set", self.train_set] if self.train_set else []


@dataclass(frozen=True)
class Pretraining:
    variant: Variant
    seed: int
    pool: tuple[str, ...]  # run.sh options naming the pool: () or (option, value)

    @property
    def name(self) -> str:
        pool = ""
        if self.pool:
            option, value = self.pool
            pool = f"pool{value}min" if option == "--unlabeled-minutes" else f"pool-{value}"
        return "_".join(p for p in (self.variant.tag, pool, f"seed{self.seed}") if p)


@dataclass(frozen=True)
class Arm:
    init: str  # scratch, ssl, bljust or a checkpoint path
    pretraining: Pretraining | None
    finetune: Variant  # the fine-tuning (or, for a bljust arm, the BL-JUST) config
    amount: Amount
    seed: int

    @property
    def init_kind(self) -> str:
        return self.init if self.init in INITS else "checkpoint"

    @property
    def start(self) -> str:
        """What fine-tuning starts from, for tables: a pretraining variant or a checkpoint."""
        if self.pretraining is not None:
            return self.pretraining.variant.tag
        return "-" if self.init in ("scratch", "bljust") else self.init

    @property
    def name(self) -> str:
        init = {"scratch": "scratch", "ssl": f"ssl-{self.start}", "bljust": "bljust"}.get(
            self.init, f"init-{_slug(Path(self.init.rstrip('/')).stem)}")
        return "_".join(p for p in (self.amount.tag, init, self.finetune.tag, f"seed{self.seed}") if p)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", text).strip("_")


def _repeated(items: list[Any]) -> list[Any]:
    return [x for x, n in Counter(items).items() if n > 1]


def load(path: str | Path, recipe: str | Path = ".") -> Grid:
    """Read and check a grid: every error is raised here, before anything runs."""
    grid = configlib.load(Grid, path)
    problems = check(grid, Path(recipe))
    if problems:
        raise GridError(f"{path}: " + "; ".join(problems))
    return grid


def check(grid: Grid, recipe: Path) -> list[str]:
    """What is wrong with ``grid`` for the recipe in ``recipe``; empty when it can run."""
    problems = []
    if not (recipe / "run.sh").is_file():
        problems.append(f"no run.sh in {recipe.resolve()}: run from the recipe directory")
    for key in ("seeds", "inits", "labeled_minutes", "train_sets"):
        twice = _repeated(getattr(grid, key))
        if twice:
            problems.append(f"{key}: {', '.join(map(str, twice))} listed more than once")
    for key in ("seeds", "inits", "finetune", "decodings"):
        if not getattr(grid, key):
            problems.append(f"{key}: empty")
    if grid.labeled_minutes and grid.train_sets:
        problems.append("labeled_minutes and train_sets: give one of them")
    if grid.unlabeled_minutes is not None and grid.unlabeled_set:
        problems.append("unlabeled_minutes and unlabeled_set: give one of them")
    if any(m <= 0 for m in grid.labeled_minutes):
        problems.append(f"labeled_minutes: {grid.labeled_minutes} must be positive")
    for init in grid.inits:
        if init not in INITS and not (recipe / init).exists():
            problems.append(f"inits: unknown init '{init}' (scratch, ssl, or the path of a checkpoint "
                            "to fine-tune from; there is no such file)")
    if "ssl" in grid.inits and not grid.pretrain:
        problems.append("inits: ssl needs at least one pretrain config")
    if grid.pretrain and "ssl" not in grid.inits:
        problems.append("pretrain: listed, but no init is ssl to use it")
    if "bljust" in grid.inits and not grid.bljust:
        problems.append("inits: bljust needs at least one bljust config")
    if grid.bljust and "bljust" not in grid.inits:
        problems.append("bljust: listed, but no init is bljust to use it")
    configs = [("pretrain", v.config) for v in grid.pretrain] + [("finetune", v.config) for v in grid.finetune]
    configs += [("bljust", v.config) for v in grid.bljust]
    configs += [(f"decodings.{name}", c) for name, cs in grid.decodings.items() for c in cs]
    for name, cs in grid.decodings.items():
        if not cs:
            problems.append(f"decodings.{name}: no decode config")
    for key, config in configs:
        if not (recipe / config).is_file():
            problems.append(f"{key}: config file {config} does not exist")
    reserved = sorted({o.split("=")[0] for o in grid.run_opts} & DRIVER_OPTIONS)
    if reserved:
        problems.append(f"run_opts: {', '.join(reserved)} is set by the driver (use the grid's keys)")
    if not problems:
        twice = _repeated([a.name for a in arms(grid)])
        if twice:
            problems.append(f"arms named alike ({', '.join(twice)}): give the variants a name")
    if not problems and grid.equal_passes:
        problems += _unequal_passes(grid, recipe)
    return problems


# ---- compute: forward/backward passes per arm ------------------------------------------------


def _config_data(path: Path, overrides: list[str]) -> dict[str, Any]:
    """A training config as plain data with ``key.sub=value`` overrides applied."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for setting in overrides:
        key, _, text = setting.partition("=")
        node = data
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = yaml.safe_load(text) if text else ""
    return data


def variant_passes(variant: Variant, recipe: Path = Path("."), bljust: bool = False) -> int:
    """Planned forward/backward passes of one training config: updates × micro-batches, or for
    a BL-JUST config its phases' (a joint update counts 2). Early stopping may run fewer."""
    from asrkit.train.bilevel import BilevelConfig, Plan

    data = _config_data(recipe / variant.config, variant.overrides)
    train = data.get("train") or {}
    accum = int(train.get("accum_grad", 1))
    if bljust:
        return Plan(configlib.from_dict(BilevelConfig, data.get("bljust") or {}, "bljust")).passes(accum)
    return accum * int(train.get("max_updates", 10_000))


def passes(arm: Arm, recipe: Path = Path(".")) -> int | None:
    """Planned forward/backward passes of an arm (pretraining included), None when a config
    cannot be read."""
    try:
        if arm.init == "bljust":
            return variant_passes(arm.finetune, recipe, bljust=True)
        total = variant_passes(arm.finetune, recipe)
        if arm.pretraining is not None:
            total += variant_passes(arm.pretraining.variant, recipe)
        return total
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def _unequal_passes(grid: Grid, recipe: Path) -> list[str]:
    pairs = {(p.tag, f.tag): variant_passes(p, recipe) + variant_passes(f, recipe)
             for p in grid.pretrain for f in grid.finetune}
    problems = []
    for variant in grid.bljust:
        ours = variant_passes(variant, recipe, bljust=True)
        for (pre, ft), theirs in pairs.items():
            if ours != theirs:
                problems.append(
                    f"equal_passes: bljust {variant.tag} runs {ours} forward/backward passes, "
                    f"pretraining {pre} + fine-tuning {ft} run {theirs}; change bljust.joint.updates "
                    f"by {(theirs - ours) / 2:+g} (a joint update is 2 passes), or the phases")
    return problems


def amounts(grid: Grid) -> list[Amount]:
    if grid.labeled_minutes:
        return [Amount(minutes=m) for m in grid.labeled_minutes]
    if grid.train_sets:
        return [Amount(train_set=s) for s in grid.train_sets]
    return [Amount()]


def pool_options(grid: Grid) -> list[str]:
    if grid.unlabeled_minutes is not None:
        return ["--unlabeled-minutes", str(grid.unlabeled_minutes)]
    return ["--unlabeled-set", grid.unlabeled_set] if grid.unlabeled_set else []


def pretrainings(grid: Grid) -> list[Pretraining]:
    """The grid's pretrainings, each once, in the order arms need them."""
    out: list[Pretraining] = []
    for arm in arms(grid):
        if arm.pretraining is not None and arm.pretraining not in out:
            out.append(arm.pretraining)
    return out


def arms(grid: Grid) -> list[Arm]:
    """Every arm, amounts outermost and seeds innermost (the order of the job array)."""
    out = []
    pool = tuple(pool_options(grid))
    for amount in amounts(grid):
        for init in grid.inits:
            for variant in grid.pretrain if init == "ssl" else [None]:
                for ft in grid.bljust if init == "bljust" else grid.finetune:
                    for seed in grid.seeds:
                        pre = None if variant is None else Pretraining(
                            variant, grid.pretrain_seed if grid.pretrain_seed is not None else seed, pool)
                        out.append(Arm(init, pre, ft, amount, seed))
    return out


def eval_sets(grid: Grid) -> str:
    return " ".join(dict.fromkeys([grid.dev_set, grid.test_set]))


def decode_configs(grid: Grid) -> list[str]:
    return list(dict.fromkeys(c for cs in grid.decodings.values() for c in cs))


def data_argv(grid: Grid, amount: Amount) -> list[str]:
    """run.sh options for stages 1-2 of one labeled amount."""
    return ["--stage", "1", "--stop-stage", "2", *amount.options, *pool_options(grid),
            "--test-sets", eval_sets(grid), *grid.run_opts]


def pretraining_argv(grid: Grid, pre: Pretraining, exp_dir: Path) -> list[str]:
    """run.sh options for stage 3 of one pretraining, into ``exp_dir``."""
    return ["--stage", "3", "--stop-stage", "3", "--expdir", str(exp_dir), "--init", "ssl",
            "--pretrain-configs", pre.variant.config, "--pretrain-opts", pre.variant.opts(pre.seed),
            *pre.pool, *grid.run_opts]


def arm_argv(grid: Grid, arm: Arm, exp_dir: Path, init: str) -> list[str]:
    """run.sh options for stages 3-6 of one arm, into ``exp_dir``, fine-tuning from ``init``
    (none, or a checkpoint), or for a bljust arm training BL-JUST. Dev and test are both
    decoded; stage 6 writes no RESULTS.md (the driver does, once the grid is done)."""
    if arm.init == "bljust":
        training = ["--train-mode", "bljust", "--bljust-configs", arm.finetune.config,
                    "--bljust-opts", arm.finetune.opts(arm.seed)]
    else:
        training = ["--finetune-configs", arm.finetune.config, "--finetune-opts", arm.finetune.opts(arm.seed)]
    return ["--stage", "3", "--stop-stage", "6", "--expdir", str(exp_dir), "--init", init, *training,
            "--decode-configs", " ".join(decode_configs(grid)), "--test-sets", eval_sets(grid),
            "--results", "", *arm.amount.options, *pool_options(grid), *grid.run_opts]


def read_status(directory: str | Path) -> dict[str, Any]:
    """A run's status; ``{"state": "pending"}`` when it never started."""
    path = Path(directory) / STATUS
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"state": "pending"}
    return status if isinstance(status, dict) and "state" in status else {"state": "pending"}


def write_status(directory: str | Path, state: str, **fields: Any) -> None:
    status = {"state": state, **fields, "host": os.uname().nodename,
              "at": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}
    with atomic_open(Path(directory) / STATUS, "w", encoding="utf-8") as f:
        json.dump(status, f, indent=2)
        f.write("\n")
