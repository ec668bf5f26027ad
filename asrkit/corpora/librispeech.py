"""LibriSpeech (OpenSLR 12) into Kaldi data dirs, with Libri-light-style limited supervision.

Layout (as the OpenSLR tarballs unpack)::

    <root>/LibriSpeech/<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac
    <root>/LibriSpeech/<subset>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt
    <root>/LibriSpeech/SPEAKERS.TXT      (gender per reader)

Each subset becomes a data dir named with underscores (``dev-clean`` → ``dev_clean``).
Speaker = the reader id (LibriSpeech utterance ids already start with it), so speaker
counts and balance mean readers, not chapters. Transcripts are kept as the corpus writes
them (uppercase, apostrophes) unless another normalizer is given. Durations come from the
FLAC headers and always go to ``utt2dur``.

``limited`` builds a training set of a given duration (``10h``, ``1h``, ``10min``, ...)
from ``limited_from`` (default: every train subset present), as Libri-light does:
deterministically, with speakers interleaved over (subset, gender) groups and utterances
taken round-robin over them, so subsets, genders and speakers are balanced and the total
stays at most the request and close to it. The utterances not chosen form the
``unlabeled`` pool for SSL pretraining (with its transcripts, so that it validates like any
data dir, unless ``unlabeled_text=False``).
"""

from __future__ import annotations

import argparse
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any

from asrkit.corpora.common import (
    AudioCheck,
    CorpusError,
    PrepareResult,
    SetBuilder,
    add_check_arguments,
    add_text_arguments,
    add_unlabeled_text_argument,
    check_options,
    keywords,
    clean_text,
    comma_list,
    download_and_extract,
    duration_label,
    normalize_gender,
    parse_duration,
    probe_audio,
    short_hash,
    text_options,
    write_sets,
)
from asrkit.text.normalize import TextNormalizer

log = logging.getLogger(__name__)

URL = "https://www.openslr.org/resources/12"
SUBSETS = (
    "dev-clean",
    "dev-other",
    "test-clean",
    "test-other",
    "train-clean-100",
    "train-clean-360",
    "train-other-500",
)
#: The subsets the default download fetches (≈ 6.7 GB): enough for the 10 h recipe.
DEFAULT_DOWNLOAD = ("dev-clean", "test-clean", "train-clean-100")


def download(target: str | Path, subsets: Sequence[str] = DEFAULT_DOWNLOAD) -> Path:
    """Fetch and unpack ``subsets`` from OpenSLR into ``target``; returns ``target/LibriSpeech``."""
    unknown = [s for s in subsets if s not in SUBSETS]
    if unknown:
        raise CorpusError(f"unknown LibriSpeech subset {unknown[0]!r}; choose from {', '.join(SUBSETS)}")
    for subset in subsets:
        download_and_extract(f"{URL}/{subset}.tar.gz", target, what=f"LibriSpeech {subset}")
    return Path(target) / "LibriSpeech"


def set_name(subset: str) -> str:
    return subset.replace("-", "_")


def find_root(corpus_root: Path) -> Path:
    """The ``LibriSpeech`` folder, given it or its parent."""
    for candidate in (corpus_root, corpus_root / "LibriSpeech"):
        if candidate.is_dir() and any((candidate / s).is_dir() for s in SUBSETS):
            return candidate
    raise CorpusError(
        f"{corpus_root}: no LibriSpeech subsets ({', '.join(SUBSETS)}) here or in {corpus_root}/LibriSpeech; "
        f"download them with: asrkit-prepare librispeech --download {corpus_root}"
    )


def read_speakers(root: Path) -> dict[str, str]:
    """``{reader id: m|f}`` from SPEAKERS.TXT (``ID | SEX | SUBSET | MINUTES | NAME``)."""
    path = root / "SPEAKERS.TXT"
    if not path.is_file():
        log.warning("%s missing: gender will be 'unknown'", path)
        return {}
    genders = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(";") or not line.strip():
            continue
        fields = [f.strip() for f in line.split("|", 4)]  # names may contain '|'
        if len(fields) >= 2 and fields[0]:
            genders[fields[0]] = normalize_gender(fields[1])
    return genders


@dataclass
class Filters:
    min_duration: float | None
    max_duration: float | None

    def reason(self, duration: float) -> str | None:
        if self.min_duration is not None and duration < self.min_duration:
            return "too-short"
        if self.max_duration is not None and duration > self.max_duration:
            return "too-long"
        return None


def prepare(
    corpus_root: str | Path,
    out_dir: str | Path,
    *,
    subsets: Sequence[str] | None = None,
    limited: str | float | None = None,
    limited_from: Sequence[str] | None = None,
    unlabeled: bool = True,
    unlabeled_text: bool = True,
    min_duration: float | None = None,
    max_duration: float | None = None,
    normalizer: str | dict | TextNormalizer = "none",
    check_audio: AudioCheck = "read",
    max_bad_fraction: float = 0.05,
    seed: int = 0,
) -> PrepareResult:
    """Write LibriSpeech data dirs (see the module docstring).

    ``subsets``: subsets written as their own sets (default: all present, or with
    ``limited`` only the dev/test ones). ``limited``: duration of the limited-supervision
    set ``train_<duration>`` (e.g. ``"10h"``), drawn from ``limited_from``; ``unlabeled``
    writes the rest of those subsets as the ``unlabeled`` pool. ``min_duration`` /
    ``max_duration`` (seconds) filter the training subsets and the pool, never dev/test.
    ``seed`` varies the limited selection. ``check_audio`` is ``read`` by default because
    durations come from the FLAC headers anyway.
    """
    root = find_root(Path(corpus_root).resolve())
    present = [s for s in SUBSETS if (root / s).is_dir()]
    if subsets is None:
        subsets = [s for s in present if not s.startswith("train")] if limited else present
    if limited is not None and limited_from is None:
        limited_from = [s for s in present if s.startswith("train")]
    wanted = list(dict.fromkeys([*subsets, *(limited_from or [])]))
    missing = [s for s in wanted if s not in present]
    if missing:
        raise CorpusError(f"{root}: no subset {', '.join(missing)}; found {', '.join(present) or 'none'}")
    normalizer = TextNormalizer.from_spec(normalizer)
    filters = Filters(min_duration, max_duration)
    genders = read_speakers(root)

    scanned = {
        subset: scan_subset(root / subset, normalizer, check_audio, genders, filters, subset.startswith("train"))
        for subset in wanted
    }
    builders = {set_name(s): scanned[s] for s in subsets}
    if limited is not None:
        target = parse_duration(limited)
        source = SetBuilder("limited-source")
        for subset in limited_from:
            source.absorb(scanned[subset], with_problems=False)
        chosen = select_limited(source, target, seed)
        name = f"train_{duration_label(limited)}"
        train = SetBuilder(name)
        train.absorb(_subset(source, chosen, name, with_text=True))
        for subset in limited_from:
            train.bad.extend(scanned[subset].bad)
            train.filtered.extend(scanned[subset].filtered)
        builders[name] = train
        hours = train.hours() or 0.0
        log.info("%s: %.2f h of the %.2f h asked for, from %s", name, hours, target / 3600, ", ".join(limited_from))
        if unlabeled:
            rest = [u for u in source.utt2spk if u not in set(chosen)]
            builders["unlabeled"] = _subset(source, rest, "unlabeled", with_text=unlabeled_text)
    return write_sets(builders, out_dir, max_bad_fraction)


def scan_subset(
    subset_dir: Path,
    normalizer: TextNormalizer,
    audio_check: AudioCheck,
    genders: dict[str, str],
    filters: Filters,
    apply_filters: bool,
) -> SetBuilder:
    """All utterances of one subset, chapter by chapter."""
    builder = SetBuilder(set_name(subset_dir.name))
    for chapter_dir in sorted(p for p in subset_dir.glob("*/*") if p.is_dir()):
        spk, chapter = chapter_dir.parent.name, chapter_dir.name
        trans = chapter_dir / f"{spk}-{chapter}.trans.txt"
        flacs = {p.stem: p for p in chapter_dir.glob("*.flac")}
        listed = _read_transcripts(trans, spk, chapter, builder) if trans.is_file() else {}
        for utt in sorted(set(flacs) - set(listed)):
            builder.exclude(utt, ("missing-text", f"no line for it in {trans.name}"), str(flacs[utt]))
        for utt, (line, raw) in listed.items():
            where = f"{trans}:{line}"
            text, problem = clean_text(raw, normalizer)
            if problem:
                builder.exclude(utt, problem, where)
                continue
            flac = chapter_dir / f"{utt}.flac"
            status = probe_audio(flac, audio_check, duration=True)
            if status.problem:
                builder.exclude(utt, status.problem, where)
                continue
            reason = filters.reason(status.duration) if apply_filters else None
            if reason:
                builder.filter(utt, reason, f"{flac}: {status.duration:.2f} s")
                continue
            builder.add(utt, str(flac), spk, text, gender=genders.get(spk, "unknown"), dur=status.duration)
    return builder


def _read_transcripts(trans: Path, spk: str, chapter: str, builder: SetBuilder) -> dict[str, tuple[int, str]]:
    """``{utt: (line, text)}`` from a chapter's ``trans.txt``; bad lines go to ``builder``."""
    out: dict[str, tuple[int, str]] = {}
    prefix = f"{spk}-{chapter}-"
    with open(trans, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            where = f"{trans}:{lineno}"
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError as e:
                key = raw.split(maxsplit=1)[0].decode("ascii", "replace") if raw.strip() else f"line{lineno}"
                builder.exclude(key, ("bad-encoding", f"byte {raw[e.start]:#04x} is not UTF-8"), where)
                continue
            if not line:
                continue
            utt, _, text = line.partition(" ")
            if not utt.startswith(prefix):
                builder.exclude(utt, ("malformed-row", f"id does not start with {prefix}"), where)
            elif utt in out:
                builder.exclude(utt, ("duplicate-utt", f"listed before on line {out[utt][0]}"), where)
            else:
                out[utt] = (lineno, text)
    return out


def select_limited(source: SetBuilder, target_seconds: float, seed: int = 0) -> list[str]:
    """Utterances of ``source`` totalling at most ``target_seconds``, balanced (see module doc).

    Needs ``utt2dur`` and ``utt2gender``; the subset of an utterance is taken from its
    ``wav.scp`` path (``.../<subset>/<spk>/<chapter>/<utt>.flac``).
    """
    durs = {u: float(d) for u, d in source.tables["utt2dur"].items()}
    gender = source.tables.get("utt2gender", {})
    by_spk: dict[str, list[str]] = defaultdict(list)
    for utt, spk in source.utt2spk.items():
        by_spk[spk].append(utt)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for spk, utts in by_spk.items():
        subset = Path(source.wav_scp[utts[0]]).parents[2].name
        groups[(subset, gender.get(utts[0], "unknown"))].append(spk)

    def order(key: str) -> str:
        return short_hash(f"{seed}:{key}", 16)

    speakers = [
        spk
        for batch in zip_longest(*(sorted(groups[g], key=order) for g in sorted(groups)))
        for spk in batch
        if spk is not None
    ]
    queues = [iter(sorted(by_spk[spk], key=order)) for spk in speakers]
    shortest = min(durs.values(), default=0.0)
    chosen: list[str] = []
    total = 0.0
    # Each round gives every speaker still in play its next utterance that fits; one that
    # does not fit now never will (the total only grows), so it is skipped for good.
    while queues and total + shortest <= target_seconds:
        still = []
        for queue in queues:
            for utt in queue:
                if total + durs[utt] <= target_seconds:
                    chosen.append(utt)
                    total += durs[utt]
                    still.append(queue)
                    break
        queues = still
    if total < 0.99 * target_seconds:
        log.warning(
            "limited supervision: only %.2f h of the %.2f h asked for are available",
            total / 3600,
            target_seconds / 3600,
        )
    return chosen


def _subset(source: SetBuilder, utts: Iterable[str], name: str, with_text: bool) -> SetBuilder:
    out = SetBuilder(name, with_text=with_text)
    for utt in utts:
        meta = {t[4:]: table[utt] for t, table in source.tables.items() if utt in table}
        out.add(utt, source.wav_scp[utt], source.utt2spk[utt], source.text[utt] if with_text else None, **meta)
    return out


# ---------------------------------------------------------------------------- asrkit-prepare options
def add_arguments(p: argparse.ArgumentParser) -> None:
    """``asrkit-prepare librispeech`` options, one per :func:`prepare` keyword; ``--subsets`` also
    picks what ``--download`` fetches."""
    p.add_argument("--subsets", type=comma_list,
                   help="subsets written as sets (default: all, or dev/test with --limited); "
                   f"with --download, the subsets to fetch (default: {','.join(DEFAULT_DOWNLOAD)})")
    p.add_argument("--limited", help="limited-supervision training set of this duration, e.g. 10h, 1h, 10min")
    p.add_argument("--limited-from", type=comma_list, help="subsets to draw it from (default: the train subsets)")
    p.add_argument("--unlabeled", action=argparse.BooleanOptionalAction, default=True,
                   help="write the rest of --limited-from as the unlabeled pool (default: yes)")
    add_unlabeled_text_argument(p)
    p.add_argument("--min-duration", type=float, help="drop training utterances shorter than this (s)")
    p.add_argument("--max-duration", type=float, help="drop training utterances longer than this (s)")
    p.add_argument("--seed", type=int, default=0, help="varies the limited-supervision selection")
    add_text_arguments(p, "none")
    add_check_arguments(p, "read")


def prepare_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of :func:`add_arguments` as :func:`prepare` keywords."""
    return {
        **keywords(args, "subsets", "limited", "limited_from", "unlabeled", "unlabeled_text", "min_duration",
                   "max_duration", "seed"),
        **text_options(args),
        **check_options(args),
    }


def download_options(args: argparse.Namespace) -> dict[str, Any]:
    """``--subsets`` as :func:`download`'s keyword (without it, :data:`DEFAULT_DOWNLOAD`)."""
    return {"subsets": args.subsets} if args.subsets else {}
