"""Small corpora for the dump tests, written with soundfile: every format, rate and
channel layout the dump must handle, plus clips that cannot be read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from asrkit.data import write_table


def tone(freq: float, rate: int, seconds: float, channels: int = 1, seed: int = 0) -> np.ndarray:
    """A sine with a little noise (so fbank bins are not -inf), shape [n] or [n, channels]."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    cols = [
        0.3 * np.sin(2 * np.pi * freq * (c + 1) * t) + 0.01 * rng.standard_normal(t.size)
        for c in range(channels)
    ]
    wave = np.stack(cols, axis=1) if channels > 1 else cols[0]
    return wave.astype(np.float32)


def write_datadir(path: Path, wav_scp: dict[str, str], segments: dict[str, str] | None = None):
    path.mkdir(parents=True, exist_ok=True)
    utts = list(segments) if segments else list(wav_scp)
    write_table(path / "wav.scp", wav_scp)
    write_table(path / "utt2spk", {u: u.split("-")[0] for u in utts})
    write_table(path / "text", {u: f"words of {u}" for u in utts})
    if segments:
        write_table(path / "segments", segments)
    return path


def good_clips(audio_dir: Path) -> dict[str, str]:
    """utt id -> wav.scp value for readable clips of many kinds."""
    audio_dir.mkdir(parents=True, exist_ok=True)
    clips = {
        "spk1-wav16k": ("a.wav", tone(440, 16000, 0.6), 16000, {"subtype": "PCM_16"}),
        "spk1-wav8k": ("b.wav", tone(300, 8000, 0.5, seed=1), 8000, {"subtype": "PCM_16"}),
        "spk2-stereo48k": ("c.wav", tone(500, 48000, 0.4, 2, seed=2), 48000, {"subtype": "FLOAT"}),
        "spk2-mp3": ("d.mp3", tone(350, 22050, 0.7, seed=3), 22050, {}),
        "spk3-flac": ("e.flac", tone(600, 16000, 0.3, seed=4), 16000, {}),
    }
    scp = {}
    for utt, (name, wave, rate, kw) in clips.items():
        sf.write(audio_dir / name, wave, rate, **kw)
        scp[utt] = str(audio_dir / name)
    scp["spk3-pipe"] = f"cat {audio_dir / 'a.wav'} |"
    return scp


def bad_clips(audio_dir: Path) -> dict[str, str]:
    """utt id -> wav.scp value for clips that cannot be read, and the expected reason."""
    audio_dir.mkdir(parents=True, exist_ok=True)
    (audio_dir / "corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk" * 8)
    (audio_dir / "empty.wav").write_bytes(b"")
    return {
        "spk4-corrupt": str(audio_dir / "corrupt.wav"),
        "spk4-empty": str(audio_dir / "empty.wav"),
        "spk4-missing": str(audio_dir / "missing.wav"),
        "spk4-badpipe": f"cat {audio_dir / 'missing.wav'} |",
    }


BAD_REASONS = {
    "spk4-corrupt": "unreadable",
    "spk4-empty": "empty",
    "spk4-missing": "missing-file",
    "spk4-badpipe": "pipe-failed",
}


@pytest.fixture(scope="session")
def bad_reasons() -> dict[str, str]:
    """Utterance id -> the reason its clip in ``mixed_dir`` cannot be read."""
    return dict(BAD_REASONS)


@pytest.fixture(scope="session")
def make_datadir():
    """``write_datadir(path, wav_scp, segments=None)``: a data dir from a wav.scp mapping."""
    return write_datadir


@pytest.fixture(scope="module")
def mixed_dir(tmp_path_factory) -> Path:
    """Whole-file data dir: 6 readable clips of mixed formats and 4 unreadable ones."""
    root = tmp_path_factory.mktemp("mixed")
    scp = {**good_clips(root / "audio"), **bad_clips(root / "audio")}
    return write_datadir(root / "data", scp)


@pytest.fixture(scope="module")
def good_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("good")
    return write_datadir(root / "data", good_clips(root / "audio"))


@pytest.fixture(scope="module")
def segmented_dir(tmp_path_factory) -> Path:
    """Two 3 s recordings (a WAV at 8 kHz and the same through a pipe) cut into segments,
    one segment past the end of its recording."""
    root = tmp_path_factory.mktemp("seg")
    (root / "audio").mkdir()
    sf.write(root / "audio" / "long.wav", tone(200, 8000, 3.0, seed=5), 8000, subtype="PCM_16")
    sf.write(root / "audio" / "long2.flac", tone(250, 16000, 3.0, seed=6), 16000)
    scp = {"recA": str(root / "audio" / "long.wav"), "recB": f"cat {root / 'audio' / 'long2.flac'} |"}
    segments = {
        "spkA-recA-000": "recA 0 1",
        "spkA-recA-001": "recA 1 2.2",
        "spkA-recA-002": "recA 2.2 3.2",  # overshoots by 0.2 s: cut at the end
        "spkB-recB-000": "recB 0.5 1.5",
        "spkB-recB-001": "recB 1.5 3",
        "spkB-recB-002": "recB 2.5 4.5",  # outside the recording
    }
    return write_datadir(root / "data", scp, segments)
