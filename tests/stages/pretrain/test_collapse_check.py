"""The collapse check sees codevector collapse, which code perplexity cannot."""

from __future__ import annotations

import math

import torch

from asrkit import pretrain
from asrkit.models import wav2vec2
from asrkit.models.quantizer import within_group_cosine
from asrkit.train.datasets import Batch

MICRO = {"encoder_layers": 1, "encoder_dim": 64, "encoder_ffn_dim": 128, "encoder_heads": 2,
         "mask_time_prob": 0.5, "mask_time_length": 2, "num_codevectors_per_group": 16}


def _train_logs(model: wav2vec2.Wav2Vec2ForPreTraining, cfg: wav2vec2.Wav2Vec2Config) -> dict:
    """One step's logs as the trainer's summary gives them (floats, per-frame means)."""
    gen = torch.Generator().manual_seed(0)
    batch = Batch(["u1", "u2"], torch.randn(2, 32000, generator=gen), torch.tensor([32000, 30000]))
    torch.manual_seed(1)  # the same masks and picks for every codebook
    out = pretrain.PretrainTask(model, cfg).step(batch, 0)
    logs = {k: float(v) for k, v in out.logs.items()}
    for name in ("contrastive", "accuracy"):
        logs[name] /= out.sample_size
    return logs


def test_a_hand_made_collapsed_codebook_is_caught_although_perplexity_looks_fine():
    cfg = pretrain.PretrainConfig()
    mcfg = wav2vec2.config_for("tiny", MICRO)
    torch.manual_seed(0)
    model = wav2vec2.Wav2Vec2ForPreTraining(mcfg)
    initial = float(within_group_cosine(model.quantizer.codevectors.detach()))
    healthy = _train_logs(model, mcfg)
    healthy["contrastive"] = 0.5 * math.log(101)  # a run that learned: only the codebook matters
    assert pretrain.collapse_verdict({"train": healthy}, cfg, mcfg, initial) == []

    with torch.no_grad():  # every entry of a group along one direction, lengths differing
        books = model.quantizer.codevectors
        direction = torch.randn(books.shape[0], 1, books.shape[2])
        books.copy_((torch.rand(books.shape[:2] + (1,)) + 0.5) * direction)
    sick = _train_logs(model, mcfg)
    sick["contrastive"] = healthy["contrastive"]
    assert sick["code_perplexity"] == healthy["code_perplexity"]  # the picks did not change
    warnings = pretrain.collapse_verdict({"train": sick}, cfg, mcfg, initial)
    assert len(warnings) == 2, warnings
    assert "point alike" in warnings[0] and "differ in index" in warnings[1]


def test_the_within_group_cosine_is_judged_against_its_value_at_initialization():
    cfg = pretrain.PretrainConfig()  # max_within_cosine_rise 0.5
    mcfg = wav2vec2.tiny()
    train = {"contrastive": 1.0, "code_perplexity": 100.0, "codes_used": 50.0,
             "codevectors_distinct": 50.0}
    # fairseq's uniform init starts at 0.75: 0.8 is no collapse there, 0.9 is (limit 0.875)
    assert pretrain.collapse_verdict({"train": {**train, "cos_within": 0.8}}, cfg, mcfg, 0.75) == []
    assert len(pretrain.collapse_verdict({"train": {**train, "cos_within": 0.9}}, cfg, mcfg, 0.75)) == 1
    # from a normal init (≈0) the limit is 0.5; the signed ICSL alone drives it past that
    cfg.loss.icsl_weight = 0.1
    flagged = pretrain.collapse_verdict({"train": {**train, "cos_within": 0.58}}, cfg, mcfg, 0.0)
    assert len(flagged) == 1 and "icsl_form=squared" in flagged[0]
    cfg.loss.icsl_form = "squared"
    assert "icsl_form" not in pretrain.collapse_verdict({"train": {**train, "cos_within": 0.58}},
                                                        cfg, mcfg, 0.0)[0]
    train["codevectors_distinct"] = 20.0  # 20 of 50 picks distinct: under half
    assert any("differ in index" in w for w in pretrain.collapse_verdict({"train": train}, cfg, mcfg))


def test_the_health_metrics_are_averaged_over_steps_not_weighted_by_frames():
    assert {"cos_within", "cos_between", "codes_used", "codevectors_distinct"} <= pretrain.PretrainTask.means
