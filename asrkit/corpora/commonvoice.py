"""Mozilla Common Voice, any locale and release, into Kaldi data dirs.

Layout (one folder per locale, as the release tarballs unpack)::

    <root>/<locale>/clips/*.mp3
    <root>/<locale>/{validated,train,dev,test,other,invalidated}.tsv

``corpus_root`` is either a release folder holding locale folders or one locale folder.
TSV columns are found by name: ``client_id``, ``path`` and ``sentence`` are required;
``age``, ``gender``, ``accents`` (``accent`` up to release 6.1) and ``locale`` are used when
present. Clips stay MP3 at their own rate: ``wav.scp`` names the files, which soundfile
decodes, and stage 2 resamples.

Sets written (``out_dir/<set>``):

``train``, ``dev``, ``test``
    From the release's ``<split>.tsv`` files, or, when the release has only
    ``validated.tsv`` (``split_mode="speaker"``, chosen automatically then), from a
    speaker-disjoint split of it made here: speakers in order of (number of clips, hash of
    client id) fill ``test`` then ``dev`` up to their fraction of the clips, the rest is
    ``train``. Common Voice's own splits also put its many few-clip speakers into dev/test.
    Any other tsv name (``validated``, ``other``, ...) may be asked for as a split, too.
``unlabeled``
    The pool for SSL pretraining, from the sources in ``unlabeled``: ``train`` (the
    labelled training clips), ``rest`` (validated clips in no labelled split), ``other``
    (``other.tsv``, clips not yet validated). Clips of dev/test speakers are never in it.
    It keeps the transcripts (clips whose sentence is unusable are excluded) so that it
    validates like any data dir; ``unlabeled_text=False`` keeps every clip and writes no
    ``text`` (validate it with ``--no-text``).
``<set>_<locale>``
    With several locales, the labelled sets also per locale (the combined sets carry
    ``utt2lang``), for per-language scoring.

Ids: speaker = 12 hex characters of the hash of ``client_id`` (stable across releases and
locales; collisions stop the run), utterance = ``<speaker>-<clip stem>``. Metadata go to
``utt2gender`` (m/f/other/unknown), ``utt2age``, ``utt2accent``, ``utt2lang`` and ``utt2dur``:
from the MP3 headers with ``durations=True``, else from the release's ``clip_durations.tsv``
where it has one (Common Voice 14 and later).
"""

from __future__ import annotations

import argparse
import logging
import os
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asrkit.corpora.common import (
    AudioCheck,
    CorpusError,
    PrepareResult,
    SetBuilder,
    SpeakerIds,
    add_check_arguments,
    add_durations_argument,
    add_text_arguments,
    add_unlabeled_text_argument,
    check_options,
    keywords,
    clean_text,
    column_index,
    comma_list,
    iter_rows,
    meta_value,
    no_options,
    normalize_gender,
    probe_audio,
    read_header,
    short_hash,
    text_options,
    write_sets,
)
from asrkit.data.files import format_seconds
from asrkit.text.normalize import TextNormalizer

log = logging.getLogger(__name__)

URL = "https://commonvoice.mozilla.org/en/datasets"
OWN_SPLITS = ("train", "dev", "test")
UNLABELED_SOURCES = ("train", "rest", "other")


def download(target: str | Path) -> None:
    """Common Voice needs a login (email + terms of use), so no download happens here."""
    raise CorpusError(
        f"Common Voice cannot be downloaded without accepting its terms: get the release for "
        f"your locale(s) from {URL}, then unpack it so that it reads\n"
        f"  {Path(target)}/cv-corpus-<version>/<locale>/validated.tsv, train.tsv, dev.tsv, "
        f"test.tsv, other.tsv\n"
        f"  {Path(target)}/cv-corpus-<version>/<locale>/clips/*.mp3\n"
        f"and prepare it with: asrkit-prepare commonvoice {Path(target)}/cv-corpus-<version> "
        f"data --locales <locale>"
    )


@dataclass
class Columns:
    """Where each field of a Common Voice TSV is, looked up by name in its header."""

    num_fields: int
    client_id: int
    path: int
    sentence: int | None
    age: int | None
    gender: int | None
    accent: int | None

    @classmethod
    def of(cls, tsv: Path, need_sentence: bool) -> Columns:
        header = read_header(tsv)
        return cls(
            num_fields=len(header),
            client_id=column_index(header, tsv, ["client_id"]),
            path=column_index(header, tsv, ["path"]),
            sentence=column_index(header, tsv, ["sentence"], required=need_sentence),
            age=column_index(header, tsv, ["age"], required=False),
            gender=column_index(header, tsv, ["gender"], required=False),
            accent=column_index(header, tsv, ["accents", "accent"], required=False),
        )

    def get(self, fields: list[str], index: int | None) -> str:
        return fields[index] if index is not None and index < len(fields) else ""


@dataclass
class Options:
    normalizer: TextNormalizer
    check_audio: AudioCheck
    durations: bool
    speakers: SpeakerIds


def locale_dirs(corpus_root: Path, locales: Sequence[str] | None) -> dict[str, Path]:
    """``{locale: folder}``: ``corpus_root`` itself when it holds TSVs, else its subfolders."""
    if not corpus_root.is_dir():
        raise CorpusError(f"{corpus_root}: no such folder; pass the Common Voice release (or locale) folder")
    if any(corpus_root.glob("*.tsv")):
        name = corpus_root.name
        if locales and (len(locales) > 1 or locales[0] != name):
            raise CorpusError(
                f"{corpus_root} is the folder of locale {name!r}; to prepare {', '.join(locales)} "
                f"pass the release folder that holds the locale folders"
            )
        return {name: corpus_root}
    found = sorted(d.name for d in corpus_root.iterdir() if d.is_dir() and any(d.glob("*.tsv")))
    if not found:
        raise CorpusError(
            f"{corpus_root}: no Common Voice TSVs here or in its subfolders; expected "
            f"<root>/<locale>/validated.tsv (see asrkit-prepare commonvoice --download)"
        )
    if not locales:
        return {loc: corpus_root / loc for loc in found}
    missing = [loc for loc in locales if loc not in found]
    if missing:
        raise CorpusError(
            f"{corpus_root}: no locale folder for {', '.join(missing)}; found {', '.join(found)}"
        )
    return {loc: corpus_root / loc for loc in locales}


def prepare(
    corpus_root: str | Path,
    out_dir: str | Path,
    *,
    locales: Sequence[str] | None = None,
    splits: Sequence[str] = OWN_SPLITS,
    split_mode: str = "auto",
    dev_fraction: float = 0.1,
    test_fraction: float = 0.1,
    unlabeled: Sequence[str] = UNLABELED_SOURCES,
    unlabeled_text: bool = True,
    normalizer: str | dict | TextNormalizer = "default",
    check_audio: AudioCheck = "exists",
    durations: bool = False,
    max_bad_fraction: float = 0.05,
    speaker_id_length: int = 12,
) -> PrepareResult:
    """Write ``out_dir/<set>`` data dirs for Common Voice (see the module docstring).

    ``splits``: labelled sets to write. ``split_mode``: ``official`` (the release's
    ``<split>.tsv``), ``speaker`` (own speaker-disjoint split of ``validated.tsv`` with
    ``dev_fraction``/``test_fraction`` of the clips) or ``auto`` (official when every split's
    tsv exists). ``unlabeled``: pool sources (empty: no pool). ``normalizer``: preset name,
    mapping or :class:`TextNormalizer` applied to sentences (its ``alphabet`` excludes
    sentences with other characters). ``check_audio``: ``none``, ``exists`` or ``read``
    (open every clip: finds unreadable and empty ones; slow on MP3). ``durations``: write
    ``utt2dur`` (opens every clip). A set with more than ``max_bad_fraction`` of its clips
    excluded stops the run (:class:`asrkit.data.exclusions.TooManyExcluded`). Without
    ``durations``, ``utt2dur`` still comes from ``clip_durations.tsv`` when the release has it.
    """
    corpus_root = Path(corpus_root).resolve()
    dirs = locale_dirs(corpus_root, locales)
    splits = list(dict.fromkeys(splits))
    bad_sources = sorted(set(unlabeled) - set(UNLABELED_SOURCES))
    if bad_sources:
        raise CorpusError(
            f"unknown unlabeled source {bad_sources[0]!r}; choose from {', '.join(UNLABELED_SOURCES)}"
        )
    if "unlabeled" in splits:
        raise CorpusError("'unlabeled' is the pool's name, not a split; use the unlabeled option")
    opts = Options(
        normalizer=TextNormalizer.from_spec(normalizer),
        check_audio=check_audio,
        durations=durations,
        speakers=SpeakerIds(speaker_id_length),
    )
    multi = len(dirs) > 1
    builders: dict[str, SetBuilder] = {}
    labelled: dict[str, dict[str, SetBuilder]] = {}
    modes: dict[str, str] = {}
    split_of: dict[str, str] = {}  # client id -> own split, shared by all locales
    for loc, loc_dir in dirs.items():
        modes[loc] = _split_mode(loc_dir, splits, split_mode)
        log.info("Common Voice %s: %s splits %s from %s", loc, modes[loc], ", ".join(splits), loc_dir)
        labelled[loc] = _prepare_locale_splits(
            loc, loc_dir, splits, modes[loc], (dev_fraction, test_fraction), split_of, opts
        )
        for split, b in labelled[loc].items():
            builders[f"{split}_{loc}" if multi else split] = b
    # A client id is one person in every locale: keep all dev/test speakers out of the pool.
    eval_speakers = {
        spk for sets in labelled.values() for split, b in sets.items() if split != "train"
        for spk in b.utt2spk.values()
    }
    eval_speakers |= {opts.speakers(c) for c, s in split_of.items() if s != "train"}
    pools = [
        _unlabeled_pool(
            loc, loc_dir, labelled[loc], unlabeled, unlabeled_text, eval_speakers, modes[loc] == "speaker", opts
        )
        for loc, loc_dir in dirs.items()
        if unlabeled
    ]
    if not durations:
        for i, (loc, loc_dir) in enumerate(dirs.items()):
            _durations_from_release(loc_dir, [*labelled[loc].values(), *pools[i : i + 1]])
    if multi:
        for split in splits:
            combined = SetBuilder(split)
            for loc in dirs:
                combined.absorb(builders[f"{split}_{loc}"], with_problems=False)
            builders[split] = combined
        _warn_shared_speakers(builders, splits)
    if pools:
        pool = SetBuilder("unlabeled", with_text=unlabeled_text)
        for p in pools:
            pool.absorb(p)
        builders["unlabeled"] = pool
    return write_sets(builders, out_dir, max_bad_fraction)


def _split_mode(loc_dir: Path, splits: Sequence[str], requested: str) -> str:
    missing = [s for s in splits if not (loc_dir / f"{s}.tsv").is_file()]
    if requested not in ("auto", "official", "speaker"):
        raise CorpusError(f"split mode must be auto, official or speaker, got {requested!r}")
    if requested == "official" or (requested == "auto" and not missing):
        if missing:
            raise CorpusError(
                f"{loc_dir}: no {', '.join(s + '.tsv' for s in missing)}; this release has "
                f"{', '.join(sorted(p.name for p in loc_dir.glob('*.tsv')))}. Use split mode "
                f"'speaker' to split validated.tsv by speaker here"
            )
        return "official"
    extra = [s for s in splits if s not in OWN_SPLITS]
    if extra:
        raise CorpusError(
            f"{loc_dir}: split {extra[0]!r} has no {extra[0]}.tsv, and a speaker split makes only "
            f"{', '.join(OWN_SPLITS)}"
        )
    if not (loc_dir / "validated.tsv").is_file():
        raise CorpusError(f"{loc_dir}: no validated.tsv to split by speaker (and no {missing[0]}.tsv)")
    return "speaker"


def _prepare_locale_splits(
    loc: str,
    loc_dir: Path,
    splits: Sequence[str],
    mode: str,
    fractions: tuple[float, float],
    split_of: dict[str, str],
    opts: Options,
) -> dict[str, SetBuilder]:
    """The labelled sets of one locale; evaluation splits first, so a clip listed twice
    stays in dev/test and is excluded from train."""
    order = sorted(splits, key=lambda s: (s == "train", s))
    builders = {s: SetBuilder(s) for s in splits}
    seen: set[str] = set()
    if mode == "official":
        for split in order:
            tsv = loc_dir / f"{split}.tsv"
            _read_tsv(tsv, loc, loc_dir, lambda _c, b=builders[split]: b, seen, opts, labelled=True)
    else:
        tsv = loc_dir / "validated.tsv"
        _assign_speakers(tsv, fractions, split_of, requested=splits)

        def route(client_id: str) -> SetBuilder | None:
            return builders.get(split_of.get(client_id, "train"))

        _read_tsv(tsv, loc, loc_dir, route, seen, opts, labelled=True)
    for split, b in builders.items():
        if not len(b) and not len(b.bad):
            log.warning("Common Voice %s: split %s has no clips", loc, split)
    return builders


def _assign_speakers(
    tsv: Path, fractions: tuple[float, float], split_of: dict[str, str], requested: Sequence[str]
) -> None:
    """Speaker-disjoint train/dev/test from ``validated.tsv`` (deterministic).

    Speakers already placed (another locale, same client id) keep their split and count
    towards this locale's targets.
    """
    dev_fraction, test_fraction = fractions
    if not (0 <= dev_fraction < 1 and 0 <= test_fraction < 1 and dev_fraction + test_fraction < 1):
        raise CorpusError(
            f"dev and test fractions must be >= 0 with a sum below 1, got {dev_fraction} and {test_fraction}"
        )
    header = read_header(tsv)
    client_col = column_index(header, tsv, ["client_id"])
    clips: Counter[str] = Counter()
    for row in iter_rows(tsv):
        if row.line > 1 and len(row.fields) > client_col:
            clips[row.fields[client_col]] += 1
    total = sum(clips.values())
    targets = {
        "test": test_fraction * total if "test" in requested else 0.0,
        "dev": dev_fraction * total if "dev" in requested else 0.0,
    }
    filled = Counter({s: 0 for s in OWN_SPLITS})
    for client, n in clips.items():
        if client in split_of:
            filled[split_of[client]] += n
    free = sorted((n, short_hash(c, 16), c) for c, n in clips.items() if c not in split_of)
    needed = sum(1 for t in targets.values() if t > 0) + ("train" in requested)
    if len(free) < needed and any(filled[s] < targets[s] for s in targets):
        raise CorpusError(
            f"{tsv}: {len(free)} speakers cannot make {needed} speaker-disjoint sets; "
            f"prepare only train, or use a release with more speakers"
        )
    for n, _, client in free:
        for split in ("test", "dev"):
            if filled[split] < targets[split]:
                split_of[client] = split
                break
        else:
            split_of[client] = "train"
        filled[split_of[client]] += n


def _read_tsv(
    tsv: Path,
    loc: str,
    loc_dir: Path,
    route: Callable[[str], SetBuilder | None],
    seen: set[str],
    opts: Options,
    labelled: bool,
    skip: Collection[str] = (),
    eval_speakers: Collection[str] = (),
) -> None:
    """Stream one TSV into the builders ``route(client_id)`` picks (None: skip the row).

    ``seen``: clip paths read before (a repeat is a duplicate); ``skip``: clip paths that
    are accounted for elsewhere; ``eval_speakers``: speakers whose clips are filtered out.
    """
    cols = Columns.of(tsv, need_sentence=labelled)
    clips_dir = f"{loc_dir / 'clips'}{os.sep}"  # plain strings: pathlib per row costs more than the row
    for row in iter_rows(tsv, num_fields=cols.num_fields):
        if row.line == 1:
            continue
        where = f"{tsv}:{row.line}"
        client_id = cols.get(row.fields, cols.client_id)
        clip = cols.get(row.fields, cols.path)
        builder = route(client_id)
        if builder is None or clip in skip:
            continue
        key = clip or f"line{row.line}"
        if row.problem:
            builder.exclude(key, row.problem, where)
            continue
        if not client_id or not clip:
            builder.exclude(key, ("malformed-row", "empty client_id or path"), where)
            continue
        spk = opts.speakers(client_id)
        utt = f"{spk}-{os.path.splitext(os.path.basename(clip))[0]}"
        if spk in eval_speakers:
            builder.filter(utt, "eval-speaker", where)
            continue
        if clip in seen:
            builder.exclude(utt, ("duplicate-path", f"{clip} is listed earlier"), where)
            continue
        seen.add(clip)
        text = None
        if builder.text is not None:
            text, problem = clean_text(cols.get(row.fields, cols.sentence), opts.normalizer)
            if problem:
                builder.exclude(utt, problem, where)
                continue
        wav = clips_dir + clip
        status = probe_audio(wav, opts.check_audio, opts.durations)
        if status.problem:
            builder.exclude(utt, status.problem, where)
            continue
        builder.add(
            utt,
            wav,
            spk,
            text,
            gender=normalize_gender(cols.get(row.fields, cols.gender)),
            age=meta_value(cols.get(row.fields, cols.age)),
            accent=meta_value(cols.get(row.fields, cols.accent)),
            lang=loc,
            dur=status.duration,
        )


def _unlabeled_pool(
    loc: str,
    loc_dir: Path,
    labelled: dict[str, SetBuilder],
    sources: Iterable[str],
    with_text: bool,
    eval_speakers: set[str],
    speaker_split: bool,
    opts: Options,
) -> SetBuilder:
    pool = SetBuilder(f"unlabeled_{loc}", with_text=with_text)
    if "train" in sources and "train" in labelled:
        pool.absorb(labelled["train"], with_problems=False)
    # The labelled sets' clips are accounted for there, and not duplicates here.
    labelled_clips = {os.path.basename(wav) for b in labelled.values() for wav in b.wav_scp.values()}
    seen: set[str] = set()
    for source, tsv_name in (("rest", "validated.tsv"), ("other", "other.tsv")):
        tsv = loc_dir / tsv_name
        if source not in sources:
            continue
        if source == "rest" and speaker_split:
            continue  # the speaker split used every validated clip
        if not tsv.is_file():
            log.info("Common Voice %s: no %s, so no %s clips in the pool", loc, tsv_name, source)
            continue
        _read_tsv(
            tsv,
            loc,
            loc_dir,
            lambda _c: pool,
            seen,
            opts,
            labelled=with_text,
            skip=labelled_clips,
            eval_speakers=eval_speakers,
        )
    return pool


def _durations_from_release(loc_dir: Path, builders: list[SetBuilder]) -> None:
    """``utt2dur`` from the release's ``clip_durations.tsv`` (Common Voice 14 and later).

    Free where it exists, unlike opening every MP3; only kept clips are looked up.
    """
    tsv = loc_dir / "clip_durations.tsv"
    if not tsv.is_file():
        return
    header = read_header(tsv)
    clip_col = column_index(header, tsv, ["clip", "path"])
    ms_col = column_index(header, tsv, ["duration[ms]", "duration"])
    wanted: dict[str, list[tuple[SetBuilder, str]]] = {}
    for b in builders:
        for utt, wav in b.wav_scp.items():
            wanted.setdefault(os.path.basename(wav), []).append((b, utt))
    found = 0
    for row in iter_rows(tsv, num_fields=len(header)):
        if row.line == 1 or row.problem or row.fields[clip_col] not in wanted:
            continue
        try:
            seconds = float(row.fields[ms_col]) / 1000
        except ValueError:
            continue
        for b, utt in wanted.pop(row.fields[clip_col]):
            b.tables.setdefault("utt2dur", {})[utt] = format_seconds(seconds)
            found += 1
    if wanted:
        log.warning("%s: no duration for %d kept clips (e.g. %s); utt2dur is left out where incomplete",
                    tsv, len(wanted), next(iter(wanted)))
    log.info("%s: durations of %d utterances", tsv, found)


def _warn_shared_speakers(builders: dict[str, SetBuilder], splits: Sequence[str]) -> None:
    """Across locales a client id can be in train for one language and test for another."""
    if "train" not in builders:
        return
    train = set(builders["train"].utt2spk.values())
    for split in splits:
        if split != "train":
            shared = train & set(builders[split].utt2spk.values())
            if shared:
                log.warning(
                    "%d speakers of %s are also in train (another locale's split); "
                    "use split mode 'speaker' for speaker-disjoint multilingual sets",
                    len(shared),
                    split,
                )


# ---------------------------------------------------------------------------- asrkit-prepare options
def _sources(text: str) -> list[str]:
    return [] if text.strip() in ("", "none") else comma_list(text)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``asrkit-prepare commonvoice`` options, one per :func:`prepare` keyword."""
    p.add_argument("--locales", type=comma_list, help="comma-separated locales (default: every locale folder)")
    p.add_argument("--splits", type=comma_list, default=list(OWN_SPLITS),
                   help=f"labelled sets (default: {','.join(OWN_SPLITS)})")
    p.add_argument("--split-mode", choices=["auto", "official", "speaker"], default="auto")
    p.add_argument("--dev-fraction", type=float, default=0.1, help="speaker split: share of clips for dev")
    p.add_argument("--test-fraction", type=float, default=0.1, help="speaker split: share of clips for test")
    p.add_argument(
        "--unlabeled",
        type=_sources,
        default=list(UNLABELED_SOURCES),
        help=f"pool sources, comma-separated from {','.join(UNLABELED_SOURCES)}, or 'none' "
        f"(default: {','.join(UNLABELED_SOURCES)})",
    )
    add_unlabeled_text_argument(p)
    add_durations_argument(p, default=False)
    p.add_argument("--speaker-id-length", type=int, default=12)
    add_text_arguments(p, "default")
    add_check_arguments(p, "exists")


def prepare_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of :func:`add_arguments` as :func:`prepare` keywords."""
    return {
        **keywords(args, "locales", "splits", "split_mode", "dev_fraction", "test_fraction", "unlabeled",
                   "unlabeled_text", "durations", "speaker_id_length"),
        **text_options(args),
        **check_options(args),
    }


download_options = no_options
