"""The training stages as two gloo processes under torchrun, as a GPU cluster runs them:
layerdrop (unused parameters in some steps), a tokenizer built once for every rank, and
validation sharded over the ranks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def torchrun(module: str, *argv, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", module, "--ngpu", "0", *map(str, argv)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=400, env=env, cwd=cwd)


@pytest.mark.slow
@pytest.mark.timeout(500)
def test_pretraining_with_layerdrop_runs_on_two_processes(stages, stage_kit, tmp_path):
    # Without find_unused_parameters, a step that drops a layer stops DDP: "Expected to
    # have finished reduction in the prior iteration".
    config = stage_kit.write_config(tmp_path / "pretrain.yaml", stage_kit.PRETRAIN, stage_kit.NO_EXTRAS,
                                    {"model": {"layerdrop": 0.5},
                                     "train": {"max_updates": 4, "valid_interval": 2}})
    done = torchrun("asrkit.pretrain", *stages.pretrain_args(tmp_path / "exp", config)[2:], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-12000:]
    assert (tmp_path / "exp" / ".done").is_file()
    valid = stage_kit.read_metrics(tmp_path / "exp", "valid")
    assert [r["updates"] for r in valid] == [2, 4]


@pytest.mark.slow
@pytest.mark.timeout(500)
def test_finetuning_builds_one_tokenizer_and_validates_on_both_ranks(stages, stage_kit, tmp_path):
    config = stage_kit.write_config(
        tmp_path / "finetune.yaml", stage_kit.FINETUNE, stage_kit.NO_EXTRAS, stage_kit.MICRO_SCRATCH,
        {"tokenizer": {"kind": "unigram", "vocab_size": 48},
         "model": {"wav2vec2": {"layerdrop": 0.5}},
         "finetune": {"freeze_encoder_updates": 0},
         "train": {"max_updates": 4, "valid_interval": 2}})
    exp = tmp_path / "exp"
    done = torchrun("asrkit.finetune", "--config", config, "--init", "none", "--exp-dir", exp,
                    "--train-data", stages.dump("train"), "--valid-data", stages.dump("dev"),
                    cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-12000:]
    assert sorted(p.name for p in (exp / "tokenizer").iterdir()) == ["sp.model", "sp.vocab",
                                                                    "tokenizer.json", "tokens.txt"]
    assert not [p for p in exp.iterdir() if p.name.startswith(".tokenizer")]
    valid = stage_kit.read_metrics(exp, "valid")
    assert [r["updates"] for r in valid] == [2, 4]
    assert all(0 <= r["cer"] <= 5 and r["wer"] >= 0 for r in valid)
