"""subset_by_duration: label-scarce training sets of N minutes per language, nested by
seed (5 ⊂ 10 ⊂ 20 by utterance id), speaker-balanced, and an error naming a language that
holds less than asked. Through asrkit-data and utils/subset_data_dir_by_duration.sh too."""

from __future__ import annotations

import random

import pytest

from asrkit.data import DataDir, DataDirError, ops
from asrkit.data.cli import main as data_main


def two_languages() -> DataDir:
    """ca and es, 6 speakers each with 10 utterances of 2 to 8 s (about 5 min per language)."""
    rng = random.Random(1)
    dd = DataDir(text={})
    dur, lang = {}, {}
    for loc in ("ca", "es"):
        for s in range(6):
            spk = f"{loc}{s}"
            for j in range(10):
                utt = f"{spk}-{j:03d}"
                dd.utt2spk[utt] = spk
                dd.text[utt] = f"words {j}"
                dur[utt] = f"{rng.uniform(2, 8):.2f}"
                lang[utt] = loc
    dd.utt_tables["utt2dur"] = dur
    dd.utt_tables["utt2lang"] = lang
    dd.wav_scp = {u: f"/audio/{u}.wav" for u in dd.utt2spk}
    return dd


def minutes_of(dd: DataDir, loc: str) -> tuple[float, float]:
    """(minutes of ``loc`` in ``dd``, its longest utterance in minutes)."""
    durs = [float(d) for u, d in dd.utt_tables["utt2dur"].items() if dd.utt_tables["utt2lang"][u] == loc]
    return sum(durs) / 60, max(durs) / 60


def test_smaller_amounts_are_subsets_of_larger_ones():
    dd = two_languages()
    sizes = [set(ops.subset_by_duration(dd, m, "utt2lang", seed=0).utts) for m in (0.5, 1, 2, 4)]
    for small, large in zip(sizes, sizes[1:]):
        assert small < large


@pytest.mark.parametrize("minutes", [0.5, 1, 2, 4])
def test_each_language_reaches_its_minutes_within_one_utterance(minutes):
    out = ops.subset_by_duration(two_languages(), minutes, "utt2lang", seed=0)
    for loc in ("ca", "es"):
        total, longest = minutes_of(out, loc)
        assert minutes <= total < minutes + longest


def test_same_seed_same_utterances_other_seed_others():
    dd = two_languages()
    a = ops.subset_by_duration(dd, 1, "utt2lang", seed=0).utts
    assert ops.subset_by_duration(two_languages(), 1, "utt2lang", seed=0).utts == a
    assert ops.subset_by_duration(dd, 1, "utt2lang", seed=1).utts != a


def test_speakers_take_turns_before_anyone_gets_a_second():
    dd = two_languages()
    ca = [u for u in dd.utts if u.startswith("ca")]
    order = ops.duration_order(dd, ca, seed=0, salt="ca")
    assert sorted(order) == sorted(ca)
    for turn in range(10):
        assert len({dd.utt2spk[u] for u in order[6 * turn: 6 * (turn + 1)]}) == 6


def test_without_a_group_the_minutes_are_for_the_whole_dir():
    dd = two_languages()
    out = ops.subset_by_duration(dd, 3, None, seed=0)
    total = sum(float(out.utt_tables["utt2dur"][u]) for u in out.utts) / 60
    assert 3 <= total < 3 + 8 / 60


def test_more_than_a_language_holds_is_an_error_naming_it_and_what_it_holds():
    dd = two_languages()
    dd = dd.subset([u for u in dd.utts if not (u.startswith("es") and int(u[2]) > 1)])  # es: 2 speakers
    es_minutes, _ = minutes_of(dd, "es")
    with pytest.raises(DataDirError) as e:
        ops.subset_by_duration(dd, 4, "utt2lang")
    assert str(e.value) == (f"cannot take 4 min of each lang from the data dir: "
                            f"es holds {es_minutes:.2f} min in 20 utterances")
    with pytest.raises(DataDirError, match="has no utt2accent to group by"):
        ops.subset_by_duration(dd, 1, "utt2accent")


def test_cli_and_utils_wrapper_write_the_same_subset(tmp_path, utils_run, capsys):
    dd = two_languages()
    dd.write(tmp_path / "data" / "train")
    expected = ops.subset_by_duration(dd, 1, "utt2lang", seed=3).utts
    assert data_main(["subset", "--minutes", "1", "--group-by", "utt2lang", "--seed", "3",
                      str(tmp_path / "data" / "train"), str(tmp_path / "a")]) == 0
    assert DataDir.read(tmp_path / "a").utts == expected
    utils_run("subset_data_dir_by_duration.sh", "--group-by", "utt2lang", "--seed", "3",
              "data/train", "1", "data/train_1min", cwd=tmp_path)
    assert DataDir.read(tmp_path / "data" / "train_1min").utts == expected
    bad = utils_run("subset_data_dir_by_duration.sh", "--group-by", "utt2lang", "data/train", "60",
                    "data/train_60min", cwd=tmp_path, check=False)
    assert bad.returncode == 1 and "cannot take 60 min of each lang from data/train: ca holds" in bad.stderr
    assert not (tmp_path / "data" / "train_60min").exists()
