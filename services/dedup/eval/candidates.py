#!/usr/bin/env python3
"""Draws candidate article pairs for the labelled dedup reference set.

For every article of each news file it computes word 4-shingles of the
normalised text, finds the pairs that share shingles through an inverted
index, measures containment (shared shingles over the smaller set) and
Jaccard exactly, and samples pairs from fixed similarity strata with a fixed
seed, so the same data always gives the same candidates. Pairs with little
shared text but several shared rare words, and (ECB+) pairs from one event
cluster or one topic, are sampled too: they are the hard "different" cases.

Prints TSV: lang, file, id_a, id_b, stratum, containment, jaccard. Only ids
and numbers: the texts stay in the data folder.

    services/dedup/eval/candidates.py ../shared/data/news > /tmp/candidates.tsv

Round 2 (`--round 2`, seed 12) draws more Arabic pairs, none with an article
already in pairs.tsv, weighted to the containment 0.30-0.90 and rare-words
strata, where copies and same-template articles are hardest to tell apart:

    services/dedup/eval/candidates.py ../shared/data/news --round 2 > /tmp/round2.tsv
"""

import argparse
import collections
import itertools
import json
import os
import random
import re
import sys

SEED = 11
ROUND2_SEED = 12

# (name, low, high): containment strata, high bound exclusive except the top one.
STRATA = [
    ("c0.90-1.00", 0.90, 1.01),
    ("c0.70-0.90", 0.70, 0.90),
    ("c0.50-0.70", 0.50, 0.70),
    ("c0.30-0.50", 0.30, 0.50),
    ("c0.15-0.30", 0.15, 0.30),
    ("c0.05-0.15", 0.05, 0.15),
]

# Pairs drawn per stratum, per (file, lang). Small languages get what exists.
PER_STRATUM = {
    ("saudinewsnet_ar.jsonl", "ar"): {
        "exact": 6, "c0.90-1.00": 36, "c0.70-0.90": 36, "c0.50-0.70": 36,
        "c0.30-0.50": 36, "c0.15-0.30": 30, "rare-words": 24,
    },
    ("masakhanews_en_fr.jsonl", "en"): {
        "exact": 4, "c0.90-1.00": 8, "c0.70-0.90": 8, "c0.50-0.70": 8,
        "c0.30-0.50": 8, "c0.15-0.30": 8, "c0.05-0.15": 4, "rare-words": 8,
    },
    ("masakhanews_en_fr.jsonl", "fr"): {
        "exact": 4, "c0.90-1.00": 8, "c0.70-0.90": 8, "c0.50-0.70": 8,
        "c0.30-0.50": 8, "c0.15-0.30": 14, "c0.05-0.15": 22, "rare-words": 22,
    },
    ("ecbplus_en_events.jsonl", "en"): {
        "exact": 2, "c0.90-1.00": 6, "c0.70-0.90": 6, "c0.50-0.70": 6,
        "c0.30-0.50": 6, "c0.15-0.30": 6, "same-event": 10, "same-topic": 5,
    },
}

# Round 2: Arabic only, more pairs where copies and templates are hard to tell apart.
ROUND2_PER_STRATUM = {
    ("saudinewsnet_ar.jsonl", "ar"): {
        "c0.90-1.00": 4, "c0.70-0.90": 16, "c0.50-0.70": 16,
        "c0.30-0.50": 16, "c0.15-0.30": 6, "rare-words": 12,
    },
}

DIACRITICS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
CHAR_MAP = str.maketrans(
    {
        "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
        "\u0649": "\u064a", "\u0629": "\u0647",
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
    }
)
WORD = re.compile(r"[^\W_]+")

# In large files a shingle in more articles than this is boilerplate and left
# out of the prefilter (it would pair everything with everything); small files
# are compared on all their shingles, so pairs sharing only boilerplate are
# measured and can be drawn.
MAX_POSTINGS = 60
SMALL_FILE = 1500
# Rare words for the low stratum: in 2 to this many articles of the file.
RARE_DF = 4


def words(text):
    """Lowercased, Arabic-normalised words without punctuation."""
    text = DIACRITICS.sub("", text.lower()).translate(CHAR_MAP)
    return WORD.findall(text)


def shingles(ws):
    if len(ws) < 4:
        return {" ".join(ws)} if ws else set()
    return {" ".join(ws[i : i + 4]) for i in range(len(ws) - 3)}


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pair_stats(sets):
    """Exact containment and Jaccard for every pair sharing a non-boilerplate shingle."""
    index = collections.defaultdict(list)
    for i, s in enumerate(sets):
        for sh in s:
            index[sh].append(i)
    cap = len(sets) if len(sets) <= SMALL_FILE else MAX_POSTINGS
    shared = collections.Counter()
    for posting in index.values():
        if 1 < len(posting) <= cap:
            for a, b in itertools.combinations(posting, 2):
                shared[(a, b)] += 1
    stats = {}
    for (a, b), n in shared.items():
        small = min(len(sets[a]), len(sets[b]))
        if n < 2 and small > 20:
            continue  # one shared phrase: counted as unrelated
        inter = len(sets[a] & sets[b])
        union = len(sets[a]) + len(sets[b]) - inter
        stats[(a, b)] = (inter / small, inter / union)
    return stats


def rare_word_pairs(doc_words, stats, minimum=4):
    """Pairs with low shared text that still share several rare words."""
    df = collections.defaultdict(list)
    for i, ws in enumerate(doc_words):
        for w in set(ws):
            df[w].append(i)
    count = collections.Counter()
    for w, posting in df.items():
        if 2 <= len(posting) <= RARE_DF and not w.isdigit() and len(w) > 3:
            for a, b in itertools.combinations(posting, 2):
                count[(a, b)] += 1
    return [p for p, n in count.items() if n >= minimum and stats.get(p, (0, 0))[0] < 0.05]


def sample(rng, pairs, n, used):
    """n pairs in a fixed random order, avoiding articles already drawn twice."""
    pairs = sorted(pairs)
    rng.shuffle(pairs)
    out = []
    for a, b in pairs:
        if len(out) == n:
            break
        if used[a] >= 2 or used[b] >= 2:
            continue
        used[a] += 1
        used[b] += 1
        out.append((a, b))
    return out


def labelled_ids(path):
    """Every article id already in a labelled pairs file."""
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return {i for r in rows if r[0] != "lang" for i in (r[2], r[3])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", help="folder with the news .jsonl files")
    parser.add_argument("--round", type=int, choices=(1, 2), default=1,
                        help="1: the first draw; 2: more Arabic pairs, none already labelled")
    parser.add_argument("--labelled", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "pairs.tsv"),
                        help="pairs file whose articles round 2 leaves out")
    args = parser.parse_args()
    out = sys.stdout
    seed, per_stratum, excluded = SEED, PER_STRATUM, set()
    if args.round == 2:
        seed, per_stratum, excluded = ROUND2_SEED, ROUND2_PER_STRATUM, labelled_ids(args.labelled)
    for (fname, lang), quota in per_stratum.items():
        rng = random.Random(f"{seed}:{fname}:{lang}")
        docs = [d for d in load(os.path.join(args.data_dir, fname)) if d.get("lang") == lang]
        doc_words = [words(d.get("text") or "") for d in docs]
        sets = [shingles(ws) for ws in doc_words]
        stats = pair_stats(sets)
        # An article already labelled counts as drawn twice, so no new pair takes it.
        used = collections.Counter({i: 2 for i, d in enumerate(docs) if d["id"] in excluded})
        drawn = []
        exact = [p for p, (c, j) in stats.items() if j == 1.0]
        drawn += [("exact", p) for p in sample(rng, exact, quota.get("exact", 0), used)]
        for name, low, high in STRATA:
            pool = [p for p, (c, j) in stats.items() if low <= c < high and j < 1.0]
            drawn += [(name, p) for p in sample(rng, pool, quota.get(name, 0), used)]
        if "rare-words" in quota:
            pool = rare_word_pairs(doc_words, stats)
            drawn += [("rare-words", p) for p in sample(rng, pool, quota["rare-words"], used)]
        if "same-event" in quota:
            by_cluster = collections.defaultdict(list)
            by_topic = collections.defaultdict(list)
            for i, d in enumerate(docs):
                by_cluster[d["event_cluster"]].append(i)
                by_topic[d["topic"]].append(i)
            taken = {p for _, p in drawn}
            same_event = [
                p for ids in by_cluster.values() for p in itertools.combinations(ids, 2)
                if stats.get(p, (0, 0))[0] < 0.15 and p not in taken
            ]
            drawn += [("same-event", p) for p in sample(rng, same_event, quota["same-event"], used)]
            same_topic = [
                p for ids in by_topic.values() for p in itertools.combinations(ids, 2)
                if docs[p[0]]["event_cluster"] != docs[p[1]]["event_cluster"]
                and stats.get(p, (0, 0))[0] < 0.15
            ]
            drawn += [("same-topic", p) for p in sample(rng, same_topic, quota["same-topic"], used)]
        counts = collections.Counter(name for name, _ in drawn)
        pools = {name: sum(1 for c, j in stats.values() if low <= c < high) for name, low, high in STRATA}
        print(f"{fname} {lang}: {len(docs)} articles, {len(stats)} pairs measured, "
              f"pool per stratum {pools}, drawn {dict(counts)}", file=sys.stderr)
        for name, (a, b) in drawn:
            ia, ib = sorted((docs[a]["id"], docs[b]["id"]))
            c, j = stats.get((a, b), stats.get((b, a), (0.0, 0.0)))
            out.write(f"{lang}\t{fname}\t{ia}\t{ib}\t{name}\t{c:.3f}\t{j:.3f}\n")


if __name__ == "__main__":
    main()
