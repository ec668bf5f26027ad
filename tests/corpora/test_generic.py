"""The generic preparer: audio folders with .txt transcripts, and TSV/CSV manifests."""

from __future__ import annotations

import pytest

from asrkit.corpora import generic
from asrkit.corpora.common import CorpusError


def test_folder_of_audio_with_txt_transcripts(kit, tmp_path):
    root = tmp_path / "corpus"
    for spk in ("amy", "ben"):
        for i in range(3):
            kit.write_audio(root / spk / f"u{i}.flac", fmt="FLAC")
            (root / spk / f"u{i}.txt").write_text(f"Hello {spk}, number {i}.\n", encoding="utf-8")
    kit.write_audio(root / "amy" / "no_text.wav")
    kit.write_audio(root / "ben" / "latin1.wav")
    (root / "ben" / "latin1.txt").write_bytes(b"caf\xe9")
    result = generic.prepare(root, tmp_path / "data", name="train", speaker="dir", normalizer="default",
                             max_bad_fraction=0.5)
    dd = kit.assert_valid(tmp_path / "data" / "train")
    assert dd.utts == ["amy-u0", "amy-u1", "amy-u2", "ben-u0", "ben-u1", "ben-u2"]
    assert dd.utt2spk["ben-u2"] == "ben" and dd.text["ben-u2"] == "hello ben number 2"
    assert float(dd.utt_tables["utt2dur"]["amy-u0"]) == pytest.approx(0.1)
    reasons = {key: reason for key, reason, _ in kit.excluded(tmp_path / "data" / "train")}
    assert reasons == {"amy-no_text": "missing-text", "ben-latin1": "bad-encoding"}
    assert result.sets["train"].excluded == {"missing-text": 1, "bad-encoding": 1}


def test_csv_manifest_with_header_quotes_and_speaker_column(kit, tmp_path):
    for name in ("a", "b", "c"):
        kit.write_audio(tmp_path / "audio" / f"{name}.wav")
    (tmp_path / "list.csv").write_text(
        'path,speaker,text\naudio/a.wav,s1,"Hello, ""world"""\naudio/b.wav,s2,plain text\n'
        'audio/c.wav,s2,"broken "quote"\naudio/a.wav,s1,again\n',
        encoding="utf-8",
    )
    generic.prepare(tmp_path / "list.csv", tmp_path / "data", max_bad_fraction=0.6)
    dd = kit.assert_valid(tmp_path / "data" / "all")
    assert dd.text == {"s1-audio-a": 'Hello, "world"', "s2-audio-b": "plain text"}
    reasons = sorted(r for _, r, _ in kit.excluded(tmp_path / "data" / "all"))
    assert reasons == ["duplicate-path", "malformed-row"]


def test_manifest_without_header_uses_positions_and_missing_audio_is_reported(kit, tmp_path):
    kit.write_audio(tmp_path / "one.wav")
    (tmp_path / "list.tsv").write_text("one.wav\tfirst\ntwo.wav\tsecond\nthree.wav\n", encoding="utf-8")
    generic.prepare(tmp_path / "list.tsv", tmp_path / "data", speaker="spk", max_bad_fraction=1.0)
    dd = kit.assert_valid(tmp_path / "data" / "all")
    assert dd.text == {"spk-one": "first"}
    report = {key: (reason, where) for key, reason, where in kit.excluded(tmp_path / "data" / "all")}
    assert report["spk-two"][0] == "missing-audio" and "list.tsv:2: no file" in report["spk-two"][1]
    assert report["spk-three"][0] == "malformed-row"


def test_unknown_column_name_is_a_clear_error(kit, tmp_path):
    (tmp_path / "list.tsv").write_text("path\ttext\nx.wav\thi\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no speaker column named 'who'; columns: path, text"):
        generic.prepare(tmp_path / "list.tsv", tmp_path / "data", speaker_column="who")


@pytest.mark.shared_data
def test_real_ljspeech_metadata_as_a_manifest(shared_data, kit, tmp_path):
    manifest = shared_data / "ljspeech" / "LJSpeech-1.1" / "metadata.csv"
    result = generic.prepare(
        manifest, tmp_path / "data", name="lj", audio_dir="wavs", audio_ext=".wav", speaker="LJ",
        text_column=2, normalizer="default",
    )
    dd = kit.assert_valid(tmp_path / "data" / "lj")
    assert result.sets["lj"].utterances == 8 and dd.speakers == ["LJ"]
    assert dd.text["LJ-LJ001-0007"].endswith("forty two line bible of about fourteen fifty five")
