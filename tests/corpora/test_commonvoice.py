"""Common Voice preparation: splits, pool, ids, metadata, and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from asrkit.corpora import commonvoice
from asrkit.corpora.common import CorpusError
from asrkit.data import DataDir, validate_data_dir
from asrkit.data.exclusions import TooManyExcluded

CV61 = "common_voice/cv-corpus-6.1-2020-12-11"


def official_release(kit, root: Path, locale: str = "ca") -> Path:
    """train/dev/test.tsv from disjoint speakers, plus validated (a superset) and other."""
    train = kit.speaker_rows(locale, {"anna": 3, "bernat": 2}, start=0)
    dev = kit.speaker_rows(locale, {"carla": 2}, start=10)
    test = kit.speaker_rows(locale, {"dani": 2}, start=20)
    rest = kit.speaker_rows(locale, {"anna": 1, "eli": 2}, start=30) + kit.speaker_rows(locale, {"dani": 1}, 40)
    other = kit.speaker_rows(locale, {"ferran": 2}, start=50)
    return kit.make_cv_locale(
        root, locale, {"train": train, "dev": dev, "test": test, "validated": train + dev + test + rest, "other": other}
    )


def test_official_splits_become_valid_data_dirs_with_ids_text_and_metadata(kit, tmp_path):
    official_release(kit, tmp_path / "cv")
    result = commonvoice.prepare(tmp_path / "cv", tmp_path / "data", locales=["ca"], durations=True)
    assert set(result.data_dirs) == {"train", "dev", "test", "unlabeled"}
    train = kit.assert_valid(tmp_path / "data" / "train")
    assert len(train.utts) == 5 and len(train.speakers) == 2
    utt = train.utts[0]
    spk, stem = utt.split("-", 1)
    assert len(spk) == 12 and train.utt2spk[utt] == spk and stem.startswith("common_voice_ca_")
    assert train.wav_scp[utt].endswith(f"/ca/clips/{stem}.wav")
    assert set(train.text.values()) >= {"frase número 0"}  # default preset: lowercase, no punctuation
    assert set(train.utt_tables["utt2gender"].values()) <= {"m", "f"}
    assert set(train.utt_tables["utt2lang"].values()) == {"ca"}
    assert set(train.utt_tables["utt2accent"].values()) == {"unknown"}
    assert result.sets["train"].hours == pytest.approx(5 * 0.1 / 3600)
    assert (tmp_path / "data" / "train" / "excluded.txt").read_text() == ""


def test_durations_come_from_clip_durations_tsv_when_the_release_has_one(kit, tmp_path):
    loc = official_release(kit, tmp_path / "cv")
    clips = sorted(p.name for p in (loc / "clips").iterdir())
    kit.write_tsv(loc / "clip_durations.tsv", ["clip", "duration[ms]"], [[c, "1234"] for c in clips])
    result = commonvoice.prepare(tmp_path / "cv", tmp_path / "data")
    for name in ("train", "test", "unlabeled"):
        durs = kit.assert_valid(tmp_path / "data" / name).utt_tables["utt2dur"]
        assert set(durs.values()) == {"1.234"}
    assert result.sets["train"].hours == pytest.approx(5 * 1.234 / 3600)


def test_unlabeled_pool_takes_train_rest_and_other_but_never_dev_or_test_speakers(kit, tmp_path):
    official_release(kit, tmp_path / "cv")
    commonvoice.prepare(tmp_path / "cv", tmp_path / "data")
    pool = kit.assert_valid(tmp_path / "data" / "unlabeled")
    train = kit.assert_valid(tmp_path / "data" / "train")
    assert pool.text["" + train.utts[0]] == train.text[train.utts[0]]
    dev_test = {
        spk for name in ("dev", "test") for spk in kit.assert_valid(tmp_path / "data" / name).utt2spk.values()
    }
    # train (5) + rest: anna's extra clip and eli's 2 (dani's is a test speaker) + other: 2
    assert len(pool.utts) == 5 + 3 + 2
    assert set(train.utts) <= set(pool.utts)
    assert not dev_test & set(pool.utt2spk.values())
    reasons = {reason for _, reason, _ in kit.excluded(tmp_path / "data" / "unlabeled")}
    assert reasons == {"eval-speaker"}


def test_unlabeled_pool_without_text_keeps_clips_whose_sentence_is_unusable(kit, tmp_path):
    loc = official_release(kit, tmp_path / "cv")
    kit.write_tsv(loc / "other.tsv", kit.CV_HEADER, [kit.cv_row("gina", "common_voice_ca_50.wav", "")])
    commonvoice.prepare(tmp_path / "cv", tmp_path / "with", unlabeled=("train", "other"), max_bad_fraction=0.5)
    commonvoice.prepare(tmp_path / "cv", tmp_path / "without", unlabeled=("train", "other"), unlabeled_text=False)
    assert [r for _, r, _ in kit.excluded(tmp_path / "with" / "unlabeled")] == ["empty-text"]
    assert len(DataDir.read(tmp_path / "with" / "unlabeled").utts) == 5
    assert not (tmp_path / "without" / "unlabeled" / "text").exists()
    assert len(DataDir.read(tmp_path / "without" / "unlabeled").utts) == 6
    assert validate_data_dir(tmp_path / "without" / "unlabeled", no_text=True).ok


def test_unlabeled_none_writes_no_pool(kit, tmp_path):
    official_release(kit, tmp_path / "cv")
    result = commonvoice.prepare(tmp_path / "cv", tmp_path / "data", unlabeled=())
    assert "unlabeled" not in result.sets


def test_speaker_split_of_validated_only_is_disjoint_deterministic_and_near_the_fractions(kit, tmp_path):
    speakers = {f"spk{i:02d}": 1 + i % 4 for i in range(40)}
    kit.make_cv_locale(tmp_path / "cv", "eu", {"validated": kit.speaker_rows("eu", speakers)})
    first = commonvoice.prepare(tmp_path / "cv" / "eu", tmp_path / "a", unlabeled=())
    second = commonvoice.prepare(tmp_path / "cv" / "eu", tmp_path / "b", unlabeled=())
    sets = {name: kit.assert_valid(tmp_path / "a" / name) for name in ("train", "dev", "test")}
    spks = {name: set(dd.utt2spk.values()) for name, dd in sets.items()}
    assert not spks["train"] & spks["test"] and not spks["train"] & spks["dev"] and not spks["dev"] & spks["test"]
    total = sum(len(dd.utts) for dd in sets.values())
    assert total == sum(speakers.values())
    assert 0.1 * total <= len(sets["test"].utts) <= 0.1 * total + 4
    assert 0.1 * total <= len(sets["dev"].utts) <= 0.1 * total + 4
    for name in sets:
        assert (tmp_path / "a" / name / "text").read_text() == (tmp_path / "b" / name / "text").read_text()
    assert first.sets["train"].utterances == second.sets["train"].utterances


def test_several_locales_give_combined_and_per_locale_sets(kit, tmp_path):
    for loc, base in (("ca", 0), ("es", 100)):
        kit.make_cv_locale(tmp_path / "cv", loc, {"validated": kit.speaker_rows(loc, {f"{loc}{i}": 2 for i in range(6)}, base)})
    result = commonvoice.prepare(tmp_path / "cv", tmp_path / "data", locales=["ca", "es"], unlabeled=("train",))
    assert {"train", "dev", "test", "train_ca", "test_es", "unlabeled"} <= set(result.sets)
    train = kit.assert_valid(tmp_path / "data" / "train")
    assert set(train.utt_tables["utt2lang"].values()) == {"ca", "es"}
    assert len(train.utts) == result.sets["train_ca"].utterances + result.sets["train_es"].utterances


def test_every_bad_input_class_is_reported_with_file_line_and_reason(kit, tmp_path):
    loc = tmp_path / "cv" / "ca"
    good = kit.speaker_rows("ca", {"anna": 30}, start=0)
    bad = [
        kit.cv_row("bernat", "missing.wav", "Hola."),  # line 32: clip not on disk
        kit.cv_row("bernat", "c1.wav", ""),  # empty sentence
        kit.cv_row("bernat", "c2.wav", "   "),  # whitespace only
        kit.cv_row("bernat", "c3.wav", "Straße"),  # outside the alphabet
        kit.cv_row("bernat", "c4.wav", "Привіт"),  # outside the alphabet
        good[0],  # duplicate path
        [kit.client("bernat"), "c5.wav", "too few fields"],  # malformed row
    ]
    kit.make_cv_locale(tmp_path / "cv", "ca", {"train": good + bad}, audio=False)
    for row in good:
        kit.write_audio(loc / "clips" / row[1])
    for name in ("c1.wav", "c2.wav", "c3.wav", "c4.wav", "c5.wav"):
        kit.write_audio(loc / "clips" / name)
    with open(loc / "train.tsv", "ab") as f:  # a row with bytes that are not UTF-8
        f.write(b"\t".join([kit.client("bernat").encode(), b"c6.wav", b"caf\xe9", b"2", b"0", b"", b"", b"", b"ca", b""]) + b"\n")
    kit.write_audio(loc / "clips" / "c6.wav")
    alphabet = "abcdefghijklmnopqrstuvwxyzàèéíòóúïüç·' 0123456789"
    result = commonvoice.prepare(
        loc, tmp_path / "data", splits=["train"], unlabeled=(), max_bad_fraction=0.5,
        normalizer={"preset": "default", "alphabet": alphabet},
    )
    report = kit.excluded(tmp_path / "data" / "train")
    by_reason = {}
    for key, reason, where in report:
        by_reason.setdefault(reason, []).append((key, where))
    assert set(by_reason) == {
        "missing-audio", "empty-text", "invalid-chars", "duplicate-path", "malformed-row", "bad-encoding"
    }
    assert len(by_reason["empty-text"]) == 2 and len(by_reason["invalid-chars"]) == 2
    tsv = str(loc / "train.tsv")
    assert by_reason["missing-audio"][0][1].startswith(f"{tsv}:32")
    assert by_reason["duplicate-path"][0][1].startswith(f"{tsv}:37")
    assert by_reason["malformed-row"][0][1].startswith(f"{tsv}:38")
    assert "3 fields where the header has 10" in by_reason["malformed-row"][0][1]
    assert by_reason["bad-encoding"][0][1].startswith(f"{tsv}:39")
    assert "'ß' (U+00DF)" in by_reason["invalid-chars"][0][1] and "'п' (U+043F)" in by_reason["invalid-chars"][1][1]
    summary = result.sets["train"]
    assert summary.utterances == 30 and sum(summary.excluded.values()) == 8
    assert "excluded 8" in str(summary)


def test_unreadable_and_empty_clips_are_found_when_audio_is_read(kit, tmp_path):
    loc = tmp_path / "cv" / "ca"
    rows = kit.speaker_rows("ca", {"anna": 3}) + [kit.cv_row("b", "junk.mp3", "a"), kit.cv_row("b", "zero.mp3", "b")]
    kit.make_cv_locale(tmp_path / "cv", "ca", {"train": rows}, audio=False)
    for row in rows[:3]:
        kit.write_audio(loc / "clips" / row[1])
    (loc / "clips" / "junk.mp3").write_bytes(b"this is not audio" * 10)
    (loc / "clips" / "zero.mp3").write_bytes(b"")
    commonvoice.prepare(loc, tmp_path / "ok", splits=["train"], unlabeled=(), check_audio="exists", max_bad_fraction=1)
    assert kit.excluded(tmp_path / "ok" / "train") == []  # existence only: both files exist
    commonvoice.prepare(loc, tmp_path / "read", splits=["train"], unlabeled=(), check_audio="read", max_bad_fraction=1)
    reasons = sorted(reason for _, reason, _ in kit.excluded(tmp_path / "read" / "train"))
    assert reasons == ["empty-audio", "unreadable-audio"]


def test_too_many_excluded_stops_with_a_message_naming_set_counts_and_report(kit, tmp_path):
    loc = tmp_path / "cv" / "ca"
    rows = kit.speaker_rows("ca", {"anna": 9}) + [kit.cv_row("b", "gone.wav", "text")]
    kit.make_cv_locale(tmp_path / "cv", "ca", {"train": rows[:9]}, audio=True)
    kit.write_tsv(loc / "train.tsv", kit.CV_HEADER, rows)
    with pytest.raises(TooManyExcluded) as err:
        commonvoice.prepare(loc, tmp_path / "data", splits=["train"], unlabeled=(), max_bad_fraction=0.05)
    message = str(err.value)
    assert "preparing train: 1 of 10 items excluded (10.0%)" in message
    assert "missing-audio: 1" in message and str(tmp_path / "data" / "train" / "excluded.txt") in message
    assert kit.excluded(tmp_path / "data" / "train")[0][1] == "missing-audio"
    assert not (tmp_path / "data" / "train" / "text").exists()
    commonvoice.prepare(loc, tmp_path / "data", splits=["train"], unlabeled=(), max_bad_fraction=0.2)
    assert (tmp_path / "data" / "train" / "text").exists()


def test_sentences_with_quotes_are_read_literally(kit, tmp_path):
    rows = [kit.cv_row("a", "q1.wav", 'He said "yes'), kit.cv_row("a", "q2.wav", '"Quoted" and \'single\'')]
    loc = kit.make_cv_locale(tmp_path / "cv", "en", {"train": rows})
    commonvoice.prepare(loc, tmp_path / "data", splits=["train"], unlabeled=(), normalizer="none")
    text = kit.assert_valid(tmp_path / "data" / "train").text
    assert sorted(text.values()) == ['"Quoted" and \'single\'', 'He said "yes']


def test_old_releases_with_accent_column_and_missing_columns_work(kit, tmp_path):
    header = ["client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accent"]
    rows = [[kit.client("a"), "x.wav", "Hola", "2", "0", "twenties", "female", "central"]]
    loc = kit.make_cv_locale(tmp_path / "cv", "ca", {"train": rows}, header=header)
    commonvoice.prepare(loc, tmp_path / "data", splits=["train"], unlabeled=())
    dd = kit.assert_valid(tmp_path / "data" / "train")
    utt = dd.utts[0]
    assert dd.utt_tables["utt2accent"][utt] == "central"
    assert dd.utt_tables["utt2age"][utt] == "twenties"
    assert dd.utt_tables["utt2gender"][utt] == "f"


def test_missing_split_tsv_and_unknown_locale_are_clear_errors(kit, tmp_path):
    official_release(kit, tmp_path / "cv")
    with pytest.raises(CorpusError, match="no locale folder for xx; found ca"):
        commonvoice.prepare(tmp_path / "cv", tmp_path / "data", locales=["xx"])
    with pytest.raises(CorpusError, match=r"no reported\.tsv"):
        commonvoice.prepare(tmp_path / "cv", tmp_path / "data", splits=["reported"], split_mode="official")
    with pytest.raises(CorpusError, match="no column 'client_id'"):
        kit.write_tsv(tmp_path / "cv" / "ca" / "test.tsv", ["path", "sentence"], [["a.wav", "x"]])
        commonvoice.prepare(tmp_path / "cv", tmp_path / "data")


def test_download_explains_where_to_get_the_corpus(tmp_path):
    with pytest.raises(CorpusError, match="commonvoice.mozilla.org"):
        commonvoice.download(tmp_path)


@pytest.mark.shared_data
def test_real_common_voice_61_locales_split_by_speaker(shared_data, kit, tmp_path):
    locales = ["ca", "es", "zh-CN", "ar"]
    result = commonvoice.prepare(shared_data / CV61, tmp_path / "data", locales=locales, durations=True)
    sets = {name: kit.assert_valid(tmp_path / "data" / name) for name in ("train", "dev", "test", "unlabeled")}
    spk = {name: set(dd.utt2spk.values()) for name, dd in sets.items()}
    assert not spk["train"] & spk["test"] and not spk["train"] & spk["dev"] and not spk["dev"] & spk["test"]
    assert spk["unlabeled"] == spk["train"]
    total = sum(result.sets[s].utterances for s in ("train", "dev", "test"))
    rows = sum(len((shared_data / CV61 / loc / "validated.tsv").read_text().splitlines()) - 1 for loc in locales)
    assert total == rows  # nothing excluded from the real sample
    assert set(sets["test"].utt_tables["utt2lang"].values()) == set(locales)
    assert 0.3 < result.sets["train"].hours < 1.0
    assert all(result.sets[f"test_{loc}"].utterances > 0 for loc in locales)
