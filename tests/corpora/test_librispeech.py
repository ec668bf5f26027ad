"""LibriSpeech preparation and the Libri-light-style limited-supervision subset."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from asrkit.corpora import librispeech
from asrkit.corpora.common import CorpusError, SetBuilder

SPEAKERS_TXT = """; comment lines start with a semicolon
;ID  |SEX| SUBSET           |MINUTES| NAME
11   | F | train-clean-100  | 25.00 | Ann
12   | M | train-clean-100  | 25.00 | |CBW|Bob
13   | F | dev-clean        | 8.00  | Cat
"""


def make_librispeech(kit, root: Path) -> Path:
    """train-clean-100: speakers 11 (f) and 12 (m), 3 utterances each of 0.2-1.2 s;
    dev-clean: speaker 13 with one transcript line that has no flac and one flac without line."""
    ls = root / "LibriSpeech"
    (ls).mkdir(parents=True)
    (ls / "SPEAKERS.TXT").write_text(SPEAKERS_TXT)
    for spk, chapter in (("11", "100"), ("12", "200")):
        d = ls / "train-clean-100" / spk / chapter
        lines = []
        for i, seconds in enumerate((0.2, 0.7, 1.2)):
            utt = f"{spk}-{chapter}-{i:04d}"
            kit.write_audio(d / f"{utt}.flac", seconds=seconds, fmt="FLAC")
            lines.append(f"{utt} WORDS OF {spk} NUMBER {i}")
        (d / f"{spk}-{chapter}.trans.txt").write_text("\n".join(lines) + "\n")
    d = ls / "dev-clean" / "13" / "300"
    kit.write_audio(d / "13-300-0000.flac", seconds=0.5, fmt="FLAC")
    kit.write_audio(d / "13-300-0002.flac", seconds=0.5, fmt="FLAC")
    (d / "13-300.trans.txt").write_text("13-300-0000 HELLO THERE\n13-300-0001 NO AUDIO FOR THIS\n")
    return root


def test_subsets_become_data_dirs_with_reader_speakers_gender_and_durations(kit, tmp_path):
    make_librispeech(kit, tmp_path / "corpus")
    result = librispeech.prepare(tmp_path / "corpus", tmp_path / "data", max_bad_fraction=1.0)
    assert set(result.sets) == {"train_clean_100", "dev_clean"}
    train = kit.assert_valid(tmp_path / "data" / "train_clean_100")
    assert train.utt2spk["12-200-0001"] == "12"
    assert train.text["12-200-0001"] == "WORDS OF 12 NUMBER 1"  # kept as the corpus writes it
    assert train.utt_tables["utt2gender"]["11-100-0000"] == "f"
    assert train.utt_tables["utt2gender"]["12-200-0000"] == "m"  # a name with '|' in SPEAKERS.TXT
    assert float(train.utt_tables["utt2dur"]["11-100-0002"]) == pytest.approx(1.2)
    reasons = {key: reason for key, reason, _ in kit.excluded(tmp_path / "data" / "dev_clean")}
    assert reasons == {"13-300-0001": "missing-audio", "13-300-0002": "missing-text"}


def test_duration_filters_apply_to_training_subsets_only(kit, tmp_path):
    make_librispeech(kit, tmp_path / "corpus")
    result = librispeech.prepare(
        tmp_path / "corpus", tmp_path / "data", min_duration=0.5, max_duration=1.0, max_bad_fraction=1.0
    )
    assert result.sets["train_clean_100"].utterances == 2
    assert result.sets["train_clean_100"].filtered == {"too-short": 2, "too-long": 2}
    assert result.sets["dev_clean"].filtered == {}
    assert result.sets["train_clean_100"].excluded == {}  # filters are not errors


def test_limited_set_and_unlabeled_pool_partition_the_training_subsets(kit, tmp_path):
    make_librispeech(kit, tmp_path / "corpus")
    result = librispeech.prepare(tmp_path / "corpus", tmp_path / "data", limited="2s", max_bad_fraction=1.0)
    assert set(result.sets) == {"dev_clean", "train_2s", "unlabeled"}
    limited = kit.assert_valid(tmp_path / "data" / "train_2s")
    pool = kit.assert_valid(tmp_path / "data" / "unlabeled")
    assert not set(limited.utts) & set(pool.utts)
    assert len(limited.utts) + len(pool.utts) == 6
    assert sum(float(d) for d in limited.utt_tables["utt2dur"].values()) <= 2.0
    assert set(limited.utt2spk.values()) == {"11", "12"}


def _synthetic_source(n_spk: int = 40, per_spk: int = 30) -> SetBuilder:
    """A training pool without audio: half the speakers f, two subsets, 4-16 s utterances."""
    source = SetBuilder("source")
    for s in range(n_spk):
        spk = str(1000 + s)
        subset = "train-clean-100" if s % 3 else "train-other-500"
        for u in range(per_spk):
            utt = f"{spk}-1-{u:04d}"
            dur = 4.0 + (s * 7 + u * 5) % 13
            source.add(utt, f"/x/{subset}/{spk}/1/{utt}.flac", spk, "TEXT", gender="fm"[s % 2], dur=dur)
    return source


@pytest.mark.parametrize("target", [600.0, 3600.0])
def test_limited_selection_is_deterministic_near_the_target_and_balanced(target):
    source = _synthetic_source()
    chosen = librispeech.select_limited(source, target)
    assert chosen == librispeech.select_limited(source, target)
    assert chosen != librispeech.select_limited(source, target, seed=1)
    durs = source.tables["utt2dur"]
    total = sum(float(durs[u]) for u in chosen)
    assert target - 16 <= total <= target
    by_gender = Counter(source.tables["utt2gender"][u] for u in chosen)
    assert abs(by_gender["f"] - by_gender["m"]) <= 2
    per_speaker = Counter(source.utt2spk[u] for u in chosen)
    assert max(per_speaker.values()) - min(per_speaker.values()) <= 2
    by_subset = Counter(Path(source.wav_scp[u]).parents[2].name for u in chosen)
    assert len(by_subset) == 2


def test_limited_selection_takes_everything_when_the_pool_is_too_small():
    source = _synthetic_source(n_spk=2, per_spk=3)
    assert sorted(librispeech.select_limited(source, 10_000.0)) == sorted(source.utt2spk)


def test_missing_subset_and_empty_folder_are_clear_errors(kit, tmp_path):
    make_librispeech(kit, tmp_path / "corpus")
    with pytest.raises(CorpusError, match="no subset test-other; found dev-clean, train-clean-100"):
        librispeech.prepare(tmp_path / "corpus", tmp_path / "data", subsets=["test-other"])
    with pytest.raises(CorpusError, match="--download"):
        librispeech.prepare(tmp_path, tmp_path / "data")


@pytest.mark.shared_data
def test_real_librispeech_10min_limited_set_from_train_clean_100(shared_data, kit, tmp_path):
    root = shared_data / "librispeech"
    result = librispeech.prepare(root, tmp_path / "data", limited="10min", min_duration=5.0)
    assert set(result.sets) == {"dev_clean", "test_other", "train_10min", "unlabeled"}
    test = kit.assert_valid(tmp_path / "data" / "test_other")
    assert len(test.utts) == 80 and len(test.speakers) == 8
    limited = kit.assert_valid(tmp_path / "data" / "train_10min")
    hours = result.sets["train_10min"].hours
    assert 9.5 / 60 <= hours <= 10 / 60
    genders = Counter(limited.utt_tables["utt2gender"].values())
    assert abs(genders["f"] - genders["m"]) <= 1
    pool = kit.assert_valid(tmp_path / "data" / "unlabeled")
    filtered = result.sets["train_10min"].filtered.get("too-short", 0)
    assert len(limited.utts) + len(pool.utts) + filtered == 201
    assert min(float(d) for d in limited.utt_tables["utt2dur"].values()) >= 5.0
