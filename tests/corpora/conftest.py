"""Tiny corpora in their original layouts, written into tmp_path by the tests that need them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from asrkit.data import DataDir, validate_data_dir

CV_HEADER = ["client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accents", "locale", "segment"]


def write_audio(path: Path, seconds: float = 0.1, rate: int = 16000, fmt: str | None = None) -> Path:
    """A short tone (silence compresses to nothing in MP3, which some decoders call empty)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, (0.1 * np.sin(2 * np.pi * 440 * t)).astype("float32"), rate, format=fmt)
    return path


def client(name: str) -> str:
    """A Common Voice-like client id (128 hex characters) for a readable name."""
    return hashlib.sha512(name.encode()).hexdigest()


def cv_row(spk: str, clip: str, sentence: str, gender: str = "", age: str = "", accent: str = "",
           locale: str = "ca") -> list[str]:
    return [client(spk), clip, sentence, "2", "0", age, gender, accent, locale, ""]


def write_tsv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\t".join(header) + "\n")
        for row in rows:
            f.write("\t".join(row) + "\n")
    return path


def make_cv_locale(root: Path, locale: str, tsvs: dict[str, list[list[str]]], audio: bool = True,
                   header: Sequence[str] = CV_HEADER) -> Path:
    """``root/<locale>/<name>.tsv`` for each entry, and a clip for every row's path."""
    loc = root / locale
    for name, rows in tsvs.items():
        write_tsv(loc / f"{name}.tsv", header, rows)
        if audio:
            for row in rows:
                clip = loc / "clips" / row[header.index("path")]
                if not clip.exists():
                    write_audio(clip, rate=8000)
    return loc


def speaker_rows(locale: str, speakers: dict[str, int], start: int = 0) -> list[list[str]]:
    """``n`` clips for each speaker, with distinct sentences."""
    rows, k = [], start
    for spk, n in speakers.items():
        for _ in range(n):
            gender = "male" if int(client(spk)[:2], 16) % 2 else "female"
            rows.append(cv_row(spk, f"common_voice_{locale}_{k}.wav", f"Frase número {k}.", gender=gender,
                               locale=locale))
            k += 1
    return rows


def assert_valid(path: Path) -> DataDir:
    report = validate_data_dir(path)
    assert report.ok, report.summary()
    return DataDir.read(path)


def excluded(path: Path) -> list[tuple[str, str, str]]:
    """``excluded.txt`` of a data dir as (key, reason, where) triples."""
    lines = (path / "excluded.txt").read_text(encoding="utf-8").splitlines()
    return [tuple((line.split("\t") + ["", ""])[:3]) for line in lines if line]


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for tests (pytest's importlib mode keeps conftest unimportable)."""
    return SimpleNamespace(
        CV_HEADER=CV_HEADER,
        write_audio=write_audio,
        client=client,
        cv_row=cv_row,
        write_tsv=write_tsv,
        make_cv_locale=make_cv_locale,
        speaker_rows=speaker_rows,
        assert_valid=assert_valid,
        excluded=excluded,
    )
