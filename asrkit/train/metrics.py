"""What a task step returns, and how its logs add up over steps and ranks.

A log is one of three kinds, chosen by the task per name:

- per item (the default): the step reports a *sum* over its items (e.g. summed loss parts,
  number of correct predictions); the interval reports Σ value / Σ sample_size, so a mean
  over items that does not depend on how items were split into batches or ranks;
- ``means``: a per-step quantity (Gumbel temperature, codebook perplexity); the interval
  reports the plain average over steps;
- ``totals``: counts (frames, tokens); the interval reports the plain sum.

A step may return its logs (and ``sample_size``) as 0-dim tensors on the device: the
trainer reads all of an update's values with one ``tolist()`` (:meth:`Meter.add_steps`),
not one host-device sync per value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import torch


@dataclass
class StepOutput:
    """``loss`` is the SUM over the batch's items; ``sample_size`` the number of items."""

    loss: torch.Tensor
    sample_size: float | torch.Tensor
    logs: Mapping[str, float | torch.Tensor] = field(default_factory=dict)
    means: frozenset[str] = frozenset()
    totals: frozenset[str] = frozenset()

    def kind(self, name: str) -> str:
        if name in self.means:
            return "mean"
        if name in self.totals:
            return "total"
        return "item"


def _float(value: float | torch.Tensor) -> float:
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


@dataclass
class Meter:
    """Accumulates logs over an interval; :meth:`merge` combines meters from ranks."""

    sums: dict[str, float] = field(default_factory=dict)
    steps: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    sample_size: float = 0.0

    def add(self, out: StepOutput, loss: float | None = None) -> None:
        """Add one step; ``loss`` overrides ``out.loss`` when the caller already has it."""
        self.sample_size += _float(out.sample_size)
        self._add("loss", _float(out.loss) if loss is None else loss, "item")
        for name, value in out.logs.items():
            self._add(name, _float(value), out.kind(name))

    def add_steps(self, outputs: list[StepOutput], losses: list[torch.Tensor]) -> None:
        """Add several steps whose tensors are read from the device in one ``tolist()``.

        ``losses[i]`` is step i's loss as the trainer back-propagated it (float32).
        """
        tensors: list[torch.Tensor] = []

        def slot(value: float | torch.Tensor) -> float | int:
            if isinstance(value, torch.Tensor):
                tensors.append(value.detach().reshape(()).double())
                return len(tensors) - 1
            return float(value)

        plans = [(slot(loss), slot(out.sample_size), {k: slot(v) for k, v in out.logs.items()})
                 for out, loss in zip(outputs, losses)]
        read = torch.stack(tensors).tolist() if tensors else []

        def value(planned: float | int, original: float | torch.Tensor) -> float:
            return read[planned] if isinstance(original, torch.Tensor) else planned

        for out, loss, (lp, sp, logs) in zip(outputs, losses, plans):
            self.sample_size += value(sp, out.sample_size)
            self._add("loss", value(lp, loss), "item")
            for name, planned in logs.items():
                self._add(name, value(planned, out.logs[name]), out.kind(name))

    def add_mean(self, name: str, value: float) -> None:
        self._add(name, value, "mean")

    def add_total(self, name: str, value: float) -> None:
        self._add(name, value, "total")

    def _add(self, name: str, value: float, kind: str) -> None:
        previous = self.kinds.setdefault(name, kind)
        if previous != kind:
            raise ValueError(f"log '{name}' changed kind from {previous} to {kind}")
        self.sums[name] = self.sums.get(name, 0.0) + value
        self.steps[name] = self.steps.get(name, 0) + 1

    def merge(self, other: Meter) -> None:
        self.sample_size += other.sample_size
        for name, value in other.sums.items():
            self.kinds.setdefault(name, other.kinds[name])
            self.sums[name] = self.sums.get(name, 0.0) + value
            self.steps[name] = self.steps.get(name, 0) + other.steps[name]

    def result(self) -> dict[str, float]:
        out = {}
        for name, total in self.sums.items():
            kind = self.kinds[name]
            if kind == "item":
                out[name] = total / self.sample_size if self.sample_size else math.nan
            elif kind == "mean":
                out[name] = total / self.steps[name]
            else:
                out[name] = total
        return out

    def __bool__(self) -> bool:
        return bool(self.steps)
