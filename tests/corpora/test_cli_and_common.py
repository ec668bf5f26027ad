"""asrkit-prepare and the shared pieces: manifest reading, speaker ids, durations."""

from __future__ import annotations

import csv

import pytest

from asrkit.corpora import cli
from asrkit.corpora.common import CorpusError, SpeakerIds, duration_label, iter_rows, parse_duration


def test_cli_prepares_a_corpus_and_prints_the_summary(kit, tmp_path, capsys):
    loc = kit.make_cv_locale(tmp_path / "cv", "ca", {"validated": kit.speaker_rows("ca", {f"s{i}": 2 for i in range(10)})})
    (tmp_path / "norm.yaml").write_text("preset: default\nkeep_hyphens: true\n")
    rc = cli.main([
        "commonvoice", str(loc), str(tmp_path / "data"), "--unlabeled", "none",
        "--normalizer", str(tmp_path / "norm.yaml"), "--dev-fraction", "0.2", "--durations",
    ])
    out = capsys.readouterr().out
    assert rc == 0
    assert "wrote 3 data dirs" in out and "train: " in out and "dev: 4 utterances, 2 speakers" in out
    kit.assert_valid(tmp_path / "data" / "dev")
    assert (tmp_path / "data" / "train" / "utt2dur").is_file()


def test_cli_user_errors_are_one_message_and_exit_1(kit, tmp_path, capsys):
    loc = kit.make_cv_locale(tmp_path / "cv", "ca", {"train": [kit.cv_row("a", "gone.wav", "x")]}, audio=False)
    rc = cli.main(["commonvoice", str(loc), str(tmp_path / "data"), "--splits", "train", "--unlabeled", "none"])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith("asrkit-prepare commonvoice: error: preparing train: 1 of 1 items excluded (100.0%)")
    assert "Traceback" not in err
    assert cli.main(["yesno", str(tmp_path / "nowhere"), str(tmp_path / "data")]) == 1
    assert "no yesno .wav files" in capsys.readouterr().err
    assert cli.main(["commonvoice", str(loc), str(tmp_path / "d"), "--normalizer", "fancy"]) == 1
    assert "neither a preset" in capsys.readouterr().err


def test_cli_needs_paths_or_download(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["fsdd"])
    assert e.value.code == 2 and "give <corpus_root> <out_dir>, or --download" in capsys.readouterr().err


def test_cli_download_without_network_access_fails_cleanly(tmp_path, capsys, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    assert cli.main(["yesno", "--download", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "could not download yesno from https://www.openslr.org/resources/1/waves_yesno.tar.gz" in err
    assert not list(tmp_path.iterdir())  # no partial file left behind


def test_iter_rows_flags_bad_encoding_bad_quoting_and_field_count(tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes(
        b'\xef\xbb\xbfpath,text\n'
        b'a.wav,"multi\nline"\n'
        b'b.wav,caf\xe9\n'
        b'c.wav,"bad "quote\n'
        b'd.wav,too,many\n'
        b'\n'
        b'e.wav,fine\n'
    )
    rows = list(iter_rows(path, delimiter=",", quoting=csv.QUOTE_MINIMAL, num_fields=2))
    assert [(r.line, r.problem[0] if r.problem else None) for r in rows] == [
        (1, None), (2, None), (4, "bad-encoding"), (5, "malformed-row"), (6, "malformed-row"), (8, None)
    ]
    assert rows[0].fields == ["path", "text"] and rows[1].fields == ["a.wav", "multi\nline"]
    assert "byte 0xe9" in rows[2].problem[1]


def test_tsv_rows_keep_quotes_literally(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text('a\tb\n"x\t"y" z\n', encoding="utf-8")
    assert [r.fields for r in iter_rows(path)] == [["a", "b"], ['"x', '"y" z']]


def test_speaker_ids_are_stable_and_collisions_stop_the_run():
    ids = SpeakerIds(12)
    assert ids("client-a") == ids("client-a") == SpeakerIds(12)("client-a")
    assert len(ids("client-a")) == 12
    short = SpeakerIds(4)
    seen = {}
    with pytest.raises(CorpusError, match="share the short id .*--speaker-id-length 8"):
        for i in range(100_000):
            seen.setdefault(short(f"c{i}"), i)


def test_durations_parse_and_label():
    assert parse_duration("10h") == 36000 and parse_duration("10min") == 600 and parse_duration("90") == 90
    assert [duration_label(x) for x in ("10h", "1h", "10min", "600", "90s", "1.5h")] == [
        "10h", "1h", "10min", "10min", "90s", "90min"
    ]
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("ten hours")
