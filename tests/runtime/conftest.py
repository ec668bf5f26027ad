"""Micro fine-tuning experiments (random weights, saved as stage 4 saves them) and a dumped
test set of tones for the export tests; no training, seconds each."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from asrkit import dump
from asrkit.data import write_table
from asrkit.layout import FEATURE_CONFIG, MODEL_FILE, TOKENIZER_DIR
from asrkit.models import save as save_model
from asrkit.models.ctc import KIND, CTCConfig, CTCModel
from asrkit.models.wav2vec2 import Wav2Vec2Config
from asrkit.text.tokenizer import CharTokenizer

WORDS = ["ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX"]


def micro_wav2vec2(frontend: str) -> Wav2Vec2Config:
    return Wav2Vec2Config(
        frontend=frontend, conv_layers=[(32, 10, 5), (32, 3, 2), (32, 3, 2)],
        fbank_conv_layers=[(32, 3, 1), (32, 3, 2)], encoder_dim=32, encoder_layers=2,
        encoder_heads=4, encoder_ffn_dim=64, pos_conv_kernel=16, pos_conv_groups=4,
        layerdrop=0.0, dropout=0.0, attention_dropout=0.0, dropout_input=0.0)


def make_model(frontend: str, vocab: int, seed: int = 0, head_scale: float = 1.0) -> CTCModel:
    """``head_scale`` > 1 sharpens the posteriors as training does, so that near-ties (which
    any rounding flips) are rare."""
    torch.manual_seed(seed)
    model = CTCModel(CTCConfig(vocab, "wav2vec2", wav2vec2=micro_wav2vec2(frontend)))
    with torch.no_grad():  # away from init values: no two LayerNorms share weights
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
        model.head.weight.mul_(head_scale)
    return model.eval()


def tone(freq: float, rate: int, seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    wave = 0.3 * np.sin(2 * np.pi * freq * t * (1 + 0.5 * t)) + 0.01 * rng.standard_normal(t.size)
    return wave.astype(np.float32)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    """data/test: 6 clips of 0.3-1.2 s at 16 and 8 kHz (PCM 16) with digit-word texts."""
    root = tmp_path_factory.mktemp("runtime_corpus")
    scp, text = {}, {}
    for i, word in enumerate(WORDS):
        rate = 8000 if i % 2 else 16000
        path = root / "audio" / f"{i}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, tone(200 + 90 * i, rate, 0.3 + 0.18 * i, i), rate, subtype="PCM_16")
        scp[f"spk{i % 2}-{i}"], text[f"spk{i % 2}-{i}"] = str(path), word
    data = root / "data" / "test"
    data.mkdir(parents=True)
    write_table(data / "wav.scp", scp)
    write_table(data / "text", text)
    write_table(data / "utt2spk", {u: u.split("-")[0] for u in scp})
    return root


def dumped(corpus: Path, kind: str) -> Path:
    """dump/<kind>/test made by stage 2 itself (once per kind)."""
    out = corpus / "dump" / kind / "test"
    if not (out / ".done").is_file():
        argv = ["--type", kind, "--nj", "1", str(corpus / "data" / "test"), str(out)]
        with pytest.MonkeyPatch.context() as mp:  # the job launcher runs asrkit's console scripts
            mp.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
            assert dump.main(argv) == 0
    return out


def make_exp(where: Path, frontend: str, corpus: Path, seed: int = 0) -> Path:
    """An experiment dir as stage 4 leaves it: model.pt, tokenizer/, feature_config.yaml."""
    kind = "fbank" if frontend == "fbank" else "raw"
    tokenizer = CharTokenizer.train(WORDS)
    tokenizer.save(where / TOKENIZER_DIR)
    model = make_model(frontend, tokenizer.vocab_size, seed, head_scale=20.0)
    save_model(where / MODEL_FILE, model, KIND, tokenizer=tokenizer.to_info())
    (where / FEATURE_CONFIG).write_text((dumped(corpus, kind) / "config.yaml").read_text())
    return where


@pytest.fixture(scope="session")
def fbank_exp(tmp_path_factory, corpus) -> Path:
    return make_exp(tmp_path_factory.mktemp("exp_fbank"), "fbank", corpus)


@pytest.fixture(scope="session")
def waveform_exp(tmp_path_factory, corpus) -> Path:
    return make_exp(tmp_path_factory.mktemp("exp_waveform"), "waveform", corpus)


@pytest.fixture(name="dumped")
def dumped_fixture(corpus):
    """``dumped(kind)``: the corpus' test set dumped as ``raw`` or ``fbank``."""
    return lambda kind: dumped(corpus, kind)


@pytest.fixture(name="micro_model")
def micro_model_fixture():
    """``micro_model(frontend, vocab, seed)``: a random micro wav2vec 2.0 CTC model."""
    return make_model


@pytest.fixture(name="micro_config")
def micro_config_fixture():
    return lambda frontend, **kw: dataclasses.replace(micro_wav2vec2(frontend), **kw)
