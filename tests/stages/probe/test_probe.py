"""asrkit-probe: the linear CTC probe learns characters that the features carry, not ones they
do not, and the tool runs on the shared micro pretraining."""

from __future__ import annotations

import json

import torch

from asrkit import probe
from asrkit.text.tokenizer import CharTokenizer


def _features(tokenizer: CharTokenizer, texts: list[str], informative: bool, dim: int = 32,
              seed: int = 0) -> probe.Features:
    """Each character's frames are a one-hot of its id plus noise (or pure noise), with a
    blank-like frame between characters, as CTC needs for repeats."""
    gen = torch.Generator().manual_seed(seed)
    states, targets = [], []
    for text in texts:
        ids = tokenizer.encode(text)
        frames = []
        for i in ids:
            for _ in range(2):
                frames.append(torch.nn.functional.one_hot(torch.tensor(i), dim).float())
            frames.append(torch.zeros(dim))
        x = torch.stack(frames) if informative else torch.zeros(len(frames), dim)
        x = x + 0.1 * torch.randn(x.shape, generator=gen)
        states.append(torch.stack([x, x]).half())  # two "layers"
        targets.append(torch.tensor(ids))
    return probe.Features(states, targets)


def test_probe_reads_characters_the_features_carry_and_not_others():
    texts = ["abc ab", "ca bc", "ba cab", "abba c", "cc ab a", "bac"] * 4
    tok = CharTokenizer.train(texts)
    good, noise = (_features(tok, texts, informative=flag) for flag in (True, False))
    cer = {}
    for name, feats in (("good", good), ("noise", noise)):
        linear = probe.train_probe(feats, layer=1, vocab=tok.vocab_size, epochs=100, lr=1e-2,
                                   batch=4, seed=0)
        cer[name] = probe.score_probe(linear, feats, 1, tok)
    assert cer["good"] < 5, cer
    assert cer["noise"] > 50, cer


def test_probe_of_the_micro_pretraining_writes_one_row_per_encoder(stages, tmp_path):
    ckpt = stages.pretrained() / "checkpoint_last.pt"
    out = tmp_path / "probe"
    status = probe.main(["--init", str(ckpt), "--train-data", str(stages.dump("train")),
                         "--valid-data", str(stages.dump("dev")), "--out", str(out),
                         "--epochs", "1"])
    assert status == 0
    report = json.loads((out / "probe.json").read_text())
    assert sorted(report["dev_cer"]) == ["pretrained", "random"]
    layers = {len(cers) for cers in report["dev_cer"].values()}
    assert len(layers) == 1 and layers.pop() >= 2  # h_0 .. h_L
    assert all(0 <= c for cers in report["dev_cer"].values() for c in cers)
    assert (out / "probe.png").stat().st_size > 0
    assert "| pretrained |" in (out / "probe.md").read_text()
