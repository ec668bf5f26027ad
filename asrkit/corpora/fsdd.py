"""The Free Spoken Digit Dataset (FSDD): English digits 0-9, 8 kHz, a few speakers.

Layout (the GitHub repository)::

    <root>/recordings/<digit>_<speaker>_<index>.wav
    <root>/speakers.json  or  <root>/metadata.py     (gender, accent, language per speaker)

Transcript: the digit's English word in uppercase (``ZERO`` .. ``NINE``; ``case="lower"``
for lowercase), the convention of LibriSpeech and yesno. Utterance id
``<speaker>-<digit>-<index>``.

Splits: ``official`` (default) keeps FSDD's test set, indices 0-4, and takes ``dev`` from
the start of the official training part (indices 5-9), leaving 10-49 for ``train``;
``speaker`` makes speaker-disjoint sets instead: speakers in hash order give
``num_test_speakers`` to test, ``num_dev_speakers`` to dev and the rest to train (or name
them with ``test_speakers`` / ``dev_speakers``).
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from asrkit.corpora.common import (
    AudioCheck,
    CorpusError,
    PrepareResult,
    SetBuilder,
    add_check_arguments,
    check_options,
    keywords,
    comma_list,
    download_and_extract,
    meta_value,
    no_options,
    normalize_gender,
    probe_audio,
    short_hash,
    write_sets,
)

log = logging.getLogger(__name__)

URL = "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/heads/master.zip"
WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
LANGUAGE_CODES = {"english": "en"}
_NAME = re.compile(r"(?P<digit>[0-9])_(?P<speaker>[A-Za-z0-9]+)_(?P<index>[0-9]+)")


def download(target: str | Path) -> Path:
    """Fetch the repository archive from GitHub; returns the folder holding ``recordings/``."""
    download_and_extract(URL, target, what="FSDD")
    return Path(target) / "free-spoken-digit-dataset-master"


def find_root(corpus_root: Path) -> Path:
    for candidate in (corpus_root, corpus_root / "free-spoken-digit-dataset-master"):
        if (candidate / "recordings").is_dir():
            return candidate
    raise CorpusError(
        f"{corpus_root}: no recordings/ folder; expected <root>/recordings/<digit>_<speaker>_<index>.wav "
        f"(asrkit-prepare fsdd --download {corpus_root} fetches it)"
    )


def read_speakers(root: Path) -> dict[str, dict[str, str]]:
    """Speaker metadata from ``speakers.json``, or the dict literal in the repo's ``metadata.py``."""
    json_path, py_path = root / "speakers.json", root / "metadata.py"
    try:
        if json_path.is_file():
            data = json.loads(json_path.read_text(encoding="utf-8"))
        elif py_path.is_file():
            data = _metadata_literal(py_path)
        else:
            log.warning("%s: no speakers.json or metadata.py; gender/accent will be 'unknown'", root)
            return {}
    except (ValueError, SyntaxError) as e:
        raise CorpusError(f"cannot read FSDD speaker metadata in {root}: {e}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise CorpusError(f"{root}: speaker metadata must map speaker -> {{gender, accent, language}}")
    return data


def _metadata_literal(path: Path) -> dict:
    """The value of ``metadata = {...}`` in ``metadata.py``, parsed as a literal (never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "metadata" for t in node.targets):
            return ast.literal_eval(node.value)
    raise ValueError(f"{path} has no 'metadata = {{...}}' assignment")


def prepare(
    corpus_root: str | Path,
    out_dir: str | Path,
    *,
    split: str = "official",
    num_dev_speakers: int = 1,
    num_test_speakers: int = 1,
    dev_speakers: Sequence[str] | None = None,
    test_speakers: Sequence[str] | None = None,
    case: str = "upper",
    check_audio: AudioCheck = "read",
    max_bad_fraction: float = 0.05,
) -> PrepareResult:
    """Write ``train``, ``dev`` and ``test`` for FSDD (see the module docstring)."""
    if split not in ("official", "speaker"):
        raise CorpusError(f"FSDD split must be 'official' or 'speaker', got {split!r}")
    if case not in ("upper", "lower"):
        raise CorpusError(f"case must be 'upper' or 'lower', got {case!r}")
    root = find_root(Path(corpus_root).resolve())
    meta = read_speakers(root)
    wavs = sorted((root / "recordings").glob("*.wav"))
    if not wavs:
        raise CorpusError(f"{root}/recordings has no .wav files")
    speakers = sorted({m["speaker"] for w in wavs if (m := _NAME.fullmatch(w.stem))})
    assign = (
        _speaker_sets(speakers, num_dev_speakers, num_test_speakers, dev_speakers, test_speakers)
        if split == "speaker"
        else {}
    )
    builders = {name: SetBuilder(name) for name in ("train", "dev", "test")}
    for wav in wavs:
        m = _NAME.fullmatch(wav.stem)
        if not m:
            builders["train"].exclude(
                wav.name, ("malformed-row", "file name is not <digit>_<speaker>_<index>.wav"), str(wav)
            )
            continue
        spk, index = m["speaker"], int(m["index"])
        if split == "official":
            name = "test" if index <= 4 else "dev" if index <= 9 else "train"
        else:
            name = assign[spk]
        builder = builders[name]
        utt = f"{spk}-{m['digit']}-{index:02d}"
        status = probe_audio(wav, check_audio, duration=check_audio == "read")
        if status.problem:
            builder.exclude(utt, status.problem, str(wav))
            continue
        word = WORDS[int(m["digit"])]
        info = meta.get(spk, {})
        language = str(info.get("language", "english")).lower()
        builder.add(
            utt,
            str(wav),
            spk,
            word.upper() if case == "upper" else word,
            gender=normalize_gender(str(info.get("gender", ""))),
            accent=meta_value(str(info.get("accent", ""))),
            lang=LANGUAGE_CODES.get(language, language),
            dur=status.duration,
        )
    return write_sets(builders, out_dir, max_bad_fraction)


def _speaker_sets(
    speakers: list[str],
    num_dev: int,
    num_test: int,
    dev: Sequence[str] | None,
    test: Sequence[str] | None,
) -> dict[str, str]:
    """``{speaker: set}`` for the speaker-disjoint split."""
    unknown = sorted((set(dev or []) | set(test or [])) - set(speakers))
    if unknown:
        raise CorpusError(f"no FSDD speaker {unknown[0]!r}; speakers are {', '.join(speakers)}")
    rest = sorted((s for s in speakers if s not in set(dev or []) | set(test or [])), key=lambda s: short_hash(s, 16))
    test = list(test) if test is not None else [rest.pop(0) for _ in range(min(num_test, len(rest)))]
    dev = list(dev) if dev is not None else [rest.pop(0) for _ in range(min(num_dev, len(rest)))]
    if set(dev) & set(test):
        raise CorpusError(f"speaker {sorted(set(dev) & set(test))[0]!r} is in both dev and test")
    if not rest:
        raise CorpusError(f"no FSDD speakers left for train ({len(speakers)} speakers in all)")
    return {s: "test" if s in test else "dev" if s in dev else "train" for s in speakers}


# ---------------------------------------------------------------------------- asrkit-prepare options
def add_arguments(p: argparse.ArgumentParser) -> None:
    """``asrkit-prepare fsdd`` options, one per :func:`prepare` keyword."""
    p.add_argument("--split", choices=["official", "speaker"], default="official",
                   help="official (FSDD's test set) or speaker (speaker-disjoint sets) (default: official)")
    p.add_argument("--num-dev-speakers", type=int, default=1, help="speaker split: dev speakers (default: 1)")
    p.add_argument("--num-test-speakers", type=int, default=1, help="speaker split: test speakers (default: 1)")
    p.add_argument("--dev-speakers", type=comma_list, help="speaker split: these dev speakers (comma-separated)")
    p.add_argument("--test-speakers", type=comma_list, help="speaker split: these test speakers (comma-separated)")
    p.add_argument("--case", choices=["upper", "lower"], default="upper", help="transcript case (default: upper)")
    add_check_arguments(p, "read")


def prepare_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of :func:`add_arguments` as :func:`prepare` keywords."""
    return {
        **keywords(args, "split", "num_dev_speakers", "num_test_speakers", "dev_speakers", "test_speakers", "case"),
        **check_options(args),
    }


download_options = no_options
