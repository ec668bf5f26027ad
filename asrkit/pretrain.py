"""Stage 3: wav2vec 2.0 self-supervised pretraining (METHODS.md §1–2).

::

    asrkit-pretrain --config conf/pretrain_tiny.yaml \\
        --train-data dump/raw/unlabeled --valid-data dump/raw/dev --exp-dir exp/ssl_tiny

trains :class:`~asrkit.models.wav2vec2.Wav2Vec2ForPreTraining` (contrastive + diversity
loss, Gumbel product quantizer, optional ICSL) with the shared trainer, and writes to the
experiment directory: ``config.yaml``, checkpoints, ``log/metrics.jsonl``, tensorboard
events, PNG curves in ``images/``, and ``summary.md`` (data hours, updates, final losses,
perplexity, throughput, collapse verdict). ``--init-from ckpt`` starts a new phase from
another run's weights with this config's LR schedule; a killed run resumes from
``checkpoint_last.pt`` when started again. ``--ngpu N`` trains N processes with DDP.
"""

from __future__ import annotations

import argparse
import logging
import math
from dataclasses import dataclass, field
from typing import Any

from asrkit import config as configlib
from asrkit.cli import run_cli
from asrkit.models import wav2vec2
from asrkit.models.masking import min_input_length
from asrkit.models.objectives import PreTrainingLossConfig
from asrkit.models.quantizer import within_group_cosine
from asrkit.train import FeatsDataset, StepOutput, Task, TrainConfig, distributed, stage
from asrkit.train.cli import add_common_train_args
from asrkit.train.collapse import CollapseConfig, collapse_warnings

log = logging.getLogger("asrkit.pretrain")

KIND = "wav2vec2_pretrain"


@dataclass
class PretrainConfig:
    # ``size`` names a wav2vec2 size (tiny, small, base, large); any other key overrides a
    # field of :class:`~asrkit.models.wav2vec2.Wav2Vec2Config`.
    model: dict[str, Any] = field(default_factory=lambda: {"size": "tiny"})
    loss: PreTrainingLossConfig = field(default_factory=PreTrainingLossConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    collapse: CollapseConfig = field(default_factory=CollapseConfig)
    # The Gumbel temperature τ (model.gumbel_temperature = τ_max, τ_min, decay per update)
    # reaches τ_min after this fraction of train.max_updates: the decay is derived from the
    # run's length. fairseq's decay 0.999995 was made for 400k updates (τ 2 -> 0.5 after 277k
    # of them, a fraction of 0.69); in a run of a few thousand updates it leaves τ at ~2, the
    # codevector choice near random. null keeps the decay as given.
    gumbel_anneal_fraction: float | None = None


def model_config(section: dict[str, Any]) -> wav2vec2.Wav2Vec2Config:
    """A :class:`Wav2Vec2Config` from a ``model:`` section (named size + field overrides)."""
    section = dict(section)
    size = section.pop("size", PretrainConfig().model["size"])
    return wav2vec2.config_for(size, section, "model")


def anneal_gumbel(cfg: PretrainConfig, mcfg: wav2vec2.Wav2Vec2Config) -> str | None:
    """Set the per-update decay of τ from the run's length (``gumbel_anneal_fraction``).

    Returns a warning when τ, as configured, ends the run far above τ_min.
    """
    start, end, decay = mcfg.gumbel_temperature
    updates = cfg.train.max_updates
    if cfg.gumbel_anneal_fraction is not None:
        if not 0 < cfg.gumbel_anneal_fraction <= 1:
            raise configlib.ConfigError(
                f"gumbel_anneal_fraction {cfg.gumbel_anneal_fraction} is not in (0, 1]")
        decay = (end / start) ** (1 / max(1.0, cfg.gumbel_anneal_fraction * updates))
        mcfg.gumbel_temperature = (start, end, decay)
        return None
    final = max(start * decay**updates, end)
    if final > end + 0.5 * (start - end):
        return (f"the Gumbel temperature only falls from {start:g} to {final:.2f} in "
                f"{updates} updates (τ_min {end:g}, decay {decay:g} per update): set "
                "gumbel_anneal_fraction (e.g. 0.7) to scale the schedule to this run")
    return None


def gumbel_schedule(mcfg: wav2vec2.Wav2Vec2Config, updates: int) -> str:
    start, end, decay = mcfg.gumbel_temperature
    reached = math.ceil(math.log(end / start) / math.log(decay)) if decay < 1 else None
    final = max(start * decay**updates, end)
    return (f"{start:g} -> {end:g}, decay {decay:.6g} per update: "
            + (f"τ_min at update {reached}" if reached is not None and reached <= updates
               else f"{final:.2f} at the end ({updates} updates)"))


class PretrainTask(Task):
    """The trainer's view of wav2vec 2.0 pretraining."""

    kind = KIND
    # Batch-level diagnostics are averaged over steps, not weighted by masked frames.
    means = frozenset({"diversity", "icsl", "feature_pen", "code_perplexity", "prob_perplexity",
                       "temperature", "cos_within", "cos_between", "codes_used",
                       "codevectors_distinct"})

    def __init__(self, model: wav2vec2.Wav2Vec2ForPreTraining, model_cfg: wav2vec2.Wav2Vec2Config):
        self.model = model
        self.model_config = model_cfg

    def step(self, batch, num_updates: int) -> StepOutput:
        out = self.model(batch.inputs, batch.lengths)
        n = out.sample_size
        logs = dict(out.logs)
        # Per-frame quantities become sums so the trainer reports their mean per masked frame.
        logs["contrastive"] *= n
        logs["accuracy"] *= n
        del logs["num_masked"]
        return StepOutput(out.loss, n, logs, means=self.means)

    def on_update(self, num_updates: int) -> None:
        distributed.unwrap(self.model).set_num_updates(num_updates)


def collapse_verdict(summary: dict[str, Any], cfg: PretrainConfig, mcfg: wav2vec2.Wav2Vec2Config,
                     initial_cos_within: float = 0.0) -> list[str]:
    """Warnings for a run whose codebook collapsed or whose loss never left chance
    (:func:`asrkit.train.collapse.collapse_warnings`); ``initial_cos_within``: the codebook's
    within-group cosine at initialization."""
    advice = (f"; ICSL weighs {cfg.loss.icsl_weight} in its signed form, whose minimum is this "
              "collapse: use loss.icsl_form=squared"
              if cfg.loss.icsl_weight and cfg.loss.icsl_form == "signed" else "")
    codes = mcfg.num_codevector_groups * mcfg.num_codevectors_per_group
    return collapse_warnings(summary.get("train") or {}, cfg.loss.num_negatives, codes,
                             cfg.collapse, initial_cos_within, advice)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asrkit-pretrain", description=__doc__.split("\n\n")[0])
    add_common_train_args(p)
    return p


def pretrain(args: argparse.Namespace) -> int:
    cfg = configlib.load(PretrainConfig, args.config, args.set)
    mcfg = model_config(cfg.model)
    if (warning := anneal_gumbel(cfg, mcfg)) is not None:
        log.warning("%s", warning)
    if mcfg.layerdrop > 0:  # a dropped layer's parameters get no gradient: DDP must know
        cfg.train.find_unused_parameters = True
    raw = mcfg.frontend == "waveform"
    min_len = max(cfg.train.data.min_length, min_input_length(mcfg))

    def dataset(path: str) -> FeatsDataset:
        data = cfg.train.data
        return FeatsDataset(path, min_length=min_len, max_length=data.max_length,
                            crop=data.crop, seed=cfg.train.seed)

    initial = {}  # the codebooks' within-group cosine at initialization, for the collapse check

    def build():
        model = wav2vec2.Wav2Vec2ForPreTraining(mcfg, cfg.loss)
        initial["cos_within"] = float(within_group_cosine(model.quantizer.codevectors.detach()))
        log.info("wav2vec 2.0 (%s front end, %d layers × %d, G=%d × V=%d): %.2f M parameters",
                 mcfg.frontend, mcfg.encoder_layers, mcfg.encoder_dim, mcfg.num_codevector_groups,
                 mcfg.num_codevectors_per_group, stage.count_parameters(model) / 1e6)
        log.info("training data %s (min length %d %s), experiment %s", args.train_data, min_len,
                 "samples" if raw else "frames", args.exp_dir)
        valid = dataset(args.valid_data) if args.valid_data else None
        return PretrainTask(model, mcfg), dataset(args.train_data), valid

    def report(trainer, summary) -> stage.StageReport:
        warnings = collapse_verdict(summary, cfg, mcfg, initial.get("cos_within", 0.0))
        for w in warnings:
            log.warning("COLLAPSE CHECK: %s", w)
        return describe(cfg, mcfg, stage.count_parameters(trainer.model), warnings)

    return stage.run(args, cfg, "asrkit.pretrain", build, report)


def describe(cfg: PretrainConfig, mcfg: wav2vec2.Wav2Vec2Config, n_params: int,
             warnings: list[str]) -> stage.StageReport:
    chance = math.log(cfg.loss.num_negatives + 1)
    check = ["## Collapse check", "",
             *([f"- **WARNING**: {w}" for w in warnings]
               or ["- ok: the loss left chance, the codebook is in use and its codevectors "
                   "stay apart"])]
    return stage.StageReport(
        title="wav2vec 2.0 pretraining",
        facts={
            "model": f"{mcfg.frontend} front end, {mcfg.encoder_layers} layers × {mcfg.encoder_dim}, "
                     f"{'pre' if mcfg.layer_norm_first else 'post'}-LN, quantizer "
                     f"G={mcfg.num_codevector_groups} × V={mcfg.num_codevectors_per_group} "
                     f"({mcfg.codevector_init} init), "
                     f"{n_params / 1e6:.2f} M parameters",
            "loss": f"contrastive (K={cfg.loss.num_negatives}, κ={cfg.loss.logit_temp}, chance "
                    f"ln(K+1)={chance:.3f}) + {cfg.loss.diversity_weight}·diversity + "
                    f"{cfg.loss.feature_pen_weight}·feature penalty"
                    + (f" + {cfg.loss.icsl_weight}·ICSL ({cfg.loss.icsl_form})"
                       if cfg.loss.icsl_weight else ""),
            "Gumbel τ": gumbel_schedule(mcfg, cfg.train.max_updates),
        },
        sections=["\n".join(check)],
        curves="loss, contrastive, diversity, code_perplexity, cos_within, temperature, lr, ...",
    )


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser(), pretrain, argv)


if __name__ == "__main__":
    raise SystemExit(main())
