"""Word tables and sentence assembly shared by the per-language generators.

The generators build sentences from templates with slots (subjects, verbs, objects,
places, adjectives, numbers), so their word tables carry just enough grammar to agree:
a noun's plural, gender and semantic kind; an adjective's four forms; a verb's forms.
Tables are written as compact text, one entry per line, so a reader can check the
spelling of every word at a glance.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Sequence, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Accent:
    """An espeak-ng language voice and the accent label Common Voice would record for it."""

    voice: str  # espeak language voice: "en-us", "es-419", "ca-va"
    label: str  # the TSV's ``accents`` value: "United States English", "valencià"
    weight: float = 1.0  # how often speakers get this accent


@dataclass(frozen=True)
class Noun:
    sg: str
    pl: str  # "" for a mass noun used in the singular only
    gender: str  # "m" / "f"; "" in English
    kind: str  # semantic class: "food", "drink", "thing", "clothes", "animal", "person", ...
    article: str = ""  # irregular article (Catalan "la" before unstressed i-, English "an")

    def form(self, plural: bool) -> str:
        return self.pl if plural else self.sg


@dataclass(frozen=True)
class Adjective:
    forms: tuple[str, ...]  # (m sg, f sg, m pl, f pl); one form in English
    kind: str

    def agree(self, gender: str, plural: bool) -> str:
        if len(self.forms) == 1:
            return self.forms[0]
        return self.forms[(2 if plural else 0) + (1 if gender == "f" else 0)]


@dataclass(frozen=True)
class Verb:
    forms: dict[str, str]  # form name -> word(s), e.g. "inf" -> "comprar"
    objects: tuple[str, ...] = ()  # noun kinds (or nouns) it takes; a motion verb's preposition
    places: tuple[str, ...] = ()  # noun kinds (or nouns) where it happens; for motion verbs

    def __getitem__(self, name: str) -> str:
        return self.forms[name]

    def __hash__(self) -> int:
        return hash(self.forms["inf"])


def _words(line: str) -> list[str]:
    return [w.replace("_", " ") for w in line.split()]


def nouns(table: str, kind: str) -> tuple[Noun, ...]:
    """Parse ``singular plural [m|f] [@article]`` lines; ``-`` for no plural, ``_`` for a space."""
    out = []
    for line in table.strip().splitlines():
        words = _words(line)
        article = next((w[1:] for w in words if w.startswith("@")), "")
        words = [w for w in words if not w.startswith("@")]
        sg, pl, *rest = words
        out.append(Noun(sg, "" if pl == "-" else pl, rest[0] if rest else "", kind, article))
    return tuple(out)


def adjectives(table: str, kind: str) -> tuple[Adjective, ...]:
    """Parse ``m_sg f_sg m_pl f_pl`` lines (one word per line for English)."""
    return tuple(Adjective(tuple(_words(line)), kind) for line in table.strip().splitlines())


def verbs(table: str, names: Sequence[str]) -> tuple[Verb, ...]:
    """Parse ``form form ... | object kinds | place kinds`` lines, forms in ``names`` order."""
    out = []
    for line in table.strip().splitlines():
        parts = [p.strip() for p in line.split("|")] + ["", ""]
        forms = _words(parts[0])
        if len(forms) != len(names):
            raise ValueError(f"verb table line {line!r}: expected {len(names)} forms ({' '.join(names)})")
        out.append(Verb(dict(zip(names, forms)), tuple(_words(parts[1])), tuple(_words(parts[2]))))
    return tuple(out)


def words(table: str) -> tuple[str, ...]:
    """One entry per line (``_`` for a space inside an entry)."""
    return tuple(line.strip().replace("_", " ") for line in table.strip().splitlines() if line.strip())


def pick(rng: random.Random, items: Sequence[T]) -> T:
    return items[rng.randrange(len(items))]


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def weighted(rng: random.Random, options: Sequence[tuple[float, T]]) -> T:
    """One of ``(weight, item)`` pairs, chosen in proportion to the weights."""
    total = sum(w for w, _ in options)
    x = rng.random() * total
    for w, item in options:
        x -= w
        if x < 0:
            return item
    return options[-1][1]


_SPACE_BEFORE = re.compile(r"\s+([,.;:?!])")
_SPACES = re.compile(r"\s+")


def finish(text: str, mark: str = ".") -> str:
    """Tidy spaces, capitalize the first letter and end with ``mark`` (``.``, ``?``, ``!``)."""
    text = _SPACE_BEFORE.sub(r"\1", _SPACES.sub(" ", text)).strip()
    for i, ch in enumerate(text):
        if ch.isalpha():
            text = text[:i] + ch.upper() + text[i + 1:]
            break
    return text + mark if mark and not text.endswith(mark) else text
