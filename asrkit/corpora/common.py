"""What every corpus preparer shares: reading manifests, checking items, writing data dirs.

A preparer streams its corpus's manifest rows, checks each item (:func:`check_audio`,
:func:`clean_text`) and hands the survivors to a :class:`SetBuilder`, one per output data
directory. Items that cannot be used are recorded with file, line and a reason from a fixed
vocabulary, so a person can grep ``<set>/excluded.txt``:

errors (counted against ``max_bad_fraction``)
    malformed-row, bad-encoding, missing-audio, unreadable-audio, empty-audio, empty-text,
    missing-text, invalid-chars, duplicate-path, duplicate-utt
filters (asked for by an option; reported, never counted as errors)
    too-short, too-long, eval-speaker, not-selected

Nothing is kept in memory per row beyond the output tables themselves.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import logging
import os
import tarfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from asrkit.progress import progress
from asrkit import audio
from asrkit.config import ConfigError
from asrkit.data.files import format_seconds
from asrkit.data.exclusions import Exclusions, TooManyExcluded
from asrkit.text.normalize import PRESETS, TextNormalizer

log = logging.getLogger(__name__)

AudioCheck = Literal["none", "exists", "read"]
AUDIO_CHECKS = ("none", "exists", "read")

#: asrkit.audio's reasons mapped to the data-prep vocabulary.
_AUDIO_REASONS = {"missing-file": "missing-audio", "empty": "empty-audio"}


class CorpusError(ValueError):
    """A corpus folder or manifest that cannot be prepared; the message says what to fix."""


# ---------------------------------------------------------------------------------------------
# Reading manifests


@dataclass
class Row:
    """One manifest record: ``fields`` as read, or ``problem`` = (reason, detail)."""

    line: int
    fields: list[str]
    problem: tuple[str, str] | None = None


def iter_rows(
    path: str | Path,
    *,
    delimiter: str = "\t",
    quoting: int = csv.QUOTE_NONE,
    escapechar: str | None = None,
    num_fields: int | None = None,
) -> Iterator[Row]:
    """Stream the records of a delimited text file, never stopping at a bad one.

    Common Voice TSVs hold sentences with unbalanced quotes, so TSVs are read with
    ``QUOTE_NONE`` (one line, one record); CSV manifests use ``QUOTE_MINIMAL`` with strict
    quoting. Lines that are not UTF-8 are decoded with replacement characters and flagged
    ``bad-encoding``; records with a ``num_fields`` mismatch or broken quoting are flagged
    ``malformed-row`` (their fields kept as far as they could be split, so a caller can
    still tell which speaker or split the record belonged to). Blank lines are skipped.
    """
    path = Path(path)
    bad_lines: dict[int, str] = {}

    def decoded(f) -> Iterator[str]:
        for lineno, raw in enumerate(f, 1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as e:
                bad_lines[lineno] = f"byte {raw[e.start]:#04x} at column {e.start + 1} is not UTF-8"
                yield raw.decode("utf-8", errors="replace")

    with open(path, "rb") as f:
        lines = decoded(f)
        reader = csv.reader(
            lines,
            delimiter=delimiter,
            quoting=quoting,
            escapechar=escapechar,
            strict=quoting != csv.QUOTE_NONE,
        )
        last = 0
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                yield Row(reader.line_num, [], ("malformed-row", f"bad quoting: {e}"))
                last = reader.line_num
                continue
            first, last = last + 1, reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            fields = [v.rstrip("\r\n") for v in fields]
            enc = next((bad_lines.pop(n) for n in range(first, last + 1) if n in bad_lines), None)
            if enc:
                yield Row(first, fields, ("bad-encoding", enc))
            elif num_fields is not None and len(fields) != num_fields:
                yield Row(
                    first,
                    fields,
                    ("malformed-row", f"{len(fields)} fields where the header has {num_fields}"),
                )
            else:
                yield Row(first, fields)


def read_header(path: str | Path, delimiter: str = "\t") -> list[str]:
    """The column names on the first line of a manifest."""
    path = Path(path)
    with open(path, "rb") as f:
        first = f.readline()
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CorpusError(f"{path} line 1: the header is not UTF-8; re-encode the file as UTF-8") from None
    columns = [c.strip() for c in text.rstrip("\r\n").split(delimiter)]
    if not any(columns):
        raise CorpusError(f"{path} line 1: empty header; the file needs a header row of column names")
    return columns


def column_index(header: list[str], path: Path, names: Iterable[str], required: bool = True) -> int | None:
    """Index of the first of ``names`` present in ``header``."""
    names = list(names)
    for name in names:
        if name in header:
            return header.index(name)
    if required:
        raise CorpusError(
            f"{path} line 1: no column {' or '.join(repr(n) for n in names)}; "
            f"the header has {', '.join(header)}"
        )
    return None


# ---------------------------------------------------------------------------------------------
# Checking items


@dataclass
class AudioStatus:
    duration: float | None = None
    problem: tuple[str, str] | None = None


def probe_audio(path: str | Path, check: AudioCheck = "exists", duration: bool = False) -> AudioStatus:
    """Is the clip usable? ``exists`` stats the file; ``read`` (or ``duration``) also opens it.

    Opening reads the header only (soundfile), which for MP3 still costs a frame scan, so
    large corpora keep the default ``exists``.
    """
    if check not in AUDIO_CHECKS:
        raise ValueError(f"audio check must be one of {', '.join(AUDIO_CHECKS)}, got {check!r}")
    spec = str(path)
    if check == "none" and not duration:
        return AudioStatus()
    if not os.path.isfile(spec):
        return AudioStatus(problem=("missing-audio", f"no file {spec}"))
    if check == "exists" and not duration:
        return AudioStatus()
    try:
        info = audio.info(spec)
    except audio.AudioError as e:
        reason = _AUDIO_REASONS.get(e.reason, "unreadable-audio")
        return AudioStatus(problem=(reason, f"{spec}: {e.detail or e.reason}"))
    if info.num_frames <= 0:
        return AudioStatus(problem=("empty-audio", f"{spec}: no audio frames"))
    return AudioStatus(duration=info.num_frames / info.sample_rate)


def clean_text(text: str, normalizer: TextNormalizer) -> tuple[str | None, tuple[str, str] | None]:
    """(normalized one-line transcript, None) or (None, (reason, detail))."""
    norm = " ".join(normalizer.normalize(text).split())
    if not norm:
        detail = "empty sentence" if not text.strip() else f"nothing left after normalization of {text!r}"
        return None, ("empty-text", detail)
    bad = normalizer.invalid_chars(norm)
    if bad:
        shown = " ".join(f"{c!r} (U+{ord(c):04X})" for c in sorted(bad))
        return None, ("invalid-chars", f"characters outside the alphabet: {shown}")
    return norm, None


def short_hash(text: str, length: int) -> str:
    """A stable hex id for ``text`` (sha1), ``length`` characters long."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


class SpeakerIds:
    """Short stable speaker ids from long ones (Common Voice client ids are 128 hex chars).

    Two different speakers with the same short id would merge silently, so a collision
    stops preparation and names a longer length to use.
    """

    def __init__(self, length: int = 12, prefix: str = ""):
        if not 4 <= length <= 40:
            raise ValueError(f"speaker id length must be within 4..40, got {length}")
        self.length = length
        self.prefix = prefix
        self._owner: dict[str, str] = {}

    def __call__(self, client_id: str) -> str:
        short = self.prefix + short_hash(client_id, self.length)
        owner = self._owner.setdefault(short, client_id)
        if owner != client_id:
            raise CorpusError(
                f"speakers {owner!r} and {client_id!r} share the short id {short}; "
                f"use a longer speaker id (--speaker-id-length {min(self.length + 4, 40)})"
            )
        return short


def normalize_gender(value: str) -> str:
    """``m``/``f`` (Kaldi's spk2gender letters) where the corpus says so, else the value."""
    v = value.strip().lower()
    if not v:
        return "unknown"
    if v in ("m", "male", "male_masculine", "man"):
        return "m"
    if v in ("f", "female", "female_feminine", "woman"):
        return "f"
    return "_".join(v.split())


def meta_value(value: str | None) -> str:
    """A metadata value for a utt2* table: one line, ``unknown`` when empty."""
    v = " ".join((value or "").split())
    return v or "unknown"


# ---------------------------------------------------------------------------------------------
# Building and writing data dirs


@dataclass
class SetSummary:
    name: str
    path: Path
    utterances: int
    speakers: int
    hours: float | None  # None when durations were not computed
    excluded: dict[str, int] = field(default_factory=dict)
    filtered: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.hours is None:
            hours = "duration not computed"
        else:
            hours = f"{self.hours:.2f} h" if self.hours >= 0.1 else f"{60 * self.hours:.1f} min"
        text = (
            f"{self.name}: {self.utterances} utterance{'s' * (self.utterances != 1)}, "
            f"{self.speakers} speaker{'s' * (self.speakers != 1)}, {hours}"
        )
        for label, counts in (("excluded", self.excluded), ("filtered", self.filtered)):
            if counts:
                parts = ", ".join(f"{reason} {n}" for reason, n in counts.items())
                text += f"; {label} {sum(counts.values())} ({parts})"
        return text


@dataclass
class PrepareResult:
    """What a ``prepare()`` wrote: one summary per data dir, by set name."""

    sets: dict[str, SetSummary]

    @property
    def data_dirs(self) -> dict[str, Path]:
        return {name: s.path for name, s in self.sets.items()}

    def __str__(self) -> str:
        return "\n".join(str(s) for s in self.sets.values())


class SetBuilder:
    """The tables of one output data dir, plus what was excluded from it and why."""

    def __init__(self, name: str, with_text: bool = True):
        self.name = name
        self.wav_scp: dict[str, str] = {}
        self.utt2spk: dict[str, str] = {}
        self.text: dict[str, str] | None = {} if with_text else None
        self.tables: dict[str, dict[str, str]] = {}
        self.bad = Exclusions()
        self.filtered = Exclusions()

    def __len__(self) -> int:
        return len(self.utt2spk)

    def __contains__(self, utt: str) -> bool:
        return utt in self.utt2spk

    @property
    def candidates(self) -> int:
        """Items this set was offered, bad ones included (the threshold's denominator)."""
        return len(self.utt2spk) + len(self.bad)

    def add(self, utt: str, wav: str, spk: str, text: str | None = None, **meta: Any) -> bool:
        """Add an utterance; ``meta`` keys become ``utt2<key>`` tables (None values skipped)."""
        if utt in self.utt2spk:
            self.bad.add(utt, "duplicate-utt", f"utterance id {utt} already used by {self.wav_scp[utt]}")
            return False
        self.wav_scp[utt] = wav
        self.utt2spk[utt] = spk
        if self.text is not None:
            if text is None:
                raise ValueError(f"{self.name}: utterance {utt} needs a transcript")
            self.text[utt] = text
        for key, value in meta.items():
            if value is not None:
                self.tables.setdefault(f"utt2{key}", {})[utt] = (
                    format_seconds(value) if isinstance(value, float) else str(value)
                )
        return True

    def exclude(self, key: str, problem: tuple[str, str], where: str) -> None:
        reason, detail = problem
        self.bad.add(key, reason, f"{where}: {detail}" if detail else where)

    def filter(self, key: str, reason: str, where: str) -> None:
        self.filtered.add(key, reason, where)

    def absorb(self, other: SetBuilder, with_problems: bool = True) -> None:
        """Add ``other``'s utterances (and, optionally, its exclusions) to this set."""
        for utt in other.utt2spk:
            if utt in self.utt2spk:
                self.bad.add(utt, "duplicate-utt", f"{other.name} and {self.name} both have {utt}")
                continue
            self.wav_scp[utt] = other.wav_scp[utt]
            self.utt2spk[utt] = other.utt2spk[utt]
            if self.text is not None:
                if other.text is None:
                    raise ValueError(f"cannot merge unlabelled {other.name} into labelled {self.name}")
                self.text[utt] = other.text[utt]
            for name, table in other.tables.items():
                if utt in table:
                    self.tables.setdefault(name, {})[utt] = table[utt]
        if with_problems:
            self.bad.extend(other.bad)
            self.filtered.extend(other.filtered)

    def hours(self) -> float | None:
        durs = self.tables.get("utt2dur")
        if durs is None or len(durs) != len(self.utt2spk):
            return None
        return sum(float(d) for d in durs.values()) / 3600

    def check(self, max_bad_fraction: float, report: Path) -> None:
        self.bad.check(self.candidates, max_bad_fraction, f"preparing {self.name}", report)

    def write(self, path: Path) -> SetSummary:
        """Write the data dir and ``excluded.txt`` (errors first, then filters)."""
        from asrkit.data import DataDir

        path = Path(path)
        tables = {name: t for name, t in self.tables.items() if len(t) == len(self.utt2spk)}
        partial = sorted(set(self.tables) - set(tables))
        if partial:
            log.warning("%s: dropped incomplete tables %s", self.name, ", ".join(partial))
        DataDir(
            wav_scp=dict(self.wav_scp),
            utt2spk=dict(self.utt2spk),
            text=None if self.text is None else dict(self.text),
            utt_tables=tables,
        ).write(path)
        report = Exclusions()
        report.extend(self.bad)
        report.extend(self.filtered)
        report.write(path / "excluded.txt")
        return SetSummary(
            name=path.name,
            path=path,
            utterances=len(self.utt2spk),
            speakers=len(set(self.utt2spk.values())),
            hours=self.hours(),
            excluded=self.bad.counts(),
            filtered=self.filtered.counts(),
        )


def write_sets(
    builders: dict[str, SetBuilder], out_dir: str | Path, max_bad_fraction: float
) -> PrepareResult:
    """Check every set against the threshold, then write them all (or none).

    All reports are written first, so when a set fails the user can read why in
    ``<out_dir>/<set>/excluded.txt`` for every set at once.
    """
    if not 0.0 <= max_bad_fraction <= 1.0:
        raise ValueError(f"max_bad_fraction must be within 0..1, got {max_bad_fraction}")
    out_dir = Path(out_dir)
    failures = []
    for name, b in builders.items():
        report = out_dir / name / "excluded.txt"
        try:
            b.check(max_bad_fraction, report)
        except TooManyExcluded as e:
            Exclusions(items=b.bad.items + b.filtered.items).write(report)
            failures.append(str(e))
    if failures:
        raise TooManyExcluded("\n".join(failures))
    result = PrepareResult({})
    for name, b in builders.items():
        if len(b) == 0:
            log.warning("%s: no utterances, not written", name)
            continue
        summary = b.write(out_dir / name)
        result.sets[name] = summary
        log.info("%s", summary)
    return result


# ---------------------------------------------------------------------------------------------
# Downloading


def download_and_extract(url: str, target: str | Path, *, what: str) -> Path:
    """Fetch ``url`` into ``target`` and unpack it there (tar or zip); skip when done before.

    A ``.<archive>.done`` marker is written only after a complete unpack (the archive is then
    deleted), so an interrupted download is fetched again. A network failure becomes a :class:`CorpusError` that says
    how to fetch the archive by hand.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    name = Path(urllib.parse.urlparse(url).path).name
    archive, marker = target / name, target / f".{name}.done"
    if marker.is_file():
        log.info("%s: already unpacked in %s (remove %s to fetch it again)", what, target, marker)
        return target
    partial = target / f".{name}.part"
    log.info("downloading %s from %s", what, url)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with progress(total=total, unit="B", unit_scale=True, desc=name) as bar:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    bar.update(len(chunk))
    except (OSError, ValueError) as e:
        partial.unlink(missing_ok=True)
        raise CorpusError(
            f"could not download {what} from {url}: {e}. Fetch it by hand (e.g. on a machine with "
            f"internet access), put {name} into {target} and unpack it there"
        ) from None
    partial.replace(archive)
    log.info("unpacking %s into %s", archive, target)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                z.extractall(target)
        else:
            with tarfile.open(archive) as t:
                t.extractall(target, filter="data")
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as e:
        raise CorpusError(f"{archive}: cannot unpack ({e}); delete it and download again") from None
    archive.unlink()  # the unpacked files are what preparation reads; the archive doubles the disk
    marker.touch()
    return target


_DURATION_UNITS = {"h": 3600.0, "min": 60.0, "m": 60.0, "s": 1.0}


def parse_duration(text: str | float) -> float:
    """Seconds from ``"10h"``, ``"1.5h"``, ``"10min"``, ``"90s"`` or a plain number of seconds."""
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        t = text.strip().lower()
        unit = next((u for u in _DURATION_UNITS if t.endswith(u) and t[: -len(u)]), "")
        try:
            seconds = float(t[: -len(unit)] if unit else t) * _DURATION_UNITS.get(unit, 1.0)
        except ValueError:
            raise ValueError(f"{text!r} is not a duration; write e.g. 10h, 1h, 10min or 600s") from None
    if seconds <= 0:
        raise ValueError(f"duration {text!r} must be positive")
    return seconds


def duration_label(text: str | float) -> str:
    """A set-name suffix for a duration: ``10h``, ``10min``, ``90s``."""
    seconds = parse_duration(text)
    for unit, size in (("h", 3600.0), ("min", 60.0)):
        if seconds >= size and (seconds / size).is_integer():
            return f"{int(seconds / size)}{unit}"
    return f"{seconds:g}s"


# ---------------------------------------------------------------------------------------------
# asrkit-prepare options that several corpora share (each module's add_arguments uses them)


def comma_list(text: str) -> list[str]:
    """``"ca, es,"`` -> ``["ca", "es"]``: a comma-separated option value."""
    return [t for t in (x.strip() for x in text.split(",")) if t]


def add_text_arguments(p: argparse.ArgumentParser, default: str) -> None:
    """``--normalizer`` and ``--alphabet``; :func:`text_options` turns them into ``normalizer``."""
    p.add_argument(
        "--normalizer",
        default=default,
        help=f"text normalization: a preset ({', '.join(PRESETS)}) or a YAML file with TextNormalizer "
        f"fields and an optional 'preset' key (default: {default})",
    )
    p.add_argument("--alphabet", help="allowed characters after normalization; sentences with others are excluded")


def add_check_arguments(p: argparse.ArgumentParser, check_audio: AudioCheck) -> None:
    """``--check-audio`` and ``--max-bad-fraction``, the keywords of the same names."""
    p.add_argument(
        "--check-audio",
        choices=AUDIO_CHECKS,
        default=check_audio,
        help=f"none, exists (stat each clip) or read (open each clip's header) (default: {check_audio})",
    )
    p.add_argument(
        "--max-bad-fraction",
        type=float,
        default=0.05,
        help="stop when more than this fraction of a set is excluded (default: 0.05)",
    )


def add_durations_argument(p: argparse.ArgumentParser, default: bool) -> None:
    p.add_argument("--durations", action=argparse.BooleanOptionalAction, default=default,
                   help=f"write utt2dur (default: {'yes' if default else 'no'})")


def add_unlabeled_text_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--unlabeled-text", action=argparse.BooleanOptionalAction, default=True,
                   help="keep transcripts in the pool (default: yes; without, validate it with --no-text)")


def normalizer_spec(value: str, alphabet: str | None) -> dict[str, Any]:
    """``--normalizer`` (preset or YAML file) and ``--alphabet`` as a TextNormalizer spec."""
    if value in PRESETS:
        spec: dict[str, Any] = {"preset": value}
    else:
        path = Path(value)
        if not path.is_file():
            raise ConfigError(f"--normalizer {value!r} is neither a preset ({', '.join(PRESETS)}) nor a YAML file")
        with open(path, encoding="utf-8") as f:
            loaded = yaml.safe_load(f) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: top level must be a mapping of TextNormalizer fields")
        spec = loaded
    if alphabet is not None:
        spec["alphabet"] = alphabet
    return spec


def keywords(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """``{name: args.<name>}``: the options that a keyword of the same name takes as they are."""
    return {name: getattr(args, name) for name in names}


def text_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ``normalizer`` keyword from the options of :func:`add_text_arguments`."""
    return {"normalizer": normalizer_spec(args.normalizer, args.alphabet)}


def check_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keywords of the options of :func:`add_check_arguments`."""
    return {"check_audio": args.check_audio, "max_bad_fraction": args.max_bad_fraction}


def no_options(args: argparse.Namespace) -> dict[str, Any]:
    """For a corpus whose ``download()`` takes no options (its ``download_options``)."""
    return {}
