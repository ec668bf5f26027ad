"""asr.sh stage 8 (--explain-models "cls asr"): explanations of stage 7's micro classifier and of
the shared micro CTC model on a few test utterances, under each experiment's explain/<set>/;
finished work is skipped when run again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

MICRO_CLASSIFY = {
    "model": {"size": "tiny", "pooling": "mean", "hidden_dims": [16], "dropout": 0.0},
    "classify": {"balance": "loss", "train_encoder_after": 0},
    "train": {"max_updates": 2, "optim": {"lr": 2.0e-3}, "schedule": {"name": "constant"},
              "data": {"batch_bins": 200000}, "log_interval": 1, "valid_interval": 2,
              "save_interval": 2, "keep_last": 1, "plots": False, "tensorboard": False},
}


def test_stage_8_explains_the_classifier_and_the_ctc_model(repo_root, stages, stage_kit, tmp_path):
    recipe = tmp_path / "recipe"
    (recipe / "dump" / "raw").mkdir(parents=True)
    for name, target in (("asr.sh", "egs/TEMPLATE/asr.sh"), ("path.sh", "egs/TEMPLATE/path.sh"),
                         ("cmd.sh", "egs/TEMPLATE/cmd.sh"), ("utils", "utils")):
        (recipe / name).symlink_to(repo_root / target)
    for name in ("train", "dev", "test"):
        (recipe / "dump" / "raw" / name).symlink_to(stages.dump(name))
    stage_kit.write_config(recipe / "conf" / "classify_micro.yaml", MICRO_CLASSIFY,
                           {"model": {"wav2vec2": stage_kit.MICRO_WAV2VEC2}})
    asr = recipe / "exp" / "asr_finetune_tiny_scratch"  # stage 4's name for --init none
    asr.mkdir(parents=True)
    for name in ("model.pt", "feature_config.yaml"):
        shutil.copy(stages.finetuned() / name, asr / name)
    shutil.copytree(stages.finetuned() / "tokenizer", asr / "tokenizer")
    args = ["./asr.sh", "--stage", "7", "--stop-stage", "8", "--train-set", "train", "--valid-set", "dev",
            "--test-sets", "test", "--feats-type", "raw", "--init", "none",
            "--classify-targets", "lang", "--classify-configs", "conf/classify_micro.yaml",
            "--explain-models", "cls asr", "--explain-num-utts", "2",
            # the micro CTC model has trained 8 updates: its greedy path, not a word, is explained
            "--explain-opts", "--ctc-target path --ig-steps 4 --random-repeats 2"]
    env = dict(os.environ, ASRKIT_VENV=str(repo_root / "tools" / "venv"), OMP_NUM_THREADS="1")

    def run() -> str:
        proc = subprocess.run(args, cwd=recipe, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"asr.sh failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc.stdout + proc.stderr

    run()
    for exp, kind in ((recipe / "exp" / "cls_lang_classify_micro_from_scratch", "classifier"), (asr, "ctc")):
        out = exp / "explain" / "test"
        result = json.loads((out / "aopc.json").read_text())
        assert result["kind"] == kind and result["num_utts"] == 2, result
        assert set(result["aopc"]) == {"gradcam", "saliency", "ig", "random"}
        pictures = sorted(p.name for p in out.glob("*.png"))
        assert pictures == sorted([r["picture"] for r in result["utterances"]] + ["deletion_curves.png"])
        assert "| random |" in (out / "aopc.md").read_text() and (out / ".done").is_file()
    again = run()
    assert "already explained" in again and "Stage 8: explaining" not in again
