"""Fine-tuning as fairseq does it: fine-tuning's own dropout and masking defaults whatever
the pretraining used, and masks applied in training only."""

from __future__ import annotations

import dataclasses

import torch

from asrkit import finetune
from asrkit.models import save
from asrkit.models.ctc import CTCConfig, CTCModel
from asrkit.models.pretrained import load_encoder
from asrkit.models.wav2vec2 import Wav2Vec2ForPreTraining, config_for
from asrkit.text.tokenizer import build_tokenizer
from asrkit.train.datasets import Batch

MICRO = {"encoder_layers": 2, "encoder_dim": 64, "encoder_ffn_dim": 128, "encoder_heads": 2}


def test_finetuning_does_not_keep_the_pretraining_dropouts(tmp_path):
    pretrained = config_for("tiny", {**MICRO, "dropout": 0.1, "attention_dropout": 0.1,
                                     "activation_dropout": 0.1, "dropout_input": 0.1,
                                     "layerdrop": 0.1, "mask_time_prob": 0.65,
                                     "feature_grad_mult": 0.1})
    save(tmp_path / "ssl.pt", Wav2Vec2ForPreTraining(pretrained), "wav2vec2_pretrain")
    _, cfg, _ = load_encoder(str(tmp_path / "ssl.pt"), {})
    assert (cfg.dropout, cfg.attention_dropout, cfg.activation_dropout, cfg.dropout_input,
            cfg.layerdrop, cfg.mask_time_prob) == (0.0,) * 6
    assert cfg.feature_grad_mult == 1.0  # a trained front end learns at the full rate
    chosen = {"dropout": 0.05, "mask_time_prob": 0.5}
    _, cfg, _ = load_encoder(str(tmp_path / "ssl.pt"), chosen)
    assert (cfg.dropout, cfg.attention_dropout, cfg.mask_time_prob) == (0.05, 0.0, 0.5)


def test_validation_sees_no_time_or_channel_masks(tmp_path):
    torch.manual_seed(0)
    tok = build_tokenizer("char", {"a": "abc de", "b": "edc ba"}, tmp_path)
    w2v = config_for("tiny", {**MICRO, "mask_time_prob": 0.9, "mask_time_length": 2,
                              "mask_channel_prob": 0.5, "mask_channel_length": 8})
    model = CTCModel(CTCConfig(tok.vocab_size, "wav2vec2", wav2vec2=w2v))
    task = finetune.CTCTask(model, finetune.FinetuneConfig(), tok)
    gen = torch.Generator().manual_seed(1)
    batch = Batch(["u1", "u2"], torch.randn(2, 16000, generator=gen), torch.tensor([16000, 12000]),
                  torch.tensor([[1, 2, 3], [2, 3, -1]]), torch.tensor([3, 2]))
    model.eval()
    with torch.no_grad():
        losses = [float(task.valid_step(batch, 0).loss) for _ in range(3)]  # masks would vary
        unmasked = CTCModel(CTCConfig(tok.vocab_size, "wav2vec2", wav2vec2=dataclasses.replace(
            w2v, mask_time_prob=0.0, mask_channel_prob=0.0)))
        unmasked.load_state_dict(model.state_dict())
        unmasked_task = finetune.CTCTask(unmasked.eval(), finetune.FinetuneConfig(), tok)
        reference = float(unmasked_task.valid_step(batch, 0).loss)
    assert losses == [reference] * 3
    model.train()
    with torch.no_grad():
        assert float(task.step(batch, 0).loss) != reference  # training does mask
