"""Any corpus given as a folder of audio + transcripts, or as a TSV/CSV manifest.

Folder: every audio file under ``corpus_root`` (``.wav .flac .mp3 .ogg .opus``, searched
recursively) with its transcript in a same-named ``.txt`` file next to it.

Manifest: ``corpus_root`` is a delimited text file, one utterance per row, with columns for
the audio path, the transcript and optionally the speaker. With a header, columns are found
by name (``path``/``file``/``audio``/``wav``, ``text``/``sentence``/``transcript``,
``speaker``/``client_id``/``spk``); without one, by position (path, text), or name them
with ``path_column`` etc. (a header name or a 0-based index). Relative paths are taken from
``audio_dir`` (default: the manifest's folder), and ``audio_ext`` is appended to paths
without a suffix, so LJSpeech's ``metadata.csv`` works as
``--delimiter '|' --audio-dir wavs --audio-ext .wav``.

Speaker: the manifest's speaker column; else ``speaker="utt"`` (each utterance its own
speaker, Kaldi's convention when speakers are unknown), ``"dir"`` (the audio file's folder
name) or any other word as one speaker for all. Utterance id: the path relative to the
corpus (or audio) folder without suffix, ``/`` replaced by ``-``, prefixed by the speaker
when it does not already start with it.
"""

from __future__ import annotations

import argparse
import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asrkit.corpora.common import (
    AudioCheck,
    CorpusError,
    PrepareResult,
    SetBuilder,
    add_check_arguments,
    add_durations_argument,
    add_text_arguments,
    check_options,
    keywords,
    clean_text,
    iter_rows,
    no_options,
    probe_audio,
    text_options,
    write_sets,
)
from asrkit.text.normalize import TextNormalizer

log = logging.getLogger(__name__)

AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".opus")
_PATH_NAMES = ("path", "file", "audio", "wav", "filename", "audio_path")
_TEXT_NAMES = ("text", "sentence", "transcript", "transcription", "normalized_text")
_SPEAKER_NAMES = ("speaker", "client_id", "spk", "speaker_id")
_QUOTING = {"none": csv.QUOTE_NONE, "csv": csv.QUOTE_MINIMAL}


def download(target: str | Path) -> None:
    raise CorpusError(
        "the generic preparer has nothing to download: point it at a folder of audio files with "
        "same-named .txt transcripts, or at a TSV/CSV manifest (path, text[, speaker])"
    )


@dataclass
class Item:
    """One utterance as the corpus describes it, before checks."""

    audio: Path
    rel: str  # path relative to the corpus, for the utterance id
    text: str | None
    speaker: str | None
    where: str
    problem: tuple[str, str] | None = None


def prepare(
    corpus_root: str | Path,
    out_dir: str | Path,
    *,
    name: str = "all",
    delimiter: str | None = None,
    quoting: str | None = None,
    header: bool | None = None,
    path_column: str | int | None = None,
    text_column: str | int | None = None,
    speaker_column: str | int | None = None,
    speaker: str = "utt",
    audio_dir: str | Path | None = None,
    audio_ext: str = "",
    normalizer: str | dict | TextNormalizer = "none",
    check_audio: AudioCheck = "read",
    durations: bool = True,
    max_bad_fraction: float = 0.05,
) -> PrepareResult:
    """Write one data dir ``out_dir/<name>`` (see the module docstring).

    ``delimiter``: default tab for ``.tsv``, ``|`` when the first line has one and no tab,
    else comma. ``quoting``: ``none`` (default for tab and ``|``: quotes are text) or
    ``csv`` (default for comma: RFC 4180 quoting).
    """
    root = Path(corpus_root).resolve()
    if root.is_dir():
        items = _folder_items(root)
    elif root.is_file():
        items = _manifest_items(
            root, delimiter, quoting, header, path_column, text_column, speaker_column, audio_dir, audio_ext
        )
    else:
        raise CorpusError(f"{root}: no such folder or manifest file")
    normalizer = TextNormalizer.from_spec(normalizer)
    builder = SetBuilder(name)
    seen: dict[Path, str] = {}
    for item in items:
        utt = _id_of(item.rel)
        spk = item.speaker or _speaker_of(item, speaker)
        if utt != spk and not utt.startswith((f"{spk}-", f"{spk}_")):
            utt = f"{spk}-{utt}"
        if item.problem:
            builder.exclude(utt, item.problem, item.where)
            continue
        if item.audio in seen:
            builder.exclude(utt, ("duplicate-path", f"{item.audio} is listed before ({seen[item.audio]})"), item.where)
            continue
        seen[item.audio] = item.where
        text, problem = clean_text(item.text or "", normalizer)
        if problem:
            builder.exclude(utt, problem, item.where)
            continue
        status = probe_audio(item.audio, check_audio, durations)
        if status.problem:
            builder.exclude(utt, status.problem, item.where)
            continue
        builder.add(utt, str(item.audio), spk, text, dur=status.duration)
    if len(builder) == 0 and len(builder.bad) == 0:
        raise CorpusError(f"{root}: no utterances found")
    return write_sets({name: builder}, out_dir, max_bad_fraction)


def _id_of(rel: str) -> str:
    """``a/b c/d.wav`` -> ``a-b-c-d``: a Kaldi id (no spaces) that keeps the folder path."""
    stem = rel.rsplit(".", 1)[0] if Path(rel).suffix else rel
    return "-".join("-".join(stem.replace("\\", "/").split("/")).split())


def _speaker_of(item: Item, rule: str) -> str:
    if rule == "utt":
        return _id_of(item.rel)
    if rule == "dir":
        return "-".join(item.audio.parent.name.split()) or "unknown"
    return rule


def _folder_items(root: Path) -> Iterator[Item]:
    audio = sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file())
    if not audio:
        raise CorpusError(f"{root}: no audio files ({' '.join(AUDIO_EXTENSIONS)}) in this folder")
    for path in audio:
        rel = path.relative_to(root).as_posix()
        txt = path.with_suffix(".txt")
        if not txt.is_file():
            yield Item(path, rel, None, None, str(path), ("missing-text", f"no transcript file {txt.name}"))
            continue
        try:
            text = txt.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as e:
            yield Item(path, rel, None, None, str(txt), ("bad-encoding", f"byte at offset {e.start} is not UTF-8"))
            continue
        yield Item(path, rel, text, None, str(txt))


def _column(spec: str | int | None, names: tuple[str, ...], header: list[str] | None, default: int | None,
            manifest: Path, what: str) -> int | None:
    if spec is None:
        if header is None:
            return default
        return next((header.index(n) for n in names if n in header), default if what != "speaker" else None)
    if isinstance(spec, int) or str(spec).isdigit():
        return int(spec)
    if header is None or spec not in header:
        raise CorpusError(f"{manifest}: no {what} column named {spec!r}" + (f"; columns: {', '.join(header)}" if header else " (the file has no header; give a 0-based index)"))
    return header.index(spec)


def _manifest_items(
    manifest: Path,
    delimiter: str | None,
    quoting: str | None,
    header: bool | None,
    path_column: str | int | None,
    text_column: str | int | None,
    speaker_column: str | int | None,
    audio_dir: str | Path | None,
    audio_ext: str,
) -> Iterator[Item]:
    with open(manifest, "rb") as f:
        first = f.readline().decode("utf-8-sig", errors="replace").rstrip("\r\n")
    if delimiter is None:
        delimiter = "\t" if manifest.suffix == ".tsv" or "\t" in first else "|" if "|" in first else ","
    if quoting is None:
        quoting = "csv" if delimiter == "," else "none"
    if quoting not in _QUOTING:
        raise CorpusError(f"quoting must be 'none' or 'csv', got {quoting!r}")
    first_fields = next(csv.reader([first], delimiter=delimiter, quoting=_QUOTING[quoting]), [])
    names = [c.strip().lower() for c in first_fields]
    if header is None:
        header = any(n in _PATH_NAMES for n in names) and any(n in _TEXT_NAMES for n in names)
    cols = names if header else None
    c_path = _column(path_column, _PATH_NAMES, cols, 0, manifest, "path")
    c_text = _column(text_column, _TEXT_NAMES, cols, 1, manifest, "text")
    c_spk = _column(speaker_column, _SPEAKER_NAMES, cols, None, manifest, "speaker")
    if c_path is None or c_text is None:
        raise CorpusError(
            f"{manifest} line 1: cannot tell the path and text columns in the header {first_fields}; "
            f"name them with --path-column and --text-column"
        )
    base = Path(audio_dir) if audio_dir is not None else Path(".")
    base = base if base.is_absolute() else (manifest.parent / base).resolve()
    needed = max(c for c in (c_path, c_text, c_spk) if c is not None) + 1
    for row in iter_rows(manifest, delimiter=delimiter, quoting=_QUOTING[quoting], num_fields=len(names) if header else None):
        if header and row.line == 1:
            continue
        where = f"{manifest}:{row.line}"
        fields = row.fields
        rel = fields[c_path].strip() if len(fields) > c_path else f"line{row.line}"
        if rel and not Path(rel).suffix and audio_ext:
            rel += audio_ext if audio_ext.startswith(".") else f".{audio_ext}"
        problem = row.problem
        if not problem and len(fields) < needed:
            problem = ("malformed-row", f"{len(fields)} fields, the columns in use need {needed}")
        if not problem and not rel:
            problem = ("malformed-row", "empty path")
        spk = fields[c_spk].strip() if c_spk is not None and len(fields) > c_spk else None
        audio = Path(rel) if Path(rel).is_absolute() else base / rel
        yield Item(
            audio,
            rel,
            fields[c_text] if len(fields) > c_text else None,
            "-".join(spk.split()) if spk else None,
            where,
            problem,
        )


# ---------------------------------------------------------------------------- asrkit-prepare options
def _column_option(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``asrkit-prepare generic`` options, one per :func:`prepare` keyword."""
    p.add_argument("--name", default="all", help="name of the data dir written (default: all)")
    p.add_argument("--delimiter", help="manifest field separator (default: from the file)")
    p.add_argument("--quoting", choices=list(_QUOTING), help="manifest quoting (default: csv for commas)")
    p.add_argument("--header", action=argparse.BooleanOptionalAction, default=None,
                   help="the manifest has a header row (default: detected)")
    p.add_argument("--path-column", type=_column_option, help="header name or 0-based index")
    p.add_argument("--text-column", type=_column_option, help="header name or 0-based index")
    p.add_argument("--speaker-column", type=_column_option, help="header name or 0-based index")
    p.add_argument("--speaker", default="utt", help="without a speaker column: utt, dir, or one speaker id")
    p.add_argument("--audio-dir", help="folder relative manifest paths start from (default: the manifest's)")
    p.add_argument("--audio-ext", default="", help="suffix added to manifest paths without one, e.g. .wav")
    add_durations_argument(p, default=True)
    add_text_arguments(p, "none")
    add_check_arguments(p, "read")


def prepare_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of :func:`add_arguments` as :func:`prepare` keywords."""
    return {
        **keywords(args, "name", "delimiter", "quoting", "header", "path_column", "text_column", "speaker_column",
                   "speaker", "audio_dir", "audio_ext", "durations"),
        **text_options(args),
        **check_options(args),
    }


download_options = no_options
