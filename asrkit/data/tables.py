"""Kaldi text tables: ``<key> <value>`` lines, unique keys, sorted in C-locale (byte) order.

Python compares ``str`` by code point, and UTF-8 preserves code-point order, so
``sorted(keys)`` is exactly ``LC_ALL=C sort`` for valid UTF-8 keys; no locale is involved.
Reading streams the file line by line and reports problems with the file and line
number; a caller that wants every problem at once (the validator, ``fix``) passes an
``issues`` list instead of stopping at the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from asrkit.fileio import atomic_open

# awk's default field separators, which every Kaldi script splits on
_KEY_VALUE = re.compile(r"([^ \t]+)(?:[ \t]+(.*?))?[ \t]*")
_BAD_KEY_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")


class DataDirError(ValueError):
    """A data directory or table a user must fix; the message names file, line and id."""


@dataclass
class TableIssue:
    """One problem found while reading a table. ``fatal`` problems lose the line."""

    path: Path
    line: int
    key: str
    kind: str  # "encoding", "format", "duplicate", "unsorted", "newline", "carriage-return"
    message: str
    fatal: bool = True

    def __str__(self) -> str:
        return f"{self.path} line {self.line}: {self.message}"


@dataclass
class Table:
    """A table as read from disk: values plus the line each key came from."""

    path: Path
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


def c_sorted(keys: Iterable[str]) -> list[str]:
    """Keys in ``LC_ALL=C sort`` order (byte order of their UTF-8 encoding)."""
    return sorted(keys)


def check_key(key: str) -> str | None:
    """Why ``key`` cannot be a Kaldi id, or None when it can."""
    if not key:
        return "is empty"
    bad = _BAD_KEY_CHAR.search(key)
    if bad is None:
        return None
    ch = bad.group()
    kind = "whitespace" if ch.isspace() else "a control character"
    return f"contains {kind} ({ch!r})"


def load_table(
    path: str | Path,
    *,
    allow_empty_value: bool = False,
    issues: list[TableIssue] | None = None,
) -> Table:
    """Read a table, keeping the line number of each key.

    Without ``issues`` the first fatal problem raises :class:`DataDirError`. With it,
    every problem is appended (the first of duplicate keys is kept) and reading goes on.
    Unsorted lines and a missing final newline are recorded but never raise: a table
    is sorted again when written.
    """
    path = Path(path)
    table = Table(path)

    def problem(lineno: int, key: str, kind: str, message: str, fatal: bool = True) -> None:
        issue = TableIssue(path, lineno, key, kind, message, fatal)
        if issues is None:
            if fatal:
                raise DataDirError(str(issue))
        else:
            issues.append(issue)

    if not path.is_file():
        raise DataDirError(f"{path}: no such file")
    prev_key: str | None = None
    reported_unsorted = False
    with open(path, "rb") as f:
        lineno = 0
        for raw in f:
            lineno += 1
            if not raw.endswith(b"\n"):
                problem(lineno, "", "newline", "the last line has no newline at its end", fatal=False)
            raw = raw.rstrip(b"\n")
            if raw.endswith(b"\r"):
                problem(
                    lineno, "", "carriage-return",
                    "line ends with a carriage return (Windows line ending); "
                    "convert the file with dos2unix or sed -i 's/\\r$//'",
                )
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                problem(
                    lineno, "", "encoding",
                    f"not valid UTF-8 (byte {raw[e.start]:#04x} at column {e.start + 1}); "
                    "re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
                )
                continue
            m = _KEY_VALUE.fullmatch(line)
            if m is None:
                problem(lineno, "", "format", "line starts with whitespace; ids must start the line"
                        if line.strip(" \t") else "empty line; delete it")
                continue
            key, value = m.group(1), m.group(2) or ""
            bad = check_key(key)
            if bad:
                problem(lineno, key, "format", f"id {key!r} {bad}; Kaldi ids are single printable words")
                continue
            if not value and not allow_empty_value:
                problem(lineno, key, "format", f"'{key}' has no value; expected '<id> <value>'")
                continue
            if key in table.values:
                problem(
                    lineno, key, "duplicate",
                    f"duplicate id '{key}' (first on line {table.lines[key]}); "
                    "remove one of them or run utils/fix_data_dir.sh",
                )
                continue
            if prev_key is not None and key < prev_key and not reported_unsorted:
                reported_unsorted = True
                problem(
                    lineno, key, "unsorted",
                    f"'{key}' comes after '{prev_key}': not sorted in C-locale order; "
                    "sort with LC_ALL=C sort or run utils/fix_data_dir.sh",
                    fatal=False,
                )
            prev_key = key
            table.values[key] = value
            table.lines[key] = lineno
    return table


def read_table(
    path: str | Path,
    *,
    allow_empty_value: bool = False,
    issues: list[TableIssue] | None = None,
) -> dict[str, str]:
    """``{key: value}`` from a Kaldi table; value is the rest of the line after the id."""
    return load_table(path, allow_empty_value=allow_empty_value, issues=issues).values


def read_list(path: str | Path) -> list[str]:
    """The first field of every non-blank line (an utterance or speaker list), in order."""
    path = Path(path)
    if not path.is_file():
        raise DataDirError(f"{path}: no such file")
    out = []
    with open(path, encoding="utf-8", errors="strict") as f:
        try:
            for line in f:
                fields = line.split()
                if fields:
                    out.append(fields[0])
        except UnicodeDecodeError as e:
            raise DataDirError(f"{path}: not valid UTF-8 ({e.reason}); re-encode it as UTF-8") from None
    return out


def format_value(value: str | Iterable[str]) -> str:
    return value if isinstance(value, str) else " ".join(value)


def write_table(path: str | Path, table: Mapping[str, str | Iterable[str]], *, sort: bool = True) -> Path:
    """Write ``key value`` lines (C-locale sorted unless ``sort=False``) atomically.

    The file is written under a temporary name in the same folder and renamed into
    place, so a reader never sees half a table. List values are joined with spaces;
    spaces around a value are dropped, as reading would drop them.
    """
    path = Path(path)
    keys = c_sorted(table) if sort else list(table)
    lines = []
    for key in keys:
        bad = check_key(key)
        if bad:
            raise DataDirError(f"{path}: id {key!r} {bad}; Kaldi ids are single printable words")
        value = format_value(table[key]).strip(" \t")
        if "\n" in value or "\r" in value:
            raise DataDirError(f"{path}: the value of '{key}' contains a line break; remove it")
        lines.append(f"{key} {value}\n" if value else f"{key}\n")
    with atomic_open(path, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(lines)
    return path


def utt2spk_to_spk2utt(utt2spk: Mapping[str, str]) -> dict[str, list[str]]:
    """Speakers in order of first appearance, each with its utterances in table order."""
    spk2utt: dict[str, list[str]] = {}
    for utt, spk in utt2spk.items():
        spk2utt.setdefault(spk, []).append(utt)
    return spk2utt


def spk2utt_to_utt2spk(spk2utt: Mapping[str, str | Iterable[str]]) -> dict[str, str]:
    """Inverse of :func:`utt2spk_to_spk2utt`; an utterance under two speakers is an error."""
    utt2spk: dict[str, str] = {}
    for spk, utts in spk2utt.items():
        for utt in utts.split() if isinstance(utts, str) else utts:
            if utt in utt2spk:
                raise DataDirError(
                    f"spk2utt: utterance '{utt}' is listed under speakers '{utt2spk[utt]}' and '{spk}'"
                )
            utt2spk[utt] = spk
    return utt2spk
