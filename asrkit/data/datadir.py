"""A Kaldi data directory held in memory: read it whole, change it, write it back whole.

Files are grouped by what they are keyed on, as Kaldi's scripts treat them:

* per utterance: ``utt2spk``, ``text``, ``segments`` (own attributes) and every other
  ``utt2*``, ``feats.scp``, ``vad.scp`` (in ``utt_tables``);
* per recording: ``wav.scp`` (own attribute) and ``reco2*`` (in ``reco_tables``); without
  ``segments`` recordings *are* utterances, keyed by utterance id;
* per speaker: ``spk2*`` except ``spk2utt``, and ``cmvn.scp`` (in ``spk_tables``);
  ``spk2utt`` is always derived from ``utt2spk``, and ``spk2gender`` from ``utt2gender``
  when every speaker's utterances agree on ``m`` or ``f`` (:meth:`DataDir.spk2gender`).

Other files in the folder (``conf/``, ``split*/``, reports) are left alone.
"""

from __future__ import annotations

import copy as _copy
import logging
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from asrkit.data.files import Segment, format_segment, parse_segments, read_tables, table_kind
from asrkit.data.tables import DataDirError, TableIssue, c_sorted, utt2spk_to_spk2utt, write_table
from asrkit.data.validate import check_datadir

log = logging.getLogger(__name__)


def _recording_seconds(reco: str, reco2dur: dict[str, str], wav_scp: dict[str, str]) -> float | None:
    try:
        return float(reco2dur[reco])
    except (KeyError, ValueError):
        pass
    if reco not in wav_scp:
        return None
    from asrkit.audio import AudioError, info  # audio libraries load only when needed

    try:
        a = info(wav_scp[reco])
    except AudioError:
        return None
    return a.num_frames / a.sample_rate


@dataclass
class DataDir:
    """All tables of one data directory (see the module docstring for the grouping)."""

    utt2spk: dict[str, str] = field(default_factory=dict)
    wav_scp: dict[str, str] = field(default_factory=dict)
    text: dict[str, str] | None = None
    segments: dict[str, Segment] | None = None
    utt_tables: dict[str, dict[str, str]] = field(default_factory=dict)
    reco_tables: dict[str, dict[str, str]] = field(default_factory=dict)
    spk_tables: dict[str, dict[str, str]] = field(default_factory=dict)
    path: Path | None = field(default=None, compare=False)  # where it was read from, for messages

    # ---- reading -------------------------------------------------------------------------

    @classmethod
    def read(cls, path: str | Path, issues: list[TableIssue] | None = None) -> "DataDir":
        """Read every known table in ``path``.

        Without ``issues`` a malformed line or duplicate id raises :class:`DataDirError`
        naming file and line. With it, problems are collected, the bad lines skipped and
        the first of duplicate ids kept (what ``fix`` needs to repair a broken folder).
        """
        tables = read_tables(path, issues)
        dd = cls(path=Path(path))
        dd.utt2spk = tables.pop("utt2spk").values
        tables.pop("spk2utt", None)
        if "wav.scp" in tables:
            dd.wav_scp = tables.pop("wav.scp").values
        if "text" in tables:
            dd.text = tables.pop("text").values
        if "segments" in tables:
            dd.segments = parse_segments(tables.pop("segments"), issues)
        for name, table in tables.items():
            kind = table_kind(name)
            group = {"utt": dd.utt_tables, "reco": dd.reco_tables, "spk": dd.spk_tables}[kind]
            group[name] = table.values
        if dd.segments and any(seg.open_ended for seg in dd.segments.values()):
            dd._resolve_open_segments()
        return dd

    def _resolve_open_segments(self) -> None:
        """Give segments ending at -1 their recording's end: from ``reco2dur``, else from the
        audio header (a recording that cannot be read keeps -1; ``fix`` and the dump report it)."""
        reco2dur = self.reco_tables.get("reco2dur", {})
        ends: dict[str, float] = {}
        resolved = 0
        for utt, seg in self.segments.items():
            if not seg.open_ended:
                continue
            if seg.reco not in ends:
                end = _recording_seconds(seg.reco, reco2dur, self.wav_scp)
                if end is None:
                    continue
                ends[seg.reco] = end
            self.segments[utt] = seg._replace(end=ends[seg.reco])
            resolved += 1
        log.info("%s/segments: %d segment(s) ending at -1 now end with their recording (%d recording(s))",
                 self.path, resolved, len(ends))

    # ---- views ---------------------------------------------------------------------------

    @property
    def utts(self) -> list[str]:
        """Utterance ids in C-locale order."""
        return c_sorted(self.utt2spk)

    @property
    def spk2utt(self) -> dict[str, list[str]]:
        """``{speaker: [utterances]}``, both in C-locale order, derived from ``utt2spk``."""
        spk2utt = utt2spk_to_spk2utt({u: self.utt2spk[u] for u in self.utts})
        return {spk: spk2utt[spk] for spk in c_sorted(spk2utt)}

    @property
    def speakers(self) -> list[str]:
        return c_sorted(set(self.utt2spk.values()))

    @property
    def recordings(self) -> list[str]:
        """Recording ids of ``wav.scp`` (utterance ids when there are no segments)."""
        return c_sorted(self.wav_scp)

    def __len__(self) -> int:
        return len(self.utt2spk)

    def recording_of(self, utt: str) -> tuple[str, float, float | None]:
        """``(reco_id, start, end)``; ``end`` is None for a whole recording."""
        if utt not in self.utt2spk:
            raise KeyError(f"no utterance '{utt}' in {self.path or 'this data dir'}")
        if self.segments is not None:
            seg = self.segments[utt]
            return seg.reco, seg.start, seg.end
        return utt, 0.0, None

    def table(self, name: str) -> dict[str, str] | None:
        """Any table by its file name (``"text"``, ``"utt2dur"``, ``"reco2dur"``, ...), or None."""
        if name == "utt2spk":
            return self.utt2spk
        if name == "wav.scp":
            return self.wav_scp or None
        if name == "text":
            return self.text
        if name == "segments":
            if self.segments is None:
                return None
            return {u: format_segment(s) for u, s in self.segments.items()}
        if name == "spk2utt":
            return {s: " ".join(us) for s, us in self.spk2utt.items()}
        if name == "spk2gender":
            return self.spk2gender()
        for group in (self.utt_tables, self.reco_tables, self.spk_tables):
            if name in group:
                return group[name]
        return None

    def spk2gender(self) -> dict[str, str] | None:
        """Kaldi's ``spk2gender`` (``m``/``f`` per speaker), as Kaldi scripts and lhotse read
        gender: derived from ``utt2gender`` when it gives every speaker one of ``m``/``f``,
        else the table read from disk, if any. Kaldi wants every speaker listed (its
        fix_data_dir.sh drops the others' utterances), so a speaker of unknown or mixed
        gender means no derived table; ``utt2gender`` keeps what is known."""
        genders = self.utt_tables.get("utt2gender")
        derived: dict[str, str] | None = {} if genders else None
        for utt, spk in self.utt2spk.items() if genders else ():
            gender = genders.get(utt)
            if gender not in ("m", "f") or derived.setdefault(spk, gender) != gender:
                derived = None
                break
        return derived if derived is not None else self.spk_tables.get("spk2gender")

    def table_names(self) -> list[str]:
        """File names this data dir writes, ``utt2spk`` and ``spk2utt`` included."""
        names = ["utt2spk", "spk2utt"]
        if self.wav_scp:
            names.append("wav.scp")
        if self.text is not None:
            names.append("text")
        if self.segments is not None:
            names.append("segments")
        names += list(self.utt_tables) + list(self.reco_tables) + list(self.spk_tables)
        if "spk2gender" not in self.spk_tables and self.spk2gender() is not None:
            names.append("spk2gender")
        return names

    def durations(self) -> dict[str, float] | None:
        """Every utterance's duration in seconds from ``utt2dur`` or ``segments``.

        None when there is neither; a missing or non-numeric entry raises DataDirError.
        """
        where = self.path or "data dir"
        if "utt2dur" in self.utt_tables:
            table, out = self.utt_tables["utt2dur"], {}
            for utt in self.utt2spk:
                try:
                    out[utt] = float(table[utt])
                except (KeyError, ValueError):
                    raise DataDirError(
                        f"{where}/utt2dur: no valid duration for utterance '{utt}' "
                        f"({table.get(utt, 'missing')!r}); delete utt2dur and run utils/data/get_utt2dur.sh"
                    ) from None
            return out
        if self.segments is not None:
            missing = [u for u in self.utt2spk if u not in self.segments]
            if missing:
                raise DataDirError(f"{where}/segments: no line for utterance '{missing[0]}'; "
                                   "run utils/fix_data_dir.sh")
            return {u: self.segments[u].end - self.segments[u].start for u in self.utt2spk}
        return None

    def copy(self) -> "DataDir":
        return _copy.deepcopy(self)

    # ---- derived data dirs ---------------------------------------------------------------

    def subset(self, utts: Iterable[str], missing: str = "error") -> "DataDir":
        """The data dir restricted to ``utts``, with recordings and speaker tables to match.

        ``missing="error"`` raises on ids that are not in this dir; ``"ignore"`` skips them.
        """
        keep = set(utts)
        unknown = keep.difference(self.utt2spk)
        if unknown and missing == "error":
            some = ", ".join(repr(u) for u in c_sorted(unknown)[:5])
            raise DataDirError(
                f"{len(unknown)} requested utterance(s) are not in {self.path or 'the data dir'}: "
                f"{some}{' ...' if len(unknown) > 5 else ''}"
            )

        def keep_utts(table: dict[str, str]) -> dict[str, str]:
            return {u: v for u, v in table.items() if u in keep}

        out = DataDir(path=None)
        out.utt2spk = keep_utts(self.utt2spk)
        out.text = None if self.text is None else keep_utts(self.text)
        out.utt_tables = {name: keep_utts(t) for name, t in self.utt_tables.items()}
        if self.segments is not None:
            out.segments = {u: s for u, s in self.segments.items() if u in keep}
            recos = {s.reco for s in out.segments.values()}
        else:
            recos = keep
        out.wav_scp = {r: v for r, v in self.wav_scp.items() if r in recos}
        out.reco_tables = {
            name: {r: v for r, v in t.items() if r in recos} for name, t in self.reco_tables.items()
        }
        speakers = set(out.utt2spk.values())
        out.spk_tables = {
            name: {s: v for s, v in t.items() if s in speakers} for name, t in self.spk_tables.items()
        }
        return out

    # ---- writing -------------------------------------------------------------------------

    def write(self, path: str | Path, *, no_spk_sort: bool = False) -> Path:
        """Write every table (C-locale sorted, ``spk2utt`` regenerated) into ``path``.

        The dir is checked first (:func:`asrkit.data.validate.check_datadir`, the checks
        of Kaldi's ``validate_data_dir.sh --no-feats`` that need no audio) and nothing is
        written when it fails. Tables are staged in a hidden folder and renamed into
        place with ``utt2spk`` removed first and restored last, so an interrupted write
        leaves a folder that fails validation instead of one that mixes old and new.
        Known tables this dir does not have are removed from ``path``.
        """
        path = Path(path)
        report = check_datadir(self, where=path, no_spk_sort=no_spk_sort)
        for warning in report.warnings:
            log.warning("%s", warning)
        report.raise_if_failed(f"not writing {path}: the data dir would not be valid:")

        path.mkdir(parents=True, exist_ok=True)
        names = self.table_names()
        staging = Path(tempfile.mkdtemp(prefix=".write-", dir=path))
        try:
            for name in names:
                write_table(staging / name, self.table(name))
            for last in ("utt2spk", "spk2utt"):
                (path / last).unlink(missing_ok=True)
            for stale in path.iterdir():
                if stale.is_file() and table_kind(stale.name) and stale.name not in names:
                    stale.unlink()
            for name in [n for n in names if n not in ("utt2spk", "spk2utt")] + ["spk2utt", "utt2spk"]:
                (staging / name).replace(path / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.path = path
        return path

