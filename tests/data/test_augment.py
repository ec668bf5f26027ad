"""asrkit.data.augment: noise at the SNR it claims, drawn the same way for the same seed."""

import numpy as np
import pytest

from asrkit.data.augment import (
    Augment,
    AugmentConfig,
    NoiseAugment,
    NoiseConfig,
    SpeedConfig,
    add_noise,
    add_noise_log_mel,
    colored_noise,
    speed_log_mel,
    speed_waveform,
    training_augment,
)


def _wave(n=8000, seed=0):
    t = np.arange(n) / 16000
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.01 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


@pytest.mark.parametrize("snr_db", [0.0, 10.0, 25.0])
@pytest.mark.parametrize("slope", [0.0, 1.0, 2.0])
def test_waveform_noise_reaches_the_snr(snr_db, slope):
    wave = _wave()
    noisy = add_noise(wave, snr_db, slope, np.random.default_rng(1))
    noise = noisy.astype(np.float64) - wave
    measured = 10 * np.log10(np.sum(wave.astype(np.float64) ** 2) / np.sum(noise**2))
    assert measured == pytest.approx(snr_db, abs=0.01)
    assert noisy.dtype == wave.dtype and noisy.shape == wave.shape


@pytest.mark.parametrize("snr_db", [0.0, 10.0, 25.0])
def test_log_mel_noise_reaches_the_snr_in_the_energy_domain(snr_db):
    feats = np.random.default_rng(2).normal(-2.0, 3.0, size=(60, 80)).astype(np.float32)
    noisy = add_noise_log_mel(feats, snr_db, 1.0, np.random.default_rng(3))
    signal = np.exp(feats.astype(np.float64))
    noise = np.exp(noisy.astype(np.float64)) - signal
    assert (noise > 0).all()  # noise only adds energy
    assert 10 * np.log10(signal.sum() / noise.sum()) == pytest.approx(snr_db, abs=0.01)


def test_slope_tilts_the_noise_spectrum():
    rng = np.random.default_rng(4)
    white, brown = colored_noise(16000, 0.0, rng), colored_noise(16000, 2.0, rng)
    def low_share(x):
        power = np.abs(np.fft.rfft(x)) ** 2
        return power[: len(power) // 8].sum() / power.sum()
    assert low_share(white) == pytest.approx(1 / 8, abs=0.02)
    assert low_share(brown) > 0.9


def test_augment_is_deterministic_and_varies_with_the_generator_seed():
    augment = NoiseAugment(NoiseConfig(prob=1.0, snr_db=(5.0, 20.0)))
    wave = _wave()
    a = augment(wave, np.random.default_rng([1, 0, 7, 1]))
    b = augment(wave, np.random.default_rng([1, 0, 7, 1]))
    c = augment(wave, np.random.default_rng([1, 1, 7, 1]))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_prob_is_the_share_of_utterances_that_get_noise():
    augment = NoiseAugment(NoiseConfig(prob=0.3))
    feats = np.zeros((20, 10), dtype=np.float32)
    changed = sum(
        not np.array_equal(augment(feats, np.random.default_rng([0, 0, i, 1])), feats) for i in range(1000)
    )
    assert 250 < changed < 350


def test_off_by_default():
    assert training_augment(AugmentConfig()) is None
    assert isinstance(training_augment(AugmentConfig(noise=NoiseConfig(prob=0.5))), Augment)
    assert isinstance(training_augment(AugmentConfig(speed=SpeedConfig(factors=[0.9, 1.1]))), Augment)


def test_silence_stays_silent():
    silence = np.zeros(1000, dtype=np.float32)
    np.testing.assert_array_equal(add_noise(silence, 10.0, 1.0, np.random.default_rng(0)), silence)


@pytest.mark.parametrize("bad", [dict(prob=1.5), dict(snr_db=(30.0, 5.0)), dict(slope=(2.0, 0.0))])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError, match="noise"):
        NoiseConfig(**bad)


def _log_mel_of_tone(freq, seconds=0.5):
    from asrkit.features import FbankConfig, compute_fbank
    t = np.arange(int(16000 * seconds)) / 16000
    return compute_fbank((0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000, FbankConfig())


def test_speed_on_log_mel_moves_a_tone_as_resampling_does():
    factor = 1.1
    fast = speed_log_mel(_log_mel_of_tone(1000.0), factor, SpeedConfig(factors=[factor]))
    resampled = _log_mel_of_tone(1000.0 * factor, seconds=0.5 / factor)
    assert abs(len(fast) - len(resampled)) <= 1
    assert np.argmax(fast.mean(axis=0)) == np.argmax(resampled.mean(axis=0))
    assert np.argmax(fast.mean(axis=0)) != np.argmax(_log_mel_of_tone(1000.0).mean(axis=0))


def test_speed_factor_one_changes_nothing():
    feats = np.random.default_rng(0).normal(size=(40, 80)).astype(np.float32)
    np.testing.assert_allclose(speed_log_mel(feats, 1.0, SpeedConfig()), feats, atol=1e-5)


def test_speed_on_a_waveform_resamples_it():
    wave = _wave(16000)
    assert len(speed_waveform(wave, 0.9, 16000)) == pytest.approx(16000 / 0.9, abs=2)


def test_augment_draws_speed_from_the_factors_then_adds_noise():
    augment = Augment(AugmentConfig(speed=SpeedConfig(factors=[0.9, 1.1]), noise=NoiseConfig(prob=1.0)))
    feats = np.random.default_rng(1).normal(size=(100, 80)).astype(np.float32)
    lengths = {len(augment(feats, np.random.default_rng([0, 0, i, 1]))) for i in range(20)}
    assert lengths == {91, 111}
    a = augment(feats, np.random.default_rng([2, 0, 3, 1]))
    np.testing.assert_array_equal(a, augment(feats, np.random.default_rng([2, 0, 3, 1])))
