#!/usr/bin/env python3
"""Prints article pairs side by side for reading, to label or check them.

Reads pairs (a TSV whose columns 3 and 4 are id_a and id_b, e.g. pairs.tsv or
the output of candidates.py) and the news files, and prints for each pair the
titles, the sizes, the share of each text's 4-shingles found in the other, and
the lead, a middle passage and the end of both texts (or the whole texts with
--full). Nothing is written anywhere.

    services/dedup/eval/show.py ../shared/data/news services/dedup/eval/pairs.tsv 0 20
"""

import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from candidates import shingles, words  # noqa: E402


def excerpt(text, full, size):
    text = " ¶ ".join(p.strip() for p in text.split("\n") if p.strip())
    if full or len(text) <= 3 * size + 40:
        return text
    mid = len(text) // 2
    return f"{text[:size]} … [mid] {text[mid - size // 2: mid + size // 2]} … [end] {text[-size:]}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir")
    parser.add_argument("pairs")
    parser.add_argument("start", type=int, nargs="?", default=0)
    parser.add_argument("end", type=int, nargs="?", default=None)
    parser.add_argument("--full", action="store_true", help="whole texts")
    parser.add_argument("--size", type=int, default=260, help="characters per excerpt")
    args = parser.parse_args()
    docs = {}
    for path in glob.glob(os.path.join(args.data_dir, "*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                docs[d["id"]] = d
    with open(args.pairs, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    rows = [r for r in rows if r[0] != "lang"]
    for n, row in enumerate(rows[args.start : args.end], start=args.start):
        a, b = docs[row[2]], docs[row[3]]
        sa, sb = shingles(words(a["text"])), shingles(words(b["text"]))
        inter = len(sa & sb)
        print(f"=== #{n} {row[0]} {' '.join(row[4:])}")
        print(f"  a→b {inter / max(len(sa), 1):.2f}  b→a {inter / max(len(sb), 1):.2f}")
        for tag, d in (("A", a), ("B", b)):
            extra = d.get("source") or d.get("event_cluster") or ""
            print(f"[{tag}] {d['id']} {extra} {len(d['text'])}ch | {d.get('title')}")
            print("   " + excerpt(d["text"], args.full, args.size))


if __name__ == "__main__":
    main()
