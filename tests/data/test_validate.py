"""Validation: each class of error is caught, with file, line and id named."""

from __future__ import annotations

import pytest

from asrkit.data import validate_data_dir
from asrkit.data.validate import MAX_PER_KIND, nonprintable


@pytest.fixture
def written(tmp_path, datadir):
    """A valid data dir on disk (wav paths are not real: check_files=False below)."""
    datadir.write(tmp_path / "d")
    return tmp_path / "d"


@pytest.fixture
def seg_written(tmp_path, seg_datadir):
    seg_datadir.write(tmp_path / "s")
    return tmp_path / "s"


def errors(path, **kw) -> str:
    kw.setdefault("check_files", False)
    report = validate_data_dir(path, **kw)
    assert not report.ok, "expected validation to fail"
    return report.summary()


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_valid_dir_passes(written, seg_written):
    assert validate_data_dir(written, check_files=False).ok
    assert validate_data_dir(seg_written, check_files=False).ok


def test_missing_required_files(written):
    (written / "text").unlink()
    assert "text: no such file (if this is by design, pass --no-text)" in errors(written)
    assert validate_data_dir(written, no_text=True, check_files=False).ok
    assert "feats.scp: no such file" in errors(written, no_text=True, no_feats=False)
    (written / "spk2utt").unlink()
    msg = errors(written, no_text=True)
    assert "spk2utt: no such file; create it with utils/utt2spk_to_spk2utt.pl" in msg


def test_unsorted_file_names_line(written):
    lines = (written / "utt2lang").read_text().splitlines()
    (written / "utt2lang").write_text("\n".join([lines[1], lines[0], *lines[2:]]) + "\n")
    assert "utt2lang line 2: 'sA-000' comes after 'sA-001': not sorted in C-locale order" in errors(written)


def test_duplicate_id_names_line(written):
    with open(written / "utt2dur", "a") as f:
        f.write("sC-001 2.0\n")
    assert "utt2dur line 7: duplicate id 'sC-001' (first on line 6)" in errors(written)


def test_missing_final_newline(written):
    (written / "text").write_bytes((written / "text").read_bytes().rstrip(b"\n"))
    assert "text line 6: the last line has no newline" in errors(written)


def test_utt2spk_must_also_sort_by_speaker(written):
    edit(written / "utt2spk", "sA-001 sA", "sA-001 sZ")
    msg = errors(written)
    assert "utt2spk line 3: utterance 'sB-000' of speaker 'sB' sorts after 'sA-001' of speaker 'sZ'" in msg
    assert "make speaker ids prefixes of utterance ids" in msg
    assert "utt2spk is not also sorted by speaker" not in errors(written, no_spk_sort=True)


def test_spk2utt_must_agree_with_utt2spk(written):
    edit(written / "spk2utt", "sB sB-000 sB-001", "sB sB-000")
    assert "utterance 'sB-001' of utt2spk is in no speaker's list" in errors(written)


def test_utterance_lists_must_agree(written):
    edit(written / "utt2lang", "sB-001 en\n", "")
    msg = errors(written)
    assert "utt2lang: utterance 'sB-001' (utt2spk line 4) has no line here" in msg
    edit(written / "text", "sC-001 word1 of sC\n", "sC-001 word1 of sC\nsD-000 extra\n")
    assert "text line 7: utterance 'sD-000' is not in utt2spk" in errors(written)


def test_empty_transcript_says_how_to_fix(written):
    edit(written / "text", "sB-000 word0 of sB", "sB-000")
    assert ("text line 3: utterance 'sB-000' has an empty transcript; remove it or run "
            "utils/fix_data_dir.sh") in errors(written)


def test_non_printable_character_in_transcript(written):
    edit(written / "text", "word0 of sB", "word0\u00a0of sB")
    assert "'sB-000' has the non-printable character U+00A0 (NO-BREAK SPACE) at column 6" in errors(written)


def test_invalid_utf8_text(written):
    with open(written / "text", "rb+") as f:
        data = f.read().replace(b"word1 of sA", b"word1 \xff sA")
        f.seek(0)
        f.write(data)
    assert "text line 2: not valid UTF-8" in errors(written)


@pytest.mark.parametrize("text", ["<s> hello", "hello </s>", "x (#0)"])
def test_reserved_symbols_like_kaldi_grep_w(written, text):
    edit(written / "text", "word0 of sA", text)
    assert "utterance 'sA-000' contains the reserved symbol" in errors(written)


def test_reserved_symbol_inside_a_word_is_fine(written):
    edit(written / "text", "word0 of sA", "a<s>b x#0")
    assert validate_data_dir(written, check_files=False).ok


def test_segment_times_and_recordings(seg_written):
    edit(seg_written / "segments", "sA-001 rec-sA 1.5 3", "sA-001 rec-sA 3 1.5")
    assert "segments line 2: utterance 'sA-001' ends at 1.5, not after its start 3.0" in errors(seg_written)
    edit(seg_written / "segments", "sA-001 rec-sA 3 1.5", "sA-001 rec-sA -1 1.5")
    assert "utterance 'sA-001' starts at -1.0 < 0" in errors(seg_written)
    edit(seg_written / "segments", "sA-001 rec-sA -1 1.5", "sA-001 rec-sX 0 1.5")
    assert "is cut from recording 'rec-sX', which is not in wav.scp" in errors(seg_written)


def test_recording_without_segments_is_an_error(seg_written):
    with open(seg_written / "wav.scp", "a") as f:
        f.write("rec-sZ /audio/z.wav\n")
    with open(seg_written / "reco2dur", "a") as f:
        f.write("rec-sZ 3\n")
    assert "wav.scp line 4: recording 'rec-sZ' has no utterance in segments" in errors(seg_written)


def test_segment_end_checked_against_reco2dur(seg_written):
    edit(seg_written / "reco2dur", "rec-sB 3.0", "rec-sB 2.0")
    msg = errors(seg_written)
    assert "segments line 4: utterance 'sB-001' ends at 3.0 s, after the end of recording 'rec-sB'" in msg
    edit(seg_written / "reco2dur", "rec-sB 2.0", "rec-sB 2.9")
    report = validate_data_dir(seg_written, check_files=False)
    assert report.ok and any("it will be cut at the end" in str(w) for w in report.warnings)


def test_wav_scp_entries(written, tmp_path):
    edit(written / "wav.scp", "sA-000 /audio/sA-000.wav", "sA-000 ~/sA-000.wav")
    assert "recording 'sA-000': '~' is not expanded" in errors(written)
    edit(written / "wav.scp", "sA-000 ~/sA-000.wav", "sA-000 sox a.wav -t wav -")
    assert "has spaces but does not end with '|'" in errors(written)
    edit(written / "wav.scp", "sox a.wav -t wav -", "sox a.wav -t wav - |")
    msg = errors(written, check_files=True)
    assert "wav.scp line 2: recording 'sA-001': audio file '/audio/sA-001.wav' does not exist" in msg
    assert "sA-000" not in msg  # a pipe is not checked for a file


def test_spk2gender_values(written):
    edit(written / "spk2gender", "sA m", "sA male")
    msg = errors(written)
    assert "spk2gender line 1: speaker 'sA' has gender 'male'; Kaldi accepts only 'm' or 'f'" in msg


@pytest.mark.parametrize("name,value", [("utt2dur", "0"), ("utt2dur", "abc"), ("utt2num_frames", "1.5")])
def test_numeric_tables(written, name, value):
    lines = [f"{u} {value if i == 2 else '7'}" for i, u in enumerate(sorted(
        (written / "utt2spk").read_text().split()[::2]))]
    (written / name).write_text("\n".join(lines) + "\n")
    assert f"{name} line 3: 'sB-000' has value '{value}'" in errors(written)


def test_reco2file_and_channel_format(seg_written):
    (seg_written / "reco2file_and_channel").write_text("rec-sA a A\nrec-sB b 2\nrec-sC c B\n")
    assert "reco2file_and_channel line 2: recording 'rec-sB': expected '<reco> <file> <A|B>'" in errors(
        seg_written)


def test_many_problems_of_one_kind_are_counted_not_listed(tmp_path, make_datadir):
    dd = make_datadir(n_spk=2, per_spk=10)
    dd.write(tmp_path / "d")
    (tmp_path / "d" / "utt2lang").write_text("")
    msg = errors(tmp_path / "d")
    assert msg.count("has no line here") == MAX_PER_KIND
    assert f"{20 - MAX_PER_KIND} more 'missing-utterance' problem(s) not listed" in msg


def test_single_speaker_is_a_warning(tmp_path, make_datadir):
    make_datadir(n_spk=1).write(tmp_path / "d")
    report = validate_data_dir(tmp_path / "d", check_files=False)
    assert report.ok and "only one speaker" in str(report.warnings[0])


def test_nonprintable_allows_scripts_and_joiners():
    assert nonprintable("नमस्ते دنیا 中文 zwnj\u200cjoin") is None
    assert nonprintable("bad\x07bell")[1].startswith("U+0007")
    assert nonprintable("\ufeffbom")[0] == 1


def test_segment_overshoot_agrees_with_audio_loader():
    from asrkit.audio import MAX_OVERSHOOT
    from asrkit.data.validate import SEGMENT_OVERSHOOT

    assert SEGMENT_OVERSHOOT == MAX_OVERSHOOT
