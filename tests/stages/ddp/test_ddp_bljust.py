"""asrkit-bljust as two gloo processes under torchrun: both streams sharded over the ranks,
every phase, validation on both ranks, one final model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_bljust_runs_every_phase_on_two_processes(stages, stage_kit, tmp_path):
    config = stage_kit.write_config(tmp_path / "bljust.yaml", {
        "model": {"size": "tiny", "wav2vec2": {**stage_kit.MICRO_WAV2VEC2, "layerdrop": 0.5},
                  "ssl_masking": {"mask_time_prob": 0.65, "mask_time_length": 4},
                  "ctc_masking": {"mask_time_prob": 0.2, "mask_time_length": 2}},
        "loss": {"num_negatives": 10},
        "bljust": {"explore": {"updates": 1}, "joint": {"updates": 2}, "final": {"updates": 1}},
        "train": {"optim": {"lr": 2.0e-3}, "data": {"batch_bins": 200000}, "log_interval": 1,
                  "valid_interval": 2, "save_interval": 2},
        "unlabeled_data": {"batch_bins": 48000, "max_length": 24000},
    }, stage_kit.NO_EXTRAS)
    exp = tmp_path / "exp"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "asrkit.bljust", "--ngpu", "0", "--config", str(config), "--init", "none",
           "--train-data", str(stages.dump("train")), "--unlabeled-data", str(stages.dump("unlabeled")),
           "--valid-data", str(stages.dump("dev")), "--exp-dir", str(exp)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=550, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-12000:]
    assert (exp / ".done").is_file() and (exp / "model.pt").is_file()
    train = stage_kit.read_metrics(exp)
    assert [r["updates"] for r in train] == [1, 2, 3, 4]
    assert "gamma" in train[1] and "ssl" in train[0] and "ctc" in train[3]
    assert [r["updates"] for r in stage_kit.read_metrics(exp, "valid")] == [2, 4]
