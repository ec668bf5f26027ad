"""Kaldi's spk2gender next to utt2gender: written when every speaker's gender is known and
agreed, checked against utt2gender when present."""

from __future__ import annotations

import pytest

from asrkit.data import DataDir, DataDirError, read_table
from asrkit.data.validate import validate_data_dir


def _dd(genders: dict[str, str]) -> DataDir:
    utt2spk = {u: u.split("-")[0] for u in genders}
    return DataDir(utt2spk=utt2spk, wav_scp={u: f"/x/{u}.wav" for u in genders},
                   utt_tables={"utt2gender": dict(genders)})


def test_spk2gender_is_written_from_utt2gender_in_kaldi_form(tmp_path):
    _dd({"a-1": "f", "a-2": "f", "b-1": "m"}).write(tmp_path / "d")
    assert (tmp_path / "d" / "spk2gender").read_text() == "a f\nb m\n"
    assert validate_data_dir(tmp_path / "d", no_text=True, check_files=False).ok
    back = DataDir.read(tmp_path / "d")
    assert back.spk_tables["spk2gender"] == {"a": "f", "b": "m"}
    back.subset(["b-1"]).write(tmp_path / "sub")
    assert read_table(tmp_path / "sub" / "spk2gender") == {"b": "m"}


@pytest.mark.parametrize("genders", [{"a-1": "f", "b-1": "unknown"},  # one speaker not known
                                     {"a-1": "f", "a-2": "m", "b-1": "m"}])  # a speaker of both
def test_no_spk2gender_unless_every_speaker_has_one_gender(tmp_path, genders):
    _dd(genders).write(tmp_path / "d")
    assert not (tmp_path / "d" / "spk2gender").exists()
    assert (tmp_path / "d" / "utt2gender").is_file()


def test_a_stale_spk2gender_follows_utt2gender_when_the_dir_is_written_again(tmp_path):
    _dd({"a-1": "f", "b-1": "m"}).write(tmp_path / "d")
    dd = DataDir.read(tmp_path / "d")
    dd.utt_tables["utt2gender"]["a-1"] = "m"  # corrected
    dd.write(tmp_path / "d")
    assert read_table(tmp_path / "d" / "spk2gender") == {"a": "m", "b": "m"}


def test_spk2gender_contradicting_utt2gender_is_an_error(tmp_path):
    dd = _dd({"a-1": "f", "b-1": "unknown"})
    dd.spk_tables["spk2gender"] = {"a": "m", "b": "f"}
    with pytest.raises(DataDirError, match="'a-1' has gender 'f' but its speaker 'a' has 'm'"):
        dd.write(tmp_path / "d")
