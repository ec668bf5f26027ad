"""asrkit.features: Kaldi fbank through kaldi-native-fbank, global CMVN statistics, dumped features."""

from __future__ import annotations

import kaldi_native_fbank as knf
import kaldiio
import numpy as np
import pytest

from asrkit.features import CmvnStats, FbankConfig, compute_fbank, load_cmvn, load_feature


def noise(n: int, seed: int = 0) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def kaldi_fbank(wave: np.ndarray, rate: int, bins: int = 80, shift_ms: float = 10.0) -> np.ndarray:
    """kaldi-native-fbank called directly, on 16-bit-scaled samples as Kaldi reads WAV."""
    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq = rate
    opts.frame_opts.dither = 0.0
    opts.frame_opts.frame_shift_ms = shift_ms
    opts.mel_opts.num_bins = bins
    fb = knf.OnlineFbank(opts)
    fb.accept_waveform(rate, (wave * 32768).tolist())
    fb.input_finished()
    return np.array([fb.get_frame(i) for i in range(fb.num_frames_ready)])


def test_fbank_equals_kaldi_native_fbank_with_kaldi_scaling():
    wave = noise(16000)
    got = compute_fbank(wave, 16000, FbankConfig())
    assert got.shape == (98, 80) and got.dtype == np.float32
    np.testing.assert_allclose(got, kaldi_fbank(wave, 16000), rtol=1e-6, atol=1e-5)


def test_fbank_options_reach_the_extractor():
    wave = noise(8000, seed=1)
    got = compute_fbank(wave, 8000, FbankConfig(num_mel_bins=23, frame_shift_ms=20))
    np.testing.assert_allclose(got, kaldi_fbank(wave, 8000, bins=23, shift_ms=20), atol=1e-5)


def test_fbank_of_less_than_one_frame_is_empty():
    assert compute_fbank(noise(300), 16000, FbankConfig()).shape == (0, 80)


def test_cmvn_stats_over_chunks_equal_numpy_mean_and_std(tmp_path):
    rng = np.random.default_rng(0)
    chunks = [rng.normal(3.0, 2.0, size=(n, 5)).astype(np.float32) for n in (7, 30, 1)]
    first, second = CmvnStats(), CmvnStats()
    first.accumulate(chunks[0])
    for c in chunks[1:]:
        second.accumulate(c)
    first.add(second)
    first.save(tmp_path / "cmvn.ark")

    stats = kaldiio.load_mat(str(tmp_path / "cmvn.ark"))
    every = np.concatenate(chunks).astype(np.float64)
    assert stats.shape == (2, 6) and stats.dtype == np.float64
    assert stats[0, -1] == 38
    np.testing.assert_allclose(stats[0, :5], every.sum(0))
    np.testing.assert_allclose(stats[1, :5], (every**2).sum(0))
    mean, std = load_cmvn(tmp_path / "cmvn.ark")
    np.testing.assert_allclose(mean, every.mean(0), rtol=1e-6)
    np.testing.assert_allclose(std, every.std(0), rtol=1e-5)


def test_cmvn_of_a_constant_dimension_has_floored_std():
    stats = CmvnStats()
    stats.accumulate(np.ones((4, 2), dtype=np.float32))
    mean, std = stats.mean_std(var_floor=1e-8)
    np.testing.assert_allclose(mean, [1, 1])
    np.testing.assert_allclose(std, [1e-4, 1e-4])


def test_cmvn_rejects_mixed_dimensions_and_empty_stats():
    stats = CmvnStats()
    stats.accumulate(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="dimension 4"):
        stats.accumulate(np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="empty"):
        CmvnStats().mean_std()


def test_load_feature_reads_int16_waves_scaled_and_matrices_as_float32(tmp_path):
    samples = np.array([-32768, -1, 0, 1, 16384, 32767], dtype=np.int16)
    fbank = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    with kaldiio.WriteHelper(f"ark,scp:{tmp_path}/w.ark,{tmp_path}/w.scp") as w:
        w("wave", (16000, samples))
    with kaldiio.WriteHelper(f"ark,scp:{tmp_path}/f.ark,{tmp_path}/f.scp") as w:
        w("fbank", fbank)
    scp = {line.split()[0]: line.split()[1]
           for name in ("w.scp", "f.scp") for line in (tmp_path / name).read_text().splitlines()}
    wave = load_feature(scp["wave"])
    assert wave.dtype == np.float32
    np.testing.assert_array_equal(wave, samples.astype(np.float32) / 32768)
    np.testing.assert_array_equal(load_feature(scp["fbank"]), fbank)
