"""Every recipe's ./run.sh through stage 6 on its corpus in ../shared/data, with its own
stages, decode configs and options, and micro-sized pretraining and fine-tuning configs in
place of its models (so a run takes seconds): RESULTS.md must hold a finite WER for each
decode config. (egs/mini_cv is run end to end by tests/stages/e2e.)"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.shared_data

CV61 = "common_voice/cv-corpus-6.1-2020-12-11"

# tiny's mechanisms at micro widths; a handful of updates
MICRO = {"conv_layers": [[32, 10, 5]] + [[32, 3, 2]] * 4 + [[32, 2, 2]] * 2, "encoder_dim": 64,
         "encoder_layers": 2, "encoder_heads": 2, "encoder_ffn_dim": 128, "pos_conv_kernel": 16,
         "pos_conv_groups": 4, "num_codevectors_per_group": 16, "codevector_dim": 32, "final_dim": 32}
TRAIN = {"max_updates": 4, "optim": {"lr": 2.0e-3}, "log_interval": 2, "valid_interval": 2,
         "save_interval": 2, "progress_bar": False, "plots": False, "tensorboard": False}
PRETRAIN = {"model": {"size": "tiny", **MICRO}, "loss": {"num_negatives": 10},
            "train": {**TRAIN, "data": {"batch_bins": 96000, "max_length": 32000, "num_workers": 0}}}
FINETUNE = {"model": {"size": "tiny", "wav2vec2": {**MICRO, "mask_time_prob": 0.2, "mask_time_length": 2}},
            "tokenizer": {"kind": "char", "normalizer": "default"},
            "finetune": {"freeze_encoder_updates": 1, "average_best": 2},
            "train": {**TRAIN, "data": {"batch_bins": 600000, "num_workers": 0}}}  # LibriSpeech: ≤ 35 s

CASES = {
    # corpus: (db.sh variable -> folder under ../shared/data, extra run.sh options)
    "yesno": ({"YESNO": "yesno/waves_yesno"}, []),
    # the recipe's word LM spells its (uppercase) words with the tokenizer's tokens
    "fsdd": ({"FSDD": "fsdd"}, ["--finetune-opts", "--set tokenizer.normalizer=upper"]),
    "an4": ({"AN4": "an4"}, []),
    "commonvoice": ({"COMMONVOICE": CV61}, ["--use-lm", "true"]),
    "librispeech": ({"LIBRISPEECH": "librispeech"},
                    ["--train-set", "train_10min", "--valid-set", "dev_clean", "--test-sets", "test_other",
                     "--local-data-opts", "--limited 10min --eval-sets dev-clean,test-other"]),
}


def check_results(recipe: Path) -> list[list[str]]:
    """RESULTS.md rows, one per decode of each experiment, each with a finite WER."""
    text = (recipe / "RESULTS.md").read_text(encoding="utf-8")
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in text.splitlines() if line.startswith("| asr_")]
    assert rows, text
    for row in rows:
        assert int(row[3]) > 0 and math.isfinite(float(row[12])), row
    return rows


def run_all_stages(recipes, recipe: Path, env: dict[str, str], args: list[str]) -> list[list[str]]:
    (recipe / "conf" / "micro_pretrain.yaml").write_text(yaml.safe_dump(PRETRAIN), encoding="utf-8")
    (recipe / "conf" / "micro_finetune.yaml").write_text(yaml.safe_dump(FINETUNE), encoding="utf-8")
    recipes.run(recipe, ["--nj", "2", "--feats-type", "raw", "--pretrain-configs", "conf/micro_pretrain.yaml",
                         "--finetune-configs", "conf/micro_finetune.yaml", *args], env)
    return check_results(recipe)


@pytest.mark.slow
@pytest.mark.parametrize("corpus", sorted(CASES))
def test_recipe_runs_stages_1_to_6_and_scores_every_decode(corpus, recipes, shared_data, tmp_path):
    corpora, args = CASES[corpus]
    recipe = recipes.copy(corpus, tmp_path)
    env = recipes.env(**{var: shared_data / rel for var, rel in corpora.items()})
    rows = run_all_stages(recipes, recipe, env, args)
    configs = re.search(r'--decode-configs "([^"]+)"', (recipe / "run.sh").read_text()).group(1).split()
    assert len(rows) == len(configs), rows  # one row per decode config of the recipe
    if "--use-lm" in args:
        assert any(r[1].endswith("_lm_word_3gram") for r in rows), rows


@pytest.mark.slow
def test_covost2_runs_stages_1_to_6_over_fake_clips(recipes, shared_data, tmp_path, covost2_clips):
    recipe = recipes.copy("covost2", tmp_path)
    env = recipes.env(COVOST2=covost2_clips, COVOST2_TSV=covost2_clips)
    rows = run_all_stages(recipes, recipe, env, ["--local-data-opts", "--sources ca,es"])
    assert {r[2] for r in rows} == {"test"}
