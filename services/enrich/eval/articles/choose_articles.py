#!/usr/bin/env python3
"""Reproducible selection of real news articles for the enrich-stage evaluation.

Reads the third-party corpora in /work/shared/data/news (or the directory given
as the first argument) and prints, one per line, `file<TAB>id<TAB>lang<TAB>split`
for the selected articles, in selection order (the annotation order).
Round 1 is printed first, unchanged; rounds 2 to 6 follow, and their lines
carry a fifth column, the round number: `file<TAB>id<TAB>lang<TAB>split<TAB>2`
(just as only the annotation lines of later rounds carry a "round" field).

Rules (see README.md):
  * article length (title + text, whitespace tokens) between 150 and 1,200 words;
  * the text (title or body) holds at least one direct quotation: a span of
    3+ words inside paired quotation marks of any style: "...", “...”, ”...”,
    «...», „...“, ‘...’, or the PTB-style `` ... '' that ECB+ uses;
  * seed 10: random.Random(10).sample() over the eligible articles of each
    (file, lang) pool, pools taken in the fixed order below;
  * 15 en from masakhanews, 15 en from ecbplus, 25 fr (masakhanews), 25 ar;
  * split per language: the selected ids sorted by sha256(id); the first
    n // 2 are `dev`, the rest `test`.
Round 2 (more dev data): the same eligibility rules, every round-1 id excluded
from the pools, seed 11 (random.Random(11).sample() per pool), pools in the
order masakhanews en 6, ecbplus en 4, masakhanews fr 12, saudinewsnet ar 8;
every round-2 article is `dev`.
Round 3 (a fresh dev measure, then more dev data): the same eligibility rules,
every round-1 and round-2 id excluded from the pools, seed 12, pools in the
order masakhanews en 6, ecbplus en 4, masakhanews fr 10, saudinewsnet ar 10;
every round-3 article is `dev`.
Round 4 (more test data, kept back from tuning): the same eligibility rules,
every round-1, -2 and -3 id excluded from the pools, seed 13, pools in the
order masakhanews en 6, ecbplus en 4, masakhanews fr 10, saudinewsnet ar 10;
every round-4 article is `test`.
Round 5 (a fresh Arabic dev measure, scored before the Arabic speaker rules of
session 17, then more dev data): the same eligibility rules, every round-1 to
round-4 id excluded from the pool, seed 14, one pool only: saudinewsnet ar 18;
every round-5 article is `dev`.
Round 6 (a fresh Arabic and English dev measure, scored before the speaker and
country rules of session 18, then more dev data): the same eligibility rules,
every round-1 to round-5 id excluded from the pools, seed 15, pools in the
order saudinewsnet ar 10, masakhanews en 5, ecbplus en 3; every round-6
article is `dev`.
Stdlib only.
"""
import hashlib
import json
import os
import random
import re
import sys

SEED = 10
MIN_WORDS, MAX_WORDS = 150, 1200
POOLS = [  # (file, lang, how many)
    ("masakhanews_en_fr.jsonl", "en", 15),
    ("ecbplus_en_events.jsonl", "en", 15),
    ("masakhanews_en_fr.jsonl", "fr", 25),
    ("saudinewsnet_ar.jsonl", "ar", 25),
]
SEED_2 = 11
POOLS_2 = [  # round 2: (file, lang, how many); all dev
    ("masakhanews_en_fr.jsonl", "en", 6),
    ("ecbplus_en_events.jsonl", "en", 4),
    ("masakhanews_en_fr.jsonl", "fr", 12),
    ("saudinewsnet_ar.jsonl", "ar", 8),
]
SEED_3 = 12
POOLS_3 = [  # round 3: (file, lang, how many); all dev
    ("masakhanews_en_fr.jsonl", "en", 6),
    ("ecbplus_en_events.jsonl", "en", 4),
    ("masakhanews_en_fr.jsonl", "fr", 10),
    ("saudinewsnet_ar.jsonl", "ar", 10),
]
SEED_4 = 13
POOLS_4 = [  # round 4: (file, lang, how many); all test
    ("masakhanews_en_fr.jsonl", "en", 6),
    ("ecbplus_en_events.jsonl", "en", 4),
    ("masakhanews_en_fr.jsonl", "fr", 10),
    ("saudinewsnet_ar.jsonl", "ar", 10),
]
SEED_5 = 14
POOLS_5 = [  # round 5: (file, lang, how many); all dev, Arabic only
    ("saudinewsnet_ar.jsonl", "ar", 18),
]
SEED_6 = 15
POOLS_6 = [  # round 6: (file, lang, how many); all dev
    ("saudinewsnet_ar.jsonl", "ar", 10),
    ("masakhanews_en_fr.jsonl", "en", 5),
    ("ecbplus_en_events.jsonl", "en", 3),
]

# Paired quotation marks. Content may not cross a paragraph break.
QUOTE_RES = [
    re.compile(r'"([^"\n]+)"'),
    re.compile(r'[“”]([^“”"\n]+)[”“]'),
    re.compile(r'«([^«»\n]+)»'),
    re.compile(r'„([^„“”\n]+)[“”]'),
    # ‘...’ : opening mark not preceded by a letter (so apostrophes do not count)
    re.compile(r'(?<!\w)‘([^‘’\n]+)’(?!\w)'),
    re.compile(r"``([^`\n]+?)''"),
]


def has_direct_quote(text):
    for rx in QUOTE_RES:
        for m in rx.finditer(text):
            if len(m.group(1).split()) >= 3:
                return True
    return False


def word_count(art):
    return len(((art.get("title") or "") + " " + (art.get("text") or "")).split())


def eligible(art):
    n = word_count(art)
    if not (MIN_WORDS <= n <= MAX_WORDS):
        return False
    return has_direct_quote((art.get("title") or "") + "\n" + (art.get("text") or ""))


def id_hash(art_id):
    return hashlib.sha256(art_id.encode("utf-8")).hexdigest()


def eligible_ids(data_dir, fname, lang, exclude=frozenset()):
    pool = []
    with open(os.path.join(data_dir, fname), encoding="utf-8") as fh:
        for line in fh:
            art = json.loads(line)
            if art.get("lang") == lang and art["id"] not in exclude and eligible(art):
                pool.append(art["id"])
    return pool


def select(data_dir):
    picked = []  # (file, id, lang) in selection order
    for fname, lang, k in POOLS:
        pool = eligible_ids(data_dir, fname, lang)
        rng = random.Random(SEED)
        for art_id in rng.sample(pool, k):
            picked.append((fname, art_id, lang))
    split = {}
    for lang in sorted({p[2] for p in picked}):
        ids = sorted((p[1] for p in picked if p[2] == lang), key=id_hash)
        for i, art_id in enumerate(ids):
            split[art_id] = "dev" if i < len(ids) // 2 else "test"
    return [(f, i, l, split[i]) for f, i, l in picked]


def select_later_round(data_dir, pools, seed, exclude, split):
    """A later round: every article in one split, ids of earlier rounds excluded."""
    picked = []  # (file, id, lang, split) in selection order
    for fname, lang, k in pools:
        pool = eligible_ids(data_dir, fname, lang, exclude=exclude)
        rng = random.Random(seed)
        for art_id in rng.sample(pool, k):
            picked.append((fname, art_id, lang, split))
    return picked


def main():
    data_dir = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/news"
    round1 = select(data_dir)
    for fname, art_id, lang, sp in round1:
        print(f"{fname}\t{art_id}\t{lang}\t{sp}")
    earlier_ids = frozenset(r[1] for r in round1)
    later_rounds = [  # (round, pools, seed, split)
        (2, POOLS_2, SEED_2, "dev"),
        (3, POOLS_3, SEED_3, "dev"),
        (4, POOLS_4, SEED_4, "test"),
        (5, POOLS_5, SEED_5, "dev"),
        (6, POOLS_6, SEED_6, "dev"),
    ]
    for number, pools, seed, split in later_rounds:
        picked = select_later_round(data_dir, pools, seed, earlier_ids, split)
        for fname, art_id, lang, sp in picked:
            print(f"{fname}\t{art_id}\t{lang}\t{sp}\t{number}")
        earlier_ids |= frozenset(r[1] for r in picked)


if __name__ == "__main__":
    main()
