"""Stage 4: CTC fine-tuning (METHODS.md §3, §5, §6).

::

    asrkit-finetune --config conf/finetune_tiny.yaml --init exp/ssl_tiny/checkpoint_best.pt \\
        --train-data dump/raw/train --valid-data dump/raw/dev --exp-dir exp/asr_tiny

``--init`` says where the encoder starts:

* a stage-3 checkpoint (``exp/ssl_x/checkpoint_best.pt``) or any asrkit checkpoint;
* a Hugging Face wav2vec 2.0 directory (``config.json`` + weights) or a fairseq ``.pt``
  — cross-lingual transfer, e.g. from XLSR-53 or an English or Spanish model;
* ``none``: random initialisation of ``model.size`` (the no-pretraining baseline), or the
  fbank Conformer when ``model.encoder: conformer``.

fairseq-style fine-tuning: the feature encoder stays frozen, the Transformer is frozen for
the first ``finetune.freeze_encoder_updates`` updates, time and channel masks on the latent
features, layerdrop, a tri-stage LR, ``zero_infinity`` CTC. ``finetune.encoder_lr_scale``
gives a pretrained encoder a smaller LR than the CTC head (discriminative fine-tuning). Validation WER/CER (greedy)
every ``train.valid_interval`` updates keeps the best checkpoint, stops early after
``train.patience`` validations without improvement, and the best ``finetune.average_best``
checkpoints are averaged into ``model.pt``, the model stage 5 decodes with. With
``model.rvq.num_levels`` > 0 a residual vector quantizer sits between encoder and head.
A frozen feature encoder's latents are computed once per utterance and reused in later epochs
(``finetune.latent_cache_mb``; exact, see :mod:`asrkit.train.latent_cache`).
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
from asrkit import wer
from asrkit.cli import run_cli
from asrkit.data.augment import AugmentConfig, training_augment
from asrkit.models import save as save_checkpoint
from asrkit.models.conformer import ConformerConfig
from asrkit.models.ctc import KIND, CTCConfig, CTCModel
from asrkit.models.pretrained import FINETUNING_DEFAULTS, load_encoder
from asrkit.models.rvq import RVQConfig
from asrkit.models.streaming import Chunking, StreamingTraining
from asrkit.models.wav2vec2 import config_for
from asrkit.layout import MODEL_FILE, MODEL_INFO
from asrkit.model_input import record_spec
from asrkit.text.normalize import TextNormalizer
from asrkit.text.tokenizer import Tokenizer
from asrkit.train import FeatsDataset, StepOutput, Task, TrainConfig, distributed, stage
from asrkit.train.cli import add_common_train_args
from asrkit.train.checkpoint import final_weights
from asrkit.train.ctc import TokenizerConfig, alignable, greedy_error_counts, make_tokenizer
from asrkit.train.latent_cache import LatentCache

log = logging.getLogger("asrkit.finetune")



@dataclass
class ModelConfig:
    encoder: Literal["wav2vec2", "conformer"] = "wav2vec2"
    size: str = "tiny"  # wav2vec2 size when --init none
    # Wav2Vec2Config fields to set, on top of the size's or the init checkpoint's config:
    # fine-tuning masking (mask_time_prob, mask_channel_prob, ...), dropouts, layerdrop.
    wav2vec2: dict[str, Any] = field(default_factory=dict)
    conformer: ConformerConfig = field(default_factory=ConformerConfig)
    rvq: RVQConfig = field(default_factory=lambda: RVQConfig(num_levels=0))
    final_dropout: float = 0.0


@dataclass
class FinetuneOptions:
    freeze_feature_encoder: bool = True
    freeze_encoder_updates: int = 0  # Transformer frozen (only head/RVQ train) for this long
    zero_infinity: bool = True  # CTC: ignore impossible alignments instead of inf loss
    average_best: int = 1  # average the best K validated checkpoints into model.pt
    valid_metric: Literal["wer", "cer", "loss"] = "wer"
    latent_cache_mb: float = 2048.0  # frozen feature encoder's latents kept per utterance (0: off)
    # chunk-masked attention (dynamic chunk training) for streaming decoding; off by default
    streaming: StreamingTraining = field(default_factory=StreamingTraining)
    # A pretrained encoder trains at lr × this, the CTC head (and RVQ) at the full lr: a head
    # learning from nothing needs a large step that would wash out what pretraining learned.
    # Like freeze_*, it applies to pretrained encoders only (random weights train at the full lr).
    encoder_lr_scale: float = 1.0


@dataclass
class FinetuneConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    finetune: FinetuneOptions = field(default_factory=FinetuneOptions)
    train: TrainConfig = field(default_factory=TrainConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)  # training set only; off by default


def build_model(init: str, cfg: FinetuneConfig, vocab_size: int,
                cmvn: tuple[torch.Tensor, torch.Tensor] | None) -> tuple[CTCModel, str]:
    mcfg = cfg.model
    if mcfg.encoder == "conformer" and cfg.finetune.streaming.enabled:
        raise configlib.ConfigError("finetune.streaming: chunked attention is implemented for "
                                    "wav2vec 2.0 encoders, not model.encoder: conformer")
    if mcfg.encoder == "conformer":
        if init not in ("", "none"):
            raise configlib.ConfigError("model.encoder: conformer trains from scratch; use --init none")
        ctc_cfg = CTCConfig(vocab_size, "conformer", conformer=mcfg.conformer, rvq=mcfg.rvq,
                            final_dropout=mcfg.final_dropout)
        return CTCModel(ctc_cfg, cmvn), "random initialisation (fbank Conformer)"
    encoder, w2v_cfg, desc = load_encoder(init, mcfg.wav2vec2)
    if w2v_cfg is None:
        # fairseq's feature_grad_mult 0.1 is a pretraining setting: from scratch it would
        # slow the feature encoder's learning tenfold, so it trains at full rate unless set.
        w2v_cfg = config_for(mcfg.size, {**FINETUNING_DEFAULTS, "feature_grad_mult": 1.0,
                                         **mcfg.wav2vec2}, "model.wav2vec2")
    model = CTCModel(CTCConfig(vocab_size, "wav2vec2", wav2vec2=w2v_cfg, rvq=mcfg.rvq,
                               final_dropout=mcfg.final_dropout))
    if encoder is not None:
        model.encoder.load_state_dict(encoder.state_dict())
    elif (cfg.finetune.freeze_feature_encoder or cfg.finetune.freeze_encoder_updates
          or cfg.finetune.encoder_lr_scale != 1.0):
        # Frozen random weights would only add noise: a model trained from scratch trains all.
        log.info("random initialisation: the feature encoder and Transformer are trained from "
                 "the start at the full lr (finetune.freeze_* and encoder_lr_scale apply to "
                 "pretrained encoders only)")
        cfg.finetune.freeze_feature_encoder = False
        cfg.finetune.freeze_encoder_updates = 0
        cfg.finetune.encoder_lr_scale = 1.0
    if cfg.finetune.freeze_feature_encoder:
        model.encoder.freeze_feature_encoder()
    return model, desc


# ---------------------------------------------------------------------------------- the task


class CTCTask(Task):
    """CTC loss per target token (+ RVQ commitment), validation by greedy WER/CER."""

    kind = KIND

    def __init__(self, model: CTCModel, cfg: FinetuneConfig, tokenizer: Tokenizer):
        self.model = model
        self.model_config = model.cfg
        self.cfg = cfg
        self.tokenizer = tokenizer
        self.best_metric = cfg.finetune.valid_metric
        self.normalizer = TextNormalizer.from_spec(cfg.tokenizer.normalizer)
        self.encoder_frozen = False
        self.latent_caches: dict[str, LatentCache] = {}

    def latents(self, model: CTCModel, batch) -> torch.Tensor | None:
        """The frozen feature encoder's latents for ``batch`` through the cache of its data set
        (train when the model is training, valid otherwise), or None: computed in the model."""
        mb = self.cfg.finetune.latent_cache_mb
        if mb <= 0 or not LatentCache.applies_to(model.encoder):
            return None
        name = "train" if model.training else "valid"
        cache = self.latent_caches.get(name)
        if cache is None:
            cache = self.latent_caches[name] = LatentCache(mb, name)
        return cache(model.encoder, batch.utt_ids, batch.inputs, batch.lengths)

    def param_groups(self) -> list[dict] | None:
        scale = self.cfg.finetune.encoder_lr_scale
        if scale == 1.0:
            return None
        names = [f"encoder.{n}" for n, _ in distributed.unwrap(self.model).encoder.named_parameters()]
        return [{"params": names, "lr_scale": scale}]

    def on_update(self, num_updates: int) -> None:
        frozen = num_updates < self.cfg.finetune.freeze_encoder_updates
        if frozen != self.encoder_frozen:
            log.info("update %d: Transformer %s", num_updates, "frozen" if frozen else "now trained")
        self.encoder_frozen = frozen

    def chunking(self, model: CTCModel, batch, num_updates: int) -> Chunking | None:
        """The batch's chunked mode (``finetune.streaming``): drawn per update in training,
        fixed in validation; None (full context) by default."""
        streaming = self.cfg.finetune.streaming
        if not model.training:
            return streaming.validation()
        if not streaming.enabled:  # the default: no chunking, and no host read for it
            return None
        steps = int(model.output_lengths(torch.tensor(batch.inputs.shape[1])))
        return streaming.draw(self.cfg.train.seed, num_updates, steps)

    def step(self, batch, num_updates: int) -> StepOutput:
        bare = distributed.unwrap(self.model)
        chunking = self.chunking(bare, batch, num_updates)
        z = self.latents(bare, batch) if chunking is None else None  # cached latents: full context
        mask = bare.training  # time and channel masks are for training, never for validation
        if self.encoder_frozen:
            with torch.no_grad():
                hidden, hidden_lengths = bare.encode(batch.inputs, batch.lengths, mask=mask, z=z,
                                                     chunking=chunking)
            out = self.model(batch.inputs, batch.lengths, hidden=hidden, hidden_lengths=hidden_lengths)
        else:
            out = self.model(batch.inputs, batch.lengths, mask=mask, z=z, chunking=chunking)
        targets, target_lengths = batch.targets, batch.target_lengths
        ctc = F.ctc_loss(out.log_probs.transpose(0, 1), targets, out.lengths, target_lengths,
                         blank=self.tokenizer.blank_id, reduction="sum",
                         zero_infinity=self.cfg.finetune.zero_infinity)
        ntokens = target_lengths.sum()  # a device tensor: read once per update by the trainer
        loss = ctc
        logs: dict[str, float | torch.Tensor] = {"ctc": ctc.detach()}
        means = set()
        if out.rvq is not None:
            commit = self.cfg.model.rvq.commitment_weight * out.rvq.commitment_loss
            if not self.cfg.model.rvq.ema:
                commit = commit + self.cfg.model.rvq.codebook_weight * out.rvq.codebook_loss
            loss = loss + ntokens * commit
            logs["rvq_commit"] = out.rvq.commitment_loss.detach() * ntokens
            for level, ppl in enumerate(out.rvq.perplexity, 1):
                logs[f"rvq_ppl_{level}"] = ppl
                means.add(f"rvq_ppl_{level}")
            if bare.training and self.cfg.model.rvq.ema:
                # dead codes replaced over the interval; every rank replaced the same codes,
                # so one rank reports them
                replaced = torch.stack(out.rvq.replaced).sum() if out.rvq.replaced else 0.0
                logs["rvq_replaced"] = replaced if distributed.rank() == 0 else 0.0
        return StepOutput(loss, ntokens, logs, means=frozenset(means),
                          totals=frozenset({"rvq_replaced"} & set(logs)))

    def validate(self, loader) -> dict[str, float]:
        """Greedy decoding of this rank's validation shard: word and character error counts."""
        model = distributed.unwrap(self.model)
        chunking = self.cfg.finetune.streaming.validation()

        def log_probs_of(batch):
            z = self.latents(model, batch) if chunking is None else None
            out = model(batch.inputs, batch.lengths, z=z, chunking=chunking)
            return out.log_probs, out.lengths

        counts = greedy_error_counts(log_probs_of, loader, self.tokenizer, self.normalizer,
                                     next(model.parameters()).device)
        for cache in self.latent_caches.values():
            log.info(cache.summary())
        return counts

    def combine_validation(self, counts: dict[str, float]) -> dict[str, float]:
        return wer.error_rates_of(counts)

    def extra_state(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer.to_info()}


# ----------------------------------------------------------------------------- the stage


def _cmvn(train_data: Path) -> tuple[torch.Tensor, torch.Tensor] | None:
    stats = train_data / "cmvn.ark"
    if not stats.is_file():
        return None
    from asrkit.features import load_cmvn

    mean, std = load_cmvn(stats)
    return torch.as_tensor(mean, dtype=torch.float32), torch.as_tensor(std, dtype=torch.float32)


def _dataset(path: str, model: CTCModel, tok: Tokenizer, cfg: FinetuneConfig,
             augment=None) -> FeatsDataset:
    data = cfg.train.data
    return FeatsDataset(path, min_length=max(data.min_length, model.min_input_length),
                        max_length=data.max_length, crop=False, to_ids=tok.encode,
                        keep=alignable(model.output_lengths),
                        augment=augment, seed=cfg.train.seed)


def write_final_model(exp: Path, task: CTCTask, cfg: FinetuneConfig) -> tuple[Path, str]:
    """``model.pt``: the average of the best K checkpoints, or the best one."""
    weights, how = final_weights(exp, cfg.finetune.valid_metric, cfg.finetune.average_best)
    model = distributed.unwrap(task.model)
    model.load_state_dict(weights)
    path = save_checkpoint(exp / MODEL_FILE, model, KIND, tokenizer=task.tokenizer.to_info(), source=how)
    return path, how


def needs_unused_parameter_search(model: CTCModel, cfg: FinetuneConfig) -> bool:
    """True when some parameters get no gradient in some steps, which DDP must be told:
    layerdrop skips layers, a frozen Transformer phase skips the encoder, and without
    time masking the mask embedding is never used. Read from the built model, so a
    setting inherited from the init checkpoint counts too."""
    if cfg.finetune.freeze_encoder_updates > 0:
        return True
    w2v = model.cfg.wav2vec2 if model.cfg.encoder == "wav2vec2" else None
    return w2v is not None and (w2v.layerdrop > 0 or w2v.mask_time_prob <= 0)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asrkit-finetune", description=__doc__.split("\n\n")[0])
    add_common_train_args(p)
    p.add_argument("--init", default="none",
                   help="stage-3 checkpoint, HF model dir, fairseq .pt, or 'none' (random init)")
    return p


def finetune(args: argparse.Namespace) -> int:
    exp, train_data = Path(args.exp_dir), Path(args.train_data)
    cfg = configlib.load(FinetuneConfig, args.config, args.set)
    oov = ""

    def build():
        nonlocal oov
        tok = make_tokenizer(cfg.tokenizer, train_data, exp)
        model, init_desc = build_model(args.init, cfg, tok.vocab_size, _cmvn(train_data))
        if needs_unused_parameter_search(model, cfg) and not cfg.train.find_unused_parameters:
            log.info("layerdrop, a frozen phase or no time masking leave parameters unused in "
                     "some steps: DDP searches for them (train.find_unused_parameters)")
            cfg.train.find_unused_parameters = True
        task = CTCTask(model, cfg, tok)
        train = _dataset(args.train_data, model, tok, cfg, training_augment(cfg.augment))
        valid = _dataset(args.valid_data, model, tok, cfg) if args.valid_data else None
        oov = ", ".join(f"{c!r}×{n}" for c, n in sorted(tok.oov_counts.items(), key=lambda x: -x[1]))
        if oov:
            log.warning("characters outside the vocabulary mapped to <unk>: %s", oov)
        log.info("CTC model: %s encoder from %s, RVQ levels %d, vocabulary %d, %.2f M parameters "
                 "(%.2f M trained)", cfg.model.encoder, init_desc, cfg.model.rvq.num_levels,
                 tok.vocab_size, stage.count_parameters(model) / 1e6, stage.count_parameters(model, trained=True) / 1e6)
        return task, train, valid

    def report(trainer, summary) -> stage.StageReport:
        task = trainer.task
        model_path, how = write_final_model(exp, task, cfg)
        info = {
            "model": describe(cfg, trainer.model),
            "init": args.init,
            "config": args.config,
            "updates": summary.get("updates"),
            "params": stage.count_parameters(trainer.model),
            "tokenizer": f"{cfg.tokenizer.kind} ({task.tokenizer.vocab_size})",
            "decode_model": f"{model_path.name} = {how}",
        }
        if cfg.finetune.streaming.enabled:
            info["streaming"] = configlib.to_dict(cfg.finetune.streaming)
        (exp / MODEL_INFO).write_text(json.dumps(info, indent=2) + "\n")
        record_spec(train_data, exp)  # the features transcription must compute
        facts = dict(info)
        if oov:
            facts["characters outside the vocabulary, mapped to <unk>"] = oov
        return stage.StageReport("CTC fine-tuning", facts)

    return stage.run(args, cfg, "asrkit.finetune", build, report,
                     prepare=lambda: make_tokenizer(cfg.tokenizer, train_data, exp))


def describe(cfg: FinetuneConfig, model: CTCModel) -> str:
    if cfg.model.encoder == "conformer":
        c = model.cfg.conformer
        text = f"fbank Conformer {c.num_layers}×{c.dim}"
    else:
        w = model.cfg.wav2vec2
        text = f"wav2vec2 {w.encoder_layers}×{w.encoder_dim}"
    if cfg.model.rvq.num_levels:
        text += f" + RVQ L={cfg.model.rvq.num_levels}×{cfg.model.rvq.codebook_size}"
    return text + " + CTC"


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser(), finetune, argv)


if __name__ == "__main__":
    raise SystemExit(main())
