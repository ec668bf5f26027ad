"""English sentences: everyday statements, questions, numbers, dates, times and prices.

Written for asrkit. American spelling throughout (one spelling per word keeps the word
error rate honest). Handles ``a``/``an`` by the sound of the next word (``an umbrella``,
``a useful map``), contractions (``I'm``, ``doesn't``, ``they'll``, ``Anna's``), irregular
verbs and plurals, and numbers, years and ordinals the way people say them
(``nineteen eighty-seven``, ``the twenty-first of May``, ``a quarter to nine``).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .grammar import (
    Accent,
    Noun,
    adjectives,
    chance,
    finish,
    nouns,
    pick,
    verbs,
    weighted,
    words,
)

LOCALE = "en"
NAME = "English"
ACCENTS = (
    Accent("en-us", "United States English", 5),
    Accent("en", "England English", 2),  # espeak's British English voice is the file "en"
    Accent("en-gb-x-rp", "England English", 1),
    Accent("en-gb-scotland", "Scottish English", 1.5),
    Accent("en-029", "West Indies and Bermuda (Bahamas, Bermuda, Jamaica, Trinidad)", 1.5),
)

# --------------------------------------------------------------------------- nouns
PEOPLE = nouns("""
friend friends
neighbor neighbors
doctor doctors
teacher teachers
cook cooks
nurse nurses
lawyer lawyers
brother brothers
sister sisters
cousin cousins
grandfather grandfathers
grandmother grandmothers
uncle uncles
aunt aunts
son sons
daughter daughters
child children
boy boys
girl girls
man men
woman women
farmer farmers
waiter waiters
waitress waitresses
engineer engineers
painter painters
shopkeeper shopkeepers
manager managers
photographer photographers
student students
tourist tourists
journalist journalists
scientist scientists
musician musicians
driver drivers
carpenter carpenters
firefighter firefighters
pilot pilots
baker bakers
dentist dentists
nephew nephews
niece nieces
baby babies
""", "person")

ANIMALS = nouns("""
dog dogs
cat cats
bird birds
horse horses
cow cows
sheep sheep
rabbit rabbits
chicken chickens
fish fish
turtle turtles
duck ducks
pig pigs
goat goats
bear bears
lion lions
elephant elephants
butterfly butterflies
bee bees
frog frogs
fox foxes
dolphin dolphins
squirrel squirrels
parrot parrots
donkey donkeys
owl owls
mouse mice
goose geese
""", "animal")

FOOD = nouns("""
bread -
cheese -
soup soups
salad salads
cake cakes
cookie cookies
chocolate -
ice_cream -
sandwich sandwiches
omelette omelettes
rice -
ham -
muffin muffins
pie pies
tomato tomatoes
lettuce -
potato potatoes
onion onions
carrot carrots
pepper peppers
pumpkin pumpkins
egg eggs
pizza pizzas
pancake pancakes
pasta -
steak steaks
sausage sausages
bean beans
""", "food")

FRUIT = nouns("""
apple apples
pear pears
orange oranges
banana bananas
strawberry strawberries
peach peaches
watermelon watermelons
melon melons
lemon lemons
cherry cherries
grape grapes
pineapple pineapples
fig figs
plum plums
apricot apricots
mango mangoes
avocado avocados
""", "fruit")

DRINKS = nouns("""
water -
milk -
coffee -
tea -
juice -
wine -
beer -
lemonade -
soda -
hot_chocolate -
""", "drink")

TEXTS = nouns("""
book books
letter letters
newspaper newspapers
magazine magazines
story stories
novel novels
poem poems
message messages
recipe recipes
list lists
report reports
map maps
email emails
postcard postcards
""", "text")

THINGS = nouns("""
key keys
phone phones
computer computers
chair chairs
table tables
watch watches
umbrella umbrellas
backpack backpacks
wallet wallets
glass glasses
cup cups
plate plates
knife knives
fork forks
spoon spoons
pencil pencils
pen pens
notebook notebooks
gift gifts
toy toys
ball balls
painting paintings
photo photos
collection collections
lamp lamps
mirror mirrors
pillow pillows
blanket blankets
towel towels
camera cameras
radio radios
television televisions
sofa sofas
bed beds
candle candles
rug rugs
vase vases
fan fans
brush brushes
clock clocks
""", "thing")

OPENABLE = nouns("""
door doors
window windows
bottle bottles
suitcase suitcases
fridge fridges
cupboard cupboards
box boxes
drawer drawers
bag bags
jar jars
""", "opens")

CLOTHES = nouns("""
shirt shirts
jacket jackets
shoe shoes
hat hats
coat coats
sweater sweaters
skirt skirts
dress dresses
scarf scarves
sock socks
belt belts
glove gloves
cap caps
tie ties
boot boots
raincoat raincoats
""", "clothes")

VEHICLES = nouns("""
car cars
motorbike motorbikes
train trains
bus buses
plane planes
ship ships
boat boats
bicycle bicycles
van vans
taxi taxis
tram trams
truck trucks
""", "vehicle")

INSTRUMENTS = nouns("""
guitar guitars
piano pianos
violin violins
flute flutes
drum drums
trumpet trumpets
accordion accordions
cello cellos
harmonica harmonicas
saxophone saxophones
""", "instrument")

SHOPS = nouns("""
market markets
shop shops
bakery bakeries
supermarket supermarkets
pharmacy pharmacies
bookstore bookstores
butcher_shop butcher_shops
flower_shop flower_shops
hardware_store hardware_stores
grocery_store grocery_stores
""", "shop")

HOME = nouns("""
kitchen kitchens
dining_room dining_rooms
bedroom bedrooms
bathroom bathrooms
terrace terraces
garden gardens
balcony balconies
garage garages
hallway hallways
apartment apartments
living_room living_rooms
attic attics
basement basements
""", "home")

PUBLIC = nouns("""
school schools
library libraries
hospital hospitals
station stations
museum museums
movie_theater movie_theaters
theater theaters
restaurant restaurants
office offices
university universities
airport airports
town_hall town_halls
church churches
hotel hotels
swimming_pool swimming_pools
gym gyms
coffee_shop coffee_shops
factory factories
bank banks
stadium stadiums
post_office post_offices
""", "public")

OUTDOOR = nouns("""
beach beaches
mountain mountains
park parks
forest forests
river rivers
lake lakes
square squares
street streets
harbor harbors
field fields
island islands
bridge bridges
village villages
neighborhood neighborhoods
sea -
valley valleys
fountain fountains
castle castles
desert deserts
""", "outdoor")

EVENTS = nouns("""
meeting meetings
concert concerts
party parties
exam exams
wedding weddings
dinner dinners
game games
trip trips
excursion excursions
interview interviews
visit visits
conference conferences
fair fairs
premiere premieres
""", "event")

PLACES = SHOPS + HOME + PUBLIC + OUTDOOR
OBJECTS = FOOD + FRUIT + DRINKS + TEXTS + THINGS + OPENABLE + CLOTHES + VEHICLES + INSTRUMENTS
ALL_NOUNS = PEOPLE + ANIMALS + OBJECTS + PLACES

CITIES = words("""
London
Edinburgh
Glasgow
Manchester
Liverpool
Bristol
Leeds
Cardiff
Oxford
Cambridge
York
Dublin
Boston
Chicago
Seattle
Denver
Austin
Atlanta
Portland
Miami
Philadelphia
San_Francisco
New_York
Los_Angeles
Toronto
Vancouver
Sydney
Melbourne
Kingston
Nassau
""")

MALE_NAMES = words("""
James
John
Thomas
Daniel
Oliver
Harry
George
William
Michael
Samuel
David
Peter
Jack
Henry
Charlie
Lucas
Ethan
Noah
Benjamin
Joseph
Andrew
Patrick
Kevin
Ryan
Marcus
Owen
""")

FEMALE_NAMES = words("""
Mary
Olivia
Emily
Sophie
Grace
Charlotte
Lucy
Emma
Chloe
Hannah
Ruth
Sarah
Alice
Anna
Jessica
Rachel
Megan
Laura
Amelia
Isabella
Katherine
Rebecca
Abigail
Victoria
Natalie
Zoe
""")

# ---------------------------------------------------------------------- adjectives
THING_ADJ = adjectives("""
new
old
big
small
beautiful
ugly
expensive
cheap
clean
dirty
antique
modern
comfortable
long
short
heavy
light
broken
lovely
strange
useful
simple
elegant
excellent
""", "thing")

COLOURS = adjectives("""
red
blue
yellow
black
white
green
gray
brown
purple
golden
""", "colour")

FOOD_ADJ = adjectives("""
hot
cold
delicious
sweet
salty
fresh
ripe
tasty
spicy
bitter
crunchy
homemade
""", "food")

TEXT_ADJ = adjectives("""
interesting
boring
funny
long
short
famous
difficult
easy
sad
exciting
important
old
""", "text")

PERSON_ADJ = adjectives("""
friendly
kind
clever
tall
short
young
shy
brave
funny
serious
generous
calm
hardworking
punctual
talkative
""", "person")

MOODS = adjectives("""
tired
happy
sad
nervous
worried
sick
angry
surprised
busy
sleepy
""", "mood")

PLACE_ADJ = adjectives("""
big
small
beautiful
old
modern
quiet
crowded
empty
dark
famous
wide
narrow
noisy
cozy
""", "place")

ANIMAL_ADJ = adjectives("""
small
big
beautiful
fast
slow
wild
young
old
fat
thin
playful
black
white
gray
brown
""", "animal")

ADJ_FOR = {
    "thing": THING_ADJ + COLOURS,
    "opens": THING_ADJ + COLOURS,
    "clothes": THING_ADJ + COLOURS,
    "vehicle": THING_ADJ + COLOURS,
    "instrument": THING_ADJ,
    "text": TEXT_ADJ,
    "food": FOOD_ADJ,
    "fruit": FOOD_ADJ,
    "drink": FOOD_ADJ[:7],
    "animal": ANIMAL_ADJ,
    "person": PERSON_ADJ,
    "shop": PLACE_ADJ,
    "home": PLACE_ADJ,
    "public": PLACE_ADJ,
    "outdoor": PLACE_ADJ,
}

# --------------------------------------------------------------------------- verbs
FORMS = ("base", "s", "past", "part", "ing")

TRANSITIVE = verbs("""
buy buys bought bought buying | food fruit drink thing clothes text opens instrument vehicle | shop
sell sells sold sold selling | food fruit thing clothes vehicle | shop outdoor
eat eats ate eaten eating | food fruit | kitchen dining_room terrace garden restaurant coffee_shop beach
drink drinks drank drunk drinking | drink | kitchen dining_room terrace coffee_shop restaurant
cook cooks cooked cooked cooking | food | kitchen restaurant
make makes made made making | food drink | kitchen coffee_shop restaurant
look_for looks_for looked_for looked_for looking_for | thing clothes text opens animal person | home public outdoor
find finds found found finding | thing clothes text animal | home public outdoor
lose loses lost lost losing | thing clothes text | public outdoor
bring brings brought brought bringing | food fruit drink thing clothes text instrument | home public outdoor
open opens opened opened opening | opens text | home public
close closes closed closed closing | opens text | home public
wash washes washed washed washing | clothes thing fruit vehicle | kitchen bathroom garage
read reads read read reading | text | home public outdoor
write writes wrote written writing | text | home public
see sees saw seen seeing | animal person vehicle | outdoor public
watch watches watched watched watching | animal vehicle | outdoor public home
listen_to listens_to listened_to listened_to listening_to | person | public home
visit visits visited visited visiting | person public outdoor |
help helps helped helped helping | person | home public
meet meets met met meeting | person | public outdoor
need needs needed needed needing | food fruit drink thing clothes text opens vehicle |
take takes took taken taking | thing text fruit bus train taxi tram | home outdoor public
clean cleans cleaned cleaned cleaning | thing opens vehicle home |
fix fixes fixed fixed fixing | thing opens vehicle instrument | home
paint paints painted painted painting | thing opens home |
draw draws drew drawn drawing | animal person vehicle | home outdoor public
play plays played played playing | instrument | home public outdoor
order orders ordered ordered ordering | food drink | restaurant coffee_shop
keep keeps kept kept keeping | thing text clothes food | home
wait_for waits_for waited_for waited_for waiting_for | person vehicle | public outdoor
love loves loved loved loving | person animal |
pick picks picked picked picking | fruit | outdoor
taste tastes tasted tasted tasting | food fruit drink | kitchen dining_room restaurant coffee_shop market
choose chooses chose chosen choosing | food fruit thing clothes text | shop
rent rents rented rented renting | vehicle home |
drive drives drove driven driving | car bus taxi van truck tram | outdoor
photograph photographs photographed photographed photographing | animal person outdoor public |
call calls called called calling | person |
""", FORMS)

MOTION = verbs("""
go goes went gone going | to | shop public outdoor city
come_back comes_back came_back come_back coming_back | from | shop public outdoor city
live lives lived lived living | in | city
work works worked worked working | at | shop public
walk_around walks_around walked_around walked_around walking_around | - | outdoor city
run runs ran run running | in | park forest field
arrive arrives arrived arrived arriving | at | city public
leave leaves left left leaving | - | public shop home
swim swims swam swum swimming | in | swimming_pool river lake sea
study studies studied studied studying | at | library university school
have_lunch has_lunch had_lunch had_lunch having_lunch | at | restaurant coffee_shop terrace garden beach
have_dinner has_dinner had_dinner had_dinner having_dinner | at | restaurant coffee_shop terrace garden
have_breakfast has_breakfast had_breakfast had_breakfast having_breakfast | at | coffee_shop kitchen terrace hotel
dance dances danced danced dancing | in | square theater
sleep sleeps slept slept sleeping | at | hotel
play plays played played playing | in | park square garden
""", FORMS)

BE = {"p1s": "am", "p3s": "is", "p1p": "are", "p3p": "are"}
BE_PAST = {"p1s": "was", "p3s": "was", "p1p": "were", "p3p": "were"}
HAVE = {"p1s": "have", "p3s": "has", "p1p": "have", "p3p": "have"}
DO = {"p1s": "do", "p3s": "does", "p1p": "do", "p3p": "do"}
PRONOUNS = {"p1s": ("I",), "p1p": ("we",), "p3s": ("he", "she"), "p3p": ("they",)}
# Contracted auxiliaries after a pronoun: I'm, she's, we've, they'll, ...
_CONTRACT = {"am": "'m", "is": "'s", "are": "'re", "have": "'ve", "has": "'s", "will": "'ll", "would": "'d"}
_NEGATIVE = {"do": "don't", "does": "doesn't", "did": "didn't", "is": "isn't", "are": "aren't",
             "was": "wasn't", "were": "weren't", "have": "haven't", "has": "hasn't", "will": "won't",
             "can": "can't"}

TIMES = {
    "present": words("""
every_day
every morning
often
usually
on Mondays
on weekends
sometimes
every Saturday
in the morning
in the afternoon
"""),
    "progressive": words("""
right now
at the moment
today
this week
"""),
    "past": words("""
yesterday
last night
last week
last year
two days ago
last Saturday
last month
the day before yesterday
last summer
a week ago
"""),
    "perfect": words("""
this morning
today
this week
this year
already
"""),
    "future": words("""
tomorrow
the day after tomorrow
next week
next summer
in an hour
next Monday
this weekend
tomorrow morning
"""),
}

MONTHS = words("""
January
February
March
April
May
June
July
August
September
October
November
December
""")
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
WEEKDAYS = words("""
Monday
Tuesday
Wednesday
Thursday
Friday
Saturday
Sunday
""")

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


def possessive(name: str) -> str:
    """``Anna's``, ``James's``."""
    return f"{name}'s"


def ask(text: str) -> str:
    return finish(text, "?")


# ------------------------------------------------------------------ noun phrases
@dataclass(frozen=True)
class Phrase:
    text: str
    plural: bool = False
    person: str = "p3s"


_DEMONSTRATIVES = (("this", "these"), ("that", "those"))
_POSSESSIVES = ("my", "your", "his", "her", "our", "their")
_QUANTIFIERS = ("many", "some", "a few", "lots of")


def noun_phrase(rng: random.Random, noun: Noun, det: str | None = None, plural: bool | None = None,
                adjective: float = 0.3) -> Phrase:
    mass = not noun.pl
    if plural is None:
        plural = False if mass else chance(rng, 0.35)
    plural = plural and not mass
    if det is None:
        options = ["def", "def", "indef", "dem", "poss"] + (["count", "quant"] if plural else [])
        det = pick(rng, options if not mass else ["def", "def", "dem", "bare", "some"])
    word = noun.form(plural)
    adjs = ADJ_FOR.get(noun.kind, ())
    if adjs and chance(rng, adjective):
        word = f"{pick(rng, ['very ', 'really ', '', '', '']) if chance(rng, 0.3) else ''}" \
               f"{pick(rng, adjs).forms[0]} {word}"
    if det == "def":
        head = f"the {word}"
    elif det == "indef":
        head = word if plural else indefinite(word)
    elif det == "dem":
        head = f"{pick(rng, _DEMONSTRATIVES)[plural]} {word}"
    elif det == "poss":
        head = f"{pick(rng, _POSSESSIVES)} {word}"
    elif det == "count":
        head = f"{number(rng.randint(2, 30) if chance(rng, 0.8) else rng.randint(31, 999))} {word}"
    elif det == "quant":
        head = f"{pick(rng, _QUANTIFIERS)} {word}"
    elif det == "some":
        head = f"some {word}"
    else:
        head = word
    return Phrase(head, plural)


def person_phrase(rng: random.Random, plural: bool | None = None) -> Phrase:
    if plural is None:
        plural = chance(rng, 0.3)
    if not plural and chance(rng, 0.45):
        return Phrase(pick(rng, FEMALE_NAMES + MALE_NAMES))
    noun = pick(rng, PEOPLE)
    det = pick(rng, ["def", "poss", "poss", "dem", "owner"])
    if det == "owner":
        text = f"{possessive(pick(rng, FEMALE_NAMES + MALE_NAMES))} {noun.form(plural)}"
    else:
        text = noun_phrase(rng, noun, det=det, plural=plural, adjective=0.15).text
    return Phrase(text, plural, "p3p" if plural else "p3s")


@dataclass(frozen=True)
class Subject:
    text: str
    person: str
    pronoun: bool


def subject(rng: random.Random) -> Subject:
    r = rng.random()
    if r < 0.2:
        return Subject("I", "p1s", True)
    if r < 0.32:
        return Subject("we", "p1p", True)
    if r < 0.4:
        person = pick(rng, ["p3s", "p3s", "p3p"])
        return Subject(pick(rng, PRONOUNS[person]), person, True)
    if r < 0.47:
        a, b = pick(rng, MALE_NAMES), pick(rng, FEMALE_NAMES)
        return Subject(f"{a} and {b}" if chance(rng, 0.5) else f"{b} and {a}", "p3p", False)
    p = person_phrase(rng)
    return Subject(p.text, p.person, False)


# Where something happens: "in the kitchen", "at the station", "on the beach".
LOCATIVE = {"home": "in", "outdoor": "in", "shop": "at", "public": "at"}
LOCATIVE_EXCEPTIONS = {"terrace": "on", "balcony": "on", "beach": "on", "street": "on", "bridge": "on",
                       "island": "on", "harbor": "at", "fountain": "at", "castle": "at"}


def place_phrase(rng: random.Random, spec: tuple[str, ...], p: str = "at") -> str:
    """``at the station``, ``in the kitchen``, ``to the beach``, ``in London``, ``at home``.

    ``p="at"`` means "the locative preposition this place takes"; ``-`` means none.
    """
    p = "" if p == "-" else p
    candidates = [n for n in PLACES if n.kind in spec or n.sg in spec]
    if "city" in spec and (not candidates or chance(rng, 0.35)):
        return f"{'in' if p in ('at', '') else p} {pick(rng, CITIES)}"
    if not candidates:
        return ""
    noun = pick(rng, candidates)
    if noun.kind == "home" and p in ("at", "to") and chance(rng, 0.15):
        return "at home" if p == "at" else "home"
    if p == "at":
        p = LOCATIVE_EXCEPTIONS.get(noun.sg, LOCATIVE[noun.kind])
    det = pick(rng, ["def", "def", "def", "poss", "dem"])
    text = noun_phrase(rng, noun, det=det, plural=False, adjective=0.15).text
    return f"{p} {text}".strip()


# ------------------------------------------------------------------------ clauses
def _contract(rng: random.Random, subj: Subject, aux: str, negate: bool = False) -> str:
    """Subject and auxiliary: ``I'm``, ``she doesn't``, ``they won't``, ``my aunt has``."""
    if negate:
        if aux == "am":
            return "I'm not" if chance(rng, 0.7) else "I am not"
        return f"{subj.text} {_NEGATIVE.get(aux, aux + ' not')}"
    if subj.pronoun and aux in _CONTRACT and chance(rng, 0.6):
        return f"{subj.text}{_CONTRACT[aux]}"
    return f"{subj.text} {aux}"


def predicate(rng: random.Random, subj: Subject, tense: str, negate: bool = False, adverb: str = "") -> str:
    """Subject, verb, object and place: ``she's buying apples at the market``."""
    if chance(rng, 0.7):
        verb = pick(rng, TRANSITIVE)
        kind = pick(rng, verb.objects)
        if kind == "person":
            obj = person_phrase(rng).text
        else:
            obj = noun_phrase(rng, pick(rng, [n for n in ALL_NOUNS if kind in (n.kind, n.sg)])).text
        tail = obj
        if verb.places and chance(rng, 0.4):
            tail += " " + place_phrase(rng, verb.places)
    else:
        verb = pick(rng, MOTION)
        tail = place_phrase(rng, verb.places, verb.objects[0])
    p = subj.person
    if tense == "present":
        if negate:
            return f"{_contract(rng, subj, DO[p], True)} {verb['base']} {tail}"
        return f"{subj.text} {verb['s'] if p == 'p3s' else verb['base']} {tail}"
    if tense == "past":
        if negate:
            return f"{_contract(rng, subj, 'did', True)} {verb['base']} {tail}"
        return f"{subj.text} {verb['past']} {tail}"
    if tense == "perfect":
        return f"{_contract(rng, subj, HAVE[p], negate)} {adverb} {verb['part']} {tail}"
    if tense == "progressive":
        return f"{_contract(rng, subj, BE[p], negate)} {verb['ing']} {tail}"
    return f"{_contract(rng, subj, 'will', negate)} {verb['base']} {tail}"


def infinitive_phrase(rng: random.Random, form: str = "base") -> str:
    """``buy bread at the bakery``, ``go to the beach`` (``form="ing"``: ``buying ...``)."""
    if chance(rng, 0.65):
        verb = pick(rng, TRANSITIVE)
        kind = pick(rng, verb.objects)
        if kind == "person":
            obj = person_phrase(rng).text
        else:
            obj = noun_phrase(rng, pick(rng, [n for n in ALL_NOUNS if kind in (n.kind, n.sg)])).text
        text = f"{verb[form]} {obj}"
        if verb.places and chance(rng, 0.3):
            text += " " + place_phrase(rng, verb.places)
        return text
    verb = pick(rng, MOTION)
    return f"{verb[form]} {place_phrase(rng, verb.places, verb.objects[0])}"


def clause(rng: random.Random) -> str:
    tense = weighted(rng, [(4, "present"), (3, "past"), (2, "perfect"), (1.5, "future"), (1.5, "progressive")])
    subj = subject(rng)
    negate = chance(rng, 0.12)
    times = TIMES[tense]
    if tense == "perfect" and negate:
        times = times[:-1]  # not "haven't ... already"
    time = pick(rng, times) if chance(rng, 0.5) else ""
    if time == "already":
        return predicate(rng, subj, tense, negate, adverb=time)
    text = predicate(rng, subj, tense, negate)
    if time and chance(rng, 0.4):
        return f"{time}, {text}"
    return f"{text} {time}"


# ---------------------------------------------------------------------- templates
def statement(rng: random.Random) -> str:
    return finish(clause(rng))


def compound(rng: random.Random) -> str:
    joiner = pick(rng, [", but", " and then", " because", ", so", " and"])
    return finish(f"{clause(rng)}{joiner} {clause(rng)}")


def description(rng: random.Random) -> str:
    intensity = pick(rng, ["", "very", "very", "really", "too", "quite", "so"])
    if chance(rng, 0.3):
        subj = subject(rng)
        past = chance(rng, 0.3)
        aux = (BE_PAST if past else BE)[subj.person]
        time = pick(rng, TIMES["past" if past else "progressive"][:4]) if chance(rng, 0.3) else ""
        return finish(f"{_contract(rng, subj, aux)} {intensity} {pick(rng, MOODS).forms[0]} {time}")
    noun = pick(rng, [n for n in ALL_NOUNS if n.kind in ADJ_FOR and n.kind != "person"])
    det = pick(rng, ["def", "dem", "poss", "owner"])
    if det == "owner":
        plural = bool(noun.pl) and chance(rng, 0.3)
        np = Phrase(f"{possessive(pick(rng, FEMALE_NAMES + MALE_NAMES))} {noun.form(plural)}", plural)
    else:
        np = noun_phrase(rng, noun, det=det, adjective=0.0)
    adj = pick(rng, ADJ_FOR[noun.kind]).forms[0]
    if chance(rng, 0.12):
        verb = "are" if np.plural else "is"
        return finish(f"how {adj} {np.text} {verb}", "!")
    person = "p3p" if np.plural else "p3s"
    verb = (BE_PAST if chance(rng, 0.25) else BE)[person]
    return finish(f"{np.text} {verb} {intensity} {adj}")


def existence(rng: random.Random) -> str:
    noun = pick(rng, THINGS + ANIMALS + PEOPLE + VEHICLES + FRUIT + OPENABLE)
    plural = chance(rng, 0.6) and bool(noun.pl)
    np = noun_phrase(rng, noun, det=pick(rng, ["count", "quant"]) if plural else "indef", plural=plural)
    place = place_phrase(rng, ("home", "public", "outdoor", "shop", "city"))
    verb = pick(rng, [("there is", "there are"), ("there is", "there are"), ("there was", "there were"),
                      ("there will be", "there will be")])[plural]
    if chance(rng, 0.3):
        return finish(f"{place}, {verb} {np.text}")
    return finish(f"{verb} {np.text} {place}")


_CHOOSING = ("buy", "eat", "drink", "cook", "read", "play", "order", "choose", "rent", "taste", "visit")


def question(rng: random.Random) -> str:
    kind = rng.randrange(12)
    if kind == 0:
        noun = pick(rng, PLACES + THINGS + OPENABLE)
        if noun.kind in ("thing", "opens"):
            np = noun_phrase(rng, noun, det=pick(rng, ["def", "poss"]), adjective=0.2)
            return ask(f"where {'are' if np.plural else 'is'} {np.text}")
        return ask(f"where is the {'nearest ' if chance(rng, 0.4) else ''}{noun.sg}")
    if kind == 1:
        vehicle = pick(rng, [v for v in VEHICLES if v.sg in ("train", "bus", "plane", "ship", "tram")])
        where = f" {pick(rng, ['to', 'from'])} {pick(rng, CITIES)}" if chance(rng, 0.5) else ""
        return ask(f"what time does the {vehicle.sg}{where} {pick(rng, ['leave', 'arrive'])}")
    if kind == 2:
        noun = pick(rng, THINGS + CLOTHES + TEXTS + INSTRUMENTS + VEHICLES)
        np = noun_phrase(rng, noun, det="dem", adjective=0.2)
        if chance(rng, 0.5):
            return ask(f"how much {'are' if np.plural else 'is'} {np.text}")
        return ask(f"how much {'do' if np.plural else 'does'} {np.text} cost")
    if kind == 3:
        noun = pick(rng, [n for n in THINGS + PEOPLE + ANIMALS + TEXTS if n.pl])
        place = place_phrase(rng, ("home", "public", "outdoor", "shop", "city"))
        return ask(f"how many {noun.pl} are there {place}")
    if kind == 4:
        verb = pick(rng, [v for v in TRANSITIVE if v["base"] in _CHOOSING + ("see", "find", "lose", "fix")])
        kind_ = pick(rng, [k for k in verb.objects if k != "person"] or ["thing"])
        noun = pick(rng, [n for n in ALL_NOUNS if kind_ in (n.kind, n.sg)])
        obj = noun_phrase(rng, noun, det=pick(rng, ["def", "poss", "dem"])).text
        if chance(rng, 0.5):
            return ask(f"have you {verb['part']} {obj}")
        return ask(f"did you {verb['base']} {obj} {pick(rng, TIMES['past'])}")
    if kind == 5:
        who = person_phrase(rng)
        verb = pick(rng, ["crying", "laughing", "shouting", "running", "singing", "sleeping"])
        return ask(f"why {'are' if who.plural else 'is'} {who.text} {verb}")
    if kind == 6:
        verb = pick(rng, [v for v in MOTION if v["base"] in ("go", "swim", "have dinner", "have lunch")])
        place = place_phrase(rng, verb.places, verb.objects[0])
        inf = "come" if verb["base"] == "go" else verb["base"]
        when = pick(rng, TIMES["future"]) if chance(rng, 0.5) else ""
        lead = pick(rng, ["do you want to", "would you like to"])
        return ask(f"{lead} {inf} {place} with us {when}")
    if kind == 7:
        noun = pick(rng, [n for n in THINGS + CLOTHES + TEXTS + OPENABLE + ANIMALS if n.pl])
        plural = chance(rng, 0.35)
        dem = "these" if plural else "this"
        return ask(f"whose {noun.form(plural)} {'are' if plural else 'is'} {dem}")
    if kind == 8:
        verb = pick(rng, [v for v in TRANSITIVE if v["base"] in _CHOOSING])
        noun = pick(rng, [n for n in ALL_NOUNS if n.kind in verb.objects])
        return ask(f"which {noun.sg} do you want to {verb['base']}")
    if kind == 9:
        who = person_phrase(rng, plural=False).text
        tail = pick(rng, [f"where {who} lives", f"where {who} works", f"if {who} is coming to dinner",
                          f"what time {who} arrives", f"how old {who} is"])
        return ask(f"do you know {tail}")
    if kind == 10:
        noun = pick(rng, PEOPLE)
        owner = pick(rng, ["your", "his", "her", possessive(pick(rng, FEMALE_NAMES + MALE_NAMES))])
        return ask(f"what's {owner} {noun.sg}'s name")
    thing = noun_phrase(rng, pick(rng, THINGS + OPENABLE + CLOTHES), det="indef", plural=False).text
    return ask(f"{pick(rng, ['do you have', 'have you got'])} {thing}")


def wants(rng: random.Random) -> str:
    subj = subject(rng)
    p = subj.person
    modal = weighted(rng, [(3, "want"), (2, "can"), (2, "have"), (1, "would"), (1, "need"), (1, "going")])
    inf = infinitive_phrase(rng)
    negate = chance(rng, 0.15)
    if modal == "want":
        verb = "wants" if p == "p3s" else "want"
        head = f"{_contract(rng, subj, DO[p], True)} want" if negate else f"{subj.text} {verb}"
        return finish(f"{head} to {inf}")
    if modal == "need":
        verb = "needs" if p == "p3s" else "need"
        head = f"{_contract(rng, subj, DO[p], True)} need" if negate else f"{subj.text} {verb}"
        return finish(f"{head} to {inf}")
    if modal == "can":
        can = pick(rng, ["cannot", "can't"]) if negate else "can"
        return finish(f"{subj.text} {can} {inf}")
    if modal == "have":
        verb = "has" if p == "p3s" else "have"
        head = f"{_contract(rng, subj, DO[p], True)} have" if negate else f"{subj.text} {verb}"
        return finish(f"{head} to {inf}")
    if modal == "would":
        return finish(f"{_contract(rng, subj, 'would')} like to {inf}")
    return finish(f"{_contract(rng, subj, BE[p], negate)} going to {inf}")


def likes(rng: random.Random) -> str:
    subj = subject(rng)
    p = subj.person
    noun = pick(rng, FOOD + FRUIT + DRINKS + ANIMALS + TEXTS + INSTRUMENTS + CLOTHES)
    if chance(rng, 0.35):
        thing = infinitive_phrase(rng, "ing")
    else:
        thing = noun.pl if noun.pl and chance(rng, 0.6) else noun.sg
        if chance(rng, 0.3):
            thing = noun_phrase(rng, noun, det=pick(rng, ["def", "dem", "poss"])).text
    verb = pick(rng, ["like", "like", "love", "enjoy", "hate"])
    if chance(rng, 0.2):
        return finish(f"{_contract(rng, subj, DO[p], True)} {verb} {thing}")
    adverb = pick(rng, ["", "", "really ", "also "])
    return finish(f"{subj.text} {adverb}{verb + 's' if p == 'p3s' else verb} {thing}")


def numbers(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        subj = subject(rng)
        if subj.person not in ("p1s", "p3s"):
            subj = Subject("I", "p1s", True)
        age = number(rng.randint(2, 99))
        return finish(f"{_contract(rng, subj, BE[subj.person])} {age}{' years old' if chance(rng, 0.6) else ''}")
    if kind == 1:
        subj = subject(rng)
        noun = pick(rng, [n for n in THINGS + ANIMALS + CLOTHES + TEXTS + VEHICLES + INSTRUMENTS if n.pl])
        n = rng.randint(2, 40) if chance(rng, 0.7) else rng.randint(41, 999)
        verb = pick(rng, ["has" if subj.person == "p3s" else "have", "bought", "found"])
        return finish(f"{subj.text} {verb} {number(n)} {noun.pl}")
    if kind == 2:
        when = year(rng.randint(1200, 2030), rng)
        who = person_phrase(rng, plural=False).text
        what = pick(rng, [f"{who} was born", f"the {pick(rng, PUBLIC + OUTDOOR[-2:-1]).sg} was built",
                          f"{who} moved to {pick(rng, CITIES)}"])
        return finish(f"{what} in {when}")
    if kind == 3:
        vehicle = pick(rng, VEHICLES[:6]).sg
        minutes = rng.randint(2, 59)
        return finish(f"the {vehicle} {pick(rng, ['is', 'was'])} {number(minutes)} minutes late")
    if kind == 4:
        n = rng.randint(20, 9999) if chance(rng, 0.7) else rng.randint(10000, 120000)
        where = place_phrase(rng, ("public", "outdoor", "city"), "at")
        return finish(f"there were {number(n)} people {where}")
    if kind == 5:
        a, b = rng.sample(CITIES, 2)
        return finish(f"{a} is {number(rng.randint(3, 900))} miles from {b}")
    degrees = rng.randint(-5, 42)
    sign = "minus " if degrees < 0 else ""
    unit = "degree" if abs(degrees) == 1 else "degrees"
    return finish(f"it's {sign}{number(abs(degrees))} {unit} in {pick(rng, CITIES)} "
                  f"{pick(rng, ['today', 'right now', 'this morning'])}")


def date(rng: random.Random, with_year: bool = False) -> str:
    month = rng.randrange(12)
    day = rng.randint(1, MONTH_DAYS[month])
    if chance(rng, 0.5):
        text = f"the {ordinal(day)} of {MONTHS[month]}"
    else:
        text = f"{MONTHS[month]} {ordinal(day)}"
    if with_year:
        text += f", {year(rng.randint(1950, 2030), rng)}"
    return text


def dates(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        event = pick(rng, EVENTS).sg
        return finish(f"the {event} {pick(rng, ['is', 'will be', 'was'])} on {date(rng, chance(rng, 0.3))}")
    if kind == 1:
        return finish(f"today is {pick(rng, WEEKDAYS)}, {date(rng)}")
    if kind == 2:
        return finish(f"{person_phrase(rng, plural=False).text} was born on {date(rng, True)}")
    return finish(f"my birthday is on {date(rng)}")


def clock(rng: random.Random) -> str:
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


def times(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        vehicle = pick(rng, [v for v in VEHICLES if v.sg in ("train", "bus", "plane", "ship", "tram")]).sg
        return finish(f"the {vehicle} {pick(rng, ['leaves', 'arrives', 'will leave', 'arrived'])} at {clock(rng)}")
    if kind == 1:
        place = pick(rng, SHOPS + PUBLIC).sg
        return finish(f"the {place} opens at {clock(rng)} and closes at {clock(rng)}")
    if kind == 2:
        return finish(f"let's meet at {clock(rng)} {place_phrase(rng, ('public', 'outdoor'), 'in front of')}")
    if kind == 3:
        event = pick(rng, EVENTS).sg
        return finish(f"the {event} {pick(rng, ['starts', 'will start', 'ends'])} at {clock(rng)}")
    return finish(f"it's {clock(rng)}")


def price(rng: random.Random) -> str:
    unit, units, small = pick(rng, [("dollar", "dollars", "cents"), ("dollar", "dollars", "cents"),
                                    ("pound", "pounds", "pence"), ("euro", "euros", "cents")])
    amount = rng.randint(1, 30) if chance(rng, 0.7) else rng.randint(31, 2500)
    text = f"{'a' if chance(rng, 0.5) else 'one'} {unit}" if amount == 1 else f"{number(amount)} {units}"
    if chance(rng, 0.4):
        text += f" and {number(pick(rng, [5, 10, 20, 25, 30, 40, 50, 60, 75, 80, 90, 95, 99]))} {small}"
    return text


def prices(rng: random.Random) -> str:
    noun = pick(rng, THINGS + CLOTHES + TEXTS + INSTRUMENTS + FOOD + OPENABLE)
    kind = rng.randrange(3)
    if kind == 0:
        np = noun_phrase(rng, noun, det=pick(rng, ["dem", "def"]), adjective=0.3)
        verb = pick(rng, [("costs", "cost"), ("cost", "cost"), ("is", "are")])[np.plural]
        return finish(f"{np.text} {verb} {price(rng)}")
    if kind == 1:
        np = noun_phrase(rng, noun, det="indef", plural=False)
        lead = pick(rng, ["I paid", "we paid", "I've paid", "she paid"])
        return finish(f"{lead} {price(rng)} for {np.text}")
    lead = pick(rng, ["that will be", "that's", "the total is"])
    return finish(f"{lead} {price(rng)}, please")


def weather(rng: random.Random) -> str:
    if chance(rng, 0.15):
        return finish(pick(rng, ["what a beautiful day", "what a hot day", "what terrible weather",
                                 "what a cold morning"]), "!")
    tense = pick(rng, ["present", "past", "future"])
    phrase = pick(rng, {
        "present": ["it's sunny", "it's hot", "it's cold", "it's windy", "it's cloudy", "it's raining",
                    "it's snowing", "the weather is lovely", "it's freezing"],
        "past": ["it was sunny", "it was hot", "it was cold", "it was windy", "it rained", "it snowed",
                 "the weather was awful", "it hailed"],
        "future": ["it will be sunny", "it'll be hot", "it will be cold", "it'll be windy", "it will rain",
                   "it'll snow", "it will be foggy"],
    }[tense])
    time = pick(rng, {"present": ["today", "right now", "this morning"], "past": ["yesterday", "last week",
                                                                                "last night"],
                      "future": ["tomorrow", "this weekend", "tonight"]}[tense])
    where = pick(rng, [f"in {pick(rng, CITIES)}", "in the mountains", "on the coast", "up north", ""])
    return finish(f"{phrase} {where} {time}")


def request(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return ask(f"{pick(rng, ['can you', 'could you', 'can you please'])} {infinitive_phrase(rng)}")
    if kind == 1:
        return finish(f"please remember to {infinitive_phrase(rng)}")
    if kind == 2:
        return finish(f"don't forget to {infinitive_phrase(rng)}")
    return ask(f"would you mind {infinitive_phrase(rng, 'ing')}")


def quoted(rng: random.Random) -> str:
    """Reported speech: "Where is the station?" asked James."""
    who = person_phrase(rng, plural=False).text
    if chance(rng, 0.5):
        return finish(f'"{question(rng)}" {pick(rng, ["asked", "wondered"])} {who}')
    return finish(f'"{statement(rng)[:-1]}," {pick(rng, ["said", "explained", "replied"])} {who}')


TEMPLATES = (
    (5.0, statement),
    (1.5, compound),
    (2.0, description),
    (1.5, existence),
    (3.0, question),
    (2.0, wants),
    (1.5, likes),
    (1.8, numbers),
    (1.0, dates),
    (1.2, times),
    (1.0, prices),
    (1.0, weather),
    (1.0, request),
    (0.4, quoted),
)


def sentence(rng: random.Random) -> str:
    """One English sentence, capitalized and punctuated like a Common Voice prompt."""
    return weighted(rng, TEMPLATES)(rng)
