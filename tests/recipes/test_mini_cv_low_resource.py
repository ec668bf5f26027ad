"""egs/mini_cv's low-resource setting, stage 1 on a small synthesized corpus: labeled sets of
N minutes per language nested by seed, a pool grown with more train speakers to M minutes
that shares no speaker with dev or test, dev and test the same whatever the amounts, and
clear errors for amounts the corpus cannot give."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from asrkit.data import DataDir

# Two languages, 0.4 min each in the base corpus: 1 test, 1 dev and 3 train speakers each.
BASE = "--languages ca,es --minutes 0.8 --speakers-per-locale 5 --jobs 2"
SETS = ("dev", "test", "dev_ca", "test_es")


def minutes(dd: DataDir, lang: str | None = None) -> float:
    langs = dd.utt_tables["utt2lang"]
    return sum(float(d) for u, d in dd.utt_tables["utt2dur"].items() if lang in (None, langs[u])) / 60


def snapshot(recipe: Path) -> dict[str, bytes]:
    """The dev and test data dirs' tables and the audio they name, as bytes."""
    out = {}
    for name in SETS:
        for f in sorted((recipe / "data" / name).iterdir()):
            if f.is_file() and not f.name.startswith("."):
                out[f"{name}/{f.name}"] = f.read_bytes()
        for path in DataDir.read(recipe / "data" / name).wav_scp.values():
            out[path] = hashlib.sha256(Path(path).read_bytes()).digest()
    return out


def test_labeled_sets_nest_the_pool_grows_and_dev_test_stay(recipes, tmp_path):
    recipe = recipes.copy("mini_cv", tmp_path)
    db = tmp_path / "db"
    env = recipes.env(MINI_CV=db)

    def data_sh(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["local/data.sh", *BASE.split(), *args], cwd=recipe, env=env,
                              capture_output=True, text=True, timeout=300)

    # Several amounts through run.sh: stage 1 prepares each and stops there.
    proc = recipes.run(recipe, ["--labeled-minutes", "0.1 0.2", "--local-data-opts", BASE], env)
    assert "stage 1 prepares each" in proc.stderr and "Stage 2" not in proc.stdout
    small = [set(DataDir.read(recipe / "data" / f"train_{n}min").utts) for n in ("0.1", "0.2")]
    assert small[0] < small[1]
    base_pool = DataDir.read(recipe / "data" / "unlabeled")
    before = snapshot(recipe)
    tsvs = {f"{loc}/{t}.tsv": (db / loc / f"{t}.tsv").read_text().splitlines()
            for loc in ("ca", "es") for t in ("dev", "test", "train", "other")}

    # The base corpus holds ~0.26 min of train per language: more is an error saying so.
    proc = data_sh("--labeled-minutes", "0.5")
    assert proc.returncode != 0
    assert "cannot take 0.5 min of each lang from data/train: ca holds 0.2" in proc.stderr
    assert "give --unlabeled-minutes 1.2 or more" in proc.stderr

    # A pool too small for the labeled audio is refused before anything is synthesized.
    proc = data_sh("--labeled-minutes", "1", "--unlabeled-minutes", "2")
    assert proc.returncode != 0 and "give at least 2.4" in proc.stderr
    assert "Synthesizing" not in proc.stdout

    # Grown to a 2-minute pool: new train speakers and sentences, dev and test untouched.
    proc = data_sh("--labeled-minutes", "0.1,0.2,0.5", "--unlabeled-minutes", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert snapshot(recipe) == before
    for name, lines in tsvs.items():
        now = (db / name).read_text().splitlines()
        assert now == lines if "/dev" in name or "/test" in name else set(lines) < set(now), name
    pool = DataDir.read(recipe / "data" / "unlabeled")
    assert 2.0 - 1e-3 <= minutes(pool) < 2.7
    assert set(base_pool.utts) < set(pool.utts)
    assert len(pool.speakers) > len(base_pool.speakers)
    evaluation = {s for name in ("dev", "test") for s in DataDir.read(recipe / "data" / name).speakers}
    assert evaluation and not evaluation & set(pool.speakers)

    grown = {n: DataDir.read(recipe / "data" / f"train_{n}min") for n in ("0.1", "0.2", "0.5")}
    assert set(grown["0.1"].utts) < set(grown["0.2"].utts) < set(grown["0.5"].utts)
    for n, dd in grown.items():
        longest = max(float(d) for d in dd.utt_tables["utt2dur"].values()) / 60
        for lang in ("ca", "es"):
            assert float(n) <= minutes(dd, lang) < float(n) + longest
        assert set(dd.utts) <= set(pool.utts), "the pool holds the labeled audio"


def test_run_sh_trains_on_one_labeled_amount(recipes, tmp_path):
    """One value sets the train set: asr.sh is called with --train-set train_<N>min."""
    recipe = recipes.copy("mini_cv", tmp_path)
    (recipe / "asr.sh").unlink()
    (recipe / "asr.sh").write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    (recipe / "asr.sh").chmod(0o755)
    out = recipes.run(recipe, ["--labeled-minutes", "10", "--unlabeled-minutes", "180", "--stage", "3"],
                      recipes.env()).stdout.split("\n")
    assert out[out.index("--train-set") + 1] == "train_10min"
    assert out[out.index("--local-data-opts") + 1] == " --labeled-minutes 10 --unlabeled-minutes 180"
    assert "--stop-stage" not in out and out[-3:-1] == ["--stage", "3"]
    out = recipes.run(recipe, [], recipes.env()).stdout.split("\n")
    assert out[out.index("--train-set") + 1] == "train"
    assert out[out.index("--local-data-opts") + 1] == ""

