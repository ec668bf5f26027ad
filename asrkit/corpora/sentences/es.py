"""Spanish sentences: everyday statements, questions, numbers, dates, times and prices.

Written for asrkit. Handles the grammar that shows in spelling: ``¿…?`` and ``¡…!``,
the contractions ``al``/``del``, the personal ``a`` before human objects, ``y`` → ``e``
before an /i/ sound, feminine nouns with a stressed a- taking ``el`` (``el agua``),
apocope and agreement of numbers (``veintiún euros``, ``doscientas personas``), and the
ser/estar split for adjectives.
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

LOCALE = "es"
NAME = "Spanish"
ACCENTS = (
    Accent("es", "España: Centro-Sur peninsular (Madrid, Toledo, Castilla-La Mancha)", 4),
    Accent("es-419", "México", 4),
)

# --------------------------------------------------------------------------- nouns
PEOPLE = nouns("""
amigo amigos m
amiga amigas f
vecino vecinos m
vecina vecinas f
médico médicos m
médica médicas f
maestro maestros m
maestra maestras f
cocinero cocineros m
cocinera cocineras f
enfermero enfermeros m
enfermera enfermeras f
abogado abogados m
abogada abogadas f
hermano hermanos m
hermana hermanas f
primo primos m
prima primas f
abuelo abuelos m
abuela abuelas f
tío tíos m
tía tías f
hijo hijos m
hija hijas f
niño niños m
niña niñas f
chico chicos m
chica chicas f
hombre hombres m
mujer mujeres f
camarero camareros m
camarera camareras f
ingeniero ingenieros m
ingeniera ingenieras f
pintor pintores m
pintora pintoras f
vendedor vendedores m
vendedora vendedoras f
director directores m
directora directoras f
fotógrafo fotógrafos m
fotógrafa fotógrafas f
alumno alumnos m
alumna alumnas f
turista turistas m
periodista periodistas f
científico científicos m
científica científicas f
músico músicos m
conductora conductoras f
carpintero carpinteros m
bombero bomberos m
bombera bomberas f
piloto pilotos m
profesor profesores m
profesora profesoras f
cartero carteros m
panadero panaderos m
panadera panaderas f
""", "person")

ANIMALS = nouns("""
perro perros m
gato gatos m
gata gatas f
pájaro pájaros m
caballo caballos m
vaca vacas f
oveja ovejas f
conejo conejos m
gallina gallinas f
pez peces m
tortuga tortugas f
pato patos m
cerdo cerdos m
cabra cabras f
oso osos m
león leones m
elefante elefantes m
mariposa mariposas f
abeja abejas f
rana ranas f
zorro zorros m
delfín delfines m
cigüeña cigüeñas f
ardilla ardillas f
loro loros m
burro burros m
""", "animal")

FOOD = nouns("""
pan - m
queso quesos m
pollo pollos m
huevo huevos m
sopa sopas f
ensalada ensaladas f
pastel pasteles m
galleta galletas f
chocolate - m
helado helados m
bocadillo bocadillos m
tortilla tortillas f
paella paellas f
arroz - m
jamón - m
magdalena magdalenas f
empanada empanadas f
tomate tomates m
lechuga lechugas f
patata patatas f
cebolla cebollas f
zanahoria zanahorias f
pimiento pimientos m
calabaza calabazas f
berenjena berenjenas f
frijol frijoles m
taco tacos m
churro churros m
gazpacho - m
""", "food")

FRUIT = nouns("""
manzana manzanas f
pera peras f
naranja naranjas f
plátano plátanos m
fresa fresas f
melocotón melocotones m
sandía sandías f
melón melones m
limón limones m
cereza cerezas f
uva uvas f
piña piñas f
higo higos m
ciruela ciruelas f
albaricoque albaricoques m
mango mangos m
aguacate aguacates m
""", "fruit")

DRINKS = nouns("""
agua - f @el
leche - f
café cafés m
té - m
zumo zumos m
jugo jugos m
vino - m
cerveza cervezas f
horchata - f
limonada - f
infusión infusiones f
refresco refrescos m
""", "drink")

TEXTS = nouns("""
libro libros m
carta cartas f
periódico periódicos m
revista revistas f
cuento cuentos m
novela novelas f
poema poemas m
mensaje mensajes m
receta recetas f
lista listas f
noticia noticias f
informe informes m
mapa mapas m
correo correos m
""", "text")

THINGS = nouns("""
llave llaves f
teléfono teléfonos m
ordenador ordenadores m
computadora computadoras f
silla sillas f
mesa mesas f
reloj relojes m
paraguas paraguas m
mochila mochilas f
cartera carteras f
vaso vasos m
taza tazas f
plato platos m
cuchillo cuchillos m
tenedor tenedores m
cuchara cucharas f
lápiz lápices m
bolígrafo bolígrafos m
cuaderno cuadernos m
regalo regalos m
juguete juguetes m
pelota pelotas f
cuadro cuadros m
fotografía fotografías f
colección colecciones f
lámpara lámparas f
espejo espejos m
almohada almohadas f
manta mantas f
toalla toallas f
cámara cámaras f
radio radios f
televisor televisores m
sofá sofás m
cama camas f
vela velas f
alfombra alfombras f
florero floreros m
abanico abanicos m
cepillo cepillos m
""", "thing")

OPENABLE = nouns("""
puerta puertas f
ventana ventanas f
botella botellas f
maleta maletas f
nevera neveras f
armario armarios m
caja cajas f
cajón cajones m
bolsa bolsas f
lata latas f
""", "opens")

CLOTHES = nouns("""
camisa camisas f
chaqueta chaquetas f
zapato zapatos m
sombrero sombreros m
abrigo abrigos m
jersey jerséis m
falda faldas f
vestido vestidos m
bufanda bufandas f
calcetín calcetines m
pantalón pantalones m
camiseta camisetas f
guante guantes m
gorra gorras f
corbata corbatas f
cinturón cinturones m
bota botas f
""", "clothes")

VEHICLES = nouns("""
coche coches m
moto motos f
tren trenes m
autobús autobuses m
avión aviones m
barco barcos m
barca barcas f
bicicleta bicicletas f
furgoneta furgonetas f
taxi taxis m
tranvía tranvías m
camión camiones m
metro metros m
""", "vehicle")

INSTRUMENTS = nouns("""
guitarra guitarras f
piano pianos m
violín violines m
flauta flautas f
batería baterías f
trompeta trompetas f
acordeón acordeones m
violonchelo violonchelos m
tambor tambores m
""", "instrument")

SHOPS = nouns("""
mercado mercados m
tienda tiendas f
panadería panaderías f
supermercado supermercados m
farmacia farmacias f
librería librerías f
pescadería pescaderías f
frutería fruterías f
carnicería carnicerías f
pastelería pastelerías f
quiosco quioscos m
ferretería ferreterías f
""", "shop")

HOME = nouns("""
cocina cocinas f
comedor comedores m
habitación habitaciones f
baño baños m
terraza terrazas f
jardín jardines m
balcón balcones m
garaje garajes m
pasillo pasillos m
piso pisos m
salón salones m
""", "home")

PUBLIC = nouns("""
escuela escuelas f
colegio colegios m
biblioteca bibliotecas f
hospital hospitales m
estación estaciones f
museo museos m
cine cines m
teatro teatros m
restaurante restaurantes m
oficina oficinas f
universidad universidades f
aeropuerto aeropuertos m
ayuntamiento ayuntamientos m
iglesia iglesias f
hotel hoteles m
piscina piscinas f
gimnasio gimnasios m
bar bares m
fábrica fábricas f
banco bancos m
estadio estadios m
""", "public")

OUTDOOR = nouns("""
playa playas f
montaña montañas f
parque parques m
bosque bosques m
río ríos m
lago lagos m
plaza plazas f
calle calles f
puerto puertos m
campo campos m
isla islas f
huerto huertos m
puente puentes m
pueblo pueblos m
barrio barrios m
mar - m
valle valles m
fuente fuentes f
castillo castillos m
desierto desiertos m
""", "outdoor")

EVENTS = nouns("""
reunión reuniones f
concierto conciertos m
fiesta fiestas f
examen exámenes m
boda bodas f
cena cenas f
partido partidos m
viaje viajes m
excursión excursiones f
entrevista entrevistas f
visita visitas f
conferencia conferencias f
feria ferias f
estreno estrenos m
""", "event")

PLACES = SHOPS + HOME + PUBLIC + OUTDOOR
OBJECTS = FOOD + FRUIT + DRINKS + TEXTS + THINGS + OPENABLE + CLOTHES + VEHICLES + INSTRUMENTS
ALL_NOUNS = PEOPLE + ANIMALS + OBJECTS + PLACES

CITIES = words("""
Madrid
Barcelona
Sevilla
Valencia
Bilbao
Granada
Málaga
Zaragoza
Salamanca
Toledo
Córdoba
Cádiz
Oviedo
Santander
Pamplona
Murcia
Alicante
Valladolid
Burgos
León
Segovia
Cáceres
Almería
Huelva
Vigo
Logroño
Guadalajara
Monterrey
Puebla
Oaxaca
Bogotá
Medellín
Cali
Lima
Cusco
Quito
Caracas
Santiago
Valparaíso
Montevideo
Asunción
La_Paz
Buenos_Aires
Rosario
Mendoza
La_Habana
San_Juan
Managua
Tegucigalpa
""")

MALE_NAMES = words("""
José
Juan
Pedro
Luis
Carlos
Javier
Miguel
Antonio
Manuel
Francisco
Pablo
Diego
Sergio
Jorge
Alberto
Andrés
Fernando
Raúl
Óscar
Rubén
Alejandro
Hugo
Mateo
Iván
Ignacio
Tomás
Emilio
""")

FEMALE_NAMES = words("""
María
Carmen
Lucía
Ana
Laura
Marta
Isabel
Paula
Elena
Sofía
Cristina
Pilar
Rosa
Teresa
Inés
Beatriz
Julia
Irene
Alicia
Silvia
Patricia
Raquel
Natalia
Gabriela
Valentina
Camila
Ximena
""")

# ---------------------------------------------------------------------- adjectives
# Adjectives of kind "state" take "estar" (está roto); the others "ser" (es nuevo).
THING_ADJ = adjectives("""
nuevo nueva nuevos nuevas
viejo vieja viejos viejas
grande grande grandes grandes
pequeño pequeña pequeños pequeñas
bonito bonita bonitos bonitas
feo fea feos feas
caro cara caros caras
barato barata baratos baratas
antiguo antigua antiguos antiguas
moderno moderna modernos modernas
cómodo cómoda cómodos cómodas
largo larga largos largas
corto corta cortos cortas
pesado pesada pesados pesadas
ligero ligera ligeros ligeras
precioso preciosa preciosos preciosas
extraño extraña extraños extrañas
útil útil útiles útiles
sencillo sencilla sencillos sencillas
elegante elegante elegantes elegantes
excelente excelente excelentes excelentes
""", "thing")

STATES = adjectives("""
limpio limpia limpios limpias
sucio sucia sucios sucias
roto rota rotos rotas
lleno llena llenos llenas
vacío vacía vacíos vacías
abierto abierta abiertos abiertas
cerrado cerrada cerrados cerradas
""", "state")

COLOURS = adjectives("""
rojo roja rojos rojas
azul azul azules azules
amarillo amarilla amarillos amarillas
negro negra negros negras
blanco blanca blancos blancas
verde verde verdes verdes
gris gris grises grises
marrón marrón marrones marrones
morado morada morados moradas
dorado dorada dorados doradas
""", "colour")

FOOD_ADJ = adjectives("""
caliente caliente calientes calientes
frío fría fríos frías
delicioso deliciosa deliciosos deliciosas
dulce dulce dulces dulces
salado salada salados saladas
fresco fresca frescos frescas
maduro madura maduros maduras
bueno buena buenos buenas
picante picante picantes picantes
amargo amarga amargos amargas
crujiente crujiente crujientes crujientes
casero casera caseros caseras
""", "state")

TEXT_ADJ = adjectives("""
interesante interesante interesantes interesantes
aburrido aburrida aburridos aburridas
divertido divertida divertidos divertidas
largo larga largos largas
corto corta cortos cortas
famoso famosa famosos famosas
difícil difícil difíciles difíciles
fácil fácil fáciles fáciles
triste triste tristes tristes
emocionante emocionante emocionantes emocionantes
importante importante importantes importantes
antiguo antigua antiguos antiguas
""", "text")

PERSON_ADJ = adjectives("""
simpático simpática simpáticos simpáticas
amable amable amables amables
inteligente inteligente inteligentes inteligentes
alto alta altos altas
bajo baja bajos bajas
joven joven jóvenes jóvenes
tímido tímida tímidos tímidas
valiente valiente valientes valientes
divertido divertida divertidos divertidas
serio seria serios serias
generoso generosa generosos generosas
tranquilo tranquila tranquilos tranquilas
trabajador trabajadora trabajadores trabajadoras
puntual puntual puntuales puntuales
hablador habladora habladores habladoras
""", "person")

MOODS = adjectives("""
cansado cansada cansados cansadas
contento contenta contentos contentas
triste triste tristes tristes
nervioso nerviosa nerviosos nerviosas
preocupado preocupada preocupados preocupadas
enfermo enferma enfermos enfermas
enfadado enfadada enfadados enfadadas
sorprendido sorprendida sorprendidos sorprendidas
ocupado ocupada ocupados ocupadas
dormido dormida dormidos dormidas
""", "state")

PLACE_ADJ = adjectives("""
grande grande grandes grandes
pequeño pequeña pequeños pequeñas
bonito bonita bonitos bonitas
antiguo antigua antiguos antiguas
moderno moderna modernos modernas
tranquilo tranquila tranquilos tranquilas
famoso famosa famosos famosas
ancho ancha anchos anchas
estrecho estrecha estrechos estrechas
ruidoso ruidosa ruidosos ruidosas
acogedor acogedora acogedores acogedoras
oscuro oscura oscuros oscuras
""", "place")

ANIMAL_ADJ = adjectives("""
pequeño pequeña pequeños pequeñas
grande grande grandes grandes
bonito bonita bonitos bonitas
rápido rápida rápidos rápidas
lento lenta lentos lentas
salvaje salvaje salvajes salvajes
joven joven jóvenes jóvenes
viejo vieja viejos viejas
gordo gorda gordos gordas
delgado delgada delgados delgadas
juguetón juguetona juguetones juguetonas
""", "animal")

_ANIMAL_COLOURS = tuple(a for a in COLOURS if a.forms[0] in ("negro", "blanco", "gris", "marrón"))
ADJ_FOR = {
    "thing": THING_ADJ + COLOURS + STATES[:3],
    "opens": THING_ADJ + COLOURS + STATES,
    "clothes": THING_ADJ + COLOURS + STATES[:3],
    "vehicle": THING_ADJ + COLOURS + STATES[:3],
    "instrument": THING_ADJ + STATES[2:3],
    "text": TEXT_ADJ,
    "food": FOOD_ADJ,
    "fruit": FOOD_ADJ,
    "drink": FOOD_ADJ[:7],
    "animal": ANIMAL_ADJ + _ANIMAL_COLOURS,
    "person": PERSON_ADJ,
    "shop": PLACE_ADJ + STATES[3:],
    "home": PLACE_ADJ + STATES[:2],
    "public": PLACE_ADJ + STATES[3:],
    "outdoor": PLACE_ADJ + STATES[:2],
}

# --------------------------------------------------------------------------- verbs
FORMS = ("inf", "p1s", "p3s", "p1p", "p3p", "s1s", "s3s", "s1p", "s3p", "part")  # s: preterite

TRANSITIVE = verbs("""
comprar compro compra compramos compran compré compró compramos compraron comprado | food fruit drink thing clothes text opens instrument vehicle | shop
vender vendo vende vendemos venden vendí vendió vendimos vendieron vendido | food fruit thing clothes vehicle | shop outdoor
comer como come comemos comen comí comió comimos comieron comido | food fruit | cocina comedor terraza jardín restaurante bar playa
beber bebo bebe bebemos beben bebí bebió bebimos bebieron bebido | drink | cocina comedor terraza bar restaurante
cocinar cocino cocina cocinamos cocinan cociné cocinó cocinamos cocinaron cocinado | food | cocina restaurante
preparar preparo prepara preparamos preparan preparé preparó preparamos prepararon preparado | food drink | cocina bar restaurante
buscar busco busca buscamos buscan busqué buscó buscamos buscaron buscado | thing clothes text opens animal person | home public outdoor
encontrar encuentro encuentra encontramos encuentran encontré encontró encontramos encontraron encontrado | thing clothes text animal | home public outdoor
perder pierdo pierde perdemos pierden perdí perdió perdimos perdieron perdido | thing clothes text | public outdoor
llevar llevo lleva llevamos llevan llevé llevó llevamos llevaron llevado | food fruit drink thing clothes text instrument | home public outdoor
traer traigo trae traemos traen traje trajo trajimos trajeron traído | food fruit drink thing clothes text | home public
abrir abro abre abrimos abren abrí abrió abrimos abrieron abierto | opens text | home public
cerrar cierro cierra cerramos cierran cerré cerró cerramos cerraron cerrado | opens text | home public
lavar lavo lava lavamos lavan lavé lavó lavamos lavaron lavado | clothes thing fruit vehicle | cocina baño garaje
leer leo lee leemos leen leí leyó leímos leyeron leído | text | home public outdoor
escribir escribo escribe escribimos escriben escribí escribió escribimos escribieron escrito | text | home public
ver veo ve vemos ven vi vio vimos vieron visto | animal person vehicle | outdoor public
mirar miro mira miramos miran miré miró miramos miraron mirado | animal vehicle thing text | outdoor public home
escuchar escucho escucha escuchamos escuchan escuché escuchó escuchamos escucharon escuchado | person | public home
visitar visito visita visitamos visitan visité visitó visitamos visitaron visitado | person public outdoor |
ayudar ayudo ayuda ayudamos ayudan ayudé ayudó ayudamos ayudaron ayudado | person | home public
conocer conozco conoce conocemos conocen conocí conoció conocimos conocieron conocido | person |
necesitar necesito necesita necesitamos necesitan necesité necesitó necesitamos necesitaron necesitado | food fruit drink thing clothes text opens vehicle |
tomar tomo toma tomamos toman tomé tomó tomamos tomaron tomado | drink vehicle |
limpiar limpio limpia limpiamos limpian limpié limpió limpiamos limpiaron limpiado | thing opens vehicle home |
arreglar arreglo arregla arreglamos arreglan arreglé arregló arreglamos arreglaron arreglado | thing opens vehicle instrument | home
pintar pinto pinta pintamos pintan pinté pintó pintamos pintaron pintado | thing opens home |
dibujar dibujo dibuja dibujamos dibujan dibujé dibujó dibujamos dibujaron dibujado | animal person vehicle | home outdoor public
tocar toco toca tocamos tocan toqué tocó tocamos tocaron tocado | instrument | home public outdoor
pedir pido pide pedimos piden pedí pidió pedimos pidieron pedido | food drink | restaurante bar
guardar guardo guarda guardamos guardan guardé guardó guardamos guardaron guardado | thing text clothes food | home
esperar espero espera esperamos esperan esperé esperó esperamos esperaron esperado | person vehicle | public outdoor
querer quiero quiere queremos quieren quise quiso quisimos quisieron querido | person animal |
recoger recojo recoge recogemos recogen recogí recogió recogimos recogieron recogido | fruit thing clothes | outdoor home
probar pruebo prueba probamos prueban probé probó probamos probaron probado | food fruit drink | cocina comedor restaurante bar mercado
elegir elijo elige elegimos eligen elegí eligió elegimos eligieron elegido | food fruit thing clothes text | shop
alquilar alquilo alquila alquilamos alquilan alquilé alquiló alquilamos alquilaron alquilado | vehicle home |
conducir conduzco conduce conducimos conducen conduje condujo condujimos condujeron conducido | coche camión autobús taxi furgoneta tranvía | outdoor
fotografiar fotografío fotografía fotografiamos fotografían fotografié fotografió fotografiamos fotografiaron fotografiado | animal person outdoor public |
""", FORMS)

MOTION = verbs("""
ir voy va vamos van fui fue fuimos fueron ido | a | shop public outdoor city
volver vuelvo vuelve volvemos vuelven volví volvió volvimos volvieron vuelto | de | shop public outdoor city
vivir vivo vive vivimos viven viví vivió vivimos vivieron vivido | en | city
trabajar trabajo trabaja trabajamos trabajan trabajé trabajó trabajamos trabajaron trabajado | en | shop public
caminar camino camina caminamos caminan caminé caminó caminamos caminaron caminado | por | outdoor city
correr corro corre corremos corren corrí corrió corrimos corrieron corrido | por | parque playa bosque montaña calle campo
pasear paseo pasea paseamos pasean paseé paseó paseamos pasearon paseado | por | outdoor city
llegar llego llega llegamos llegan llegué llegó llegamos llegaron llegado | a | city public
salir salgo sale salimos salen salí salió salimos salieron salido | de | public shop home
nadar nado nada nadamos nadan nadé nadó nadamos nadaron nadado | en | playa piscina río lago mar
estudiar estudio estudia estudiamos estudian estudié estudió estudiamos estudiaron estudiado | en | biblioteca universidad escuela colegio
almorzar almuerzo almuerza almorzamos almuerzan almorcé almorzó almorzamos almorzaron almorzado | en | restaurante bar comedor terraza jardín playa
cenar ceno cena cenamos cenan cené cenó cenamos cenaron cenado | en | restaurante bar comedor terraza jardín
desayunar desayuno desayuna desayunamos desayunan desayuné desayunó desayunamos desayunaron desayunado | en | bar cocina terraza hotel
bailar bailo baila bailamos bailan bailé bailó bailamos bailaron bailado | en | plaza teatro
dormir duermo duerme dormimos duermen dormí durmió dormimos durmieron dormido | en | hotel habitación
jugar juego juega jugamos juegan jugué jugó jugamos jugaron jugado | en | parque plaza jardín playa
""", FORMS)

FUTURE_STEMS = {"salir": "saldr", "querer": "querr"}  # the future is otherwise infinitive + é/á/emos/án
FUTURE_ENDINGS = {"p1s": "é", "p3s": "á", "p1p": "emos", "p3p": "án"}
HABER = {"p1s": "he", "p3s": "ha", "p1p": "hemos", "p3p": "han"}
IR = {"p1s": "voy", "p3s": "va", "p1p": "vamos", "p3p": "van"}
SER = {"p1s": "soy", "p3s": "es", "p1p": "somos", "p3p": "son"}
SER_PAST = {"p1s": "era", "p3s": "era", "p1p": "éramos", "p3p": "eran"}
ESTAR = {"p1s": "estoy", "p3s": "está", "p1p": "estamos", "p3p": "están"}
ESTAR_PAST = {"p1s": "estaba", "p3s": "estaba", "p1p": "estábamos", "p3p": "estaban"}
TENER = {"p1s": "tengo", "p3s": "tiene", "p1p": "tenemos", "p3p": "tienen"}
QUERER = {"p1s": "quiero", "p3s": "quiere", "p1p": "queremos", "p3p": "quieren"}
PODER = {"p1s": "puedo", "p3s": "puede", "p1p": "podemos", "p3p": "pueden"}
NECESITAR = {"p1s": "necesito", "p3s": "necesita", "p1p": "necesitamos", "p3p": "necesitan"}
PRETERITE = {"p1s": "s1s", "p3s": "s3s", "p1p": "s1p", "p3p": "s3p"}

TIMES = {
    "present": words("""
todos_los_días
cada mañana
a menudo
siempre
los lunes
los fines de semana
normalmente
a veces
hoy
cada sábado
por la mañana
por la tarde
"""),
    "past": words("""
ayer
anoche
la semana pasada
el año pasado
hace dos días
el sábado pasado
el mes pasado
anteayer
el verano pasado
hace una semana
"""),
    "perfect": words("""
esta mañana
hoy
esta semana
hace un rato
este año
esta tarde
"""),
    "future": words("""
mañana
pasado mañana
la semana que viene
el próximo verano
dentro de una hora
el lunes que viene
este fin de semana
mañana por la mañana
"""),
}

MONTHS = words("""
enero
febrero
marzo
abril
mayo
junio
julio
agosto
septiembre
octubre
noviembre
diciembre
""")
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
WEEKDAYS = words("""
lunes
martes
miércoles
jueves
viernes
sábado
domingo
""")

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


def ask(text: str) -> str:
    return finish("¿" + text, "?")


def exclaim(text: str) -> str:
    return finish("¡" + text, "!")


# ------------------------------------------------------------------ noun phrases
@dataclass(frozen=True)
class Phrase:
    text: str
    gender: str = "m"
    plural: bool = False
    person: str = "p3s"


_DEMONSTRATIVES = (("este", "esta", "estos", "estas"), ("ese", "esa", "esos", "esas"),
                   ("aquel", "aquella", "aquellos", "aquellas"))
_POSSESSIVES = (("mi", "mi", "mis", "mis"), ("tu", "tu", "tus", "tus"), ("su", "su", "sus", "sus"),
                ("nuestro", "nuestra", "nuestros", "nuestras"))
_QUANTIFIERS = (("muchos", "muchas"), ("algunos", "algunas"), ("pocos", "pocas"))


def _form(table: tuple[str, str, str, str], gender: str, plural: bool) -> str:
    return table[(2 if plural else 0) + (1 if gender == "f" else 0)]


def noun_phrase(rng: random.Random, noun: Noun, det: str | None = None, plural: bool | None = None,
                adjective: float = 0.3) -> Phrase:
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
        word = f"{word} {'muy ' if chance(rng, 0.2) else ''}{pick(rng, adjs).agree(noun.gender, plural)}"
    g = noun.gender
    if det == "def":
        head = definite(Noun(word, word, g, noun.kind, noun.article), plural)
    elif det == "indef":
        indef = ("un", "una", "unos", "unas") if not noun.article else ("un", "un", "unos", "unas")
        head = f"{_form(indef, g, plural)} {word}"
    elif det == "dem":
        head = f"{_form(pick(rng, _DEMONSTRATIVES), g, plural)} {word}"
    elif det == "poss":
        head = f"{_form(pick(rng, _POSSESSIVES), g, plural)} {word}"
    elif det == "count":
        head = f"{number(rng.randint(2, 30) if chance(rng, 0.8) else rng.randint(31, 999), g)} {word}"
    elif det == "quant":
        head = f"{pick(rng, _QUANTIFIERS)[1 if g == 'f' else 0]} {word}"
    else:
        head = word
    return Phrase(head, g, plural)


def person_phrase(rng: random.Random, plural: bool | None = None) -> Phrase:
    if plural is None:
        plural = chance(rng, 0.3)
    if not plural and chance(rng, 0.45):
        female = chance(rng, 0.5)
        return Phrase(pick(rng, FEMALE_NAMES if female else MALE_NAMES), "f" if female else "m")
    noun = pick(rng, PEOPLE)
    det = pick(rng, ["def", "poss", "poss", "dem"])
    phrase = noun_phrase(rng, noun, det=det, plural=plural, adjective=0.15)
    text = phrase.text
    if det == "def" and chance(rng, 0.4):
        text += " de " + pick(rng, FEMALE_NAMES + MALE_NAMES)
    return Phrase(text, phrase.gender, plural, "p3p" if plural else "p3s")


def subject(rng: random.Random) -> tuple[str, str, str]:
    r = rng.random()
    if r < 0.2:
        return ("yo" if chance(rng, 0.15) else "", "p1s", pick(rng, "mf"))
    if r < 0.35:
        gender = pick(rng, "mf")
        pronoun = "nosotras" if gender == "f" else "nosotros"
        return (pronoun if chance(rng, 0.15) else "", "p1p", gender)
    if r < 0.42:
        a, b = pick(rng, MALE_NAMES), pick(rng, FEMALE_NAMES)
        return (and_(a, b) if chance(rng, 0.5) else and_(b, a), "p3p", "m")
    p = person_phrase(rng)
    return p.text, p.person, p.gender


def place_phrase(rng: random.Random, spec: tuple[str, ...], p: str = "en") -> str:
    if "city" in spec and chance(rng, 0.35):
        return prep(p, pick(rng, CITIES))
    candidates = [n for n in PLACES if n.kind in spec or n.sg in spec]
    if not candidates:
        return prep(p, pick(rng, CITIES)) if "city" in spec else ""
    noun = pick(rng, candidates)
    if noun.kind == "home" and chance(rng, 0.15):
        return {"a": "a casa", "de": "de casa", "en": "en casa"}.get(p, f"{p} casa")
    det = pick(rng, ["def", "def", "def", "poss", "dem"])
    return prep(p, noun_phrase(rng, noun, det=det, plural=False, adjective=0.15).text)


# ------------------------------------------------------------------------ clauses
def _conjugate(verb, tense: str, person: str) -> str:
    if tense == "present":
        return verb[person]
    if tense == "past":
        return verb[PRETERITE[person]]
    if tense == "perfect":
        return f"{HABER[person]} {verb['part']}"
    if tense == "going":
        return f"{IR[person]} a {verb['inf']}"
    inf = verb["inf"]
    return FUTURE_STEMS.get(inf, inf) + FUTURE_ENDINGS[person]


def _object(rng: random.Random, verb) -> str:
    kind = pick(rng, verb.objects)
    if kind == "person":
        return prep("a", person_phrase(rng).text)  # the personal "a"
    noun = pick(rng, [n for n in ALL_NOUNS if kind in (n.kind, n.sg)])
    text = noun_phrase(rng, noun).text
    return prep("a", text) if kind == "animal" and chance(rng, 0.3) else text


def verb_phrase(rng: random.Random, tense: str, person: str, negate: bool = False) -> str:
    if chance(rng, 0.7):
        verb = pick(rng, TRANSITIVE)
        parts = [_conjugate(verb, tense, person), _object(rng, verb)]
        if verb.places and chance(rng, 0.4):
            parts.append(place_phrase(rng, verb.places))
    else:
        verb = pick(rng, MOTION)
        parts = [_conjugate(verb, tense, person), place_phrase(rng, verb.places, verb.objects[0])]
    if negate:
        parts.insert(0, "no")
    return " ".join(p for p in parts if p)


def infinitive_phrase(rng: random.Random) -> str:
    if chance(rng, 0.65):
        verb = pick(rng, TRANSITIVE)
        text = f"{verb['inf']} {_object(rng, verb)}"
        if verb.places and chance(rng, 0.3):
            text += " " + place_phrase(rng, verb.places)
        return text
    verb = pick(rng, MOTION)
    return f"{verb['inf']} {place_phrase(rng, verb.places, verb.objects[0])}"


def clause(rng: random.Random) -> str:
    tense = weighted(rng, [(4, "present"), (3, "past"), (2, "perfect"), (1.5, "future"), (1, "going")])
    subj, person, _ = subject(rng)
    time = pick(rng, TIMES["future" if tense == "going" else tense]) if chance(rng, 0.5) else ""
    vp = verb_phrase(rng, tense, person, negate=chance(rng, 0.12))
    if time and chance(rng, 0.5):
        return f"{time} {subj} {vp}"
    return f"{subj} {vp} {time}"


# ---------------------------------------------------------------------- templates
def statement(rng: random.Random) -> str:
    return finish(clause(rng))


def compound(rng: random.Random) -> str:
    first, second = clause(rng).strip(), clause(rng).strip()
    joiner = pick(rng, [", pero", " y después", " porque", ", así que", " y"])
    if joiner == " y":
        return finish(and_(first, second))
    return finish(f"{first}{joiner} {second}")


def description(rng: random.Random) -> str:
    intensity = pick(rng, ["", "muy", "muy", "bastante", "demasiado"])
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
    text = np.text
    if det == "def" and chance(rng, 0.4):
        text += " de " + pick(rng, FEMALE_NAMES + MALE_NAMES)
    adj = pick(rng, ADJ_FOR[noun.kind])
    person = "p3p" if np.plural else "p3s"
    if adj.kind != "state" and chance(rng, 0.15):
        return exclaim(f"qué {adj.agree(noun.gender, np.plural)} {SER[person]} {text}")
    if adj.kind == "state":
        verb = (ESTAR_PAST if chance(rng, 0.25) else ESTAR)[person]
    else:
        verb = (SER_PAST if chance(rng, 0.25) else SER)[person]
    return finish(f"{text} {verb} {intensity} {adj.agree(noun.gender, np.plural)}")


def existence(rng: random.Random) -> str:
    noun = pick(rng, THINGS + ANIMALS + PEOPLE + VEHICLES + FRUIT + OPENABLE)
    plural = chance(rng, 0.6) and bool(noun.pl)
    np = noun_phrase(rng, noun, det=pick(rng, ["count", "quant"]) if plural else "indef", plural=plural)
    place = place_phrase(rng, ("home", "public", "outdoor", "shop", "city"))
    verb = pick(rng, ["hay", "hay", "había", "habrá"])
    if chance(rng, 0.4):
        return finish(f"{place} {verb} {np.text}")
    return finish(f"{verb} {np.text} {place}")


_CHOOSING = ("comprar", "comer", "beber", "cocinar", "leer", "tocar", "pedir", "elegir", "alquilar",
             "probar", "visitar", "llevar")


def question(rng: random.Random) -> str:
    kind = rng.randrange(11)
    if kind == 0:
        noun = pick(rng, PLACES + THINGS + OPENABLE)
        if noun.kind in ("thing", "opens"):
            np = noun_phrase(rng, noun, det=pick(rng, ["def", "poss"]), adjective=0.2)
            return ask(f"dónde {'están' if np.plural else 'está'} {np.text}")
        text = definite(noun)
        if chance(rng, 0.4):
            text += " más " + ("cercana" if noun.gender == "f" else "cercano")
        return ask(f"dónde está {text}")
    if kind == 1:
        vehicle = pick(rng, [v for v in VEHICLES if v.sg in ("tren", "autobús", "avión", "barco", "tranvía")])
        where = f"{pick(rng, ['de', 'para'])} {pick(rng, CITIES)}" if chance(rng, 0.5) else ""
        return ask(f"a qué hora {pick(rng, ['sale', 'llega'])} {definite(vehicle)} {where}")
    if kind == 2:
        noun = pick(rng, THINGS + CLOTHES + TEXTS + INSTRUMENTS + VEHICLES)
        np = noun_phrase(rng, noun, det="dem", adjective=0.2)
        return ask(f"cuánto {'cuestan' if np.plural else 'cuesta'} {np.text}")
    if kind == 3:
        noun = pick(rng, [n for n in THINGS + PEOPLE + ANIMALS + TEXTS if n.pl])
        how_many = "cuántas" if noun.gender == "f" else "cuántos"
        place = place_phrase(rng, ("home", "public", "outdoor", "shop", "city"))
        return ask(f"{how_many} {noun.pl} hay {place}")
    if kind == 4:
        verb = pick(rng, [v for v in TRANSITIVE if "person" not in v.objects or len(v.objects) > 1])
        return ask(f"{pick(rng, ['has', 'habéis', 'han'])} {verb['part']} {_object(rng, verb)}")
    if kind == 5:
        who = person_phrase(rng)
        verb = pick(rng, [("llora", "lloran"), ("ríe", "ríen"), ("grita", "gritan"), ("corre", "corren"),
                          ("canta", "cantan"), ("duerme", "duermen")])
        return ask(f"por qué {verb[1 if who.plural else 0]} {who.text}")
    if kind == 6:
        verb = pick(rng, [v for v in MOTION if v["inf"] in ("ir", "nadar", "cenar", "almorzar", "pasear")])
        spec = verb.places
        noun = pick(rng, [n for n in PLACES if n.sg in spec or n.kind in spec])
        place = prep(verb.objects[0], definite(noun))
        inf = "venir" if verb["inf"] == "ir" else verb["inf"]
        when = pick(rng, TIMES["future"]) if chance(rng, 0.5) else ""
        return ask(f"{pick(rng, ['quieres', 'queréis', 'quiere usted'])} {inf} {place} con nosotros {when}")
    if kind == 7:
        noun = pick(rng, THINGS + CLOTHES + TEXTS + OPENABLE + ANIMALS)
        np = noun_phrase(rng, noun, det="dem", adjective=0.2)
        return ask(f"de quién {'son' if np.plural else 'es'} {np.text}")
    if kind == 8:
        verb = pick(rng, [v for v in TRANSITIVE if v["inf"] in _CHOOSING])
        noun = pick(rng, [n for n in ALL_NOUNS if n.kind in verb.objects or n.sg in verb.objects])
        return ask(f"qué {noun.sg} {pick(rng, ['quieres', 'queréis', 'prefieres'])} {verb['inf']}")
    if kind == 9:
        who = person_phrase(rng, plural=False).text
        tail = pick(rng, [f"dónde vive {who}", f"dónde trabaja {who}", f"si {who} vendrá a cenar",
                          f"a qué hora llega {who}", f"cuántos años tiene {who}"])
        return ask(f"sabes {tail}")
    if chance(rng, 0.5):
        noun = pick(rng, PEOPLE)
        return ask(f"cómo se llama {pick(rng, ['tu', 'su'])} {noun.sg}")
    thing = noun_phrase(rng, pick(rng, THINGS + OPENABLE + CLOTHES), det="indef", plural=False).text
    return ask(f"{pick(rng, ['tienes', 'tenéis', 'tiene usted'])} {thing}")


def wants(rng: random.Random) -> str:
    subj, person, _ = subject(rng)
    modal = weighted(rng, [(3, "querer"), (2, "poder"), (2, "tener"), (1, "gustaría"), (1, "necesitar")])
    inf = infinitive_phrase(rng)
    neg = "no " if chance(rng, 0.15) else ""
    if modal == "gustaría":
        clitic = {"p1s": "me", "p1p": "nos", "p3s": "le", "p3p": "les"}[person]
        head = f"{neg}{clitic} gustaría {inf}"
        if person in ("p3s", "p3p") and subj:
            return finish(f"{prep('a', subj)} {head}")
        return finish(head)
    verb = {"querer": QUERER, "poder": PODER, "necesitar": NECESITAR}.get(modal)
    head = f"{neg}{verb[person]} {inf}" if verb else f"{neg}{TENER[person]} que {inf}"
    return finish(f"{subj} {head}")


def likes(rng: random.Random) -> str:
    noun = pick(rng, FOOD + FRUIT + DRINKS + ANIMALS + TEXTS + INSTRUMENTS + PLACES + CLOTHES)
    if chance(rng, 0.3):
        thing, plural = infinitive_phrase(rng), False
    else:
        plural = bool(noun.pl) and chance(rng, 0.5)
        thing = noun_phrase(rng, noun, det="def", plural=plural, adjective=0.2).text
    verb = pick(rng, [("gusta", "gustan"), ("gusta", "gustan"), ("encanta", "encantan")])[plural]
    neg = "no " if chance(rng, 0.2) else ""
    who = rng.randrange(4)
    if who == 0:
        head = f"{neg}me {verb}"
    elif who == 1:
        head = f"{neg}nos {verb}"
    else:
        p = person_phrase(rng)
        head = f"{prep('a', p.text)} {neg}{'les' if p.plural else 'le'} {verb}"
    tail = " nada" if neg and chance(rng, 0.3) else (" mucho" if not neg and chance(rng, 0.3) else "")
    return finish(f"{head}{tail} {thing}")


def numbers(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        subj, person, _ = subject(rng)
        return finish(f"{subj} {TENER[person]} {number(rng.randint(2, 99))} años")
    if kind == 1:
        subj, person, _ = subject(rng)
        noun = pick(rng, [n for n in THINGS + ANIMALS + CLOTHES + TEXTS + VEHICLES + INSTRUMENTS if n.pl])
        n = rng.randint(2, 40) if chance(rng, 0.7) else rng.randint(41, 999)
        verb = pick(rng, [TENER[person], _conjugate(TRANSITIVE[0], "past", person)])
        return finish(f"{subj} {verb} {number(n, noun.gender)} {noun.pl}")
    if kind == 2:
        year = number(rng.randint(1200, 2030), counting=True)
        who = person_phrase(rng, plural=False).text
        what = pick(rng, [f"{who} nació", f"{definite(pick(rng, PUBLIC + OUTDOOR[-2:-1]))} se construyó",
                          f"{who} llegó {prep('a', pick(rng, CITIES))}"])
        return finish(f"{what} en {year}")
    if kind == 3:
        vehicle = definite(pick(rng, VEHICLES[:6]))
        return finish(f"{vehicle} {pick(rng, ['lleva', 'llevaba'])} {number(rng.randint(2, 59))} minutos de retraso")
    if kind == 4:
        n = rng.randint(20, 999) if chance(rng, 0.7) else rng.randint(1000, 9999)
        where = place_phrase(rng, ("public", "outdoor", "city"))
        return finish(f"{where} había {number(n, 'f')} personas")
    if kind == 5:
        a, b = rng.sample(CITIES[:26], 2)
        return finish(f"{a} está a {number(rng.randint(3, 900))} kilómetros de {b}")
    degrees = rng.randint(-5, 42)
    sign = "menos " if degrees < 0 else ""
    unit = "grado" if abs(degrees) == 1 else "grados"
    return finish(f"{pick(rng, ['hoy', 'ahora', 'esta mañana'])} hace {sign}{number(abs(degrees))} {unit} "
                  f"en {pick(rng, CITIES)}")


def date(rng: random.Random, year: bool = False) -> str:
    month = rng.randrange(12)
    day = rng.randint(1, MONTH_DAYS[month])
    text = f"el {'primero' if day == 1 else number(day, counting=True)} de {MONTHS[month]}"
    if year:
        text += f" de {number(rng.randint(1950, 2030), counting=True)}"
    return text


def dates(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        event = pick(rng, EVENTS)
        return finish(f"{definite(event)} {pick(rng, ['es', 'será', 'fue'])} {date(rng, chance(rng, 0.3))}")
    if kind == 1:
        return finish(f"hoy es {pick(rng, WEEKDAYS)}, {date(rng)[3:]}")
    if kind == 2:
        return finish(f"{person_phrase(rng, plural=False).text} nació {date(rng, True)}")
    return finish(f"mi cumpleaños es {date(rng)}")


def clock(rng: random.Random, with_a: bool = True) -> str:
    """``a la una``, ``a las siete y media``, ``a las nueve menos cuarto de la noche``."""
    hour24 = rng.randint(6, 23)
    minute = pick(rng, [0, 0, 15, 30, 45, 10, 20, 50])
    if minute > 30:
        hour24 += 1
    period = ("de la mañana" if hour24 < 12 else "del mediodía" if hour24 < 14 else "de la tarde"
              if hour24 < 21 else "de la noche")
    hour = hour24 % 12 or 12
    text = "la una" if hour == 1 else f"las {number(hour, 'f')}"
    if minute == 15:
        text += " y cuarto"
    elif minute == 30:
        text += " y media"
    elif minute == 45:
        text += " menos cuarto"
    elif minute == 50:
        text += " menos diez"
    elif minute:
        text += f" y {number(minute)}"
    elif chance(rng, 0.3):
        text += " en punto"
    if with_a:
        text = f"a {text}"
    return f"{text} {period}" if chance(rng, 0.5) else text


def times(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        vehicle = definite(pick(rng, VEHICLES[2:6] + VEHICLES[10:11]))
        return finish(f"{vehicle} {pick(rng, ['sale', 'llega', 'saldrá', 'llegó'])} {clock(rng)}")
    if kind == 1:
        shop = definite(pick(rng, SHOPS + PUBLIC))
        return finish(f"{shop} abre {clock(rng)} y cierra {clock(rng)}")
    if kind == 2:
        return finish(f"nos vemos {clock(rng)} {prep('en', definite(pick(rng, PUBLIC + OUTDOOR)))}")
    if kind == 3:
        event = definite(pick(rng, EVENTS))
        return finish(f"{event} {pick(rng, ['empieza', 'empezará', 'termina'])} {clock(rng)}")
    text = clock(rng, with_a=False)
    return finish(f"{'es' if text.startswith('la una') else 'son'} {text}")


def price(rng: random.Random) -> str:
    currency, cents = pick(rng, [("euro", "céntimos"), ("euro", "céntimos"), ("peso", "centavos"),
                                 ("dólar", "centavos")])
    amount = rng.randint(1, 30) if chance(rng, 0.7) else rng.randint(31, 2500)
    plural = {"euro": "euros", "peso": "pesos", "dólar": "dólares"}[currency]
    text = f"un {currency}" if amount == 1 else f"{number(amount)} {plural}"
    if chance(rng, 0.4):
        text += f" con {number(pick(rng, [5, 10, 20, 25, 30, 40, 50, 60, 75, 80, 90, 95, 99]))} {cents}"
    return text


def prices(rng: random.Random) -> str:
    noun = pick(rng, THINGS + CLOTHES + TEXTS + INSTRUMENTS + FOOD + OPENABLE)
    kind = rng.randrange(3)
    if kind == 0:
        np = noun_phrase(rng, noun, det=pick(rng, ["dem", "def"]), adjective=0.3)
        verb = pick(rng, [("cuesta", "cuestan"), ("vale", "valen"), ("costaba", "costaban")])[np.plural]
        return finish(f"{np.text} {verb} {price(rng)}")
    if kind == 1:
        np = noun_phrase(rng, noun, det="indef", plural=False)
        return finish(f"{pick(rng, ['he pagado', 'pagué', 'hemos pagado'])} {price(rng)} por {np.text}")
    return finish(f"{pick(rng, ['son', 'en total son', 'serán'])} {price(rng)}, por favor")


def weather(rng: random.Random) -> str:
    if chance(rng, 0.15):
        return exclaim(pick(rng, ["qué calor hace", "qué frío hace", "qué día tan bonito",
                                  "qué tiempo tan raro"]))
    tense = pick(rng, ["present", "past", "future"])
    phrase = pick(rng, {
        "present": ["hace sol", "hace calor", "hace frío", "hace viento", "hace buen tiempo",
                    "hace mal tiempo", "llueve", "nieva", "está nublado", "hace mucho calor"],
        "past": ["hizo sol", "hizo calor", "hizo frío", "hizo viento", "llovió", "nevó",
                 "hizo muy buen tiempo", "cayó granizo"],
        "future": ["hará sol", "hará calor", "hará frío", "hará viento", "lloverá", "nevará", "helará",
                   "hará buen tiempo"],
    }[tense])
    time = pick(rng, {"present": ["hoy", "ahora", "esta mañana"], "past": ["ayer", "la semana pasada",
                                                                         "anteayer"],
                      "future": ["mañana", "este fin de semana", "pasado mañana"]}[tense])
    where = pick(rng, [f"en {pick(rng, CITIES)}", "en la montaña", "en la costa", "en el norte", ""])
    return finish(f"{time} {phrase} {where}")


def request(rng: random.Random) -> str:
    inf = infinitive_phrase(rng)
    kind = rng.randrange(4)
    if kind == 0:
        return ask(f"{pick(rng, ['puedes', 'podéis', 'me puedes', 'nos puede'])} {inf}, por favor")
    if kind == 1:
        return finish(f"acuérdate de {inf}")
    if kind == 2:
        return finish(f"no te olvides de {inf}")
    return ask(f"te importaría {inf}")


def quoted(rng: random.Random) -> str:
    """Reported speech in Spanish quotes: «¿Dónde está la estación?», preguntó Pedro."""
    who = person_phrase(rng, plural=False).text
    if chance(rng, 0.5):
        return finish(f"«{question(rng)}», {pick(rng, ['preguntó', 'pregunta'])} {who}")
    return finish(f"«{statement(rng)[:-1]}», {pick(rng, ['dijo', 'dice', 'explicó'])} {who}")


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
    """One Spanish sentence, capitalized and punctuated like a Common Voice prompt."""
    return weighted(rng, TEMPLATES)(rng)
