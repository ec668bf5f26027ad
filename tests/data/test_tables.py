"""Kaldi text tables: parsing, C-locale order, errors with file and line, atomic writes."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asrkit.data import DataDirError, c_sorted, read_list, read_table, write_table
from asrkit.data.tables import TableIssue, load_table, spk2utt_to_utt2spk, utt2spk_to_spk2utt

# printable, whitespace-free ids including non-ASCII letters and symbols
ids = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp", "Co", "Cn"), max_codepoint=0x2FFFF),
    min_size=1, max_size=8,
).filter(lambda s: not any(c.isspace() for c in s))


def test_read_table_splits_id_from_rest_of_line(tmp_path):
    f = tmp_path / "text"
    f.write_text("u1 hello  big\tworld \nu2\tx\n", encoding="utf-8")
    assert read_table(f) == {"u1": "hello  big\tworld", "u2": "x"}


def test_write_then_read_round_trips_and_sorts(tmp_path):
    table = {"b": "2", "a": "1", "é": "3", "Z": "0"}
    write_table(tmp_path / "t", table)
    assert (tmp_path / "t").read_text(encoding="utf-8") == "Z 0\na 1\nb 2\né 3\n"
    assert read_table(tmp_path / "t") == table


def test_list_values_are_joined_with_spaces(tmp_path):
    write_table(tmp_path / "spk2utt", {"s": ["s-1", "s-2"]})
    assert (tmp_path / "spk2utt").read_text() == "s s-1 s-2\n"


@settings(max_examples=40, deadline=None)
@given(st.lists(ids, min_size=1, max_size=20, unique=True))
def test_c_sorted_is_utf8_byte_order(keys):
    assert c_sorted(keys) == sorted(keys, key=lambda k: k.encode("utf-8"))


@pytest.mark.skipif(shutil.which("sort") is None, reason="no sort command")
def test_written_order_matches_lc_all_c_sort(tmp_path):
    keys = ["b", "B", "a-1", "a_1", "a", "ä", "z", "中文", "Ω", "10", "9", "a~", "€"]
    write_table(tmp_path / "t", {k: "x" for k in keys})
    text = (tmp_path / "t").read_bytes()
    sorted_by_sort = subprocess.run(["sort"], input=text, capture_output=True, env={"LC_ALL": "C"},
                                    check=True).stdout
    assert text == sorted_by_sort


def test_duplicate_id_names_both_lines(tmp_path):
    f = tmp_path / "utt2spk"
    f.write_text("a s\nb s\na t\n")
    with pytest.raises(DataDirError, match=r"utt2spk line 3: duplicate id 'a' \(first on line 1\)"):
        read_table(f)


def test_invalid_utf8_names_line_and_column(tmp_path):
    f = tmp_path / "text"
    f.write_bytes(b"a fine\nb caf\xe9\n")
    with pytest.raises(DataDirError, match=r"text line 2: not valid UTF-8 .*0xe9 at column 6"):
        read_table(f, allow_empty_value=True)


def test_windows_line_ending_is_an_error_saying_how_to_fix(tmp_path):
    f = tmp_path / "wav.scp"
    f.write_bytes(b"a /x.wav\r\n")
    with pytest.raises(DataDirError, match="wav.scp line 1: .*carriage return.*dos2unix"):
        read_table(f)


def test_missing_value_is_an_error_unless_allowed(tmp_path):
    f = tmp_path / "t"
    f.write_text("a\n")
    with pytest.raises(DataDirError, match="t line 1: 'a' has no value"):
        read_table(f)
    assert read_table(f, allow_empty_value=True) == {"a": ""}


def test_issues_mode_collects_every_problem_and_keeps_first_duplicate(tmp_path):
    f = tmp_path / "t"
    f.write_bytes(b"b 1\na 2\n\n b\nb 3\nc \xff\nd 4")
    issues: list[TableIssue] = []
    table = load_table(f, issues=issues)
    assert table.values == {"b": "1", "a": "2", "d": "4"}
    assert table.lines["d"] == 7
    kinds = [(i.line, i.kind) for i in issues]
    assert (2, "unsorted") in kinds
    assert (3, "format") in kinds and (4, "format") in kinds
    assert (5, "duplicate") in kinds
    assert (6, "encoding") in kinds
    assert (7, "newline") in kinds
    assert not any(i.fatal for i in issues if i.kind in ("unsorted", "newline"))


def test_write_rejects_ids_with_whitespace(tmp_path):
    with pytest.raises(DataDirError, match="contains whitespace"):
        write_table(tmp_path / "t", {"a b": "1"})
    assert not (tmp_path / "t").exists()


def test_write_leaves_no_temporary_files(tmp_path):
    write_table(tmp_path / "t", {"a": "1"})
    write_table(tmp_path / "t", {"a": "2"})
    assert [p.name for p in tmp_path.iterdir()] == ["t"]
    assert read_table(tmp_path / "t") == {"a": "2"}


def test_read_list_takes_first_field(tmp_path):
    f = tmp_path / "list"
    f.write_text("u1\nu2 extra\n\nu3\n")
    assert read_list(f) == ["u1", "u2", "u3"]


def test_utt2spk_spk2utt_conversions_are_inverse():
    utt2spk = {"a-1": "a", "b-1": "b", "a-2": "a"}
    spk2utt = utt2spk_to_spk2utt(utt2spk)
    assert spk2utt == {"a": ["a-1", "a-2"], "b": ["b-1"]}
    assert spk2utt_to_utt2spk(spk2utt) == {"a-1": "a", "a-2": "a", "b-1": "b"}
    with pytest.raises(DataDirError, match="'x' is listed under speakers 'a' and 'b'"):
        spk2utt_to_utt2spk({"a": "x", "b": "x"})
