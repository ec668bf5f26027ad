"""DataDir: reading every kind of table, subsets, and safe writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from asrkit.data import DataDir, DataDirError, Segment, validate_data_dir


def test_write_then_read_gives_the_same_data_dir(tmp_path, seg_datadir):
    seg_datadir.utt_tables["feats.scp"] = {u: f"feats.ark:{i}" for i, u in enumerate(seg_datadir.utts)}
    seg_datadir.reco_tables["reco2file_and_channel"] = {r: f"{r} A" for r in seg_datadir.wav_scp}
    seg_datadir.spk_tables["cmvn.scp"] = {s: "cmvn.ark:1" for s in seg_datadir.speakers}
    seg_datadir.write(tmp_path / "d")
    back = DataDir.read(tmp_path / "d")
    assert back == seg_datadir
    assert back.utt_tables.keys() == {"feats.scp", "utt2dur", "utt2lang"}
    assert back.reco_tables.keys() == {"reco2dur", "reco2file_and_channel"}
    assert back.spk_tables.keys() == {"spk2gender", "cmvn.scp"}


def test_written_dir_passes_validation_with_spk2utt_regenerated(tmp_path, datadir):
    datadir.write(tmp_path / "d")
    assert (tmp_path / "d" / "spk2utt").read_text().splitlines()[0] == "sA sA-000 sA-001"
    report = validate_data_dir(tmp_path / "d", check_files=False)
    assert report.ok, report.summary()


def test_views_follow_c_locale_order(datadir):
    datadir.utt2spk = dict(reversed(list(datadir.utt2spk.items())))
    assert datadir.utts == sorted(datadir.utts)
    assert list(datadir.spk2utt) == ["sA", "sB", "sC"]
    assert datadir.spk2utt["sB"] == ["sB-000", "sB-001"]
    assert len(datadir) == 6


def test_recording_of_with_and_without_segments(datadir, seg_datadir):
    assert datadir.recording_of("sA-001") == ("sA-001", 0.0, None)
    assert seg_datadir.recording_of("sA-001") == ("rec-sA", 1.5, 3.0)
    with pytest.raises(KeyError, match="no utterance 'nope'"):
        datadir.recording_of("nope")


def test_subset_keeps_recordings_and_speaker_tables_consistent(seg_datadir):
    sub = seg_datadir.subset(["sB-000", "sB-001"])
    assert sub.utts == ["sB-000", "sB-001"]
    assert list(sub.wav_scp) == ["rec-sB"]
    assert sub.reco_tables["reco2dur"] == {"rec-sB": "3.0"}
    assert sub.spk_tables["spk2gender"] == {"sB": "f"}
    assert set(sub.text) == set(sub.utt_tables["utt2lang"]) == {"sB-000", "sB-001"}


def test_subset_with_unknown_ids_fails_unless_ignored(datadir):
    with pytest.raises(DataDirError, match="1 requested utterance.*'zz'"):
        datadir.subset(["sA-000", "zz"])
    assert datadir.subset(["sA-000", "zz"], missing="ignore").utts == ["sA-000"]


def test_write_refuses_an_invalid_dir_and_writes_nothing(tmp_path, datadir):
    datadir.text["sA-000"] = ""
    with pytest.raises(DataDirError, match=r"text line 1: utterance 'sA-000' has an empty transcript"):
        datadir.write(tmp_path / "d")
    assert not (tmp_path / "d" / "utt2spk").exists()


def test_write_removes_tables_the_dir_no_longer_has(tmp_path, datadir):
    datadir.write(tmp_path / "d")
    (tmp_path / "d" / "notes.txt").write_text("kept")
    del datadir.utt_tables["utt2lang"]
    datadir.text = None
    datadir.write(tmp_path / "d")
    names = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert names == ["notes.txt", "spk2gender", "spk2utt", "utt2dur", "utt2spk", "wav.scp"]


def test_interrupted_write_leaves_a_dir_that_fails_validation(tmp_path, datadir, monkeypatch):
    datadir.write(tmp_path / "d")
    changed = datadir.subset(datadir.utts[:4])
    real_replace = Path.replace
    calls = []

    def crash_after_two(self, target):
        calls.append(self)
        if len(calls) > 2:
            raise KeyboardInterrupt
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        changed.write(tmp_path / "d")
    monkeypatch.undo()
    report = validate_data_dir(tmp_path / "d", check_files=False)
    assert not report.ok and "utt2spk: no such file" in report.summary()
    assert not [p for p in (tmp_path / "d").iterdir() if p.name.startswith(".write-")]


def test_read_reports_bad_segments_line(tmp_path, seg_datadir):
    seg_datadir.write(tmp_path / "d")
    seg = tmp_path / "d" / "segments"
    seg.write_text(seg.read_text().replace("sA-001 rec-sA 1.5 3", "sA-001 rec-sA x 3"))
    with pytest.raises(DataDirError, match=r"segments line 2: utterance 'sA-001': start/end times 'x' '3'"):
        DataDir.read(tmp_path / "d")


def test_read_without_utt2spk_says_what_is_needed(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(DataDirError, match="utt2spk: no such file; every data dir needs utt2spk"):
        DataDir.read(tmp_path / "d")


def test_unrelated_files_are_not_tables(tmp_path, datadir):
    datadir.write(tmp_path / "d")
    for name in ("utt2spk.bak", "text.orig", "stm", ".hidden"):
        (tmp_path / "d" / name).write_text("x y\n")
    back = DataDir.read(tmp_path / "d")
    assert set(back.utt_tables) == {"utt2dur", "utt2lang"}


def test_durations_come_from_utt2dur_or_segments(datadir, seg_datadir):
    assert datadir.durations()["sA-000"] == 1.5
    del seg_datadir.utt_tables["utt2dur"]
    assert seg_datadir.durations()["sA-001"] == pytest.approx(1.5)
    datadir.utt_tables["utt2dur"]["sB-000"] = "1,5"
    with pytest.raises(DataDirError, match=r"utt2dur: no valid duration for utterance 'sB-000' \('1,5'\)"):
        datadir.durations()
    del datadir.utt_tables["utt2dur"]
    assert datadir.durations() is None


def test_segment_is_a_named_tuple():
    assert Segment("r", 0.0, 1.0).end == 1.0


def _open_ended_dir(tmp_path, write_sine, reco2dur: bool) -> Path:
    """Two utterances of one 3 s recording, the second ending at -1 (Kaldi: to the end)."""
    d = tmp_path / "data"
    d.mkdir()
    wav = write_sine(tmp_path / "rec.wav", 3.0)
    (d / "wav.scp").write_text(f"rec {wav}\n")
    (d / "segments").write_text("s-u1 rec 0 1.2\ns-u2 rec 1.2 -1\n")
    (d / "utt2spk").write_text("s-u1 s\ns-u2 s\n")
    (d / "spk2utt").write_text("s s-u1 s-u2\n")
    (d / "text").write_text("s-u1 a\ns-u2 b\n")
    if reco2dur:
        (d / "reco2dur").write_text("rec 2.9\n")
    return d


@pytest.mark.parametrize("reco2dur, end", [(False, 3.0), (True, 2.9)])
def test_segment_ending_at_minus_one_ends_with_its_recording(tmp_path, write_sine, reco2dur, end):
    d = _open_ended_dir(tmp_path, write_sine, reco2dur)
    assert validate_data_dir(d).ok  # -1 is valid, as in Kaldi
    dd = DataDir.read(d)
    assert dd.segments["s-u2"] == Segment("rec", 1.2, end)  # from the audio header, or reco2dur
    assert dd.durations()["s-u2"] == pytest.approx(end - 1.2)
    assert dd.segments["s-u1"] == Segment("rec", 0.0, 1.2)


def test_open_ended_segment_is_dumped_to_the_end_of_its_recording(tmp_path, write_sine):
    import kaldiio

    from asrkit.dump import DumpConfig, JobPaths, dump_split

    d = _open_ended_dir(tmp_path, write_sine, reco2dur=False)
    dump_split(d, tmp_path / "dump", 1, DumpConfig(), "key")
    feats = kaldiio.load_scp(str(JobPaths.of(tmp_path / "dump", 1).scp))
    assert len(feats["s-u2"]) == round((3.0 - 1.2) * 16000)
