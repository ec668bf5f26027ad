"""Stages run through the SLURM backend as a recipe's cmd.sh sets it up (real cluster)."""

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from asrkit.data import DataDir
from asrkit.launch.cli import main as launch

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

PRETRAIN_CONFIG = """\
model: {size: tiny, encoder_layers: 1, encoder_ffn_dim: 256}
loss: {num_negatives: 10}
train:
  max_updates: 2
  log_interval: 1
  schedule: {name: constant}
  data: {batch_bins: 64000, num_workers: 0}
  progress_bar: false
  plots: false
  tensorboard: false
"""


def _wav_data_dir(root: Path, n: int = 6) -> Path:
    rng = np.random.default_rng(0)
    wav = {}
    for i in range(n):
        path = root / "wav" / f"u{i}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        t = np.arange(16000 + 1600 * i) / 16000
        sf.write(path, 0.3 * np.sin(2 * np.pi * (200 + 50 * i) * t) + 0.01 * rng.standard_normal(t.size), 16000)
        wav[f"spk{i % 2}-u{i}"] = str(path)
    DataDir(wav_scp=wav, utt2spk={u: u.split("-")[0] for u in wav}).write(root / "data" / "train")
    return root / "data" / "train"


def test_dump_and_pretraining_run_as_slurm_jobs(slurm_cluster, in_tmp, repo_root, monkeypatch):
    # as after path.sh: the environment's console scripts are on PATH, and jobs inherit it
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    conf = repo_root / "conf" / "slurm.conf"
    cmd = f"asrkit-launch slurm --config {conf}"
    data = _wav_data_dir(Path.cwd())
    rc = launch(["slurm", "--config", str(conf), "exp/log/dump.log",
                 "asrkit-dump", "--cmd", cmd, "--nj", "2", str(data), "dump/raw/train"])
    assert rc == 0
    assert len(Path("dump/raw/train/feats.scp").read_text().splitlines()) == 6
    assert Path("dump/raw/train/log/dump.2.log").read_text().count("# Ended (code 0)") == 1

    Path("pretrain.yaml").write_text(PRETRAIN_CONFIG)
    rc = launch(["slurm", "--config", str(conf), "--gpu", "0", "exp/ssl/log/pretrain.log",
                 "asrkit-pretrain", "--ngpu", "0", "--config", "pretrain.yaml",
                 "--train-data", "dump/raw/train", "--exp-dir", "exp/ssl"])
    log = Path("exp/ssl/log/pretrain.log").read_text()
    assert rc == 0, log[-2000:]
    assert "# Ended (code 0)" in log
    assert Path("exp/ssl/checkpoint_last.pt").is_file() and Path("exp/ssl/.done").is_file()
