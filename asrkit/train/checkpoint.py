"""Checkpoint files: atomic writes, ``checkpoint_last``/``checkpoint_best`` links, pruning.

A checkpoint is written under a temporary name in the same folder and renamed into
place, so a job killed while saving leaves the previous checkpoint intact and never a
truncated ``.pt``. ``checkpoint_last.pt`` and ``checkpoint_best.pt`` are hard links to the
numbered file (a copy where the file system has no hard links), so pruning a numbered
file never breaks them. Checkpoints hold only plain types and tensors and load with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import torch

from asrkit.fileio import atomic_open

LAST = "checkpoint_last.pt"
BEST = "checkpoint_best.pt"
_NUMBERED = re.compile(r"checkpoint_(\d+)\.pt")


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read or does not fit the model."""


def save_atomic(obj: Any, path: str | Path) -> Path:
    path = Path(path)
    with atomic_open(path, "wb", fsync=True) as f:
        torch.save(obj, f)
    return path


def link_atomic(src: Path, dst: Path) -> None:
    """Make ``dst`` the same file as ``src``, replacing ``dst`` in one step."""
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def load(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise CheckpointError(
            f"{path}: cannot read this checkpoint ({type(e).__name__}: {e}); it may come from "
            "another tool or be damaged: use an earlier checkpoint_<updates>.pt"
        ) from None


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
