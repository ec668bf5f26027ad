"""The sentence engine: one set of templates that every language fills with its words and grammar.

A template is a kind of everyday sentence (a statement, a question, a price, the weather),
drawn with the weights in :data:`TEMPLATES`. The templates take their words and sentence
shapes from the language's :class:`~.words.Words` (``data/<locale>.json``) and call on the
language's grammar (articles, prepositions, numbers, conjugation), which each language
module writes as a subclass of :class:`Language`.

The synthesized corpus must stay the same for a seed, so each template makes its random
draws in a fixed order. Where a language drew in another order when its generator was
written, its module overrides the template or hook, and says so.
"""

from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Sequence, TypeVar

from .words import Adjective, Noun, Verb, Words, agree

T = TypeVar("T")


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


@dataclass(frozen=True)
class Phrase:
    """A noun phrase or subject and what agrees with it."""

    text: str
    gender: str = "m"
    plural: bool = False
    person: str = "p3s"  # p1s, p1p, p3s, p3p
    pronoun: bool = False  # a subject pronoun (English contracts the auxiliary after it: "I'm")


def _person(plural: bool) -> str:
    return "p3p" if plural else "p3s"


MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
CENTS = (5, 10, 20, 25, 30, 40, 50, 60, 75, 80, 90, 95, 99)  # the cents a price may end in

#: (weight, template method): how often each kind of sentence comes up
TEMPLATES = (
    (5.0, "statement"),
    (1.5, "compound"),
    (2.0, "description"),
    (1.5, "existence"),
    (3.0, "question"),
    (2.0, "wants"),
    (1.5, "likes"),
    (1.8, "numbers"),
    (1.0, "dates"),
    (1.2, "times"),
    (1.0, "prices"),
    (1.0, "weather"),
    (1.0, "request"),
    (0.4, "quoted"),
)

QUESTIONS = ("ask_where", "ask_departure", "ask_price", "ask_count", "ask_done", "ask_why", "ask_invitation",
             "ask_whose", "ask_which", "ask_knowledge", "ask_name_or_have")
NUMBERS = ("tell_age", "tell_count", "tell_year", "tell_delay", "tell_crowd", "tell_distance", "tell_temperature")
#: where-is questions; things get "where are my keys", places "where is the nearest station"
_FINDABLE = ("shop", "home", "public", "outdoor", "thing", "opens")
_ANYWHERE = ("home", "public", "outdoor", "shop", "city")


class Language(ABC):
    """A language's sentences: the shared templates, with the grammar a language module supplies.

    The default templates follow the Romance languages (pro-drop subjects, adjectives after
    the noun); English overrides what its word order and contractions change.
    """

    #: (weight, tense) of a clause's verb
    TENSES: Sequence[tuple[float, str]] = ((4, "present"), (3, "past"), (2, "perfect"), (2, "future"))
    #: (weight, modal) of "I want to / can / must / would like to / need to ..."
    MODALS: Sequence[tuple[float, str]] = ((3, "want"), (2, "can"), (2, "must"), (1, "would"), (1, "need"))
    QUESTIONS: Sequence[str] = QUESTIONS
    INFINITIVE = "inf"  # the verb form after "want to", "can", ...

    def __init__(self, words: Words):
        self.w = words
        self.p = words.phrases
        self.LOCALE = words.locale
        self.NAME = words.name
        self.ACCENTS = words.accents
        verbs = words.paradigms
        #: person -> verb, (present, past): the ser-like verb that describes ("és antic") and
        #: the estar-like one that moods take ("estic cansat")
        self.BE = (verbs["be"], verbs["be_past"])
        self.STATE_VERB = (verbs.get("be_state", {}), verbs.get("be_state_past", {}))
        self.HAVE = verbs["have"]  # "tinc 20 anys", "I have three cats"
        self.MODAL_VERBS = {m: verbs[m] for _, m in self.MODALS if m in verbs}  # modal -> person -> verb

    def sentence(self, rng: random.Random) -> str:
        """One sentence, capitalized and punctuated like a Common Voice prompt."""
        return getattr(self, weighted(rng, TEMPLATES))(rng)

    # ------------------------------------------------------------------ grammar
    @abstractmethod
    def number(self, n: int, gender: str = "m", counting: bool = False) -> str:
        """``n`` in words, agreeing with a noun of ``gender``; ``counting``: as in dates and years."""

    @abstractmethod
    def definite(self, noun: Noun, plural: bool = False) -> str:
        """The noun with its definite article."""

    @abstractmethod
    def indefinite(self, word: str, noun: Noun, plural: bool) -> str:
        """``word`` (the noun, maybe with an adjective) with the indefinite article ``noun`` takes."""

    @abstractmethod
    def modify(self, rng: random.Random, word: str, adjectives: Sequence[Adjective], gender: str,
               plural: bool) -> str:
        """``word`` with an agreeing adjective, sometimes intensified."""

    @abstractmethod
    def conjugate(self, verb: Verb, tense: str, person: str) -> str:
        """The verb (with its auxiliary) in ``tense`` for ``person``."""

    @abstractmethod
    def date(self, rng: random.Random, year: bool = False) -> str:
        """A date with its article: ``el vint-i-u de maig``, ``the first of May``."""

    @abstractmethod
    def clock(self, rng: random.Random) -> str:
        """A time of day as people say it."""

    @abstractmethod
    def it_is(self, clock: str) -> str:
        """"It is" before a time of day: ``són les set``, ``it's seven o'clock``."""

    @abstractmethod
    def tell_delay(self, rng: random.Random) -> str:
        """``the train is ten minutes late`` (each language drew its words in its own order)."""

    def prep(self, p: str, phrase: str) -> str:
        """A preposition before ``phrase``, contracted where the language contracts."""
        return f"{p} {phrase}"

    def and_(self, left: str, right: str) -> str:
        return f"{left} {self.p['and']} {right}"

    def ask(self, text: str) -> str:
        return finish(text, "?")

    def exclaim(self, text: str) -> str:
        return finish(text, "!")

    def bare_date(self, rng: random.Random) -> str:
        """A date after a weekday ("today is Monday, ..."), without its article."""
        return self.date(rng)

    def time_words(self, tense: str) -> tuple[str, ...]:
        """Time adverbials that go with ``tense``: "yesterday", "every day"."""
        return self.w.times[tense]

    def acquired(self, rng: random.Random, person: str) -> list[str]:
        """Verbs besides "have" for "... has three books": the past of "buy"."""
        buy = next(v for v in self.w.transitive if v[self.INFINITIVE] == self.p["buy"])
        return [self.conjugate(buy, "past", person)]

    # ------------------------------------------------------------------ phrases
    def noun_phrase(self, rng: random.Random, noun: Noun, det: str | None = None, plural: bool | None = None,
                    adjective: float = 0.3) -> Phrase:
        """A determiner, the noun and sometimes an agreeing adjective."""
        mass = not noun.pl
        if plural is None:
            plural = False if mass else chance(rng, 0.35)
        plural = plural and not mass
        if det is None:
            options = ["def", "def", "indef", "dem", "poss"] + (["count", "quant"] if plural else [])
            det = pick(rng, options if not mass else self.p["mass_determiners"])
        word = noun.form(plural)
        adjs = self.w.adjectives_for.get(noun.kind, ())
        if adjs and chance(rng, adjective):
            word = self.modify(rng, word, adjs, noun.gender, plural)
        g = noun.gender
        if det == "def":
            head = self.definite(Noun(word, word, g, noun.kind, noun.article), plural)
        elif det == "indef":
            head = self.indefinite(word, noun, plural)
        elif det == "dem":
            head = f"{agree(pick(rng, self.p['demonstratives']), g, plural)} {word}"
        elif det == "poss":
            head = f"{agree(pick(rng, self.p['possessives']), g, plural)} {word}"
        elif det == "count":
            head = f"{self.number(rng.randint(2, 30) if chance(rng, 0.8) else rng.randint(31, 999), g)} {word}"
        elif det == "quant":
            head = f"{agree(pick(rng, self.p['quantifiers']), g, True)} {word}"
        elif det == "some":
            head = f"{self.p['partitive']} {word}"
        else:  # a bare mass noun: "compro pa"
            head = word
        return Phrase(head, g, plural)

    def name(self, rng: random.Random) -> Phrase:
        female = chance(rng, 0.5)
        return Phrase(pick(rng, self.w.female_names if female else self.w.male_names), "f" if female else "m")

    def person_phrase(self, rng: random.Random, plural: bool | None = None) -> Phrase:
        """A person: a name, ``el meu avi``, ``la veïna de la Laia``, ``Anna's brother``."""
        if plural is None:
            plural = chance(rng, 0.3)
        if not plural and chance(rng, 0.45):
            return self.name(rng)
        noun = pick(rng, self.w.nouns["person"])
        det = pick(rng, self.p["person_determiners"])
        if det == "owner":
            text = f"{self.p['possessive'].format(pick(rng, self.w.names))} {noun.form(plural)}"
            return Phrase(text, noun.gender, plural, _person(plural))
        phrase = self.noun_phrase(rng, noun, det=det, plural=plural, adjective=0.15)
        text = phrase.text
        if det == "def" and "owner_after_def" in self.p and chance(rng, self.p["owner_after_def"]):
            text = f"{text} {self.prep('de', pick(rng, self.w.names))}"
        return Phrase(text, phrase.gender, plural, _person(plural))

    def couple(self, rng: random.Random) -> Phrase:
        """``Jordi i Anna``: a man's and a woman's name, in either order."""
        a, b = pick(rng, self.w.male_names), pick(rng, self.w.female_names)
        return Phrase(self.and_(a, b) if chance(rng, 0.5) else self.and_(b, a), "m", True, "p3p")

    def first_person(self, rng: random.Random, person: str) -> Phrase:
        """I or we; the pronoun is usually dropped."""
        text = self.p["pronouns"][person] if chance(rng, 0.15) else ""
        return Phrase(text, pick(rng, "mf"), person == "p1p", person, pronoun=True)

    def subject(self, rng: random.Random) -> Phrase:
        r = rng.random()
        if r < 0.2:
            return self.first_person(rng, "p1s")
        if r < 0.35:
            return self.first_person(rng, "p1p")
        if r < 0.42:
            return self.couple(rng)
        return self.person_phrase(rng)

    def city_instead(self, rng: random.Random, candidates: Sequence[Noun]) -> bool:
        """Whether a place that may be a city is one."""
        return chance(rng, 0.35) or not candidates

    def to_city(self, p: str, city: str) -> str:
        return self.prep(p, city)

    def at_home(self, p: str) -> str | None:
        """"at home" for preposition ``p``, where the language says it without an article."""
        return None

    def place_preposition(self, p: str, noun: Noun, text: str) -> str:
        return self.prep(p, text)

    def place_phrase(self, rng: random.Random, spec: Sequence[str], p: str | None = None) -> str:
        """A place of a kind (or name) in ``spec``, or a city, after preposition ``p``."""
        p = self.p["at"] if p is None else p
        candidates = [n for n in self.w.places if n.kind in spec or n.sg in spec]
        if "city" in spec and self.city_instead(rng, candidates):
            return self.to_city(p, pick(rng, self.w.cities))
        if not candidates:
            return ""
        noun = pick(rng, candidates)
        home = self.at_home(p) if noun.kind == "home" else None
        if home and chance(rng, 0.15):
            return home
        det = pick(rng, ["def", "def", "def", "poss", "dem"])
        text = self.noun_phrase(rng, noun, det=det, plural=False, adjective=0.15).text
        return self.place_preposition(p, noun, text)

    def mark_object(self, rng: random.Random, kind: str, text: str) -> str:
        """The object as it follows its verb (Spanish marks people with "a")."""
        return text

    def object_phrase(self, rng: random.Random, verb: Verb) -> str:
        kind = pick(rng, verb.objects)
        if kind == "person":
            text = self.person_phrase(rng).text
        else:
            text = self.noun_phrase(rng, pick(rng, [n for n in self.w.all_nouns if kind in (n.kind, n.sg)])).text
        return self.mark_object(rng, kind, text)

    def action(self, rng: random.Random, transitive: float, place: float) -> tuple[Verb, str]:
        """A verb and what follows it: an object (sometimes a place), or where a motion verb goes."""
        if chance(rng, transitive):
            verb = pick(rng, self.w.transitive)
            text = self.object_phrase(rng, verb)
            if verb.places and chance(rng, place):
                text += " " + self.place_phrase(rng, verb.places)
            return verb, text
        verb = pick(rng, self.w.motion)
        return verb, self.place_phrase(rng, verb.places, verb.objects[0])

    def infinitive_phrase(self, rng: random.Random, form: str | None = None) -> str:
        """``comprar pa al forn``, ``go to the beach``."""
        verb, tail = self.action(rng, 0.65, 0.3)
        return f"{verb[form or self.INFINITIVE]} {tail}"

    def verb_phrase(self, rng: random.Random, tense: str, person: str, negate: bool = False) -> str:
        """Verb, object and place: ``compra pomes al mercat``, ``va anar a Girona``."""
        verb, tail = self.action(rng, 0.7, 0.4)
        parts = [self.conjugate(verb, tense, person), tail]
        if negate:
            parts.insert(0, self.p["not"])
        return " ".join(p for p in parts if p)

    def clause(self, rng: random.Random) -> str:
        tense = weighted(rng, self.TENSES)
        subj = self.subject(rng)
        time = pick(rng, self.time_words(tense)) if chance(rng, 0.5) else ""
        vp = self.verb_phrase(rng, tense, subj.person, negate=chance(rng, 0.12))
        if time and chance(rng, 0.5):
            return f"{time} {subj.text} {vp}"
        return f"{subj.text} {vp} {time}"

    def describable(self, rng: random.Random) -> Noun:
        """A thing, animal or place with adjectives to describe it."""
        return pick(rng, [n for n in self.w.all_nouns if n.kind in self.w.adjectives_for and n.kind != "person"])

    def describe(self, rng: random.Random, text: str, adj: Adjective, gender: str, plural: bool,
                 intensity: str) -> str:
        """``the house is very old``."""
        verb = self.BE[chance(rng, 0.25)][_person(plural)]
        return finish(f"{text} {verb} {intensity} {adj.agree(gender, plural)}")

    # ---------------------------------------------------------------- templates
    def statement(self, rng: random.Random) -> str:
        return finish(self.clause(rng))

    def compound(self, rng: random.Random) -> str:
        joiner = pick(rng, self.p["joiners"])
        return finish(f"{self.clause(rng)}{joiner} {self.clause(rng)}")

    def description(self, rng: random.Random) -> str:
        intensity = pick(rng, self.p["intensities"])
        if chance(rng, 0.3):
            subj = self.subject(rng)
            mood = pick(rng, self.w.adjectives["mood"]).agree(subj.gender, subj.person in ("p1p", "p3p"))
            past = chance(rng, 0.3)
            verb = self.STATE_VERB[past][subj.person]
            time = pick(rng, self.p["mood_times"]["past" if past else "present"]) if chance(rng, 0.3) else ""
            return finish(f"{subj.text} {verb} {intensity} {mood} {time}")
        noun = self.describable(rng)
        det = pick(rng, ["def", "dem", "poss"])
        np = self.noun_phrase(rng, noun, det=det, adjective=0.0)
        text = np.text
        if det == "def" and chance(rng, 0.4):
            text = f"{text} {self.prep('de', pick(rng, self.w.names))}"
        adj = pick(rng, self.w.adjectives_for[noun.kind])
        return self.describe(rng, text, adj, noun.gender, np.plural, intensity)

    def existence(self, rng: random.Random) -> str:
        """``there are three cats in the garden``."""
        noun = pick(rng, self.w.of("thing", "animal", "person", "vehicle", "fruit", "opens"))
        plural = chance(rng, 0.6) and bool(noun.pl)
        np = self.noun_phrase(rng, noun, det=pick(rng, ["count", "quant"]) if plural else "indef", plural=plural)
        place = self.place_phrase(rng, _ANYWHERE)
        verb = pick(rng, self.p["there_is"])[plural]
        shape = self.p["existence"]
        text = shape["place_first_text"] if chance(rng, shape["place_first"]) else shape["text"]
        return finish(text.format(place=place, verb=verb, thing=np.text))

    def question(self, rng: random.Random) -> str:
        return getattr(self, self.QUESTIONS[rng.randrange(len(self.QUESTIONS))])(rng)

    def nearest(self, noun: Noun, near: bool) -> str:
        text = self.definite(noun)
        return f"{text} {agree(self.p['nearest'], noun.gender, False)}" if near else text

    def ask_where(self, rng: random.Random) -> str:
        noun = pick(rng, self.w.of(*_FINDABLE))
        if noun.kind in ("thing", "opens"):
            np = self.noun_phrase(rng, noun, det=pick(rng, ["def", "poss"]), adjective=0.2)
            return self.ask(self.p["where"][np.plural].format(np.text))
        return self.ask(self.p["where"][0].format(self.nearest(noun, chance(rng, 0.4))))

    def ask_departure(self, rng: random.Random) -> str:
        vehicle = pick(rng, self.w.subsets["timetabled"])
        where = self.prep(pick(rng, self.p["from_to"]), pick(rng, self.w.cities)) if chance(rng, 0.5) else ""
        verb = pick(rng, self.p["departs"])
        return self.ask(self.p["departure"].format(verb=verb, vehicle=self.definite(vehicle), where=where))

    def ask_price(self, rng: random.Random) -> str:
        noun = pick(rng, self.w.of("thing", "clothes", "text", "instrument", "vehicle"))
        np = self.noun_phrase(rng, noun, det="dem", adjective=0.2)
        shapes = self.p["how_much"]  # with two ways to ask, a coin picks one
        shape = shapes[0] if len(shapes) == 1 or chance(rng, 0.5) else shapes[1]
        return self.ask(shape[np.plural].format(np.text))

    def ask_count(self, rng: random.Random) -> str:
        noun = pick(rng, [n for n in self.w.of("thing", "person", "animal", "text") if n.pl])
        how_many = agree(self.p["how_many"], noun.gender, True)
        place = self.place_phrase(rng, _ANYWHERE)
        return self.ask(self.p["count_question"].format(how_many=how_many, nouns=noun.pl, place=place))

    def ask_done(self, rng: random.Random) -> str:
        verb = pick(rng, [v for v in self.w.transitive if "person" not in v.objects or len(v.objects) > 1])
        aux = pick(rng, self.p["have_you"])
        return self.ask(f"{aux} {verb['part']} {self.object_phrase(rng, verb)}")

    def ask_why(self, rng: random.Random) -> str:
        who = self.person_phrase(rng)
        verb = pick(rng, self.p["why_verbs"])
        return self.ask(self.p["why"].format(verb=verb[who.plural], who=who.text))

    def invitation_place(self, rng: random.Random, verb: Verb) -> str:
        noun = pick(rng, [n for n in self.w.places if n.sg in verb.places or n.kind in verb.places])
        return self.prep(verb.objects[0], self.definite(noun))

    def invitation_words(self, rng: random.Random) -> tuple[str, str]:
        """(do you want to, when)."""
        when = pick(rng, self.w.times["future"]) if chance(rng, 0.5) else ""
        return pick(rng, self.p["would_you"]), when

    def ask_invitation(self, rng: random.Random) -> str:
        verb = pick(rng, [v for v in self.w.motion if v[self.INFINITIVE] in self.p["invitation_verbs"]])
        place = self.invitation_place(rng, verb)
        want, when = self.invitation_words(rng)
        inf = self.p["come"].get(verb[self.INFINITIVE], verb[self.INFINITIVE])
        return self.ask(self.p["invitation"].format(want=want, verb=inf, place=place, when=when))

    def ask_whose(self, rng: random.Random) -> str:
        noun = pick(rng, self.w.of("thing", "clothes", "text", "opens", "animal"))
        np = self.noun_phrase(rng, noun, det="dem", adjective=0.2)
        return self.ask(self.p["whose"][np.plural].format(np.text))

    def choice(self, rng: random.Random) -> tuple[Verb, Noun]:
        """A verb of choosing and a noun it takes: which book do you want to read?"""
        verb = pick(rng, [v for v in self.w.transitive if v[self.INFINITIVE] in self.p["choosing"]])
        return verb, pick(rng, [n for n in self.w.all_nouns if n.kind in verb.objects or n.sg in verb.objects])

    def ask_which(self, rng: random.Random) -> str:
        verb, noun = self.choice(rng)
        which = agree(self.p["which"], noun.gender, False)
        want = pick(rng, self.p["which_want"])
        return self.ask(self.p["which_question"].format(which=which, noun=noun.sg, want=want,
                                                        verb=verb[self.INFINITIVE]))

    def ask_knowledge(self, rng: random.Random) -> str:
        who = self.person_phrase(rng, plural=False).text
        tail = pick(rng, [t.format(who=who) for t in self.p["know_tails"]])
        return self.ask(self.p["know"].format(tail))

    def ask_name(self, rng: random.Random) -> str:
        noun = pick(rng, self.w.nouns["person"])
        owner = agree(pick(rng, self.p["your"]), noun.gender, False)
        return self.ask(self.p["name_question"].format(owner=owner, noun=noun.sg))

    def ask_have(self, rng: random.Random) -> str:
        thing = self.noun_phrase(rng, pick(rng, self.w.of("thing", "opens", "clothes")), det="indef",
                                 plural=False).text
        return self.ask(f"{pick(rng, self.p['have'])} {thing}")

    def ask_name_or_have(self, rng: random.Random) -> str:
        return self.ask_name(rng) if chance(rng, 0.5) else self.ask_have(rng)

    def wants(self, rng: random.Random) -> str:
        subj = self.subject(rng)
        modal = weighted(rng, self.MODALS)
        inf = self.infinitive_phrase(rng)
        neg = self.p["not"] + " " if chance(rng, 0.15) else ""
        if modal == "would":  # "m'agradaria", "a la Laia li agradaria"
            head = f"{neg}{self.p['clitics'][subj.person]}{self.p['would_like']} {inf}"
            if subj.person in ("p3s", "p3p") and subj.text:
                return finish(f"{self.prep(self.p['to'], subj.text)} {head}")
            return finish(head)
        verb = self.MODAL_VERBS[modal][subj.person]
        return finish(f"{subj.text} {neg}{self.p['modals'][modal].format(verb=verb, inf=inf, de_inf=self.prep('de', inf))}")

    def liked(self, rng: random.Random) -> tuple[str, bool]:
        """What someone likes (a thing or doing something) and whether it is plural."""
        noun = pick(rng, self.w.of("food", "fruit", "drink", "animal", "text", "instrument", "shop", "home",
                                   "public", "outdoor", "clothes"))
        if chance(rng, 0.3):
            return self.infinitive_phrase(rng), False
        plural = bool(noun.pl) and chance(rng, 0.5)
        return self.noun_phrase(rng, noun, det="def", plural=plural, adjective=0.2).text, plural

    def likes(self, rng: random.Random, who: int | None = None) -> str:
        """``m'agraden les pomes``, ``a la Laia no li agrada gens nedar``."""
        thing, plural = self.liked(rng)
        verb = pick(rng, self.p["like"])[plural]
        neg = self.p["not"] + " " if chance(rng, 0.2) else ""
        if who is None:
            who = rng.randrange(4)
        clitics = self.p["clitics"]
        if who < 2:
            head = f"{neg}{clitics['p1s' if who == 0 else 'p1p']}{verb}"
        else:
            p = self.person_phrase(rng)
            head = f"{self.prep(self.p['to'], p.text)} {neg}{clitics[_person(p.plural)]}{verb}"
        if neg:
            tail = " " + self.p["not_at_all"] if chance(rng, 0.3) else ""
        else:
            tail = " " + self.p["a_lot"] if chance(rng, 0.3) else ""
        return finish(f"{head}{tail} {thing}")

    def numbers(self, rng: random.Random) -> str:
        return getattr(self, NUMBERS[rng.randrange(len(NUMBERS))])(rng)

    def tell_age(self, rng: random.Random) -> str:
        subj = self.subject(rng)
        age = self.number(rng.randint(2, 99))
        return finish(self.p["age"].format(subj=subj.text, have=self.HAVE[subj.person], age=age))

    def tell_count(self, rng: random.Random) -> str:
        subj = self.subject(rng)
        noun = pick(rng, [n for n in self.w.of("thing", "animal", "clothes", "text", "vehicle", "instrument")
                          if n.pl])
        n = rng.randint(2, 40) if chance(rng, 0.7) else rng.randint(41, 999)
        verb = pick(rng, [self.HAVE[subj.person], *self.acquired(rng, subj.person)])
        return finish(f"{subj.text} {verb} {self.number(n, noun.gender)} {noun.pl}")

    def year(self, rng: random.Random, n: int) -> str:
        """A year as people say it."""
        return self.number(n, counting=True)

    def tell_year(self, rng: random.Random) -> str:
        year = self.year(rng, rng.randint(1200, 2030))
        who = self.person_phrase(rng, plural=False).text
        built = self.definite(pick(rng, self.w.subsets["built"]))
        to_city = self.prep(self.p["to"], pick(rng, self.w.cities))
        shape = self.p["year_of"]
        what = pick(rng, [e.format(who=who, built=built, to_city=to_city) for e in shape["events"]])
        return finish(shape["text"].format(what=what, year=year))

    def tell_crowd(self, rng: random.Random) -> str:
        shape = self.p["crowd"]
        n = rng.randint(*shape["sizes"][0]) if chance(rng, 0.7) else rng.randint(*shape["sizes"][1])
        where = self.place_phrase(rng, ("public", "outdoor", "city"))
        return finish(shape["text"].format(where=where, n=self.number(n, "f")))

    def tell_distance(self, rng: random.Random) -> str:
        shape = self.p["distance"]
        a, b = rng.sample(self.w.city_groups["regional"], 2)
        n = self.number(rng.randint(3, shape["max"]))
        return finish(shape["text"].format(a=a, n=n, from_b=self.prep(self.p["from"], b)))

    def temperature(self, rng: random.Random) -> str:
        """``twenty-one degrees``, ``menys tres graus``."""
        shape = self.p["temperature"]
        degrees = rng.randint(-5, 42)
        sign = shape["minus"] + " " if degrees < 0 else ""
        return f"{sign}{self.number(abs(degrees))} {shape['units'][abs(degrees) != 1]}"

    def tell_temperature(self, rng: random.Random) -> str:
        shape = self.p["temperature"]
        degrees = self.temperature(rng)
        when = pick(rng, shape["times"])
        where = self.prep(self.p["in"], pick(rng, self.w.cities))
        return finish(shape["text"].format(degrees=degrees, when=when, where=where))

    def today(self, rng: random.Random) -> str:
        weekday = pick(rng, self.w.weekdays)
        return finish(self.p["today"].format(weekday=weekday, date=self.bare_date(rng)))

    def dates(self, rng: random.Random) -> str:
        kind = rng.randrange(4)
        if kind == 0:
            event = self.definite(pick(rng, self.w.nouns["event"]))
            verb = pick(rng, self.p["event_verbs"])
            return finish(self.p["on_date"].format(event=event, verb=verb, date=self.date(rng, chance(rng, 0.3))))
        if kind == 1:
            return self.today(rng)
        if kind == 2:
            who = self.person_phrase(rng, plural=False).text
            return finish(self.p["born_on"].format(who=who, date=self.date(rng, True)))
        return finish(self.p["birthday"].format(date=self.date(rng)))

    def meeting_place(self, rng: random.Random) -> str:
        return self.prep(self.p["at"], self.definite(pick(rng, self.w.of("public", "outdoor"))))

    def times(self, rng: random.Random) -> str:
        kind = rng.randrange(5)
        if kind == 0:
            vehicle = self.definite(pick(rng, self.w.subsets["timetabled"]))
            verb = pick(rng, self.p["leaves"])
            return finish(self.p["leaves_at"].format(vehicle=vehicle, verb=verb, clock=self.clock(rng)))
        if kind == 1:
            shop = self.definite(pick(rng, self.w.of("shop", "public")))
            return finish(self.p["opening_hours"].format(shop=shop, opens=self.clock(rng), closes=self.clock(rng)))
        if kind == 2:
            clock = self.clock(rng)
            return finish(self.p["meet"].format(clock=clock, place=self.meeting_place(rng)))
        if kind == 3:
            event = self.definite(pick(rng, self.w.nouns["event"]))
            verb = pick(rng, self.p["starts"])
            return finish(self.p["starts_at"].format(event=event, verb=verb, clock=self.clock(rng)))
        return finish(self.it_is(self.clock(rng)))

    def one(self, rng: random.Random, unit: str) -> str:
        """One of a currency: ``un euro``, ``a dollar``."""
        return f"{self.p['one']} {unit}"

    def price(self, rng: random.Random) -> str:
        """An amount of money: ``vint euros amb cinquanta cèntims``."""
        currencies = self.p["currencies"]  # (unit, units, hundredths); with one, nothing to draw
        unit, units, cents = currencies[0] if len(currencies) == 1 else pick(rng, currencies)
        amount = rng.randint(1, 30) if chance(rng, 0.7) else rng.randint(31, 2500)
        text = self.one(rng, unit) if amount == 1 else f"{self.number(amount)} {units}"
        if chance(rng, 0.4):
            text += f" {self.p['and_cents']} {self.number(pick(rng, CENTS))} {cents}"
        return text

    def prices(self, rng: random.Random) -> str:
        noun = pick(rng, self.w.of("thing", "clothes", "text", "instrument", "food", "opens"))
        kind = rng.randrange(3)
        if kind == 0:
            np = self.noun_phrase(rng, noun, det=pick(rng, ["dem", "def"]), adjective=0.3)
            verb = pick(rng, self.p["costs"])[np.plural]
            return finish(f"{np.text} {verb} {self.price(rng)}")
        if kind == 1:
            np = self.noun_phrase(rng, noun, det="indef", plural=False)
            paid = pick(rng, self.p["paid"])
            return finish(self.p["paid_text"].format(paid=paid, price=self.price(rng), thing=np.text))
        total = pick(rng, self.p["total"])
        return finish(self.p["total_text"].format(total=total, price=self.price(rng)))

    def weather_exclamation(self, rng: random.Random) -> str | None:
        """Now and then "what a beautiful day!" instead of a forecast."""
        return self.exclaim(pick(rng, self.p["weather_exclamations"])) if chance(rng, 0.15) else None

    def forecast(self, rng: random.Random) -> str:
        tense = pick(rng, ["present", "past", "future"])
        phrase = pick(rng, self.p["weather"][tense])
        time = pick(rng, self.p["weather_times"][tense])
        where = pick(rng, [self.prep(self.p["in"], pick(rng, self.w.cities)), *self.p["regions"]])
        return finish(self.p["weather_text"].format(time=time, phrase=phrase, where=where))

    def weather(self, rng: random.Random) -> str:
        return self.weather_exclamation(rng) or self.forecast(rng)

    def request(self, rng: random.Random) -> str:
        inf = self.infinitive_phrase(rng)
        shape = self.p["requests"][rng.randrange(len(self.p["requests"]))]
        lead = pick(rng, shape["leads"]) if "leads" in shape else ""
        text = shape["text"].format(lead=lead, inf=inf, de_inf=self.prep("de", inf))
        return self.ask(text) if shape["mark"] == "?" else finish(text)

    def quoted(self, rng: random.Random) -> str:
        """Reported speech: «On és l'estació?», va preguntar en Jordi."""
        who = self.person_phrase(rng, plural=False).text
        if chance(rng, 0.5):
            quote = self.question(rng)
            return finish(self.p["quoted_question"].format(quote=quote, verb=pick(rng, self.p["asked"]), who=who))
        quote = self.statement(rng)[:-1]
        return finish(self.p["quoted_statement"].format(quote=quote, verb=pick(rng, self.p["said"]), who=who))
