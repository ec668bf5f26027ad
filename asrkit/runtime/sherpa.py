"""An exported fbank model decoded by sherpa-onnx (pip ``sherpa-onnx``): a runtime asrkit
did not write, which reads the audio and computes the features itself.

::

    rec = SherpaCTC("exp/asr_x/export")            # model.onnx + tokens.txt + metadata
    out = rec.decode_data_dir("data/test")         # out["hyps"]: {utt: text}, greedy search

The graph follows sherpa-onnx's WeNet CTC contract (:mod:`asrkit.runtime.graph`): sherpa-onnx
feeds it Kaldi fbank of 16-bit-scaled samples, which is what stage 2 dumps. Four fbank
options are the model's to set and sherpa-onnx lets a caller set them (sample rate, low and
high mel frequencies, snip_edges, dither); the rest are fixed at Kaldi's defaults there, so a
model trained on other values cannot be served by it and is refused with the option named.

Audio at another rate than the model's is resampled by sherpa-onnx's own resampler (not
soxr, which stage 2 uses), so its features differ a little from the dump's;
``decode_data_dir(..., resample=True)`` resamples with soxr first, as stage 2 does.
sherpa-onnx 2.0.1's fbank also varies in the last bits from run to run on the same samples
(an ONNX graph that echoes its input shows it), so a frame whose two best tokens are nearly
tied may decode differently from asrkit's, and from one run to the next.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

from asrkit import audio
from asrkit.data import DataDir
from asrkit.features import FbankConfig
from asrkit.progress import progress
from asrkit.runtime.graph import FBANK_MODEL_TYPE, ExportError, read_metadata

log = logging.getLogger(__name__)

#: fbank options sherpa-onnx does not let a caller set, and the values it uses.
FIXED = {"frame_length_ms": 25.0, "frame_shift_ms": 10.0, "preemphasis_coefficient": 0.97,
         "remove_dc_offset": True, "window_type": "povey", "round_to_power_of_two": True,
         "use_energy": False, "use_log_fbank": True, "use_power": True}


class SherpaContractError(ExportError):
    """An exported model that no sherpa-onnx CTC model contract can serve."""


def feature_settings(meta: dict[str, str]) -> dict:
    """sherpa-onnx ``FeatureExtractorConfig`` arguments for a graph's metadata."""
    if meta.get("model_type") != FBANK_MODEL_TYPE:
        raise SherpaContractError(
            f"model_type {meta.get('model_type')!r}: only fbank models follow a sherpa-onnx CTC "
            f"contract ({FBANK_MODEL_TYPE}); sherpa-onnx's offline CTC models all take features, "
            "none batched raw samples with lengths")
    spec = json.loads(meta["feature"])
    fbank = {**vars(FbankConfig()), **spec.get("fbank", {})}
    differ = [f"{k}={fbank[k]!r} (sherpa-onnx: {v!r})" for k, v in FIXED.items() if fbank[k] != v]
    if differ:
        raise SherpaContractError(f"sherpa-onnx computes fbank with fixed settings the model was not "
                                  f"trained with: {', '.join(differ)}")
    return {"sampling_rate": int(spec["sample_rate"]), "feature_dim": int(fbank["num_mel_bins"]),
            "low_freq": float(fbank["low_freq"]), "high_freq": float(fbank["high_freq"]),
            "dither": float(fbank["dither"]), "snip_edges": bool(fbank["snip_edges"]),
            # WeNet models read samples scaled to 16-bit values, as Kaldi (sherpa-onnx forces it)
            "normalize_samples": False}


class SherpaCTC:
    """A sherpa-onnx offline recognizer (greedy search) for ``export_dir``'s graph."""

    def __init__(self, export_dir: str | Path, model_file: str = "model.onnx", threads: int = 1) -> None:
        try:
            import sherpa_onnx
            from sherpa_onnx.lib._sherpa_onnx import OfflineRecognizer
        except ImportError as e:
            raise ExportError(f"sherpa-onnx is not installed ({e}); pip install sherpa-onnx "
                              "(asrkit's 'export' extra)") from None
        export_dir = Path(export_dir)
        model, tokens = export_dir / model_file, export_dir / "tokens.txt"
        if not tokens.is_file():
            raise ExportError(f"{tokens}: no such file (asrkit-export writes it next to the graph)")
        self.meta = read_metadata(model)
        self.features = feature_settings(self.meta)
        self.version = sherpa_onnx.__version__
        config = sherpa_onnx.OfflineRecognizerConfig(
            feat_config=sherpa_onnx.FeatureExtractorConfig(**self.features),
            model_config=sherpa_onnx.OfflineModelConfig(
                wenet_ctc=sherpa_onnx.OfflineWenetCtcModelConfig(model=str(model)),
                tokens=str(tokens), num_threads=threads, model_type=FBANK_MODEL_TYPE),
            decoding_method="greedy_search")
        self.recognizer = OfflineRecognizer(config)

    def __call__(self, samples: np.ndarray, sample_rate: int) -> str:
        """The transcript of float samples in [-1, 1] at ``sample_rate`` (sherpa-onnx resamples
        to the model's rate itself)."""
        stream = self.recognizer.create_stream()
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        if sample_rate == self.features["sampling_rate"]:
            stream.accept_waveform(sample_rate, samples)
        else:
            with _quiet_stderr():  # sherpa-onnx prints three lines per resampled stream
                stream.accept_waveform(sample_rate, samples)
        self.recognizer.decode_stream(stream)
        return " ".join(stream.result.text.split())

    def decode_data_dir(self, data_dir: str | Path, utts: list[str] | None = None,
                        resample: bool = False) -> dict:
        """Transcripts of a data dir's recordings (its segments, if any): ``{"hyps": {utt:
        text}, "seconds": decoding time, "audio_seconds", "rates": {rate: count}}``. The audio
        goes to sherpa-onnx at its own rate, or with ``resample`` at the model's (soxr, as
        stage 2 resamples)."""
        dd = DataDir.read(data_dir)
        hyps, seconds, total, rates = {}, 0.0, 0.0, {}
        target = self.features["sampling_rate"]
        for utt in progress(utts or dd.utts, desc=f"sherpa-onnx on {data_dir}", unit="utt", mininterval=5):
            reco, start, end = dd.recording_of(utt)
            with audio.Recording(dd.wav_scp[reco]) as rec:
                rate = rec.info.sample_rate
                wave = rec.read(start, end, sample_rate=target if resample else None)
            rates[rate] = rates.get(rate, 0) + 1
            rate = target if resample else rate
            t0 = time.perf_counter()
            hyps[utt] = self(wave, rate)
            seconds += time.perf_counter() - t0
            total += len(wave) / rate
        return {"hyps": hyps, "seconds": seconds, "audio_seconds": total, "rates": rates}


@contextlib.contextmanager
def _quiet_stderr():
    """File descriptor 2 to /dev/null (a C library's own prints) for the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
