"""Checkpoint files and the weights they hold: read, write atomically, fit, average.

A checkpoint is ``torch.save({"model": state_dict, "model_config": dict, "kind": str, ...})``
holding only plain types and tensors, so it loads with ``torch.load(weights_only=True)``.
It is written under a temporary name in the same folder and renamed into place, so a job
killed while saving leaves the previous file intact and never a truncated ``.pt``.

This module depends on nothing else in asrkit but :mod:`asrkit.fileio`: models, the
trainer and the stages all read and write checkpoints through it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from asrkit.fileio import atomic_open


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
    """The checkpoint at ``path`` (on the CPU), or a :class:`CheckpointError` saying why not."""
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


def _listed(keys: Sequence[str], limit: int = 8) -> str:
    more = f", ... ({len(keys)} in all)" if len(keys) > limit else ""
    return "[" + ", ".join(repr(k) for k in keys[:limit]) + more + "]"


def load_weights(model: nn.Module, state: Mapping[str, torch.Tensor], source: str,
                 hint: str = "") -> None:
    """Load ``state`` into ``model`` only when every tensor fits, else name what does not.

    The one weight-fit check of asrkit: missing keys, unexpected keys and shape mismatches
    (checkpoint vs model) are listed by name in one :class:`CheckpointError` that starts
    with ``source`` (the file or import being loaded) and ends with ``hint`` (how to fix it).
    """
    ours = model.state_dict()
    missing = [k for k in ours if k not in state]
    unexpected = [k for k in state if k not in ours]
    mismatched = [f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}" for k, v in ours.items()
                  if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or unexpected or mismatched:
        problems = []
        if missing:
            problems.append(f"missing {_listed(missing)}")
        if unexpected:
            problems.append(f"unexpected {_listed(unexpected)}")
        if mismatched:
            problems.append(f"shape (checkpoint vs model) {_listed(mismatched)}")
        raise CheckpointError(
            f"{source}: weights do not fit this {type(model).__name__}: " + "; ".join(problems)
            + (f". {hint}" if hint else "")
        )
    model.load_state_dict(state)


def average(paths: Sequence[str | Path]) -> dict[str, torch.Tensor]:
    """Element-wise mean of the models in ``paths`` (integer buffers from the first), as
    ESPnet's and fairseq's checkpoint averaging; summed in float64, stored in each dtype."""
    if not paths:
        raise ValueError("no checkpoints to average")
    states = [load(p)["model"] for p in paths]
    avg = {}
    for key, value in states[0].items():
        if value.is_floating_point():
            avg[key] = sum(s[key].double() for s in states).div(len(states)).to(value.dtype)
        else:
            avg[key] = value
    return avg
