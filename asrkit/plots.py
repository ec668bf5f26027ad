"""PNG figures that sit next to the numbers: training curves, confusion matrices, learning curves,
explanations (waveform, log-mel and relevance on one time axis) and deletion curves.

Figures are drawn with matplotlib's object API on the Agg canvas (no pyplot, no display,
safe in job scripts and worker processes). matplotlib is imported when a figure is drawn,
not with this module: the trainer imports it, and a training job should not wait for it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from asrkit.fileio import read_jsonl

IMAGES = "images"  # an experiment's figures: <exp>/images/*.png
# bookkeeping fields of a metrics record, not curves
_NOT_CURVES = {"split", "updates", "epoch", "time"}


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def metric_families(names: Iterable[str]) -> dict[str, list[str]]:
    """Group metric names into figures: ``loss_x`` joins ``loss`` when ``loss`` exists.

    So the parts of a loss share the loss's figure, rates (``*_per_s``) share a
    "throughput" figure, and other names (``lr``, ``grad_norm``, ``code_perplexity``) get
    one figure each.
    """
    names = sorted(set(names))
    families: dict[str, list[str]] = {}
    for name in names:
        if name.endswith("_per_s"):
            families.setdefault("throughput", []).append(name)
            continue
        parent = next((p for p in names if name.startswith(p + "_")), None)
        families.setdefault(parent or name, []).append(name)
    return families


def plot_training_curves(records: Sequence[dict], out_dir: str | Path) -> list[Path]:
    """One ``<family>.png`` per metric family, train and valid curves over updates.

    ``records`` are the trainer's metrics records (:func:`asrkit.train.read_metrics`).
    Returns the files written.
    """
    from matplotlib.figure import Figure

    out_dir = Path(out_dir)
    series: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
    for record in records:
        split = record.get("split", "train")
        for name, value in record.items():
            if name in _NOT_CURVES or not isinstance(value, (int, float)):
                continue
            xs, ys = series.setdefault((name, split), ([], []))
            xs.append(int(record["updates"]))
            ys.append(float(value))
    if not series:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for family, members in metric_families(name for name, _ in series).items():
        fig = Figure(figsize=(6.4, 4.0))
        fig.subplots_adjust(left=0.14, right=0.97, bottom=0.12, top=0.92)
        ax = fig.add_subplot()
        for name in members:
            for split, style in (("train", "-"), ("valid", "o--")):
                if (name, split) in series:
                    xs, ys = series[(name, split)]
                    ax.plot(xs, ys, style, label=f"{split} {name}", markersize=3)
        ax.set_xlabel("updates")
        ax.set_ylabel(family)
        ax.set_title(family)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
        path = out_dir / f"{_slug(family)}.png"
        fig.savefig(path, dpi=100)
        written.append(path)
    return written


def plot_confusion_matrix(
    matrix: np.ndarray | Sequence[Sequence[float]],
    labels: Sequence[str],
    path: str | Path,
    *,
    normalize: bool = True,
    title: str = "confusion matrix",
) -> Path:
    """Rows are true classes, columns predictions; ``normalize`` shows each row's recall."""
    from matplotlib.figure import Figure

    counts = np.asarray(matrix, dtype=float)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] != len(labels):
        raise ValueError(
            f"confusion matrix of shape {counts.shape} does not match {len(labels)} labels"
        )
    shown = counts
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        shown = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    n = len(labels)
    size = max(4.0, 0.5 * n + 2)
    fig = Figure(figsize=(size, size), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(n), labels, rotation=45, ha="right")
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if n <= 30:
        threshold = shown.max() / 2 if shown.size else 0
        for i in range(n):
            for j in range(n):
                text = f"{shown[i, j]:.2f}" if normalize else f"{int(counts[i, j])}"
                ax.text(j, i, text, ha="center", va="center", fontsize="x-small",
                        color="white" if shown[i, j] > threshold else "black")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def plot_learning_curve(
    lines: Mapping[str, Sequence[tuple[float, float, float]]],
    path: str | Path,
    *,
    xlabel: str = "labeled minutes",
    ylabel: str = "test CER (%)",
    title: str = "learning curve",
) -> Path:
    """Error against the amount of labels, log-x: one line per label, points ``(x, mean,
    sd)`` with the sd as error bars (a grid's comparison, :mod:`asrkit.comparison`)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullLocator

    fig = Figure(figsize=(6.4, 4.2))
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.92)
    ax = fig.add_subplot()
    xs_all: set[float] = set()
    for label, points in lines.items():
        xs, means, sds = zip(*sorted(points)) if points else ((), (), ())
        xs_all.update(xs)
        ax.errorbar(xs, means, yerr=sds, marker="o", capsize=3, label=label)
    ax.set_xscale("log")
    ticks = sorted(xs_all)
    ax.set_xticks(ticks, [f"{x:g}" for x in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    return _finish(fig, ax, path, xlabel, ylabel, title, legend=bool(lines))


def plot_explanation(
    path: str | Path,
    heat: Mapping[str, np.ndarray],
    frame_seconds: float,
    *,
    waveform: np.ndarray | None = None,
    sample_rate: int = 16000,
    logmel: np.ndarray | None = None,
    logmel_shift: float = 0.01,
    labels: Sequence[tuple[str, float, float]] = (),
    highlight: tuple[float, float] | None = None,
    title: str = "",
) -> Path:
    """One utterance on one time axis (seconds): the waveform with ``labels`` (text, start,
    end) at their times, the log-mel spectrogram ``[frames, bins]``, and one heat strip per
    method (``heat``: relevance per frame of ``frame_seconds``, each scaled to [0, 1]) with
    a colour bar; ``highlight`` shades the explained span."""
    from matplotlib.figure import Figure

    rows = ([("wave", 1.4)] if waveform is not None else []) + (
        [("logmel", 1.8)] if logmel is not None else []) + [(name, 0.45) for name in heat]
    fig = Figure(figsize=(10, 1.0 + sum(h for _, h in rows)), layout="constrained")
    axes = fig.subplots(len(rows), 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": [h for _, h in rows]})[:, 0]
    lengths = [len(v) * frame_seconds for v in heat.values()]
    duration = max(lengths + ([len(waveform) / sample_rate] if waveform is not None else [])
                   + ([len(logmel) * logmel_shift] if logmel is not None else []))
    ax_iter = iter(axes)
    first = axes[0]
    if waveform is not None:
        ax = next(ax_iter)
        ax.plot(np.arange(len(waveform)) / sample_rate, waveform, linewidth=0.4, color="0.3")
        ax.set_ylabel("wave", fontsize="small")
        ax.set_yticks([])
    if logmel is not None:
        ax = next(ax_iter)
        ax.imshow(np.asarray(logmel).T, origin="lower", aspect="auto", cmap="viridis",
                  extent=(0, len(logmel) * logmel_shift, 0, logmel.shape[1]))
        ax.set_ylabel("log-mel", fontsize="small")
    image = None
    for name, values in heat.items():
        ax = next(ax_iter)
        values = np.clip(np.asarray(values, dtype=float), 0, None)
        scaled = values / values.max() if values.size and values.max() > 0 else values
        image = ax.imshow(scaled[None], aspect="auto", cmap="inferno", vmin=0, vmax=1,
                          extent=(0, len(values) * frame_seconds, 0, 1))
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize="small")
    if image is not None:
        fig.colorbar(image, ax=list(axes[len(axes) - len(heat):]), label="relevance (max = 1)",
                     shrink=0.9, pad=0.01)
    for ax in axes:
        if highlight is not None:
            ax.axvspan(*highlight, color="tab:cyan", alpha=0.15 if ax is not first else 0.25)
    for text, start, end in labels:
        first.axvline(start, color="tab:blue", linewidth=0.5, alpha=0.5)
        first.text((start + end) / 2, 1.02, text, transform=first.get_xaxis_transform(),
                   ha="center", va="bottom", fontsize="small", clip_on=False)
    axes[-1].set_xlim(0, duration)
    axes[-1].set_xlabel("time (s)")
    if title:
        fig.suptitle(title, fontsize="medium")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def plot_deletion_curves(
    path: str | Path,
    fractions: Sequence[float],
    curves: Mapping[str, Sequence[float]],
    *,
    ylabel: str = "score drop",
    title: str = "deletion test",
) -> Path:
    """Mean score drop against the fraction of frames deleted, one line per method (its
    AOPC, the mean of the line, belongs in its label)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2))
    fig.subplots_adjust(left=0.14, right=0.97, bottom=0.12, top=0.9)
    ax = fig.add_subplot()
    xs = 100 * np.asarray(fractions, dtype=float)
    for label, ys in curves.items():
        style = "k--" if label.startswith("random") else "o-"
        ax.plot(xs, ys, style, label=label, markersize=3)
    return _finish(fig, ax, path, "frames deleted, most relevant first (%)", ylabel, title,
                   legend=bool(curves))


def plot_probe(path: str | Path, cers: Mapping[str, Sequence[float]], *,
               title: str = "linear CTC probe") -> Path:
    """Dev CER of a linear probe on each hidden state, one line per encoder (asrkit-probe)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3.5))
    fig.subplots_adjust(left=0.14, right=0.97, bottom=0.15, top=0.9)
    ax = fig.add_subplot()
    layers = max((len(c) for c in cers.values()), default=0)
    for label, ys in cers.items():
        ax.plot(range(len(ys)), ys, marker="o", label=label)
    ax.set_xticks(range(layers))
    return _finish(fig, ax, path, "hidden state (0 = Transformer input)",
                   "dev CER (%), linear CTC probe", title, legend=bool(cers))


def _finish(fig, ax, path: str | Path, xlabel: str, ylabel: str, title: str, legend: bool) -> Path:
    """Labels, grid and legend of a line figure, written as PNG to ``path``."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if legend:
        ax.legend(fontsize="small")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def plot_curves(exp_dir: str | Path) -> list[Path]:
    """Draw ``<exp>/images/*.png`` from ``<exp>/log/metrics.jsonl`` (any time, even mid-run)."""
    exp_dir = Path(exp_dir)
    return plot_training_curves(read_jsonl(exp_dir / "log" / "metrics.jsonl"), exp_dir / IMAGES)


def main(argv: list[str] | None = None) -> int:
    """``python -m asrkit.plots EXP_DIR...``: draw an experiment's curves now, even mid-run."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m asrkit.plots", description=main.__doc__)
    parser.add_argument("exp_dirs", nargs="+", type=Path, help="training directories (exp/...)")
    args = parser.parse_args(argv)
    status = 0
    for exp in args.exp_dirs:
        written = plot_curves(exp)
        if not written:
            print(f"{exp}: no metrics in {exp / 'log' / 'metrics.jsonl'}", file=sys.stderr)
            status = 1
        for path in written:
            print(path)
    return status


if __name__ == "__main__":
    sys.exit(main())
