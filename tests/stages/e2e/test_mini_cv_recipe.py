"""egs/mini_cv/run.sh, stages 1-6, on a tiny corpus in a scratch copy of the recipe."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest

OPTIONS = [
    "--nj", "2",
    "--feats-type", "raw",  # the micro test models use the waveform front end
    "--local-data-opts", "--minutes 1 --speakers-per-locale 3 --languages ca,es --jobs 2",
    "--pretrain-configs", "conf/test_pretrain.yaml",
    "--finetune-configs", "conf/test_finetune.yaml",
]


def recipe_copy(repo: Path, where: Path, stage_kit) -> Path:
    """mini_cv's own files, its links (asr.sh, path.sh, cmd.sh, utils), and tiny configs."""
    recipe = where / "mini_cv"
    recipe.mkdir()
    src = repo / "egs" / "mini_cv"
    for name in ("run.sh", "db.sh"):
        shutil.copy(src / name, recipe / name)
    for name in ("local", "conf"):
        shutil.copytree(src / name, recipe / name)
    for name, target in (("asr.sh", "egs/TEMPLATE/asr.sh"), ("path.sh", "egs/TEMPLATE/path.sh"),
                         ("cmd.sh", "egs/TEMPLATE/cmd.sh"), ("utils", "utils")):
        (recipe / name).symlink_to(repo / target)
    stage_kit.write_config(recipe / "conf" / "test_pretrain.yaml", stage_kit.PRETRAIN, {"train": {
        "max_updates": 4, "valid_interval": 2, "save_interval": 2,
        "data": {"batch_bins": 64000, "max_length": 32000}}})
    stage_kit.write_config(recipe / "conf" / "test_finetune.yaml", stage_kit.FINETUNE, {
        "finetune": {"freeze_encoder_updates": 1},
        "train": {"max_updates": 4, "valid_interval": 2, "save_interval": 2}})
    return recipe


def run_recipe(recipe: Path, repo: Path) -> subprocess.CompletedProcess:
    # path.sh is reached through a link here, so it cannot find the repository's venv itself
    env = dict(os.environ, ASRKIT_VENV=str(repo / "tools" / "venv"), OMP_NUM_THREADS="1")
    proc = subprocess.run(["./run.sh", *OPTIONS], cwd=recipe, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"run.sh failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def results_rows(path: Path) -> list[list[str]]:
    return [[c.strip() for c in line.split("|")[1:-1]] for line in path.read_text().splitlines()
            if line.startswith("| asr_")]


@pytest.mark.slow
def test_run_sh_goes_from_nothing_to_results_md_and_skips_finished_stages_when_run_again(
        repo_root, tmp_path, stage_kit):
    recipe = recipe_copy(repo_root, tmp_path, stage_kit)
    run_recipe(recipe, repo_root)

    ssl = recipe / "exp" / "ssl_test_pretrain"
    asr = recipe / "exp" / "asr_test_finetune_from_test_pretrain"
    for done in (ssl, asr, *(recipe / "dump" / "raw" / s for s in ("train", "dev", "test", "unlabeled"))):
        assert (done / ".done").is_file(), done
    assert (asr / "model.pt").is_file()
    decodes = sorted(asr.glob("decode_*/test"))
    # greedy without and beam search with the recipe's word 3-gram, trained in stage 5
    assert [d.parent.name for d in decodes] == ["decode_beam_lm_word_3gram", "decode_greedy"]
    assert (recipe / "exp" / "lm_word_3gram" / "lm.arpa").is_file()
    assert len(decodes) == 2 and all((d / "hyp").is_file() and (d / "score" / "result.txt").is_file()
                                     for d in decodes)
    rows = results_rows(recipe / "RESULTS.md")
    assert len(rows) == 2 and {r[0] for r in rows} == {asr.name}
    assert all(r[2] == "test" and int(r[3]) > 0 and math.isfinite(float(r[12])) for r in rows)
    assert "torch:" in (recipe / "RESULTS.md").read_text()

    trained = {p: p.stat().st_mtime_ns for p in (ssl / "checkpoint_last.pt", asr / "model.pt",
                                                  *(d / "hyp" for d in decodes))}
    proc = run_recipe(recipe, repo_root)
    again = proc.stdout + proc.stderr  # asrkit-dump logs "... is already dumped" on stderr
    assert "Synthetic corpus already in" in again
    assert again.count("already dumped") == 4
    assert f"Stage 3: exp/{ssl.name} already trained" in again
    assert f"Stage 4: exp/{asr.name} already trained" in again
    assert again.count("already decoded") == 2
    assert all(p.stat().st_mtime_ns == t for p, t in trained.items())
    assert len(results_rows(recipe / "RESULTS.md")) == 2
