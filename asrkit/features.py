"""Kaldi-compatible log-mel filterbanks, global CMVN statistics, and reading dumped features.

Filterbanks come from kaldi-native-fbank, so a dump equals Kaldi's ``compute-fbank-feats``
with the same options. CMVN statistics use Kaldi's 2 x (D+1) layout (row 0: sums and the
frame count, row 1: sums of squares), stored with kaldiio as a single double matrix
like ``compute-cmvn-stats scp:feats.scp cmvn.ark`` writes, so Kaldi's ``apply-cmvn`` and
:func:`load_cmvn` both read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import kaldi_native_fbank as knf
import kaldiio
import numpy as np

#: Kaldi reads 16-bit WAV as integer sample values; scaling float audio by this makes the
#: energies (and thus the log filterbanks) equal Kaldi's.
KALDI_WAVE_SCALE = 32768.0


@dataclass
class FbankConfig:
    """Options of Kaldi's ``compute-fbank-feats`` (same names, Kaldi defaults except the
    80 mel bins and dither 0, which makes dumps reproducible)."""

    num_mel_bins: int = 80
    frame_length_ms: float = 25.0
    frame_shift_ms: float = 10.0
    dither: float = 0.0
    preemphasis_coefficient: float = 0.97
    remove_dc_offset: bool = True
    window_type: Literal["povey", "hamming", "hanning", "rectangular", "blackman"] = "povey"
    round_to_power_of_two: bool = True
    snip_edges: bool = True
    low_freq: float = 20.0
    high_freq: float = 0.0  # <= 0: offset from the Nyquist frequency
    use_energy: bool = False
    energy_floor: float = 0.0
    raw_energy: bool = True
    use_log_fbank: bool = True
    use_power: bool = True


def fbank_options(cfg: FbankConfig, sample_rate: int) -> knf.FbankOptions:
    opts = knf.FbankOptions()
    frame = opts.frame_opts
    frame.samp_freq = float(sample_rate)
    frame.frame_length_ms = cfg.frame_length_ms
    frame.frame_shift_ms = cfg.frame_shift_ms
    frame.dither = cfg.dither
    frame.preemph_coeff = cfg.preemphasis_coefficient
    frame.remove_dc_offset = cfg.remove_dc_offset
    frame.window_type = cfg.window_type
    frame.round_to_power_of_two = cfg.round_to_power_of_two
    frame.snip_edges = cfg.snip_edges
    opts.mel_opts.num_bins = cfg.num_mel_bins
    opts.mel_opts.low_freq = cfg.low_freq
    opts.mel_opts.high_freq = cfg.high_freq
    opts.use_energy = cfg.use_energy
    opts.energy_floor = cfg.energy_floor
    opts.raw_energy = cfg.raw_energy
    opts.use_log_fbank = cfg.use_log_fbank
    opts.use_power = cfg.use_power
    return opts


def compute_fbank(
    wave: np.ndarray, sample_rate: int, cfg: FbankConfig | knf.FbankOptions
) -> np.ndarray:
    """Filterbank features [frames, bins] (float32) of a float waveform in [-1, 1].

    Fewer samples than one frame give a (0, bins) array.
    """
    opts = cfg if isinstance(cfg, knf.FbankOptions) else fbank_options(cfg, sample_rate)
    fbank = knf.OnlineFbank(opts)
    fbank.accept_waveform(sample_rate, np.asarray(wave, dtype=np.float32) * KALDI_WAVE_SCALE)
    fbank.input_finished()
    num = fbank.num_frames_ready
    if num == 0:
        return np.zeros((0, fbank.dim), dtype=np.float32)
    return np.stack([fbank.get_frame(i) for i in range(num)]).astype(np.float32, copy=False)


class CmvnStats:
    """Running Kaldi-layout CMVN statistics (float64, so long corpora keep precision)."""

    def __init__(self, stats: np.ndarray | None = None):
        self.stats = None if stats is None else np.asarray(stats, dtype=np.float64)

    @property
    def count(self) -> float:
        return 0.0 if self.stats is None else float(self.stats[0, -1])

    def accumulate(self, feats: np.ndarray) -> None:
        feats = np.asarray(feats, dtype=np.float64)
        if self.stats is None:
            self.stats = np.zeros((2, feats.shape[1] + 1))
        elif self.stats.shape[1] != feats.shape[1] + 1:
            raise ValueError(
                f"feature dimension {feats.shape[1]} differs from the stats' "
                f"{self.stats.shape[1] - 1}"
            )
        self.stats[0, :-1] += feats.sum(axis=0)
        self.stats[1, :-1] += np.square(feats).sum(axis=0)
        self.stats[0, -1] += feats.shape[0]

    def add(self, other: CmvnStats) -> None:
        if other.stats is None:
            return
        if self.stats is None:
            self.stats = other.stats.copy()
        else:
            self.stats += other.stats

    def save(self, path: str | Path) -> None:
        if self.stats is None:
            raise ValueError(f"no features were accumulated; nothing to write to {path}")
        kaldiio.save_mat(str(path), self.stats)

    @classmethod
    def load(cls, path: str | Path) -> CmvnStats:
        return cls(kaldiio.load_mat(str(path)))

    def mean_std(self, var_floor: float = 1e-20) -> tuple[np.ndarray, np.ndarray]:
        """Per-dimension mean and standard deviation (float32), variance floored."""
        if self.stats is None or self.count <= 0:
            raise ValueError("CMVN statistics are empty (0 frames)")
        mean = self.stats[0, :-1] / self.count
        var = np.maximum(self.stats[1, :-1] / self.count - np.square(mean), var_floor)
        return mean.astype(np.float32), np.sqrt(var).astype(np.float32)


def load_cmvn(path: str | Path, var_floor: float = 1e-20) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, std)`` from a ``cmvn.ark`` global stats matrix, for a model's normalizer."""
    return CmvnStats.load(path).mean_std(var_floor)


def load_feature(value: str) -> np.ndarray:
    """A ``feats.scp`` value as float32 (int16 waveforms scaled to [-1, 1])."""
    mat = kaldiio.load_mat(value)
    if isinstance(mat, tuple):  # (rate, int16 samples): a WAV stored in the ark
        return mat[1].astype(np.float32) / KALDI_WAVE_SCALE
    return np.asarray(mat, dtype=np.float32)
