"""egs/librispeech/sweep.sh runs the ICSL and RVQ grids (conf/grid_{icsl,rvq}.yaml) through
asrkit-experiment: data once per grid, every pretraining once (pretrain_small.yaml's shared by
both studies), every fine-tuning point once, with the options after "--" passed through.
run.sh is replaced by one that records its arguments (and leaves a checkpoint where a
pretraining would)."""

from __future__ import annotations

import subprocess

import pytest

RECORDER = """#!/usr/bin/env bash
# one write per call: arms run in parallel and must not interleave their lines
line=""; for a in "$@"; do line+="${a}"$'\\t'; done
printf '%s\\n' "${line}" >> calls.txt
if [[ " $* " == *" --stop-stage 3 "* ]]; then
  args=("$@")
  for i in "${!args[@]}"; do [ "${args[$i]}" = --expdir ] && expdir=${args[$((i + 1))]}; done
  mkdir -p "${expdir}/ssl_x" && touch "${expdir}/ssl_x/checkpoint_best.pt"
fi
"""
ICSL_CONFIGS = ["conf/pretrain_small.yaml", "conf/pretrain_small_g2_icsl.yaml", "conf/pretrain_small_g4.yaml",
                "conf/pretrain_small_g4_icsl.yaml", "conf/pretrain_small_g8.yaml",
                "conf/pretrain_small_g8_icsl.yaml", "conf/pretrain_small_g16.yaml",
                "conf/pretrain_small_g16_icsl.yaml"]


@pytest.fixture
def sweep(recipes, tmp_path):
    recipe = recipes.copy("librispeech", tmp_path)
    (recipe / "run.sh").write_text(RECORDER)

    def run(*args: str, ok: bool = True) -> list[list[str]] | subprocess.CompletedProcess:
        proc = subprocess.run(["./sweep.sh", *args], cwd=recipe, env=recipes.env(), capture_output=True,
                              text=True, timeout=300)
        if not ok:
            return proc
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"{recipe}/RESULTS.md" in proc.stdout
        calls = recipe / "calls.txt"
        lines = calls.read_text().splitlines() if calls.exists() else []
        return [line.rstrip("\t").split("\t") for line in lines]

    run.recipe = recipe
    return run


def _option(call: list[str], name: str) -> str | None:
    return call[call.index(name) + 1] if name in call else None


def _stage(call: list[str]) -> str:
    return _option(call, "--stop-stage")


def test_sweep_runs_each_pretraining_once_and_every_study_point(sweep):
    calls = sweep("--", "--ngpu", "1")
    assert all(c[-2:] == ["--ngpu", "1"] for c in calls)
    assert [_stage(c) for c in calls if _stage(c) == "2"] == ["2", "2"]  # once per grid
    # jobs of one array may run in any order
    pretrain = [c for c in calls if _stage(c) == "3"]
    assert sorted(_option(c, "--pretrain-configs") for c in pretrain) == sorted(ICSL_CONFIGS)  # RVQ reuses one
    arms = [c for c in calls if _stage(c) == "6"]
    icsl = [c for c in arms if _option(c, "--expdir").startswith("exp/grid_icsl/")]
    rvq = [c for c in arms if _option(c, "--expdir").startswith("exp/grid_rvq/")]
    assert len(icsl) + len(rvq) == len(arms)
    assert sorted(_option(c, "--init").split("/")[2] for c in icsl) == sorted(
        c.removeprefix("conf/").removesuffix(".yaml") + "_seed1" for c in ICSL_CONFIGS)
    assert {_option(c, "--finetune-configs") for c in icsl} == {"conf/finetune_small.yaml"}
    assert sorted((_option(c, "--finetune-configs"), _option(c, "--finetune-opts")) for c in rvq) == sorted([
        ("conf/finetune_small.yaml", "--set train.seed=1")] + [
        ("conf/finetune_small_rvq.yaml", f"--set model.rvq.num_levels={n} --set train.seed=1") for n in (1, 2, 4, 8, 16)])
    assert {_option(c, "--init") for c in rvq} == {"exp/pretraining/pretrain_small_seed1/ssl_x/checkpoint_best.pt"}
    for call in arms:
        assert _option(call, "--test-sets") == "dev_clean test_clean"
        assert _option(call, "--decode-configs") == "conf/decode_greedy.yaml conf/decode_beam.yaml"
    for study in ("icsl", "rvq"):
        assert (sweep.recipe / "exp" / f"grid_{study}" / "comparison.md").is_file()

    assert [_stage(c) for c in sweep()[len(calls):]] == ["2", "2"]  # everything finished: skipped


def test_sweep_runs_the_chosen_study_only(sweep):
    calls = sweep("--studies", "rvq")
    assert [_stage(c) for c in calls] == ["2", "3"] + ["6"] * 6


@pytest.mark.parametrize("args, message", [
    (["--studies", "icsl bogus"], "unknown study 'bogus'"),
    (["--stagee", "3"], "--stagee"),
])
def test_sweep_rejects_bad_options_naming_them(sweep, args, message):
    proc = sweep(*args, ok=False)
    assert proc.returncode != 0 and message in proc.stderr
    assert not (sweep.recipe / "calls.txt").exists()
