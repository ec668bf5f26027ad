"""Data-dir fixtures: small in-memory data dirs, sine-wave audio, and a runner for utils/."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from asrkit.data import DataDir, Segment

REPO = Path(__file__).resolve().parents[2]
UTILS = REPO / "utils"


def sine(path: Path, seconds: float, rate: int = 16000, freq: float = 440.0) -> Path:
    t = np.arange(int(round(seconds * rate))) / rate
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate, subtype="PCM_16")
    return path


def make_dir(n_spk: int = 3, per_spk: int = 2, segments: bool = False,
             wav_dir: Path | None = None) -> DataDir:
    """Speakers ``sA, sB, ...`` with utterances ``sA-000, ...`` and every kind of table."""
    dd = DataDir(text={})
    for i in range(n_spk):
        spk = f"s{chr(65 + i)}"
        for j in range(per_spk):
            utt = f"{spk}-{j:03d}"
            dd.utt2spk[utt] = spk
            dd.text[utt] = f"word{j} of {spk}"
    utts = list(dd.utt2spk)
    dd.utt_tables["utt2dur"] = {u: "1.5" for u in utts}
    dd.utt_tables["utt2lang"] = {u: "en" for u in utts}
    dd.spk_tables["spk2gender"] = {s: "mf"[k % 2] for k, s in enumerate(dd.speakers)}
    if segments:
        dd.segments = {}
        for u in utts:
            reco = f"rec-{dd.utt2spk[u]}"
            j = int(u.rsplit("-", 1)[1])
            dd.segments[u] = Segment(reco, 1.5 * j, 1.5 * (j + 1))
        recos = sorted({s.reco for s in dd.segments.values()})
        dd.wav_scp = {r: f"/audio/{r}.wav" for r in recos}
        dd.reco_tables["reco2dur"] = {r: str(1.5 * per_spk) for r in recos}
    else:
        base = wav_dir or Path("/audio")
        dd.wav_scp = {u: str(base / f"{u}.wav") for u in utts}
    return dd


@pytest.fixture
def datadir() -> DataDir:
    return make_dir()


@pytest.fixture
def seg_datadir() -> DataDir:
    return make_dir(segments=True)


@pytest.fixture
def audio_dir(tmp_path) -> DataDir:
    """Two speakers, two real 16 kHz sine-wave utterances each (0.5 s to 0.8 s)."""
    dd = make_dir(n_spk=2, per_spk=2, wav_dir=tmp_path)
    del dd.utt_tables["utt2dur"]
    for k, utt in enumerate(dd.utts):
        sine(tmp_path / f"{utt}.wav", 0.5 + 0.1 * k)
    return dd


def run_util(script: str, *args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``utils/<script>`` as a Kaldi recipe would, from ``cwd``."""
    proc = subprocess.run([str(UTILS / script), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, "LC_ALL": "C"}, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"{script} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def make_datadir():
    """``make_datadir(n_spk, per_spk, segments, wav_dir)`` -> DataDir (see :func:`make_dir`)."""
    return make_dir


@pytest.fixture
def write_sine():
    """``write_sine(path, seconds, rate=16000)`` writes a PCM-16 sine wave."""
    return sine


@pytest.fixture
def utils_run():
    """``utils_run(script, *args, cwd=..., check=True)`` runs ``utils/<script>``."""
    return run_util
