"""A grid's comparison: dev chooses, test reports, mean ± sd over seeds.

Each arm decodes dev and test with every decode config of the grid. For each decoding
(``decodings:`` in the grid, e.g. ``greedy`` or ``lm`` with one config per LM weight) an
arm's dev WER picks one config, and that config's test score is the arm's number; test
never picks anything. The arms that differ only in seed make one row: the mean and the
sample standard deviation over the seeds that finished, with their count. An arm that did
not finish stays in its row as failed (with its log), running or not run.
"""

from __future__ import annotations

import json
import os
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asrkit.grid import RUN_LOG, Amount, Arm, Grid, passes, read_status
from asrkit.layout import DECODE_INFO, SCORE_DIR, SCORE_JSON

METRICS = (("dev", "cer"), ("dev", "wer"), ("test", "cer"), ("test", "wer"))


@dataclass
class Row:
    """The arms of one (decoding, init, pretraining, fine-tuning, amount), over seeds."""

    decoding: str
    init: str  # scratch, ssl or checkpoint
    start: str  # the pretraining variant or checkpoint fine-tuning starts from; "-" for none
    finetune: str
    amount: Amount
    values: dict[tuple[str, str], list[float]] = field(
        default_factory=lambda: {m: [] for m in METRICS})
    chosen: Counter = field(default_factory=Counter)  # decode config names dev chose
    missing: list[str] = field(default_factory=list)  # arms without numbers, and why
    passes: int | None = None  # planned forward/backward passes of one arm (a joint update: 2)

    @property
    def n(self) -> int:
        return len(self.values["test", "cer"])

    def mean_sd(self, metric: tuple[str, str]) -> tuple[float, float | None] | None:
        """Mean and sample sd (None for one seed); None without any value."""
        xs = self.values[metric]
        if not xs:
            return None
        return statistics.fmean(xs), (statistics.stdev(xs) if len(xs) > 1 else None)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def arm_scores(arm_dir: Path) -> dict[tuple[str, str], dict[str, float]]:
    """``(decode config, data set) -> {"cer": %, "wer": %}`` of every score under an arm.

    The decode config is the one ``decode_info.json`` names (as the grid wrote it); the
    data set is the decode directory's name (``.../decode_<tag>/<set>/score/score.json``).
    """
    out = {}
    for path in sorted(arm_dir.glob(f"**/{SCORE_DIR}/{SCORE_JSON}")):
        decode_dir = path.parent.parent
        config = _read_json(decode_dir / DECODE_INFO).get("config")
        score = _read_json(path)
        try:
            rates = {m: float(score[m]["normalized"]["error_rate"]) for m in ("cer", "wer")}
        except (KeyError, TypeError, ValueError):
            continue
        if config:
            out[os.path.normpath(config), decode_dir.name] = rates
    return out


def choose(grid: Grid, decoding: str, scores: dict[tuple[str, str], dict[str, float]]
           ) -> tuple[str, dict[tuple[str, str], float]] | str:
    """The config dev chose for ``decoding`` and its dev and test rates, or why there is none.

    With one config there is nothing to choose; with several, the lowest dev WER wins
    (the first listed on a tie).
    """
    configs = grid.decodings[decoding]
    on_dev = [c for c in configs if (os.path.normpath(c), grid.dev_set) in scores]
    if not on_dev:
        return f"no {grid.dev_set} score for {' '.join(configs)}"
    best = min(on_dev, key=lambda c: scores[os.path.normpath(c), grid.dev_set]["wer"])
    dev = scores[os.path.normpath(best), grid.dev_set]
    test = scores.get((os.path.normpath(best), grid.test_set))
    if test is None:
        return f"no {grid.test_set} score for {best}"
    return best, {("dev", m): dev[m] for m in ("cer", "wer")} | {("test", m): test[m] for m in ("cer", "wer")}


def _unfinished(arm: Arm, arm_dir: Path) -> str | None:
    status = read_status(arm_dir)
    state = status["state"]
    if state == "done":
        return None
    if state == "failed":
        reason = f"{status['reason']}; " if status.get("reason") else ""
        return f"seed {arm.seed} failed ({reason}log {status.get('log', arm_dir / RUN_LOG)})"
    return f"seed {arm.seed} {'running or stopped' if state == 'running' else 'not run'}"


def summarize(grid: Grid, arm_dirs: list[tuple[Arm, Path]]) -> list[Row]:
    """One row per decoding and arm group, in the grid's order (decodings, then arms)."""
    rows: dict[tuple, Row] = {}
    outcomes = {}
    for arm, arm_dir in arm_dirs:
        outcomes[arm.name] = _unfinished(arm, arm_dir) or arm_scores(arm_dir)
    for decoding in grid.decodings:
        for arm, _ in arm_dirs:
            key = (decoding, arm.init_kind, arm.start, arm.finetune.tag, arm.amount)
            if key not in rows:
                rows[key] = Row(*key, passes=passes(arm))
            row = rows[key]
            outcome = outcomes[arm.name]
            if isinstance(outcome, str):
                row.missing.append(outcome)
                continue
            chosen = choose(grid, decoding, outcome)
            if isinstance(chosen, str):
                row.missing.append(f"seed {arm.seed}: {chosen}")
                continue
            config, rates = chosen
            row.chosen[Path(config).stem] += 1
            for metric in METRICS:
                row.values[metric].append(rates[metric])
    return list(rows.values())


def versus_scratch(rows: list[Row]) -> dict[int, float]:
    """Row index -> relative difference (%) of its mean test CER to scratch's, for every
    non-scratch row with a scratch row of the same decoding, fine-tuning and amount (a
    BL-JUST row: the scratch row of its decoding and amount, when there is one)."""
    scratch = {(r.decoding, r.finetune, r.amount): r for r in rows if r.init == "scratch"}
    # a BL-JUST arm has no fine-tuning config of its own: the one scratch row of its amount
    alone = {(r.decoding, r.amount): r for r in rows if r.init == "scratch"}
    if len(alone) != len(scratch):
        alone = {}
    out = {}
    for i, row in enumerate(rows):
        base = (alone.get((row.decoding, row.amount)) if row.init == "bljust"
                else scratch.get((row.decoding, row.finetune, row.amount)))
        if row.init == "scratch" or base is None:
            continue
        ours, theirs = row.mean_sd(("test", "cer")), base.mean_sd(("test", "cer"))
        if ours and theirs and theirs[0] > 0:
            out[i] = 100.0 * (ours[0] - theirs[0]) / theirs[0]
    return out


def _cell(stats: tuple[float, float | None] | None) -> str:
    if stats is None:
        return "-"
    mean, sd = stats
    return f"{mean:.2f}" if sd is None else f"{mean:.2f} ± {sd:.2f}"


def render(title: str, rows: list[Row], images: list[tuple[str, str]]) -> str:
    """The comparison as a markdown section (``## ...``); ``images``: (caption, path)."""
    relative = versus_scratch(rows)
    lines = [
        f"## Comparison: {title}",
        "",
        "Error rates in %: mean ± sample sd over the seeds that finished (n). Each arm decoded "
        "dev and test; where a decoding has several configs, the arm's dev WER chose one "
        "(decode config), and test was scored once with it. *vs scratch*: the relative "
        "difference of the mean test CER to scratch's at the same amount, fine-tuning and "
        "decoding (negative: fewer errors). *passes*: the forward/backward passes one arm plans "
        "(updates × micro-batches, pretraining included; a BL-JUST joint update counts 2).",
        "",
        "| decoding | init | pretraining | fine-tuning | labeled | n | dev CER | dev WER "
        "| test CER | test WER | test CER vs scratch | decode config | not finished | passes |",
        "|---|---|---|---|---|--:|--:|--:|--:|--:|--:|---|---|--:|",
    ]
    for i, r in enumerate(rows):
        chosen = ", ".join(f"{name} ×{k}" if len(r.chosen) > 1 else name for name, k in r.chosen.items())
        rel = f"{relative[i]:+.1f}%" if i in relative else "-"
        cells = [r.decoding, r.init, r.start, r.finetune, r.amount.tag or "-", str(r.n),
                 *(_cell(r.mean_sd(m)) for m in METRICS), rel, chosen or "-",
                 "; ".join(r.missing) or "-", str(r.passes) if r.passes is not None else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for caption, path in images:
        lines += [f"![{caption}]({path})", ""]
    return "\n".join(lines)


def curves(rows: list[Row], decoding: str) -> dict[str, list[tuple[float, float, float]]]:
    """Test CER against labeled minutes for one decoding: label -> [(minutes, mean, sd)],
    one line per init (with its pretraining, and fine-tuning when the grid has several)."""
    several = len({r.finetune for r in rows}) > 1
    out: dict[str, list[tuple[float, float, float]]] = {}
    for r in rows:
        stats = r.mean_sd(("test", "cer"))
        if r.decoding != decoding or r.amount.minutes is None or stats is None:
            continue
        label = r.init if r.start == "-" else f"{r.init} ({r.start})"
        if several:
            label += f", {r.finetune}"
        out.setdefault(label, []).append((float(r.amount.minutes), stats[0], stats[1] or 0.0))
    return out
