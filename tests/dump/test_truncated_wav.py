"""Stage 2 names a WAV whose data chunk was cut short in bad_utts.txt and leaves it out,
instead of dumping the few samples that are left as a short utterance."""

from __future__ import annotations

import os
import sys

import numpy as np
import soundfile as sf

from asrkit import dump
from asrkit.data import read_table
from asrkit.data.exclusions import Exclusions


def test_truncated_wav_is_excluded_with_its_sample_counts(make_datadir, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]))
    rng = np.random.default_rng(0)
    scp = {}
    for i in range(4):
        sf.write(tmp_path / f"ok{i}.wav", 0.1 * rng.standard_normal(8000), 16000, subtype="PCM_16")
        scp[f"s-ok{i}"] = str(tmp_path / f"ok{i}.wav")
    sf.write(tmp_path / "cut.wav", 0.1 * rng.standard_normal(16000), 16000, subtype="PCM_16")
    with open(tmp_path / "cut.wav", "r+b") as f:
        f.truncate(44 + 32)  # the 44-byte header and 1 ms of the 1 s it promises
    scp["s-cut"] = str(tmp_path / "cut.wav")
    data = make_datadir(tmp_path / "data", scp)

    out = tmp_path / "dump"
    assert dump.main(["--type", "raw", "--max-bad-fraction", "0.5", str(data), str(out)]) == 0
    bad = Exclusions.read(out / "bad_utts.txt").items
    assert [(i.key, i.reason) for i in bad] == [("s-cut", "truncated")]
    assert "cut.wav" in bad[0].where and "promises 16000 samples per channel, the file holds 16" in bad[0].where
    assert sorted(read_table(out / "feats.scp")) == [f"s-ok{i}" for i in range(4)]
