"""Stage 7: utterance classification, e.g. accent, gender or language (METHODS.md §7).

::

    asrkit-classify train --config conf/classify_tiny.yaml --target accent \\
        --init exp/ssl_tiny/checkpoint_best.pt --train-data dump/fbank/train \\
        --valid-data dump/fbank/dev --exp-dir exp/cls_accent_classify_tiny
    asrkit-classify eval --model exp/cls_accent_classify_tiny --data dump/fbank/test \\
        --out exp/cls_accent_classify_tiny/eval_test

**Labels** come from a dump dir's ``utt2<target>`` table (``accent``, ``gender``, ``lang``,
``age``, or ``spk`` for speaker ID); the classes are the training set's labels, saved with
the model. Utterances whose label is empty or one of ``classify.unknown_labels`` are left
out (``excluded_utts.txt``, counted in the summary and the evaluation). A validation or
test label that training never saw is kept, reported by name and scored as wrong.

**Speakers** never cross splits: training refuses a validation set, and evaluation a test
set, that shares speakers (``utt2spk``) with the training set, naming them, unless
``--force-speaker-overlap`` (speaker ID, ``--target spk``, needs the overlap and skips the
check).

**The model** (:mod:`asrkit.models.classifier`): a wav2vec 2.0 encoder from ``--init``
(a stage-3/4 experiment or checkpoint, a Hugging Face directory, a fairseq ``.pt``, or
``none``), one of its layers or a learned weighted sum of all (``model.layer``,
``model.weighted_layers``), mean or attentive-statistics pooling over the valid frames
and a small MLP; or ``model.encoder: features``, the fbank + pooling baseline. The
encoder stays frozen unless ``classify.train_encoder_after`` says from which update it is
fine-tuned. Class imbalance: ``classify.balance`` ``loss`` (cross-entropy weighted by
N / (classes · N_class)) or ``sampling`` (epochs drawn class-balanced) or ``none``.

**Evaluation** writes into ``--out``: ``classify_score.json`` (accuracy, macro-F1,
per-class precision/recall, the confusion matrix, the majority-class baseline, breakdowns
by gender and language where ``utt2gender``/``utt2lang`` exist), ``result.txt``,
``confusion.txt``, ``confusion.png`` and ``predictions.tsv`` (per utterance: true and
predicted label, then the probability of every class). ``asrkit-score results`` puts the
scores in RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from asrkit import config as configlib
from asrkit.cli import run_cli, write_done
from asrkit.confusion import Confusion
from asrkit.data.exclusions import Exclusions
from asrkit.data.tables import load_table
from asrkit.inference import resolve_device
from asrkit.layout import CLASSIFY_SCORE, MODEL_FILE, MODEL_INFO, PREDICTIONS
from asrkit.models import save as save_checkpoint
from asrkit.models.classifier import KIND, ClassifierConfig, UtteranceClassifier, load_classifier
from asrkit.models.pretrained import FINETUNING_DEFAULTS, is_random, load_encoder
from asrkit.models.wav2vec2 import config_for
from asrkit.plots import plot_confusion_matrix
from asrkit.train import FeatsDataset, StepOutput, Task, TrainConfig, distributed, stage
from asrkit.train.checkpoint import final_weights
from asrkit.train.cli import add_common_train_args
from asrkit.train.config import DataConfig
from asrkit.train.sampler import BucketBatchSampler, class_balanced_weights

log = logging.getLogger("asrkit.classify")

# Label ids that are not classes: left out of training, or (unseen) scored wrong.
EMPTY, UNKNOWN, UNSEEN = -1, -2, -3
UNSEEN_NAME = "<unseen>"  # validation's name for labels training never saw
BREAKDOWNS = ("gender", "lang", "accent")  # utt2<x> tables evaluation breaks results down by


@dataclass
class ModelOptions:
    encoder: Literal["wav2vec2", "features"] = "wav2vec2"
    size: str = "tiny"  # wav2vec2 size when --init none
    wav2vec2: dict[str, Any] = field(default_factory=dict)  # Wav2Vec2Config fields to set
    layer: int = -1  # hidden state feeding the head: 0 = Transformer input, -1 = last layer
    weighted_layers: bool = False  # learned softmax-weighted sum of all layers instead
    pooling: Literal["mean", "attentive"] = "mean"
    attention_dim: int = 128
    hidden_dims: list[int] = field(default_factory=lambda: [256])
    dropout: float = 0.1


@dataclass
class ClassifyOptions:
    target: str = ""  # the label: utt2<target> (--target sets it)
    unknown_labels: list[str] = field(default_factory=lambda: ["unknown"])  # left out like empty ones
    balance: Literal["none", "loss", "sampling"] = "loss"
    freeze_feature_encoder: bool = True
    train_encoder_after: int | None = None  # fine-tune the Transformer from this update; null: frozen
    valid_metric: Literal["macro_f1", "accuracy", "loss"] = "macro_f1"


def _train_defaults() -> TrainConfig:
    # Labels are often partial (Common Voice leaves most accents empty): far more utterances
    # may lack a label than the trainer's default tolerates for broken audio.
    return TrainConfig(data=DataConfig(max_excluded_fraction=0.6))


@dataclass
class ClassifyConfig:
    model: ModelOptions = field(default_factory=ModelOptions)
    classify: ClassifyOptions = field(default_factory=ClassifyOptions)
    train: TrainConfig = field(default_factory=_train_defaults)


class SpeakerOverlapError(ValueError):
    """Two splits share speakers (a classifier would learn voices, not labels)."""


class ClassifyError(ValueError):
    """Labels or a model the stage cannot use; the message says what to do."""


# ------------------------------------------------------------------------------ labels


@dataclass
class LabelSet:
    """The classes of a target, as training found them; saved in the model checkpoint."""

    target: str
    classes: list[str]
    counts: list[int]  # training utterances per class (after exclusions)
    unknown: list[str]

    def __post_init__(self) -> None:
        self.index = {c: i for i, c in enumerate(self.classes)}

    @property
    def table(self) -> str:
        return f"utt2{self.target}"

    def ids(self, value: str) -> list[int]:
        """A label's id as FeatsDataset's ``to_ids``; empty, unknown and unseen get theirs."""
        value = value.strip()
        if not value:
            return [EMPTY]
        if value in self.unknown:
            return [UNKNOWN]
        return [self.index.get(value, UNSEEN)]

    def majority(self) -> str:
        return self.classes[int(np.argmax(self.counts))]

    def to_info(self) -> dict[str, Any]:
        return {"target": self.target, "classes": self.classes, "counts": self.counts,
                "unknown": self.unknown}

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> LabelSet:
        return cls(info["target"], list(info["classes"]), list(info["counts"]), list(info["unknown"]))


def read_labels(data_dir: Path, target: str) -> dict[str, str]:
    path = data_dir / f"utt2{target}"
    if not path.is_file():
        tables = sorted(p.name for p in data_dir.glob("utt2*") if not p.name.startswith("utt2num"))
        raise ClassifyError(f"{path}: no such file; --target {target} needs utt2{target} in "
                            f"{data_dir} (it has {', '.join(tables) or 'no utt2* table'})")
    return load_table(path, allow_empty_value=True).values


def training_labels(train_data: Path, target: str, unknown: list[str]) -> LabelSet:
    """The classes: every usable label of the training set's utterances, sorted."""
    utts = load_table(train_data / "feats.scp").values
    values = read_labels(train_data, target)
    usable = {values[u].strip() for u in utts if u in values} - {""} - set(unknown)
    if len(usable) < 2:
        raise ClassifyError(f"{train_data}/utt2{target}: {len(usable)} usable label(s) "
                            f"({', '.join(sorted(usable)) or 'none'}); a classifier needs two or more")
    return LabelSet(target, sorted(usable), [0] * len(usable), list(unknown))


def excluded_label(utt: str, length: int, ids) -> str | None:
    """FeatsDataset's ``keep``: utterances without a usable label are left out."""
    if ids[0] == EMPTY:
        return "empty-label"
    if ids[0] == UNKNOWN:
        return "unknown-label"
    return None


# ---------------------------------------------------------------------------- speakers


def speakers_of(data_dir: Path) -> set[str]:
    path = data_dir / "utt2spk"
    if not path.is_file():
        raise ClassifyError(f"{path}: no such file; splits are checked to be speaker-disjoint, "
                            "which needs utt2spk")
    return set(load_table(path).values.values())


def check_speaker_disjoint(train: set[str], other: set[str], what: str, force: bool) -> None:
    """Refuse ``other`` when it shares speakers with the training set, naming them."""
    shared = sorted(train & other)
    if not shared:
        return
    names = ", ".join(shared[:10]) + (f" and {len(shared) - 10} more" if len(shared) > 10 else "")
    message = (f"{what} shares {len(shared)} speaker(s) with the training set: {names}. A classifier "
               "tested on voices it was trained on measures speaker recognition, not the label; "
               "split by speaker (utils/subset_data_dir_tr_cv.sh --per-spk style), or pass "
               "--force-speaker-overlap to go on anyway")
    if not force:
        raise SpeakerOverlapError(message)
    log.warning("%s (--force-speaker-overlap given)", message)


# ------------------------------------------------------------------------------- the model


def _fbank_cmvn(train_data: Path) -> tuple[torch.Tensor, torch.Tensor]:
    path = train_data / "cmvn.ark"
    if not path.is_file():
        raise ClassifyError(f"{path}: no such file; model.encoder: features pools fbank features "
                            "and needs an fbank dump (asrkit-dump --type fbank)")
    from asrkit.features import load_cmvn

    mean, std = load_cmvn(path)
    return torch.as_tensor(mean, dtype=torch.float32), torch.as_tensor(std, dtype=torch.float32)


def build_model(init: str, cfg: ClassifyConfig, num_classes: int,
                train_data: Path) -> tuple[UtteranceClassifier, str]:
    m = cfg.model
    head = {"num_classes": num_classes, "layer": m.layer, "weighted_layers": m.weighted_layers,
            "pooling": m.pooling, "attention_dim": m.attention_dim, "hidden_dims": list(m.hidden_dims),
            "dropout": m.dropout}
    if m.encoder == "features":
        if not is_random(init):
            raise configlib.ConfigError("model.encoder: features has no encoder to initialise; "
                                        "use --init none")
        cmvn = _fbank_cmvn(train_data)
        mcfg = ClassifierConfig(encoder="features", input_dim=len(cmvn[0]), **head)
        return UtteranceClassifier(mcfg, cmvn), "fbank features (no encoder)"
    encoder, w2v_cfg, desc = load_encoder(init, m.wav2vec2)
    if w2v_cfg is None:
        w2v_cfg = config_for(m.size, {**FINETUNING_DEFAULTS, "feature_grad_mult": 1.0, **m.wav2vec2},
                             "model.wav2vec2")
    model = UtteranceClassifier(ClassifierConfig(encoder="wav2vec2", wav2vec2=w2v_cfg, **head))
    if encoder is not None:
        model.encoder.load_state_dict(encoder.state_dict())
    if cfg.classify.freeze_feature_encoder:
        model.encoder.freeze_feature_encoder()
    if cfg.classify.train_encoder_after is None:
        model.encoder.requires_grad_(False)
    return model, desc


# ---------------------------------------------------------------------------------- the task


class ClassificationTask(Task):
    """Cross-entropy per utterance (class-weighted or not); validation counts a confusion matrix."""

    kind = KIND

    def __init__(self, model: UtteranceClassifier, cfg: ClassifyConfig, labels: LabelSet,
                 train_labels: dict[str, int]):
        self.model = model
        self.model_config = model.cfg
        self.cfg = cfg
        self.labels = labels
        self.train_labels = train_labels  # utterance -> class id, for class-balanced sampling
        self.best_metric = cfg.classify.valid_metric
        self.lower_is_better = self.best_metric == "loss"
        self.class_weights = None
        if cfg.classify.balance == "loss":
            counts = torch.tensor(labels.counts, dtype=torch.float32)
            # scikit-learn's "balanced": N / (classes · N_c), so the weights average 1 over items
            self.class_weights = counts.sum() / (len(counts) * counts.clamp(min=1))
        after = cfg.classify.train_encoder_after
        self.encoder_always_frozen = model.encoder is None or after is None
        self.encoder_frozen = True

    def on_update(self, num_updates: int) -> None:
        after = self.cfg.classify.train_encoder_after
        frozen = after is None or num_updates < after
        if frozen != self.encoder_frozen and not self.encoder_always_frozen:
            log.info("update %d: encoder %s", num_updates, "frozen" if frozen else "now fine-tuned")
        self.encoder_frozen = frozen

    def sampling_weights(self, dataset: FeatsDataset) -> np.ndarray | None:
        if self.cfg.classify.balance != "sampling":
            return None
        return class_balanced_weights([self.train_labels[u] for u in dataset.utt_ids])

    def logits(self, batch) -> torch.Tensor:
        bare = distributed.unwrap(self.model)
        if self.encoder_frozen and bare.encoder is not None:
            with torch.no_grad():
                states = bare.hidden_states(batch.inputs, batch.lengths)
            return self.model(batch.inputs, batch.lengths, states=states).logits
        return self.model(batch.inputs, batch.lengths).logits

    def step(self, batch, num_updates: int) -> StepOutput:
        logits = self.logits(batch).float()
        targets = batch.targets[:, 0]
        weights = None if self.class_weights is None else self.class_weights.to(logits.device)
        loss = F.cross_entropy(logits, targets, weight=weights, ignore_index=UNSEEN, reduction="sum")
        scored = (targets != UNSEEN).sum()
        correct = (logits.argmax(-1) == targets).sum()
        return StepOutput(loss, scored, {"accuracy": correct.detach()})

    def validate(self, loader) -> dict[str, float]:
        """This rank's confusion counts, ``"<true>\\t<predicted>": n`` (additive over ranks)."""
        device = next(distributed.unwrap(self.model).parameters()).device
        counts: Counter[str] = Counter()
        names = [*self.labels.classes]
        for batch in loader:
            batch = batch.to(device)
            predicted = self.logits(batch).argmax(-1).tolist()
            for true, pred in zip(batch.targets[:, 0].tolist(), predicted):
                counts[f"{names[true] if true >= 0 else UNSEEN_NAME}\t{names[pred]}"] += 1
        return dict(counts)

    def combine_validation(self, counts: dict[str, float]) -> dict[str, float]:
        pairs = {tuple(key.split("\t")): n for key, n in counts.items()}
        return Confusion.of_counts(pairs, self.labels.classes).metrics()

    def extra_state(self) -> dict[str, Any]:
        return {"labels": self.labels.to_info()}


# ----------------------------------------------------------------------------- training


def _dataset(path: Path, model: UtteranceClassifier, labels: LabelSet, cfg: ClassifyConfig
             ) -> FeatsDataset:
    data = cfg.train.data
    return FeatsDataset(path, min_length=max(data.min_length, model.min_input_length),
                        max_length=data.max_length, targets=labels.table, to_ids=labels.ids,
                        keep=excluded_label, seed=cfg.train.seed)


def train(args: argparse.Namespace) -> int:
    exp, train_data = Path(args.exp_dir), Path(args.train_data)
    cfg = configlib.load(ClassifyConfig, args.config, args.set)
    if args.target:
        cfg.classify.target = args.target
    target = cfg.classify.target
    if not target:
        raise configlib.ConfigError("no target: pass --target (accent, gender, lang, ...) or set "
                                    "classify.target")
    labels = training_labels(train_data, target, cfg.classify.unknown_labels)
    train_speakers = speakers_of(train_data)
    if args.valid_data and target != "spk":
        check_speaker_disjoint(train_speakers, speakers_of(Path(args.valid_data)),
                               f"--valid-data {args.valid_data}", args.force_speaker_overlap)
    if cfg.classify.train_encoder_after is not None and cfg.classify.train_encoder_after > 0:
        cfg.train.find_unused_parameters = True  # the frozen phase leaves the encoder unused
    init_desc = ""

    def build():
        nonlocal init_desc
        model, init_desc = build_model(args.init, cfg, len(labels.classes), train_data)
        train_set = _dataset(train_data, model, labels, cfg)
        valid = _dataset(Path(args.valid_data), model, labels, cfg) if args.valid_data else None
        table = read_labels(train_data, target)
        train_ids = {u: labels.ids(table[u])[0] for u in train_set.utt_ids}
        labels.counts = [int(n) for n in np.bincount(list(train_ids.values()),
                                                     minlength=len(labels.classes))]
        if valid is not None:
            _warn_unseen(valid, labels)
        log.info("classifier of %s: %d classes (%s), %s from %s, %s pooling, %.2f M parameters "
                 "(%.2f M trained)", target, len(labels.classes), _class_counts(labels),
                 cfg.model.encoder, init_desc, cfg.model.pooling, stage.count_parameters(model) / 1e6,
                 stage.count_parameters(model, trained=True) / 1e6)
        return ClassificationTask(model, cfg, labels, train_ids), train_set, valid

    def report(trainer, summary) -> stage.StageReport:
        task = trainer.task
        lower = cfg.classify.valid_metric == "loss"
        weights, how = final_weights(exp, cfg.classify.valid_metric, 1, lower_is_better=lower)
        model = distributed.unwrap(task.model)
        model.load_state_dict(weights)
        save_checkpoint(exp / MODEL_FILE, model, KIND, labels=labels.to_info(),
                        train_speakers=sorted(train_speakers), source=how)
        (exp / "classes.txt").write_text("".join(f"{c} {n}\n" for c, n in zip(labels.classes, labels.counts)),
                                         encoding="utf-8")
        info = {
            "model": describe(cfg, model),
            "target": target,
            "init": args.init,
            "config": args.config,
            "updates": summary.get("updates"),
            "params": stage.count_parameters(model),
            "classes": len(labels.classes),
            "eval_model": f"{MODEL_FILE} = {how}",
        }
        (exp / MODEL_INFO).write_text(json.dumps(info, indent=2) + "\n")
        facts = {**info, "training utterances per class": _class_counts(labels),
                 "class imbalance": cfg.classify.balance}
        return stage.StageReport(f"Classification ({target})", facts,
                                 curves="loss, accuracy, macro_f1, lr, ...")

    return stage.run(args, cfg, "asrkit.classify", build, report)


def _warn_unseen(valid: FeatsDataset, labels: LabelSet) -> None:
    table = read_labels(valid.data_dir, labels.target)
    unseen = Counter(table[u].strip() for u in valid.utt_ids if labels.ids(table[u])[0] == UNSEEN)
    if unseen:
        log.warning("%s: labels training never saw are scored as wrong: %s", valid.data_dir,
                    ", ".join(f"{label} ({n})" for label, n in sorted(unseen.items())))


def _class_counts(labels: LabelSet) -> str:
    return ", ".join(f"{c} {n}" for c, n in zip(labels.classes, labels.counts))


def describe(cfg: ClassifyConfig, model: UtteranceClassifier) -> str:
    m = cfg.model
    if model.encoder is None:
        text = f"fbank {model.cfg.input_dim}"
    else:
        w = model.cfg.wav2vec2
        layer = "weighted layers" if m.weighted_layers else f"layer {m.layer}"
        text = f"wav2vec2 {w.encoder_layers}×{w.encoder_dim} ({layer})"
    return f"{text} + {m.pooling} pooling + MLP {list(m.hidden_dims)}"


# ----------------------------------------------------------------------------- evaluation


@dataclass
class Prediction:
    utt: str
    true: str
    predicted: str
    probabilities: list[float]


@torch.inference_mode()
def predict(model: UtteranceClassifier, dataset: FeatsDataset, labels: LabelSet,
            truth: dict[str, str], device: torch.device, batch_bins: int) -> list[Prediction]:
    """Every utterance's class probabilities, batched by length."""
    sampler = BucketBatchSampler(dataset.lengths, max(batch_bins, int(dataset.lengths.max())),
                                 shuffle=False, drop_uneven=False)
    loader = DataLoader(dataset, batch_sampler=sampler, collate_fn=dataset.collate)
    model.to(device)
    out = []
    for batch in loader:
        probs = model(batch.inputs.to(device), batch.lengths.to(device)).logits.float().softmax(-1).cpu()
        for utt, p in zip(batch.utt_ids, probs):
            out.append(Prediction(utt, truth[utt].strip(), labels.classes[int(p.argmax())], p.tolist()))
    return sorted(out, key=lambda r: r.utt)


def breakdowns(data_dir: Path, rows: list[Prediction], target: str) -> dict[str, dict[str, Any]]:
    """Accuracy per gender, language (and accent) where the data dir has those tables."""
    out = {}
    for kind in BREAKDOWNS:
        path = data_dir / f"utt2{kind}"
        if kind == target or not path.is_file():
            continue
        groups = load_table(path, allow_empty_value=True).values
        totals: Counter[str] = Counter()
        correct: Counter[str] = Counter()
        for r in rows:
            group = groups.get(r.utt, "").strip() or "unknown"
            totals[group] += 1
            correct[group] += r.true == r.predicted
        out[kind] = {g: {"utts": totals[g], "accuracy": correct[g] / totals[g]} for g in sorted(totals)}
    return out


def score(rows: list[Prediction], labels: LabelSet, data_dir: Path, excluded: Exclusions,
          total: int) -> dict[str, Any]:
    confusion = Confusion.of(((r.true, r.predicted) for r in rows), labels.classes)
    majority = labels.majority()
    baseline = Confusion.of(((r.true, majority) for r in rows), labels.classes)
    unseen = Counter(r.true for r in rows if r.true not in labels.classes)
    return {
        "target": labels.target,
        "data": str(data_dir),
        "num_utts": len(rows),
        **confusion.metrics(),
        "per_class": confusion.per_class(),
        "confusion": {"labels": confusion.labels, "counts": confusion.counts.tolist()},
        "majority_baseline": {"label": majority, **baseline.metrics()},
        "unseen_labels": dict(sorted(unseen.items())),
        "excluded": {"total": total, **excluded.counts()},
        "breakdown": breakdowns(data_dir, rows, labels.target),
    }


def result_text(result: dict[str, Any]) -> str:
    lines = [f"target: {result['target']}   data: {result['data']}   utterances: {result['num_utts']}",
             f"accuracy: {100 * result['accuracy']:.2f}%   macro-F1: {100 * result['macro_f1']:.2f}%",
             f"majority class ({result['majority_baseline']['label']}): accuracy "
             f"{100 * result['majority_baseline']['accuracy']:.2f}%, macro-F1 "
             f"{100 * result['majority_baseline']['macro_f1']:.2f}%"]
    if result["unseen_labels"]:
        lines.append("labels training never saw (scored wrong): "
                     + ", ".join(f"{k} ({n})" for k, n in result["unseen_labels"].items()))
    excluded = {k: v for k, v in result["excluded"].items() if k != "total"}
    if excluded:
        lines.append(f"left out of {result['excluded']['total']}: "
                     + ", ".join(f"{k} {n}" for k, n in excluded.items()))
    width = max(len(c) for c in result["per_class"]) if result["per_class"] else 5
    lines += ["", f"{'class'.ljust(width)}  precision  recall     F1  support"]
    for c, m in result["per_class"].items():
        lines.append(f"{c.ljust(width)}  {100 * m['precision']:9.2f}  {100 * m['recall']:6.2f}  "
                     f"{100 * m['f1']:5.2f}  {m['support']:7d}")
    for kind, groups in result["breakdown"].items():
        lines += ["", f"accuracy by {kind}:"]
        lines += [f"  {g}: {100 * v['accuracy']:.2f}% of {v['utts']}" for g, v in groups.items()]
    return "\n".join(lines) + "\n"


def write_predictions(path: Path, rows: list[Prediction], labels: LabelSet) -> None:
    header = "\t".join(["utt", "true", "predicted", *(f"p({c})" for c in labels.classes)])
    body = ["\t".join([r.utt, r.true, r.predicted, *(f"{p:.6f}" for p in r.probabilities)]) for r in rows]
    path.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")


def evaluate(args: argparse.Namespace) -> int:
    model_dir, data_dir, out = Path(args.model), Path(args.data), Path(args.out)
    model, ckpt = load_classifier(model_dir)
    labels = LabelSet.from_info(ckpt["labels"])
    if labels.target != "spk":
        check_speaker_disjoint(set(ckpt["train_speakers"]), speakers_of(data_dir),
                               f"--data {data_dir}", args.force_speaker_overlap)
    dataset = FeatsDataset(data_dir, min_length=model.min_input_length, targets=labels.table,
                           to_ids=labels.ids, keep=excluded_label)
    truth = read_labels(data_dir, labels.target)
    rows = predict(model, dataset, labels, truth, resolve_device(args.device), args.batch_bins)
    result = score(rows, labels, data_dir, dataset.exclusions, dataset.total)
    out.mkdir(parents=True, exist_ok=True)
    dataset.exclusions.write(out / "excluded_utts.txt")
    write_predictions(out / PREDICTIONS, rows, labels)
    confusion = Confusion(result["confusion"]["labels"], np.array(result["confusion"]["counts"]))
    (out / "confusion.txt").write_text(confusion.as_text(), encoding="utf-8")
    plot_confusion_matrix(confusion.counts, confusion.labels, out / "confusion.png",
                          title=f"{labels.target}: {data_dir.name} (recall per true class)")
    (out / CLASSIFY_SCORE).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    text = result_text(result)
    (out / "result.txt").write_text(text, encoding="utf-8")
    write_done(out)
    log.info("%s -> %s\n%s", data_dir, out, text)
    return 0


# ---------------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asrkit-classify", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a classifier (an experiment directory)")
    add_common_train_args(t)
    t.add_argument("--target", help="the label to predict: utt2<target> (accent, gender, lang, age, "
                   "spk); overrides classify.target")
    t.add_argument("--init", default="none",
                   help="stage-3/4 experiment or checkpoint, HF model dir, fairseq .pt, or 'none'")
    t.add_argument("--force-speaker-overlap", action="store_true",
                   help="train even when the validation set shares speakers with the training set")
    e = sub.add_parser("eval", help="score a trained classifier on a dump dir")
    e.add_argument("--model", required=True, help="experiment dir of asrkit-classify train (or its model.pt)")
    e.add_argument("--data", required=True, help="dumped data dir with utt2<target> and utt2spk")
    e.add_argument("--out", required=True, help="output directory")
    e.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    e.add_argument("--batch-bins", type=int, default=1_600_000,
                   help="max Σ padded length per batch, in the dump's unit")
    e.add_argument("--force-speaker-overlap", action="store_true",
                   help="score even when the data shares speakers with the training set")
    return p


def classify(args: argparse.Namespace) -> int:
    return train(args) if args.command == "train" else evaluate(args)


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser(), classify, argv)


if __name__ == "__main__":
    raise SystemExit(main())
