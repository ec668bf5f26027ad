"""asrkit-data: ops from the command line, user errors as one message with exit 1."""

from __future__ import annotations

from asrkit.data import DataDir
from asrkit.data.cli import main


def test_validate_exit_codes(tmp_path, datadir, capsys):
    datadir.write(tmp_path / "d")
    assert main(["validate", "--no-feats", "--no-check-files", str(tmp_path / "d")]) == 0
    assert "Successfully validated" in capsys.readouterr().out
    (tmp_path / "d" / "text").write_text("sA-000 x\n")
    assert main(["validate", "--no-feats", "--no-check-files", str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err
    assert "data directory is not valid" in err and "Traceback" not in err


def test_user_error_is_one_message(tmp_path, capsys):
    assert main(["copy", str(tmp_path / "missing"), str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("asrkit-data copy: ") and "no such data directory" in err


def test_filter_duration_over_the_limit_writes_nothing(tmp_path, datadir, capsys):
    datadir.utt_tables["utt2dur"].update({"sA-000": "0.1", "sA-001": "0.1"})
    datadir.write(tmp_path / "d")
    args = ["filter-duration", "--min-dur", "1", str(tmp_path / "d"), str(tmp_path / "f")]
    assert main([*args, "--max-excluded-fraction", "0.2"]) == 1
    assert "2 of 6 items excluded" in capsys.readouterr().err
    assert not (tmp_path / "f" / "utt2spk").exists()
    assert main(args) == 0
    assert DataDir.read(tmp_path / "f").utts[0] == "sB-000"


def test_fix_over_the_limit_changes_nothing(tmp_path, datadir):
    datadir.write(tmp_path / "d")
    (tmp_path / "d" / "text").write_text("sA-000 only\n")
    before = (tmp_path / "d" / "utt2spk").read_text()
    assert main(["fix", "--max-excluded-fraction", "0.5", str(tmp_path / "d")]) == 1
    assert (tmp_path / "d" / "utt2spk").read_text() == before


def test_split_prints_the_piece_dirs(tmp_path, datadir, capsys):
    datadir.write(tmp_path / "d")
    assert main(["split", str(tmp_path / "d"), "3"]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / "d" / "split3" / str(i)) for i in (1, 2, 3)]


def test_subset_with_speakers_and_combine(tmp_path, datadir):
    datadir.write(tmp_path / "d")
    assert main(["subset", "--speakers", "2", "--seed", "1", str(tmp_path / "d"), str(tmp_path / "s")]) == 0
    assert len(DataDir.read(tmp_path / "s")) == 2
    assert main(["copy", "--utt-prefix", "x-", "--spk-prefix", "x-", str(tmp_path / "s"),
                 str(tmp_path / "x")]) == 0
    assert main(["combine", str(tmp_path / "c"), str(tmp_path / "d"), str(tmp_path / "x")]) == 0
    assert len(DataDir.read(tmp_path / "c")) == 8
