"""Real speech: a short supervised run on FSDD (spoken digits) must beat an untrained model."""

from __future__ import annotations

import json

import pytest

from asrkit import decode, dump, finetune, score
from asrkit.corpora import cli as prepare
from asrkit.data import cli as data_cli

# A small fbank Conformer from scratch; no augmentation, so 200 updates (~15 s on one core)
# take it from ~100% WER to under 50% on the digits.
CONFORMER = {
    "model": {"encoder": "conformer",
              "conformer": {"input_dim": 40, "dim": 64, "num_layers": 2, "num_heads": 4, "ffn_dim": 128,
                            "conv_kernel": 15, "dropout": 0.0, "freq_masks": 0, "time_masks": 0}},
    "tokenizer": {"kind": "char", "normalizer": "default"},
    "finetune": {"freeze_feature_encoder": False, "average_best": 1},
    "train": {"max_updates": 200, "optim": {"lr": 5.0e-3, "weight_decay": 1.0e-3},
              "schedule": {"name": "polynomial", "warmup_updates": 10, "end_lr_scale": 0.2},
              "data": {"batch_bins": 700}, "clip_norm": 5.0, "log_interval": 50, "save_interval": 1000,
              "plots": False, "tensorboard": False},
}
# The same model at its random initialisation: one update with learning rate 0.
UNTRAINED = {"train": {"max_updates": 1, "optim": {"lr": 0.0}, "schedule": {"name": "constant", "warmup_updates": 0}}}


def _error_rates(stage_kit, root, name, config, data):
    exp = root / name
    assert stage_kit.run(finetune.main, "--ngpu", "0", "--config", config, "--init", "none",
                         "--train-data", data / "dump" / "train", "--exp-dir", exp) == 0
    out = exp / "decode" / "test"
    assert stage_kit.run(decode.main, "--model", exp, "--data", data / "dump" / "test", "--out", out) == 0
    assert stage_kit.run(score.main, "--ref", data / "test_small" / "text", "--hyp", out / "hyp",
                         "--out", out / "score") == 0
    result = json.loads((out / "score" / "score.json").read_text())
    return result["wer"]["normalized"]["error_rate"], result["cer"]["normalized"]["error_rate"]


@pytest.mark.slow
@pytest.mark.shared_data
def test_short_training_on_fsdd_beats_the_untrained_model(shared_data, stage_kit, tmp_path):
    data = tmp_path / "data"
    assert prepare.main(["fsdd", str(shared_data / "fsdd"), str(data), "--check-audio", "exists"]) == 0
    for name, n in (("train", 400), ("test", 60)):  # speakers of the official split, fewer clips
        assert data_cli.main(["subset", "--random", str(n), "--seed", "1", str(data / name),
                              str(data / f"{name}_small")]) == 0
        assert dump.main(["--type", "fbank", "--set", "fbank.num_mel_bins=40", "--nj", "2",
                          str(data / f"{name}_small"), str(data / "dump" / name)]) == 0

    trained_cfg = stage_kit.write_config(tmp_path / "conformer.yaml", CONFORMER)
    untrained_cfg = stage_kit.write_config(tmp_path / "untrained.yaml", CONFORMER, UNTRAINED)
    wer0, cer0 = _error_rates(stage_kit, tmp_path, "untrained", untrained_cfg, data)
    wer, cer = _error_rates(stage_kit, tmp_path, "trained", trained_cfg, data)
    assert wer0 >= 90.0  # random weights: barely a digit right
    assert wer < 0.8 * wer0 and cer < 0.5 * cer0, (wer, cer, wer0, cer0)
