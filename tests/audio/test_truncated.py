"""A WAV whose data chunk is cut short is named as truncated, not read as a shorter clip;
complete files of every format, and streamed WAV headers, are not flagged."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest
import soundfile as sf

from asrkit import audio
from asrkit.audio import AudioError


def noise(frames: int, channels: int = 1) -> np.ndarray:
    shape = (frames, channels) if channels > 1 else (frames,)
    return (0.1 * np.random.default_rng(0).standard_normal(shape)).astype(np.float32)


def cut(path, keep_bytes: int) -> None:
    with open(path, "r+b") as f:
        f.truncate(keep_bytes)


@pytest.mark.parametrize("subtype,channels", [("PCM_16", 1), ("PCM_24", 2), ("FLOAT", 1)])
def test_wav_cut_short_is_truncated_with_both_sample_counts(tmp_path, subtype, channels):
    path = tmp_path / "cut.wav"
    sf.write(path, noise(16000, channels), 16000, subtype=subtype)
    cut(path, os.path.getsize(path) - 1000)
    held = sf.info(path).frames  # what libsndfile would silently give
    assert 0 < held < 16000
    for read in (audio.load, audio.info):
        with pytest.raises(AudioError) as e:
            read(str(path))
        assert e.value.reason == "truncated"
        assert f"promises 16000 samples per channel, the file holds {held}" in str(e.value)
        assert str(path) in str(e.value)


def test_wav_cut_to_a_few_samples_is_not_a_1_ms_utterance(tmp_path):
    path = tmp_path / "cut.wav"
    sf.write(path, noise(16000), 16000, subtype="PCM_16")
    cut(path, 44 + 32)
    with pytest.raises(AudioError, match="promises 16000 samples per channel, the file holds 16") as e:
        audio.load(str(path))
    assert e.value.reason == "truncated"


def test_complete_files_are_not_flagged(tmp_path):
    x = noise(8000)
    for name, kw in {"a.wav": {"subtype": "PCM_16"}, "b.wav": {"subtype": "FLOAT"},
                     "c.flac": {}, "d.ogg": {}, "e.mp3": {"format": "MP3"}}.items():
        try:
            sf.write(tmp_path / name, x, 16000, **kw)
        except (sf.LibsndfileError, TypeError, ValueError):
            continue  # this libsndfile cannot write the format
        assert audio.load(str(tmp_path / name), sample_rate=None).size > 7000, name


def test_wav_with_a_chunk_after_the_data_is_not_flagged(tmp_path):
    path = tmp_path / "list.wav"
    sf.write(path, noise(4000), 16000, subtype="PCM_16")
    info = b"INFOISFT" + struct.pack("<I", 5) + b"asrk\x00\x00"  # odd size: a pad byte
    raw = bytearray(path.read_bytes() + b"LIST" + struct.pack("<I", len(info)) + info)
    raw[4:8] = struct.pack("<I", len(raw) - 8)
    path.write_bytes(bytes(raw))
    assert audio.wav_header_frames(str(path)) == 4000
    assert audio.load(str(path), sample_rate=None).size == 4000


@pytest.mark.parametrize("size", [0xFFFFFFFF, 0x7FFFF000])
def test_streamed_wav_header_of_unknown_length_is_not_flagged(tmp_path, size):
    path = tmp_path / "streamed.wav"
    sf.write(path, noise(4000), 16000, subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    data = raw.index(b"data")
    raw[data + 4:data + 8] = struct.pack("<I", size)
    path.write_bytes(bytes(raw))
    assert audio.wav_header_frames(str(path)) is None
    assert audio.load(str(path), sample_rate=None).size == 4000


def test_cut_mp3_is_not_flagged_its_frame_count_is_an_estimate(tmp_path):
    path = tmp_path / "cut.mp3"
    try:
        sf.write(path, noise(16000), 16000, format="MP3")
    except (sf.LibsndfileError, TypeError, ValueError):
        pytest.skip("this libsndfile cannot write MP3")
    cut(path, os.path.getsize(path) // 2)
    assert audio.load(str(path), sample_rate=None).size > 0


def test_a_pipe_is_not_checked_its_header_is_written_before_the_length_is_known(tmp_path):
    path = tmp_path / "cut.wav"
    sf.write(path, noise(16000), 16000, subtype="PCM_16")
    cut(path, os.path.getsize(path) - 1000)
    assert 0 < audio.load(f"cat {path} |", sample_rate=None).size < 16000
