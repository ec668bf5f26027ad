"""The Kaldi operations: fix, split, subset, combine, copy, duration filtering."""

from __future__ import annotations

import os
import tempfile
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asrkit.data import DataDir, DataDirError, Segment, check_datadir, ops, validate_data_dir, write_table

# ---- fix -------------------------------------------------------------------------------------


def test_fix_keeps_the_intersection_and_reports_each_drop(tmp_path, seg_datadir):
    seg_datadir.write(tmp_path / "d")
    d = tmp_path / "d"
    with open(d / "text", "w") as f:  # sA-001 missing, sB-000 empty, duplicate sC-000, unsorted
        f.write("sC-000 c\nsA-000 a\nsB-000\nsB-001 b\nsC-000 again\nsC-001 c1\nzz-9 stray\n")
    with open(d / "wav.scp", "a") as f:
        f.write("rec-unused /audio/u.wav\n")
    (d / "reco2dur").write_text("rec-sA 3\nrec-sB 3\nrec-sC 3\nrec-unused 1\n")
    fixed, ex, total = ops.fix_data_dir(d)
    assert total == 6
    assert fixed.utts == ["sA-000", "sB-001", "sC-000", "sC-001"]
    assert fixed.text["sC-000"] == "c"  # the first of duplicate lines is kept
    reasons = {(e.key, e.reason) for e in ex.items}
    assert ("sA-001", "missing-from-text") in reasons
    assert ("sB-000", "empty-text") in reasons
    assert ("sC-000", "duplicate-id") in reasons
    assert ("zz-9", "not-in-utt2spk") in reasons
    assert ("rec-unused", "recording-without-utterances") in reasons
    fixed.write(d)
    assert validate_data_dir(d, check_files=False).ok


def test_fix_drops_bad_segments_and_speakers_without_gender(tmp_path, seg_datadir):
    seg_datadir.segments["sA-001"] = Segment("rec-sA", 2.0, 1.0)
    seg_datadir.segments["sB-001"] = Segment("rec-sB", 1.5, 9.0)
    seg_datadir.spk_tables["spk2gender"].pop("sC")
    os.makedirs(tmp_path / "d")
    for name in seg_datadir.table_names():  # written table by table: write() would refuse it
        write_table(tmp_path / "d" / name, seg_datadir.table(name))
    fixed, ex, _ = ops.fix_data_dir(tmp_path / "d")
    assert fixed.utts == ["sA-000", "sB-000"]
    assert {(e.key, e.reason) for e in ex.items} == {
        ("sA-001", "bad-segment"), ("sB-001", "segment-outside-recording"),
        ("sC-000", "speaker-missing-from-spk2gender"), ("sC-001", "speaker-missing-from-spk2gender"),
        ("rec-sC", "recording-without-utterances"),
    }


def test_fix_with_nothing_left_is_an_error(tmp_path, datadir):
    datadir.write(tmp_path / "d")
    (tmp_path / "d" / "text").write_text("other only\n")
    with pytest.raises(DataDirError, match="no utterances remained"):
        ops.fix_data_dir(tmp_path / "d")


# ---- split -----------------------------------------------------------------------------------


def test_split_points_balance_contiguous_runs():
    assert ops.split_points([5, 1, 1, 1, 1, 1], 2) == [0, 1, 6]
    assert ops.split_points([1] * 10, 3) == [0, 3, 7, 10]
    assert ops.split_points([3, 3, 3], 3) == [0, 1, 2, 3]
    with pytest.raises(ValueError):
        ops.split_points([1, 1], 3)


def test_split_by_speaker_keeps_speakers_whole(make_datadir):
    dd = make_datadir(n_spk=5, per_spk=3)
    groups = ops.split_groups(dd, 2)
    assert [len(g) for g in groups] in ([6, 9], [9, 6])
    spk_sets = [{dd.utt2spk[u] for u in g} for g in groups]
    assert not spk_sets[0] & spk_sets[1]


def test_split_per_utt_sizes_differ_by_at_most_one(datadir):
    assert [len(g) for g in ops.split_groups(datadir, 4, per_utt=True)] == [1, 2, 1, 2]


def test_split_needs_enough_speakers(datadir):
    with pytest.raises(DataDirError, match="cannot split 3 speakers into 4 pieces by speaker.*--per-utt"):
        ops.split_groups(datadir, 4)


def test_split_data_writes_valid_pieces_and_reuses_them(tmp_path, seg_datadir):
    seg_datadir.write(tmp_path / "d")
    pieces = ops.split_data(tmp_path / "d", 3)
    assert pieces == [tmp_path / "d" / "split3" / str(i) for i in (1, 2, 3)]
    for p in pieces:
        assert validate_data_dir(p, check_files=False).ok
        assert (p / "reco2dur").is_file() and (p / "utt2lang").is_file()
    stamp = (pieces[0] / "utt2spk").stat().st_mtime_ns
    assert ops.split_data(tmp_path / "d", 3) == pieces
    assert (pieces[0] / "utt2spk").stat().st_mtime_ns == stamp
    time.sleep(0.01)
    seg_datadir.subset(seg_datadir.utts[:3]).write(tmp_path / "d")
    os.utime(tmp_path / "d" / "utt2spk", (time.time() + 5, time.time() + 5))
    ops.split_data(tmp_path / "d", 3, per_utt=True)
    assert sorted(p.name for p in (tmp_path / "d").iterdir() if p.is_dir()) == ["split3", "split3utt"]
    assert DataDir.read(tmp_path / "d" / "split3utt" / "3").utts == ["sB-000"]


# ---- subset ----------------------------------------------------------------------------------


def test_subset_first_last_random(datadir):
    assert ops.subset_first(datadir, 2).utts == ["sA-000", "sA-001"]
    assert ops.subset_last(datadir, 1).utts == ["sC-001"]
    a, b = ops.subset_random(datadir, 3, seed=1), ops.subset_random(datadir, 3, seed=1)
    assert a == b and len(a) == 3
    with pytest.raises(DataDirError, match="cannot take 7 utterances"):
        ops.subset_random(datadir, 7)


def test_subset_shortest_uses_durations(datadir):
    datadir.utt_tables["utt2dur"]["sB-001"] = "0.2"
    datadir.utt_tables["utt2dur"]["sC-000"] = "0.3"
    assert ops.subset_shortest(datadir, 2).utts == ["sB-001", "sC-000"]


def test_subset_speakers_takes_whole_speakers(datadir):
    sub = ops.subset_speakers(datadir, 3, seed=0)
    assert len(sub) == 4 and all(len(u) == 2 for u in sub.spk2utt.values())


def test_subset_by_lists_skips_unknown_ids(datadir, caplog):
    assert ops.subset_utt_list(datadir, ["sC-001", "nope", "sA-000"]).utts == ["sA-000", "sC-001"]
    assert "1 id(s) of the list are not in" in caplog.text
    assert ops.subset_spk_list(datadir, ["sB"]).utts == ["sB-000", "sB-001"]


# ---- combine ---------------------------------------------------------------------------------


def test_combine_rejects_repeated_utterance_ids(datadir):
    with pytest.raises(DataDirError, match="id 'sA-000' of utt2spk appears in both"):
        ops.combine([datadir, datadir.subset(["sA-000"])])


def test_combine_leaves_out_tables_some_sources_lack(datadir, caplog):
    other = ops.copy_data_dir(datadir, utt_prefix="x-", spk_prefix="x-")
    del other.utt_tables["utt2lang"]
    out = ops.combine([datadir, other])
    assert len(out) == 12 and "utt2lang" not in out.utt_tables and "utt2dur" in out.utt_tables
    assert "utt2lang is missing from" in caplog.text


def test_combine_gives_whole_recording_segments_to_sources_without_them(datadir, seg_datadir):
    plain = ops.copy_data_dir(datadir, utt_prefix="p-", spk_prefix="p-")
    out = ops.combine([seg_datadir, plain])
    assert out.segments["p-sA-000"] == Segment("p-sA-000", 0.0, 1.5)
    assert out.reco_tables["reco2dur"]["p-sA-000"] == "1.5"
    assert check_datadir(out).ok


def test_combine_rejects_conflicting_speaker_values(datadir):
    other = ops.copy_data_dir(datadir, utt_prefix="x")
    other.spk_tables["spk2gender"]["sA"] = "f"
    with pytest.raises(DataDirError, match="id 'sA' of spk2gender has different values"):
        ops.combine([datadir, other])


# ---- copy ------------------------------------------------------------------------------------


def test_copy_with_prefixes_and_suffixes(datadir, seg_datadir):
    out = ops.copy_data_dir(datadir, utt_prefix="p-", utt_suffix="-u", spk_prefix="p-", spk_suffix="")
    assert out.utts[0] == "p-sA-000-u" and out.utt2spk["p-sA-000-u"] == "p-sA"
    assert out.wav_scp["p-sA-000-u"] == datadir.wav_scp["sA-000"]
    assert out.spk_tables["spk2gender"]["p-sA"] == "m"
    seg = ops.copy_data_dir(seg_datadir, utt_prefix="x-", spk_prefix="x-")
    assert seg.wav_scp == seg_datadir.wav_scp  # recordings keep their ids with segments
    assert seg.segments["x-sA-001"] == seg_datadir.segments["sA-001"]
    assert check_datadir(seg).ok


# ---- durations -------------------------------------------------------------------------------


def test_filter_by_duration_with_utt2dur(datadir):
    datadir.utt_tables["utt2dur"].update({"sA-000": "0.2", "sC-001": "30"})
    out, ex = ops.filter_by_duration(datadir, min_dur=0.5, max_dur=20)
    assert "sA-000" not in out.utt2spk and "sC-001" not in out.utt2spk and len(out) == 4
    assert {(e.key, e.reason) for e in ex.items} == {("sA-000", "too-short"), ("sC-001", "too-long")}


def test_filter_by_duration_measures_audio_and_excludes_unreadable(tmp_path, audio_dir):
    (tmp_path / "sB-001.wav").write_bytes(b"not audio at all")
    out, ex = ops.filter_by_duration(audio_dir, min_dur=0.55)
    assert out.utts == ["sA-001", "sB-000"]
    assert out.utt_tables["utt2dur"] == {"sA-001": "0.6", "sB-000": "0.7"}
    assert {(e.key, e.reason) for e in ex.items} == {("sA-000", "too-short"), ("sB-001", "unreadable")}


def test_filter_that_drops_everything_is_an_error(datadir):
    with pytest.raises(DataDirError, match="no utterance is within the duration limits"):
        ops.filter_by_duration(datadir, max_dur=1.0)


def test_ensure_durations_names_unreadable_audio(audio_dir, tmp_path):
    (tmp_path / "sA-001.wav").unlink()
    with pytest.raises(DataDirError, match="sA-001: missing-file"):
        ops.ensure_durations(audio_dir)


# ---- properties ------------------------------------------------------------------------------

spk_ids = st.text(st.sampled_from("abcxyzé中Ω09_"), min_size=3, max_size=3)


@st.composite
def data_dirs(draw):
    """Random valid data dirs: fixed-length speaker ids prefix the utterance ids."""
    speakers = draw(st.lists(spk_ids, min_size=1, max_size=6, unique=True))
    with_segments = draw(st.booleans())
    dd = DataDir(text={})
    for spk in speakers:
        for suffix in draw(st.lists(st.text("0123abcü", min_size=1, max_size=3), min_size=1, max_size=4,
                                    unique=True)):
            utt = f"{spk}-{suffix}"
            dd.utt2spk[utt] = spk
            dd.text[utt] = draw(st.text("abc ü", min_size=1, max_size=10).map(str.strip).filter(bool))
    dd.utt_tables["utt2dur"] = {u: "1.25" for u in dd.utt2spk}
    dd.spk_tables["spk2gender"] = {s: draw(st.sampled_from("mf")) for s in speakers}
    if with_segments:
        dd.segments = {u: Segment(f"r-{dd.utt2spk[u]}", 0.5 * i, 0.5 * i + 1.25)
                       for i, u in enumerate(dd.utt2spk)}
        dd.wav_scp = {s.reco: f"/a/{s.reco}.flac" for s in dd.segments.values()}
    else:
        dd.wav_scp = {u: f"/a/{u}.wav" for u in dd.utt2spk}
    return dd


@settings(max_examples=40, deadline=None)
@given(data_dirs(), st.integers(1, 5), st.booleans())
def test_split_then_combine_gives_back_the_original(dd, n, per_utt):
    units = len(dd) if per_utt else len(dd.speakers)
    if n > units:
        with pytest.raises(DataDirError):
            ops.split_groups(dd, n, per_utt)
        return
    pieces = [dd.subset(g) for g in ops.split_groups(dd, n, per_utt)]
    assert all(len(p) for p in pieces)
    assert ops.combine(pieces) == dd


@settings(max_examples=30, deadline=None)
@given(data_dirs())
def test_subset_by_all_ids_is_identity(dd):
    assert dd.subset(dd.utts) == dd
    assert ops.subset_utt_list(dd, reversed(dd.utts)) == dd


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data_dirs(), st.sampled_from(["x-", "sp1.1-", "ü_"]))
def test_copy_with_prefix_then_validate_passes(dd, prefix):
    out = ops.copy_data_dir(dd, utt_prefix=prefix, spk_prefix=prefix)
    with tempfile.TemporaryDirectory() as tmp:
        out.write(tmp)
        report = validate_data_dir(tmp, check_files=False)
        assert report.ok, report.summary()
        assert DataDir.read(tmp) == out
