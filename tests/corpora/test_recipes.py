"""The recipes' stage 1 (egs/<corpus>/local/data.sh) on the real samples, in a scratch copy."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CV61 = "common_voice/cv-corpus-6.1-2020-12-11"

CASES = {
    "yesno": ({"YESNO": "yesno/waves_yesno"}, [], ["train", "test"]),
    "fsdd": ({"FSDD": "fsdd"}, ["--split", "speaker"], ["train", "dev", "test"]),
    "commonvoice": ({"COMMONVOICE": CV61}, ["--locales", "ca,eu"], ["train", "dev", "test", "unlabeled", "test_eu"]),
    "librispeech": (
        {"LIBRISPEECH": "librispeech"},
        ["--limited", "10min", "--eval-sets", "test-other,dev-clean"],
        ["train_10min", "dev_clean", "test_other", "unlabeled"],
    ),
}


def recipe_copy(repo: Path, corpus: str, where: Path) -> Path:
    """The recipe's own files plus the links every recipe has (path.sh, utils)."""
    recipe = where / corpus
    recipe.mkdir()
    shutil.copytree(repo / "egs" / corpus / "local", recipe / "local")
    shutil.copy(repo / "egs" / corpus / "db.sh", recipe / "db.sh")
    (recipe / "path.sh").symlink_to(repo / "egs" / "TEMPLATE" / "path.sh")
    (recipe / "utils").symlink_to(repo / "utils")
    return recipe


@pytest.mark.shared_data
@pytest.mark.parametrize("corpus", list(CASES))
def test_recipe_stage1_writes_valid_data_dirs(corpus, shared_data, repo_root, tmp_path, kit):
    env_paths, options, sets = CASES[corpus]
    recipe = recipe_copy(repo_root, corpus, tmp_path)
    env = dict(os.environ, ASRKIT_VENV=str(repo_root / "tools" / "venv"))
    env.update({name: str(shared_data / rel) for name, rel in env_paths.items()})
    proc = subprocess.run(
        ["bash", "local/data.sh", *options], cwd=recipe, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Successfully finished" in proc.stdout
    for name in sets:
        kit.assert_valid(recipe / "data" / name)


def test_recipe_options_are_checked(repo_root, tmp_path):
    recipe = recipe_copy(repo_root, "fsdd", tmp_path)
    env = dict(os.environ, ASRKIT_VENV=str(repo_root / "tools" / "venv"))
    proc = subprocess.run(["bash", "local/data.sh", "--splitt", "x"], cwd=recipe, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0 and "--splitt" in proc.stderr


@pytest.mark.shared_data
def test_recipe_stage1_is_skipped_when_done_and_redone_with_force(shared_data, repo_root, tmp_path):
    recipe = recipe_copy(repo_root, "yesno", tmp_path)
    env = dict(os.environ, ASRKIT_VENV=str(repo_root / "tools" / "venv"), YESNO=str(shared_data / "yesno/waves_yesno"))

    def stage1(*options: str) -> str:
        proc = subprocess.run(["bash", "local/data.sh", *options], cwd=recipe, env=env, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    assert "wrote 2 data dirs" in stage1()
    again = stage1()
    assert "already prepared" in again and "wrote" not in again
    assert "wrote 2 data dirs" in stage1("--force", "true")
