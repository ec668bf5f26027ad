"""egs/librispeech/sweep.sh calls ./run.sh once per study point, with the stage range and the
options after "--" passed through (run.sh is replaced by one that records its arguments)."""

from __future__ import annotations

import subprocess

import pytest

RECORDER = """#!/usr/bin/env bash
for a in "$@"; do printf '%s\\t' "$a"; done >> calls.txt
echo >> calls.txt
"""
ICSL_CONFIGS = ("conf/pretrain_small.yaml conf/pretrain_small_g2_icsl.yaml conf/pretrain_small_g4.yaml "
                "conf/pretrain_small_g4_icsl.yaml conf/pretrain_small_g8.yaml conf/pretrain_small_g8_icsl.yaml "
                "conf/pretrain_small_g16.yaml conf/pretrain_small_g16_icsl.yaml")


@pytest.fixture
def sweep(recipes, tmp_path):
    recipe = recipes.copy("librispeech", tmp_path)
    (recipe / "run.sh").write_text(RECORDER)

    def run(*args: str, ok: bool = True) -> list[list[str]] | subprocess.CompletedProcess:
        proc = subprocess.run(["./sweep.sh", *args], cwd=recipe, env=recipes.env(), capture_output=True,
                              text=True, timeout=60)
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


def test_sweep_prepares_data_once_then_runs_every_study_point(sweep):
    calls = sweep("--", "--ngpu", "1")
    assert calls[0] == ["--stage", "1", "--stop-stage", "2", "--ngpu", "1"]
    experiments = calls[1:]
    assert all(c[:4] == ["--stage", "3", "--stop-stage", "6"] and c[-2:] == ["--ngpu", "1"]
               for c in experiments)
    icsl, rvq = experiments[0], experiments[1:]
    assert _option(icsl, "--pretrain-configs") == ICSL_CONFIGS
    assert _option(icsl, "--finetune-configs") == "conf/finetune_small.yaml"
    assert [(_option(c, "--finetune-configs"), _option(c, "--finetune-opts")) for c in rvq] == [
        ("conf/finetune_small.yaml", None)] + [
        ("conf/finetune_small_rvq.yaml", f"--set model.rvq.num_levels={n}") for n in (1, 2, 4, 8, 16)]
    assert {_option(c, "--pretrain-configs") for c in rvq} == {"conf/pretrain_small.yaml"}
    for call in experiments:
        for option in ("--pretrain-configs", "--finetune-configs"):
            for config in _option(call, option).split():
                assert (sweep.recipe / config).is_file(), config


def test_sweep_keeps_to_the_stage_range_and_chosen_points(sweep):
    calls = sweep("--stage", "4", "--stop-stage", "5", "--studies", "rvq", "--rvq-levels", "4 8")
    assert [c[:4] for c in calls] == [["--stage", "4", "--stop-stage", "5"]] * 3
    assert [_option(c, "--finetune-opts") for c in calls] == [
        None, "--set model.rvq.num_levels=4", "--set model.rvq.num_levels=8"]


def test_sweep_stopping_at_stage_2_only_prepares_data(sweep):
    assert sweep("--stop-stage", "2") == [["--stage", "1", "--stop-stage", "2"]]


def test_sweep_icsl_study_with_fewer_codebook_counts(sweep):
    calls = sweep("--stage", "3", "--studies", "icsl", "--codebooks", "2 16")
    assert [_option(c, "--pretrain-configs") for c in calls] == [
        "conf/pretrain_small.yaml conf/pretrain_small_g2_icsl.yaml "
        "conf/pretrain_small_g16.yaml conf/pretrain_small_g16_icsl.yaml"]


@pytest.mark.parametrize("args, message", [
    (["--studies", "icsl bogus"], "unknown study 'bogus'"),
    (["--codebooks", "3"], "no conf/pretrain_small_g3.yaml"),
    (["--stagee", "3"], "--stagee"),
])
def test_sweep_rejects_bad_options_naming_them(sweep, args, message):
    proc = sweep(*args, ok=False)
    assert proc.returncode != 0 and message in proc.stderr
    assert not (sweep.recipe / "calls.txt").exists()
