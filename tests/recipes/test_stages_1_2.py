"""Each recipe's ./run.sh --stop-stage 2 on its corpus in ../shared/data: the data dirs validate
and the dumps hold every utterance, at 16 kHz, readable by the trainer's loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from asrkit.audio import info
from asrkit.data import DataDir, read_table, validate_data_dir
from asrkit.features import load_feature
from asrkit.features import load_cmvn

pytestmark = pytest.mark.shared_data

CV61 = "common_voice/cv-corpus-6.1-2020-12-11"


@dataclass
class Case:
    corpora: dict[str, str]  # db.sh variable -> folder under ../shared/data
    sets: dict[str, int | None]  # data set -> expected utterances (None: any)
    args: list[str] = field(default_factory=list)
    feats_type: str = "raw"  # what the recipe's run.sh dumps


CASES = {
    # Kaldi's split: the first 30 recordings train, the last 30 test.
    "yesno": Case({"YESNO": "yesno/waves_yesno"}, {"train": 30, "test": 30}),
    # The recipe's default speaker split: one speaker (500 recordings) for test, one for dev.
    "fsdd": Case({"FSDD": "fsdd"}, {"train": 1500, "dev": 500, "test": 500}, feats_type="fbank"),
    # CV 6.1 has only validated.tsv: split by speaker; the pool is train + the rest.
    "commonvoice": Case({"COMMONVOICE": CV61}, {"train": None, "dev": None, "test": None, "unlabeled": None}),
    # The sample has train-clean-100 (one utterance per speaker), dev-clean and test-other:
    # a 10-minute labelled set, and test-other in place of test-clean.
    "librispeech": Case(
        {"LIBRISPEECH": "librispeech"},
        {"train_10min": None, "dev_clean": 2, "test_other": 80, "unlabeled": None},
        ["--train-set", "train_10min", "--test-sets", "test_other",
         "--local-data-opts", "--limited 10min --eval-sets dev-clean,test-other"],
    ),
}


def check_data_and_dump(sets: dict[str, int | None], feats_type: str = "raw") -> None:
    """Check the recipe in the current directory (its tables hold paths relative to it)."""
    for name, count in sets.items():
        data = Path("data") / name
        report = validate_data_dir(data)
        assert report.ok, report.summary()
        dd = DataDir.read(data)
        assert dd.utts and (count is None or len(dd.utts) == count), f"{data}: {len(dd.utts)} utterances"
        dump = Path("dump") / feats_type / name
        assert (dump / ".done").is_file(), f"{dump} was not finished"
        report = validate_data_dir(dump, no_feats=False)
        assert report.ok, report.summary()
        feats = read_table(dump / "feats.scp")
        assert set(feats) == set(dd.utts), f"{dump}: utterances missing from feats.scp"
        if feats_type == "raw":
            check_waveforms(dd, feats, read_table(dump / "utt2num_samples"))
        else:
            check_fbank(feats, read_table(dump / "utt2num_frames"))


def check_waveforms(dd: DataDir, feats: dict[str, str], lengths: dict[str, str]) -> None:
    """A few dumped waveforms: their length says 16 kHz, whatever rate the corpus has."""
    for utt in dd.utts[:: max(1, len(dd.utts) // 3)]:
        wave = load_feature(feats[utt])
        assert wave.ndim == 1 and wave.dtype == np.float32 and len(wave) == int(lengths[utt])
        assert 0 < np.abs(wave).max() <= 1.0, f"{utt}: silent or clipped dump"
        reco, start, end = dd.recording_of(utt)
        rate, frames, _ = info(dd.wav_scp[reco])
        seconds = (end if end is not None else frames / rate) - start
        assert abs(len(wave) / 16000 - seconds) < 0.05 + 0.01 * seconds, f"{utt}: not 16 kHz"


def check_fbank(feats: dict[str, str], lengths: dict[str, str]) -> None:
    for utt in sorted(feats)[:3]:
        mat = load_feature(feats[utt])
        assert mat.shape == (int(lengths[utt]), 80) and np.isfinite(mat).all()


def _prepare(recipes, shared_data: Path, tmp: Path, corpus: str, args: list[str], monkeypatch) -> Path:
    case = CASES[corpus]
    recipe = recipes.copy(corpus, tmp)
    env = recipes.env(**{var: shared_data / rel for var, rel in case.corpora.items()})
    recipes.run(recipe, ["--stop-stage", "2", "--nj", "2", *args], env)
    monkeypatch.chdir(recipe)
    return recipe


@pytest.mark.parametrize("corpus", ["yesno", "fsdd"])
def test_small_recipe_stages_1_2_give_valid_data_and_loadable_dumps(corpus, recipes, shared_data, tmp_path,
                                                                   monkeypatch):
    _prepare(recipes, shared_data, tmp_path, corpus, CASES[corpus].args, monkeypatch)
    check_data_and_dump(CASES[corpus].sets, feats_type=CASES[corpus].feats_type)


@pytest.mark.slow
@pytest.mark.parametrize("corpus", ["commonvoice", "librispeech"])
def test_large_recipe_stages_1_2_on_the_sample_give_valid_data_and_loadable_dumps(
        corpus, recipes, shared_data, tmp_path, monkeypatch):
    _prepare(recipes, shared_data, tmp_path, corpus, CASES[corpus].args, monkeypatch)
    check_data_and_dump(CASES[corpus].sets)
    if corpus == "librispeech":  # the labelled set never shares an utterance with the pool
        train, pool = (DataDir.read(Path("data") / s).utts for s in ("train_10min", "unlabeled"))
        assert not set(train) & set(pool)


def test_fbank_dump_for_the_conformer_baseline(recipes, shared_data, tmp_path, monkeypatch):
    _prepare(recipes, shared_data, tmp_path, "yesno", ["--feats-type", "fbank"], monkeypatch)
    check_data_and_dump(CASES["yesno"].sets, feats_type="fbank")
    mean, std = load_cmvn("dump/fbank/train/cmvn.ark")
    assert mean.shape == std.shape == (80,) and (std > 0).all()


def test_covost2_stages_1_2_over_fake_clips(recipes, covost2_clips, tmp_path, monkeypatch):
    recipe = recipes.copy("covost2", tmp_path)
    recipes.run(recipe, ["--stop-stage", "2", "--nj", "2", "--local-data-opts", "--sources ca,es"],
                recipes.env(COVOST2=covost2_clips, COVOST2_TSV=covost2_clips))
    monkeypatch.chdir(recipe)
    # 6 rows per source: 2 train, 2 dev, 2 test each (the TSVs' split column)
    check_data_and_dump({"train": 4, "dev": 4, "test": 4})
    langs = read_table("data/test/utt2lang")
    assert sorted(langs.values()) == ["ca", "ca", "es", "es"]
    assert Path("data/train/utt2translation").is_file()
    for src in ("ca", "es"):
        report = validate_data_dir(f"data/test_{src}")
        assert report.ok, report.summary()
