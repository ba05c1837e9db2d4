#!/usr/bin/env python3
"""Scores the live pipeline's outcomes for the benchmark's pages (live.sh).

Reads DATA/pages.jsonl and, from OUTCOMES, enriched.jsonl, duplicates.jsonl
and dlq.jsonl as `newsflow tail` prints them. Prints: how many pages ended
as a record, a duplicate notice, a dead letter (by code) or nothing; every
duplicate notice with the token F1 between the two pages' ground-truth texts
(a notice between different texts is a false duplicate); and, per split, the
main-text P/R/F1 and title exact-match rate of the records, by the
definitions of scoring.py. Standard library only.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from scoring import Score, score, split_of, title_key

# Two pages whose ground-truth texts overlap less than this are different articles.
SAME_TEXT_F1 = 0.5


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--outcomes", type=Path, required=True)
    args = parser.parse_args()

    pages = {p["id"]: p for p in read_jsonl(args.data / "pages.jsonl")}
    records = {r["id"]: r for r in read_jsonl(args.outcomes / "enriched.jsonl")}
    notices = read_jsonl(args.outcomes / "duplicates.jsonl")
    letters = read_jsonl(args.outcomes / "dlq.jsonl")

    codes: Counter = Counter()
    lettered = set()
    for letter in letters:
        # The original payload, as a string; a staged article nests the id.
        try:
            payload = json.loads(letter["payload"])
        except (json.JSONDecodeError, TypeError):
            payload = {}
        page_id = payload.get("id") or payload.get("article", {}).get("id")
        lettered.add(page_id)
        codes[f"{letter.get('stage')}:{letter.get('error_code')}"] += 1
    noticed = {n["id"] for n in notices}
    missing = [i for i in pages if i not in records and i not in noticed and i not in lettered]

    print(f"pages: {len(pages)}")
    print(f"  records:           {len(records)}")
    print(f"  duplicate notices: {len(notices)}")
    print(f"  dead letters:      {len(letters)}  {dict(codes)}")
    print(f"  no outcome:        {len(missing)}  {missing[:10]}")

    false_duplicates = 0
    for notice in notices:
        a, b = pages.get(notice["id"]), pages.get(notice["duplicate_of"])
        same = score(a["truth_text"], b["truth_text"]).f1 if a and b else 0.0
        if same < SAME_TEXT_F1:
            false_duplicates += 1
        print(f"  notice {notice['id']} -> {notice['duplicate_of']} ({notice['method']}, "
              f"similarity {notice['similarity']}): truth-text F1 between them {same:.2f}")
    print(f"  false duplicates (truth texts differ, F1 < {SAME_TEXT_F1}): {false_duplicates}")

    for split in ("dev", "test"):
        ids = [i for i in pages if split_of(i) == split]
        total = Score(0, 0, 0)
        f1s = []
        titled = [i for i in ids if pages[i].get("truth_title")]
        title_hits = 0
        for page_id in ids:
            record = records.get(page_id)
            s = score(record["text"] if record else None, pages[page_id]["truth_text"])
            f1s.append(s.f1)
            total = Score(total.overlap + s.overlap, total.extracted + s.extracted, total.truth + s.truth)
        for page_id in titled:
            record = records.get(page_id)
            if record and title_key(record.get("title")) == title_key(pages[page_id]["truth_title"]):
                title_hits += 1
        mean = sum(f1s) / len(f1s) if f1s else 0.0
        print(f"{split} ({len(ids)} pages): records' main-text F1 mean {mean:.3f}, micro "
              f"{total.f1:.3f} (P {total.p:.3f}, R {total.r:.3f}); title exact "
              f"{title_hits}/{len(titled)}")


if __name__ == "__main__":
    main()
