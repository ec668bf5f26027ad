"""The trainer's summary as Markdown, for a stage's ``summary.md``."""

from __future__ import annotations

import math
from typing import Any


def _num(value: Any) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.3e}" if value and abs(value) < 1e-3 else f"{value:.4g}"
    return str(value)


def format_summary(summary: dict[str, Any], title: str = "Training") -> str:
    lines = [
        f"## {title}",
        "",
        "| | |",
        "|---|---|",
        f"| updates | {summary['updates']} ({summary['stopped'] or 'interrupted'}) |",
        f"| epochs | {_num(summary['epochs'])} |",
        f"| processes | {summary['world_size']} |",
        f"| wall time | {summary['wall_time_s'] / 3600:.2f} h |",
        f"| throughput | {_num(summary['items_per_s'])} items/s, "
        f"{_num(summary['audio_s_per_s'])} audio s/s |",
        f"| audio seen | {summary['audio_hours_seen']:.2f} h |",
        f"| utterances | {summary['train_utterances']} train, {summary['valid_utterances']} valid |",
        f"| excluded | {summary['excluded']}"
        + (
            " (" + ", ".join(f"{k}: {v}" for k, v in summary["excluded_by_reason"].items()) + ")"
            if summary["excluded"]
            else ""
        )
        + " |",
        f"| skipped updates (non-finite) | {summary['bad_steps']} |",
    ]
    best = summary.get("best")
    if best:
        lines.append(f"| best {best['metric']} | {_num(best['value'])} at update {best['updates']} |")
    for split in ("train", "valid"):
        values = summary.get(split) or {}
        if values:
            lines.append(
                f"| final {split} | " + ", ".join(f"{k} {_num(v)}" for k, v in values.items()) + " |"
            )
    return "\n".join(lines) + "\n"
