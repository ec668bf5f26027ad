"""A language's words, read from ``data/<locale>.json``: nouns, adjectives, verbs, names, phrases.

Words are data and grammar is code (as in whisper's English normalizer, whose spelling table
is a JSON file): the JSON holds what a speaker of the language would proofread, the
language module (``ca.py``, ...) the rules that put the words together. Tables carry just
enough grammar for the templates to agree: a noun's plural, gender and semantic kind, an
adjective's four forms, a verb's forms and what it takes. Noun and verb tables are compact
lines, one entry a line, so every spelling can be checked at a glance:

- noun: ``singular plural [m|f] [@article]``; ``-`` for no plural, ``_`` for a space;
- adjective: ``m_sg f_sg m_pl f_pl`` (one word in English);
- verb: ``form form ... | object kinds or nouns | place kinds or nouns``, forms in
  ``verbs.forms`` order; ``paradigms``: the four persons ``p1s p3s p1p p3p`` of the
  verbs the grammar conjugates itself (auxiliaries, modals).

Subsets are named, never sliced: a subset lists noun kinds (the whole table) and
``kind/singular`` entries (one noun), in the order the templates draw from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Sequence

#: noun kinds, in the order the tables are written and concatenated
NOUN_KINDS = ("person", "animal", "food", "fruit", "drink", "text", "thing", "opens", "clothes", "vehicle",
              "instrument", "shop", "home", "public", "outdoor", "event")
PLACE_KINDS = ("shop", "home", "public", "outdoor")
PERSONS = ("p1s", "p3s", "p1p", "p3p")


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
        return agree(self.forms, gender, plural)


@dataclass(frozen=True)
class Verb:
    forms: dict[str, str]  # form name -> word(s), e.g. "inf" -> "comprar"
    objects: tuple[str, ...] = ()  # noun kinds (or nouns) it takes; a motion verb's preposition
    places: tuple[str, ...] = ()  # noun kinds (or nouns) where it happens; for motion verbs

    def __getitem__(self, name: str) -> str:
        return self.forms[name]

    def __hash__(self) -> int:
        return hash(next(iter(self.forms.values())))


def agree(forms: str | Sequence[str], gender: str, plural: bool) -> str:
    """The form of a determiner or adjective for a noun: one form; (singular, plural); or
    (masculine singular, feminine singular, masculine plural, feminine plural)."""
    if isinstance(forms, str):
        return forms
    if len(forms) == 1:
        return forms[0]
    if len(forms) == 2:
        return forms[plural]
    return forms[(2 if plural else 0) + (1 if gender == "f" else 0)]


def _words(line: str) -> list[str]:
    return [w.replace("_", " ") for w in line.split()]


def nouns(lines: Sequence[str], kind: str) -> tuple[Noun, ...]:
    """Parse ``singular plural [m|f] [@article]`` lines."""
    out = []
    for line in lines:
        words = _words(line)
        article = next((w[1:] for w in words if w.startswith("@")), "")
        words = [w for w in words if not w.startswith("@")]
        sg, pl, *rest = words
        out.append(Noun(sg, "" if pl == "-" else pl, rest[0] if rest else "", kind, article))
    return tuple(out)


def adjectives(lines: Sequence[str], kind: str) -> tuple[Adjective, ...]:
    """Parse ``m_sg f_sg m_pl f_pl`` lines (one word per line for English)."""
    return tuple(Adjective(tuple(_words(line)), kind) for line in lines)


def verbs(lines: Sequence[str], names: Sequence[str]) -> tuple[Verb, ...]:
    """Parse ``form form ... | object kinds | place kinds`` lines, forms in ``names`` order."""
    out = []
    for line in lines:
        parts = [p.strip() for p in line.split("|")] + ["", ""]
        forms = _words(parts[0])
        if len(forms) != len(names):
            raise ValueError(f"verb table line {line!r}: expected {len(names)} forms ({' '.join(names)})")
        out.append(Verb(dict(zip(names, forms)), tuple(_words(parts[1])), tuple(_words(parts[2]))))
    return tuple(out)


class Words:
    """One language's tables, as its templates draw from them."""

    def __init__(self, locale: str, data: dict[str, Any]):
        self.locale = locale
        self.name: str = data["name"]
        self.accents = tuple(Accent(*a) for a in data["accents"])
        self.nouns = {kind: nouns(data["nouns"][kind], kind) for kind in NOUN_KINDS}
        self.adjectives = {kind: adjectives(lines, kind) for kind, lines in data["adjectives"].items()}
        #: noun kind -> the adjectives that describe it
        self.adjectives_for = {kind: self._resolve(entries, self.adjectives, lambda a: a.forms[0])
                               for kind, entries in data["adjectives_for"].items()}
        forms = data["verbs"]["forms"]
        self.transitive = verbs(data["verbs"]["transitive"], forms)
        self.motion = verbs(data["verbs"]["motion"], forms)
        self.female_names = tuple(data["names"]["female"])
        self.male_names = tuple(data["names"]["male"])
        self.names = self.female_names + self.male_names
        #: named groups of cities ("regional": near enough to each other to give a distance)
        self.city_groups = {group: tuple(cities) for group, cities in data["cities"].items()}
        self.cities = sum(self.city_groups.values(), ())
        #: verb -> person (p1s, p3s, p1p, p3p) -> form: auxiliaries, modals, the future's endings
        self.paradigms = {verb: dict(zip(PERSONS, forms.split())) for verb, forms in data["paradigms"].items()}
        self.times = {tense: tuple(words) for tense, words in data["times"].items()}
        self.months = tuple(data["months"])
        self.weekdays = tuple(data["weekdays"])
        self.subsets = {name: self._resolve(entries, self.nouns, lambda n: n.sg)
                        for name, entries in data["subsets"].items()}
        #: the phrases and sentence shapes the templates fill in
        self.phrases: dict[str, Any] = data["phrases"]
        self.places = self.of(*PLACE_KINDS)
        self.all_nouns = self.of(*NOUN_KINDS[:-1])  # events are not things one acts on

    @classmethod
    def load(cls, locale: str) -> Words:
        text = resources.files(__package__).joinpath("data", f"{locale}.json").read_text(encoding="utf-8")
        return cls(locale, json.loads(text))

    def of(self, *kinds: str) -> tuple[Noun, ...]:
        """The nouns of ``kinds``, table after table."""
        return sum((self.nouns[kind] for kind in kinds), ())

    @staticmethod
    def _resolve(entries: Sequence[str], tables: dict[str, tuple], key) -> tuple:
        out: list = []
        for entry in entries:
            kind, _, word = entry.partition("/")
            if not word:
                out.extend(tables[kind])
                continue
            matches = [item for item in tables[kind] if key(item) == word]
            if not matches:
                raise ValueError(f"{entry!r}: no {word!r} in the {kind} table")
            out.append(matches[0])
        return tuple(out)
