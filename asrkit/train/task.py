"""The contract between a stage's task and the trainer.

A task subclasses :class:`Task`: it must set ``model``, ``kind`` and ``model_config`` and
implement ``step``; every other hook has a default here that does nothing special, so a
task overrides only what it needs and the trainer calls every hook unconditionally.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import Any

import numpy as np
from torch import nn

from asrkit.train.datasets import Batch, FeatsDataset
from asrkit.train.metrics import StepOutput


class Task(abc.ABC):
    """What one stage trains: a model, its loss, its validation metrics and schedules."""

    model: nn.Module  # under DDP the trainer puts a wrapper here; see asrkit.train.unwrap
    kind: str  # stored in checkpoints, e.g. "wav2vec2_pretrain", "ctc"
    model_config: Any  # dataclass or dict, stored in checkpoints to rebuild the model

    best_metric: str = "loss"  # validation metric that picks checkpoint_best.pt
    lower_is_better: bool = True

    @abc.abstractmethod
    def step(self, batch: Batch, num_updates: int) -> StepOutput:
        """Forward one micro-batch through ``self.model``: summed loss, items, logs."""

    def valid_step(self, batch: Batch, num_updates: int) -> StepOutput:
        """Validation loss of one batch; the trainer runs it in eval mode without gradients."""
        return self.step(batch, num_updates)

    def validate(self, loader: Iterable[Batch]) -> dict[str, float]:
        """More validation metrics (e.g. WER) over this rank's shard of the validation set.

        Every rank runs it on its own shard (under the trainer's autocast, without
        gradients) and returns *additive counts* (e.g. word errors and reference words);
        the trainer sums them over ranks and :meth:`combine_validation` turns the sums
        into metrics. The default has no extra metrics.
        """
        return {}

    def combine_validation(self, counts: dict[str, float]) -> dict[str, float]:
        """Metrics from the counts :meth:`validate` returned, summed over ranks."""
        return counts

    def on_update(self, num_updates: int) -> None:
        """After every update and at the start: Gumbel temperature, freezing schedules."""
        return

    def streams(self, num_updates: int) -> tuple[str, ...]:
        """Which streams the next update reads, when the trainer has two (joint training):
        ``"labeled"`` and/or ``"unlabeled"``; each micro-batch is then a
        :class:`~asrkit.train.datasets.JointBatch`. Single-stream trainers never ask."""
        return ("labeled", "unlabeled")

    def lr_factor(self, update: int) -> float | None:
        """The lr factor of update ``update`` (1-based) for a task whose phases have their own
        schedules, or None: ``train.schedule`` decides."""
        return None

    def param_groups(self) -> list[dict] | None:
        """``[{"params": [param names], "lr_scale": x}]`` for parts with their own lr factor."""
        return None

    def sampling_weights(self, dataset: FeatsDataset) -> np.ndarray | None:
        """One weight per training item to draw epochs by (e.g. class-balanced sampling),
        or None: every item once per epoch."""
        return None

    def extra_state(self) -> dict[str, Any]:
        """More top-level checkpoint entries, e.g. ``{"tokenizer": {...}}``."""
        return {}
