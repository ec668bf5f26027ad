"""RESULTS.md: every scored decode under an experiment root in one table.

:func:`write_results` finds each ``score.json`` written by ``asrkit-score`` under the root
and tabulates it, sorted by experiment. It is regenerated from the files on every run, so
it never keeps numbers whose experiment was deleted. A library module: stage 6 calls it as
``asrkit-score results exp [--out RESULTS.md]`` (:mod:`asrkit.score`); the file names are
:mod:`asrkit.layout`'s.

Describing a row: two small JSON files that the stages write (every key optional; keys
not listed here are shown too, as ``key=value``):

* ``model_info.json`` in the experiment directory (the nearest ancestor of the score
  directory that has one; written by fine-tuning):
  ``{"model": "wav2vec2 tiny + CTC", "init": "exp/ssl_x/checkpoint_best.pt",
  "config": "conf/finetune.yaml", "updates": 12000, "params": 3.1e6}``
* ``decode_info.json`` in the decode output directory (next to ``hyp``, the parent of
  the score directory; written by decoding):
  ``{"decoder": {... decoder.info(): kind, beam_size, lm_weight, lm, ...},
  "config": "conf/decode_beam.yaml", "checkpoint": "checkpoint_best.pt"}``

Stage 7's classification scores (every ``classify_score.json`` under the root, written by
``asrkit-classify eval``) follow in a table of their own, with the majority-class baseline.

A grid's comparison (``<root>/<grid>/comparison.md``, written by ``asrkit-experiment``)
follows the table as a section of its own, so regenerating RESULTS.md keeps it.

The layout the recipes use is ``exp/<asr_exp>/decode_<tag>/<test_set>/score/score.json``;
the dataset is the name of the score directory's parent.
"""

from __future__ import annotations

import datetime
import json
import logging
import platform
import subprocess
from pathlib import Path
from typing import Any

from asrkit.layout import CLASSIFY_SCORE, COMPARISON_MD, DECODE_INFO, MODEL_INFO, RESULTS_MD, SCORE_JSON

log = logging.getLogger(__name__)


class ResultsError(ValueError):
    """An experiment root without usable scores; the message says what to do."""


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        log.warning("%s is not valid JSON (%s); ignoring it", path, e)
        return None
    return data if isinstance(data, dict) else None


def _model_info(score_dir: Path, root: Path) -> tuple[Path, dict[str, Any]]:
    """The experiment dir (nearest ancestor with model_info.json, else the top-level
    directory under root) and its model info."""
    for parent in score_dir.parents:
        if parent == root or root not in parent.parents:
            break
        info = _read_json(parent / MODEL_INFO)
        if info is not None:
            return parent, info
    rel = score_dir.relative_to(root)
    return (root / rel.parts[0] if rel.parts else root), {}


def _describe(info: dict[str, Any], skip: tuple[str, ...] = ()) -> str:
    parts = []
    for k, v in info.items():
        if k in skip or v is None or v == {} or v == []:
            continue
        if isinstance(v, dict):
            inner = ", ".join(f"{a}={b}" for a, b in v.items() if b is not None)
            parts.append(f"{k}({inner})")
        else:
            parts.append(f"{k}={v}")
    return "; ".join(parts)


def collect(root: str | Path) -> list[dict[str, Any]]:
    """One row per score.json under ``root``, sorted by experiment, decode and dataset."""
    root = Path(root)
    if not root.is_dir():
        raise ResultsError(f"experiment root {root} does not exist")
    rows = []
    for path in sorted(root.rglob(SCORE_JSON)):
        score = _read_json(path)
        if score is None or "wer" not in score:
            log.warning("%s is not an asrkit-score result; skipping it", path)
            continue
        score_dir = path.parent
        decode_dir = score_dir.parent
        exp_dir, model = _model_info(score_dir, root)
        decode = _read_json(decode_dir / DECODE_INFO) or {}
        try:
            decode_rel = str(decode_dir.parent.relative_to(exp_dir))
        except ValueError:  # the score directory sits right in the experiment directory
            decode_rel = "."
        rows.append({
            "experiment": str(exp_dir.relative_to(root)),
            "decode": decode_rel,
            "dataset": decode_dir.name,
            "score": score,
            "model": model,
            "decode_info": decode,
        })
    rows.sort(key=lambda r: (r["experiment"], r["decode"], r["dataset"]))
    return rows


def environment() -> dict[str, str]:
    """Where the table was made: git commit, torch version, date, CPU and GPU."""
    repo = Path(__file__).resolve().parent  # the checkout asrkit runs from
    try:
        git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10, cwd=repo).stdout.strip() or "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, cwd=repo).stdout.strip()
        if dirty and git != "unknown":
            git += " (with local changes)"
    except (OSError, subprocess.SubprocessError):
        git = "unknown"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import torch

        torch_version = torch.__version__
        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    except ImportError:
        torch_version, gpu = "not installed", "none"
    return {
        "git": git,
        "torch": torch_version,
        "python": platform.python_version(),
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "host": f"{platform.node()}, {cpu}",
        "gpu": gpu,
    }


def _pct(x: Any) -> str:
    return "-" if x is None else f"{x:.2f}"


def render(rows: list[dict[str, Any]], root: str | Path, env: dict[str, str] | None = None) -> str:
    """The markdown document."""
    env = env or environment()
    lines = [
        "# RESULTS",
        "",
        f"Generated by `asrkit-score results {root}`; regenerated on every scoring run.",
        "",
        "## Environment",
        "",
        *[f"- {k}: {v}" for k, v in env.items()],
        "",
        "## Word and character error rates (%)",
        "",
        "Counts and S.Err are on normalized text (lowercase, no punctuation); "
        "WER/CER are given on raw and normalized text.",
        "",
        "| experiment | decode | dataset | #utt | #words | Corr | Sub | Del | Ins | Err | S.Err "
        "| WER raw | WER norm | CER raw | CER norm |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        s = r["score"]
        w = s["wer"]["normalized"]
        corr, sub, dele, ins = (
            100.0 * w[k] / w["wrd"] if w["wrd"] else 0.0 for k in ("corr", "sub", "dele", "ins")
        )
        missing = f" ({len(s['missing'])} missing)" if s.get("missing") else ""
        lines.append(
            f"| {r['experiment']} | {r['decode']} | {r['dataset']}{missing} | {s['num_utts']} "
            f"| {w['wrd']} | {corr:.1f} | {sub:.1f} | {dele:.1f} "
            f"| {ins:.1f} | {w['error_rate']:.2f} | {w['sentence_error_rate']:.1f} "
            f"| {_pct(s['wer']['raw']['error_rate'])} | {_pct(w['error_rate'])} "
            f"| {_pct(s['cer']['raw']['error_rate'])} | {_pct(s['cer']['normalized']['error_rate'])} |"
        )
    lines += ["", "## Experiments", ""]
    seen: set[str] = set()
    for r in rows:
        if r["experiment"] not in seen:
            seen.add(r["experiment"])
            lines.append(f"- **{r['experiment']}**: {_describe(r['model']) or 'no model_info.json'}")
        desc = _describe(r["decode_info"])
        lines.append(f"  - {r['decode']} / {r['dataset']}: {desc or 'no decode_info.json'}")
    lines.append("")
    return "\n".join(lines)


def collect_classification(root: str | Path) -> list[dict[str, Any]]:
    """One row per classify_score.json under ``root``, sorted by experiment and data set."""
    root = Path(root)
    rows = []
    for path in sorted(root.rglob(CLASSIFY_SCORE)) if root.is_dir() else []:
        score = _read_json(path)
        if score is None or "accuracy" not in score:
            log.warning("%s is not an asrkit-classify result; skipping it", path)
            continue
        exp_dir, _ = _model_info(path.parent, root)
        rows.append({"experiment": str(exp_dir.relative_to(root)),
                     "dataset": Path(score.get("data", path.parent.name)).name, "score": score})
    return sorted(rows, key=lambda r: (r["experiment"], r["dataset"]))


def render_classification(rows: list[dict[str, Any]]) -> str:
    lines = ["## Utterance classification (%)", "",
             "Speaker-disjoint test sets; the baseline always says the training set's most "
             "frequent class. Per-class scores and confusion matrices: each experiment's "
             "`eval_<set>/`.", "",
             "| experiment | target | dataset | #utt | accuracy | macro-F1 | majority class "
             "| majority acc. | majority macro-F1 | unseen labels |",
             "|---|---|---|--:|--:|--:|---|--:|--:|--:|"]
    for r in rows:
        s, base = r["score"], r["score"].get("majority_baseline", {})
        lines.append(
            f"| {r['experiment']} | {s.get('target', '-')} | {r['dataset']} | {s.get('num_utts', '-')} "
            f"| {_pct(100 * s['accuracy'])} | {_pct(100 * s['macro_f1'])} | {base.get('label', '-')} "
            f"| {_pct(100 * base['accuracy']) if base else '-'} "
            f"| {_pct(100 * base['macro_f1']) if base else '-'} "
            f"| {sum(s.get('unseen_labels', {}).values())} |")
    return "\n".join(lines) + "\n"


def write_results(root: str | Path, out: str | Path = RESULTS_MD) -> Path:
    rows = collect(root)
    classified = collect_classification(root)
    if not rows and not classified:
        raise ResultsError(
            f"no score.json under {root}; run stage 6 (asrkit-score --ref ... --out ...) first"
        )
    text = render(rows, root)
    if classified:
        text += "\n" + render_classification(classified)
    for comparison in sorted(Path(root).glob(f"*/{COMPARISON_MD}")):  # asrkit-experiment's grids
        text += "\n" + comparison.read_text(encoding="utf-8")
    out = Path(out)
    out.write_text(text, encoding="utf-8")
    return out

