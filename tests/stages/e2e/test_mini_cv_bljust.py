"""egs/mini_cv/run.sh --train-mode bljust, stages 1-6, on a tiny corpus: BL-JUST trains in
stage 4 from scratch, and stages 5-6 decode and score it like a fine-tuned model."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_run_sh_with_bljust_goes_from_nothing_to_results_md(repo_root, tmp_path, stage_kit):
    recipe = tmp_path / "mini_cv"
    recipe.mkdir()
    src = repo_root / "egs" / "mini_cv"
    for name in ("run.sh", "db.sh"):
        shutil.copy(src / name, recipe / name)
    for name in ("local", "conf"):
        shutil.copytree(src / name, recipe / name)
    for name, target in (("asr.sh", "egs/TEMPLATE/asr.sh"), ("path.sh", "egs/TEMPLATE/path.sh"),
                         ("cmd.sh", "egs/TEMPLATE/cmd.sh"), ("utils", "utils")):
        (recipe / name).symlink_to(repo_root / target)
    stage_kit.write_config(recipe / "conf" / "test_bljust.yaml", {
        "model": {"size": "tiny", "wav2vec2": stage_kit.MICRO_WAV2VEC2,
                  "ssl_masking": {"mask_time_prob": 0.65, "mask_time_length": 4}},
        "loss": {"num_negatives": 10},
        "bljust": {"explore": {"updates": 1}, "joint": {"updates": 2}, "final": {"updates": 1}},
        "train": {"optim": {"lr": 2.0e-3}, "data": {"batch_bins": 200000}, "log_interval": 1,
                  "valid_interval": 2, "save_interval": 2},
        "unlabeled_data": {"batch_bins": 48000, "max_length": 24000},
    })
    env = dict(os.environ, ASRKIT_VENV=str(repo_root / "tools" / "venv"), OMP_NUM_THREADS="1")
    options = ["--nj", "2", "--feats-type", "raw", "--init", "none", "--train-mode", "bljust",
               "--bljust-configs", "conf/test_bljust.yaml",
               "--local-data-opts", "--minutes 1 --speakers-per-locale 3 --languages ca,es --jobs 2"]
    proc = subprocess.run(["./run.sh", *options], cwd=recipe, env=env, capture_output=True, text=True,
                          timeout=1700)
    assert proc.returncode == 0, f"run.sh failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    asr = recipe / "exp" / "asr_test_bljust_scratch"
    assert (asr / ".done").is_file() and (asr / "model.pt").is_file()
    assert not (recipe / "exp" / "ssl_pretrain_tiny").exists()  # no stage 3 with --init none
    scores = sorted(asr.glob("decode_*/test/score/result.txt"))
    assert len(scores) == 2
    rows = [line for line in (recipe / "RESULTS.md").read_text().splitlines() if line.startswith("| asr_")]
    assert len(rows) == 2 and all(asr.name in r for r in rows)
