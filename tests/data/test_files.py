"""File-level pieces of a data dir: what each file is keyed on, and ``segments`` lines."""

import pytest

from asrkit.data.files import (
    TO_THE_END,
    Segment,
    format_seconds,
    format_segment,
    parse_segment,
    table_kind,
)


@pytest.mark.parametrize("name, kind", [
    ("utt2spk", "utt"), ("text", "utt"), ("segments", "utt"), ("utt2dur", "utt"),
    ("feats.scp", "utt"), ("vad.scp", "utt"),
    ("wav.scp", "reco"), ("reco2dur", "reco"), ("reco2file_and_channel", "reco"),
    ("spk2utt", "spk"), ("spk2gender", "spk"), ("cmvn.scp", "spk"),
    ("excluded.txt", None), ("conf", None), ("utt2", None), ("split4utt", None),
])
def test_table_kind_groups_files_by_their_key(name, kind):
    assert table_kind(name) == kind


def test_segment_line_round_trips_with_at_most_six_decimals():
    seg = parse_segment("reco1 0.5 2.1234567")
    assert seg == Segment("reco1", 0.5, 2.1234567)
    assert format_segment(seg) == "reco1 0.5 2.123457"
    assert parse_segment(format_segment(Segment("r", 0.0, 3.0))) == Segment("r", 0.0, 3.0)
    assert format_seconds(-0.0000001) == "0"


def test_segment_ending_at_minus_one_runs_to_the_end():
    assert parse_segment("r 1.5 -1").open_ended
    assert parse_segment("r 1.5 -1").end == TO_THE_END
    assert not parse_segment("r 1.5 2").open_ended


@pytest.mark.parametrize("value, reason", [
    ("reco1 0.5", "got 3 fields"), ("reco1 a b", "are not numbers"),
])
def test_bad_segment_line_says_why(value, reason):
    with pytest.raises(ValueError, match=reason):
        parse_segment(value)
