"""A training run's checkpoints: numbered files, ``last``/``best`` links, pruning.

Files are written atomically by :mod:`asrkit.checkpoint`. ``checkpoint_last.pt`` and
``checkpoint_best.pt`` are hard links to the numbered file (a copy where the file system
has no hard links), so pruning a numbered file never breaks them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from asrkit.checkpoint import CheckpointError, link_atomic, load, save_atomic

__all__ = ["BEST", "LAST", "CheckpointError", "load", "numbered", "save", "save_atomic"]

LAST = "checkpoint_last.pt"
BEST = "checkpoint_best.pt"
_NUMBERED = re.compile(r"checkpoint_(\d+)\.pt")


def numbered(exp_dir: Path) -> list[tuple[int, Path]]:
    """``(updates, path)`` of every ``checkpoint_<updates>.pt``, oldest first."""
    found = []
    for path in exp_dir.glob("checkpoint_*.pt"):
        m = _NUMBERED.fullmatch(path.name)
        if m:
            found.append((int(m.group(1)), path))
    return sorted(found)


def save(state: dict[str, Any], exp_dir: Path, num_updates: int, keep_last: int, best: bool) -> Path:
    """Write ``checkpoint_<num_updates>.pt``, point ``last`` (and ``best``) at it, prune."""
    path = save_atomic(state, exp_dir / f"checkpoint_{num_updates}.pt")
    link_atomic(path, exp_dir / LAST)
    if best:
        link_atomic(path, exp_dir / BEST)
    for _, old in numbered(exp_dir)[:-keep_last]:
        old.unlink(missing_ok=True)
    return path
