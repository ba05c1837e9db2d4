#!/usr/bin/env python3
"""Scores the pipeline's duplicate verdicts against the labelled pairs.

Reads the labelled pairs (pairs.tsv), the duplicate notices of
`news.duplicates` and, optionally, the records of `news.enriched` (both as
JSON lines, as `newsflow tail` prints them). Every notice links a copy to its
`duplicate_of`; the groups are the connected ids. A pair is predicted "same"
when both ids end in one group.

Prints, per language and split: recall of the `republication` pairs,
precision (a `different` pair predicted same is a false positive; `partial`
pairs are left out of precision and recall and reported as the share
predicted same), the counts, and the ids of the misses and false positives.
Pairs with an id the outputs never mention (neither a record nor a notice)
are counted as not same and listed, since the article was lost or dead-lettered.

    services/dedup/eval/score.py --pairs services/dedup/eval/pairs.tsv \
        --duplicates dups.jsonl --enriched enriched.jsonl
"""

import argparse
import collections
import itertools
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from candidates import shingles, words  # noqa: E402

# ECB+ pairs of one event cluster sharing less than this share of the shorter
# text's 4-shingles are counted as "same event, different text".
ECB_DIFFERENT_TEXT = 0.15


def read_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"{path} line {n}: not JSON ({e})")
    return rows


def read_pairs(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        want = ["lang", "file", "id_a", "id_b", "label", "reason", "split"]
        if header != want:
            sys.exit(f"{path}: header is {header}, expected {want}")
        pairs = []
        for n, line in enumerate(f, start=2):
            cols = line.rstrip("\n").split("\t")
            if len(cols) != len(want):
                sys.exit(f"{path} line {n}: {len(cols)} columns, expected {len(want)}")
            row = dict(zip(want, cols))
            if row["label"] not in ("republication", "partial", "different"):
                sys.exit(f"{path} line {n}: unknown label {row['label']!r}")
            pairs.append(row)
    return pairs


class Groups:
    """Union-find over article ids."""

    def __init__(self):
        self.parent = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        self.parent[self.find(a)] = self.find(b)


def ecb_report(path, groups):
    """Share of same-event, different-text ECB+ pairs that ended in one group."""
    clusters = collections.defaultdict(list)
    for doc in read_jsonl(path):
        clusters[doc["event_cluster"]].append((doc["id"], shingles(words(doc.get("text") or ""))))
    total, merged = 0, []
    for docs in clusters.values():
        for (ia, sa), (ib, sb) in itertools.combinations(docs, 2):
            if not sa or not sb or len(sa & sb) / min(len(sa), len(sb)) >= ECB_DIFFERENT_TEXT:
                continue
            total += 1
            if groups.find(ia) == groups.find(ib):
                merged.append((ia, ib))
    rate = f"{len(merged) / total:.4f}" if total else "-"
    print(f"\nECB+ same-event pairs with containment < {ECB_DIFFERENT_TEXT}: {total}, "
          f"merged {len(merged)} (rate {rate})")
    for ia, ib in merged:
        print(f"  {ia} {ib}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", required=True, help="labelled pairs (pairs.tsv)")
    parser.add_argument("--duplicates", required=True, help="news.duplicates as JSON lines")
    parser.add_argument("--enriched", help="news.enriched as JSON lines (to tell lost ids)")
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    parser.add_argument(
        "--ecbplus",
        help="ecbplus_en_events.jsonl: also report how many same-event pairs with "
        f"containment below {ECB_DIFFERENT_TEXT} (unlabelled, measured) were merged",
    )
    args = parser.parse_args()

    pairs = read_pairs(args.pairs)
    groups = Groups()
    seen = set()
    for notice in read_jsonl(args.duplicates):
        groups.union(notice["id"], notice["duplicate_of"])
        seen.add(notice["id"])
    if args.enriched:
        for record in read_jsonl(args.enriched):
            seen.add(record["id"])
            cluster = (record.get("dedup") or {}).get("cluster_id")
            if cluster:
                groups.union(record["id"], cluster)

    tally = collections.defaultdict(lambda: collections.defaultdict(list))
    lost = set()
    for p in pairs:
        if args.split != "all" and p["split"] != args.split:
            continue
        for i in (p["id_a"], p["id_b"]):
            if args.enriched and i not in seen:
                lost.add(i)
        same = groups.find(p["id_a"]) == groups.find(p["id_b"])
        for key in ((p["lang"], p["split"]), (p["lang"], "all"), ("all", p["split"]), ("all", "all")):
            tally[key][(p["label"], same)].append(p)

    print("lang split  repub  found  recall  diff  merged  precision  partial  merged  rate")
    for (lang, split) in sorted(tally):
        t = tally[(lang, split)]
        tp, fn = len(t[("republication", True)]), len(t[("republication", False)])
        fp, tn = len(t[("different", True)]), len(t[("different", False)])
        pm, pn = len(t[("partial", True)]), len(t[("partial", False)])
        recall = f"{tp / (tp + fn):.3f}" if tp + fn else "-"
        precision = f"{tp / (tp + fp):.3f}" if tp + fp else "-"
        rate = f"{pm / (pm + pn):.3f}" if pm + pn else "-"
        print(f"{lang:4} {split:5} {tp + fn:6} {tp:6} {recall:>7} {fp + tn:5} {fp:7} {precision:>10}"
              f" {pm + pn:8} {pm:7} {rate:>5}")
    for (lang, split) in sorted(tally):
        if lang == "all" or split == "all":
            continue
        t = tally[(lang, split)]
        for title, key in (("missed republications", ("republication", False)),
                           ("different pairs merged", ("different", True)),
                           ("partial pairs merged", ("partial", True))):
            if t[key]:
                print(f"\n{lang} {split}: {title} ({len(t[key])})")
                for p in t[key]:
                    print(f"  {p['id_a']} {p['id_b']}  {p['reason']}")
    if args.ecbplus:
        ecb_report(args.ecbplus, groups)
    if lost:
        print(f"\nids in no output (lost or dead-lettered, counted as not same): {len(lost)}")
        for i in sorted(lost):
            print(f"  {i}")


if __name__ == "__main__":
    main()
