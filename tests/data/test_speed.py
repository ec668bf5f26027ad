"""Speed perturbation: ids, scaled times, and wav.scp pipes that really play faster/slower."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from asrkit.audio import load
from asrkit.data import DataDirError, Segment, ops, validate_data_dir
from asrkit.data.speed import perturb


def test_perturb_scales_length_by_inverse_factor():
    wave = np.random.default_rng(0).standard_normal((16000, 2)).astype(np.float32)
    assert perturb(wave, 16000, 0.9).shape == (17778, 2)
    assert perturb(wave, 16000, 1.1).shape == (14545, 2)
    assert perturb(wave, 16000, 1.0) is wave


def test_perturb_changes_pitch_like_sox_speed():
    rate = 16000
    t = np.arange(rate) / rate
    fast = perturb(np.sin(2 * np.pi * 1000 * t).astype(np.float32), rate, 1.25)
    peak = np.argmax(np.abs(np.fft.rfft(fast))) * rate / len(fast)
    assert peak == pytest.approx(1250, abs=5)


def test_speed_perturbed_dir_ids_times_and_durations(seg_datadir):
    out = ops.speed_perturb(seg_datadir, 0.9)
    assert out.utts[0] == "sp0.9-sA-000" and out.utt2spk["sp0.9-sA-000"] == "sp0.9-sA"
    assert out.segments["sp0.9-sA-001"] == Segment("sp0.9-rec-sA", 1.5 / 0.9, 3.0 / 0.9)
    assert out.utt_tables["utt2dur"]["sp0.9-sA-001"] == "1.666667"
    assert out.reco_tables["reco2dur"]["sp0.9-rec-sA"] == "3.333333"
    assert out.utt_tables["utt2uniq"]["sp0.9-sA-001"] == "sA-001"
    assert out.spk_tables["spk2gender"]["sp0.9-sB"] == "f"
    assert out.wav_scp["sp0.9-rec-sA"] == "asrkit-speed 0.9 /audio/rec-sA.wav |"


def test_speed_perturb_drops_signal_tables(datadir):
    datadir.utt_tables["feats.scp"] = {u: "x.ark:1" for u in datadir.utts}
    datadir.utt_tables["utt2num_samples"] = {u: "24000" for u in datadir.utts}
    out = ops.speed_perturb(datadir, "1.1")
    assert "feats.scp" not in out.utt_tables and "utt2num_samples" not in out.utt_tables
    assert out.utts[0] == "sp1.1-sA-000"


def test_bad_factor_or_ark_entry_is_an_error(datadir):
    with pytest.raises(DataDirError, match="speed factor must be a positive number"):
        ops.speed_perturb(datadir, "-1")
    datadir.wav_scp["sA-000"] = "data/wav.ark:1234"
    with pytest.raises(DataDirError, match="'data/wav.ark:1234' points into an ark file"):
        ops.speed_perturb(datadir, 0.9)


def test_perturbed_pipes_are_readable_with_scaled_length(tmp_path, audio_dir):
    pipe_dir = audio_dir.copy()
    first = pipe_dir.utts[0]
    pipe_dir.wav_scp[first] = f"cat {pipe_dir.wav_scp[first]} |"
    out = ops.speed_perturb(pipe_dir, 0.9)
    out.write(tmp_path / "sp")
    assert validate_data_dir(tmp_path / "sp").ok
    for utt in out.utts[:2]:  # one through a pipe, one from a file
        wave = load(out.wav_scp[utt], sample_rate=None)
        orig = sf.info(audio_dir.wav_scp[utt.removeprefix("sp0.9-")]).frames
        assert len(wave) == round(orig / 0.9)
        assert float(out.utt_tables["utt2dur"][utt]) == pytest.approx(len(wave) / 16000, abs=1e-4)


def test_speed_module_reports_unreadable_input(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"nope")
    proc = subprocess.run([sys.executable, "-m", "asrkit.data.speed", "1.1", str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and f"asrkit-speed: {bad}:" in proc.stderr


def test_speed_module_reads_stdin(tmp_path, write_sine):
    src = write_sine(tmp_path / "a.wav", 0.5, rate=8000)
    proc = subprocess.run([sys.executable, "-m", "asrkit.data.speed", "1.1", "-"],
                          input=src.read_bytes(), capture_output=True, check=True)
    wave, rate = sf.read(io.BytesIO(proc.stdout))
    assert rate == 8000 and len(wave) == round(4000 / 1.1)
