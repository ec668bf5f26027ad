"""A tiny corpus in stage-2 layout and a tiny task for trainer tests.

Loaded by ``conftest.py`` (fixture ``toy``) and by the DDP worker script.
"""

from __future__ import annotations

from pathlib import Path

import kaldiio
import numpy as np
import torch
from torch import nn

from asrkit.data.tables import write_table
from asrkit.train import StepOutput, Task

TRUE_WEIGHTS = np.array([0.5, -1.0, 2.0, 0.25], dtype=np.float32)


def write_corpus(
    out: Path,
    n: int = 24,
    feat_dim: int | None = 4,
    lengths: list[int] | None = None,
    seed: int = 0,
    nan_utts: tuple[str, ...] = (),
    text: bool = False,
) -> Path:
    """``feats.scp`` + ark, ``utt2num_frames`` (or ``utt2num_samples`` with ``feat_dim=None``)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lengths = lengths or [int(x) for x in rng.integers(8, 40, size=n)]
    feats = {}
    for i, length in enumerate(lengths):
        utt = f"utt{i:03d}"
        shape = (length,) if feat_dim is None else (length, feat_dim)
        x = rng.standard_normal(shape).astype(np.float32)
        if utt in nan_utts:
            x[length // 2] = np.nan
        feats[utt] = x
    with kaldiio.WriteHelper(f"ark,scp:{out / 'feats.ark'},{out / 'feats.scp'}") as w:
        for utt in sorted(feats):
            w(utt, feats[utt])
    unit = "samples" if feat_dim is None else "frames"
    write_table(out / f"utt2num_{unit}", {u: str(len(x)) for u, x in feats.items()})
    if text:
        words = ["ab", "ba", "abc", "c"]
        write_table(out / "text", {u: " ".join(words[: 1 + i % 4]) for i, u in enumerate(sorted(feats))})
    return out


class ToyModel(nn.Module):
    """Per-frame regression: a feature-wise linear target, learnt through a small MLP."""

    def __init__(self, feat_dim: int = 4, hidden: int = 8, dropout: float = 0.1):
        super().__init__()
        self.feat_dim = feat_dim
        self.proj = nn.Linear(feat_dim, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, 1)
        self.updates_seen = 0

    def set_num_updates(self, n: int) -> None:
        self.updates_seen = n

    def forward(self, x: torch.Tensor, lengths: torch.Tensor):
        if x.dim() == 2:
            x = x.unsqueeze(-1).expand(-1, -1, self.feat_dim)
        y = torch.as_tensor(TRUE_WEIGHTS[: self.feat_dim], device=x.device) @ x.transpose(1, 2)
        pred = self.out(self.dropout(self.norm(self.proj(x)))).squeeze(-1)
        mask = torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]
        err = (pred - y).masked_fill(~mask, 0.0)
        return (err**2).sum(), err.abs().sum(), int(mask.sum())


class Killed(RuntimeError):
    """Stands in for a job killed in the middle of training."""


class ToyTask(Task):
    kind = "toy"

    def __init__(self, model: ToyModel, fail_at: int | None = None):
        self.model = model
        self.model_config = {"feat_dim": model.feat_dim}
        self.fail_at = fail_at
        self.steps = 0

    def step(self, batch, num_updates):
        if self.fail_at is not None and num_updates >= self.fail_at:
            raise Killed(f"killed at update {num_updates}")
        self.steps += 1
        loss, abs_err, frames = self.model(batch.inputs, batch.lengths)
        return StepOutput(
            loss, frames, {"abs_err": abs_err, "frames": frames, "const": 3.0},
            means=frozenset({"const"}), totals=frozenset({"frames"}),
        )

    def on_update(self, num_updates):
        self.model.set_num_updates(num_updates)


def make_task(seed: int = 0, dropout: float = 0.1, **kw) -> ToyTask:
    torch.manual_seed(seed)
    return ToyTask(ToyModel(dropout=dropout), **kw)


def params(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
