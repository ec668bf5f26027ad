"""A training run's checkpoints: numbered files, ``last``/``best`` links, pruning.

Files are written atomically by :mod:`asrkit.checkpoint`. ``checkpoint_last.pt`` and
``checkpoint_best.pt`` are hard links to the numbered file (a copy where the file system
has no hard links), so pruning a numbered file never breaks them.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from asrkit.checkpoint import CheckpointError, average, link_atomic, load, save_atomic
from asrkit.train.logbook import read_metrics

__all__ = ["BEST", "LAST", "CheckpointError", "best_checkpoints", "final_weights", "load",
           "numbered", "save", "save_atomic", "validated"]

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


def validated(exp_dir: Path, metric: str) -> dict[int, float]:
    """``{updates: value}`` of ``metric`` at every validation in ``<exp>/log/metrics.jsonl``."""
    return {int(rec["updates"]): float(rec[metric])
            for rec in read_metrics(Path(exp_dir) / "log" / "metrics.jsonl")
            if rec.get("split") == "valid" and metric in rec}


def best_checkpoints(exp_dir: Path, metric: str, k: int,
                     lower_is_better: bool = True) -> list[tuple[int, float, Path]]:
    """The ``k`` best validated checkpoints still on disk, as (updates, value, path)."""
    exp_dir = Path(exp_dir)
    best = exp_dir / BEST
    best_updates = load(best)["num_updates"] if best.is_file() else None
    found = []
    for updates, value in validated(exp_dir, metric).items():
        path = exp_dir / f"checkpoint_{updates}.pt"
        if not path.is_file() and updates == best_updates:
            path = best  # keep_last pruned the numbered file; checkpoint_best.pt is that one
        if path.is_file() and math.isfinite(value):
            found.append((updates, value, path))
    return sorted(found, key=lambda x: x[1] if lower_is_better else -x[1])[:k]


def final_weights(exp_dir: Path, metric: str, k: int,
                  lower_is_better: bool = True) -> tuple[dict[str, Any], str]:
    """The weights a stage ships: the average of its ``k`` best validated checkpoints
    (ESPnet's ``average_nbest``), else ``checkpoint_best.pt`` (else the last); and how
    they were made, for the stage's model info."""
    exp_dir = Path(exp_dir)
    best = best_checkpoints(exp_dir, metric, k, lower_is_better) if k > 1 else []
    if len(best) > 1:
        how = "average of " + ", ".join(f"{p.name} ({metric} {v:.4f})" for _, v, p in best)
        return average([p for _, _, p in best]), how
    src = exp_dir / BEST if (exp_dir / BEST).is_file() else exp_dir / LAST
    return load(src)["model"], src.name
