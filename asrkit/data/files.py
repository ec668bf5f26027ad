"""The files of a Kaldi data dir: their names, what each is keyed on, ``segments`` lines.

:func:`table_kind` groups files as Kaldi's scripts do (see :mod:`asrkit.data.datadir`);
the data dir object and its validation both build on this module, which imports neither.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from asrkit.data.tables import DataDirError, Table, TableIssue, load_table

UTT_SCP_FILES = ("feats.scp", "vad.scp")
SPK_SCP_FILES = ("cmvn.scp",)
_UTT_MAP = re.compile(r"utt2(?!spk$)\w+")
_SPK_MAP = re.compile(r"spk2(?!utt$)\w+")
_RECO_MAP = re.compile(r"reco2\w+")


def table_kind(name: str) -> str | None:
    """``"utt"``, ``"reco"`` or ``"spk"`` for a table file name, None for other files."""
    if name in ("utt2spk", "text", "segments") or name in UTT_SCP_FILES or _UTT_MAP.fullmatch(name):
        return "utt"
    if name == "wav.scp" or _RECO_MAP.fullmatch(name):
        return "reco"
    if name == "spk2utt" or name in SPK_SCP_FILES or _SPK_MAP.fullmatch(name):
        return "spk"
    return None


def read_tables(path: str | Path, issues: list[TableIssue] | None = None) -> dict[str, Table]:
    """Every known table file of a data dir, by file name; ``utt2spk`` must exist."""
    path = Path(path)
    if not path.is_dir():
        raise DataDirError(f"{path}: no such data directory")
    if not (path / "utt2spk").is_file():
        raise DataDirError(
            f"{path}/utt2spk: no such file; every data dir needs utt2spk ('<utt> <speaker>' lines; "
            "use the utterance id as speaker when speakers are unknown)"
        )
    tables = {}
    for f in sorted(path.iterdir()):
        if f.is_file() and table_kind(f.name):
            tables[f.name] = load_table(f, allow_empty_value=f.name == "text", issues=issues)
    return tables


class Segment(NamedTuple):
    """A ``segments`` line: utterance = recording ``reco`` from ``start`` to ``end`` seconds.
    ``end`` = -1 (:data:`TO_THE_END`, Kaldi's ``extract-segments`` convention) means the
    end of the recording; :meth:`asrkit.data.DataDir.read` resolves it to a time."""

    reco: str
    start: float
    end: float

    @property
    def open_ended(self) -> bool:
        return self.end == TO_THE_END


TO_THE_END = -1.0


def format_seconds(x: float) -> str:
    """Seconds with at most 6 decimals and no trailing zeros (``1.5``, ``0.123457``, ``3``)."""
    s = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def parse_segment(value: str) -> Segment:
    """``"<reco> <start> <end>"`` -> Segment; raises ValueError with the reason."""
    fields = value.split()
    if len(fields) != 3:
        raise ValueError(f"expected '<utt> <recording> <start> <end>', got {len(fields) + 1} fields")
    reco, start, end = fields
    try:
        return Segment(reco, float(start), float(end))
    except ValueError:
        raise ValueError(f"start/end times '{start}' '{end}' are not numbers") from None


def format_segment(seg: Segment) -> str:
    """The inverse of :func:`parse_segment`."""
    return f"{seg.reco} {format_seconds(seg.start)} {format_seconds(seg.end)}"


def parse_segments(table: Table, issues: list[TableIssue] | None = None) -> dict[str, Segment]:
    """Parse ``segments`` values; a line that does not parse is an issue (or raises)."""
    out = {}
    for utt, value in table.values.items():
        try:
            out[utt] = parse_segment(value)
        except ValueError as e:
            issue = TableIssue(table.path, table.lines[utt], utt, "format", f"utterance '{utt}': {e}")
            if issues is None:
                raise DataDirError(str(issue)) from None
            issues.append(issue)
    return out
