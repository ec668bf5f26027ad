"""asr.sh stage 7 (--classify-targets) on the shared corpus's dumps: a micro classifier per
target, scored on the test sets, in RESULTS.md; finished work is skipped when run again."""

from __future__ import annotations

import os
import subprocess

MICRO = {
    "model": {"size": "tiny", "pooling": "mean", "hidden_dims": [16], "dropout": 0.0},
    "classify": {"balance": "loss", "train_encoder_after": 0},  # random init: train it all
    "train": {"max_updates": 2, "optim": {"lr": 2.0e-3}, "schedule": {"name": "constant"},
              "data": {"batch_bins": 200000}, "log_interval": 1, "valid_interval": 2,
              "save_interval": 2, "keep_last": 1, "plots": False, "tensorboard": False},
}


def test_stage_7_trains_scores_and_tabulates_each_target(repo_root, stages, stage_kit, tmp_path):
    recipe = tmp_path / "recipe"
    (recipe / "dump" / "raw").mkdir(parents=True)
    for name, target in (("asr.sh", "egs/TEMPLATE/asr.sh"), ("path.sh", "egs/TEMPLATE/path.sh"),
                         ("cmd.sh", "egs/TEMPLATE/cmd.sh"), ("utils", "utils")):
        (recipe / name).symlink_to(repo_root / target)
    for name in ("train", "dev", "test"):
        (recipe / "dump" / "raw" / name).symlink_to(stages.dump(name))
    stage_kit.write_config(recipe / "conf" / "classify_micro.yaml", MICRO,
                           {"model": {"wav2vec2": stage_kit.MICRO_WAV2VEC2}})
    args = ["./asr.sh", "--stage", "7", "--stop-stage", "7", "--train-set", "train", "--valid-set", "dev",
            "--test-sets", "test", "--feats-type", "raw", "--init", "none",
            "--classify-targets", "lang", "--classify-configs", "conf/classify_micro.yaml"]
    env = dict(os.environ, ASRKIT_VENV=str(repo_root / "tools" / "venv"), OMP_NUM_THREADS="1")

    def run() -> str:
        proc = subprocess.run(args, cwd=recipe, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"asr.sh failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc.stdout + proc.stderr

    run()
    exp = recipe / "exp" / "cls_lang_classify_micro_from_scratch"
    assert (exp / ".done").is_file() and (exp / "log" / "classify.log").is_file()
    assert (exp / "eval_test" / "classify_score.json").is_file()
    results = (recipe / "RESULTS.md").read_text()
    assert "## Utterance classification (%)" in results
    assert f"| {exp.name} | lang | test |" in results
    again = run()
    assert "already trained" in again and "Stage 7: scoring" not in again
