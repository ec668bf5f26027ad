"""Running a recipe's ./run.sh in a scratch copy of its directory (the ``recipes`` fixture)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]
EGS = REPO / "egs"
# Recipes whose conf/, README.md and tests this area owns (mini_cv has its own tests).
RECIPES = ("an4", "commonvoice", "covost2", "fsdd", "librispeech", "yesno")


def recipe_copy(name: str, where: Path) -> Path:
    """``where/<name>``: the recipe's own files copied, the shared ones linked, as in egs/."""
    src = EGS / name
    dst = where / name
    dst.mkdir(parents=True)
    for item in ("run.sh", "db.sh", "sweep.sh"):
        if (src / item).exists():
            shutil.copy2(src / item, dst / item)
    for item in ("local", "conf"):
        shutil.copytree(src / item, dst / item)
    for item in ("asr.sh", "path.sh", "cmd.sh"):
        (dst / item).symlink_to((src / item).resolve())
    (dst / "utils").symlink_to(REPO / "utils")
    return dst


def recipe_env(**corpora: str | Path) -> dict[str, str]:
    """The environment for run.sh: this interpreter's venv, local jobs, one thread per job."""
    env = dict(os.environ, ASRKIT_VENV=sys.prefix, cmd_backend="local", OMP_NUM_THREADS="1")
    env.update({name: str(path) for name, path in corpora.items()})
    return env


def run_recipe(recipe: Path, args: list[str], env: dict[str, str], script: str = "./run.sh",
               timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a recipe script; a failure shows the end of its output."""
    proc = subprocess.run([script, *args], cwd=recipe, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"{script} {' '.join(args)} failed in {recipe} (exit {proc.returncode}):\n"
                    f"{(proc.stdout + proc.stderr)[-4000:]}")
    return proc


@pytest.fixture(scope="session")
def recipes() -> SimpleNamespace:
    return SimpleNamespace(copy=recipe_copy, env=recipe_env, run=run_recipe, egs=EGS, names=RECIPES)


def fake_clips(sample: Path, root: Path) -> Path:
    """The CoVoST 2 TSV sample with a tone for each clip it names (it has no audio), 0.1 s
    per character of its sentence, so CTC has frames enough for the transcript."""
    import csv

    import numpy as np
    import soundfile as sf

    root.mkdir(parents=True)
    for tsv in sample.glob("*.tsv"):
        (root / tsv.name).write_bytes(tsv.read_bytes())
    for src in sorted(p.name for p in sample.iterdir() if (p / "validated.tsv").is_file()):
        (root / src / "clips").mkdir(parents=True)
        (root / src / "validated.tsv").write_bytes((sample / src / "validated.tsv").read_bytes())
        with open(sample / src / "validated.tsv", encoding="utf-8", newline="") as f:
            for i, row in enumerate(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)):
                seconds = max(1.0, 0.1 * len(row["sentence"])) + 0.1 * i
                t = np.arange(int(48000 * seconds)) / 48000
                tone = (0.1 * np.sin(2 * np.pi * (220 + 40 * i) * t)).astype(np.float32)
                sf.write(root / src / "clips" / row["path"], tone, 48000, format="MP3")
    return root


@pytest.fixture(scope="session")
def covost2_clips(shared_data, tmp_path_factory) -> Path:
    """A CoVoST 2 layout over the TSV sample in ../shared/data, with fake clips."""
    sample = shared_data / "covost2_tsv_sample"
    if not sample.is_dir():
        pytest.skip(f"no CoVoST 2 sample at {sample}")
    return fake_clips(sample, tmp_path_factory.mktemp("covost2") / "cv4")
