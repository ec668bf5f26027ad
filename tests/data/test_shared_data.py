"""Real corpora from ../shared/data listed into data dirs by hand, then put through the ops."""

from __future__ import annotations

import re

import pytest

from asrkit.audio import load
from asrkit.data import DataDir, ops, validate_data_dir

pytestmark = pytest.mark.shared_data


def an4_test_dir(root) -> DataDir:
    """AN4's test set: ids ``<spk>-<utt>`` so that they sort with their speakers."""
    an4 = root / "an4"
    dd = DataDir(text={})
    lines = (an4 / "etc" / "an4_test.transcription").read_text().splitlines()
    for fileid, line in zip((an4 / "etc" / "an4_test.fileids").read_text().split(), lines):
        _, spk, name = fileid.split("/")
        words, tail = re.fullmatch(r"(.*) \((\S+)\)", line.strip()).groups()
        assert tail == name
        utt = f"{spk}-{name}"
        dd.utt2spk[utt] = spk
        dd.text[utt] = words
        dd.wav_scp[utt] = str(an4 / "wav" / f"{fileid}.wav")
    return dd


def test_an4_data_dir_validates_splits_and_filters(tmp_path, shared_data):
    dd = an4_test_dir(shared_data)
    assert len(dd) == 130 and len(dd.speakers) == 10
    dd.write(tmp_path / "test")
    report = validate_data_dir(tmp_path / "test")
    assert report.ok, report.summary()
    back = DataDir.read(tmp_path / "test")
    assert back == dd
    pieces = ops.split_data(tmp_path / "test", 4)
    sizes = [len(DataDir.read(p)) for p in pieces]
    assert sum(sizes) == 130 and max(sizes) - min(sizes) <= 13  # whole speakers of 13 utterances
    short, ex = ops.filter_by_duration(back, max_dur=3.0)
    assert len(short) + len(ex) == 130 and {e.reason for e in ex.items} <= {"too-long"}
    assert all(float(d) <= 3.0 for d in short.utt_tables["utt2dur"].values())


def test_yesno_speed_perturbed_audio_is_longer(tmp_path, shared_data):
    waves = sorted((shared_data / "yesno" / "waves_yesno").glob("*.wav"))[:2]
    dd = DataDir(text={})
    for w in waves:
        dd.utt2spk[w.stem] = w.stem  # one unnamed speaker: each utterance its own
        dd.text[w.stem] = " ".join("YES" if c == "1" else "NO" for c in w.stem.split("_"))
        dd.wav_scp[w.stem] = str(w)
    sp = ops.speed_perturb(dd, 0.9)
    sp.write(tmp_path / "sp")
    assert validate_data_dir(tmp_path / "sp").ok
    utt = sp.utts[0]
    wave = load(sp.wav_scp[utt], sample_rate=8000)
    assert len(wave) / 8000 == pytest.approx(float(sp.utt_tables["utt2dur"][utt]), abs=1e-3)
