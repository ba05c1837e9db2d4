#!/usr/bin/env python3
"""Scores newsflow's HTML extraction and trafilatura's on the same pages.

Reads DATA/pages.jsonl (written by prepare.py), runs `newsflow extract` once
per split over that split's pages and trafilatura (default settings) on the
same pages, and prints per split: main-text precision, recall and F1 (mean
over pages and micro), title and date accuracy, and CPU per page. For the dev
split it also lists the pages where newsflow's F1 is far below trafilatura's.

Definitions (also in README.md):
- tokens: `re.findall(r"\\w+", text.lower())`, Unicode word characters; a
  page's text is the multiset (bag) of its tokens.
- per page: overlap = size of the multiset intersection of extracted and
  truth tokens; P = overlap / |extracted| (0 when nothing was extracted);
  R = overlap / |truth|; F1 = 2PR / (P + R) (0 when P + R = 0).
- mean: the average of the per-page figures; micro: the sums of overlaps,
  extracted and truth tokens over all pages of the split, then P, R, F1.
- title: exact match of the lowercased word tokens (punctuation and spacing
  ignored), over the pages that have a truth title.
- date: same calendar day (YYYY-MM-DD), over the pages that have a truth date.
- split: dev when int(sha256(id)) is even, test otherwise.

Plain Python 3.11 plus trafilatura.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura

from scoring import STATED_HEADLINE, Score, has_site_suffix, score, split_of, title_key

SPLITS = ("dev", "test")
# A dev page is listed when newsflow's F1 is at least this much below trafilatura's.
FAR_BELOW = 0.2


@dataclass
class Output:
    """What one system produced for one page."""
    text: str | None = None
    title: str | None = None
    date: str | None = None
    failed: bool = False


@dataclass
class Run:
    """One system on one split."""
    outputs: dict[str, Output] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    failures: int = 0
    note: str = ""


def run_newsflow(binary: Path, pages: list[dict]) -> Run:
    """`newsflow extract` once over the pages; CPU is the child's user + system time."""
    run = Run()
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as f:
        for page in pages:
            f.write(json.dumps({"id": page["id"], "url": page.get("url"), "html": page["html"]},
                               ensure_ascii=False) + "\n")
        input_path = Path(f.name)
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([str(binary), "extract", str(input_path)],
                              capture_output=True, text=True, encoding="utf-8")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        input_path.unlink()
    run.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    for line in done.stdout.splitlines():
        record = json.loads(line)
        run.outputs[record["id"]] = Output(record.get("text"), record.get("title"),
                                           record.get("published_at"))
    if done.returncode != 0:
        # `FILE:LINE: ...` lines name the pages that failed; the rest may be a backtrace.
        errors = [line for line in done.stderr.splitlines() if re.match(r"\S+:\d+: ", line)]
        run.note = (f"newsflow extract exited {done.returncode}, {len(errors)} error lines: "
                    + "; ".join(errors[:3]) if errors else done.stderr.strip()[-500:])
        if not run.outputs:
            sys.exit(f"{binary} extract produced nothing: {run.note}")
    for page in pages:
        if page["id"] not in run.outputs:
            run.outputs[page["id"]] = Output(failed=True)
            run.failures += 1
    return run


def run_trafilatura(pages: list[dict]) -> tuple[Run, float]:
    """trafilatura with default settings; CPU of this process around the loop.

    Returns the run (text plus metadata, the CPU both cost) and the CPU
    seconds of the text extraction alone. One untimed call warms it up.
    """
    run = Run()
    text_cpu = 0.0
    # One untimed call first: trafilatura loads some of its data lazily, on first use.
    if pages:
        trafilatura.extract(pages[0]["html"], url=pages[0].get("url"))
        trafilatura.extract_metadata(pages[0]["html"], default_url=pages[0].get("url"))
    started = time.process_time()
    for page in pages:
        html, url = page["html"], page.get("url")
        t0 = time.process_time()
        try:
            text = trafilatura.extract(html, url=url)
        except Exception as err:  # a crash is one failed page, as for newsflow
            print(f"trafilatura failed on {page['id']}: {err}", file=sys.stderr)
            run.outputs[page["id"]] = Output(failed=True)
            run.failures += 1
            continue
        text_cpu += time.process_time() - t0
        try:
            meta = trafilatura.extract_metadata(html, default_url=url)
        except Exception as err:
            print(f"trafilatura metadata failed on {page['id']}: {err}", file=sys.stderr)
            meta = None
        run.outputs[page["id"]] = Output(text, meta.title if meta else None,
                                         meta.date if meta else None)
    run.cpu_seconds = time.process_time() - started
    return run, text_cpu


@dataclass
class Summary:
    pages: int
    mean_p: float
    mean_r: float
    mean_f1: float
    micro: Score
    empty: int
    title_hits: int
    title_pages: int
    date_hits: int
    date_pages: int


def summarize(pages: list[dict], run: Run) -> tuple[Summary, dict[str, Score]]:
    scores = {p["id"]: score(run.outputs[p["id"]].text, p["truth_text"]) for p in pages}
    n = len(pages)
    titled = [p for p in pages if p.get("truth_title")]
    dated = [p for p in pages if p.get("truth_date")]
    return Summary(
        pages=n,
        mean_p=sum(s.p for s in scores.values()) / n,
        mean_r=sum(s.r for s in scores.values()) / n,
        mean_f1=sum(s.f1 for s in scores.values()) / n,
        micro=Score(sum(s.overlap for s in scores.values()),
                    sum(s.extracted for s in scores.values()),
                    sum(s.truth for s in scores.values())),
        empty=sum(1 for s in scores.values() if s.extracted == 0),
        title_hits=sum(1 for p in titled
                       if title_key(run.outputs[p["id"]].title) == title_key(p["truth_title"])),
        title_pages=len(titled),
        date_hits=sum(1 for p in dated
                      if (run.outputs[p["id"]].date or "")[:10] == p["truth_date"][:10]),
        date_pages=len(dated),
    ), scores


def rate(hits: int, total: int) -> str:
    return f"{hits / total:.3f} ({hits}/{total})" if total else "n/a"


def print_table(split: str, rows: list[tuple[str, Summary, Run]]) -> None:
    print(f"\n== {split}: {rows[0][1].pages} pages ==")
    header = ("system", "P mean", "R mean", "F1 mean", "P micro", "R micro", "F1 micro",
              "empty", "failed", "title exact", "date", "CPU ms/page")
    print(" | ".join(header))
    for name, s, run in rows:
        print(" | ".join([
            name, f"{s.mean_p:.3f}", f"{s.mean_r:.3f}", f"{s.mean_f1:.3f}",
            f"{s.micro.p:.3f}", f"{s.micro.r:.3f}", f"{s.micro.f1:.3f}",
            str(s.empty), str(run.failures), rate(s.title_hits, s.title_pages),
            rate(s.date_hits, s.date_pages), f"{1000 * run.cpu_seconds / s.pages:.2f}",
        ]))
        if run.note:
            print(f"  note: {run.note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path,
                        help="folder holding pages.jsonl (written by prepare.py)")
    parser.add_argument("--newsflow", type=Path, default=Path("target/release/newsflow"),
                        help="the newsflow binary (default: target/release/newsflow)")
    parser.add_argument("--details", type=Path,
                        help="also write every page's outputs and scores to this JSON-lines file")
    args = parser.parse_args()

    pages_path = args.data / "pages.jsonl"
    if not pages_path.exists():
        sys.exit(f"{pages_path} is missing: run prepare.py --data {args.data} first")
    if not args.newsflow.exists():
        sys.exit(f"{args.newsflow} is missing: cargo build --release -p newsflow-cli")
    pages = []
    with pages_path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            try:
                page = json.loads(line)
                page["id"], page["html"], page["truth_text"]  # required fields
            except (json.JSONDecodeError, KeyError) as err:
                sys.exit(f"{pages_path}:{number}: not a prepared page: {err}")
            pages.append(page)

    print(f"pages: {pages_path} ({len(pages)} pages); trafilatura {trafilatura.__version__}; "
          f"newsflow: {args.newsflow}")
    details = args.details.open("w", encoding="utf-8") if args.details else None
    for split in SPLITS:
        part = [p for p in pages if split_of(p["id"]) == split]
        if not part:
            continue
        ours = run_newsflow(args.newsflow, part)
        theirs, text_cpu = run_trafilatura(part)
        ours_summary, ours_scores = summarize(part, ours)
        theirs_summary, theirs_scores = summarize(part, theirs)
        print_table(split, [("newsflow", ours_summary, ours), ("trafilatura", theirs_summary, theirs)])
        print(f"  trafilatura text alone (extract without extract_metadata): "
              f"{1000 * text_cpu / len(part):.2f} ms/page")
        stated = [p for p in part if p.get("truth_title") and STATED_HEADLINE.search(p["html"])]
        for name, run in (("newsflow", ours), ("trafilatura", theirs)):
            clean = sum(not has_site_suffix(run.outputs[p["id"]].title, p["truth_title"])
                        for p in stated)
            print(f"  {name}: titles without a site suffix on pages with og:title or a JSON-LD "
                  f"headline: {clean}/{len(stated)}")
        if split == "dev":
            far = sorted((p for p in part
                          if theirs_scores[p["id"]].f1 - ours_scores[p["id"]].f1 >= FAR_BELOW),
                         key=lambda p: ours_scores[p["id"]].f1 - theirs_scores[p["id"]].f1)
            print(f"\n  dev pages where newsflow's F1 is {FAR_BELOW} or more below trafilatura's: "
                  f"{len(far)}")
            print("  id | newsflow F1 (P, R) | trafilatura F1 | url")
            for p in far:
                o, t = ours_scores[p["id"]], theirs_scores[p["id"]]
                print(f"  {p['id']} | {o.f1:.2f} ({o.p:.2f}, {o.r:.2f}) | {t.f1:.2f} | {p.get('url')}")
        if details:
            for p in part:
                o, t = ours.outputs[p["id"]], theirs.outputs[p["id"]]
                details.write(json.dumps({
                    "id": p["id"], "split": split, "url": p.get("url"),
                    "truth_title": p.get("truth_title"), "truth_text": p["truth_text"],
                    "newsflow": {"f1": ours_scores[p["id"]].f1, "p": ours_scores[p["id"]].p,
                                 "r": ours_scores[p["id"]].r, "title": o.title, "date": o.date,
                                 "text": o.text},
                    "trafilatura": {"f1": theirs_scores[p["id"]].f1, "p": theirs_scores[p["id"]].p,
                                    "r": theirs_scores[p["id"]].r, "title": t.title,
                                    "date": t.date, "text": t.text},
                }, ensure_ascii=False) + "\n")
    if details:
        details.close()


if __name__ == "__main__":
    main()
