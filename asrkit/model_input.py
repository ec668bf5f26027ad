"""What a fine-tuned model reads, computed from audio exactly as its training data was.

Stage 2 saves its settings in the dump dir (``<dump>/config.yaml``); stage 4 copies the
training dump's into the experiment as ``feature_config.yaml`` (:data:`asrkit.layout.FEATURE_CONFIG`),
so the model carries what its inputs were: raw samples or fbank, the sample rate, the
resampler quality and every fbank option. Transcription computes its inputs from these
settings, and decoding checks that the dump it reads was made with them::

    spec = input_spec(exp_dir, model)                  # InputSpec
    inputs = compute_inputs(wave_at_spec_rate, spec)   # [samples] or [frames, bins]
    check_same(recorded_spec(exp_dir), "dump/raw/test", "exp/asr_x")   # stage 5

An experiment trained before the settings were recorded gets the front end's defaults
(16 kHz, Kaldi fbank with 80 bins), with a warning.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

import numpy as np
import yaml

from asrkit import config as configlib
from asrkit.features import FbankConfig, compute_fbank
from asrkit.layout import FEATURE_CONFIG
from asrkit.models.ctc import CTCModel
from asrkit.models.wav2vec2 import Wav2Vec2Model

log = logging.getLogger(__name__)

#: The stage-2 settings file in a dump dir.
DUMP_CONFIG = "config.yaml"


class FeatureMismatch(ValueError):
    """Features made with other settings than the model was trained on."""


@dataclass
class InputSpec:
    """The stage-2 settings that decide a model's inputs (the keys of a dump's config.yaml
    that change its values; storage choices such as ``dtype`` and ``compress`` do not)."""

    type: Literal["raw", "fbank"] = "raw"
    sample_rate: int = 16000
    resample_quality: Literal["QQ", "LQ", "MQ", "HQ", "VHQ"] = "HQ"
    fbank: FbankConfig = field(default_factory=FbankConfig)

    def describe(self) -> str:
        what = "raw samples" if self.type == "raw" else f"fbank {self.fbank.num_mel_bins} bins"
        return f"{what} at {self.sample_rate} Hz"


def read_spec(path: str | Path) -> InputSpec:
    """The :class:`InputSpec` of a dump's ``config.yaml`` (or an experiment's copy of it)."""
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    keys = {f.name for f in fields(InputSpec)}
    try:
        return configlib.from_dict(InputSpec, {k: v for k, v in data.items() if k in keys})
    except configlib.ConfigError as e:
        raise configlib.ConfigError(f"{path}: {e}") from None


def record_spec(train_dump: str | Path, exp_dir: str | Path) -> Path | None:
    """Copy the training dump's settings into the experiment (stage 4); None when the dump
    has none (made by another tool)."""
    source = Path(train_dump) / DUMP_CONFIG
    if not source.is_file():
        log.warning("%s has no %s: the model will not know its feature settings, and "
                    "transcription will assume the front end's defaults", train_dump, DUMP_CONFIG)
        return None
    target = Path(exp_dir) / FEATURE_CONFIG
    shutil.copyfile(source, target)
    return target


def input_type(model: CTCModel) -> str:
    """"raw" (a waveform front end) or "fbank": what ``model`` reads."""
    if isinstance(model.encoder, Wav2Vec2Model) and model.encoder.cfg.frontend == "waveform":
        return "raw"
    return "fbank"


def recorded_spec(model_dir: str | Path) -> InputSpec | None:
    """The :class:`InputSpec` an experiment recorded (``model_dir``: its dir or a checkpoint
    in it), or None."""
    model_dir = Path(model_dir)
    path = (model_dir if model_dir.is_dir() else model_dir.parent) / FEATURE_CONFIG
    return read_spec(path) if path.is_file() else None


def input_spec(model_dir: str | Path, model: CTCModel) -> InputSpec:
    """The experiment's recorded :class:`InputSpec`, or the defaults of the model's front end
    when nothing is recorded."""
    frontend = input_type(model)
    spec = recorded_spec(model_dir)
    if spec is None:
        spec = InputSpec(type=frontend)  # type: ignore[arg-type]
        log.warning("%s has no %s (trained before stage 4 recorded it): assuming %s",
                    model_dir, FEATURE_CONFIG, spec.describe())
    elif spec.type != frontend:
        raise FeatureMismatch(f"{model_dir}/{FEATURE_CONFIG} says the model read {spec.type} "
                              f"features but the model takes {frontend}; was it copied from "
                              "another experiment?")
    return spec


def check_same(spec: InputSpec | None, dump_dir: str | Path, what: str) -> None:
    """Fail when the dump at ``dump_dir`` was made with other settings than ``spec`` (nothing
    to check when either is unknown)."""
    path = Path(dump_dir) / DUMP_CONFIG
    if spec is None or not path.is_file():
        return
    theirs = read_spec(path)
    ours = configlib.to_dict(spec)
    diff = [f"{k}: {v} vs {ours[k]}" for k, v in configlib.to_dict(theirs).items()
            if k != "resample_quality" and v != ours[k] and (k != "fbank" or spec.type == "fbank")]
    if diff:
        raise FeatureMismatch(f"{path} differs from the features {what} was trained on "
                              f"({'; '.join(diff)}); dump it again with the training set's settings")


def compute_inputs(wave: np.ndarray, spec: InputSpec) -> np.ndarray:
    """The model's input for a float32 mono waveform already at ``spec.sample_rate``:
    the samples, or fbank frames [frames, bins] as stage 2 computes them."""
    if spec.type == "raw":
        return np.asarray(wave, dtype=np.float32)
    return compute_fbank(wave, spec.sample_rate, spec.fbank)
