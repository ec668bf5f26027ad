"""Small configs and Hugging Face reference models for the model tests (no downloads)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from asrkit.models import wav2vec2


def micro_config(**overrides) -> wav2vec2.Wav2Vec2Config:
    """A few-thousand-parameter wav2vec 2.0 with every mechanism of base (3 convs, ×20)."""
    cfg = wav2vec2.Wav2Vec2Config(
        conv_layers=[(32, 10, 5), (32, 3, 2), (32, 3, 2)],
        fbank_conv_layers=[(32, 3, 1), (32, 3, 2)],
        encoder_dim=32,
        encoder_layers=2,
        encoder_heads=4,
        encoder_ffn_dim=64,
        pos_conv_kernel=16,
        pos_conv_groups=4,
        num_codevector_groups=2,
        num_codevectors_per_group=8,
        codevector_dim=16,
        final_dim=12,
        layerdrop=0.0,
    )
    return dataclasses.replace(cfg, **overrides)


HF_SHAPES = {
    # base-shaped: post-LN encoder, GroupNorm on the first conv, no conv bias
    "base": dict(do_stable_layer_norm=False, feat_extract_norm="group", conv_bias=False),
    # large/XLSR-shaped: pre-LN ("stable layer norm"), LayerNorm on every conv, conv bias
    "large": dict(do_stable_layer_norm=True, feat_extract_norm="layer", conv_bias=True),
}


def hf_config(shape: str, **overrides):
    transformers = pytest.importorskip("transformers")
    fields = dict(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        conv_dim=(32, 32, 32),
        conv_kernel=(10, 3, 3),
        conv_stride=(5, 2, 2),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4,
        num_codevector_groups=2,
        num_codevectors_per_group=8,
        codevector_dim=16,
        proj_codevector_dim=12,
        vocab_size=7,
        layerdrop=0.0,
    )
    fields.update(HF_SHAPES[shape])
    fields.update(overrides)
    return transformers.Wav2Vec2Config(**fields)


@pytest.fixture(name="micro_config")
def micro_config_fixture():
    """Factory for :func:`micro_config` (tests cannot import conftest in importlib mode)."""
    return micro_config


@pytest.fixture(name="hf_config")
def hf_config_fixture():
    """Factory for :func:`hf_config`; skips the test when transformers is absent."""
    pytest.importorskip("transformers")
    return hf_config


@pytest.fixture
def waves() -> torch.Tensor:
    return torch.randn(2, 4000, generator=torch.Generator().manual_seed(0))
