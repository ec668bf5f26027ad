"""CoVoST 2: translation TSVs joined with Common Voice transcripts and clips."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from asrkit.corpora import covost2
from asrkit.corpora.common import CorpusError


def fake_clips(kit, root: Path, src: str) -> None:
    """A short clip for every path a CoVoST TSV names (the sample ships no audio)."""
    for line in (root / f"covost_v2.{src}_en.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        kit.write_audio(root / src / "clips" / line.split("\t")[0], fmt="MP3", rate=16000)


def own_release(kit, root: Path) -> Path:
    """ca→en: train/train_covost/dev/test rows, one row with no validated.tsv entry, one bad split."""
    covost = [
        ["a.mp3", "One.", "train"],
        ["b.mp3", "Two.", "train_covost"],
        ["c.mp3", "Three.", "dev"],
        ["d.mp3", "Four.", "test"],
        ["e.mp3", "Five.", "test"],
        ["lost.mp3", "Not in validated.", "train"],
        ["f.mp3", "Six.", "bogus"],
    ]
    kit.write_tsv(root / "covost_v2.ca_en.tsv", ["path", "translation", "split"], covost)
    validated = [
        kit.cv_row(spk, clip, text, gender="female")
        for spk, clip, text in (("p", "a.mp3", "U."), ("p", "b.mp3", "Dos."), ("q", "c.mp3", "Tres."),
                                ("r", "d.mp3", "Quatre."), ("r", "e.mp3", "Cinc."), ("r", "f.mp3", "Sis."))
    ]
    kit.make_cv_locale(root, "ca", {"validated": validated})
    return root


def test_rows_take_sentence_speaker_and_metadata_from_common_voice(kit, tmp_path):
    own_release(kit, tmp_path / "corpus")
    result = covost2.prepare(tmp_path / "corpus", tmp_path / "data", max_bad_fraction=1.0)
    train = kit.assert_valid(tmp_path / "data" / "train")
    assert sorted(train.text.values()) == ["dos", "u"]  # train_covost counts as train
    utt = next(u for u, t in train.text.items() if t == "u")
    assert utt.endswith("-a") and train.utt_tables["utt2translation"][utt] == "One."
    assert train.utt_tables["utt2lang"][utt] == "ca" and train.utt_tables["utt2gender"][utt] == "f"
    assert result.sets["test"].utterances == 2 and result.sets["dev"].utterances == 1
    reasons = {key: (reason, where) for key, reason, where in kit.excluded(tmp_path / "data" / "train")}
    assert reasons["lost.mp3"][0] == "missing-text"
    assert reasons["lost.mp3"][1].startswith(f"{tmp_path / 'corpus' / 'covost_v2.ca_en.tsv'}:7")
    assert reasons["f.mp3"][0] == "malformed-row" and "bogus" in reasons["f.mp3"][1]


def test_merged_tsv_with_sentence_and_client_id_needs_no_validated_tsv(kit, tmp_path):
    root = tmp_path / "corpus"
    rows = [["x.mp3", "Hola.", "Hello.", kit.client("s")], ["y.mp3", "Adéu.", "Bye.", kit.client("t")]]
    kit.write_tsv(root / "covost_v2.es_en.test.tsv", ["path", "sentence", "translation", "client_id"], rows)
    for clip in ("x.mp3", "y.mp3"):
        kit.write_audio(root / "es" / "clips" / clip)
    result = covost2.prepare(root, tmp_path / "data", splits=["test"])
    assert result.sets["test"].utterances == 2
    assert sorted(kit.assert_valid(tmp_path / "data" / "test").text.values()) == ["adéu", "hola"]


def test_unknown_source_language_is_a_clear_error(kit, tmp_path):
    own_release(kit, tmp_path / "corpus")
    with pytest.raises(CorpusError, match=r"no covost_v2\.de_en\.tsv; found sources ca"):
        covost2.prepare(tmp_path / "corpus", tmp_path / "data", sources=["de"])
    with pytest.raises(CorpusError, match="Common Voice 4"):
        covost2.download(tmp_path)


@pytest.mark.shared_data
def test_real_covost_sample_ca_and_es_with_fake_clips(shared_data, kit, tmp_path):
    root = tmp_path / "corpus"
    shutil.copytree(shared_data / "covost2_tsv_sample", root)
    for src in ("ca", "es"):
        fake_clips(kit, root, src)
    result = covost2.prepare(root, tmp_path / "data", durations=True)
    for split in ("train", "dev", "test"):
        dd = kit.assert_valid(tmp_path / "data" / split)
        assert set(dd.utt_tables["utt2lang"].values()) == {"ca", "es"}
        assert result.sets[f"{split}_ca"].utterances == result.sets[f"{split}_es"].utterances == 2
    text = kit.assert_valid(tmp_path / "data" / "dev_ca").text
    assert "després de l'u ve el dos" in text.values()  # quotes of the sample's sentences removed
