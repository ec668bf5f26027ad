"""On-the-fly training augmentation: speed perturbation and additive noise.

Speed perturbation plays an utterance ``s`` times faster (Kaldi's ``sox speed``, as
``asrkit-speed`` does for a whole data dir, here without a process per recording): a
waveform is resampled (soxr); for log-mel fbank, both effects of resampling are applied to
the features: frames are interpolated onto a time axis ``s`` times shorter, and every
frequency moves by the factor ``s``, so band ``m`` takes the value the input has at
``f_m / s`` on the mel scale (Kaldi's ``1127·ln(1 + f/700)`` between ``low_freq`` and
``high_freq``, the dump's fbank settings). ``s`` is drawn from ``factors``. Batches are
planned from the dump's lengths, so a clip slowed to 0.8 fills 25% more of its batch than
planned: keep ``batch_bins`` that much below what memory allows.

Noise: each training utterance gets, with probability ``prob``, noise whose power spectrum falls
as ``f^-slope`` (0 white, 1 pink, 2 brown; the slope is drawn from ``slope``) at an SNR
drawn uniformly from ``snr_db``. What "adding noise" means depends on the dump:

* a waveform ``[T]``: Gaussian noise shaped in the frequency domain, scaled so that
  ``10·log10(Σ signal² / Σ noise²)`` is the drawn SNR, added sample by sample;
* log-mel fbank ``[T, F]`` (natural log of mel-band energies, Kaldi's ``use_log_fbank``):
  noise is added where it adds, in the energy domain, ``log(e^x + n)``. Band ``m`` of
  ``F`` gets mean energy ``((m + 1) / F)^-slope`` (a tilt over the mel bands), each frame
  a Gamma(4)-distributed share of it, as a short-time noise spectrum fluctuates; scaled
  so that ``10·log10(Σ e^x / Σ n)`` over the utterance is the drawn SNR. The cross term
  of signal and noise, zero on average, is left out.

The draws depend only on (seed, epoch, utterance index), as the crops of
:class:`asrkit.train.datasets.FeatsDataset` do: the same run sees the same noise
whatever its loader workers, ranks or resumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Gamma shape of a noise frame's energy in one mel band (a χ² of 8 degrees of freedom, over 2)
BAND_ENERGY_SHAPE = 4.0


@dataclass
class NoiseConfig:
    prob: float = 0.0  # share of training utterances that get noise (0: augmentation off)
    snr_db: tuple[float, float] = (5.0, 30.0)  # SNR drawn uniformly from this range
    slope: tuple[float, float] = (0.0, 2.0)  # spectral slope drawn from this range (0 white, 1 pink)

    def __post_init__(self) -> None:
        self.snr_db = tuple(float(v) for v in self.snr_db)
        self.slope = tuple(float(v) for v in self.slope)
        if not 0.0 <= self.prob <= 1.0:
            raise ValueError(f"noise.prob must be in [0, 1], got {self.prob}")
        for name, (low, high) in (("snr_db", self.snr_db), ("slope", self.slope)):
            if low > high:
                raise ValueError(f"noise.{name} must be (low, high) with low <= high, got {[low, high]}")


def colored_noise(num_samples: int, slope: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise [num_samples] whose power spectrum falls as ``f^-slope`` (float64)."""
    spectrum = np.fft.rfft(rng.standard_normal(num_samples))
    freqs = np.arange(len(spectrum), dtype=np.float64)
    freqs[0] = 1.0  # the DC bin keeps the lowest frequency's gain instead of an infinite one
    return np.fft.irfft(spectrum * freqs ** (-slope / 2.0), n=num_samples)


def _gain(signal_energy: float, noise_energy: float, snr_db: float) -> float:
    """The factor on the noise's energy that puts it ``snr_db`` below the signal's."""
    return signal_energy / (noise_energy * 10.0 ** (snr_db / 10.0))


def add_noise(wave: np.ndarray, snr_db: float, slope: float, rng: np.random.Generator) -> np.ndarray:
    """``wave`` [T] plus colored noise at ``snr_db``; a silent ``wave`` comes back unchanged."""
    signal_energy = float(np.sum(np.square(wave, dtype=np.float64)))
    if signal_energy == 0.0 or len(wave) < 2:
        return wave
    noise = colored_noise(len(wave), slope, rng)
    gain = _gain(signal_energy, float(np.sum(noise**2)), snr_db)
    return (wave + np.sqrt(gain) * noise).astype(wave.dtype)


def add_noise_log_mel(feats: np.ndarray, snr_db: float, slope: float, rng: np.random.Generator) -> np.ndarray:
    """Log-mel ``feats`` [T, F] with noise energy added in each band at ``snr_db``."""
    num_frames, num_bands = feats.shape
    energy = np.exp(feats.astype(np.float64))
    tilt = (np.arange(1, num_bands + 1) / num_bands) ** (-slope)
    noise = tilt * rng.gamma(BAND_ENERGY_SHAPE, 1.0 / BAND_ENERGY_SHAPE, size=(num_frames, num_bands))
    gain = _gain(float(energy.sum()), float(noise.sum()), snr_db)
    return np.log(energy + gain * noise).astype(feats.dtype)


class NoiseAugment:
    """``augment(array, rng)``: what :class:`~asrkit.train.datasets.FeatsDataset` applies to a
    training item, with the generator it seeds from (seed, epoch, utterance)."""

    def __init__(self, cfg: NoiseConfig):
        self.cfg = cfg

    def __call__(self, array: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if rng.random() >= self.cfg.prob:
            return array
        snr_db, slope = rng.uniform(*self.cfg.snr_db), rng.uniform(*self.cfg.slope)
        if array.ndim == 1:
            return add_noise(array, snr_db, slope, rng)
        return add_noise_log_mel(array, snr_db, slope, rng)


@dataclass
class SpeedConfig:
    factors: list[float] = field(default_factory=list)  # e.g. [0.9, 1.0, 1.1]; empty: off
    sample_rate: int = 16000  # waveform dumps: their rate; fbank dumps: the rate they were cut at
    low_freq: float = 20.0  # fbank dumps: the mel bands' range (asrkit.features.FbankConfig)
    high_freq: float = 0.0  # <= 0: offset from the Nyquist frequency, as in FbankConfig

    def __post_init__(self) -> None:
        self.factors = [float(f) for f in self.factors]
        if any(f <= 0 for f in self.factors):
            raise ValueError(f"speed.factors must be positive, got {self.factors}")


def _mel(freq: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log1p(np.asarray(freq, dtype=np.float64) / 700.0)


def speed_log_mel(feats: np.ndarray, factor: float, cfg: SpeedConfig) -> np.ndarray:
    """Log-mel ``feats`` [T, F] as if the audio were played ``factor`` times faster."""
    num_frames, num_bands = feats.shape
    high = cfg.high_freq if cfg.high_freq > 0 else cfg.sample_rate / 2 + cfg.high_freq
    low_mel, high_mel = _mel(cfg.low_freq), _mel(high)
    step = (high_mel - low_mel) / (num_bands + 1)
    centers = 700.0 * np.expm1((low_mel + step * np.arange(1, num_bands + 1)) / 1127.0)
    source_band = (_mel(centers / factor) - low_mel) / step - 1.0  # fractional band index
    warped = np.stack([np.interp(source_band, np.arange(num_bands), frame) for frame in feats])
    length = max(1, int(round(num_frames / factor)))
    source_frame = np.minimum(np.arange(length) * factor, num_frames - 1)
    out = np.stack([np.interp(source_frame, np.arange(num_frames), band) for band in warped.T], axis=1)
    return out.astype(feats.dtype)


def speed_waveform(wave: np.ndarray, factor: float, sample_rate: int) -> np.ndarray:
    """``wave`` [T] played ``factor`` times faster: resampled from ``factor · rate`` to ``rate``."""
    import soxr

    return soxr.resample(wave, sample_rate * factor, sample_rate).astype(wave.dtype)


class Augment:
    """``augment(array, rng)``: what :class:`~asrkit.train.datasets.FeatsDataset` applies to a
    training item (speed, then noise), with the generator it seeds from (seed, epoch, utterance)."""

    def __init__(self, cfg: AugmentConfig):
        self.cfg = cfg
        self.noise = NoiseAugment(cfg.noise)

    def __call__(self, array: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        speed = self.cfg.speed
        if speed.factors:
            factor = float(rng.choice(speed.factors))
            if factor != 1.0:
                array = (speed_waveform(array, factor, speed.sample_rate) if array.ndim == 1
                         else speed_log_mel(array, factor, speed))
        return self.noise(array, rng)


@dataclass
class AugmentConfig:
    """The ``augment:`` section of a fine-tuning config; applied to the training set only."""

    speed: SpeedConfig = field(default_factory=SpeedConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)


def training_augment(cfg: AugmentConfig) -> Augment | None:
    """The training set's ``augment`` callable, or None when every augmentation is off."""
    return Augment(cfg) if cfg.noise.prob > 0 or cfg.speed.factors else None
