"""What every stage CLI shares: logging, user-facing errors, stage markers, training options."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

LOG_FORMAT = "%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s"  # ESPnet's
DONE = ".done"


def setup_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)


def is_user_error(exc: BaseException) -> bool:
    """Errors a user can cause and fix: their message is the whole story, no traceback.

    asrkit's own exception classes say what went wrong and how to fix it, as do bad values
    (ValueError) and missing files (OSError); anything else is a bug and keeps its traceback.
    """
    return isinstance(exc, (ValueError, OSError)) or type(exc).__module__.startswith("asrkit")


def run_cli(parser: argparse.ArgumentParser, fn: Callable[[argparse.Namespace], int],
            argv: list[str] | None = None) -> int:
    """Parse ``argv``, run ``fn(args)``; a user error prints one message and returns 1.

    ``ASRKIT_DEBUG=1`` shows tracebacks for user errors too.
    """
    setup_logging()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    try:
        return int(fn(args) or 0)
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - sorted into user errors and bugs below
        if not is_user_error(exc) or os.environ.get("ASRKIT_DEBUG"):
            raise
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1


def stage_done(directory: str | Path) -> bool:
    return (Path(directory) / DONE).is_file()


def write_done(directory: str | Path) -> None:
    (Path(directory) / DONE).write_text("done\n")


def add_common_train_args(p: argparse.ArgumentParser) -> None:
    """Options shared by the training stages (pretrain, finetune)."""
    from asrkit.train.cli import add_train_arguments

    p.add_argument("--config", help="YAML config (see conf/)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set train.optim.lr=1e-4 (repeatable)")
    p.add_argument("--train-data", required=True, help="dumped training data dir (stage 2 output)")
    p.add_argument("--valid-data", help="dumped validation data dir")
    p.add_argument("--exp-dir", required=True, help="experiment directory")
    p.add_argument("--force", action="store_true", help="train even when the stage is marked done")
    add_train_arguments(p)


def start_training_stage(args: argparse.Namespace, cfg, module: str) -> int | None:
    """What a training stage does before it builds anything.

    Picks the device from ``--ngpu``, checks the train config, re-runs the stage under
    torchrun for ``--ngpu N > 1`` (returning its status), skips a finished experiment
    (returning 0), else creates the experiment dir with the exact config and returns None.
    """
    from asrkit import config as configlib
    from asrkit.train import distributed
    from asrkit.train.cli import device_for

    exp = Path(args.exp_dir)
    cfg.train.device = device_for(args.ngpu)
    cfg.train.check()
    status = distributed.relaunch(module, args.argv, args.ngpu or 0)
    if status is not None:
        return status
    if stage_done(exp) and not args.force:
        logging.getLogger(module).info(
            "%s is finished (remove %s/.done or pass --force to train again)", exp, exp)
        return 0
    exp.mkdir(parents=True, exist_ok=True)
    configlib.save(cfg, exp / "config.yaml")
    return None
