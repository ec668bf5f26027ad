"""asrkit.audio: formats, pipes, downmix, resampling, segments and the errors bad clips give."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import soxr

from asrkit import audio
from asrkit.audio import AudioError


def sine(freq: float, rate: int, seconds: float, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_frequency(wave: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
    return float(np.fft.rfftfreq(len(wave), 1 / rate)[np.argmax(spectrum)])


@pytest.fixture
def wav16k(tmp_path):
    path = tmp_path / "a.wav"
    wave = sine(440, 16000, 1.0)
    sf.write(path, wave, 16000, subtype="PCM_16")
    return path, sf.read(path, dtype="float32")[0]


def test_wav_loads_as_soundfile_reads_it(wav16k):
    path, expected = wav16k
    got = audio.load(str(path))
    assert got.dtype == np.float32 and got.ndim == 1
    np.testing.assert_array_equal(got, expected)


def test_flac_and_mp3_load_at_their_length(tmp_path):
    wave = sine(300, 16000, 1.0)
    for ext in ("flac", "mp3"):
        path = tmp_path / f"a.{ext}"
        sf.write(path, wave, 16000)
        got = audio.load(str(path))
        assert abs(len(got) - len(wave)) < 0.05 * 16000, ext
        assert abs(peak_frequency(got, 16000) - 300) < 3, ext


@pytest.mark.parametrize("rate", [8000, 48000])
def test_resampling_keeps_length_and_frequency(tmp_path, rate):
    path = tmp_path / f"r{rate}.wav"
    sf.write(path, sine(1000, rate, 2.0), rate, subtype="FLOAT")
    got = audio.load(str(path), sample_rate=16000)
    assert abs(len(got) - 32000) <= 1
    assert abs(peak_frequency(got, 16000) - 1000) < 2
    expected = soxr.resample(sf.read(path, dtype="float32")[0], rate, 16000, quality="HQ")
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_stereo_is_downmixed_by_averaging_channels(tmp_path):
    left, right = sine(200, 16000, 0.5), sine(700, 16000, 0.5, amp=0.2)
    path = tmp_path / "st.wav"
    sf.write(path, np.stack([left, right], axis=1), 16000, subtype="FLOAT")
    np.testing.assert_allclose(audio.load(str(path)), (left + right) / 2, atol=1e-7)
    assert audio.info(str(path)) == (16000, 8000, 2)


def test_segment_is_the_slice_of_the_recording(wav16k):
    path, expected = wav16k
    got = audio.load(str(path), start=0.25, end=0.5)
    np.testing.assert_array_equal(got, expected[4000:8000])


def test_recording_reads_many_segments_from_one_open_file(tmp_path):
    path = tmp_path / "long.wav"
    wave = sine(100, 8000, 3.0)
    sf.write(path, wave, 8000, subtype="FLOAT")
    with audio.Recording(str(path)) as rec:
        parts = [rec.read(s, s + 1.0, sample_rate=16000) for s in (2.0, 0.0, 1.0)]
    for start, part in zip((2.0, 0.0, 1.0), parts):
        np.testing.assert_array_equal(part, audio.load(str(path), 16000, start, start + 1.0))


def test_segment_overshooting_a_little_is_cut_at_the_end(wav16k):
    path, expected = wav16k
    got = audio.load(str(path), start=0.5, end=1.3)
    np.testing.assert_array_equal(got, expected[8000:])


@pytest.mark.parametrize("start,end", [(1.2, 1.5), (0.2, 2.0)])
def test_segment_outside_the_recording_is_an_error(wav16k, start, end):
    with pytest.raises(AudioError) as e:
        audio.load(str(wav16k[0]), start=start, end=end)
    assert e.value.reason == "segment-outside-recording"
    assert "recording is 1.00 s" in str(e.value)


def test_reversed_segment_is_an_error(wav16k):
    with pytest.raises(AudioError) as e:
        audio.load(str(wav16k[0]), start=0.5, end=0.2)
    assert e.value.reason == "bad-segment"


def test_pipe_output_is_decoded(wav16k):
    path, expected = wav16k
    np.testing.assert_array_equal(audio.load(f"cat {path} |"), expected)
    np.testing.assert_array_equal(audio.load(f"cat {path} |", start=0.5), expected[8000:])


def test_pipe_with_mp3_bytes_is_decoded(tmp_path):
    path = tmp_path / "a.mp3"
    sf.write(path, sine(500, 22050, 1.0), 22050)
    got = audio.load(f"cat {path} | cat |")
    assert abs(len(got) - 16000) < 800
    assert abs(peak_frequency(got, 16000) - 500) < 3


def test_failing_pipe_reports_its_exit_status_and_message(wav16k):
    with pytest.raises(AudioError) as e:
        audio.load("cat /no/such/file.wav | cat |")
    assert e.value.reason == "pipe-failed"
    assert "exit status 1" in str(e.value) and "/no/such/file.wav" in str(e.value)


def test_pipe_writing_nothing_is_empty():
    with pytest.raises(AudioError) as e:
        audio.load("true |")
    assert e.value.reason == "empty"


def test_bad_files_give_their_reason(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF" + bytes(range(256)) * 4)
    sf.write(tmp_path / "noframes.wav", np.zeros((0, 1), np.float32), 16000)
    nan = sine(100, 16000, 0.1)
    nan[5] = np.nan
    sf.write(tmp_path / "nan.wav", nan, 16000, subtype="FLOAT")
    cases = {
        "missing.wav": "missing-file",
        "empty.wav": "empty",
        "corrupt.wav": "unreadable",
        "noframes.wav": "empty",
        "nan.wav": "non-finite",
    }
    for name, reason in cases.items():
        with pytest.raises(AudioError) as e:
            audio.load(str(tmp_path / name))
        assert e.value.reason == reason, name
        assert name in str(e.value)
