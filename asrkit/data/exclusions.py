"""Excluded items: named, counted, written down, and a stage stops above a threshold.

Every stage that drops input (a corrupt clip, an empty transcript, a duplicate id, a
too-short utterance) records it here, so nothing is dropped silently. The report is a
tab-separated file ``<key>\t<reason>\t<where>`` that a person can grep, and the counts
by reason go to the stage summary.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from pathlib import Path


class TooManyExcluded(RuntimeError):
    """More items were excluded than a stage allows."""


@dataclass
class Excluded:
    key: str  # utterance id, or a clip path when no id exists yet
    reason: str  # short, fixed vocabulary: "missing-audio", "empty-text", ...
    where: str = ""  # file:line, or a detail such as the decoder's message


@dataclass
class Exclusions:
    """Collects excluded items for one stage (or one job of a stage)."""

    items: list[Excluded] = field(default_factory=list)

    def add(self, key: str, reason: str, where: str = "") -> None:
        self.items.append(Excluded(str(key), reason, str(where).replace("\t", " ").replace("\n", " ")))

    def __len__(self) -> int:
        return len(self.items)

    def keys(self) -> set[str]:
        return {item.key for item in self.items}

    def counts(self) -> dict[str, int]:
        """Number of excluded items by reason, most frequent first."""
        return dict(collections.Counter(item.reason for item in self.items).most_common())

    def extend(self, other: "Exclusions") -> None:
        self.items.extend(other.items)

    def write(self, path: str | Path) -> Path:
        """Write ``key<TAB>reason<TAB>where`` lines (an empty file when none)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            for item in self.items:
                f.write(f"{item.key}\t{item.reason}\t{item.where}\n")
        return path

    @classmethod
    def read(cls, path: str | Path) -> "Exclusions":
        ex = cls()
        path = Path(path)
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    parts = line.split("\t", 2) + ["", ""]
                    ex.add(parts[0], parts[1], parts[2])
        return ex

    def summary(self, total: int) -> str:
        """One line per reason, e.g. ``  missing-audio: 3 (0.5%)``."""
        if not self.items:
            return f"  excluded: 0 of {total}"
        lines = [f"  excluded: {len(self.items)} of {total} ({100 * len(self.items) / max(total, 1):.2f}%)"]
        for reason, n in self.counts().items():
            lines.append(f"    {reason}: {n}")
        return "\n".join(lines)

    def check(self, total: int, max_fraction: float, what: str, report: str | Path | None = None) -> None:
        """Raise :class:`TooManyExcluded` if more than ``max_fraction`` of ``total`` was excluded."""
        if total <= 0:
            if self.items:
                raise TooManyExcluded(
                    f"{what}: every item was excluded ({len(self.items)}); see {report or 'the report'}"
                )
            return
        frac = len(self.items) / total
        if frac > max_fraction:
            raise TooManyExcluded(
                f"{what}: {len(self.items)} of {total} items excluded ({100 * frac:.1f}%), more than the "
                f"allowed {100 * max_fraction:.1f}%.\n{self.summary(total)}\n"
                f"See {report or 'the exclusion report'} for each item and reason; fix the input, or raise "
                f"the limit (e.g. --max-bad-fraction) if these losses are expected."
            )
