"""Catalan grammar for the sentence engine; the words are in ``data/ca.json``.

The grammar that matters for spelling is handled explicitly: article elision
(``l'escola``, but ``la universitat``), ``de`` → ``d'`` before a vowel, the contractions
``al``/``del``/``pel``, personal articles (``en Jordi``, ``l'Anna``), gender agreement of
numbers (``dues``, ``dues-centes``) and adjectives, and the traditional way of telling the
time in quarters (``a dos quarts de vuit``).
"""

from __future__ import annotations

import random
import re
from typing import Sequence

from .engine import MONTH_DAYS, Language, chance, finish, pick
from .words import Adjective, Noun, Verb, Words, agree

# ------------------------------------------------------------------------- numbers
_UNITS = (
    "zero un dos tres quatre cinc sis set vuit nou deu onze dotze tretze catorze quinze setze "
    "disset divuit dinou"
).split()
_TENS = {2: "vint", 3: "trenta", 4: "quaranta", 5: "cinquanta", 6: "seixanta", 7: "setanta",
         8: "vuitanta", 9: "noranta"}


def _below_100(n: int, gender: str, one: str) -> str:
    if n < 20:
        if n == 1:
            return one
        if n == 2 and gender == "f":
            return "dues"
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    if unit == 0:
        return _TENS[tens]
    return _TENS[tens] + ("-i-" if tens == 2 else "-") + _below_100(unit, gender, one)


def _below_1000(n: int, gender: str, one: str) -> str:
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return _below_100(rest, gender, one)
    if hundreds == 1:
        head = "cent"
    else:
        head = _below_100(hundreds, gender, one) + ("-centes" if gender == "f" else "-cents")
    return head if rest == 0 else f"{head} {_below_100(rest, gender, one)}"


def number(n: int, gender: str = "m", counting: bool = False) -> str:
    """``n`` (0 ≤ n < 10⁶) in words agreeing with a noun of ``gender``.

    ``counting`` reads 1 as "u" (dates, years, "el número u"); otherwise "un"/"una".
    """
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number out of range: {n}")
    one = "u" if counting else ("una" if gender == "f" else "un")
    if n < 1000:
        return _below_1000(n, gender, one)
    thousands, rest = divmod(n, 1000)
    head = "mil" if thousands == 1 else _below_1000(thousands, gender, "un") + " mil"
    return head if rest == 0 else f"{head} {_below_1000(rest, gender, one)}"


# ------------------------------------------------------------------ orthography
_VOWEL_START = re.compile(r"^h?[aeiouàèéíòóúïü]", re.IGNORECASE)
_UNSTRESSED_IU = re.compile(r"^h?[iuïü]", re.IGNORECASE)


def _elides(word: str) -> bool:
    return bool(_VOWEL_START.match(word))


def definite(noun: Noun, plural: bool = False) -> str:
    """``el gat``, ``l'escola``, ``la universitat`` (no elision before unstressed i-/u-)."""
    word = noun.form(plural)
    if plural:
        return f"{'les' if noun.gender == 'f' else 'els'} {word}"
    article = noun.article
    if not article:
        if noun.gender == "f":
            article = "l'" if _elides(word) and not _UNSTRESSED_IU.match(word) else "la"
        else:
            article = "l'" if _elides(word) else "el"
    return f"{article}{word}" if article.endswith("'") else f"{article} {word}"


_CONTRACTIONS = {("a", "el"): "al", ("a", "els"): "als", ("de", "el"): "del", ("de", "els"): "dels",
                 ("per", "el"): "pel", ("per", "els"): "pels"}


def prep(p: str, phrase: str) -> str:
    """A preposition before ``phrase``: ``al mercat``, ``dels nens``, ``d'en Pere``, ``d'aigua``."""
    first, _, rest = phrase.partition(" ")
    if (p, first) in _CONTRACTIONS:
        return f"{_CONTRACTIONS[p, first]} {rest}"
    if p == "de" and _elides(phrase):
        return "d'" + phrase
    return f"{p} {phrase}"


# ------------------------------------------------------------------ conjugation
# The future is the infinitive (less a final -e) plus é/à/em/an; these stems differ.
FUTURE_STEMS = {"anar": "anir", "conèixer": "coneixer", "córrer": "correr"}

WORDS = Words.load("ca")
VERBS = WORDS.paradigms  # verb -> person -> form


class Catalan(Language):
    number = staticmethod(number)
    definite = staticmethod(definite)
    prep = staticmethod(prep)

    def indefinite(self, word: str, noun: Noun, plural: bool) -> str:
        return f"{agree(('un', 'una', 'uns', 'unes'), noun.gender, plural)} {word}"

    def modify(self, rng: random.Random, word: str, adjectives: Sequence[Adjective], gender: str,
               plural: bool) -> str:
        adj = pick(rng, adjectives).agree(gender, plural)
        return f"{word} {('molt ' if chance(rng, 0.2) else '')}{adj}"

    def conjugate(self, verb: Verb, tense: str, person: str) -> str:
        if tense == "present":
            return verb[person]
        if tense == "past":
            return f"{VERBS['go'][person]} {verb['inf']}"
        if tense == "perfect":
            return f"{VERBS['perfect'][person]} {verb['part']}"
        inf = verb["inf"]
        stem = FUTURE_STEMS.get(inf, inf[:-1] if inf.endswith("re") else inf)
        return stem + VERBS['future_endings'][person]

    def at_home(self, p: str) -> str | None:
        return "a casa" if p == "a" else None

    def place_preposition(self, p: str, noun: Noun, text: str) -> str:
        if p == "a" and not text.startswith(("el ", "la ", "l'")):
            return f"en {text}"  # "a" before articles, "en" before other determiners
        return prep(p, text)

    def date(self, rng: random.Random, year: bool = False) -> str:
        month = rng.randrange(12)
        day = rng.randint(1, MONTH_DAYS[month])
        words_day = number(day, counting=True)
        article = "l'" if _elides(words_day) else "el "
        text = f"{article}{words_day} {prep('de', self.w.months[month])}"
        if year:
            text += f" {prep('de', number(rng.randint(1950, 2030), counting=True))}"
        return text

    def bare_date(self, rng: random.Random) -> str:
        day = self.date(rng)
        return day[2:] if day.startswith("l'") else day[3:]

    def clock(self, rng: random.Random) -> str:
        """``les set``, ``la una``, ``dos quarts de vuit del vespre``."""
        hour24 = rng.randint(6, 23)
        quarter = pick(rng, [0, 0, 1, 2, 3])
        period = ("del matí" if hour24 < 12 else "del migdia" if hour24 < 14 else "de la tarda"
                  if hour24 < 20 else "del vespre" if hour24 < 22 else "de la nit")
        hour = hour24 % 12 or 12
        if quarter == 0:
            text = f"{'la' if hour == 1 else 'les'} {number(hour, 'f')}"
        else:
            following = number(hour % 12 + 1, "f")
            text = f"{['un quart', 'dos quarts', 'tres quarts'][quarter - 1]} {prep('de', following)}"
        return f"{text} {period}" if chance(rng, 0.5) else text

    def it_is(self, clock: str) -> str:
        return f"{'és' if clock.startswith(('la una', 'un quart')) else 'són'} {clock}"

    # Where the Catalan generator drew in another order than the engine's, kept so that
    # the corpus stays the same for a seed.
    def acquired(self, rng: random.Random, person: str) -> list[str]:
        buy = [v for v in self.w.transitive if v["inf"] == self.p["buy"]]
        return [self.conjugate(pick(rng, buy), "past", person)]

    def invitation_words(self, rng: random.Random) -> tuple[str, str]:
        want = pick(rng, self.p["would_you"])
        return want, pick(rng, self.w.times["future"]) if chance(rng, 0.5) else ""

    def likes(self, rng: random.Random, who: int | None = None) -> str:
        return super().likes(rng, who=rng.randrange(4))

    def tell_delay(self, rng: random.Random) -> str:
        minutes = number(rng.randint(2, 59))
        vehicle = definite(pick(rng, self.w.subsets["delayed"]))
        shape = self.p["delay"]
        return finish(shape["text"].format(vehicle=vehicle, verb=pick(rng, shape["verbs"]), minutes=minutes))

    def today(self, rng: random.Random) -> str:
        day = self.bare_date(rng)
        return finish(self.p["today"].format(weekday=pick(rng, self.w.weekdays), date=day))

    def weather(self, rng: random.Random) -> str:
        forecast = self.forecast(rng)
        return self.weather_exclamation(rng) or forecast


LANGUAGE = Catalan(WORDS)
LOCALE, NAME, ACCENTS = LANGUAGE.LOCALE, LANGUAGE.NAME, LANGUAGE.ACCENTS
sentence = LANGUAGE.sentence
