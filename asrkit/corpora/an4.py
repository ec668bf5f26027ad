"""CMU AN4 (census): 16 kHz read alphanumerics, 948 training and 130 test utterances.

Layout (Sphinx; the CMU tarball unpacks it as ``an4/``)::

    <root>/etc/an4_train.fileids          an4_clstk/<spk>/<id>          (one per line, no extension)
    <root>/etc/an4_train.transcription    <s> WORDS </s> (<id>)
    <root>/etc/an4_test.fileids           an4test_clstk/<spk>/<id>
    <root>/etc/an4_test.transcription     WORDS (<id>)
    <root>/wav/<fileid>.wav  or  <root>/wav/<fileid>.sph   (NIST SPHERE, read by soundfile)

``<id>`` is ``<prefix>-<speaker>-<suffix>`` (``an251-fash-b``); the speaker's first letter is
the gender (``f``/``m``). Utterance ids put the speaker first, as ESPnet's an4 recipe does
(``fash-an251-b``), so Kaldi's sort order keeps each speaker's utterances together.

Transcripts are kept as the corpus writes them, minus ``<s>``/``</s>`` and the ``(<id>)``:
uppercase words, spelled letters as single letters (``P I T T S B U R G H``), numbers as
words (``FIFTY ONE``), as ESPnet's ``local/data_prep.py`` does.

Sets: ``test`` is the test list; ``dev`` holds out whole training speakers (in a fixed
hash order) until they have ``dev_fraction`` of the training list's utterances, at least
one speaker (ESPnet holds out the first 100 of 948 utterances, which splits a speaker;
0.1 gives 8 speakers and about 100 utterances on the full release, 1 speaker on a
6-speaker sample); ``train`` is the rest.

The two lists of a set are matched by id. An id in only one of them is excluded as
``id-mismatch`` (its ``excluded.txt`` line says which file lacks it), besides the
reasons of :mod:`asrkit.corpora.common`.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asrkit.corpora.common import (
    AudioCheck,
    CorpusError,
    PrepareResult,
    SetBuilder,
    add_check_arguments,
    add_text_arguments,
    check_options,
    clean_text,
    comma_list,
    download_and_extract,
    keywords,
    no_options,
    probe_audio,
    short_hash,
    text_options,
    write_sets,
)
from asrkit.text.normalize import TextNormalizer

URL = "http://www.speech.cs.cmu.edu/databases/an4/an4_sphere.tar.gz"
LISTS = ("train", "test")
AUDIO_EXTENSIONS = (".wav", ".sph")
_ID = re.compile(r"(?P<prefix>[^-\s]+)-(?P<speaker>[^-\s]+)-(?P<suffix>[^-\s]+)")
_TRANSCRIPT = re.compile(r"(?P<words>.*?)\s*\((?P<id>[^()\s]+)\)\s*")
_GENDERS = {"f": "f", "m": "m"}


def download(target: str | Path) -> Path:
    """Fetch and unpack CMU's ``an4_sphere.tar.gz`` (64 MB, NIST SPHERE); returns ``target/an4``."""
    download_and_extract(URL, target, what="AN4")
    return Path(target) / "an4"


def find_root(corpus_root: Path) -> Path:
    for candidate in (corpus_root, corpus_root / "an4"):
        if (candidate / "etc" / "an4_train.fileids").is_file():
            return candidate
    raise CorpusError(
        f"{corpus_root}: no etc/an4_train.fileids here or in {corpus_root}/an4; expected the Sphinx "
        f"layout etc/an4_{{train,test}}.{{fileids,transcription}} + wav/ "
        f"(asrkit-prepare an4 --download {corpus_root} fetches it)"
    )


def utterance_id(sphinx_id: str) -> str | None:
    """``an251-fash-b`` -> ``fash-an251-b`` (speaker first), or None when it is not of that form."""
    m = _ID.fullmatch(sphinx_id)
    return f"{m['speaker']}-{m['prefix']}-{m['suffix']}" if m else None


def speaker_of(sphinx_id: str) -> str:
    return _ID.fullmatch(sphinx_id)["speaker"]


def gender_of(speaker: str) -> str:
    return _GENDERS.get(speaker[:1].lower(), "unknown")


def strip_markers(words: str) -> str:
    """The words of a transcription line without Sphinx's sentence markers ``<s>``/``</s>``."""
    tokens = words.split()
    if tokens[:1] == ["<s>"]:
        tokens = tokens[1:]
    if tokens[-1:] == ["</s>"]:
        tokens = tokens[:-1]
    return " ".join(tokens)


@dataclass
class Listed:
    """One id of a list file: where it is, and the fileid path or the transcript."""

    line: int
    value: str


class SphinxList:
    """A set's ``.fileids`` and ``.transcription`` read into ``{id: Listed}``; bad lines kept aside."""

    def __init__(self, etc: Path, name: str):
        self.fileids_path = etc / f"an4_{name}.fileids"
        self.transcription_path = etc / f"an4_{name}.transcription"
        for path in (self.fileids_path, self.transcription_path):
            if not path.is_file():
                raise CorpusError(f"{path} is missing; AN4's Sphinx layout has both .fileids and .transcription")
        self.problems: list[tuple[str, tuple[str, str], str]] = []  # (key, (reason, detail), where)
        self.fileids = self._read(self.fileids_path, self._fileid)
        self.transcripts = self._read(self.transcription_path, self._transcript)

    @staticmethod
    def _fileid(line: str) -> tuple[str, str] | None:
        return Path(line).name, line

    @staticmethod
    def _transcript(line: str) -> tuple[str, str] | None:
        m = _TRANSCRIPT.fullmatch(line)
        return (m["id"], strip_markers(m["words"])) if m else None

    def _read(self, path: Path, parse) -> dict[str, Listed]:
        out: dict[str, Listed] = {}
        with open(path, "rb") as f:
            for lineno, raw in enumerate(f, 1):
                where = f"{path}:{lineno}"
                try:
                    line = raw.decode("utf-8").strip()
                except UnicodeDecodeError as e:
                    self.problems.append((f"line{lineno}", ("bad-encoding", f"byte {raw[e.start]:#04x} is not UTF-8"),
                                          where))
                    continue
                if not line:
                    continue
                parsed = parse(line)
                if parsed is None or not _ID.fullmatch(parsed[0]):
                    self.problems.append((line, ("malformed-row", "no <prefix>-<speaker>-<suffix> id"), where))
                    continue
                sphinx_id, value = parsed
                if sphinx_id in out:
                    self.problems.append((utterance_id(sphinx_id),
                                          ("duplicate-utt", f"listed before on line {out[sphinx_id].line}"), where))
                    continue
                out[sphinx_id] = Listed(lineno, value)
        return out

    def ids(self) -> list[str]:
        """Every well-formed id of either file: the fileids' order, then transcript-only ids."""
        return list(self.fileids) + [i for i in self.transcripts if i not in self.fileids]

    def mismatch(self, sphinx_id: str) -> tuple[tuple[str, str], str] | None:
        """``((reason, detail), where)`` when only one of the two files lists ``sphinx_id``."""
        if sphinx_id not in self.transcripts:
            where = f"{self.fileids_path}:{self.fileids[sphinx_id].line}"
            return ("id-mismatch", f"no ({sphinx_id}) line in {self.transcription_path.name}"), where
        if sphinx_id not in self.fileids:
            where = f"{self.transcription_path}:{self.transcripts[sphinx_id].line}"
            return ("id-mismatch", f"not listed in {self.fileids_path.name}"), where
        return None


def audio_path(wav_dir: Path, fileid: str) -> Path:
    """``wav/<fileid>.wav``, else ``.sph``; the ``.wav`` name when neither exists (reported missing)."""
    for ext in AUDIO_EXTENSIONS:
        path = wav_dir / f"{fileid}{ext}"
        if path.is_file():
            return path
    return wav_dir / f"{fileid}{AUDIO_EXTENSIONS[0]}"


def prepare(
    corpus_root: str | Path,
    out_dir: str | Path,
    *,
    dev_fraction: float = 0.1,
    dev_speakers: Sequence[str] | None = None,
    normalizer: str | dict | TextNormalizer = "none",
    check_audio: AudioCheck = "read",
    max_bad_fraction: float = 0.05,
) -> PrepareResult:
    """Write ``train``, ``dev`` and ``test`` (see the module docstring); ``dev_speakers`` names
    the held-out speakers instead of ``dev_fraction``."""
    if not 0.0 <= dev_fraction < 1.0:
        raise CorpusError(f"dev_fraction must be within [0, 1), got {dev_fraction}")
    root = find_root(Path(corpus_root).resolve())
    normalizer = TextNormalizer.from_spec(normalizer)
    lists = {name: SphinxList(root / "etc", name) for name in LISTS}
    dev = dev_speaker_set(lists["train"], dev_fraction, dev_speakers)
    builders = {name: SetBuilder(name) for name in ("train", "dev", "test")}
    for name, sphinx in lists.items():
        for key, problem, where in sphinx.problems:
            builders[name].exclude(key, problem, where)
        for sphinx_id in sphinx.ids():
            spk = speaker_of(sphinx_id)
            builder = builders["dev" if name == "train" and spk in dev else name]
            add_utterance(builder, sphinx, sphinx_id, root / "wav", normalizer, check_audio)
    return write_sets(builders, out_dir, max_bad_fraction)


def add_utterance(
    builder: SetBuilder,
    sphinx: SphinxList,
    sphinx_id: str,
    wav_dir: Path,
    normalizer: TextNormalizer,
    check_audio: AudioCheck,
) -> None:
    """Check one id of ``sphinx`` and add it to ``builder`` or exclude it there, saying why."""
    utt = utterance_id(sphinx_id)
    mismatch = sphinx.mismatch(sphinx_id)
    if mismatch:
        builder.exclude(utt, *mismatch)
        return
    listed = sphinx.transcripts[sphinx_id]
    where = f"{sphinx.transcription_path}:{listed.line}"
    text, problem = clean_text(listed.value, normalizer)
    if problem:
        builder.exclude(utt, problem, where)
        return
    path = audio_path(wav_dir, sphinx.fileids[sphinx_id].value)
    status = probe_audio(path, check_audio, duration=check_audio == "read")
    if status.problem:
        reason, detail = status.problem
        if reason == "unreadable-audio" and path.suffix == ".sph":
            detail += " (a shorten-compressed SPHERE file needs converting to WAV: sph2pipe -f wav)"
        builder.exclude(utt, (reason, detail), f"{sphinx.fileids_path}:{sphinx.fileids[sphinx_id].line}")
        return
    spk = speaker_of(sphinx_id)
    builder.add(utt, str(path), spk, text, gender=gender_of(spk), dur=status.duration)


def dev_speaker_set(train: SphinxList, dev_fraction: float, dev_speakers: Sequence[str] | None) -> set[str]:
    """The training speakers held out as dev: ``dev_speakers``, or speakers in hash order until
    their listed utterances reach ``dev_fraction`` of the list (at least one when > 0)."""
    counts: dict[str, int] = {}
    for sphinx_id in train.ids():
        counts[speaker_of(sphinx_id)] = counts.get(speaker_of(sphinx_id), 0) + 1
    if dev_speakers is not None:
        unknown = sorted(set(dev_speakers) - set(counts))
        if unknown:
            raise CorpusError(f"no AN4 training speaker {unknown[0]!r}; speakers are {', '.join(sorted(counts))}")
        chosen = set(dev_speakers)
    else:
        chosen, held = set(), 0
        target = dev_fraction * sum(counts.values())
        for spk in sorted(counts, key=lambda s: short_hash(s, 16)):
            if dev_fraction == 0 or (chosen and held >= target):
                break
            chosen.add(spk)
            held += counts[spk]
    if chosen and chosen >= set(counts):
        raise CorpusError(
            f"the dev speakers ({', '.join(sorted(chosen))}) are every training speaker; "
            f"hold out fewer (a smaller --dev-fraction, or --dev-speakers)"
        )
    return chosen


# ---------------------------------------------------------------------------- asrkit-prepare options
def add_arguments(p: argparse.ArgumentParser) -> None:
    """``asrkit-prepare an4`` options, one per :func:`prepare` keyword."""
    p.add_argument("--dev-fraction", type=float, default=0.1,
                   help="hold out whole training speakers with this share of its utterances as dev "
                   "(at least one speaker; default: 0.1)")
    p.add_argument("--dev-speakers", type=comma_list,
                   help="hold out these training speakers as dev instead (comma-separated)")
    add_text_arguments(p, "none")
    add_check_arguments(p, "read")


def prepare_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of :func:`add_arguments` as :func:`prepare` keywords."""
    return {**keywords(args, "dev_fraction", "dev_speakers"), **text_options(args), **check_options(args)}


download_options = no_options
