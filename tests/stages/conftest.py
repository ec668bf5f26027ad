"""A tiny corpus and tiny stage 3-4 runs shared by the tests of stages 3 to 6.

Training is the expensive part, so it happens once per test session: :class:`Stages`
builds each piece in a folder under pytest's session base directory and marks it done,
so whichever test directory below ``tests/stages/`` (pretrain, finetune, decode, e2e) asks
first builds it and the others reuse it. Tests reach this module's helpers through the
``stage_kit`` fixture (test files cannot import modules under ``--import-mode=importlib``)::

    stages.corpus        synthesized ca+es corpus: data/<set> and dump/raw/<set>
    stages.pretrained()  exp dir of an 8-update wav2vec 2.0 pretraining run
    stages.finetuned()   exp dir of an 8-update CTC fine-tuning run from it

The model is a 0.1 M-parameter wav2vec 2.0 (the tiny size's 7-conv front end, 20 ms
frames, at 32 channels; 2 × 64 Transformer) so that every run takes seconds on 2 cores.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import yaml

from asrkit.data import read_table, write_table
from asrkit.features import load_feature

#: Field overrides of the "tiny" size (``model:`` of a pretraining config).
MICRO_WAV2VEC2: dict[str, Any] = {
    "conv_layers": [[32, 10, 5]] + [[32, 3, 2]] * 4 + [[32, 2, 2]] * 2,
    "encoder_dim": 64,
    "encoder_layers": 2,
    "encoder_heads": 2,
    "encoder_ffn_dim": 128,
    "pos_conv_kernel": 16,
    "pos_conv_groups": 4,
    "num_codevectors_per_group": 16,
    "codevector_dim": 32,
    "final_dim": 32,
    "dropout": 0.0,
    "attention_dropout": 0.0,
    "dropout_input": 0.0,
    "dropout_features": 0.0,
}

# Quiet, fast training for tests: no progress bar, no loader processes.
_TRAIN_QUIET = {"progress_bar": False, "data": {"num_workers": 0}}

PRETRAIN = {
    "model": {"size": "tiny", **MICRO_WAV2VEC2},
    "loss": {"num_negatives": 20},
    "train": {
        "max_updates": 8,
        "optim": {"lr": 2.0e-3},
        # constant: a run stopped at update 4 and resumed to 8 follows the same schedule
        "schedule": {"name": "constant", "warmup_updates": 1},
        "data": {"batch_bins": 96000, "max_length": 32000},
        "log_interval": 2,
        "valid_interval": 4,
        "save_interval": 4,
        "keep_last": 2,
    },
}

FINETUNE = {
    "model": {"wav2vec2": {"mask_time_prob": 0.2, "mask_time_length": 2, "mask_channel_prob": 0.0,
                           "layerdrop": 0.0, "dropout": 0.0}},
    "tokenizer": {"kind": "char", "normalizer": "default"},
    "finetune": {"freeze_feature_encoder": True, "freeze_encoder_updates": 2, "average_best": 2},
    "train": {
        "max_updates": 8,
        "optim": {"lr": 2.0e-3},
        "schedule": {"name": "tri_stage", "phase_ratio": [0.1, 0.4, 0.5]},
        "data": {"batch_bins": 200000},
        "log_interval": 2,
        "valid_interval": 4,
        "save_interval": 4,
        "keep_last": 4,
    },
}

#: Train settings for the tests' own short runs: no pictures, no tensorboard.
NO_EXTRAS = {"train": {"plots": False, "tensorboard": False}}

#: Fine-tuning from random init (``--init none``) with the micro encoder, not the tiny size.
MICRO_SCRATCH = {"model": {"wav2vec2": MICRO_WAV2VEC2}}


def merged(base: dict, *overrides: dict) -> dict:
    """``base`` with nested ``overrides`` applied (dicts merge, anything else replaces)."""
    out = copy.deepcopy(base)
    for over in overrides:
        for key, value in over.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merged(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
    return out


def write_config(path: Path, base: dict, *overrides: dict) -> Path:
    """A YAML config: ``base`` + ``overrides``, with the tests' quiet training settings."""
    data = merged(base, *overrides)
    if "train" in data:
        data["train"] = merged(_TRAIN_QUIET, data["train"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run(main: Callable[[list[str]], int], *argv: Any) -> int:
    """A stage CLI's ``main`` on ``argv`` (paths become strings)."""
    return main([str(a) for a in argv])


def read_metrics(exp: Path, split: str = "train") -> list[dict]:
    lines = (exp / "log" / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    return [r for r in map(json.loads, lines) if r["split"] == split]


def venv_on_path() -> str:
    """PATH with this interpreter's bin first, as path.sh sets it (launcher jobs need it)."""
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def waves_of(dump_dir: Path, utts: list[str] | None = None) -> dict[str, np.ndarray]:
    """Waveforms of a raw dump, by utterance id (all, or ``utts`` in that order)."""
    scp = read_table(dump_dir / "feats.scp")
    return {u: load_feature(scp[u]) for u in (utts or sorted(scp))}


def dump_waves(root: Path, clips: dict[str, tuple[np.ndarray, str | None]],
               feats_type: str = "raw") -> Path:
    """Stage 2 on 16 kHz waveforms: writes ``root/data`` and dumps it to ``root/dump``.

    ``clips``: utterance id (``<speaker>-<name>``) -> (waveform, transcript or None for
    unlabeled audio).
    """
    from asrkit import dump

    (root / "wav").mkdir(parents=True, exist_ok=True)
    wav_scp, utt2spk, text = {}, {}, {}
    for utt, (wave, transcript) in clips.items():
        path = root / "wav" / f"{utt}.wav"
        sf.write(path, wave, 16000, subtype="FLOAT")
        wav_scp[utt] = str(path)
        utt2spk[utt] = utt.split("-")[0]
        if transcript is not None:
            text[utt] = transcript
    write_table(root / "data" / "wav.scp", wav_scp)
    write_table(root / "data" / "utt2spk", utt2spk)
    if text:
        write_table(root / "data" / "text", text)
    if dump.main(["--type", feats_type, str(root / "data"), str(root / "dump")]) != 0:
        raise RuntimeError(f"asrkit-dump failed on {root / 'data'}")
    return root / "dump"


def copy_dump(src: Path, dst: Path, text: dict[str, str] | None = None) -> Path:
    """A dump dir sharing ``src``'s arks, with transcripts replaced by ``text``."""
    dst.mkdir(parents=True)
    for f in src.iterdir():
        if f.is_file():
            shutil.copy(f, dst / f.name)
    if text:
        table = read_table(dst / "text", allow_empty_value=True)
        table.update(text)
        write_table(dst / "text", table)
    return dst


class Stages:
    """The shared corpus and runs, built on first use under ``root`` (see the module doc)."""

    def __init__(self, root: Path):
        self.root = root

    def _once(self, name: str, build: Callable[[Path], None]) -> Path:
        where = self.root / name
        if not (where / ".built").is_file():
            import torch

            shutil.rmtree(where, ignore_errors=True)
            where.mkdir(parents=True)
            # One thread whoever asks first (a module fixture runs before the per-test
            # _one_thread): tests compare these runs bit for bit with runs of their own.
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                build(where)
            finally:
                torch.set_num_threads(threads)
            (where / ".built").write_text("")
        return where

    @property
    def corpus(self) -> Path:
        return self._once("corpus", _build_corpus)

    def dump(self, name: str) -> Path:
        return self.corpus / "dump" / "raw" / name

    def data(self, name: str) -> Path:
        return self.corpus / "data" / name

    def pretrain_args(self, exp: Path, config: Path) -> list:
        return ["--ngpu", "0", "--config", config, "--train-data", self.dump("unlabeled"),
                "--valid-data", self.dump("dev"), "--exp-dir", exp]

    def pretrained(self) -> Path:
        """Exp dir of the shared pretraining run (PRETRAIN, 8 updates)."""
        from asrkit import pretrain

        def build(where: Path) -> None:
            config = write_config(where / "pretrain.yaml", PRETRAIN)
            if run(pretrain.main, *self.pretrain_args(where / "exp", config)) != 0:
                raise RuntimeError("the shared pretraining run failed")

        return self._once("ssl", build) / "exp"

    def finetuned(self) -> Path:
        """Exp dir of the shared fine-tuning run (FINETUNE, 8 updates, from :meth:`pretrained`)."""
        from asrkit import finetune

        init = self.pretrained() / "checkpoint_last.pt"

        def build(where: Path) -> None:
            config = write_config(where / "finetune.yaml", FINETUNE)
            status = run(finetune.main, "--ngpu", "0", "--config", config, "--init", init,
                         "--train-data", self.dump("train"), "--valid-data", self.dump("dev"),
                         "--exp-dir", where / "exp")
            if status != 0:
                raise RuntimeError("the shared fine-tuning run failed")

        return self._once("asr", build) / "exp"


def _build_corpus(where: Path) -> None:
    """1.5 min of Catalan and Spanish (4 speakers each), prepared and dumped raw."""
    from asrkit import dump
    from asrkit.corpora import cli as prepare
    from asrkit.corpora import synth

    synth.generate(where / "cv", ("ca", "es"), minutes=1.5, seed=0, jobs=2, speakers_per_locale=4)
    status = prepare.main(["commonvoice", str(where / "cv"), str(where / "data"), "--locales", "ca,es",
                           "--split-mode", "official", "--unlabeled", "train,other"])
    if status != 0:
        raise RuntimeError("asrkit-prepare failed on the synthesized corpus")
    for name in ("train", "dev", "test", "unlabeled"):
        status = dump.main(["--type", "raw", str(where / "data" / name),
                            str(where / "dump" / "raw" / name)])
        if status != 0:
            raise RuntimeError(f"asrkit-dump failed on data/{name}")


# ------------------------------------------------------------------ fixtures for the conftests


@pytest.fixture(scope="session")
def stages(tmp_path_factory) -> Stages:
    """The shared corpus and runs (one copy on disk per session, see the module doc)."""
    return Stages(tmp_path_factory.getbasetemp() / "stages")


@pytest.fixture(scope="session")
def stage_kit():
    """This module: configs (PRETRAIN, FINETUNE, write_config) and dump helpers."""
    return sys.modules[__name__]


@pytest.fixture(autouse=True)
def _venv_on_path(monkeypatch):
    """Decoding and dump jobs run console scripts through the launcher, as after path.sh."""
    monkeypatch.setenv("PATH", venv_on_path())


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    """The micro models are small: a second thread only adds waiting on a busy 2-core machine
    (a 6-update Conformer run: 4 s with one thread, 8 s with two)."""
    import torch

    torch.set_num_threads(1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
