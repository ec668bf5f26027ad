"""A fake recipe for the experiment driver: its run.sh records each call and writes the
files the real stages leave (``ssl_*/checkpoint_best.pt``, ``model_info.json``,
``decode_info.json``, ``score.json``) with error rates computed from the arm's options, so a test knows every
number the comparison must show.

Error rates of the fake (in %): test CER = 60 - minutes/2 - (8 for a pretrained start)
- (10 for a BL-JUST arm) + seed/2; WER = 1.5 × CER; dev is 1 point above test. Decode configs: ``decode_lm1.yaml``
is 3 points better than greedy on dev and test; ``decode_lm2.yaml`` 4 points better on
dev but 2 points worse on test, so only a choice made on dev picks it.

Files in the recipe directory steer it: ``fail`` (a word per line: a run whose expdir
contains one exits 1) and ``hold`` (such a run sleeps until killed).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

FAKE_RUN_SH = r'''#!{python}
import json, os, re, sys, time
from pathlib import Path

argv = sys.argv[1:]
opts = dict(zip(argv[::2], argv[1::2]))
with open("calls.jsonl", "a") as f:
    f.write(json.dumps(argv) + "\n")
exp = opts.get("--expdir", "exp")
def listed(name):
    return Path(name).is_file() and any(w and w in exp for w in Path(name).read_text().split())
if opts["--stop-stage"] == "2":
    sys.exit(0)
if listed("fail"):
    print("fake run.sh: this run fails", file=sys.stderr)
    sys.exit(1)
while listed("hold"):
    time.sleep(0.2)
if opts["--stop-stage"] == "3":
    ssl = Path(exp) / ("ssl_" + Path(opts["--pretrain-configs"]).stem)
    ssl.mkdir(parents=True, exist_ok=True)
    (ssl / "checkpoint_best.pt").write_text("fake")
    sys.exit(0)
training = opts.get("--finetune-opts") or opts["--bljust-opts"]
seed = int(re.search(r"train\.seed=(\d+)", training).group(1))
minutes = int(opts.get("--labeled-minutes", 0))
cer = 60 - minutes / 2 - (0 if opts["--init"] == "none" else 8) + seed / 2
cer -= 10 if opts.get("--train-mode") == "bljust" else 0
shift = {{"decode_greedy": (0, 0), "decode_lm1": (-3, -3), "decode_lm2": (-4, 2)}}
asr = Path(exp) / ("asr_" + Path(opts.get("--finetune-configs") or opts["--bljust-configs"]).stem)
asr.mkdir(parents=True, exist_ok=True)
(asr / "model_info.json").write_text("{{}}")
for config in opts["--decode-configs"].split():
    name = Path(config).stem
    for data_set in opts["--test-sets"].split():
        dev, test = shift[name]
        rate = cer + (1 + dev if data_set == "dev" else test)
        out = asr / name / data_set
        (out / "score").mkdir(parents=True, exist_ok=True)
        (out / "decode_info.json").write_text(json.dumps({{"config": config}}))
        counts = lambda r: {{"snt": 10, "wrd": 1000, "corr": 1000 - round(10 * r), "sub": round(10 * r),
                            "dele": 0, "ins": 0, "snt_err": 5, "err": round(10 * r), "error_rate": r,
                            "sentence_error_rate": 50.0}}
        score = {{"num_utts": 10, "missing": [],
                  "wer": {{"raw": counts(1.5 * rate), "normalized": counts(1.5 * rate)}},
                  "cer": {{"raw": counts(rate), "normalized": counts(rate)}}}}
        (out / "score" / "score.json").write_text(json.dumps(score))
'''

CONFIGS = ("pretrain_a", "finetune_a", "finetune_b", "bljust_a", "decode_greedy", "decode_lm1", "decode_lm2")

#: 2 inits × 2 labeled amounts × 2 seeds, greedy and an LM decoding with two weights.
GRID = {
    "pretrain": [{"config": "conf/pretrain_a.yaml"}],
    "finetune": [{"config": "conf/finetune_a.yaml"}],
    "inits": ["scratch", "ssl"],
    "labeled_minutes": [5, 10],
    "seeds": [1, 2],
    "decodings": {"greedy": ["conf/decode_greedy.yaml"],
                  "lm": ["conf/decode_lm1.yaml", "conf/decode_lm2.yaml"]},
}


def fake_cer(minutes: int, ssl: bool, seed: int) -> float:
    """The fake's greedy test CER (see the module docstring)."""
    return 60 - minutes / 2 - (8 if ssl else 0) + seed / 2


def make_recipe(where: Path) -> Path:
    where.mkdir(parents=True)
    (where / "conf").mkdir()
    for name in CONFIGS:
        (where / "conf" / f"{name}.yaml").write_text("{}\n")
    run_sh = where / "run.sh"
    run_sh.write_text(FAKE_RUN_SH.format(python=sys.executable))
    run_sh.chmod(0o755)
    return where


def write_grid(recipe: Path, name: str = "grid", **changes) -> str:
    """``conf/<name>.yaml``: GRID with ``changes``; returns its path relative to the recipe."""
    (recipe / "conf" / f"{name}.yaml").write_text(yaml.safe_dump({**GRID, **changes}))
    return f"conf/{name}.yaml"


def calls(recipe: Path) -> list[list[str]]:
    path = recipe / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def fake(tmp_path, monkeypatch) -> SimpleNamespace:
    """A fake recipe as the working directory, with the venv's scripts on PATH."""
    recipe = make_recipe(tmp_path / "recipe")
    monkeypatch.chdir(recipe)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return SimpleNamespace(recipe=recipe, make_recipe=make_recipe, write_grid=write_grid,
                           calls=lambda: calls(recipe), cer=fake_cer, grid=GRID)
