"""What every stage CLI shares: logging, user-facing errors, stage markers.

Training stages add :mod:`asrkit.train.cli` (options) and :mod:`asrkit.train.stage` (their shape).
"""

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
