"""Catalan sentences: everyday statements, questions, numbers, dates, times and prices.

Written for asrkit. The grammar that matters for spelling is handled explicitly: article
elision (``l'escola``, but ``la universitat``), ``de`` → ``d'`` before a vowel, the
contractions ``al``/``del``/``pel``, personal articles (``en Jordi``, ``l'Anna``), gender
agreement of numbers (``dues``, ``dues-centes``) and adjectives, and the traditional way
of telling the time in quarters (``a dos quarts de vuit``).
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

LOCALE = "ca"
NAME = "Catalan"
ACCENTS = (
    Accent("ca", "central", 5),
    Accent("ca-va", "valencià", 3),
    Accent("ca-ba", "balear", 2),
    Accent("ca-nw", "nord-occidental", 2),
)

# --------------------------------------------------------------------------- nouns
PEOPLE = nouns("""
amic amics m
amiga amigues f
veí veïns m
veïna veïnes f
metge metges m
metgessa metgesses f
mestre mestres m
mestra mestres f
cuiner cuiners m
cuinera cuineres f
infermer infermers m
infermera infermeres f
advocat advocats m
advocada advocades f
germà germans m
germana germanes f
cosí cosins m
cosina cosines f
avi avis m
àvia àvies f
oncle oncles m
tia ties f
fill fills m
filla filles f
nen nens m
nena nenes f
noi nois m
noia noies f
home homes m
dona dones f
pagès pagesos m
pagesa pageses f
cambrer cambrers m
cambrera cambreres f
enginyer enginyers m
enginyera enginyeres f
pintor pintors m
pintora pintores f
venedor venedors m
venedora venedores f
director directors m
directora directores f
fotògraf fotògrafs m
fotògrafa fotògrafes f
alumne alumnes m
alumna alumnes f
turista turistes m
periodista periodistes f
científic científics m
científica científiques f
músic músics m
conductora conductores f
fuster fusters m
bomber bombers m
bombera bomberes f
pilot pilots m
""", "person")

ANIMALS = nouns("""
gos gossos m
gat gats m
gata gates f
ocell ocells m
cavall cavalls m
vaca vaques f
ovella ovelles f
conill conills m
gallina gallines f
peix peixos m
tortuga tortugues f
ànec ànecs m
porc porcs m
cabra cabres f
ós óssos m
lleó lleons m
elefant elefants m
papallona papallones f
abella abelles f
granota granotes f
guineu guineus f
dofí dofins m
cigonya cigonyes f
esquirol esquirols m
""", "animal")

FOOD = nouns("""
pa - m
formatge formatges m
pollastre pollastres m
ou ous m
sopa sopes f
amanida amanides f
pastís pastissos m
galeta galetes f
xocolata - f
gelat gelats m
entrepà entrepans m
truita truites f
paella paelles f
botifarra botifarres f
croissant croissants m
arròs - m
pernil - m
magdalena magdalenes f
coca coques f
tomàquet tomàquets m
enciam - m
patata patates f
ceba cebes f
pastanaga pastanagues f
pebrot pebrots m
carbassa carbasses f
albergínia albergínies f
mongeta mongetes f
""", "food")

FRUIT = nouns("""
poma pomes f
pera peres f
taronja taronges f
plàtan plàtans m
maduixa maduixes f
préssec préssecs m
síndria síndries f
meló melons m
llimona llimones f
cirera cireres f
raïm - m
pinya pinyes f
figa figues f
pruna prunes f
albercoc albercocs m
""", "fruit")

DRINKS = nouns("""
aigua - f
llet - f
cafè cafès m
te - m
suc sucs m
vi - m
cervesa cerveses f
orxata - f
infusió infusions f
llimonada - f
""", "drink")

TEXTS = nouns("""
llibre llibres m
carta cartes f
diari diaris m
revista revistes f
conte contes m
novel·la novel·les f
poema poemes m
missatge missatges m
recepta receptes f
llista llistes f
notícia notícies f
informe informes m
mapa mapes m
""", "text")

THINGS = nouns("""
clau claus f
telèfon telèfons m
ordinador ordinadors m
cadira cadires f
taula taules f
rellotge rellotges m
paraigua paraigües m
motxilla motxilles f
cartera carteres f
got gots m
tassa tasses f
plat plats m
ganivet ganivets m
forquilla forquilles f
cullera culleres f
llapis llapis m
bolígraf bolígrafs m
quadern quaderns m
regal regals m
joguina joguines f
pilota pilotes f
quadre quadres m
fotografia fotografies f
col·lecció col·leccions f
làmpada làmpades f
mirall miralls m
coixí coixins m
manta mantes f
tovallola tovalloles f
càmera càmeres f
ràdio ràdios f
televisor televisors m
llum llums m
sofà sofàs m
llit llits m
ventall ventalls m
gerro gerros m
espelma espelmes f
catifa catifes f
""", "thing")

OPENABLE = nouns("""
porta portes f
finestra finestres f
ampolla ampolles f
maleta maletes f
nevera neveres f
armari armaris m
caixa caixes f
capsa capses f
calaix calaixos m
bossa bosses f
""", "opens")

CLOTHES = nouns("""
camisa camises f
jaqueta jaquetes f
sabata sabates f
barret barrets m
abric abrics m
jersei jerseis m
faldilla faldilles f
vestit vestits m
bufanda bufandes f
mitjó mitjons m
pantaló pantalons m
samarreta samarretes f
guant guants m
gorra gorres f
corbata corbates f
cinturó cinturons m
""", "clothes")

VEHICLES = nouns("""
cotxe cotxes m
moto motos f
tren trens m
autobús autobusos m
avió avions m
vaixell vaixells m
barca barques f
bicicleta bicicletes f
furgoneta furgonetes f
taxi taxis m
tramvia tramvies m
camió camions m
""", "vehicle")

INSTRUMENTS = nouns("""
guitarra guitarres f
piano pianos m
violí violins m
flauta flautes f
bateria bateries f
trompeta trompetes f
acordió acordions m
violoncel violoncels m
""", "instrument")

SHOPS = nouns("""
mercat mercats m
botiga botigues f
forn forns m
supermercat supermercats m
farmàcia farmàcies f
llibreria llibreries f
peixateria peixateries f
fruiteria fruiteries f
carnisseria carnisseries f
pastisseria pastisseries f
quiosc quioscos m
""", "shop")

HOME = nouns("""
cuina cuines f
menjador menjadors m
habitació habitacions f
bany banys m
terrassa terrasses f
jardí jardins m
balcó balcons m
garatge garatges m
passadís passadissos m
pis pisos m
""", "home")

PUBLIC = nouns("""
escola escoles f
biblioteca biblioteques f
hospital hospitals m
estació estacions f
museu museus m
cinema cinemes m
teatre teatres m
restaurant restaurants m
oficina oficines f
universitat universitats f
aeroport aeroports m
ajuntament ajuntaments m
església esglésies f
hotel hotels m
piscina piscines f
gimnàs gimnasos m
bar bars m
institut instituts m
fàbrica fàbriques f
banc bancs m
auditori auditoris m
""", "public")

OUTDOOR = nouns("""
platja platges f
muntanya muntanyes f
parc parcs m
bosc boscos m
riu rius m
llac llacs m
plaça places f
carrer carrers m
port ports m
camp camps m
illa illes f @l'
hort horts m
pont ponts m
cala cales f
poble pobles m
barri barris m
mar - m
prat prats m
font fonts f
castell castells m
""", "outdoor")

EVENTS = nouns("""
reunió reunions f
concert concerts m
festa festes f
examen exàmens m
casament casaments m
sopar sopars m
partit partits m
viatge viatges m
excursió excursions f
entrevista entrevistes f
visita visites f
conferència conferències f
fira fires f
estrena estrenes f
""", "event")

PLACES = SHOPS + HOME + PUBLIC + OUTDOOR
OBJECTS = FOOD + FRUIT + DRINKS + TEXTS + THINGS + OPENABLE + CLOTHES + VEHICLES + INSTRUMENTS
ALL_NOUNS = PEOPLE + ANIMALS + OBJECTS + PLACES

CITIES = words("""
Barcelona
Girona
Lleida
Tarragona
València
Palma
Perpinyà
Reus
Manresa
Vic
Figueres
Sabadell
Terrassa
Mataró
Castelló
Alacant
Maó
Eivissa
Olot
Tortosa
Sitges
Berga
Solsona
Igualada
Granollers
Badalona
Cadaqués
Ripoll
Andorra
Gandia
Elx
Banyoles
Puigcerdà
Cardona
Balaguer
Amposta
Valls
Montblanc
Madrid
París
Londres
Roma
Lisboa
Berlín
""")

MALE_NAMES = words("""
en_Jordi
en_Pere
en_Marc
en_Pau
en_Joan
l'Oriol
l'Arnau
l'Albert
en_Xavier
en_Miquel
en_Quim
en_Bernat
en_Roger
en_Gerard
l'Enric
en_Ramon
en_Josep
en_Sergi
en_Lluís
en_Martí
en_Jaume
en_Biel
en_Toni
l'Àlex
en_Pol
en_Nil
en_Guillem
""")

FEMALE_NAMES = words("""
la_Montserrat
la_Núria
la_Laia
la_Mireia
l'Anna
l'Aina
la_Marta
la_Carme
la_Roser
la_Mercè
l'Elisabet
la_Júlia
la_Clara
la_Berta
la_Neus
l'Helena
la_Rosa
la_Gemma
la_Judit
la_Maria
la_Queralt
l'Ona
la_Paula
la_Rut
l'Emma
la_Sílvia
la_Txell
""")

# ---------------------------------------------------------------------- adjectives
THING_ADJ = adjectives("""
nou nova nous noves
vell vella vells velles
gran gran grans grans
petit petita petits petites
bonic bonica bonics boniques
lleig lletja lletjos lletges
car cara cars cares
barat barata barats barates
net neta nets netes
brut bruta bruts brutes
antic antiga antics antigues
modern moderna moderns modernes
còmode còmoda còmodes còmodes
llarg llarga llargs llargues
curt curta curts curtes
pesant pesant pesants pesants
lleuger lleugera lleugers lleugeres
trencat trencada trencats trencades
preciós preciosa preciosos precioses
estrany estranya estranys estranyes
útil útil útils útils
senzill senzilla senzills senzilles
elegant elegant elegants elegants
excel·lent excel·lent excel·lents excel·lents
""", "thing")

COLOURS = adjectives("""
vermell vermella vermells vermelles
blau blava blaus blaves
groc groga grocs grogues
negre negra negres negres
blanc blanca blancs blanques
verd verda verds verdes
gris grisa grisos grises
marró marró marrons marrons
lila lila liles liles
daurat daurada daurats daurades
""", "colour")

FOOD_ADJ = adjectives("""
calent calenta calents calentes
fred freda freds fredes
deliciós deliciosa deliciosos delicioses
dolç dolça dolços dolces
salat salada salats salades
fresc fresca frescos fresques
madur madura madurs madures
bo bona bons bones
picant picant picants picants
amarg amarga amargs amargues
cruixent cruixent cruixents cruixents
casolà casolana casolans casolanes
""", "food")

TEXT_ADJ = adjectives("""
interessant interessant interessants interessants
avorrit avorrida avorrits avorrides
divertit divertida divertits divertides
llarg llarga llargs llargues
curt curta curts curtes
famós famosa famosos famoses
difícil difícil difícils difícils
fàcil fàcil fàcils fàcils
trist trista tristos tristes
emocionant emocionant emocionants emocionants
important important importants importants
antic antiga antics antigues
""", "text")

PERSON_ADJ = adjectives("""
simpàtic simpàtica simpàtics simpàtiques
amable amable amables amables
intel·ligent intel·ligent intel·ligents intel·ligents
alt alta alts altes
baix baixa baixos baixes
jove jove joves joves
tímid tímida tímids tímides
valent valenta valents valentes
divertit divertida divertits divertides
seriós seriosa seriosos serioses
generós generosa generosos generoses
tranquil tranquil·la tranquils tranquil·les
treballador treballadora treballadors treballadores
puntual puntual puntuals puntuals
xerraire xerraire xerraires xerraires
""", "person")

MOODS = adjectives("""
cansat cansada cansats cansades
content contenta contents contentes
trist trista tristos tristes
nerviós nerviosa nerviosos nervioses
preocupat preocupada preocupats preocupades
malalt malalta malalts malaltes
enfadat enfadada enfadats enfadades
sorprès sorpresa sorpresos sorpreses
ocupat ocupada ocupats ocupades
adormit adormida adormits adormides
""", "mood")

PLACE_ADJ = adjectives("""
gran gran grans grans
petit petita petits petites
bonic bonica bonics boniques
antic antiga antics antigues
modern moderna moderns modernes
tranquil tranquil·la tranquils tranquil·les
ple plena plens plenes
buit buida buits buides
fosc fosca foscos fosques
famós famosa famosos famoses
ample ampla amples amples
estret estreta estrets estretes
sorollós sorollosa sorollosos sorolloses
acollidor acollidora acollidors acollidores
""", "place")

ANIMAL_ADJ = adjectives("""
petit petita petits petites
gran gran grans grans
bonic bonica bonics boniques
ràpid ràpida ràpids ràpides
lent lenta lents lentes
salvatge salvatge salvatges salvatges
jove jove joves joves
vell vella vells velles
gras grassa grassos grasses
prim prima prims primes
juganer juganera juganers juganeres
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
    "animal": ANIMAL_ADJ + tuple(a for a in COLOURS if a.forms[0] in ("negre", "blanc", "gris", "marró")),
    "person": PERSON_ADJ,
    "shop": PLACE_ADJ,
    "home": PLACE_ADJ,
    "public": PLACE_ADJ,
    "outdoor": PLACE_ADJ,
}

# --------------------------------------------------------------------------- verbs
FORMS = ("inf", "p1s", "p3s", "p1p", "p3p", "part")

TRANSITIVE = verbs("""
comprar compro compra comprem compren comprat | food fruit drink thing clothes text opens instrument vehicle | shop
vendre venc ven venem venen venut | food fruit thing clothes vehicle | shop outdoor
menjar menjo menja mengem mengen menjat | food fruit | cuina menjador terrassa jardí restaurant bar platja
beure bec beu bevem beuen begut | drink | cuina menjador terrassa bar restaurant
cuinar cuino cuina cuinem cuinen cuinat | food | cuina restaurant
preparar preparo prepara preparem preparen preparat | food drink | cuina bar restaurant
buscar busco busca busquem busquen buscat | thing clothes text opens animal person | home public outdoor
trobar trobo troba trobem troben trobat | thing clothes text animal | home public outdoor
perdre perdo perd perdem perden perdut | thing clothes text | public outdoor
portar porto porta portem porten portat | food fruit drink thing clothes text instrument | home public outdoor
obrir obro obre obrim obren obert | opens text | home public
tancar tanco tanca tanquem tanquen tancat | opens text | home public
rentar rento renta rentem renten rentat | clothes thing fruit vehicle | cuina bany garatge
llegir llegeixo llegeix llegim llegeixen llegit | text | home public outdoor
escriure escric escriu escrivim escriuen escrit | text | home public
veure veig veu veiem veuen vist | animal person vehicle | outdoor public
mirar miro mira mirem miren mirat | animal vehicle thing text | outdoor public home
escoltar escolto escolta escoltem escolten escoltat | person | public home
visitar visito visita visitem visiten visitat | person public outdoor |
ajudar ajudo ajuda ajudem ajuden ajudat | person | home public
conèixer conec coneix coneixem coneixen conegut | person |
necessitar necessito necessita necessitem necessiten necessitat | food fruit drink thing clothes text opens vehicle |
agafar agafo agafa agafem agafen agafat | thing text vehicle fruit | home outdoor public
netejar netejo neteja netegem netegen netejat | thing opens vehicle home |
arreglar arreglo arregla arreglem arreglen arreglat | thing opens vehicle instrument | home
pintar pinto pinta pintem pinten pintat | thing opens home |
dibuixar dibuixo dibuixa dibuixem dibuixen dibuixat | animal person vehicle | home outdoor public
tocar toco toca toquem toquen tocat | instrument | home public outdoor
demanar demano demana demanem demanen demanat | food drink | restaurant bar
guardar guardo guarda guardem guarden guardat | thing text clothes food | home
esperar espero espera esperem esperen esperat | person vehicle | public outdoor
estimar estimo estima estimem estimen estimat | person animal |
collir cullo cull collim cullen collit | fruit | outdoor
tastar tasto tasta tastem tasten tastat | food fruit drink | cuina menjador restaurant bar mercat
triar trio tria triem trien triat | food fruit thing clothes text | shop
llogar llogo lloga lloguem lloguen llogat | vehicle home |
conduir condueixo condueix conduïm condueixen conduït | cotxe camió autobús taxi furgoneta tramvia moto | outdoor
fotografiar fotografio fotografia fotografiem fotografien fotografiat | animal person outdoor public |
""", FORMS)

MOTION = verbs("""
anar vaig va anem van anat | a | shop public outdoor city
tornar torno torna tornem tornen tornat | de | shop public outdoor city
viure visc viu vivim viuen viscut | a | city
treballar treballo treballa treballem treballen treballat | a | shop public
caminar camino camina caminem caminen caminat | per | outdoor city
córrer corro corre correm corren corregut | per | parc platja bosc muntanya carrer camp
passejar passejo passeja passegem passegen passejat | per | outdoor city
arribar arribo arriba arribem arriben arribat | a | city public
sortir surto surt sortim surten sortit | de | public shop home
nedar nedo neda nedem neden nedat | a | platja piscina riu llac mar cala
estudiar estudio estudia estudiem estudien estudiat | a | biblioteca universitat escola institut
dinar dino dina dinem dinen dinat | a | restaurant bar menjador terrassa jardí platja
sopar sopo sopa sopem sopen sopat | a | restaurant bar menjador terrassa jardí
esmorzar esmorzo esmorza esmorzem esmorcen esmorzat | a | bar cuina terrassa hotel
ballar ballo balla ballem ballen ballat | a | plaça teatre festa
dormir dormo dorm dormim dormen dormit | a | hotel habitació
jugar jugo juga juguem juguen jugat | a | parc plaça jardí platja
""", FORMS)

# The future is the infinitive (less a final -e) plus é/à/em/an; these stems differ.
FUTURE_STEMS = {"anar": "anir", "conèixer": "coneixer", "córrer": "correr"}
FUTURE_ENDINGS = {"p1s": "é", "p3s": "à", "p1p": "em", "p3p": "an"}
HAVER = {"p1s": "he", "p3s": "ha", "p1p": "hem", "p3p": "han"}  # perfect auxiliary
ANAR = {"p1s": "vaig", "p3s": "va", "p1p": "vam", "p3p": "van"}  # periphrastic past
SER = {"p1s": "soc", "p3s": "és", "p1p": "som", "p3p": "són"}
SER_PAST = {"p1s": "era", "p3s": "era", "p1p": "érem", "p3p": "eren"}
ESTAR = {"p1s": "estic", "p3s": "està", "p1p": "estem", "p3p": "estan"}
ESTAR_PAST = {"p1s": "estava", "p3s": "estava", "p1p": "estàvem", "p3p": "estaven"}
TENIR = {"p1s": "tinc", "p3s": "té", "p1p": "tenim", "p3p": "tenen"}
VOLER = {"p1s": "vull", "p3s": "vol", "p1p": "volem", "p3p": "volen"}
PODER = {"p1s": "puc", "p3s": "pot", "p1p": "podem", "p3p": "poden"}
NECESSITAR = {"p1s": "necessito", "p3s": "necessita", "p1p": "necessitem", "p3p": "necessiten"}

TIMES = {
    "present": words("""
cada_dia
cada matí
sovint
sempre
els dilluns
els caps de setmana
normalment
de vegades
avui
cada dissabte
al matí
a la tarda
"""),
    "past": words("""
ahir
ahir al vespre
la setmana passada
l'any passat
fa dos dies
dissabte passat
el mes passat
abans-d'ahir
l'estiu passat
fa una setmana
"""),
    "perfect": words("""
aquest matí
avui
aquesta setmana
fa una estona
aquest any
aquesta tarda
"""),
    "future": words("""
demà
demà passat
la setmana que ve
l'estiu que ve
d'aquí a una hora
dilluns que ve
aquest cap de setmana
demà al matí
"""),
}

MONTHS = words("""
gener
febrer
març
abril
maig
juny
juliol
agost
setembre
octubre
novembre
desembre
""")
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
WEEKDAYS = words("""
dilluns
dimarts
dimecres
dijous
divendres
dissabte
diumenge
""")

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


# ------------------------------------------------------------------ noun phrases
@dataclass(frozen=True)
class Phrase:
    text: str
    gender: str = "m"
    plural: bool = False
    person: str = "p3s"


_DEMONSTRATIVES = (("aquest", "aquesta", "aquests", "aquestes"), ("aquell", "aquella", "aquells", "aquelles"))
_POSSESSIVES = (
    ("el meu", "la meva", "els meus", "les meves"),
    ("el teu", "la teva", "els teus", "les teves"),
    ("el seu", "la seva", "els seus", "les seves"),
    ("el nostre", "la nostra", "els nostres", "les nostres"),
    ("el vostre", "la vostra", "els vostres", "les vostres"),
)
_QUANTIFIERS = (("molts", "moltes"), ("alguns", "algunes"), ("pocs", "poques"))


def _form(table: tuple[str, str, str, str], gender: str, plural: bool) -> str:
    return table[(2 if plural else 0) + (1 if gender == "f" else 0)]


def noun_phrase(rng: random.Random, noun: Noun, det: str | None = None, plural: bool | None = None,
                adjective: float = 0.3) -> Phrase:
    """A determiner, the noun and sometimes an agreeing adjective."""
    mass = not noun.pl
    if plural is None:
        plural = False if mass else chance(rng, 0.35)
    plural = plural and not mass
    if det is None:
        options = ["def", "def", "indef", "dem", "poss"] + (["count", "quant"] if plural else [])
        det = pick(rng, options if not mass else ["def", "def", "dem", "bare"])
    word = noun.form(plural)
    adjs = ADJ_FOR.get(noun.kind, ())
    if adjs and chance(rng, adjective):
        adj = pick(rng, adjs).agree(noun.gender, plural)
        word = f"{word} {('molt ' if chance(rng, 0.2) else '')}{adj}"
    g = noun.gender
    if det == "def":
        head = definite(Noun(word, word, g, noun.kind, noun.article), plural)
    elif det == "indef":
        head = f"{_form(('un', 'una', 'uns', 'unes'), g, plural)} {word}"
    elif det == "dem":
        head = f"{_form(pick(rng, _DEMONSTRATIVES), g, plural)} {word}"
    elif det == "poss":
        head = f"{_form(pick(rng, _POSSESSIVES), g, plural)} {word}"
    elif det == "count":
        head = f"{number(rng.randint(2, 30) if chance(rng, 0.8) else rng.randint(31, 999), g)} {word}"
    elif det == "quant":
        head = f"{pick(rng, _QUANTIFIERS)[1 if g == 'f' else 0]} {word}"
    else:  # bare mass noun: "compro pa"
        head = word
    return Phrase(head, g, plural)


def person_phrase(rng: random.Random, plural: bool | None = None) -> Phrase:
    """A person: a name, ``el meu avi``, ``la veïna de la Laia``, ``els alumnes``."""
    if plural is None:
        plural = chance(rng, 0.3)
    if not plural and chance(rng, 0.45):
        female = chance(rng, 0.5)
        return Phrase(pick(rng, FEMALE_NAMES if female else MALE_NAMES), "f" if female else "m")
    noun = pick(rng, PEOPLE)
    det = pick(rng, ["def", "poss", "poss", "dem"])
    phrase = noun_phrase(rng, noun, det=det, plural=plural, adjective=0.15)
    if det == "def" and chance(rng, 0.4):
        owner = pick(rng, FEMALE_NAMES + MALE_NAMES)
        phrase = Phrase(f"{phrase.text} {prep('de', owner)}", phrase.gender, plural)
    return Phrase(phrase.text, phrase.gender, plural, "p3p" if plural else "p3s")


def subject(rng: random.Random) -> tuple[str, str, str]:
    """(subject text, person key, gender); first persons usually drop the pronoun."""
    r = rng.random()
    if r < 0.2:
        return ("jo" if chance(rng, 0.15) else "", "p1s", pick(rng, "mf"))
    if r < 0.35:
        return ("nosaltres" if chance(rng, 0.15) else "", "p1p", pick(rng, "mf"))
    if r < 0.42:
        a, b = pick(rng, MALE_NAMES), pick(rng, FEMALE_NAMES)
        return (f"{a} i {b}" if chance(rng, 0.5) else f"{b} i {a}", "p3p", "m")
    p = person_phrase(rng)
    return p.text, p.person, p.gender


def place_phrase(rng: random.Random, spec: tuple[str, ...], p: str = "a") -> str:
    """``a la platja``, ``al mercat``, ``de l'escola``, ``per Girona``, ``a casa``."""
    if "city" in spec and chance(rng, 0.35):
        return prep(p, pick(rng, CITIES))
    candidates = [n for n in PLACES if n.kind in spec or n.sg in spec]
    if not candidates:
        return prep(p, pick(rng, CITIES)) if "city" in spec else ""
    noun = pick(rng, candidates)
    if p == "a" and noun.kind == "home" and chance(rng, 0.15):
        return "a casa"
    phrase = noun_phrase(rng, noun, det=pick(rng, ["def", "def", "def", "poss", "dem"]), plural=False,
                         adjective=0.15).text
    if p == "a" and not phrase.startswith(("el ", "la ", "l'")):
        return f"en {phrase}"  # "a" before articles, "en" before other determiners
    return prep(p, phrase)


# ------------------------------------------------------------------------ clauses
def _conjugate(verb, tense: str, person: str) -> str:
    if tense == "present":
        return verb[person]
    if tense == "past":
        return f"{ANAR[person]} {verb['inf']}"
    if tense == "perfect":
        return f"{HAVER[person]} {verb['part']}"
    inf = verb["inf"]
    stem = FUTURE_STEMS.get(inf, inf[:-1] if inf.endswith("re") else inf)
    return stem + FUTURE_ENDINGS[person]


def _object(rng: random.Random, verb) -> str:
    kind = pick(rng, verb.objects)
    if kind == "person":
        return person_phrase(rng).text
    noun = pick(rng, [n for n in ALL_NOUNS if kind in (n.kind, n.sg)])
    return noun_phrase(rng, noun).text


def verb_phrase(rng: random.Random, tense: str, person: str, negate: bool = False) -> str:
    """Verb, object and place: ``compra pomes al mercat``, ``va anar a Girona``."""
    if chance(rng, 0.7):
        verb = pick(rng, TRANSITIVE)
        parts = [_conjugate(verb, tense, person), _object(rng, verb)]
        if verb.places and chance(rng, 0.4):
            parts.append(place_phrase(rng, verb.places))
    else:
        verb = pick(rng, MOTION)
        parts = [_conjugate(verb, tense, person)]
        place = place_phrase(rng, verb.places, verb.objects[0])
        parts.append(place)
    if negate:
        parts.insert(0, "no")
    return " ".join(p for p in parts if p)


def infinitive_phrase(rng: random.Random) -> str:
    """``comprar pa al forn``, ``anar a la platja``."""
    if chance(rng, 0.65):
        verb = pick(rng, TRANSITIVE)
        text = f"{verb['inf']} {_object(rng, verb)}"
        if verb.places and chance(rng, 0.3):
            text += " " + place_phrase(rng, verb.places)
        return text
    verb = pick(rng, MOTION)
    return f"{verb['inf']} {place_phrase(rng, verb.places, verb.objects[0])}"


def clause(rng: random.Random) -> str:
    tense = weighted(rng, [(4, "present"), (3, "past"), (2, "perfect"), (2, "future")])
    subj, person, _ = subject(rng)
    time = pick(rng, TIMES[tense]) if chance(rng, 0.5) else ""
    vp = verb_phrase(rng, tense, person, negate=chance(rng, 0.12))
    if time and chance(rng, 0.5):
        return f"{time} {subj} {vp}"
    return f"{subj} {vp} {time}"


# ---------------------------------------------------------------------- templates
def statement(rng: random.Random) -> str:
    return finish(clause(rng))


def compound(rng: random.Random) -> str:
    joiner = pick(rng, [", però", " i després", " perquè", ", així que", " i"])
    return finish(f"{clause(rng)}{joiner} {clause(rng)}")


def description(rng: random.Random) -> str:
    intensity = pick(rng, ["", "molt", "molt", "força", "massa", "bastant", "tan"])
    if intensity == "tan":
        intensity = "molt"
    if chance(rng, 0.3):
        subj, person, gender = subject(rng)
        mood = pick(rng, MOODS).agree(gender, person in ("p1p", "p3p"))
        past = chance(rng, 0.3)
        verb = (ESTAR_PAST if past else ESTAR)[person]
        time = pick(rng, TIMES["past" if past else "present"][:6]) if chance(rng, 0.3) else ""
        return finish(f"{subj} {verb} {intensity} {mood} {time}")
    noun = pick(rng, [n for n in ALL_NOUNS if n.kind in ADJ_FOR and n.kind != "person"])
    det = pick(rng, ["def", "dem", "poss"])
    np = noun_phrase(rng, noun, det=det, adjective=0.0)
    if det == "def" and chance(rng, 0.4):
        np = Phrase(f"{np.text} {prep('de', pick(rng, FEMALE_NAMES + MALE_NAMES))}", np.gender, np.plural)
    adj = pick(rng, ADJ_FOR[noun.kind]).agree(noun.gender, np.plural)
    person = "p3p" if np.plural else "p3s"
    verb = (SER_PAST if chance(rng, 0.25) else SER)[person]
    return finish(f"{np.text} {verb} {intensity} {adj}")


def existence(rng: random.Random) -> str:
    noun = pick(rng, THINGS + ANIMALS + PEOPLE + VEHICLES + FRUIT + OPENABLE)
    plural = chance(rng, 0.6) and bool(noun.pl)
    np = noun_phrase(rng, noun, det=pick(rng, ["count", "quant"]) if plural else "indef", plural=plural)
    place = place_phrase(rng, ("home", "public", "outdoor", "shop", "city"))
    verb = pick(rng, ["hi ha", "hi ha", "hi havia", "hi haurà"])
    if chance(rng, 0.4):
        return finish(f"{place} {verb} {np.text}")
    return finish(f"{verb} {np.text} {place}")


_CHOOSING = ("comprar", "menjar", "beure", "cuinar", "llegir", "tocar", "demanar", "triar", "llogar",
             "tastar", "visitar", "portar")


def question(rng: random.Random) -> str:
    kind = rng.randrange(11)
    if kind == 0:
        noun = pick(rng, PLACES + THINGS + OPENABLE)
        if noun.kind in ("thing", "opens"):
            np = noun_phrase(rng, noun, det=pick(rng, ["def", "poss"]), adjective=0.2)
            return finish(f"on {'són' if np.plural else 'és'} {np.text}", "?")
        text = definite(noun)
        if chance(rng, 0.4):
            text += " més " + ("propera" if noun.gender == "f" else "proper")
        return finish(f"on és {text}", "?")
    if kind == 1:
        vehicle = pick(rng, [v for v in VEHICLES if v.sg in ("tren", "autobús", "avió", "vaixell", "tramvia")])
        where = prep(pick(rng, ["de", "cap a"]), pick(rng, CITIES)) if chance(rng, 0.5) else ""
        verb = pick(rng, ["surt", "arriba"])
        return finish(f"a quina hora {verb} {definite(vehicle)} {where}", "?")
    if kind == 2:
        noun = pick(rng, THINGS + CLOTHES + TEXTS + INSTRUMENTS + VEHICLES)
        np = noun_phrase(rng, noun, det="dem", adjective=0.2)
        return finish(f"quant {'costen' if np.plural else 'costa'} {np.text}", "?")
    if kind == 3:
        noun = pick(rng, [n for n in THINGS + PEOPLE + ANIMALS + TEXTS if n.pl])
        how_many = "quantes" if noun.gender == "f" else "quants"
        place = place_phrase(rng, ("home", "public", "outdoor", "shop", "city"))
        return finish(f"{how_many} {noun.pl} hi ha {place}", "?")
    if kind == 4:
        verb = pick(rng, [v for v in TRANSITIVE if "person" not in v.objects or len(v.objects) > 1])
        aux = pick(rng, ["has", "heu"])
        return finish(f"{aux} {verb['part']} {_object(rng, verb)}", "?")
    if kind == 5:
        who = person_phrase(rng)
        verb = pick(rng, [("plora", "ploren"), ("riu", "riuen"), ("crida", "criden"), ("corre", "corren"),
                          ("canta", "canten"), ("dorm", "dormen")])
        return finish(f"per què {verb[1 if who.plural else 0]} {who.text}", "?")
    if kind == 6:
        verb = pick(rng, [v for v in MOTION if v["inf"] in ("anar", "nedar", "sopar", "dinar", "passejar")])
        place = prep(verb.objects[0], definite(pick(rng, [n for n in PLACES if n.sg in verb.places
                                                            or n.kind in verb.places])))
        want = pick(rng, ["vols", "voleu"])
        inf = "venir" if verb["inf"] == "anar" else verb["inf"]
        when = pick(rng, TIMES["future"]) if chance(rng, 0.5) else ""
        return finish(f"{want} {inf} {place} amb nosaltres {when}", "?")
    if kind == 7:
        noun = pick(rng, THINGS + CLOTHES + TEXTS + OPENABLE + ANIMALS)
        np = noun_phrase(rng, noun, det="dem", adjective=0.2)
        return finish(f"de qui {'són' if np.plural else 'és'} {np.text}", "?")
    if kind == 8:
        verb = pick(rng, [v for v in TRANSITIVE if v["inf"] in _CHOOSING])
        noun = pick(rng, [n for n in ALL_NOUNS if n.kind in verb.objects or n.sg in verb.objects])
        which = "quina" if noun.gender == "f" else "quin"
        return finish(f"{which} {noun.sg} {pick(rng, ['vols', 'voleu', 'prefereixes'])} {verb['inf']}", "?")
    if kind == 9:
        who = person_phrase(rng, plural=False)
        tail = pick(rng, [f"on viu {who.text}", f"on treballa {who.text}", f"si {who.text} vindrà a sopar",
                          f"a quina hora arriba {who.text}", f"quants anys té {who.text}"])
        return finish(f"saps {tail}", "?")
    if chance(rng, 0.5):
        noun = pick(rng, PEOPLE)
        owner = pick(rng, _POSSESSIVES[1:3])[1 if noun.gender == "f" else 0]
        return finish(f"com es diu {owner} {noun.sg}", "?")
    thing = noun_phrase(rng, pick(rng, THINGS + OPENABLE + CLOTHES), det="indef", plural=False).text
    return finish(f"{pick(rng, ['tens', 'teniu'])} {thing}", "?")


def wants(rng: random.Random) -> str:
    subj, person, _ = subject(rng)
    modal = weighted(rng, [(3, "voler"), (2, "poder"), (2, "haver"), (1, "agradaria"), (1, "necessitar")])
    inf = infinitive_phrase(rng)
    neg = "no " if chance(rng, 0.15) else ""
    if modal == "voler":
        head = f"{neg}{VOLER[person]} {inf}"
    elif modal == "poder":
        head = f"{neg}{PODER[person]} {inf}"
    elif modal == "haver":
        head = f"{neg}{HAVER[person]} {prep('de', inf)}"
    elif modal == "necessitar":
        head = f"{neg}{NECESSITAR[person]} {inf}"
    else:
        clitic = {"p1s": "m'", "p1p": "ens ", "p3s": "li ", "p3p": "els "}[person]
        if person in ("p3s", "p3p") and subj:
            return finish(f"{prep('a', subj)} {neg}{clitic}agradaria {inf}")
        return finish(f"{neg}{clitic}agradaria {inf}")
    return finish(f"{subj} {head}")


def likes(rng: random.Random) -> str:
    who = rng.randrange(4)
    noun = pick(rng, FOOD + FRUIT + DRINKS + ANIMALS + TEXTS + INSTRUMENTS + PLACES + CLOTHES)
    if chance(rng, 0.3):
        thing, plural = infinitive_phrase(rng), False
    else:
        plural = bool(noun.pl) and chance(rng, 0.5)
        thing = noun_phrase(rng, noun, det="def", plural=plural, adjective=0.2).text
    verb = pick(rng, [("agrada", "agraden"), ("agrada", "agraden"), ("encanta", "encanten")])[plural]
    neg = "no " if chance(rng, 0.2) else ""
    if who == 0:
        head = f"{neg}m'{verb}"
    elif who == 1:
        head = f"{neg}ens {verb}"
    else:
        p = person_phrase(rng)
        clitic = "els" if p.plural else "li"
        head = f"{prep('a', p.text)} {neg}{clitic} {verb}"
    tail = " gens" if neg and chance(rng, 0.3) else (" molt" if not neg and chance(rng, 0.3) else "")
    return finish(f"{head}{tail} {thing}")


def numbers(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        subj, person, _ = subject(rng)
        age = rng.randint(2, 99)
        return finish(f"{subj} {TENIR[person]} {number(age)} anys")
    if kind == 1:
        subj, person, _ = subject(rng)
        noun = pick(rng, [n for n in THINGS + ANIMALS + CLOTHES + TEXTS + VEHICLES + INSTRUMENTS if n.pl])
        n = rng.randint(2, 40) if chance(rng, 0.7) else rng.randint(41, 999)
        verb = pick(rng, [TENIR[person], _conjugate(pick(rng, TRANSITIVE[:1]), "past", person)])
        return finish(f"{subj} {verb} {number(n, noun.gender)} {noun.pl}")
    if kind == 2:
        year = rng.randint(1200, 2030)
        who = person_phrase(rng, plural=False).text
        what = pick(rng, [f"{who} va néixer", f"{definite(pick(rng, PUBLIC + OUTDOOR[-1:]))} es va construir",
                          f"{who} va arribar {prep('a', pick(rng, CITIES))}"])
        return finish(f"{what} l'any {number(year, counting=True)}")
    if kind == 3:
        minutes = rng.randint(2, 59)
        vehicle = definite(pick(rng, VEHICLES[:6]))
        return finish(f"{vehicle} {pick(rng, ['porta', 'portava'])} {number(minutes)} minuts de retard")
    if kind == 4:
        n = rng.randint(20, 999) if chance(rng, 0.7) else rng.randint(1000, 9999)
        where = place_phrase(rng, ("public", "outdoor", "city"))
        return finish(f"{where} hi havia {number(n, 'f')} persones")
    if kind == 5:
        a, b = rng.sample(CITIES[:38], 2)
        return finish(f"{a} és a {number(rng.randint(3, 400))} quilòmetres {prep('de', b)}")
    degrees = rng.randint(-5, 42)
    sign = "menys " if degrees < 0 else ""
    unit = "grau" if abs(degrees) == 1 else "graus"
    return finish(f"{pick(rng, ['avui', 'ara', 'aquest matí'])} fa {sign}{number(abs(degrees))} {unit} "
                  f"{prep('a', pick(rng, CITIES))}")


def date(rng: random.Random, year: bool = False) -> str:
    month = rng.randrange(12)
    day = rng.randint(1, MONTH_DAYS[month])
    words_day = number(day, counting=True)
    article = "l'" if _elides(words_day) else "el "
    text = f"{article}{words_day} {prep('de', MONTHS[month])}"
    if year:
        text += f" {prep('de', number(rng.randint(1950, 2030), counting=True))}"
    return text


def dates(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        event = pick(rng, EVENTS)
        return finish(f"{definite(event)} {pick(rng, ['és', 'serà', 'va ser'])} {date(rng, chance(rng, 0.3))}")
    if kind == 1:
        day = date(rng)
        day = day[2:] if day.startswith("l'") else day[3:]
        return finish(f"avui és {pick(rng, WEEKDAYS)}, {day}")
    if kind == 2:
        who = person_phrase(rng, plural=False).text
        return finish(f"{who} va néixer {date(rng, True)}")
    return finish(f"el meu aniversari és {date(rng)}")


def clock(rng: random.Random, with_a: bool = True) -> str:
    """``a les set``, ``a la una``, ``a dos quarts de vuit del vespre``."""
    hour24 = rng.randint(6, 23)
    quarter = pick(rng, [0, 0, 1, 2, 3])
    period = ("del matí" if hour24 < 12 else "del migdia" if hour24 < 14 else "de la tarda"
              if hour24 < 20 else "del vespre" if hour24 < 22 else "de la nit")
    hour = hour24 % 12 or 12
    if quarter == 0:
        text = f"{'la' if hour == 1 else 'les'} {number(hour, 'f')}"
        if with_a:
            text = f"a {text}"
    else:
        following = number(hour % 12 + 1, "f")
        text = f"{['un quart', 'dos quarts', 'tres quarts'][quarter - 1]} {prep('de', following)}"
        if with_a:
            text = f"a {text}"
    return f"{text} {period}" if chance(rng, 0.5) else text


def times(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        vehicle = definite(pick(rng, VEHICLES[2:6] + VEHICLES[10:11]))
        return finish(f"{vehicle} {pick(rng, ['surt', 'arriba', 'sortirà', 'va arribar'])} {clock(rng)}")
    if kind == 1:
        shop = definite(pick(rng, SHOPS + PUBLIC))
        return finish(f"{shop} obre {clock(rng)} i tanca {clock(rng)}")
    if kind == 2:
        return finish(f"ens veiem {clock(rng)} {prep('a', definite(pick(rng, PUBLIC + OUTDOOR)))}")
    if kind == 3:
        event = definite(pick(rng, EVENTS))
        return finish(f"{event} {pick(rng, ['comença', 'començarà', 'acaba'])} {clock(rng)}")
    text = clock(rng, with_a=False)
    return finish(f"{'és' if text.startswith(('la una', 'un quart')) else 'són'} {text}")


def price(rng: random.Random) -> str:
    euros = rng.randint(1, 30) if chance(rng, 0.7) else rng.randint(31, 2500)
    text = "un euro" if euros == 1 else f"{number(euros)} euros"
    if chance(rng, 0.4):
        cents = pick(rng, [5, 10, 20, 25, 30, 40, 50, 60, 75, 80, 90, 95, 99])
        text += f" amb {number(cents)} cèntims"
    return text


def prices(rng: random.Random) -> str:
    noun = pick(rng, THINGS + CLOTHES + TEXTS + INSTRUMENTS + FOOD + OPENABLE)
    kind = rng.randrange(3)
    if kind == 0:
        np = noun_phrase(rng, noun, det=pick(rng, ["dem", "def"]), adjective=0.3)
        verb = pick(rng, [("costa", "costen"), ("val", "valen"), ("costava", "costaven")])[np.plural]
        return finish(f"{np.text} {verb} {price(rng)}")
    if kind == 1:
        np = noun_phrase(rng, noun, det="indef", plural=False)
        return finish(f"{pick(rng, ['he pagat', 'vaig pagar', 'hem pagat'])} {price(rng)} per {np.text}")
    return finish(f"{pick(rng, ['són', 'en total són', 'seran'])} {price(rng)}, si us plau")


def weather(rng: random.Random) -> str:
    tense = pick(rng, ["present", "past", "future"])
    phrase = pick(rng, {
        "present": ["fa sol", "fa calor", "fa fred", "fa vent", "fa bon temps", "fa mal temps", "plou",
                    "neva", "està ennuvolat", "fa molta calor", "fa molt de fred"],
        "past": ["va fer sol", "va fer calor", "va fer fred", "va fer vent", "va ploure", "va nevar",
                 "va fer molt bon temps", "va caure una calamarsada"],
        "future": ["farà sol", "farà calor", "farà fred", "farà vent", "plourà", "nevarà", "glaçarà",
                   "farà bon temps"],
    }[tense])
    time = pick(rng, {"present": ["avui", "ara", "aquest matí"], "past": ["ahir", "la setmana passada",
                                                                         "abans-d'ahir"],
                      "future": ["demà", "aquest cap de setmana", "demà passat"]}[tense])
    where = pick(rng, [prep("a", pick(rng, CITIES)), "a la muntanya", "a la costa", "al Pirineu", ""])
    if chance(rng, 0.15):
        return finish(pick(rng, ["quina calor que fa", "quin fred que fa", "quin dia més bonic",
                                 "quin temps més estrany"]), "!")
    return finish(f"{time} {phrase} {where}")


def request(rng: random.Random) -> str:
    inf = infinitive_phrase(rng)
    kind = rng.randrange(4)
    if kind == 0:
        return finish(f"{pick(rng, ['pots', 'podeu', 'em pots', 'ens podeu'])} {inf}, si us plau", "?")
    if kind == 1:
        return finish(f"recorda't {prep('de', inf)}")
    if kind == 2:
        return finish(f"no t'oblidis {prep('de', inf)}")
    return finish(f"t'importaria {inf}", "?")


def quoted(rng: random.Random) -> str:
    """Reported speech in Catalan quotes: «On és l'estació?», va preguntar en Jordi."""
    who = person_phrase(rng, plural=False).text
    if chance(rng, 0.5):
        return finish(f"«{question(rng)}», {pick(rng, ['va preguntar', 'pregunta'])} {who}")
    return finish(f"«{statement(rng)[:-1]}», {pick(rng, ['va dir', 'diu', 'va explicar'])} {who}")


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
    """One Catalan sentence, capitalized and punctuated like a Common Voice prompt."""
    return weighted(rng, TEMPLATES)(rng)
