"""Where training numbers go: the text log, ``log/metrics.jsonl`` and tensorboard.

One record per log interval (``split: "train"``) and per validation (``"valid"``). After a
resume, records the killed run wrote past the checkpoint are dropped (JSONL) or purged
(tensorboard's ``purge_step``), so every file reads as one uninterrupted run.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from pathlib import Path

from asrkit.fileio import read_jsonl as read_metrics  # metrics.jsonl is JSON lines; plots reads it too

logger = logging.getLogger(__name__)

METRICS = Path("log") / "metrics.jsonl"


def _fmt(name: str, value: float) -> str:
    if name == "lr" or name.endswith("_lr"):
        return f"{value:.3e}"
    if isinstance(value, int) or (math.isfinite(value) and value == int(value) and abs(value) < 1e9):
        return str(int(value))
    return f"{value:.4g}"


class TrainingLog:
    """Writes on the main rank only; other ranks get a log that does nothing."""

    def __init__(self, exp_dir: Path, start_updates: int, enabled: bool, tensorboard: bool):
        self.enabled = enabled
        self.metrics_path = exp_dir / METRICS
        self.writer = None
        if not enabled:
            return
        self.metrics_path.parent.mkdir(parents=True, exist_ok=True)
        kept = [r for r in read_metrics(self.metrics_path) if r.get("updates", 0) <= start_updates]
        tmp = self.metrics_path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
        os.replace(tmp, self.metrics_path)
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(exp_dir / "tensorboard"), purge_step=start_updates + 1)

    def write(self, split: str, updates: int, epoch: int, values: dict[str, float]) -> None:
        if not self.enabled:
            return
        values = {k: float(v) for k, v in values.items()}
        logger.info(
            "%depoch:%s:%dupdates: %s",
            epoch, split, updates, ", ".join(f"{k}={_fmt(k, v)}" for k, v in values.items()),
        )
        record = {"split": split, "updates": updates, "epoch": epoch, "time": time.time(), **values}
        with open(self.metrics_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self.writer is not None:
            for name, value in values.items():
                self.writer.add_scalar(f"{split}/{name}", value, updates)
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
