"""One dump job (``dump_split``) in process: values, formats, segments, bad clips, resume."""

from __future__ import annotations

import kaldiio
import numpy as np
import soundfile as sf
import soxr

from asrkit import dump as dumpmod
from asrkit.data import DataDir, read_table
from asrkit.data.exclusions import Exclusions
from asrkit.dump import DumpConfig, JobPaths, dump_split
from asrkit.features import load_feature
from asrkit.features import FbankConfig, compute_fbank


def expected_wave(spec: str, rate: int = 16000) -> np.ndarray:
    """soundfile + soxr directly: read, average the channels, resample."""
    path = spec[4:-2] if spec.startswith("cat ") else spec
    data, sr = sf.read(path, dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    return mono if sr == rate else soxr.resample(mono, sr, rate, quality="HQ")


def peak_frequency(wave: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
    return float(np.fft.rfftfreq(len(wave), 1 / rate)[np.argmax(spectrum)])


def test_raw_dump_equals_soundfile_and_soxr(good_dir, tmp_path):
    dump_split(good_dir, tmp_path, 1, DumpConfig(), "key")
    paths = JobPaths.of(tmp_path, 1)
    feats = kaldiio.load_scp(str(paths.scp))
    wav_scp = read_table(good_dir / "wav.scp")
    assert sorted(feats) == sorted(wav_scp)
    for utt, spec in wav_scp.items():
        got = feats[utt]
        assert got.dtype == np.float32 and got.ndim == 1, utt
        np.testing.assert_allclose(got, expected_wave(spec), atol=1e-6, err_msg=utt)
    assert read_table(paths.lengths) == {u: str(len(feats[u])) for u in feats}


def test_resampled_clips_keep_duration_and_pitch(good_dir, tmp_path):
    dump_split(good_dir, tmp_path, 1, DumpConfig(), "key")
    feats = kaldiio.load_scp(str(JobPaths.of(tmp_path, 1).scp))
    assert len(feats["spk1-wav8k"]) == 8000  # 0.5 s at 8 kHz
    assert len(feats["spk2-stereo48k"]) == 6400  # 0.4 s at 48 kHz
    assert abs(peak_frequency(feats["spk1-wav8k"], 16000) - 300) < 5
    assert abs(len(feats["spk2-mp3"]) - 11200) < 100  # 0.7 s of MP3 at 22.05 kHz
    assert abs(peak_frequency(feats["spk2-mp3"], 16000) - 350) < 5


def test_fbank_dump_equals_kaldi_native_fbank_on_the_same_audio(good_dir, tmp_path):
    cfg = DumpConfig(type="fbank", fbank=FbankConfig(num_mel_bins=40))
    dump_split(good_dir, tmp_path, 1, cfg, "key")
    paths = JobPaths.of(tmp_path, 1)
    feats = kaldiio.load_scp(str(paths.scp))
    for utt, spec in read_table(good_dir / "wav.scp").items():
        expected = compute_fbank(expected_wave(spec), 16000, FbankConfig(num_mel_bins=40))
        assert feats[utt].shape == expected.shape and feats[utt].shape[1] == 40
        np.testing.assert_allclose(feats[utt], expected, atol=1e-4, err_msg=utt)
    assert read_table(paths.lengths) == {u: str(f.shape[0]) for u, f in feats.items()}
    assert kaldiio.load_mat(str(paths.cmvn))[0, -1] == sum(f.shape[0] for f in feats.values())


def test_int16_dump_is_wav_in_the_ark_within_one_quantization_step(good_dir, tmp_path):
    dump_split(good_dir, tmp_path, 1, DumpConfig(dtype="int16"), "key")
    scp = read_table(JobPaths.of(tmp_path, 1).scp)
    rate, pcm = kaldiio.load_mat(scp["spk1-wav16k"])
    assert rate == 16000 and pcm.dtype == np.int16
    wave = load_feature(scp["spk2-stereo48k"])
    expected = expected_wave(read_table(good_dir / "wav.scp")["spk2-stereo48k"])
    assert np.abs(wave - expected).max() <= 1 / 32768


def test_segments_are_slices_of_their_recordings(segmented_dir, tmp_path):
    dump_split(segmented_dir, tmp_path, 1, DumpConfig(), "key")
    feats = kaldiio.load_scp(str(JobPaths.of(tmp_path, 1).scp))
    wav_scp = read_table(segmented_dir / "wav.scp")
    rec_a, rec_b = expected_wave(wav_scp["recA"], 8000), expected_wave(wav_scp["recB"], 16000)
    expected = soxr.resample(rec_a[8000:17600], 8000, 16000)
    np.testing.assert_allclose(feats["spkA-recA-001"], expected, atol=1e-6)
    assert len(feats["spkA-recA-002"]) == 12800  # 2.2-3.2 s cut at the 3 s end
    np.testing.assert_array_equal(feats["spkB-recB-000"], rec_b[8000:24000])
    np.testing.assert_array_equal(feats["spkB-recB-001"], rec_b[24000:])
    bad = Exclusions.read(JobPaths.of(tmp_path, 1).bad)
    assert [(i.key, i.reason) for i in bad.items] == [("spkB-recB-002", "segment-outside-recording")]
    assert "recording is 3.00 s" in bad.items[0].where


def test_each_recording_is_opened_once_for_all_its_segments(segmented_dir, tmp_path, monkeypatch):
    opened = []

    class CountingRecording(dumpmod.Recording):
        def __init__(self, spec):
            opened.append(spec)
            super().__init__(spec)

    monkeypatch.setattr(dumpmod, "Recording", CountingRecording)
    dump_split(segmented_dir, tmp_path, 1, DumpConfig(), "key")
    assert sorted(opened) == sorted(read_table(segmented_dir / "wav.scp").values())


def test_unreadable_clips_are_reported_with_id_reason_and_file(mixed_dir, bad_reasons, tmp_path):
    dump_split(mixed_dir, tmp_path, 1, DumpConfig(), "key")
    paths = JobPaths.of(tmp_path, 1)
    bad = {i.key: i for i in Exclusions.read(paths.bad).items}
    assert {k: i.reason for k, i in bad.items()} == bad_reasons
    wav_scp = read_table(mixed_dir / "wav.scp")
    for utt, item in bad.items():
        assert wav_scp[utt] in item.where
    dumped = set(read_table(paths.scp))
    assert dumped == set(DataDir.read(mixed_dir).utts) - set(bad_reasons)


def test_too_short_utterance_for_fbank_is_excluded(make_datadir, tmp_path):
    sf.write(tmp_path / "tiny.wav", np.zeros(200, np.float32) + 0.1, 16000)
    sf.write(tmp_path / "ok.wav", np.random.default_rng(0).standard_normal(1600) * 0.1, 16000)
    scp = {"s-tiny": str(tmp_path / "tiny.wav"), "s-ok": str(tmp_path / "ok.wav")}
    data = make_datadir(tmp_path / "data", scp)
    dump_split(data, tmp_path / "out", 1, DumpConfig(type="fbank"), "key")
    bad = Exclusions.read(JobPaths.of(tmp_path / "out", 1).bad)
    assert [(i.key, i.reason) for i in bad.items] == [("s-tiny", "too-short")]


def test_finished_job_is_skipped_only_for_the_same_run_key(good_dir, tmp_path):
    dump_split(good_dir, tmp_path, 1, DumpConfig(), "key1")
    ark = JobPaths.of(tmp_path, 1).ark
    first = ark.stat().st_mtime_ns
    dump_split(good_dir, tmp_path, 1, DumpConfig(), "key1")
    assert ark.stat().st_mtime_ns == first
    dump_split(good_dir, tmp_path, 1, DumpConfig(type="fbank"), "key2")
    assert ark.stat().st_mtime_ns != first
    assert JobPaths.of(tmp_path, 1).done.read_text().strip() == "key2"
