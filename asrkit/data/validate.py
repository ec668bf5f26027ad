"""Data directory checks: those of Kaldi's ``utils/validate_data_dir.sh``, and a few more.

Kaldi's checks (sorted unique ids, ``utt2spk`` also sorted by speaker, ``spk2utt`` in
agreement, the same utterance list in every per-utterance file, ``segments`` times and
recordings, ``spk2gender`` values, positive durations, no ``<s> </s> #0`` in text) are
all here. On top of them: every ``utt2*``/``spk2*``/``reco2*`` table must cover exactly
the utterances/speakers/recordings, transcripts must not be empty or contain
non-printable characters, segment ends must lie inside ``reco2dur``, and plain
``wav.scp`` paths must exist. Every problem names the file, line and id and says how to
fix it; the report keeps the first few of each kind and counts the rest.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from asrkit.data.files import Segment, parse_segments, read_tables, table_kind
from asrkit.data.tables import DataDirError, Table, TableIssue, c_sorted, check_key

if TYPE_CHECKING:  # DataDir.write calls check_datadir: a run-time import would be a circle
    from asrkit.data.datadir import DataDir

RESERVED_WORDS = ("<s>", "</s>", "#0")
# What Kaldi's ``grep -w`` finds: a reserved symbol not touching [A-Za-z0-9_] on either side.
_SPACE = re.compile(r"\s")
RESERVED = re.compile(r"(?<![A-Za-z0-9_])(<s>|</s>|#0)(?![A-Za-z0-9_])")
# Seconds a segment may end after reco2dur before it is an error; as asrkit.audio.MAX_OVERSHOOT
# and Kaldi's extract-segments --max-overshoot, a segment ending within it is cut at the end.
SEGMENT_OVERSHOOT = 0.5
MAX_PER_KIND = 5  # problems of one kind listed before the rest are only counted
_FIX = "run utils/fix_data_dir.sh to drop it"


@dataclass
class Problem:
    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass
class Report:
    """What validation found. ``ok`` when there are no errors; warnings never fail."""

    path: str
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    _counts: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, problem: Problem, kind: str, *, warning: bool = False) -> None:
        """Record ``problem``; past ``MAX_PER_KIND`` of one kind only a count is kept."""
        n = self._counts.get((problem.file, kind), 0) + 1
        self._counts[(problem.file, kind)] = n
        target = self.warnings if warning else self.errors
        if n <= MAX_PER_KIND:
            target.append(problem)

    def summary(self, header: str | None = None) -> str:
        """``header`` (default: whether the dir is valid) and one line per problem."""
        if self.ok:
            return header or f"{self.path}: data directory is valid ({len(self.warnings)} warning(s))"
        extra = {k: n - MAX_PER_KIND for k, n in self._counts.items() if n > MAX_PER_KIND}
        lines = [header or f"{self.path}: data directory is not valid:"]
        lines += [f"  {p}" for p in self.errors]
        for (file, kind), n in extra.items():
            lines.append(f"  ({file}: {n} more '{kind}' problem(s) not listed)")
        return "\n".join(lines)

    def raise_if_failed(self, header: str | None = None) -> None:
        if not self.ok:
            raise DataDirError(self.summary(header))


def validate_data_dir(
    path: str | Path,
    *,
    no_feats: bool = True,
    no_text: bool = False,
    no_wav: bool = False,
    no_spk_sort: bool = False,
    check_files: bool = True,
) -> Report:
    """Check the data directory on disk, as ``utils/validate_data_dir.sh`` does.

    The ``no_*`` flags make a file optional (it is still checked when present), as in
    Kaldi; ``no_feats`` defaults to True because asrkit works from waveforms.
    ``check_files`` also checks that plain ``wav.scp`` paths exist (relative paths are
    taken from the current directory, as Kaldi does).
    """
    path = Path(path)
    report = Report(str(path))
    issues: list[TableIssue] = []
    try:
        tables = read_tables(path, issues)
    except DataDirError as e:
        report.add(Problem(str(path), None, "", str(e)), "missing")
        return report
    for issue in issues:
        report.add(Problem(str(issue.path), issue.line, issue.key, issue.message), issue.kind)
    if "spk2utt" not in tables:
        report.add(
            Problem(str(path / "spk2utt"), None, "", "no such file; create it with "
                    "utils/utt2spk_to_spk2utt.pl data/x/utt2spk > data/x/spk2utt"), "missing")
    segments = None
    if "segments" in tables:
        seg_issues: list[TableIssue] = []
        segments = parse_segments(tables["segments"], seg_issues)
        for issue in seg_issues:
            report.add(Problem(str(issue.path), issue.line, issue.key, issue.message), "segments-format")
    _Checker(tables, segments, report, path, no_feats, no_text, no_wav, no_spk_sort, check_files,
             warn_one_speaker=True).run()
    return report


def check_datadir(
    dd: DataDir,
    where: str | Path | None = None,
    *,
    no_feats: bool = True,
    no_text: bool = True,
    no_wav: bool = True,
    no_spk_sort: bool = False,
    check_files: bool = False,
) -> Report:
    """Run the same checks on an in-memory :class:`DataDir`, as it would be written.

    Line numbers are those the sorted files will have. Used by :meth:`DataDir.write`.
    """
    where = Path(where) if where is not None else (dd.path or Path("<data dir>"))
    tables = {}
    for name in dd.table_names():
        values = dd.table(name)
        keys = c_sorted(values)
        lines = {k: i + 1 for i, k in enumerate(keys)}
        tables[name] = Table(where / name, {k: values[k] for k in keys}, lines)
    report = Report(str(where))
    _Checker(tables, dd.segments, report, where, no_feats, no_text, no_wav, no_spk_sort, check_files).run()
    return report


def nonprintable(text: str) -> tuple[int, str] | None:
    """(column, description) of the first character a transcript must not contain.

    Format characters (Cf) such as ZWJ/ZWNJ, which many scripts need, are allowed.
    """
    if text.replace("\t", " ").isprintable():  # the common case, checked at C speed
        return None
    for i, ch in enumerate(text):
        if ch in " \t":
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp", "Zs") or ch in "\ufeff\ufffd":
            name = unicodedata.name(ch, "unnamed")
            return i + 1, f"U+{ord(ch):04X} ({name})"
    return None


class _Checker:
    """The checks themselves, over tables with line numbers."""

    def __init__(self, tables: dict[str, Table], segments: dict[str, Segment] | None, report: Report,
                 path: Path, no_feats: bool, no_text: bool, no_wav: bool, no_spk_sort: bool,
                 check_files: bool, warn_one_speaker: bool = False):
        self.t = tables
        self.segments = segments
        self.report = report
        self.path = path
        self.no_feats, self.no_text, self.no_wav = no_feats, no_text, no_wav
        self.no_spk_sort = no_spk_sort
        self.check_files = check_files
        self.utt2spk = tables["utt2spk"].values if "utt2spk" in tables else {}
        self.utts = set(self.utt2spk)
        self.spk_order_ok = not no_spk_sort
        self.warn_one_speaker = warn_one_speaker

    # helpers ------------------------------------------------------------------------------

    def err(self, name: str, key: str, message: str, kind: str, *, warning: bool = False,
            line: int | None = None) -> None:
        table = self.t.get(name)
        file = str(table.path) if table else str(self.path / name)
        if line is None and table is not None and key:
            line = table.lines.get(key)
        self.report.add(Problem(file, line, key, message), kind, warning=warning)

    def require(self, name: str, flag: str | None) -> bool:
        """True when ``name`` is present; an error when it is missing and not optional."""
        if name in self.t:
            return True
        if flag is None:
            self.err(name, "", "no such file", "missing")
        elif not getattr(self, flag):
            self.err(name, "", f"no such file (if this is by design, pass --{flag.replace('_', '-')})",
                     "missing")
        return False

    def same_ids(self, name: str, expected: Iterable[str], what: str, source: str) -> None:
        """``name`` must have a line for exactly the ``expected`` ids."""
        have = self.t[name].values
        expected = set(expected)
        src = self.t.get(source)
        for key in c_sorted(expected.difference(have)):
            at = f" ({source} line {src.lines[key]})" if src and key in src.lines else ""
            self.err(name, key, f"{what} '{key}'{at} has no line here; add it or {_FIX}",
                     f"missing-{what}", line=None)
        for key in c_sorted(set(have).difference(expected)):
            self.err(name, key, f"{what} '{key}' is not in {source}; remove the line or {_FIX}",
                     f"extra-{what}")

    def numbers(self, name: str, *, integer: bool = False, low: float = 0.0, high: float | None = None,
                what: str = "a positive number") -> dict[str, float]:
        out = {}
        for key, value in self.t[name].values.items():
            try:
                x = float(value)
                if integer and not x.is_integer():
                    raise ValueError
            except ValueError:
                self.err(name, key, f"'{key}' has value '{value}', expected {what}", "bad-value")
                continue
            if not (x > low) or (high is not None and not x < high):
                self.err(name, key, f"'{key}' has value '{value}', expected {what}", "bad-value")
                continue
            out[key] = x
        return out

    # checks -------------------------------------------------------------------------------

    def run(self) -> None:
        if not self.require("utt2spk", None):
            return
        if not self.utt2spk:
            self.err("utt2spk", "", "empty file: the data dir has no utterances", "empty")
            return
        self.check_speakers()
        self.check_text()
        recordings = self.check_wav()
        self.check_feats()
        self.check_utt_tables()
        self.check_spk_tables()
        self.check_reco_tables(recordings)

    def check_speakers(self) -> None:
        for utt, spk in self.utt2spk.items():
            bad = check_key(spk) if spk else "is missing"
            if bad:
                self.err("utt2spk", utt, f"utterance '{utt}': speaker '{spk}' {bad}; "
                         "expected exactly '<utt> <speaker>'", "format")
        if not self.no_spk_sort:
            prev_spk, prev_utt = None, None
            for utt in c_sorted(self.utt2spk):
                spk = self.utt2spk[utt]
                if prev_spk is not None and spk < prev_spk:
                    self.err("utt2spk", utt,
                             f"utterance '{utt}' of speaker '{spk}' sorts after '{prev_utt}' of speaker "
                             f"'{prev_spk}': utt2spk is not also sorted by speaker, which Kaldi requires; "
                             "make speaker ids prefixes of utterance ids (e.g. '<spk>-<utt>')",
                             "speaker-order")
                    self.spk_order_ok = False
                    break
                prev_spk, prev_utt = spk, utt
        speakers = set(self.utt2spk.values())
        if len(speakers) == 1 and self.warn_one_speaker:
            self.err("spk2utt", "", "only one speaker: per-speaker normalisation and splitting by "
                     "speaker will not work well; use the utterance id as speaker id when unknown",
                     "one-speaker", warning=True)
        if "spk2utt" in self.t:
            spk2utt = self.t["spk2utt"]
            expanded: dict[str, str] = {}
            for spk, utts in spk2utt.values.items():
                for utt in utts.split():
                    if utt in expanded or self.utt2spk.get(utt) != spk:
                        self.err("spk2utt", spk, f"speaker '{spk}' lists '{utt}', which utt2spk gives "
                                 f"to speaker '{self.utt2spk.get(utt)}'; regenerate spk2utt with "
                                 "utils/utt2spk_to_spk2utt.pl", "spk2utt-mismatch")
                    expanded[utt] = spk
            missing = self.utts.difference(expanded)
            for utt in c_sorted(missing):
                self.err("spk2utt", "", f"utterance '{utt}' of utt2spk is in no speaker's list; regenerate "
                         "spk2utt with utils/utt2spk_to_spk2utt.pl", "spk2utt-mismatch")
            if not missing and self.spk_order_ok and list(expanded) != list(self.utt2spk):
                self.err("spk2utt", "", "lists the utterances in a different order than utt2spk; "
                         "regenerate it with utils/utt2spk_to_spk2utt.pl", "spk2utt-mismatch")

    def check_text(self) -> None:
        if not self.require("text", "no_text"):
            return
        self.same_ids("text", self.utts, "utterance", "utt2spk")
        for utt, words in self.t["text"].values.items():
            if not words.strip():
                self.err("text", utt, f"utterance '{utt}' has an empty transcript; remove it or "
                         "run utils/fix_data_dir.sh", "empty-text")
                continue
            bad = nonprintable(words)
            if bad:
                self.err("text", utt, f"utterance '{utt}' has the non-printable character {bad[1]} at "
                         f"column {bad[0]} of its transcript; clean the text or {_FIX}", "non-printable")
            reserved = RESERVED.search(f"{utt} {words}")
            if reserved:
                self.err("text", utt, f"utterance '{utt}' contains the reserved symbol '{reserved[1]}' "
                         f"({' '.join(RESERVED_WORDS)} are reserved by the LM tools); remove or rename it",
                         "reserved-symbol")

    def check_wav(self) -> set[str]:
        """Check wav.scp and segments; return the recording ids."""
        has_segments = "segments" in self.t
        if has_segments and "wav.scp" not in self.t:
            self.err("segments", "", "segments exists but wav.scp does not", "missing")
            return set()
        if not self.require("wav.scp", "no_wav"):
            return set()
        wav = self.t["wav.scp"].values
        for reco, spec in wav.items():
            self.check_wav_entry(reco, spec)
        if not has_segments:
            self.same_ids("wav.scp", self.utts, "utterance", "utt2spk")
            return set(wav)
        segments = self.segments or {}
        self.same_ids("segments", self.utts, "utterance", "utt2spk")
        used = set()
        for utt, seg in segments.items():
            used.add(seg.reco)
            if seg.reco not in wav:
                self.err("segments", utt, f"utterance '{utt}' is cut from recording '{seg.reco}', which is "
                         f"not in wav.scp; add the recording or {_FIX}", "unknown-recording")
            if seg.start < 0:
                self.err("segments", utt, f"utterance '{utt}' starts at {seg.start} < 0; fix its times or "
                         f"{_FIX}", "bad-segment")
            if not seg.open_ended and not seg.end > seg.start:  # -1: to the recording's end (Kaldi)
                self.err("segments", utt, f"utterance '{utt}' ends at {seg.end}, not after its start "
                         f"{seg.start}; fix its times or {_FIX}", "bad-segment")
        for reco in c_sorted(set(wav).difference(used)):
            self.err("wav.scp", reco, f"recording '{reco}' has no utterance in segments (Kaldi requires the "
                     f"same recordings in both); {_FIX}", "unused-recording")
        return set(wav)

    def check_wav_entry(self, reco: str, spec: str) -> None:
        if spec.rstrip().endswith("|"):
            if not spec.rstrip()[:-1].strip():
                self.err("wav.scp", reco, f"recording '{reco}' has an empty command before '|'", "bad-wav")
            return
        if spec.startswith("~"):
            self.err("wav.scp", reco, f"recording '{reco}': '~' is not expanded in wav.scp paths; "
                     "write the full path", "bad-wav")
            return
        if _SPACE.search(spec):
            self.err("wav.scp", reco, f"recording '{reco}': '{spec}' has spaces but does not end with '|'; "
                     "a command must end with '|' and a path cannot contain spaces", "bad-wav")
            return
        if self.check_files and not os.path.isfile(spec):
            file = spec.rsplit(":", 1)[0] if spec.rsplit(":", 1)[-1].isdigit() else spec
            if not os.path.isfile(file):
                rel = "" if os.path.isabs(file) else f" (relative to the current directory {os.getcwd()})"
                self.err("wav.scp", reco, f"recording '{reco}': audio file '{file}' does not exist{rel}; "
                         f"fix the path or {_FIX}", "missing-audio")

    def check_feats(self) -> None:
        if self.require("feats.scp", "no_feats"):
            self.same_ids("feats.scp", self.utts, "utterance", "utt2spk")

    def check_utt_tables(self) -> None:
        for name in self.t:
            if table_kind(name) != "utt" or name in ("utt2spk", "text", "segments", "feats.scp"):
                continue
            self.same_ids(name, self.utts, "utterance", "utt2spk")
            if name == "utt2dur":
                self.numbers(name, what="a duration > 0 in seconds")
            elif name in ("utt2num_frames", "utt2num_samples"):
                self.numbers(name, integer=True, what="a whole number > 0")
            elif name == "utt2warp":
                self.numbers(name, low=0.5, high=1.5, what="a warp factor between 0.5 and 1.5")
        if self.segments is not None and "utt2dur" in self.t:
            for utt, seg in self.segments.items():
                dur = self.t["utt2dur"].values.get(utt)
                try:
                    if dur is not None and not seg.open_ended and abs(float(dur) - (seg.end - seg.start)) > 0.01:
                        self.err("utt2dur", utt, f"utterance '{utt}' lasts {dur} s but its segment "
                                 f"lasts {seg.end - seg.start:.3f} s; regenerate utt2dur",
                                 "duration-mismatch", warning=True)
                except ValueError:
                    pass  # reported by numbers()

    def check_spk_tables(self) -> None:
        speakers = set(self.utt2spk.values())
        for name in self.t:
            if table_kind(name) != "spk" or name == "spk2utt":
                continue
            self.same_ids(name, speakers, "speaker", "utt2spk")
            if name == "spk2gender":
                for spk, g in self.t[name].values.items():
                    if g not in ("m", "f"):
                        self.err(name, spk, f"speaker '{spk}' has gender '{g}'; Kaldi accepts only 'm' "
                                 "or 'f' (put other values in utt2gender)", "bad-value")
                self.check_genders_agree()
            elif name == "spk2warp":
                self.numbers(name, low=0.5, high=1.5, what="a warp factor between 0.5 and 1.5")

    def check_genders_agree(self) -> None:
        """An utterance's ``m``/``f`` in ``utt2gender`` must be its speaker's in ``spk2gender``."""
        if "utt2gender" not in self.t:
            return
        speakers = self.t["spk2gender"].values
        for utt, gender in self.t["utt2gender"].values.items():
            spk = self.utt2spk.get(utt)
            if gender in ("m", "f") and spk in speakers and speakers[spk] != gender:
                self.err("utt2gender", utt, f"utterance '{utt}' has gender '{gender}' but its speaker "
                         f"'{spk}' has '{speakers[spk]}' in spk2gender; correct one of them",
                         "gender-mismatch")

    def check_reco_tables(self, recordings: set[str]) -> None:
        for name in self.t:
            if table_kind(name) != "reco" or name == "wav.scp":
                continue
            if "wav.scp" in self.t:
                self.same_ids(name, recordings, "recording", "wav.scp")
            if name == "reco2dur":
                durs = self.numbers(name, what="a duration > 0 in seconds")
                self.check_segment_ends(durs)
            elif name == "reco2num_samples":
                self.numbers(name, integer=True, what="a whole number > 0")
            elif name == "reco2file_and_channel":
                for reco, value in self.t[name].values.items():
                    fields = value.split()
                    if len(fields) == 2 and fields[1] == "1":
                        self.err(name, reco, f"recording '{reco}': channel should be 'A' or 'B', not '1'",
                                 "bad-value", warning=True)
                    elif len(fields) != 2 or fields[1] not in ("A", "B"):
                        self.err(name, reco, f"recording '{reco}': expected '<reco> <file> <A|B>', "
                                 f"got '{reco} {value}'", "bad-value")

    def check_segment_ends(self, reco2dur: dict[str, float]) -> None:
        for utt, seg in (self.segments or {}).items():
            dur = reco2dur.get(seg.reco)
            if dur is None or seg.open_ended or seg.end <= dur + 0.01:
                continue
            over = seg.end > dur + SEGMENT_OVERSHOOT
            self.err("segments", utt, f"utterance '{utt}' ends at {seg.end} s, after the end of recording "
                     f"'{seg.reco}' ({dur} s in reco2dur); "
                     + (f"fix its times or {_FIX}" if over else "it will be cut at the end"),
                     "segment-outside-recording", warning=not over)
