"""Stage 8: what a trained model listens to: Grad-CAM, saliency and integrated gradients on a
few utterances, pictured, and checked with a deletion test (:mod:`asrkit.attribution`).

::

    asrkit-explain --model exp/cls_lang_classify_tiny_from_tiny --data dump/raw/test \\
        --out exp/cls_lang_classify_tiny_from_tiny/explain/test
    asrkit-explain --model exp/asr_x --data dump/fbank/test --out exp/asr_x/explain/test \\
        --ctc-target word:0 --layer layer:-1 --methods gradcam,saliency

**The model** is a stage-7 classifier (explained: the logit of ``--class-target``, by
default the predicted class) or a stage-4 CTC experiment (``--ctc-target``: a word or
token of the greedy hypothesis, or the whole greedy path; the summed log-probability of
the path's labels over its frames). ``--data`` is a dump of the model's front end; for
fbank models the attributions are taken on the fbank frames.

**Utterances:** ``--utts`` names them (one that cannot be explained, e.g. too short, stops
the stage naming it); otherwise ``--num-utts`` are drawn at random (``--seed``) from the
set, and those that cannot be explained are skipped and listed in ``excluded_utts.txt``.

**Writes** into ``--out``: ``<utt>.png`` per utterance (waveform with the predicted label or
the hypothesis' words at their CTC frames, log-mel spectrogram, one relevance strip per
method, on one time axis); ``aopc.json`` and ``aopc.md`` (the deletion test: AOPC per
method and of random deletion, mean ± sd over the utterances, how often each method beats
random; per utterance in the JSON); ``deletion_curves.png``; ``excluded_utts.txt``; ``.done``.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from asrkit import attribution as attr
from asrkit.cli import run_cli, stage_done, write_done
from asrkit.data import DataDir, read_table
from asrkit.data.exclusions import Exclusions
from asrkit.features import FbankConfig, compute_fbank, load_feature
from asrkit.inference import input_stride, load_for_inference, resolve_device
from asrkit.layout import AOPC_JSON, TOKENIZER_DIR
from asrkit.model_input import DUMP_CONFIG, InputSpec, check_same, input_spec, read_spec, recorded_spec
from asrkit.models.classifier import load_classifier
from asrkit.plots import plot_deletion_curves, plot_explanation
from asrkit.progress import progress

log = logging.getLogger("asrkit.explain")

METHODS = ("gradcam", "saliency", "ig")
METHOD_NAMES = {"gradcam": "Grad-CAM", "saliency": "saliency", "ig": "integrated gradients",
                "random": "random"}


@dataclass
class Subject:
    """The model explained, and what it reads."""

    model: torch.nn.Module
    kind: str  # "classifier" or "ctc"
    input_type: str  # "raw" or "fbank"
    classes: list[str] | None = None  # classifier
    label_table: str | None = None  # classifier: utt2<target>
    tokenizer: Any = None  # CTC
    spec: InputSpec | None = None  # CTC: the features it was trained on, when recorded


def load_subject(model_dir: Path) -> Subject:
    """A CTC experiment (it has ``tokenizer/``) or a stage-7 classifier."""
    if model_dir.is_dir() and (model_dir / TOKENIZER_DIR).is_dir():
        model, tokenizer = load_for_inference(model_dir)
        spec = input_spec(model_dir, model)
        return Subject(model, "ctc", spec.type, tokenizer=tokenizer, spec=recorded_spec(model_dir))
    model, ckpt = load_classifier(model_dir)
    if model.encoder is None or model.encoder.cfg.frontend == "fbank":
        input_type = "fbank"
    else:
        input_type = "raw"
    labels = ckpt["labels"]
    return Subject(model, "classifier", input_type, list(labels["classes"]), f"utt2{labels['target']}")


@dataclass
class Units:
    """What one step of the input is: a sample or an fbank frame."""

    name: str  # "samples" or "frames"
    per_second: float
    per_frame: int  # per 10 ms frame of the deletion test and the pictures
    sample_rate: int


def units_of(data: Path, input_type: str) -> Units:
    path = data / DUMP_CONFIG
    spec = read_spec(path) if path.is_file() else InputSpec(type=input_type)  # type: ignore[arg-type]
    if spec.type != input_type:
        want = "raw" if input_type == "raw" else "fbank"
        raise attr.ExplainError(f"{data} holds {spec.type} features but the model reads {input_type}; "
                                f"pass the recipe's {want} dump (dump/{want}/<set>)")
    if input_type == "raw":
        return Units("samples", spec.sample_rate, round(spec.sample_rate * attr.FRAME_SECONDS),
                     spec.sample_rate)
    shift = spec.fbank.frame_shift_ms / 1000
    return Units("frames", 1 / shift, max(1, round(attr.FRAME_SECONDS / shift)), spec.sample_rate)


def _lengths(data: Path) -> dict[str, int] | None:
    for name in ("utt2num_samples", "utt2num_frames"):
        if (data / name).is_file():
            return {u: int(n) for u, n in read_table(data / name).items()}
    return None


def _slug(utt: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", utt)


# ------------------------------------------------------------------------ one utterance


class Explainer:
    """Targets, attributions, deletion curves and the picture of one utterance at a time."""

    def __init__(self, subject: Subject, units: Units, args: argparse.Namespace, device: torch.device):
        self.subject = subject
        self.model = attr.prepare(subject.model).to(device)
        self.units = units
        self.args = args
        self.device = device
        self.methods = args.methods
        self.layer = attr.find_layer(self.model, args.layer) if "gradcam" in self.methods else None
        self.fractions = [round(args.max_fraction * k / args.steps, 4) for k in range(args.steps + 1)]
        self.min_units = self.model.min_input_length
        self.frame_shift = (input_stride(self.model) / units.per_second if subject.kind == "ctc" else None)
        if subject.kind == "classifier":
            self.class_target = args.class_target
            if self.class_target not in ("predicted", "true") and self.class_target not in subject.classes:
                raise attr.ExplainError(f"--class-target {self.class_target}: not a class of the model "
                                        f"({', '.join(subject.classes)}), 'predicted' or 'true'")
        else:
            attr.parse_ctc_target(args.ctc_target)

    def check_length(self, utt: str, units: int) -> None:
        attr.check_length(utt, units, self.min_units, self.units.per_frame, self.units.name,
                          self.units.per_second, self.args.steps)

    def target(self, utt: str, x: torch.Tensor, truth: dict[str, str] | None) -> attr.Target:
        duration = x.shape[1] / self.units.per_second
        if self.subject.kind == "ctc":
            return attr.ctc_target(self.model, self.subject.tokenizer, x, self.args.ctc_target,
                                   self.frame_shift, utt)
        classes = self.subject.classes
        if self.class_target == "predicted":
            with torch.no_grad():
                index = int(self.model(x, torch.tensor([x.shape[1]], device=x.device)).logits[0].argmax())
        elif self.class_target == "true":
            label = (truth or {}).get(utt, "").strip()
            if label not in classes:
                raise attr.ExplainError(f"{utt}: --class-target true: its label "
                                        f"'{label}' in {self.subject.label_table} is not a class of the "
                                        f"model ({', '.join(classes)})")
            index = classes.index(label)
        else:
            index = classes.index(self.class_target)
        return attr.classifier_target(self.model, x, index, classes, duration)

    def explain(self, utt: str, features: np.ndarray, truth: dict[str, str] | None,
                rng: np.random.Generator) -> tuple[dict[str, Any], dict[str, np.ndarray], attr.Target]:
        """The record of one utterance (target, AOPC and curve per method) and its relevance per frame."""
        x = torch.from_numpy(np.array(features, dtype=np.float32)).to(self.device)[None]
        self.check_length(utt, x.shape[1])
        target = self.target(utt, x, truth)
        baseline = attr.baseline_of(x, self.args.seed)
        per_unit: dict[str, np.ndarray] = {}
        record: dict[str, Any] = {"utt": utt, "target": target.description, "score": target.value}
        if "gradcam" in self.methods:
            per_unit["gradcam"] = attr.grad_cam(target.score, x, self.layer)
        if "saliency" in self.methods:
            per_unit["saliency"] = attr.saliency(target.score, x)
        if "ig" in self.methods:
            per_unit["ig"], record["ig_completeness_error"] = attr.integrated_gradients(
                target.score, x, baseline, self.args.ig_steps)
        relevance = {m: attr.to_frames(v, self.units.per_frame) for m, v in per_unit.items()}
        curves = {m: attr.deletion_curve(target.score, x, attr.ranking(r, rng), self.fractions, baseline,
                                         self.units.per_frame) for m, r in relevance.items()}
        n = len(next(iter(relevance.values()))) if relevance else -(-x.shape[1] // self.units.per_frame)
        randoms = [attr.deletion_curve(target.score, x, rng.permutation(n), self.fractions, baseline,
                                       self.units.per_frame) for _ in range(self.args.random_repeats)]
        curves["random"] = np.mean(randoms, axis=0)
        record["aopc"] = {m: attr.aopc(c) for m, c in curves.items()}
        record["curves"] = {m: [round(float(v), 5) for v in c] for m, c in curves.items()}
        return record, relevance, target

    def picture(self, path: Path, utt: str, features: np.ndarray, relevance: dict[str, np.ndarray],
                target: attr.Target, wave: np.ndarray | None) -> None:
        if self.units.name == "samples":
            wave = features
            logmel = compute_fbank(features, self.units.sample_rate, FbankConfig())
        else:
            logmel = features
        heat = {METHOD_NAMES[m] if m != "gradcam" else f"Grad-CAM\n{self.args.layer}": v
                for m, v in relevance.items()}
        plot_explanation(path, heat, attr.FRAME_SECONDS, waveform=wave, sample_rate=self.units.sample_rate,
                         logmel=logmel, logmel_shift=1 / self.units.per_second if self.units.name == "frames"
                         else attr.FRAME_SECONDS, labels=target.labels, highlight=target.highlight,
                         title=f"{utt}: {target.description} = {target.value:.3g}")


def _waveform(datadir: DataDir | None, utt: str, sample_rate: int) -> np.ndarray | None:
    """The utterance's audio for the picture of an fbank model (None when unreadable)."""
    if datadir is None:
        return None
    from asrkit import audio

    try:
        reco, start, end = datadir.recording_of(utt)
        return audio.load(datadir.wav_scp[reco], sample_rate, start, end)
    except (KeyError, OSError, ValueError, audio.AudioError) as e:
        log.warning("%s: no waveform for the picture (%s)", utt, e)
        return None


# ---------------------------------------------------------------------------- the stage


def summarize(records: list[dict[str, Any]], methods: list[str]) -> dict[str, dict[str, float]]:
    """AOPC mean, sd, and how often each method beats random deletion, over the utterances."""
    out = {}
    for m in [*methods, "random"]:
        values = np.array([r["aopc"][m] for r in records])
        row = {"mean": float(values.mean()) if len(values) else float("nan"),
               "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0}
        if m != "random":
            row["beats_random"] = int(sum(r["aopc"][m] > r["aopc"]["random"] for r in records))
        out[m] = row
    return out


def markdown(result: dict[str, Any]) -> str:
    n = result["num_utts"]
    lines = [f"# Deletion test: {result['model']} on {result['data']}", "",
             f"Explained: {result['target']}; {n} utterance(s); frames of 10 ms replaced by "
             f"{result['baseline']}, most relevant first, {100 * result['fractions'][1]:g} % at a time up "
             f"to {100 * result['fractions'][-1]:g} %; random: mean of {result['random_repeats']} orders. "
             f"AOPC is in the target's units ({result['score_unit']}); higher is more faithful.", "",
             "| method | AOPC (mean ± sd) | beats random |", "|---|---|---|"]
    for m, row in result["aopc"].items():
        name = METHOD_NAMES[m] + (f" ({result['layer']})" if m == "gradcam" else "")
        wins = f"{row['beats_random']}/{n}" if "beats_random" in row else ""
        lines.append(f"| {name} | {row['mean']:.3f} ± {row['sd']:.3f} | {wins} |")
    return "\n".join(lines) + "\n"


def explain(args: argparse.Namespace) -> int:
    model_dir, data, out = Path(args.model), Path(args.data), Path(args.out)
    if stage_done(out) and not args.force:
        log.info("%s already explained (remove %s/.done or pass --force to redo)", out, out)
        return 0
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = sorted(set(args.methods) - set(METHODS))
    if unknown or not args.methods:
        raise attr.ExplainError(f"--methods {','.join(args.methods)}: choose from {', '.join(METHODS)}")
    if args.steps < 1 or not 0 < args.max_fraction <= 1:
        raise attr.ExplainError("--steps must be >= 1 and --max-fraction in (0, 1]")
    subject = load_subject(model_dir)
    units = units_of(data, subject.input_type)
    if subject.kind == "ctc":
        check_same(subject.spec, data, str(model_dir))
    explainer = Explainer(subject, units, args, resolve_device(args.device))
    scp = read_table(data / "feats.scp")
    lengths = _lengths(data)
    truth = None
    if subject.kind == "classifier" and (data / subject.label_table).is_file():
        truth = read_table(data / subject.label_table, allow_empty_value=True)
    try:
        datadir = DataDir.read(data) if units.name == "frames" and (data / "wav.scp").is_file() else None
    except ValueError as e:
        log.warning("%s: cannot read its wav.scp for the pictures' waveforms (%s)", data, e)
        datadir = None

    if args.utts:
        chosen = [u.strip() for u in args.utts.split(",") if u.strip()]
        missing = [u for u in chosen if u not in scp]
        if missing:
            raise attr.ExplainError(f"--utts: {', '.join(missing)} not in {data}/feats.scp")
        for utt in chosen:  # before any work: a named utterance that cannot be explained stops the stage
            explainer.check_length(utt, lengths[utt] if lengths and utt in lengths
                                   else len(load_feature(scp[utt])))
        candidates, strict = chosen, True
    else:
        candidates, strict = sorted(scp), False
        random.Random(args.seed).shuffle(candidates)
    rng = np.random.default_rng(args.seed)
    excluded = Exclusions()
    records = []
    out.mkdir(parents=True, exist_ok=True)
    wanted = len(candidates) if strict else min(args.num_utts, len(candidates))
    bar = progress(total=wanted, desc=f"explaining {data}", unit="utt")
    for utt in candidates:
        if len(records) >= wanted:
            break
        try:
            if lengths is not None and utt in lengths:
                explainer.check_length(utt, lengths[utt])
            features = load_feature(scp[utt])
            record, relevance, target = explainer.explain(utt, features, truth, rng)
        except attr.ExplainError as e:
            if strict:
                raise
            excluded.add(utt, "too-short" if isinstance(e, attr.TooShort) else "no-target", e)
            continue
        wave = _waveform(datadir, utt, units.sample_rate) if units.name == "frames" else None
        record["picture"] = f"{_slug(utt)}.png"
        explainer.picture(out / record["picture"], utt, features, relevance, target, wave)
        records.append(record)
        bar.update(1)
    bar.close()
    excluded.write(out / "excluded_utts.txt")
    if not records:
        log.warning("%s: no utterance could be explained (see %s)", data, out / "excluded_utts.txt")

    score_unit = "logit" if subject.kind == "classifier" else "log-probability"
    target = args.class_target if subject.kind == "classifier" else args.ctc_target
    layer = explainer.layer
    result = {
        "model": str(model_dir), "data": str(data), "kind": subject.kind,
        "target": (f"the {target} class's logit" if subject.kind == "classifier"
                   else f"--ctc-target {target} of the greedy hypothesis"),
        "score_unit": score_unit, "methods": args.methods,
        "layer": f"{args.layer} = {layer.name}" if layer is not None else None,
        "baseline": "noise at the utterance's level" + (" (white, its RMS)" if units.name == "samples" else " (each bin's mean and sd)"),
        "fractions": explainer.fractions, "random_repeats": args.random_repeats,
        "ig_steps": args.ig_steps, "seed": args.seed, "num_utts": len(records),
        "excluded": excluded.counts(),
        "aopc": summarize(records, args.methods),
        "utterances": records,
    }
    (out / AOPC_JSON).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "aopc.md").write_text(markdown(result), encoding="utf-8")
    if records:
        curves = {}
        for m in [*args.methods, "random"]:
            drops = np.mean([np.array(r["curves"][m][:1]) - np.array(r["curves"][m]) for r in records], axis=0)
            curves[f"{METHOD_NAMES[m]} (AOPC {result['aopc'][m]['mean']:.3g})"] = drops
        plot_deletion_curves(out / "deletion_curves.png", explainer.fractions, curves,
                             ylabel=f"mean drop of the target ({score_unit})",
                             title=f"deletion test, {len(records)} utterance(s) of {data.name}")
    write_done(out)
    log.info("%s -> %s\n%s", data, out, markdown(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asrkit-explain", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="a stage-7 classifier or stage-4 CTC experiment dir")
    p.add_argument("--data", required=True, help="dump dir of the model's front end (dump/<feats>/<set>)")
    p.add_argument("--out", required=True, help="output directory (e.g. <exp>/explain/<set>)")
    p.add_argument("--methods", default=",".join(METHODS),
                   help="comma-separated: gradcam, saliency, ig (integrated gradients)")
    p.add_argument("--layer", default="conv:-1",
                   help="Grad-CAM's layer: conv:N (feature-encoder conv), layer:N (Transformer layer), "
                        "negative N from the end, or a module name")
    p.add_argument("--class-target", default="predicted",
                   help="classifiers: the class whose logit is explained: predicted, true (utt2<target>) "
                        "or a class name")
    p.add_argument("--ctc-target", default="word:0",
                   help="CTC models: word:K or token:K of the greedy hypothesis (K from 0, negative "
                        "from the end), or path (the whole greedy path)")
    p.add_argument("--num-utts", type=int, default=4, help="utterances drawn at random from --data")
    p.add_argument("--utts", default="", help="comma-separated utterance ids instead of a random draw")
    p.add_argument("--steps", type=int, default=10, help="deletion steps")
    p.add_argument("--max-fraction", type=float, default=0.5, help="fraction of frames deleted at the last step")
    p.add_argument("--random-repeats", type=int, default=5, help="random deletion orders averaged")
    p.add_argument("--ig-steps", type=int, default=32, help="integrated gradients' path steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--force", action="store_true", help="redo a finished output directory")
    return p


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser(), explain, argv)


if __name__ == "__main__":
    raise SystemExit(main())
