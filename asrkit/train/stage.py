"""What every training stage does around its task: one home for the stage's shape.

A training stage (pretraining, fine-tuning, joint training, classification) is::

    def train(args):
        cfg = configlib.load(MyConfig, args.config, args.set)
        return stage.run(args, cfg, "asrkit.mystage", build=..., report=..., prepare=...)

and :func:`run` does the rest, in this order:

1. skip an experiment already marked done (``--force`` trains again);
2. create the experiment dir, save the exact config (``config.yaml``) and run ``prepare()``
   (e.g. train the tokenizer) — once, in the process that launches the others, or on
   rank 0 followed by a barrier when torchrun/srun started every rank;
3. ``--ngpu N > 1``: re-run the stage under torchrun (:func:`distributed.relaunch`);
4. seed, ``build() -> (task, train set, valid set[, trainer options])``, and
   :meth:`Trainer.fit` (a joint stage's options add the unlabeled stream);
5. on rank 0: ``report(trainer, summary) -> StageReport`` (write the stage's own outputs
   there: a final model, model_info.json), then ``summary.md`` and the ``.done`` marker.

Checkpoint averaging for a stage's final model is :func:`asrkit.train.checkpoint.final_weights`.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from asrkit import config as configlib
from asrkit.cli import stage_done, write_done
from asrkit.train import distributed
from asrkit.train.cli import device_for, fit_arguments
from asrkit.train.datasets import FeatsDataset
from asrkit.train.rng import seed_everything
from asrkit.train.summary import format_summary
from asrkit.train.task import Task
from asrkit.train.trainer import Trainer, resolve_device

log = logging.getLogger(__name__)

SUMMARY = "summary.md"
CONFIG = "config.yaml"


@dataclass
class StageReport:
    """What a stage says about its run in ``summary.md``, above the training summary."""

    title: str  # e.g. "CTC fine-tuning"
    facts: dict[str, Any] = field(default_factory=dict)  # "- key: value" lines
    sections: list[str] = field(default_factory=list)  # more Markdown (e.g. a collapse check)
    curves: str = "ctc, wer, cer, lr, ..."  # what images/ shows


# (task, train set, valid set), or with a 4th item: more Trainer arguments (a joint stage's
# ``{"unlabeled": FeatsDataset, "unlabeled_data": DataConfig}``)
Build = Callable[[], tuple[Task, FeatsDataset, FeatsDataset | None] | tuple[Task, FeatsDataset, FeatsDataset | None, dict[str, Any]]]
Report = Callable[[Trainer, dict[str, Any]], StageReport]


def start(args: argparse.Namespace, cfg: Any, module: str,
          prepare: Callable[[], None] | None = None) -> int | None:
    """Steps 1-3 of :func:`run`; an exit status when this process has nothing more to do."""
    exp = Path(args.exp_dir)
    cfg.train.device = device_for(args.ngpu)
    cfg.train.check()
    if stage_done(exp) and not args.force:
        log.info("%s is finished (remove %s/.done or pass --force to train again)", exp, exp)
        return 0
    launched = distributed.launched()
    if launched:  # every rank runs this: rank 0 writes, the others wait for it
        distributed.init(resolve_device(cfg.train.device), cfg.train.dist_timeout_minutes)
    if not launched or distributed.from_env().rank == 0:
        exp.mkdir(parents=True, exist_ok=True)
        configlib.save(cfg, exp / CONFIG)
        if prepare is not None:
            prepare()
    distributed.barrier()
    return distributed.relaunch(module, args.argv, args.ngpu or 0)


def run(args: argparse.Namespace, cfg: Any, module: str, build: Build, report: Report,
        prepare: Callable[[], None] | None = None) -> int:
    """Run a training stage end to end (see the module docstring); returns an exit status."""
    status = start(args, cfg, module, prepare)
    if status is not None:
        return status
    exp = Path(args.exp_dir)
    seed_everything(cfg.train.seed)
    task, train, valid, *more = build()
    trainer = Trainer(task, cfg.train, exp, train, valid, **(more[0] if more else {}))
    summary = trainer.fit(**fit_arguments(args))
    if trainer.is_main:
        written = report(trainer, summary)
        write_summary(exp, written, summary, train)
        write_done(exp)
        log.info("%s finished: %s (summary: %s, curves: %s/images/)", written.title, exp,
                 exp / SUMMARY, exp)
    # Every rank leaves together, and the process group goes before the interpreter does:
    # a gloo rank that exits while its peer still holds the group aborts ("terminate
    # called without an active exception") and fails the whole job.
    distributed.barrier()
    del trainer, task
    distributed.shutdown()
    return 0


def count_parameters(model: torch.nn.Module, trained: bool = False) -> int:
    """Parameters of ``model`` (only those that get gradients with ``trained``), for the logs
    and summaries of every training stage."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trained)


def write_summary(exp: Path, report: StageReport, summary: dict[str, Any],
                  train: FeatsDataset) -> Path:
    lines = [f"# {report.title}: {exp.name}", ""]
    lines += [f"- {k}: {v}" for k, v in report.facts.items()]
    lines += [f"- training data: {train.data_dir} ({len(train)} utterances)", ""]
    for section in report.sections:
        lines += [section, ""]
    lines += [format_summary(summary, title="Training"), "",
              f"Curves: `images/` (PNG: {report.curves}), `tensorboard/`; every logged value: "
              "`log/metrics.jsonl`."]
    path = exp / SUMMARY
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
