"""FSDD and yesno: transcripts from file names, the corpora's own splits."""

from __future__ import annotations

from collections import Counter

import pytest

from asrkit.corpora import fsdd, yesno
from asrkit.corpora.common import CorpusError

METADATA_PY = '''"""Speaker metadata."""

metadata = {
    'ann': {'gender': 'female', 'accent': 'USA/neutral', 'language': 'english'},
    'bob': {'gender': 'male', 'accent': 'BEL/French', 'language': 'english'},
}
'''


def make_fsdd(kit, root, speakers=("ann", "bob", "cid", "dan"), indices=range(12)):
    for spk in speakers:
        for digit in (3, 7):
            for i in indices:
                kit.write_audio(root / "recordings" / f"{digit}_{spk}_{i}.wav", seconds=0.05, rate=8000)
    return root


def test_fsdd_official_split_keeps_indices_0_to_4_for_test(kit, tmp_path):
    make_fsdd(kit, tmp_path / "fsdd", speakers=("ann", "bob"))
    (tmp_path / "fsdd" / "metadata.py").write_text(METADATA_PY)
    kit.write_audio(tmp_path / "fsdd" / "recordings" / "x_bad_name.wav")
    result = fsdd.prepare(tmp_path / "fsdd", tmp_path / "data", max_bad_fraction=0.5)
    test = kit.assert_valid(tmp_path / "data" / "test")
    assert sorted({int(u.rsplit("-", 1)[1]) for u in test.utts}) == [0, 1, 2, 3, 4]
    assert result.sets["dev"].utterances == 2 * 2 * 5 and result.sets["train"].utterances == 2 * 2 * 2
    assert test.text["ann-3-00"] == "THREE" and test.text["bob-7-04"] == "SEVEN"
    assert test.utt_tables["utt2gender"]["ann-3-00"] == "f"
    assert test.utt_tables["utt2accent"]["bob-3-00"] == "BEL/French"
    assert test.utt_tables["utt2lang"]["bob-3-00"] == "en"
    assert [r for _, r, _ in kit.excluded(tmp_path / "data" / "train")] == ["malformed-row"]


def test_fsdd_speaker_split_is_disjoint_and_honours_named_speakers(kit, tmp_path):
    make_fsdd(kit, tmp_path / "fsdd", indices=range(2))
    fsdd.prepare(tmp_path / "fsdd", tmp_path / "a", split="speaker", case="lower")
    spk = {s: set(kit.assert_valid(tmp_path / "a" / s).utt2spk.values()) for s in ("train", "dev", "test")}
    assert len(spk["test"]) == len(spk["dev"]) == 1 and len(spk["train"]) == 2
    assert not (spk["train"] & spk["test"]) and not (spk["dev"] & spk["test"])
    assert set(kit.assert_valid(tmp_path / "a" / "test").text.values()) == {"three", "seven"}
    fsdd.prepare(tmp_path / "fsdd", tmp_path / "b", split="speaker", test_speakers=["dan"], dev_speakers=["ann"])
    assert set(kit.assert_valid(tmp_path / "b" / "test").utt2spk.values()) == {"dan"}
    with pytest.raises(CorpusError, match="no FSDD speaker 'zed'"):
        fsdd.prepare(tmp_path / "fsdd", tmp_path / "c", split="speaker", test_speakers=["zed"])


@pytest.mark.shared_data
def test_real_fsdd_official_and_speaker_splits(shared_data, kit, tmp_path):
    result = fsdd.prepare(shared_data / "fsdd", tmp_path / "off")
    assert [result.sets[s].utterances for s in ("train", "dev", "test")] == [2000, 250, 250]
    kit.assert_valid(tmp_path / "off" / "train")
    fsdd.prepare(shared_data / "fsdd", tmp_path / "spk", split="speaker")
    spk = {s: set(kit.assert_valid(tmp_path / "spk" / s).utt2spk.values()) for s in ("train", "dev", "test")}
    assert sum(len(v) for v in spk.values()) == 5 and len(set.union(*spk.values())) == 5


def test_yesno_transcripts_come_from_the_file_name_and_split_as_kaldi(kit, tmp_path):
    names = [f"{a}_{b}_1_0_0_1_1_{c}" for a in "01" for b in "01" for c in "01"]
    for name in names:
        kit.write_audio(tmp_path / "waves_yesno" / f"{name}.wav", seconds=0.05, rate=8000)
    yesno.prepare(tmp_path, tmp_path / "data")
    train = kit.assert_valid(tmp_path / "data" / "train")
    test = kit.assert_valid(tmp_path / "data" / "test")
    assert train.utts == sorted(names)[:4] and test.utts == sorted(names)[4:]
    assert train.text["0_0_1_0_0_1_1_1"] == "NO NO YES NO NO YES YES YES"
    assert set(train.utt2spk.values()) == {"global"}


@pytest.mark.shared_data
def test_real_yesno_gives_kaldis_30_30_split(shared_data, kit, tmp_path):
    result = yesno.prepare(shared_data / "yesno", tmp_path / "data")
    assert result.sets["train"].utterances == result.sets["test"].utterances == 30
    words = Counter(w for t in kit.assert_valid(tmp_path / "data" / "test").text.values() for w in t.split())
    assert set(words) == {"YES", "NO"} and sum(words.values()) == 30 * 8
