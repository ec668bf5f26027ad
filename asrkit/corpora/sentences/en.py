"""English grammar for the sentence engine; the words are in ``data/en.json``.

American spelling throughout (one spelling per word keeps the word error rate honest).
Handles ``a``/``an`` by the sound of the next word (``an umbrella``, ``a useful map``),
contractions (``I'm``, ``doesn't``, ``they'll``, ``Anna's``), irregular verbs and plurals,
and numbers, years and ordinals the way people say them (``nineteen eighty-seven``,
``the twenty-first of May``, ``a quarter to nine``). English puts adjectives before the
noun and needs its auxiliaries, so it writes its own clauses.
"""

from __future__ import annotations

import random
import re
from typing import Sequence

from .engine import MONTH_DAYS, Language, Phrase, chance, finish, pick, weighted
from .words import Adjective, Noun, Verb, Words

# ------------------------------------------------------------------------- numbers
_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty",
         9: "ninety"}
_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
             "nine": "ninth", "twelve": "twelfth"}


def _below_100(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, unit = divmod(n, 10)
    return _TENS[tens] if unit == 0 else f"{_TENS[tens]}-{_ONES[unit]}"


def _below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return _below_100(rest)
    head = f"{_ONES[hundreds]} hundred"
    return head if rest == 0 else f"{head} and {_below_100(rest)}"


def number(n: int) -> str:
    """``n`` (0 ≤ n < 10⁶) in words: ``three hundred and forty-two``."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number out of range: {n}")
    if n < 1000:
        return _below_1000(n)
    thousands, rest = divmod(n, 1000)
    head = f"{_below_1000(thousands)} thousand"
    if rest == 0:
        return head
    return f"{head} {'and ' if rest < 100 else ''}{_below_1000(rest)}"


def ordinal(n: int) -> str:
    """``first``, ``twelfth``, ``twenty-first``, ``thirtieth`` (1 ≤ n < 100)."""
    text = _below_100(n)
    head, _, last = text.rpartition("-")
    if last in _ORDINALS:
        last = _ORDINALS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}-{last}" if head else last


def year(n: int, rng: random.Random) -> str:
    """A year as people say it: ``nineteen eighty-seven``, ``two thousand and five``."""
    century, rest = divmod(n, 100)
    if 2000 <= n < 2010 or (n >= 2010 and chance(rng, 0.3)):
        return number(n)  # "two thousand and five"
    if rest == 0:
        return f"{_below_100(century)} hundred"
    if rest < 10:
        return f"{_below_100(century)} oh {_ONES[rest]}"
    return f"{_below_100(century)} {_below_100(rest)}"


# ------------------------------------------------------------------ orthography
_AN_EXCEPTIONS = re.compile(r"^(hour|honest|honor|heir)", re.IGNORECASE)
_A_EXCEPTIONS = re.compile(r"^(uni|use|usu|eu|one|once|ur[aeiou])", re.IGNORECASE)


def indefinite(phrase: str) -> str:
    """``a`` or ``an`` by the sound of the first word: ``an hour``, ``a useful map``."""
    vowel = phrase[:1].lower() in "aeiou"
    an = (vowel and not _A_EXCEPTIONS.match(phrase)) or bool(_AN_EXCEPTIONS.match(phrase))
    return f"{'an' if an else 'a'} {phrase}"


# ------------------------------------------------------------------ conjugation
PRONOUNS = {"p1s": ("I",), "p1p": ("we",), "p3s": ("he", "she"), "p3p": ("they",)}
# Contracted auxiliaries after a pronoun: I'm, she's, we've, they'll, ...
_CONTRACT = {"am": "'m", "is": "'s", "are": "'re", "have": "'ve", "has": "'s", "will": "'ll", "would": "'d"}
_NEGATIVE = {"do": "don't", "does": "doesn't", "did": "didn't", "is": "isn't", "are": "aren't",
             "was": "wasn't", "were": "weren't", "have": "haven't", "has": "hasn't", "will": "won't",
             "can": "can't"}
_ING_VERBS = ("crying", "laughing", "shouting", "running", "singing", "sleeping")

# Where something happens: "in the kitchen", "at the station", "on the beach".
LOCATIVE = {"home": "in", "outdoor": "in", "shop": "at", "public": "at"}
LOCATIVE_EXCEPTIONS = {"terrace": "on", "balcony": "on", "beach": "on", "street": "on", "bridge": "on",
                       "island": "on", "harbor": "at", "fountain": "at", "castle": "at"}


def contract(rng: random.Random, subj: Phrase, aux: str, negate: bool = False) -> str:
    """Subject and auxiliary: ``I'm``, ``she doesn't``, ``they won't``, ``my aunt has``."""
    if negate:
        if aux == "am":
            return "I'm not" if chance(rng, 0.7) else "I am not"
        return f"{subj.text} {_NEGATIVE.get(aux, aux + ' not')}"
    if subj.pronoun and aux in _CONTRACT and chance(rng, 0.6):
        return f"{subj.text}{_CONTRACT[aux]}"
    return f"{subj.text} {aux}"

WORDS = Words.load("en")
VERBS = WORDS.paradigms  # verb -> person -> form


class English(Language):
    TENSES = ((4, "present"), (3, "past"), (2, "perfect"), (1.5, "future"), (1.5, "progressive"))
    MODALS = ((3, "want"), (2, "can"), (2, "must"), (1, "would"), (1, "need"), (1, "going"))
    QUESTIONS = ("ask_where", "ask_departure", "ask_price", "ask_count", "ask_done", "ask_why", "ask_invitation",
                 "ask_whose", "ask_which", "ask_knowledge", "ask_name", "ask_have")
    INFINITIVE = "base"

    def number(self, n: int, gender: str = "", counting: bool = False) -> str:
        return number(n)  # English numbers agree with nothing

    def definite(self, noun: Noun, plural: bool = False) -> str:
        return f"the {noun.form(plural)}"

    def indefinite(self, word: str, noun: Noun, plural: bool) -> str:
        return word if plural else indefinite(word)

    def modify(self, rng: random.Random, word: str, adjectives: Sequence[Adjective], gender: str,
               plural: bool) -> str:
        very = pick(rng, ["very ", "really ", "", "", ""]) if chance(rng, 0.3) else ""
        return f"{very}{pick(rng, adjectives).forms[0]} {word}"

    def conjugate(self, verb: Verb, tense: str, person: str) -> str:
        """The verb without an auxiliary: present or past."""
        if tense == "past":
            return verb["past"]
        return verb["s"] if person == "p3s" else verb["base"]

    def year(self, rng: random.Random, n: int) -> str:
        return year(n, rng)

    def name(self, rng: random.Random) -> Phrase:
        return Phrase(pick(rng, self.w.names))

    def subject(self, rng: random.Random) -> Phrase:
        r = rng.random()
        if r < 0.2:
            return Phrase("I", person="p1s", pronoun=True)
        if r < 0.32:
            return Phrase("we", plural=True, person="p1p", pronoun=True)
        if r < 0.4:
            person = pick(rng, ["p3s", "p3s", "p3p"])
            return Phrase(pick(rng, PRONOUNS[person]), plural=person == "p3p", person=person, pronoun=True)
        return self.couple(rng) if r < 0.47 else self.person_phrase(rng)

    def city_instead(self, rng: random.Random, candidates: Sequence[Noun]) -> bool:
        return not candidates or chance(rng, 0.35)

    def to_city(self, p: str, city: str) -> str:
        return f"{'in' if p in ('at', '-') else p} {city}"

    def at_home(self, p: str) -> str | None:
        return {"at": "at home", "to": "home"}.get(p)

    def place_preposition(self, p: str, noun: Noun, text: str) -> str:
        """``p="at"`` means "the locative preposition this place takes"; ``-`` means none."""
        if p == "-":
            return text
        if p == "at":
            p = LOCATIVE_EXCEPTIONS.get(noun.sg, LOCATIVE[noun.kind])
        return f"{p} {text}"

    def nearest(self, noun: Noun, near: bool) -> str:
        return f"the {'nearest ' if near else ''}{noun.sg}"

    def invitation_place(self, rng: random.Random, verb: Verb) -> str:
        return self.place_phrase(rng, verb.places, verb.objects[0])

    def meeting_place(self, rng: random.Random) -> str:
        return self.place_phrase(rng, ("public", "outdoor"), "in front of")

    def acquired(self, rng: random.Random, person: str) -> list[str]:
        return self.p["acquired"]

    def predicate(self, rng: random.Random, subj: Phrase, tense: str, negate: bool = False,
                  adverb: str = "") -> str:
        """Subject, verb, object and place: ``she's buying apples at the market``."""
        verb, tail = self.action(rng, 0.7, 0.4)
        p = subj.person
        if tense in ("present", "past") and not negate:
            return f"{subj.text} {self.conjugate(verb, tense, p)} {tail}"
        aux, main = {"present": (VERBS["do"][p], verb["base"]), "past": ("did", verb["base"]),
                     "perfect": (VERBS["have"][p], f"{adverb} {verb['part']}"),
                     "progressive": (VERBS["be"][p], verb["ing"]), "future": ("will", verb["base"])}[tense]
        return f"{contract(rng, subj, aux, negate)} {main} {tail}"

    def clause(self, rng: random.Random) -> str:
        tense = weighted(rng, self.TENSES)
        subj = self.subject(rng)
        negate = chance(rng, 0.12)
        times = self.w.times[tense]
        if tense == "perfect" and negate:
            times = self.p["negated_perfect_times"]  # not "haven't ... already"
        time = pick(rng, times) if chance(rng, 0.5) else ""
        if time == "already":
            return self.predicate(rng, subj, tense, negate, adverb=time)
        text = self.predicate(rng, subj, tense, negate)
        if time and chance(rng, 0.4):
            return f"{time}, {text}"
        return f"{text} {time}"

    def description(self, rng: random.Random) -> str:
        intensity = pick(rng, self.p["intensities"])
        if chance(rng, 0.3):
            subj = self.subject(rng)
            past = chance(rng, 0.3)
            aux = self.BE[past][subj.person]
            time = pick(rng, self.p["mood_times"]["past" if past else "progressive"]) if chance(rng, 0.3) else ""
            head = contract(rng, subj, aux)
            return finish(f"{head} {intensity} {pick(rng, self.w.adjectives['mood']).forms[0]} {time}")
        noun = self.describable(rng)
        det = pick(rng, ["def", "dem", "poss", "owner"])
        if det == "owner":
            plural = bool(noun.pl) and chance(rng, 0.3)
            np = Phrase(f"{self.p['possessive'].format(pick(rng, self.w.names))} {noun.form(plural)}", plural=plural)
        else:
            np = self.noun_phrase(rng, noun, det=det, adjective=0.0)
        adj = pick(rng, self.w.adjectives_for[noun.kind]).forms[0]
        if chance(rng, 0.12):
            return finish(f"how {adj} {np.text} {'are' if np.plural else 'is'}", "!")
        verb = self.BE[chance(rng, 0.25)]["p3p" if np.plural else "p3s"]
        return finish(f"{np.text} {verb} {intensity} {adj}")

    def ask_done(self, rng: random.Random) -> str:
        seeing = tuple(self.p["choosing"]) + tuple(self.p["seeing"])
        verb = pick(rng, [v for v in self.w.transitive if v["base"] in seeing])
        kind = pick(rng, [k for k in verb.objects if k != "person"] or ["thing"])
        noun = pick(rng, [n for n in self.w.all_nouns if kind in (n.kind, n.sg)])
        obj = self.noun_phrase(rng, noun, det=pick(rng, ["def", "poss", "dem"])).text
        if chance(rng, 0.5):
            return self.ask(f"have you {verb['part']} {obj}")
        return self.ask(f"did you {verb['base']} {obj} {pick(rng, self.w.times['past'])}")

    def ask_why(self, rng: random.Random) -> str:
        who = self.person_phrase(rng)
        return self.ask(f"why {'are' if who.plural else 'is'} {who.text} {pick(rng, self.p['why_verbs'])}")

    def ask_whose(self, rng: random.Random) -> str:
        noun = pick(rng, [n for n in self.w.of("thing", "clothes", "text", "opens", "animal") if n.pl])
        plural = chance(rng, 0.35)
        return self.ask(f"whose {noun.form(plural)} {'are these' if plural else 'is this'}")

    def ask_which(self, rng: random.Random) -> str:
        verb, noun = self.choice(rng)
        return self.ask(f"which {noun.sg} do you want to {verb['base']}")

    def ask_name(self, rng: random.Random) -> str:
        noun = pick(rng, self.w.nouns["person"])
        owner = pick(rng, [*self.p["your"], self.p["possessive"].format(pick(rng, self.w.names))])
        return self.ask(f"what's {owner} {noun.sg}'s name")

    def wants(self, rng: random.Random) -> str:
        subj = self.subject(rng)
        p = subj.person
        modal = weighted(rng, self.MODALS)
        inf = self.infinitive_phrase(rng)
        negate = chance(rng, 0.15)
        if modal in ("want", "need", "must"):
            verb = {"want": "want", "need": "need", "must": "have"}[modal]
            third = {"want": "wants", "need": "needs", "have": "has"}[verb]
            if negate:
                return finish(f"{contract(rng, subj, VERBS['do'][p], True)} {verb} to {inf}")
            return finish(f"{subj.text} {third if p == 'p3s' else verb} to {inf}")
        if modal == "can":
            can = pick(rng, ["cannot", "can't"]) if negate else "can"
            return finish(f"{subj.text} {can} {inf}")
        if modal == "would":
            return finish(f"{contract(rng, subj, 'would')} like to {inf}")
        return finish(f"{contract(rng, subj, VERBS['be'][p], negate)} going to {inf}")

    def likes(self, rng: random.Random) -> str:  # type: ignore[override]
        subj = self.subject(rng)
        noun = pick(rng, self.w.of("food", "fruit", "drink", "animal", "text", "instrument", "clothes"))
        if chance(rng, 0.35):
            thing = self.infinitive_phrase(rng, "ing")
        else:
            thing = noun.pl if noun.pl and chance(rng, 0.6) else noun.sg
            if chance(rng, 0.3):
                thing = self.noun_phrase(rng, noun, det=pick(rng, ["def", "dem", "poss"])).text
        verb = pick(rng, ["like", "like", "love", "enjoy", "hate"])
        if chance(rng, 0.2):
            return finish(f"{contract(rng, subj, VERBS['do'][subj.person], True)} {verb} {thing}")
        adverb = pick(rng, ["", "", "really ", "also "])
        return finish(f"{subj.text} {adverb}{verb + 's' if subj.person == 'p3s' else verb} {thing}")

    def tell_age(self, rng: random.Random) -> str:
        subj = self.subject(rng)
        if subj.person not in ("p1s", "p3s"):
            subj = Phrase("I", person="p1s", pronoun=True)
        age = number(rng.randint(2, 99))
        head = contract(rng, subj, VERBS['be'][subj.person])
        return finish(f"{head} {age}{' years old' if chance(rng, 0.6) else ''}")

    def tell_delay(self, rng: random.Random) -> str:
        vehicle = self.definite(pick(rng, self.w.subsets["delayed"]))
        minutes = number(rng.randint(2, 59))
        shape = self.p["delay"]
        return finish(shape["text"].format(vehicle=vehicle, verb=pick(rng, shape["verbs"]), minutes=minutes))

    def tell_temperature(self, rng: random.Random) -> str:
        degrees = self.temperature(rng)
        where = self.prep(self.p["in"], pick(rng, self.w.cities))
        when = pick(rng, self.p["temperature"]["times"])
        return finish(self.p["temperature"]["text"].format(degrees=degrees, when=when, where=where))

    def date(self, rng: random.Random, year_too: bool = False) -> str:
        month = rng.randrange(12)
        day = rng.randint(1, MONTH_DAYS[month])
        if chance(rng, 0.5):
            text = f"the {ordinal(day)} of {self.w.months[month]}"
        else:
            text = f"{self.w.months[month]} {ordinal(day)}"
        if year_too:
            text += f", {year(rng.randint(1950, 2030), rng)}"
        return text

    def clock(self, rng: random.Random) -> str:
        """``seven o'clock``, ``half past seven``, ``a quarter to nine``, ``six fifteen``."""
        hour24 = rng.randint(6, 23)
        minute = pick(rng, [0, 0, 15, 30, 45, 10, 20, 40, 50])
        hour = hour24 % 12 or 12
        next_hour = hour % 12 + 1
        style = rng.random()
        if minute == 0:
            text = f"{_ONES[hour]} o'clock" if style < 0.6 else _ONES[hour]
            if hour24 == 12 and style > 0.8:
                return "noon"
        elif style < 0.5 and minute in (15, 30, 45):
            text = {15: f"a quarter past {_ONES[hour]}", 30: f"half past {_ONES[hour]}",
                    45: f"a quarter to {_ONES[next_hour]}"}[minute]
        else:
            text = f"{_ONES[hour]} {_below_100(minute)}"
        if chance(rng, 0.4):
            period = ("in the morning" if hour24 < 12 else "in the afternoon" if hour24 < 18
                      else "in the evening" if hour24 < 22 else "at night")
            text += f" {period}"
        return text

    def it_is(self, clock: str) -> str:
        return f"it's {clock}"

    def one(self, rng: random.Random, unit: str) -> str:
        return f"{'a' if chance(rng, 0.5) else 'one'} {unit}"

    def request(self, rng: random.Random) -> str:
        shape = self.p["requests"][rng.randrange(len(self.p["requests"]))]
        lead = pick(rng, shape["leads"]) if "leads" in shape else ""
        text = shape["text"].format(lead=lead, inf=self.infinitive_phrase(rng, shape.get("form")))
        return self.ask(text) if shape["mark"] == "?" else finish(text)



LANGUAGE = English(WORDS)
LOCALE, NAME, ACCENTS = LANGUAGE.LOCALE, LANGUAGE.NAME, LANGUAGE.ACCENTS
sentence = LANGUAGE.sentence
