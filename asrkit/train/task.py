"""The contract between a stage's task and the trainer.

Required: ``model``, ``kind``, ``model_config`` and ``step``. Everything else is optional
and looked up with ``getattr``, so a task implements only what it needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from torch import nn

from asrkit.train.datasets import Batch
from asrkit.train.metrics import StepOutput


@runtime_checkable
class Task(Protocol):
    model: nn.Module  # under DDP the trainer puts a wrapper here; see asrkit.train.unwrap
    kind: str  # stored in checkpoints, e.g. "wav2vec2_pretrain", "ctc"
    model_config: Any  # dataclass or dict, stored in checkpoints to rebuild the model

    def step(self, batch: Batch, num_updates: int) -> StepOutput:
        """Forward one micro-batch through ``self.model``: summed loss, items, logs."""
        ...


class OptionalTaskHooks(Protocol):
    """Hooks the trainer calls when a task has them (documentation only)."""

    best_metric: str  # validation metric for checkpoint_best.pt; default "loss"
    lower_is_better: bool  # default True

    def valid_step(self, batch: Batch, num_updates: int) -> StepOutput:
        """Validation loss of one batch (default: ``step`` in eval mode without gradients)."""
        ...

    def validate(self, loader: Iterable[Batch]) -> dict[str, float]:
        """Extra validation metrics (e.g. WER) over the whole validation set, on rank 0."""
        ...

    def on_update(self, num_updates: int) -> None:
        """After every update and at the start: Gumbel temperature, freezing schedules."""
        ...

    def param_groups(self) -> list[dict]:
        """``[{"params": [param names], "lr_scale": x}]`` for parts with their own lr factor."""
        ...

    def extra_state(self) -> dict[str, Any]:
        """More top-level checkpoint entries, e.g. ``{"tokenizer": {...}}``."""
        ...
