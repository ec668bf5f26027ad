"""AN4: the Sphinx lists matched by id, speaker-disjoint dev, gender from the speaker id."""

from __future__ import annotations

import pytest

from asrkit.corpora import an4, cli
from asrkit.corpora.common import CorpusError

# speaker -> utterance ids (Sphinx form) of the fake training list
TRAIN = {"fann": ["an1", "cen1", "cen2"], "mbob": ["an2", "cen1"], "fcid": ["an3", "cen1"],
         "mdan": ["an4", "cen1"], "meve": ["an5", "cen1"]}
TEST = {"fzoe": ["an9", "cen1"], "mzed2": ["an8"]}


def write_lists(root, name, folder, speakers, markers=True):
    """``etc/an4_<name>.{fileids,transcription}`` and a WAV for each id; returns the ids."""
    ids = [f"{pre}-{spk}-b" for spk, pres in speakers.items() for pre in pres]
    fileids = [f"{folder}/{i.split('-')[1]}/{i}" for i in ids]
    lines = [f"{'<s> ' if markers else ''}{' '.join(i.split('-')[0].upper())} ONE{' </s>' if markers else ''} ({i})"
             for i in ids]
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "etc" / f"an4_{name}.fileids").write_text("\n".join(fileids) + "\n")
    (root / "etc" / f"an4_{name}.transcription").write_text("\n".join(lines) + "\n")
    return fileids


def make_an4(kit, root, fmt="WAV"):
    for name, folder, speakers, markers in (("train", "an4_clstk", TRAIN, True),
                                            ("test", "an4test_clstk", TEST, False)):
        for fileid in write_lists(root, name, folder, speakers, markers):
            ext = ".wav" if fmt == "WAV" else ".sph"
            kit.write_audio(root / "wav" / f"{fileid}{ext}", seconds=0.2, fmt=fmt)
    return root


def append(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")


def test_sets_are_speaker_disjoint_with_gender_and_ids_speaker_first(kit, tmp_path):
    root = make_an4(kit, tmp_path / "an4")
    result = an4.prepare(root, tmp_path / "data", dev_fraction=0.2)
    sets = {s: kit.assert_valid(tmp_path / "data" / s) for s in ("train", "dev", "test")}
    spk = {s: set(d.utt2spk.values()) for s, d in sets.items()}
    assert not spk["train"] & spk["dev"] and spk["train"] | spk["dev"] == set(TRAIN)
    assert spk["test"] == set(TEST)
    # whole speakers in a fixed order until 20 % of the 11 training utterances (3) are held out
    assert result.sets["dev"].utterances >= 3 and len(spk["dev"]) < len(TRAIN)
    assert sets["test"].text["fzoe-an9-b"] == "A N 9 ONE"  # test lines have no <s> </s>
    assert sets["test"].utt2spk["mzed2-an8-b"] == "mzed2"
    train = sets["train"] if "fann" in spk["train"] else sets["dev"]
    assert train.text["fann-cen2-b"] == "C E N 2 ONE"
    genders = {**sets["train"].utt_tables["utt2gender"], **sets["dev"].utt_tables["utt2gender"]}
    assert {u.split("-")[0]: g for u, g in genders.items()} == {s: s[0] for s in TRAIN}
    again = an4.prepare(root, tmp_path / "again", dev_fraction=0.2)
    assert again.sets["dev"].utterances == result.sets["dev"].utterances
    assert set(kit.assert_valid(tmp_path / "again" / "dev").utt2spk.values()) == spk["dev"]


def test_named_dev_speakers_and_impossible_splits(kit, tmp_path):
    root = make_an4(kit, tmp_path / "an4")
    an4.prepare(root, tmp_path / "a", dev_speakers=["mbob", "fcid"])
    assert set(kit.assert_valid(tmp_path / "a" / "dev").utt2spk.values()) == {"mbob", "fcid"}
    with pytest.raises(CorpusError, match="no AN4 training speaker 'fzoe'"):
        an4.prepare(root, tmp_path / "b", dev_speakers=["fzoe"])
    with pytest.raises(CorpusError, match="every training speaker"):
        an4.prepare(root, tmp_path / "c", dev_speakers=list(TRAIN))
    with pytest.raises(CorpusError, match="no etc/an4_train.fileids"):
        an4.prepare(tmp_path / "a", tmp_path / "d")


def test_id_mismatch_missing_wav_and_bad_lines_are_excluded_and_named(kit, tmp_path):
    root = make_an4(kit, tmp_path / "an4")
    etc = root / "etc"
    append(etc / "an4_test.fileids", "an4test_clstk/fzoe/cen7-fzoe-b")       # no transcript line
    kit.write_audio(root / "wav" / "an4test_clstk/fzoe/cen7-fzoe-b.wav")
    append(etc / "an4_test.transcription", "TWO (cen8-fzoe-b)")              # not in the fileids
    append(etc / "an4_test.fileids", "an4test_clstk/mzed2/cen1-mzed2-b")     # listed, no audio
    append(etc / "an4_test.transcription", "ONE (cen1-mzed2-b)")
    append(etc / "an4_test.transcription", "A B C no id")
    append(etc / "an4_test.transcription", "YES (an9-fzoe-b)")               # listed twice
    result = an4.prepare(root, tmp_path / "data", max_bad_fraction=0.9)
    test = kit.assert_valid(tmp_path / "data" / "test")
    assert test.utts == ["fzoe-an9-b", "fzoe-cen1-b", "mzed2-an8-b"]
    report = {key: (reason, where) for key, reason, where in kit.excluded(tmp_path / "data" / "test")}
    assert report["fzoe-cen7-b"][0] == "id-mismatch" and "no (cen7-fzoe-b) line in an4_test.transcription" \
        in report["fzoe-cen7-b"][1]
    assert report["fzoe-cen8-b"][0] == "id-mismatch" and "not listed in an4_test.fileids" in report["fzoe-cen8-b"][1]
    assert report["mzed2-cen1-b"][0] == "missing-audio" and "an4_test.fileids:5" in report["mzed2-cen1-b"][1]
    assert report["A B C no id"][0] == "malformed-row"
    assert report["fzoe-an9-b"][0] == "duplicate-utt" and "line 1" in report["fzoe-an9-b"][1]
    assert result.sets["test"].excluded == {"id-mismatch": 2, "missing-audio": 1, "malformed-row": 1,
                                            "duplicate-utt": 1}
    assert kit.excluded(tmp_path / "data" / "train") == []


def test_sphere_audio_is_read_and_unreadable_sphere_is_named(kit, tmp_path):
    root = make_an4(kit, tmp_path / "an4", fmt="NIST")
    an4.prepare(root, tmp_path / "data")
    test = kit.assert_valid(tmp_path / "data" / "test")
    assert test.wav_scp["fzoe-an9-b"].endswith("an4test_clstk/fzoe/an9-fzoe-b.sph")
    assert float(test.utt_tables["utt2dur"]["fzoe-an9-b"]) == pytest.approx(0.2)
    (root / "wav" / "an4test_clstk/fzoe/an9-fzoe-b.sph").write_bytes(b"NIST_1A\n   1024\nsample_coding -s26 "
                                                                      b"pcm,embedded-shorten-v2.00\nend_head\n")
    an4.prepare(root, tmp_path / "again", max_bad_fraction=0.5)
    reason, where = {k: (r, w) for k, r, w in kit.excluded(tmp_path / "again" / "test")}["fzoe-an9-b"]
    assert reason == "unreadable-audio" and "sph2pipe" in where


def test_asrkit_prepare_an4_options(kit, tmp_path):
    root = make_an4(kit, tmp_path / "an4")
    assert cli.main(["an4", str(root), str(tmp_path / "data"), "--dev-speakers", "meve"]) == 0
    assert set(kit.assert_valid(tmp_path / "data" / "dev").utt2spk.values()) == {"meve"}
    assert cli.main(["an4", str(root), str(tmp_path / "x"), "--dev-fraction", "1.5"]) == 1


@pytest.mark.shared_data
def test_real_an4_sample(shared_data, kit, tmp_path):
    result = an4.prepare(shared_data / "an4", tmp_path / "data")
    sets = {s: kit.assert_valid(tmp_path / "data" / s) for s in ("train", "dev", "test")}
    assert result.sets["train"].utterances + result.sets["dev"].utterances == 74
    assert result.sets["test"].utterances == 130 and len(set(sets["test"].utt2spk.values())) == 10
    assert len(set(sets["dev"].utt2spk.values())) == 1  # 10 % of 74 utterances: one whole speaker
    assert not set(sets["dev"].utt2spk.values()) & set(sets["train"].utt2spk.values())
    assert sets["train"].text["fash-cen5-b"] == "P I T T S B U R G H"
    assert sets["test"].text["fcaw-an406-b"] == "RUBOUT G M E F THREE NINE"
    for d in sets.values():
        assert all(g == spk[0] for u, g in d.utt_tables["utt2gender"].items() for spk in [d.utt2spk[u]])
        assert not any("<s>" in t or "(" in t for t in d.text.values())
    assert all(not kit.excluded(tmp_path / "data" / s) for s in sets)
