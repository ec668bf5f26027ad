"""The options every training stage shares, so ``asrkit-pretrain`` and ``asrkit-finetune`` agree.

A stage's ``main`` does::

    parser = argparse.ArgumentParser(...)
    add_train_arguments(parser)
    args = parser.parse_args(argv)
    status = distributed.relaunch("asrkit.pretrain", argv, args.ngpu)   # --ngpu N > 1
    if status is not None:
        return status
    cfg.train.device = device_for(args.ngpu)
    summary = Trainer(...).fit(**fit_arguments(args))
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
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
