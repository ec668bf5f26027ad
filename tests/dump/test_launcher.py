"""asrkit-dump end to end through the real local launcher, and on real corpora."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import kaldiio
import numpy as np
import pytest
import soundfile as sf

from asrkit.data import DataDir, validate_data_dir, write_table
from asrkit.data.exclusions import Exclusions


def asrkit_dump(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, "-m", "asrkit.dump", "--cmd", "asrkit-launch local", *args],
        capture_output=True, text=True, env=env,
    )


def test_dump_through_the_local_launcher_with_two_jobs(mixed_dir, bad_reasons, tmp_path):
    out = tmp_path / "dump" / "raw" / "train"
    proc = asrkit_dump("--nj", "2", "--max-bad-fraction", "0.5", str(mixed_dir), str(out))
    assert proc.returncode == 0, proc.stderr
    assert "dump.JOB.log" in proc.stderr
    for job in (1, 2):
        log = (out / "log" / f"dump.{job}.log").read_text()
        assert f"dump job {job}" in log  # the worker's progress bar
    assert validate_data_dir(out).ok
    feats = kaldiio.load_scp(str(out / "feats.scp"))
    assert set(feats) == set(DataDir.read(mixed_dir).utts) - set(bad_reasons)
    assert {i.key for i in Exclusions.read(out / "bad_utts.txt").items} == set(bad_reasons)
    assert "utterances: 6 dumped of 10" in proc.stdout


def test_failed_job_names_its_log(good_dir, tmp_path):
    out = tmp_path / "dump"
    (out / "data").mkdir(parents=True)
    (out / "data" / "feats.1.ark").mkdir()  # the job cannot create its ark
    proc = asrkit_dump(str(good_dir), str(out))
    assert proc.returncode == 1
    assert "dump.1.log" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.shared_data
def test_real_corpora_dump_and_load_back(shared_data, tmp_path):
    """yesno WAV (8 kHz), Common Voice MP3 (48 kHz) and LibriSpeech FLAC, by hand."""
    clips = sorted((shared_data / "yesno" / "waves_yesno").glob("*.wav"))[:3]
    clips += sorted((shared_data / "common_voice").rglob("*.mp3"))[:3]
    clips += sorted((shared_data / "librispeech").rglob("*.flac"))[:2]
    assert len(clips) == 8
    wav_scp = {f"spk{i}-{p.stem}": str(p) for i, p in enumerate(clips)}
    data = tmp_path / "data"
    write_table(data / "wav.scp", wav_scp)
    write_table(data / "utt2spk", {u: u.split("-")[0] for u in wav_scp})
    out = tmp_path / "dump"
    proc = asrkit_dump("--nj", "2", "--type", "fbank", str(data), str(out))
    assert proc.returncode == 0, proc.stderr
    feats = kaldiio.load_scp(str(out / "feats.scp"))
    assert set(feats) == set(wav_scp)
    for utt, path in wav_scp.items():
        info = sf.info(path)
        frames = feats[utt].shape[0]
        assert feats[utt].shape[1] == 80 and np.isfinite(feats[utt]).all()
        assert abs(frames / 100 - info.duration) < 0.1, utt
    assert np.isfinite(kaldiio.load_mat(str(out / "cmvn.ark"))).all()
