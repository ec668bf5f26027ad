"""The synthesized corpus (asrkit.corpora.synth) and its sentence generators."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import soundfile as sf

from asrkit.corpora import sentences, synth
from asrkit.corpora.sentences import ca, en, es
from asrkit.data import DataDir

# A recent Common Voice release's columns, written out here so a change to the module's
# constant cannot go unnoticed.
CV_COLUMNS = ["client_id", "path", "sentence_id", "sentence", "sentence_domain", "up_votes", "down_votes",
              "age", "gender", "accents", "variant", "locale", "segment"]
CV_AGES = {"", "teens", "twenties", "thirties", "fourties", "fifties", "sixties", "seventies", "eighties",
           "nineties"}
TABLES = ["validated", "train", "dev", "test", "other", "invalidated"]


def read_tsv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert b"\r" not in raw, f"{path} has CR line ends"
    header, *lines = raw.decode("utf-8").split("\n")[:-1]
    names = header.split("\t")
    rows = []
    for line in lines:
        fields = line.split("\t")
        assert len(fields) == len(names), f"{path}: {line!r}"
        rows.append(dict(zip(names, fields)))
    return rows


def all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != synth.REPORT}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth") / "cv"
    summary = synth.generate(root, ("ca", "es", "en"), minutes=0.6, seed=3, jobs=2, speakers_per_locale=6)
    return root, summary


# ----------------------------------------------------------------------------- layout
def test_layout_has_every_common_voice_table_with_a_recent_release_header(corpus):
    root, _ = corpus
    for loc in ("ca", "es", "en"):
        for name in TABLES:
            header = (root / loc / f"{name}.tsv").read_text(encoding="utf-8").split("\n")[0]
            assert header.split("\t") == CV_COLUMNS
        assert (root / loc / "clip_durations.tsv").read_text().startswith("clip\tduration[ms]\n")


def test_rows_hold_common_voice_values(corpus):
    root, _ = corpus
    for loc in ("ca", "es", "en"):
        for name in TABLES:
            for row in read_tsv(root / loc / f"{name}.tsv"):
                assert re.fullmatch(r"[0-9a-f]{128}", row["client_id"])
                assert re.fullmatch(rf"common_voice_{loc}_\d+\.mp3", row["path"])
                assert (root / loc / "clips" / row["path"]).is_file()
                assert row["sentence_id"] == hashlib.sha256(row["sentence"].encode()).hexdigest()
                assert row["locale"] == loc
                assert row["gender"] in ("", "male_masculine", "female_feminine")
                assert row["age"] in CV_AGES
                up, down = int(row["up_votes"]), int(row["down_votes"])
                if name == "invalidated":
                    assert down >= 2 and down > up
                elif name == "other":
                    assert up - down < 2
                else:
                    assert up >= 2 and up > down


def test_validated_is_train_dev_and_test_and_each_sentence_is_recorded_once(corpus):
    root, _ = corpus
    for loc in ("ca", "es", "en"):
        tables = {name: read_tsv(root / loc / f"{name}.tsv") for name in TABLES}
        splits = tables["train"] + tables["dev"] + tables["test"]
        assert sorted(r["path"] for r in tables["validated"]) == sorted(r["path"] for r in splits)
        every = splits + tables["other"] + tables["invalidated"]
        assert len({r["sentence"] for r in every}) == len(every)
        assert all(tables[name] for name in TABLES), "every table has at least one clip"


def test_test_speakers_never_appear_in_train_dev_or_the_unlabeled_pools(corpus):
    root, _ = corpus
    for loc in ("ca", "es", "en"):
        speakers = {name: {r["client_id"] for r in read_tsv(root / loc / f"{name}.tsv")} for name in TABLES}
        assert not speakers["test"] & (speakers["train"] | speakers["dev"] | speakers["other"]
                                       | speakers["invalidated"])
        assert not speakers["dev"] & (speakers["train"] | speakers["other"] | speakers["invalidated"])


def test_clips_are_48khz_mono_mp3s_with_their_durations_listed(corpus):
    root, _ = corpus
    for loc in ("ca", "es", "en"):
        durations = {r["clip"]: int(r["duration[ms]"]) for r in read_tsv(root / loc / "clip_durations.tsv")}
        assert len(durations) == len(list((root / loc / "clips").iterdir()))
        for clip, ms in list(durations.items())[:3]:
            info = sf.info(root / loc / "clips" / clip)
            assert (info.samplerate, info.channels, info.format) == (48000, 1, "MP3")
            audio, _ = sf.read(root / loc / "clips" / clip, dtype="float32")
            assert abs(1000 * len(audio) / 48000 - ms) < 60
            assert 0.05 < float(abs(audio).max()) < 1.0
            assert float(abs(audio[:2000]).max()) > 0, "a noise floor, not digital silence"


def test_report_matches_the_tsvs(corpus):
    root, summary = corpus
    report = json.loads((root / synth.REPORT).read_text(encoding="utf-8"))
    assert report["seed"] == 3 and report["clips"] == summary.clips
    for loc in ("ca", "es", "en"):
        for name in TABLES:
            assert report["locales"][loc]["tables"][name]["clips"] == len(read_tsv(root / loc / f"{name}.tsv"))
        total_ms = sum(int(r["duration[ms]"]) for r in read_tsv(root / loc / "clip_durations.tsv"))
        assert report["locales"][loc]["minutes"] == pytest.approx(total_ms / 60000, abs=0.01)
        assert report["locales"][loc]["vocabulary"] > 10
    assert "ca" in str(summary) and "test OOV rate" in str(summary)


def test_prepared_by_the_common_voice_preparer(corpus, tmp_path):
    from asrkit.corpora import commonvoice

    root, _ = corpus
    commonvoice.prepare(root, tmp_path, locales=["ca", "es", "en"], split_mode="official",
                        unlabeled=["train", "other"], durations=True)
    sets = {name: DataDir.read(tmp_path / name) for name in ("train", "dev", "test", "unlabeled")}
    assert set(sets["train"].utt_tables["utt2lang"].values()) == {"ca", "es", "en"}
    assert not set(sets["test"].utt2spk.values()) & set(sets["unlabeled"].utt2spk.values())
    assert len(sets["unlabeled"].utts) > len(sets["train"].utts)  # train + other.tsv
    for name in sets:
        assert (tmp_path / name / "excluded.txt").read_text() == "", f"{name} excluded clips"
    texts = " ".join(sets["train"].text.values())
    assert texts == texts.lower() and "?" not in texts


def test_mini_cv_stage1_synthesizes_once_and_prepares_valid_data_dirs(repo_root, tmp_path, kit):
    recipe = tmp_path / "mini_cv"
    recipe.mkdir()
    shutil.copytree(repo_root / "egs" / "mini_cv" / "local", recipe / "local")
    shutil.copy(repo_root / "egs" / "mini_cv" / "db.sh", recipe / "db.sh")
    (recipe / "path.sh").symlink_to(repo_root / "egs" / "TEMPLATE" / "path.sh")
    (recipe / "utils").symlink_to(repo_root / "utils")
    env = dict(os.environ, ASRKIT_VENV=str(repo_root / "tools" / "venv"), MINI_CV=str(tmp_path / "db"))
    args = ["bash", "local/data.sh", "--minutes", "0.4", "--speakers-per-locale", "4", "--jobs", "2"]
    runs = [subprocess.run(args, cwd=recipe, env=env, capture_output=True, text=True, timeout=180)
            for _ in range(2)]
    for proc in runs:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Successfully finished" in proc.stdout
    assert "already in" in runs[1].stdout  # the marker skips synthesis the second time
    for name in ("train", "dev", "test", "unlabeled", "train_ca", "test_es", "test_en"):
        kit.assert_valid(recipe / "data" / name)
    assert set(DataDir.read(recipe / "data" / "test").utt_tables["utt2lang"].values()) == {"ca", "es", "en"}


# ---------------------------------------------------------------------- determinism
def test_same_seed_gives_byte_identical_files_whatever_the_jobs_and_another_seed_differs(tmp_path):
    opts = dict(languages=("es",), minutes_per_locale=0.15, speakers_per_locale=3)
    synth.generate(tmp_path / "a", seed=11, jobs=1, **opts)
    synth.generate(tmp_path / "b", seed=11, jobs=2, **opts)
    synth.generate(tmp_path / "c", seed=12, jobs=2, **opts)
    a, b, c = (all_files(tmp_path / x) for x in "abc")
    assert a == b
    assert a["es/train.tsv"] != c["es/train.tsv"]


def test_regenerating_replaces_an_earlier_corpus_but_refuses_foreign_data(tmp_path):
    root = tmp_path / "cv"
    synth.generate(root, ("en", "es"), minutes=0.3, seed=1, jobs=1, speakers_per_locale=3)
    synth.generate(root, ("en",), minutes=0.15, seed=2, jobs=1, speakers_per_locale=3)
    assert sorted(p.name for p in root.iterdir()) == ["en", synth.REPORT]
    foreign = tmp_path / "real_cv"
    (foreign / "ca").mkdir(parents=True)
    with pytest.raises(synth.SynthError, match="not part of a corpus asrkit synthesized"):
        synth.generate(foreign, ("ca",), minutes=0.1)
    assert (foreign / "ca").is_dir()


def test_bad_options_are_clear_errors(tmp_path):
    with pytest.raises(sentences.UnknownLanguage, match="no sentence generator for locale 'xx'"):
        synth.generate(tmp_path, ("xx",))
    with pytest.raises(synth.SynthError, match="at least 3 speakers"):
        synth.make_speakers("ca", 2, 0)
    with pytest.raises(synth.SynthError, match="minutes must be positive"):
        synth.generate(tmp_path, ("ca",), minutes=0)


def test_cli_samples_sentences_and_reports_errors_without_traceback(tmp_path, capsys):
    assert synth.main(["--sample", "es", "--count", "4"]) == 0
    assert len(capsys.readouterr().out.strip().split("\n")) == 4
    assert synth.main([str(tmp_path), "--languages", "ca,xx"]) == 1
    assert "synth: error: no sentence generator for locale 'xx'" in capsys.readouterr().err


def test_speakers_get_distinct_voices_genders_and_their_languages_accents():
    speakers = synth.make_speakers("en", 20, 0)
    assert len({(s.voice.name, s.voice.variant, s.voice.rate, s.voice.pitch) for s in speakers}) == 20
    assert [s.split for s in speakers].count("test") == 3 and [s.split for s in speakers].count("dev") == 2
    labels = {a.voice: a.label for a in en.ACCENTS}
    for s in speakers:
        assert s.voice.variant[0] == ("f" if s.gender == "female_feminine" else "m") or not s.gender
        assert s.accent in ("", labels[s.voice.name])
    assert {s.gender for s in speakers} >= {"male_masculine", "female_feminine"}


# ------------------------------------------------------------------------- sentences
@pytest.fixture(scope="module")
def samples():
    return {loc: sentences.generate(loc, 2000, seed=5) for loc in sentences.LANGUAGES}


def test_generators_are_deterministic_and_give_distinct_sentences(samples):
    for loc, texts in samples.items():
        assert len(set(texts)) == len(texts)
        assert sentences.generate(loc, 50, seed=5) == texts[:50]
        assert sentences.generate(loc, 50, seed=6) != texts[:50]


def test_each_language_has_hundreds_of_word_types(samples):
    for loc, texts in samples.items():
        vocabulary = {w for t in texts for w in sentences.words(t)}
        assert len(vocabulary) > 800, loc


def test_sentences_are_written_like_common_voice_prompts(samples):
    for texts in samples.values():
        for text in texts:
            assert re.search(r"[.?!]$", text), text
            first = next(ch for ch in text if ch.isalpha())
            assert first.isupper(), text
            assert not re.search(r"\d|\s{2}|\t| [,.?!]", text), text


def test_catalan_orthography(samples):
    texts = samples["ca"]
    joined = " ".join(texts)
    for needed in ("l·l", "l'", "d'", "ç", "à", "è", "ò", "«"):
        assert needed in joined, needed
    for text in texts:
        lower = text.lower()
        # contractions: "de el" -> "del", "a els" -> "als", "per el" -> "pel"
        start = r"(?<![\w·'-])"  # a word start ("·" is not \w: novel·la)
        assert not re.search(start + r"(de|a|per) els? ", lower), text
        # elision: never "el"/"de" before a vowel; "la" only before unstressed i-/u-
        assert not re.search(start + r"(el|de) h?[aeiouàèéíòóú]", lower), text
        assert not re.search(start + r"la h?[aeoàèéòó]", lower), text
    nouns = {n.sg: n for n in ca.WORDS.all_nouns}
    assert ca.definite(nouns["universitat"]) == "la universitat"
    assert ca.definite(nouns["illa"]) == "l'illa"


def test_spanish_orthography(samples):
    texts = samples["es"]
    joined = " ".join(texts)
    for needed in ("ñ", "¿", "¡", "á", "é", "í", "ó", "ú", "«"):
        assert needed in joined, needed
    for text in texts:
        assert text.count("¿") == text.count("?") and text.count("¡") == text.count("!"), text
        assert not re.search(r"\b(de|a) el ", text.lower()), text
        assert not re.search(r"\by h?[ií](?![aeoáéó])", text.lower()), text
    assert es.and_("Pedro", "Inés") == "Pedro e Inés"


def test_english_orthography(samples):
    texts = samples["en"]
    joined = " ".join(texts)
    for needed in ("n't", "'s", "'m", "'ll", '"'):
        assert needed in joined, needed
    for text in texts:
        lower = text.lower()
        assert not re.search(r"\ban [b-df-hj-np-tv-z]", lower.replace("an hour", "")), text
        assert not re.search(r"\ba (?!eu)[aeio]", lower), text  # "a euro" is right
    assert en.indefinite("useful map") == "a useful map" and en.indefinite("umbrella") == "an umbrella"


def test_numbers_are_spelled_out_with_agreement():
    assert ca.number(21) == "vint-i-un" and ca.number(21, "f") == "vint-i-una"
    assert ca.number(222, "f") == "dues-centes vint-i-dues" and ca.number(31, counting=True) == "trenta-u"
    assert ca.number(1987, counting=True) == "mil nou-cents vuitanta-set"
    assert es.number(21) == "veintiún" and es.number(221, "f") == "doscientas veintiuna"
    assert es.number(100) == "cien" and es.number(2021, counting=True) == "dos mil veintiuno"
    assert en.number(342) == "three hundred and forty-two" and en.ordinal(22) == "twenty-second"
    rng = random.Random(0)
    assert en.year(1987, rng) == "nineteen eighty-seven" and en.year(1905, rng) == "nineteen oh five"
