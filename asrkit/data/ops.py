"""The Kaldi data-dir operations: fix, split, subset, combine, copy, speed perturb, durations.

Each works on :class:`DataDir` objects in memory and returns a new one (``split`` writes
its pieces); ``utils/*.sh`` and ``asrkit-data`` put reading and writing around them. The
semantics follow the Kaldi scripts of the same names; where asrkit differs it says so.
"""

from __future__ import annotations

import logging
import math
import random
import re
import shlex
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from asrkit.data.datadir import DataDir
from asrkit.data.exclusions import Exclusions
from asrkit.data.files import Segment, format_seconds, table_kind
from asrkit.data.tables import DataDirError, TableIssue, c_sorted
from asrkit.data.validate import RESERVED, SEGMENT_OVERSHOOT, nonprintable

log = logging.getLogger(__name__)

_ARK_OFFSET = re.compile(r"\.ark:\d+$")

# Tables that describe the signal itself and so are wrong after speed perturbation.
SIGNAL_TABLES = ("feats.scp", "vad.scp", "cmvn.scp", "utt2num_frames", "utt2num_samples",
                 "reco2num_samples")


# ---- fix -------------------------------------------------------------------------------------

class FixResult(NamedTuple):
    data: DataDir
    excluded: Exclusions
    total: int  # utterances in utt2spk before fixing


def fix_data_dir(path: str | Path) -> FixResult:
    """Read a possibly broken data dir and keep only what is consistent (``fix_data_dir.sh``).

    Dropped, each with a reason in the returned :class:`Exclusions`: unparsable and
    duplicate lines (the first of duplicate ids is kept), utterances missing from any
    per-utterance file or from ``utt2spk``, empty or non-printable transcripts or ones
    with reserved symbols, bad segments (times, unknown recording, beyond ``reco2dur``),
    non-positive durations/frame counts, speakers missing from a speaker table or with a
    gender other than m/f, and recordings left without utterances. Sorting is redone on
    write. Utterance ids that do not sort with their speakers cannot be fixed here.
    """
    path = Path(path)
    issues: list[TableIssue] = []
    dd = DataDir.read(path, issues)
    ex = Exclusions()
    for issue in issues:
        if issue.fatal:
            reason = "duplicate-id" if issue.kind == "duplicate" else "bad-line"
            ex.add(issue.key or f"{issue.path.name}:{issue.line}", reason, f"{issue.path}:{issue.line}")

    bad: dict[str, tuple[str, str]] = {}  # utt -> (reason, where), the first reason found

    def drop(utt: str, reason: str, where: str) -> None:
        bad.setdefault(utt, (reason, where))

    utts = set(dd.utt2spk)
    utt_files: dict[str, dict[str, object]] = {}
    if dd.text is not None:
        utt_files["text"] = dd.text
    if dd.segments is not None:
        utt_files["segments"] = dd.segments
    elif dd.wav_scp:
        utt_files["wav.scp"] = dd.wav_scp
        utt_files.update(dd.reco_tables)  # keyed by utterance without segments
    utt_files.update(dd.utt_tables)
    for name, table in utt_files.items():
        for utt in c_sorted(utts.difference(table)):
            drop(utt, f"missing-from-{name}", str(path / name))
        for utt in c_sorted(set(table).difference(dd.utt2spk)):
            ex.add(utt, "not-in-utt2spk", str(path / name))

    for utt, words in (dd.text or {}).items():
        if not words.strip():
            drop(utt, "empty-text", str(path / "text"))
        elif nonprintable(words):
            drop(utt, "non-printable-text", f"{path / 'text'}: {nonprintable(words)[1]}")
        elif RESERVED.search(f"{utt} {words}"):
            drop(utt, "reserved-symbol", str(path / "text"))

    for name in ("utt2dur", "utt2num_frames", "utt2num_samples"):
        for utt, value in dd.utt_tables.get(name, {}).items():
            if not _positive(value, integer=name != "utt2dur"):
                drop(utt, f"bad-{name}", f"{path / name}: '{value}'")

    reco_ok = set(dd.wav_scp)
    if dd.segments is not None:
        for name, table in dd.reco_tables.items():
            for reco in c_sorted(reco_ok.difference(table)):
                ex.add(reco, f"recording-missing-from-{name}", str(path / name))
            reco_ok &= set(table)
        reco2dur = {r: float(d) for r, d in dd.reco_tables.get("reco2dur", {}).items() if _positive(d)}
        for utt, seg in dd.segments.items():
            where = f"{path / 'segments'}: {seg.reco} {seg.start} {seg.end}"
            if seg.reco not in reco_ok:
                drop(utt, "missing-recording", where)
            elif seg.start < 0 or not seg.end > seg.start:
                drop(utt, "bad-segment", where)
            elif seg.reco in reco2dur and seg.end > reco2dur[seg.reco] + SEGMENT_OVERSHOOT:
                drop(utt, "segment-outside-recording", f"{where} > {reco2dur[seg.reco]}")

    for name, table in dd.spk_tables.items():
        for utt, spk in dd.utt2spk.items():
            if spk not in table:
                drop(utt, f"speaker-missing-from-{name}", f"{path / name}: {spk}")
            elif name == "spk2gender" and table[spk] not in ("m", "f"):
                drop(utt, "bad-spk2gender", f"{path / name}: {spk} {table[spk]}")

    for utt in c_sorted(bad):
        ex.add(utt, *bad[utt])
    keep = [u for u in dd.utt2spk if u not in bad]
    if not keep:
        raise DataDirError(f"{path}: no utterances remained after fixing:\n{ex.summary(len(dd))}")
    fixed = dd.subset(keep)
    fixed.path = path
    if dd.segments is not None:
        for reco in c_sorted(set(dd.wav_scp).difference(fixed.wav_scp)):
            ex.add(reco, "recording-without-utterances", str(path / "wav.scp"))
    return FixResult(fixed, ex, len(dd))


def _positive(value: str, integer: bool = False) -> bool:
    try:
        x = float(value)
    except ValueError:
        return False
    return x > 0 and math.isfinite(x) and (not integer or x.is_integer())


# ---- split -----------------------------------------------------------------------------------

def split_points(sizes: Sequence[int], n: int) -> list[int]:
    """Cut ``sizes`` (items in order) into ``n`` contiguous non-empty runs of similar total.

    Returns the ``n + 1`` boundaries. Each cut goes where the running total is nearest
    to ``k/n`` of the whole, as Kaldi's ``split_scp.pl --utt2spk`` balances speakers.
    """
    if n < 1 or len(sizes) < n:
        raise ValueError(f"cannot cut {len(sizes)} items into {n} non-empty pieces")
    total = sum(sizes)
    cum = [0]
    for s in sizes:
        cum.append(cum[-1] + s)
    bounds = [0]
    for k in range(1, n):
        target = total * k / n
        lo, hi = bounds[-1] + 1, len(sizes) - (n - k)  # leave one item for each later piece
        best = min(range(lo, hi + 1), key=lambda i: (abs(cum[i] - target), i))
        bounds.append(best)
    bounds.append(len(sizes))
    return bounds


def split_groups(dd: DataDir, n: int, per_utt: bool = False) -> list[list[str]]:
    """The utterance ids of each of ``n`` pieces: whole speakers unless ``per_utt``."""
    if per_utt:
        utts = dd.utts
        if len(utts) < n:
            raise DataDirError(f"cannot split {len(utts)} utterances into {n} pieces; use fewer jobs")
        b = split_points([1] * len(utts), n)
        return [utts[b[i]:b[i + 1]] for i in range(n)]
    spk2utt = dd.spk2utt
    speakers = list(spk2utt)
    if len(speakers) < n:
        raise DataDirError(
            f"cannot split {len(speakers)} speakers into {n} pieces by speaker; "
            "use fewer jobs or split per utterance (--per-utt)"
        )
    b = split_points([len(spk2utt[s]) for s in speakers], n)
    return [[u for s in speakers[b[i]:b[i + 1]] for u in spk2utt[s]] for i in range(n)]


def split_dir_name(n: int, per_utt: bool = False) -> str:
    """``split<N>`` (by speaker) or ``split<N>utt`` (per utterance), as Kaldi names them."""
    return f"split{n}utt" if per_utt else f"split{n}"


def split_data(path: str | Path, n: int, per_utt: bool = False, no_spk_sort: bool = False) -> list[Path]:
    """Write ``<path>/split<N>/<1..N>`` (``split<N>utt`` with ``per_utt``); return the dirs.

    As ``split_data.sh``: pieces hold whole speakers with balanced utterance counts, or
    near-equal utterance counts ``per_utt``; every table is split along. Pieces newer
    than the data dir's files are reused, so parallel jobs of a resumed stage agree.
    """
    path = Path(path)
    out = path / split_dir_name(n, per_utt)
    pieces = [out / str(i) for i in range(1, n + 1)]
    if _is_up_to_date(path, pieces):
        return pieces
    dd = DataDir.read(path)
    for piece_dir, utts in zip(pieces, split_groups(dd, n, per_utt)):
        dd.subset(utts).write(piece_dir, no_spk_sort=no_spk_sort)
    return pieces


def _is_up_to_date(path: Path, pieces: list[Path]) -> bool:
    sources = [f.stat().st_mtime for f in path.iterdir() if f.is_file() and table_kind(f.name)]
    try:
        oldest_piece = min((p / "utt2spk").stat().st_mtime for p in pieces)
    except FileNotFoundError:
        return False
    return bool(sources) and oldest_piece >= max(sources)


# ---- subset ----------------------------------------------------------------------------------

def _check_count(dd: DataDir, n: int, what: str = "utterances") -> None:
    have = len(dd) if what == "utterances" else len(dd.speakers)
    if n < 1 or n > have:
        raise DataDirError(f"cannot take {n} {what}: {dd.path or 'the data dir'} has {have}")


def subset_first(dd: DataDir, n: int) -> DataDir:
    """The first ``n`` utterances in sorted order (``subset_data_dir.sh --first``)."""
    _check_count(dd, n)
    return dd.subset(dd.utts[:n])


def subset_last(dd: DataDir, n: int) -> DataDir:
    """The last ``n`` utterances in sorted order (``--last``)."""
    _check_count(dd, n)
    return dd.subset(dd.utts[-n:])


def subset_random(dd: DataDir, n: int, seed: int = 0) -> DataDir:
    """``n`` utterances drawn at random, the same ones for the same ``seed``."""
    _check_count(dd, n)
    return dd.subset(random.Random(seed).sample(dd.utts, n))


def subset_speakers(dd: DataDir, n: int, seed: int = 0) -> DataDir:
    """Whole speakers drawn at random until at least ``n`` utterances (``--speakers``)."""
    _check_count(dd, n)
    spk2utt = dd.spk2utt
    speakers = list(spk2utt)
    random.Random(seed).shuffle(speakers)
    chosen: list[str] = []
    for spk in speakers:
        if len(chosen) >= n:
            break
        chosen += spk2utt[spk]
    return dd.subset(chosen)


def subset_shortest(dd: DataDir, n: int) -> DataDir:
    """The ``n`` shortest utterances (``--shortest``); durations are measured if unknown."""
    _check_count(dd, n)
    durations = ensure_durations(dd)
    return dd.subset(sorted(dd.utts, key=lambda u: (durations[u], u))[:n])


def duration_order(dd: DataDir, utts: Iterable[str], seed: int = 0, salt: str = "") -> list[str]:
    """``utts`` in a seeded, speaker-balanced order: speakers in a shuffled order take turns,
    each giving its next utterance (its own utterances shuffled too), until all are used.

    The order depends only on ``seed``, ``salt`` and the utterances with their speakers, so
    every prefix of it is a subset of every longer prefix.
    """
    rng = random.Random(f"asrkit-duration-order:{seed}:{salt}")
    by_speaker: dict[str, list[str]] = {}
    for utt in c_sorted(utts):
        by_speaker.setdefault(dd.utt2spk[utt], []).append(utt)
    speakers = c_sorted(by_speaker)
    rng.shuffle(speakers)
    queues = []
    for spk in speakers:
        mine = by_speaker[spk]
        rng.shuffle(mine)
        queues.append(mine)
    order = []
    for turn in range(max(map(len, queues), default=0)):
        order += [q[turn] for q in queues if turn < len(q)]
    return order


def subset_by_duration(dd: DataDir, minutes: float, group_by: str | None = None,
                       seed: int = 0) -> DataDir:
    """``minutes`` of speech from each group of ``group_by`` (a per-utterance table such as
    ``utt2lang``; None: the whole dir), the shortest prefix of :func:`duration_order` that
    reaches it, so a group ends at most one utterance past ``minutes``.

    Made for label-scarce training sets: for one ``seed``, a smaller amount is a subset
    of a larger one, and every speaker gets a turn before any speaker gets a second.
    Durations come from ``utt2dur`` or ``segments``, else the audio. A group holding less
    than ``minutes`` is an error naming it and what it holds.
    """
    if not minutes > 0:
        raise DataDirError(f"minutes must be positive, got {minutes:g}")
    where = dd.path or "the data dir"
    if group_by is None:
        groups = {"": dd.utts}
    elif group_by not in dd.utt_tables:
        raise DataDirError(f"{where} has no {group_by} to group by; give another table or none")
    else:
        groups = {}
        for utt in dd.utts:
            groups.setdefault(dd.utt_tables[group_by][utt], []).append(utt)
    durations = ensure_durations(dd)
    chosen, short = [], []
    for group in c_sorted(groups):
        total = 0.0
        for utt in duration_order(dd, groups[group], seed, group):
            if total >= 60 * minutes:
                break
            chosen.append(utt)
            total += durations[utt]
        if total < 60 * minutes:
            short.append(f"{group or 'the dir'} holds {total / 60:.2f} min in {len(groups[group])} utterances")
    if short:
        per = f" of each {group_by.removeprefix('utt2')}" if group_by else ""
        raise DataDirError(f"cannot take {minutes:g} min{per} from {where}: " + "; ".join(short))
    return dd.subset(chosen)


def subset_utt_list(dd: DataDir, utts: Iterable[str], source: str = "the list") -> DataDir:
    """The listed utterances (``--utt-list``); ids not in the dir are logged and skipped."""
    utts = list(utts)
    unknown = [u for u in utts if u not in dd.utt2spk]
    if unknown:
        log.warning("%d id(s) of %s are not in %s and were skipped, e.g. %s",
                    len(unknown), source, dd.path or "the data dir", ", ".join(unknown[:3]))
    return dd.subset(utts, missing="ignore")


def subset_spk_list(dd: DataDir, speakers: Iterable[str], source: str = "the list") -> DataDir:
    """Every utterance of the listed speakers (``--spk-list``)."""
    speakers = set(speakers)
    unknown = speakers.difference(dd.utt2spk.values())
    if unknown:
        log.warning("%d speaker(s) of %s are not in %s and were skipped, e.g. %s",
                    len(unknown), source, dd.path or "the data dir", ", ".join(c_sorted(unknown)[:3]))
    return dd.subset(u for u, s in dd.utt2spk.items() if s in speakers)


# ---- speakers shared between sets -------------------------------------------------------------

def shared_speakers(dd: DataDir, others: Sequence[DataDir]) -> dict[str, list[str]]:
    """The speakers ``dd`` shares with each of ``others`` (by their path), where it shares any.

    A pretraining pool or training set that holds a dev or test speaker makes the scores
    on that set optimistic; recipes check with this before training.
    """
    mine = set(dd.utt2spk.values())
    shared = {}
    for i, other in enumerate(others):
        common = mine.intersection(other.utt2spk.values())
        if common:
            shared[str(other.path or f"set {i + 1}")] = c_sorted(common)
    return shared


# ---- combine ---------------------------------------------------------------------------------

def combine(dds: Sequence[DataDir]) -> DataDir:
    """One data dir from several (``combine_data.sh``); a repeated utterance id is an error.

    A table that only some sources have is left out, with a warning, as Kaldi does. If
    only some sources have ``segments``, the others get one whole-recording segment per
    utterance (durations from ``utt2dur``/``reco2dur`` or the audio). A recording or
    speaker that appears in several sources must have the same values in each.
    """
    if not dds:
        raise DataDirError("combine: no source data dirs given")
    names = [str(d.path or f"source {i + 1}") for i, d in enumerate(dds)]
    any_segments = any(d.segments is not None for d in dds)
    if any_segments:
        dds = [d if d.segments is not None else _with_whole_segments(d) for d in dds]
    out = DataDir()
    _merge(out.utt2spk, [d.utt2spk for d in dds], names, "utt2spk", duplicates="error")
    out.wav_scp = {}
    _merge(out.wav_scp, [d.wav_scp for d in dds], names, "wav.scp",
           duplicates="same" if any_segments else "error")
    if all(d.text is not None for d in dds):
        out.text = {}
        _merge(out.text, [d.text for d in dds], names, "text", duplicates="error")
    elif any(d.text is not None for d in dds):
        log.warning("combine: not every source has text; the combined dir has none")
    if any_segments:
        out.segments = {}
        _merge(out.segments, [d.segments for d in dds], names, "segments", duplicates="error")
    for group in ("utt_tables", "reco_tables", "spk_tables"):
        merged = getattr(out, group)
        all_names = {n for d in dds for n in getattr(d, group)}
        for name in c_sorted(all_names):
            tables = [getattr(d, group).get(name) for d in dds]
            if any(t is None for t in tables):
                lacking = [nm for nm, t in zip(names, tables) if t is None]
                log.warning("combine: %s is missing from %s; the combined dir has no %s",
                            name, ", ".join(lacking), name)
                continue
            merged[name] = {}
            _merge(merged[name], tables, names, name, duplicates="error" if group == "utt_tables" else "same")
    return out


def _merge(dst: dict, sources: list[dict], names: list[str], file: str, duplicates: str) -> None:
    origin: dict[str, int] = {}
    for i, table in enumerate(sources):
        for key, value in table.items():
            if key in dst and (duplicates == "error" or dst[key] != value):
                why = "appears in both" if duplicates == "error" else "has different values in"
                raise DataDirError(
                    f"combine: id '{key}' of {file} {why} {names[origin[key]]} and {names[i]}; "
                    "give one source other ids first (utils/copy_data_dir.sh --utt-prefix ...)"
                )
            dst[key] = value
            origin.setdefault(key, i)


def _with_whole_segments(dd: DataDir) -> DataDir:
    """``dd`` with one segment per utterance covering its whole recording."""
    out = dd.copy()
    durations = ensure_durations(dd)
    out.segments = {u: Segment(u, 0.0, float(format_seconds(durations[u]))) for u in dd.utt2spk}
    if "reco2dur" not in out.reco_tables:
        out.reco_tables["reco2dur"] = {u: format_seconds(durations[u]) for u in dd.utt2spk}
    out.utt_tables.setdefault("utt2dur", {u: format_seconds(d) for u, d in durations.items()})
    return out


# ---- copy with new ids -----------------------------------------------------------------------

def copy_data_dir(dd: DataDir, *, utt_prefix: str = "", utt_suffix: str = "",
                  spk_prefix: str = "", spk_suffix: str = "") -> DataDir:
    """The same data under new utterance and speaker ids (``copy_data_dir.sh``).

    Recording ids stay as they are when there are ``segments``; without them recordings
    are utterances and get the utterance ids.
    """
    def utt_map(u: str) -> str:
        return f"{utt_prefix}{u}{utt_suffix}"

    def spk_map(s: str) -> str:
        return f"{spk_prefix}{s}{spk_suffix}"

    return _rename(dd, utt_map, spk_map, utt_map if dd.segments is None else (lambda r: r))


def _rename(dd: DataDir, utt_map, spk_map, reco_map, drop: Sequence[str] = ()) -> DataDir:
    def keys(table: dict, f) -> dict:
        return {f(k): v for k, v in table.items()}

    out = DataDir()
    out.utt2spk = {utt_map(u): spk_map(s) for u, s in dd.utt2spk.items()}
    out.text = None if dd.text is None else keys(dd.text, utt_map)
    if dd.segments is not None:
        out.segments = {utt_map(u): s._replace(reco=reco_map(s.reco)) for u, s in dd.segments.items()}
    out.wav_scp = keys(dd.wav_scp, reco_map)
    out.utt_tables = {n: keys(t, utt_map) for n, t in dd.utt_tables.items() if n not in drop}
    out.reco_tables = {n: keys(t, reco_map) for n, t in dd.reco_tables.items() if n not in drop}
    out.spk_tables = {n: keys(t, spk_map) for n, t in dd.spk_tables.items() if n not in drop}
    return out


# ---- speed perturbation ----------------------------------------------------------------------

def factor_label(factor: float | str) -> str:
    """``0.9`` -> ``"0.9"``, ``1.0`` -> ``"1.0"``: the factor as it appears in ids (``sp0.9-``)."""
    x = float(factor)
    if not (x > 0 and math.isfinite(x)):
        raise DataDirError(f"speed factor must be a positive number, got '{factor}'")
    return str(factor) if isinstance(factor, str) else repr(x)


def speed_pipe(spec: str, factor: str) -> str:
    """The wav.scp value reading ``spec`` sped up by ``factor`` (a path or a pipe)."""
    # by name, as Kaldi writes sox: asrkit.audio finds asrkit's tools next to the interpreter
    tool = f"asrkit-speed {factor}"
    spec = spec.strip()
    if spec.endswith("|"):
        return f"{spec} {tool} - |"
    if _ARK_OFFSET.search(spec):
        raise DataDirError(f"wav.scp entry '{spec}' points into an ark file, which speed perturbation "
                           "cannot read; extract the audio to files (or a 'wav-copy ... - |' pipe) first")
    return f"{tool} {shlex.quote(spec)} |"


def speed_perturb(dd: DataDir, factor: float | str) -> DataDir:
    """A speed-perturbed copy (``perturb_data_dir_speed.sh``): ids get ``sp<factor>-``.

    ``wav.scp`` becomes a pipe through ``asrkit-speed`` (:mod:`asrkit.data.speed`); segment
    times, ``utt2dur`` and ``reco2dur`` are divided by ``factor`` (durations are measured first when
    missing); ``utt2uniq`` maps each new id to its original; features and sample counts
    (:data:`SIGNAL_TABLES`) are dropped, as they no longer match the audio.
    """
    label = factor_label(factor)
    x = float(label)
    prefix = f"sp{label}-"
    src = dd.copy()
    if "utt2dur" not in src.utt_tables:
        src.utt_tables["utt2dur"] = {u: format_seconds(d) for u, d in ensure_durations(dd).items()}
    dropped = [n for n in SIGNAL_TABLES if n in src.utt_tables or n in src.reco_tables or n in src.spk_tables]
    if dropped:
        log.info("speed perturbation drops %s (they describe the unperturbed signal)", ", ".join(dropped))

    def add(name: str) -> str:
        return prefix + name

    out = _rename(src, add, add, add, drop=SIGNAL_TABLES)
    out.wav_scp = {r: speed_pipe(spec, label) for r, spec in out.wav_scp.items()}
    if out.segments is not None:
        out.segments = {u: Segment(s.reco, s.start / x, s.end / x) for u, s in out.segments.items()}
    for group, name in ((out.utt_tables, "utt2dur"), (out.reco_tables, "reco2dur")):
        if name in group:
            group[name] = {k: format_seconds(float(d) / x) for k, d in group[name].items()}
    original = dd.utt_tables.get("utt2uniq", {u: u for u in dd.utt2spk})
    out.utt_tables["utt2uniq"] = {add(u): original[u] for u in dd.utt2spk}
    return out


# ---- durations -------------------------------------------------------------------------------

def measure_durations(dd: DataDir) -> tuple[dict[str, float], Exclusions]:
    """Utterance durations in seconds from the audio (``get_utt2dur.sh``).

    With ``segments`` they are the segment lengths; otherwise each recording's header
    (or a pipe's output) is read. Audio that cannot be read is returned as exclusions
    with :class:`asrkit.audio.AudioError`'s reason.
    """
    from asrkit.audio import AudioError, info  # audio libraries load only here: table tools start fast
    from asrkit.progress import progress

    ex = Exclusions()
    if dd.segments is not None:
        return {u: s.end - s.start for u, s in dd.segments.items()}, ex
    out = {}
    for utt in progress(dd.utts, desc="utt2dur", unit="utt", disable=len(dd) < 1000, file=sys.stderr):
        spec = dd.wav_scp.get(utt)
        if spec is None:
            ex.add(utt, "missing-from-wav.scp", str(dd.path or ""))
            continue
        try:
            a = info(spec)
        except AudioError as e:
            ex.add(utt, e.reason, e.detail or spec)
            continue
        out[utt] = a.num_frames / a.sample_rate
    return out, ex


def ensure_durations(dd: DataDir) -> dict[str, float]:
    """Known durations, measured when missing; unreadable audio stops with the list."""
    durations = dd.durations()
    if durations is not None:
        return durations
    durations, ex = measure_durations(dd)
    if ex:
        first = "\n".join(f"  {e.key}: {e.reason} ({e.where})" for e in ex.items[:5])
        raise DataDirError(
            f"{dd.path or 'data dir'}: cannot measure the duration of {len(ex)} utterance(s):\n{first}\n"
            "fix the audio, or drop them with utils/filter_data_dir_by_duration.sh (which excludes "
            "unreadable audio)"
        )
    return durations


def add_utt2dur(dd: DataDir) -> DataDir:
    """``dd`` with an ``utt2dur`` table (measured when it has none)."""
    out = dd.copy()
    if "utt2dur" not in out.utt_tables:
        out.utt_tables["utt2dur"] = {u: format_seconds(d) for u, d in ensure_durations(dd).items()}
    return out


def filter_by_duration(dd: DataDir, min_dur: float | None = None,
                       max_dur: float | None = None) -> tuple[DataDir, Exclusions]:
    """Keep utterances with ``min_dur <= duration <= max_dur`` seconds.

    Durations come from ``utt2dur`` or ``segments``, else from the audio; utterances
    whose audio cannot be read are excluded too. The result carries ``utt2dur``.
    """
    if min_dur is not None and max_dur is not None and min_dur > max_dur:
        raise DataDirError(f"minimum duration {min_dur} s is above the maximum {max_dur} s")
    durations = dd.durations()
    ex = Exclusions()
    if durations is None:
        durations, ex = measure_durations(dd)
    keep = []
    for utt in dd.utts:
        d = durations.get(utt)
        if d is None:
            continue
        if min_dur is not None and d < min_dur:
            ex.add(utt, "too-short", f"{d:.3f} s < {min_dur} s")
        elif max_dur is not None and d > max_dur:
            ex.add(utt, "too-long", f"{d:.3f} s > {max_dur} s")
        else:
            keep.append(utt)
    if not keep:
        raise DataDirError(
            f"{dd.path or 'data dir'}: no utterance is within the duration limits "
            f"[{min_dur}, {max_dur}] s:\n{ex.summary(len(dd))}"
        )
    out = dd.subset(keep)
    out.utt_tables.setdefault("utt2dur", {u: format_seconds(durations[u]) for u in keep})
    return out, ex


def backup_tables(path: str | Path) -> Path:
    """Copy a data dir's tables to ``<path>/.backup`` (what ``fix_data_dir.sh`` keeps)."""
    path = Path(path)
    backup = path / ".backup"
    backup.mkdir(exist_ok=True)
    for f in path.iterdir():
        if f.is_file() and table_kind(f.name):
            (backup / f.name).write_bytes(f.read_bytes())
    return backup

