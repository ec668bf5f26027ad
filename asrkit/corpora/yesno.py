"""Kaldi's yesno corpus (OpenSLR 1): 60 recordings of one man saying 8 words of yes/no.

Layout: ``<root>/waves_yesno/<d>_<d>_<d>_<d>_<d>_<d>_<d>_<d>.wav`` (8 kHz), where each
digit is a word: 1 = ``YES``, 0 = ``NO`` (the words are Hebrew "ken"/"lo"; the transcripts
are English, as in Kaldi). Split as Kaldi's ``local/prepare_data.sh`` does: the files in
sorted order, first half ``train``, second half ``test``. One speaker, ``global``;
utterance id = file stem, as in Kaldi.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from asrkit.corpora.common import (
    AudioCheck,
    CorpusError,
    PrepareResult,
    SetBuilder,
    add_check_arguments,
    check_options,
    download_and_extract,
    no_options,
    probe_audio,
    write_sets,
)

URL = "https://www.openslr.org/resources/1/waves_yesno.tar.gz"
SPEAKER = "global"
_NAME = re.compile(r"[01](?:_[01])*")


def download(target: str | Path) -> Path:
    """Fetch and unpack ``waves_yesno.tar.gz`` (4.5 MB); returns ``target/waves_yesno``."""
    download_and_extract(URL, target, what="yesno")
    return Path(target) / "waves_yesno"


def find_root(corpus_root: Path) -> Path:
    for candidate in (corpus_root, corpus_root / "waves_yesno"):
        if candidate.is_dir() and any(candidate.glob("*.wav")):
            return candidate
    raise CorpusError(
        f"{corpus_root}: no yesno .wav files here or in {corpus_root}/waves_yesno "
        f"(asrkit-prepare yesno --download {corpus_root} fetches them)"
    )


def transcript(stem: str) -> str:
    return " ".join("YES" if d == "1" else "NO" for d in stem.split("_"))


def prepare(
    corpus_root: str | Path,
    out_dir: str | Path,
    *,
    check_audio: AudioCheck = "read",
    max_bad_fraction: float = 0.05,
) -> PrepareResult:
    """Write ``train`` and ``test`` (Kaldi's split; see the module docstring)."""
    root = find_root(Path(corpus_root).resolve())
    wavs = sorted(root.glob("*.wav"), key=lambda p: p.name)
    half = len(wavs) // 2
    builders = {"train": SetBuilder("train"), "test": SetBuilder("test")}
    for i, wav in enumerate(wavs):
        builder = builders["train" if i < half else "test"]
        if not _NAME.fullmatch(wav.stem):
            builder.exclude(wav.name, ("malformed-row", "file name is not 0/1 digits joined by '_'"), str(wav))
            continue
        status = probe_audio(wav, check_audio, duration=check_audio == "read")
        if status.problem:
            builder.exclude(wav.stem, status.problem, str(wav))
            continue
        builder.add(wav.stem, str(wav), SPEAKER, transcript(wav.stem), dur=status.duration)
    return write_sets(builders, out_dir, max_bad_fraction)


# ---------------------------------------------------------------------------- asrkit-prepare options
def add_arguments(p: argparse.ArgumentParser) -> None:
    """``asrkit-prepare yesno`` options, one per :func:`prepare` keyword."""
    add_check_arguments(p, "read")


def prepare_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of :func:`add_arguments` as :func:`prepare` keywords."""
    return check_options(args)


download_options = no_options
