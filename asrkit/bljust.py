"""Stage 4 (--train-mode bljust): BL-JUST, bilevel joint SSL + CTC training (METHODS.md §4).

::

    asrkit-bljust --config conf/bljust_tiny.yaml --init none \\
        --train-data dump/fbank/train --unlabeled-data dump/fbank/unlabeled \\
        --valid-data dump/fbank/dev --exp-dir exp/asr_bljust_tiny_scratch

One experiment, three phases (the ``bljust:`` section, :mod:`asrkit.train.bilevel`):

1. exploration: L_SSL on unlabeled batches (wav2vec 2.0's contrastive task). With ``--init``
   a stage-3 checkpoint, that pretraining was the exploration and this phase is skipped;
2. joint: every update reads one unlabeled and one labeled batch and updates
   θ (encoder) ← ∇θ[L_CTC + γ·L_SSL], ψ (SSL head) ← ∇ψ L_SSL, φ (CTC head) ← ∇φ L_CTC,
   with γ rising from γ_0 to γ_max (:mod:`asrkit.models.bljust` says how one backward does it);
3. final: CTC only, at a low lr (``bljust.final.updates: 0`` turns it off).

``train:`` batches the labeled stream, ``unlabeled_data:`` the unlabeled one; the shared
trainer reads both (each with its own sampler, epoch and position, resumed exactly). The
experiment ends as a fine-tuned one: ``model.pt`` (the CTC model: the best
``bljust.average_best`` checkpoints by dev ``valid_metric``, averaged), ``tokenizer/``,
``feature_config.yaml`` and ``model_info.json``, which stages 5-6 decode and score unchanged.
``summary.md`` adds the phases, the forward/backward passes (a joint update counts 2) and
the SSL side's collapse check; ``images/`` holds ctc, ssl, gamma, cer/wer and
code_perplexity curves.

The penalty form γ·(L_SSL − v*) has a constant v*: it changes no gradient. ``bljust.v_star``
(an estimate, e.g. stage 3's final loss) only adds the logged gap ``ssl_gap``.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F

from asrkit import config as configlib
from asrkit.checkpoint import CheckpointError, load_weights
from asrkit.cli import run_cli
from asrkit.data import DataDir
from asrkit.data.ops import shared_speakers
from asrkit.layout import MODEL_FILE, MODEL_INFO
from asrkit.model_input import DUMP_CONFIG, check_same, read_spec, record_spec
from asrkit.models import load as load_checkpoint
from asrkit.models import save as save_checkpoint
from asrkit.models.bljust import KIND, BLJustModel, model_config
from asrkit.models.ctc import KIND as CTC_KIND
from asrkit.models.ctc import CTCConfig
from asrkit.models.masking import min_input_length
from asrkit.models.objectives import PreTrainingLossConfig
from asrkit.models.rvq import RVQConfig
from asrkit.models.wav2vec2 import Wav2Vec2Config, config_for
from asrkit.text.normalize import TextNormalizer
from asrkit.train import DataConfig, FeatsDataset, StepOutput, Task, TrainConfig, distributed, stage
from asrkit.train.bilevel import BilevelConfig, Plan
from asrkit.train.checkpoint import final_weights
from asrkit.train.cli import add_common_train_args
from asrkit.train.collapse import CollapseConfig, collapse_warnings
from asrkit.train.ctc import TokenizerConfig, alignable, greedy_error_counts, make_tokenizer
from asrkit.train.datasets import JointBatch
from asrkit.train.logbook import read_metrics

log = logging.getLogger("asrkit.bljust")

#: Wav2Vec2Config fields that say how a pass masks (the rest is the shared encoder's).
MASK_FIELDS = ("mask_time_prob", "mask_time_length", "mask_time_min_masks", "mask_channel_prob",
               "mask_channel_length", "mask_channel_min_masks")


@dataclass
class ModelConfig:
    size: str = "tiny"  # wav2vec2 size with --init none
    # Wav2Vec2Config fields of the shared encoder, on top of the size's (or the init
    # checkpoint's) config: front end, dropouts, layerdrop, Gumbel temperature
    wav2vec2: dict[str, Any] = field(default_factory=dict)
    # how each pass masks: the SSL pass as pretraining does, the CTC pass as fine-tuning does
    ssl_masking: dict[str, Any] = field(default_factory=lambda: {
        "mask_time_prob": 0.65, "mask_time_length": 10, "mask_channel_prob": 0.0})
    ctc_masking: dict[str, Any] = field(default_factory=lambda: {
        "mask_time_prob": 0.0, "mask_channel_prob": 0.0})
    rvq: RVQConfig = field(default_factory=lambda: RVQConfig(num_levels=0))
    final_dropout: float = 0.0


@dataclass
class Options:
    average_best: int = 1  # average the best K validated checkpoints into model.pt
    valid_metric: Literal["wer", "cer", "loss"] = "wer"
    zero_infinity: bool = True  # CTC: ignore impossible alignments instead of inf loss


@dataclass
class BLJustConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: PreTrainingLossConfig = field(default_factory=PreTrainingLossConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    bljust: BilevelConfig = field(default_factory=BilevelConfig)
    options: Options = field(default_factory=Options)
    # the labeled stream: train.data; train.max_updates is the phases' sum (set by the stage)
    train: TrainConfig = field(default_factory=TrainConfig)
    # the unlabeled stream's batching (batch_bins, max_length, crop, min_length)
    unlabeled_data: DataConfig = field(default_factory=lambda: DataConfig(max_length=250000))
    collapse: CollapseConfig = field(default_factory=CollapseConfig)


# ---------------------------------------------------------------------------------- the model


def _masking(section: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = sorted(set(section) - set(MASK_FIELDS))
    if unknown:
        raise configlib.ConfigError(f"{where}: {', '.join(unknown)} not masking fields "
                                    f"({', '.join(MASK_FIELDS)}); encoder settings go in model.wav2vec2")
    return dict(section)


def _with(cfg: Wav2Vec2Config, fields: dict[str, Any], where: str) -> Wav2Vec2Config:
    try:
        return configlib.from_dict(Wav2Vec2Config, {**configlib.to_dict(cfg), **fields}, where)
    except ValueError as e:
        raise configlib.ConfigError(f"{where}: {e}") from None


def build_model(init: str, cfg: BLJustConfig, vocab_size: int) -> tuple[BLJustModel, str, int]:
    """The joint model, where its encoder came from, and the init checkpoint's updates (which
    continue its Gumbel temperature schedule)."""
    m = cfg.model
    ssl_mask = _masking(m.ssl_masking, "model.ssl_masking")
    ctc_mask = _masking(m.ctc_masking, "model.ctc_masking")
    pretrained, updates = None, 0
    if init in ("", "none"):
        base = config_for(m.size, m.wav2vec2, "model.wav2vec2")
        desc = "random initialisation"
    else:
        path = Path(init)
        if not path.is_file():
            raise CheckpointError(f"--init {init}: no such file (a stage-3 checkpoint, or none)")
        pretrained, ckpt = load_checkpoint(path)
        if ckpt["kind"] != "wav2vec2_pretrain":
            raise CheckpointError(
                f"--init {init}: a {ckpt['kind']!r} checkpoint; BL-JUST continues a stage-3 "
                "pretraining (kind 'wav2vec2_pretrain': it has the SSL head) or starts from none")
        base = _with(pretrained.cfg, m.wav2vec2, "model.wav2vec2")
        updates = int(ckpt.get("num_updates") or 0)
        desc = f"stage-3 checkpoint {path} (update {updates})"
    ssl_cfg = _with(base, ssl_mask, "model.ssl_masking")
    ctc_cfg = CTCConfig(vocab_size, "wav2vec2", wav2vec2=_with(base, ctc_mask, "model.ctc_masking"),
                        rvq=m.rvq, final_dropout=m.final_dropout)
    model = BLJustModel(ctc_cfg, ssl_cfg, cfg.loss)
    if pretrained is not None:
        load_weights(model.ssl, pretrained.state_dict(), f"--init {init}",
                     hint="model.wav2vec2 changes the architecture: keep only dropouts, layerdrop "
                          "and the Gumbel temperature there")
    return model, desc, updates


# ----------------------------------------------------------------------------------- the task


class BLJustTask(Task):
    """One update of the phase ``plan`` says: SSL, joint or CTC. A joint step's loss is
    ``L_CTC + n_tokens · (L_SSL − n_masked·v*) / n_masked`` with ``sample_size = n_tokens``:
    after the trainer divides by the tokens, θ gets ∇[L_CTC/token + γ·L_SSL/frame] (γ enters
    through the model), ψ and φ their own losses' gradients; CTC alone is stage 4's."""

    kind = KIND

    def __init__(self, model: BLJustModel, cfg: BLJustConfig, tokenizer, plan: Plan, gumbel_offset: int = 0):
        self.model = model
        self.model_config = model_config(model)
        self.cfg = cfg
        self.tokenizer = tokenizer
        self.plan = plan
        self.gumbel_offset = gumbel_offset
        self.best_metric = cfg.options.valid_metric
        self.normalizer = TextNormalizer.from_spec(cfg.tokenizer.normalizer)
        self.v_star = cfg.bljust.v_star
        self.phase = plan.phase_at(0)

    def streams(self, num_updates: int) -> tuple[str, ...]:
        return {"explore": ("unlabeled",), "joint": ("labeled", "unlabeled"),
                "final": ("labeled",)}[self.plan.phase_at(num_updates)]

    def lr_factor(self, update: int) -> float:
        return self.plan.lr_factor(update)

    def on_update(self, num_updates: int) -> None:
        phase = self.plan.phase_at(num_updates)
        if phase != self.phase:
            log.info("update %d: %s phase", num_updates + 1, phase)
        self.phase = phase
        distributed.unwrap(self.model).set_num_updates(num_updates + self.gumbel_offset)

    def _ctc(self, out, batch) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
        ctc = F.ctc_loss(out.log_probs.transpose(0, 1), batch.targets, out.lengths, batch.target_lengths,
                         blank=self.tokenizer.blank_id, reduction="sum",
                         zero_infinity=self.cfg.options.zero_infinity)
        ntokens = batch.target_lengths.sum()
        loss, logs = ctc, {"ctc": ctc.detach() / ntokens}
        rvq = self.cfg.model.rvq
        if out.rvq is not None:
            commit = rvq.commitment_weight * out.rvq.commitment_loss
            if not rvq.ema:
                commit = commit + rvq.codebook_weight * out.rvq.codebook_loss
            loss = loss + ntokens * commit
            logs["rvq_commit"] = out.rvq.commitment_loss.detach()
            for level, ppl in enumerate(out.rvq.perplexity, 1):
                logs[f"rvq_ppl_{level}"] = ppl
        return loss, ntokens, logs

    def _ssl_logs(self, ssl) -> dict[str, Any]:
        logs = {k: v for k, v in ssl.logs.items() if k != "num_masked"}
        logs["ssl"] = ssl.loss.detach() / ssl.sample_size
        if self.v_star is not None:
            logs["ssl_gap"] = logs["ssl"] - self.v_star
        return logs

    def step(self, batch: JointBatch, num_updates: int) -> StepOutput:
        phase = self.plan.phase_at(num_updates)
        gamma = self.plan.gamma_at(num_updates) if phase == "joint" else None
        unlabeled = labeled = None
        if batch.unlabeled is not None:
            unlabeled = (batch.unlabeled.inputs, batch.unlabeled.lengths)
        if batch.labeled is not None:
            labeled = (batch.labeled.inputs, batch.labeled.lengths)
        ssl, out = self.model(unlabeled, labeled, gamma=gamma, mask=True)
        logs: dict[str, Any] = {}
        if ssl is not None:
            logs.update(self._ssl_logs(ssl))
        if phase == "explore":
            return StepOutput(ssl.loss, ssl.sample_size, logs, means=frozenset(logs))
        loss, ntokens, ctc_logs = self._ctc(out, batch.labeled)
        logs.update(ctc_logs)
        if ssl is not None:
            penalty = ssl.loss - ssl.sample_size * self.v_star if self.v_star is not None else ssl.loss
            loss = loss + ntokens * penalty / ssl.sample_size
            logs["gamma"] = gamma
        return StepOutput(loss, ntokens, logs, means=frozenset(logs))

    def valid_step(self, batch, num_updates: int) -> StepOutput:
        """Dev CTC loss, and dev L_SSL (masked as in training, from the trainer's fixed seed)."""
        ssl, out = self.model((batch.inputs, batch.lengths), (batch.inputs, batch.lengths), mask=False)
        loss, ntokens, logs = self._ctc(out, batch)
        logs.update(self._ssl_logs(ssl))
        return StepOutput(loss, ntokens, logs, means=frozenset(logs))

    def validate(self, loader) -> dict[str, float]:
        model = distributed.unwrap(self.model)
        device = next(model.parameters()).device

        def log_probs(batch):
            out = model.ctc_forward(batch.inputs, batch.lengths)
            return out.log_probs, out.lengths

        return greedy_error_counts(log_probs, loader, self.tokenizer, self.normalizer, device)

    def combine_validation(self, counts: dict[str, float]) -> dict[str, float]:
        from asrkit import wer

        return wer.error_rates_of(counts)

    def extra_state(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer.to_info()}


# ---------------------------------------------------------------------------------- the stage


def check_streams(labeled: Path, unlabeled: Path, frontend: str) -> None:
    """Both dumps must hold one feature type, the one the encoder reads."""
    units = {"waveform": "raw", "fbank": "fbank"}
    for path in (labeled, unlabeled):
        if (path / DUMP_CONFIG).is_file():
            kind = read_spec(path / DUMP_CONFIG).type
            if kind != units[frontend]:
                raise ValueError(f"{path} holds {kind} features but the encoder's front end is "
                                 f"{frontend} (model.wav2vec2.frontend); dump with --feats-type "
                                 f"{units[frontend]} or change the front end")
    if (labeled / DUMP_CONFIG).is_file():
        check_same(read_spec(labeled / DUMP_CONFIG), unlabeled, f"the labeled set {labeled}")


def speaker_overlap(train: Path, held_out: list[Path]) -> list[str]:
    """Warnings for held-out sets (dev, test) that share speakers with the labeled set."""
    mine = DataDir.read(train)
    others = [DataDir.read(p) for p in map(Path, held_out) if (p / "utt2spk").is_file()]
    return [f"the labeled set {train} shares {len(spk)} speaker(s) with {where} ({', '.join(spk[:5])}"
            f"{' ...' if len(spk) > 5 else ''}): scores there will be optimistic"
            for where, spk in shared_speakers(mine, others).items()]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asrkit-bljust", description=__doc__.split("\n\n")[0])
    add_common_train_args(p)
    p.add_argument("--unlabeled-data", required=True, help="dumped unlabeled data dir (the SSL stream)")
    p.add_argument("--init", default="none",
                   help="a stage-3 checkpoint (the exploration phase is then skipped), or 'none'")
    p.add_argument("--held-out-data", action="append", default=[], type=Path, metavar="DIR",
                   help="a test set: warn when the labeled set shares its speakers (repeatable; "
                        "--valid-data is checked too)")
    return p


def bljust(args: argparse.Namespace) -> int:
    exp, train_data, unlabeled_data = Path(args.exp_dir), Path(args.train_data), Path(args.unlabeled_data)
    cfg = configlib.load(BLJustConfig, args.config, args.set)
    if args.init not in ("", "none") and cfg.bljust.explore.updates:
        log.info("--init %s: stage 3 was the exploration; bljust.explore.updates %d -> 0",
                 args.init, cfg.bljust.explore.updates)
        cfg.bljust.explore.updates = 0
    Plan(cfg.bljust)  # every config error before anything runs
    cfg.train.max_updates = sum(getattr(cfg.bljust, n).updates for n in ("explore", "joint", "final"))
    plan: Plan | None = None
    passes = 0

    def build():
        nonlocal plan, passes
        tok = make_tokenizer(cfg.tokenizer, train_data, exp)
        model, init_desc, offset = build_model(args.init, cfg, tok.vocab_size)
        encoder = model.ctc.encoder.cfg
        check_streams(train_data, unlabeled_data, encoder.frontend)
        # exploration leaves φ without a gradient, the final phase ψ: DDP must look for them
        cfg.train.find_unused_parameters = True
        if distributed.from_env().rank == 0:
            for warning in speaker_overlap(train_data, [p for p in (args.valid_data, *args.held_out_data) if p]):
                log.warning("%s", warning)
        data = cfg.train.data
        keep = alignable(model.ctc.output_lengths)
        ctc_min = max(data.min_length, model.ctc.min_input_length)

        def labeled(path):
            return FeatsDataset(path, min_length=ctc_min, max_length=data.max_length, crop=False,
                                to_ids=tok.encode, keep=keep, seed=cfg.train.seed)

        train = labeled(train_data)
        u = cfg.unlabeled_data
        unlabeled = FeatsDataset(unlabeled_data, name="unlabeled",
                                 min_length=max(u.min_length, min_input_length(model.ssl.cfg)),
                                 max_length=u.max_length, crop=u.crop, seed=cfg.train.seed)
        valid = None
        if args.valid_data:
            valid = FeatsDataset(args.valid_data, min_length=max(ctc_min, min_input_length(model.ssl.cfg)),
                                 max_length=data.max_length, crop=False, to_ids=tok.encode, keep=keep)
        bins = data.batch_bins or int(data.max_duration / train.seconds_per_unit)
        per_epoch = _batches_per_epoch(train, bins, cfg.train, distributed.from_env().world_size)
        plan = Plan(cfg.bljust, max(1, per_epoch // cfg.train.accum_grad))
        passes = plan.passes(cfg.train.accum_grad)
        for warning in plan.warnings():
            log.warning("%s", warning)
        log.info("BL-JUST (%s): %s; %d forward/backward passes", init_desc, plan.describe(), passes)
        log.info("model: %.2f M parameters (θ %s, ψ %s, φ %s)", stage.count_parameters(model) / 1e6,
                 *(f"{_count(model, names) / 1e6:.2f} M" for names in model.parts().values()))
        task = BLJustTask(model, cfg, tok, plan, offset)
        return task, train, valid, {"unlabeled": unlabeled, "unlabeled_data": cfg.unlabeled_data}

    def report(trainer, summary) -> stage.StageReport:
        task = trainer.task
        model = distributed.unwrap(task.model)
        weights, how = final_weights(exp, cfg.options.valid_metric, cfg.options.average_best)
        model.load_state_dict(weights)
        path = save_checkpoint(exp / MODEL_FILE, model.ctc_model(), CTC_KIND,
                               tokenizer=task.tokenizer.to_info(), source=how)
        w = model.ctc.encoder.cfg
        info = {
            "model": f"wav2vec2 {w.encoder_layers}×{w.encoder_dim}"
                     + (f" + RVQ L={cfg.model.rvq.num_levels}" if cfg.model.rvq.num_levels else "")
                     + " + CTC (BL-JUST)",
            "init": args.init,
            "config": args.config,
            "updates": summary.get("updates"),
            "passes": passes,
            "phases": plan.describe(),
            "params": stage.count_parameters(model.ctc_model()),
            "tokenizer": f"{cfg.tokenizer.kind} ({task.tokenizer.vocab_size})",
            "decode_model": f"{path.name} = {how}",
        }
        (exp / MODEL_INFO).write_text(json.dumps(info, indent=2) + "\n")
        record_spec(train_data, exp)
        ssl = model.ssl.cfg
        last_ssl = next((r for r in reversed(read_metrics(exp)) if r["split"] == "train"
                         and "contrastive" in r), {})
        warnings = collapse_warnings(last_ssl, cfg.loss.num_negatives,
                                     ssl.num_codevector_groups * ssl.num_codevectors_per_group,
                                     cfg.collapse)
        for w_ in warnings:
            log.warning("COLLAPSE CHECK: %s", w_)
        check = ["## Collapse check (SSL side, last logged SSL update)", "",
                 *([f"- **WARNING**: {w_}" for w_ in warnings]
                   or ["- ok: the loss left chance and the codebook is in use"])]
        facts = dict(info)
        facts["unlabeled data"] = f"{unlabeled_data} ({summary.get('unlabeled_utterances')} utterances, "\
                                  f"{summary.get('unlabeled_epochs')} epochs)"
        if cfg.bljust.v_star is not None:
            facts["v*"] = f"{cfg.bljust.v_star:g} (constant: it changes no gradient; logged as ssl_gap)"
        return stage.StageReport("BL-JUST (joint SSL + CTC)", facts, sections=["\n".join(check)],
                                 curves="ctc, ssl, gamma, cer, wer, code_perplexity, lr, ...")

    return stage.run(args, cfg, "asrkit.bljust", build, report,
                     prepare=lambda: make_tokenizer(cfg.tokenizer, train_data, exp))


def _count(model: torch.nn.Module, names: list[str]) -> int:
    params = dict(model.named_parameters())
    return sum(params[n].numel() for n in names)


def _batches_per_epoch(train: FeatsDataset, bins: int, tcfg: TrainConfig, world_size: int) -> int:
    """Labeled batches one rank reads in an epoch (what a γ per epoch counts)."""
    from asrkit.train.sampler import BucketBatchSampler

    sampler = BucketBatchSampler(train.lengths, bins, max_batch_size=tcfg.data.max_batch_size,
                                 seed=tcfg.seed, world_size=world_size)
    return len(sampler.batches(0))


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser(), bljust, argv)


if __name__ == "__main__":
    raise SystemExit(main())
