"""Sentence generators for the synthetic corpus: one engine, a grammar module and a word file per language.

- ``engine.py``: the templates (statements, questions, numbers, dates, times, prices, ...),
  their weights, :class:`~.engine.Phrase` and :meth:`~.engine.Language.sentence`;
- ``words.py``: reads a language's words from ``data/<locale>.json``: nouns, adjectives and
  verbs with the grammar they need to agree, names, cities, phrases and sentence shapes,
  and named subsets (``timetabled`` vehicles, ``regional`` cities) instead of slices;
- ``ca.py``, ``es.py``, ``en.py``: the grammar that really differs (numbers, articles,
  prepositions, conjugation, telling the time, prices) as a subclass of
  :class:`~.engine.Language`, and the module names ``LOCALE``, ``NAME``, ``ACCENTS``
  (the espeak-ng voices speakers get, each with the accent label the TSV records) and
  ``sentence(rng) -> str``: one sentence written like a Common Voice prompt.

To add a language: write ``data/<locale>.json`` with the same keys as ``data/es.json``
(its words, phrases and sentence shapes), and ``<locale>.py`` with a :class:`Language`
subclass for its grammar (``es.py`` is a compact model; English shows how a language with
another word order overrides whole templates) and the four module names; make sure its
voices exist (``asrkit.corpora.espeak.engine().voices()`` lists them) and add the module
to :data:`LANGUAGES` below. ``python -m asrkit.corpora.synth --sample <locale>`` prints
sentences to proofread.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from types import ModuleType

from asrkit.text.normalize import TextNormalizer

from . import ca, en, es

#: locale -> generator module
LANGUAGES: dict[str, ModuleType] = {m.LOCALE: m for m in (ca, es, en)}

_WORDS = TextNormalizer.preset("default")


class UnknownLanguage(ValueError):
    """A locale without a sentence generator."""


def language(locale: str) -> ModuleType:
    """The generator module for ``locale``."""
    try:
        return LANGUAGES[locale]
    except KeyError:
        raise UnknownLanguage(
            f"no sentence generator for locale {locale!r}; available: {', '.join(LANGUAGES)} "
            f"(see asrkit/corpora/sentences/__init__.py to add one)"
        ) from None


def stream(locale: str, seed: int = 0) -> Iterator[str]:
    """Distinct sentences for ``locale``, endlessly; the same sequence for the same seed."""
    module = language(locale)
    rng = random.Random(f"asrkit-synth-sentences:{locale}:{seed}")
    seen: set[str] = set()
    repeats = 0
    while True:
        text = module.sentence(rng)
        if text in seen:
            repeats += 1
            if repeats > 1000:
                raise RuntimeError(
                    f"the {locale} generator repeats itself after {len(seen)} sentences; add words "
                    f"or templates to asrkit/corpora/sentences/data/{locale}.json"
                )
            continue
        repeats = 0
        seen.add(text)
        yield text


def generate(locale: str, count: int, seed: int = 0) -> list[str]:
    """The first ``count`` sentences of :func:`stream`."""
    return list(itertools.islice(stream(locale, seed), count))


def words(sentence: str) -> list[str]:
    """The sentence's words as scoring counts them (lowercase, punctuation removed)."""
    return _WORDS.normalize(sentence).split()
