"""Spanish grammar for the sentence engine; the words are in ``data/es.json``.

Handles the grammar that shows in spelling: ``¿…?`` and ``¡…!``, the contractions
``al``/``del``, the personal ``a`` before human objects, ``y`` → ``e`` before an /i/ sound,
feminine nouns with a stressed a- taking ``el`` (``el agua``), apocope and agreement of
numbers (``veintiún euros``, ``doscientas personas``), and the ser/estar split for adjectives.
"""

from __future__ import annotations

import random
import re
from typing import Sequence

from .engine import MONTH_DAYS, Language, Phrase, chance, finish, pick
from .words import Adjective, Noun, Verb, Words, agree

# ------------------------------------------------------------------------- numbers
_UNITS = (
    "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince "
    "dieciséis diecisiete dieciocho diecinueve veinte"
).split()
_TWENTIES = (
    "veinte veintiuno veintidós veintitrés veinticuatro veinticinco veintiséis veintisiete "
    "veintiocho veintinueve"
).split()
_TENS = {3: "treinta", 4: "cuarenta", 5: "cincuenta", 6: "sesenta", 7: "setenta", 8: "ochenta",
         9: "noventa"}
_HUNDREDS = {2: "doscient", 3: "trescient", 4: "cuatrocient", 5: "quinient", 6: "seiscient",
             7: "setecient", 8: "ochocient", 9: "novecient"}


def _one(form: str, n_text: str) -> str:
    """Turn a final "uno" into the form the context needs: un, una or uno."""
    if not n_text.endswith("uno"):
        return n_text
    if form == "uno":
        return n_text
    if n_text.endswith("veintiuno"):
        return n_text[:-3] + ("ún" if form == "un" else "una")
    return n_text[:-3] + form


def _below_100(n: int) -> str:
    if n <= 20:
        return _UNITS[n]
    if n < 30:
        return _TWENTIES[n - 20]
    tens, unit = divmod(n, 10)
    return _TENS[tens] if unit == 0 else f"{_TENS[tens]} y {_UNITS[unit]}"


def _below_1000(n: int, gender: str) -> str:
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return _below_100(rest)
    if hundreds == 1:
        head = "cien" if rest == 0 else "ciento"
    else:
        head = _HUNDREDS[hundreds] + ("as" if gender == "f" else "os")
    return head if rest == 0 else f"{head} {_below_100(rest)}"


def number(n: int, gender: str = "m", counting: bool = False) -> str:
    """``n`` (0 ≤ n < 10⁶) in words: ``veintiún``/``veintiuna`` before a noun of ``gender``,
    ``veintiuno`` when ``counting`` (years, dates)."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number out of range: {n}")
    one = "uno" if counting else ("una" if gender == "f" else "un")
    if n < 1000:
        return _one(one, _below_1000(n, gender))
    thousands, rest = divmod(n, 1000)
    head = "mil" if thousands == 1 else _one("un", _below_1000(thousands, gender)) + " mil"
    return head if rest == 0 else f"{head} {_one(one, _below_1000(rest, gender))}"


# ------------------------------------------------------------------ orthography
def definite(noun: Noun, plural: bool = False) -> str:
    if plural:
        return f"{'las' if noun.gender == 'f' else 'los'} {noun.pl}"
    return f"{noun.article or ('la' if noun.gender == 'f' else 'el')} {noun.sg}"


def prep(p: str, phrase: str) -> str:
    """``al mercado``, ``del parque``; other prepositions never contract."""
    if p in ("a", "de") and phrase.startswith("el "):
        return f"{p}l {phrase[3:]}"
    return f"{p} {phrase}"


_I_SOUND = re.compile(r"^h?[ií](?![aeouáéóú])", re.IGNORECASE)


def and_(left: str, right: str) -> str:
    """``y``, or ``e`` before a word starting with the sound /i/ (``Pedro e Inés``)."""
    return f"{left} {'e' if _I_SOUND.match(right) else 'y'} {right}"


# ------------------------------------------------------------------ conjugation
FUTURE_STEMS = {"salir": "saldr", "querer": "querr"}  # the future is otherwise infinitive + é/á/emos/án
#: adjectives that say how a thing is now, and so take estar: "la sopa está caliente"
ESTAR_KINDS = ("state", "food")

WORDS = Words.load("es")
VERBS = WORDS.paradigms  # verb -> person -> form
PRETERITE = {"p1s": "s1s", "p3s": "s3s", "p1p": "s1p", "p3p": "s3p"}  # the verb tables' preterite forms


class Spanish(Language):
    TENSES = ((4, "present"), (3, "past"), (2, "perfect"), (1.5, "future"), (1, "going"))
    number = staticmethod(number)
    definite = staticmethod(definite)
    prep = staticmethod(prep)
    and_ = staticmethod(and_)

    def ask(self, text: str) -> str:
        return finish("¿" + text, "?")

    def exclaim(self, text: str) -> str:
        return finish("¡" + text, "!")

    def indefinite(self, word: str, noun: Noun, plural: bool) -> str:
        # a feminine noun with a stressed a- takes "un" as it takes "el": "un agua"
        return f"{agree(('un', 'un' if noun.article else 'una', 'unos', 'unas'), noun.gender, plural)} {word}"

    def modify(self, rng: random.Random, word: str, adjectives: Sequence[Adjective], gender: str,
               plural: bool) -> str:
        return f"{word} {'muy ' if chance(rng, 0.2) else ''}{pick(rng, adjectives).agree(gender, plural)}"

    def conjugate(self, verb: Verb, tense: str, person: str) -> str:
        if tense == "present":
            return verb[person]
        if tense == "past":
            return verb[PRETERITE[person]]
        if tense == "perfect":
            return f"{VERBS['perfect'][person]} {verb['part']}"
        if tense == "going":
            return f"{VERBS['go'][person]} a {verb['inf']}"
        inf = verb["inf"]
        return FUTURE_STEMS.get(inf, inf) + VERBS['future_endings'][person]

    def time_words(self, tense: str) -> tuple[str, ...]:
        return self.w.times["future" if tense == "going" else tense]

    def first_person(self, rng: random.Random, person: str) -> Phrase:
        if person == "p1s":
            return super().first_person(rng, person)
        gender = pick(rng, "mf")
        pronoun = self.p["pronouns"]["p1p_f" if gender == "f" else "p1p"]
        return Phrase(pronoun if chance(rng, 0.15) else "", gender, True, person, pronoun=True)

    def at_home(self, p: str) -> str | None:
        return {"a": "a casa", "de": "de casa", "en": "en casa"}.get(p, f"{p} casa")

    def mark_object(self, rng: random.Random, kind: str, text: str) -> str:
        if kind == "person":
            return prep("a", text)  # the personal "a"
        return prep("a", text) if kind == "animal" and chance(rng, 0.3) else text

    def describe(self, rng: random.Random, text: str, adj: Adjective, gender: str, plural: bool,
                 intensity: str) -> str:
        """Ser for what a thing is, estar for the state it is in; now and then "¡qué bonita es!"."""
        person = "p3p" if plural else "p3s"
        state = adj.kind in ESTAR_KINDS
        if not state and chance(rng, 0.15):
            return self.exclaim(f"qué {adj.agree(gender, plural)} {self.BE[0][person]} {text}")
        verb = (self.STATE_VERB if state else self.BE)[chance(rng, 0.25)][person]
        return finish(f"{text} {verb} {intensity} {adj.agree(gender, plural)}")

    def compound(self, rng: random.Random) -> str:
        first, second = self.clause(rng).strip(), self.clause(rng).strip()
        joiner = pick(rng, self.p["joiners"])
        if joiner == " y":
            return finish(and_(first, second))
        return finish(f"{first}{joiner} {second}")

    def date(self, rng: random.Random, year: bool = False) -> str:
        month = rng.randrange(12)
        day = rng.randint(1, MONTH_DAYS[month])
        text = f"el {'primero' if day == 1 else number(day, counting=True)} de {self.w.months[month]}"
        if year:
            text += f" de {number(rng.randint(1950, 2030), counting=True)}"
        return text

    def bare_date(self, rng: random.Random) -> str:
        return self.date(rng)[3:]

    def clock(self, rng: random.Random) -> str:
        """``la una``, ``las siete y media``, ``las nueve menos cuarto de la noche``."""
        hour24 = rng.randint(6, 23)
        minute = pick(rng, [0, 0, 15, 30, 45, 10, 20, 50])
        if minute > 30:
            hour24 += 1
        period = ("de la mañana" if hour24 < 12 else "del mediodía" if hour24 < 14 else "de la tarde"
                  if hour24 < 21 else "de la noche")
        hour = hour24 % 12 or 12
        text = "la una" if hour == 1 else f"las {number(hour, 'f')}"
        if minute in _MINUTES:
            text += " " + _MINUTES[minute]
        elif minute:
            text += f" y {number(minute)}"
        elif chance(rng, 0.3):
            text += " en punto"
        return f"{text} {period}" if chance(rng, 0.5) else text

    def it_is(self, clock: str) -> str:
        return f"{'es' if clock.startswith('la una') else 'son'} {clock}"

    # Where the Spanish generator drew in another order than the engine's, kept so that
    # the corpus stays the same for a seed.
    def tell_delay(self, rng: random.Random) -> str:
        vehicle = definite(pick(rng, self.w.subsets["delayed"]))
        shape = self.p["delay"]
        verb = pick(rng, shape["verbs"])
        return finish(shape["text"].format(vehicle=vehicle, verb=verb, minutes=number(rng.randint(2, 59))))


_MINUTES = {15: "y cuarto", 30: "y media", 45: "menos cuarto", 50: "menos diez"}

LANGUAGE = Spanish(WORDS)
LOCALE, NAME, ACCENTS = LANGUAGE.LOCALE, LANGUAGE.NAME, LANGUAGE.ACCENTS
sentence = LANGUAGE.sentence
