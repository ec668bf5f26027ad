"""The options every training stage shares, so ``asrkit-pretrain`` and ``asrkit-finetune`` agree.

A training stage's parser calls :func:`add_common_train_args`; :func:`asrkit.train.stage.run`
reads ``--ngpu`` (:func:`device_for`), ``--force`` and the fit options
(:func:`fit_arguments`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_common_train_args(p: argparse.ArgumentParser) -> None:
    """Data, experiment and config options, plus :func:`add_train_arguments`."""
    p.add_argument("--config", help="YAML config (see conf/)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set train.optim.lr=1e-4 (repeatable)")
    p.add_argument("--train-data", required=True, help="dumped training data dir (stage 2 output)")
    p.add_argument("--valid-data", help="dumped validation data dir")
    p.add_argument("--exp-dir", required=True, help="experiment directory")
    p.add_argument("--force", action="store_true", help="train even when the stage is marked done")
    add_train_arguments(p)


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """``--ngpu``, ``--resume``, ``--init-from``, ``--init-optimizer``."""
    group = parser.add_argument_group("training")
    group.add_argument(
        "--ngpu", type=int, default=None,
        help="GPUs to use: 0 trains on CPU, N > 1 re-runs this command under torchrun with N "
        "processes (default: one GPU when there is one, else CPU)",
    )
    group.add_argument(
        "--resume", action=argparse.BooleanOptionalAction, default=True,
        help="continue from <exp>/checkpoint_last.pt when it exists (default: yes)",
    )
    group.add_argument(
        "--init-from", type=Path, metavar="CHECKPOINT",
        help="start a new phase from this checkpoint's weights with this config's lr schedule "
        "(ignored when the experiment has its own checkpoint_last.pt to resume)",
    )
    group.add_argument(
        "--init-optimizer", action="store_true",
        help="with --init-from: also take the optimizer moments from the checkpoint",
    )


def device_for(ngpu: int | None) -> str:
    """The ``train.device`` setting that ``--ngpu`` asks for."""
    if ngpu is None:
        return "auto"
    return "cpu" if ngpu == 0 else "cuda"


def fit_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of :meth:`Trainer.fit` from the parsed options."""
    if args.init_optimizer and args.init_from is None:
        raise ValueError("--init-optimizer needs --init-from CHECKPOINT")
    return {"resume": args.resume, "init_from": args.init_from, "init_optimizer": args.init_optimizer}
