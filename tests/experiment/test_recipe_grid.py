"""asrkit-experiment end to end on a real recipe: egs/yesno on ../shared/data with micro
models, scratch and ssl × one seed, through every stage of the real asr.sh."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
# tiny's mechanisms at micro widths (as tests/recipes/test_all_stages.py); a few updates
MICRO = {"conv_layers": [[32, 10, 5]] + [[32, 3, 2]] * 4 + [[32, 2, 2]] * 2, "encoder_dim": 64,
         "encoder_layers": 2, "encoder_heads": 2, "encoder_ffn_dim": 128, "pos_conv_kernel": 16,
         "pos_conv_groups": 4, "num_codevectors_per_group": 16, "codevector_dim": 32, "final_dim": 32}
TRAIN = {"max_updates": 4, "optim": {"lr": 2.0e-3}, "log_interval": 2, "valid_interval": 2,
         "save_interval": 2, "progress_bar": False, "plots": False, "tensorboard": False}
CONFIGS = {
    "micro_pretrain": {"model": {"size": "tiny", **MICRO}, "loss": {"num_negatives": 10},
                       "train": {**TRAIN, "data": {"batch_bins": 96000, "max_length": 32000, "num_workers": 0}}},
    "micro_finetune": {"model": {"size": "tiny", "wav2vec2": {**MICRO, "mask_time_prob": 0.2, "mask_time_length": 2}},
                       "tokenizer": {"kind": "char", "normalizer": "upper"},
                       "finetune": {"freeze_encoder_updates": 1, "average_best": 2},
                       "train": {**TRAIN, "data": {"batch_bins": 200000, "max_length": 200000, "num_workers": 0}}},
    "grid_micro": {"pretrain": [{"config": "conf/micro_pretrain.yaml"}],
                   "finetune": [{"config": "conf/micro_finetune.yaml"}],
                   "inits": ["scratch", "ssl"], "seeds": [1],
                   "dev_set": "test", "test_set": "test",  # yesno has no dev set
                   "decodings": {"greedy": ["conf/decode_greedy.yaml"]},
                   "run_opts": ["--nj", "1", "--feats-type", "raw"]},
}


def test_grid_on_yesno_runs_every_stage_and_reports_both_inits(shared_data, tmp_path):
    src, recipe = REPO / "egs" / "yesno", tmp_path / "yesno"
    shared = ("asr.sh", "path.sh", "cmd.sh", "utils")  # links, as in egs/
    shutil.copytree(src, recipe, ignore=shutil.ignore_patterns("data", "dump", "exp", "RESULTS.md", *shared))
    for name in shared:
        (recipe / name).symlink_to((src / name).resolve())
    for name, config in CONFIGS.items():
        (recipe / "conf" / f"{name}.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    venv_bin = Path(sys.executable).parent
    env = dict(os.environ, ASRKIT_VENV=sys.prefix, cmd_backend="local", OMP_NUM_THREADS="1",
               YESNO=str(shared_data / "yesno" / "waves_yesno"), PATH=f"{venv_bin}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run([sys.executable, "-m", "asrkit.experiment", "run", "conf/grid_micro.yaml",
                           "--cmd", "asrkit-launch local"], cwd=recipe, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    comparison = (recipe / "exp" / "grid_micro" / "comparison.md").read_text()
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in comparison.splitlines()
            if line.startswith("| greedy")]
    assert [(r[1], r[2], r[5]) for r in rows] == [("scratch", "-", "1"), ("ssl", "micro_pretrain", "1")]
    for r in rows:
        assert math.isfinite(float(r[8])) and r[12] == "-", r  # a test CER (a 4-update model's), nothing unfinished
    assert "## Comparison: grid_micro" in (recipe / "RESULTS.md").read_text()
    assert (recipe / "exp/pretraining/micro_pretrain_seed1/ssl_micro_pretrain_train.seed_1/.done").is_file()
