#!/usr/bin/env python3
"""Turns the L3S-GN1 benchmark into pages.jsonl for evaluate.py.

Reads the benchmark folder (see README.md: `original/`, `annotated/`,
`url-mapping.txt`) and writes one JSON line per page:
{"id", "url", "html", "truth_text", "truth_title"}.

- html: the page as crawled (`original/<id>.html`).
- truth_text: the text the human assessors labelled "full text" (x-nc-sel2)
  or "supplemental" (x-nc-sel3, e.g. image captions) in
  `annotated/<id>.html`, one text block a line.
- truth_title: the text labelled "headline" (x-nc-sel1), whitespace collapsed.

Elements marked x-nc-invisible, scripts and styles never count. L3S-GN1 has
no publication dates, so there is no truth_date.

Plain Python 3.11, standard library only.
"""

from __future__ import annotations

import argparse
import html.parser
import json
import re
import sys
from pathlib import Path

# Elements that have no end tag: never pushed on the open-element stack.
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link",
    "meta", "param", "source", "track", "wbr",
}
# Elements whose start or end ends a line of text.
BLOCK = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "td", "th", "tr", "ul",
}
SKIP = {"script", "style", "noscript"}
LABEL = re.compile(r"\bx-nc-sel(\d)\b")


class Annotated(html.parser.HTMLParser):
    """Collects the headline (label 1) and the full text and supplemental text (2, 3) of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # (tag, label or None, hidden) for every open non-void element.
        self.stack: list[tuple[str, int | None, bool]] = []
        self.title: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK:
            self._newline()
        if tag in VOID:
            return
        classes = dict(attrs).get("class") or ""
        match = LABEL.search(classes)
        label = int(match.group(1)) if match else None
        hidden = "x-nc-invisible" in classes.split() or tag in SKIP
        self.stack.append((tag, label, hidden))

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCK:
            self._newline()

    def handle_endtag(self, tag):
        if tag in BLOCK:
            self._newline()
        # Close up to the matching open element; a stray end tag closes nothing.
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if any(hidden for _, _, hidden in self.stack):
            return
        label = next((lab for _, lab, _ in reversed(self.stack) if lab is not None), None)
        if label == 1:
            self.title.append(data)
        elif label in (2, 3):
            self.text.append(data)

    def _newline(self) -> None:
        for parts in (self.title, self.text):
            if parts and parts[-1] != "\n":
                parts.append("\n")


def lines(parts: list[str]) -> str:
    """The collected pieces as text: one block a line, spaces collapsed."""
    text = "".join(parts)
    out = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in out if line)


def read_urls(path: Path) -> dict[str, str]:
    """`url-mapping.txt`: `<urn:uuid:ID>` TAB URL, one page a line."""
    urls = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            urn, url = line.split("\t", 1)
        except ValueError:
            sys.exit(f"{path}:{number}: expected '<urn:uuid:ID>\\tURL', got {line!r}")
        urls[urn.strip().removeprefix("<urn:uuid:").removesuffix(">")] = url.strip()
    return urls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path,
                        help="the L3S-GN1 folder with original/, annotated/ and url-mapping.txt")
    parser.add_argument("--out", type=Path, help="file to write (default: DATA/pages.jsonl)")
    args = parser.parse_args()
    args.out = args.out or args.data / "pages.jsonl"

    for needed in ("original", "annotated", "url-mapping.txt"):
        if not (args.data / needed).exists():
            sys.exit(f"{args.data / needed} is missing: see deploy/eval/extraction/README.md")
    urls = read_urls(args.data / "url-mapping.txt")
    originals = sorted((args.data / "original").glob("*.html"))
    if not originals:
        sys.exit(f"no pages in {args.data / 'original'}")

    written = no_truth = 0
    with args.out.open("w", encoding="utf-8") as out:
        for original in originals:
            page_id = original.stem
            annotated = args.data / "annotated" / original.name
            if not annotated.exists():
                sys.exit(f"{annotated} is missing (the annotation of {original})")
            collector = Annotated()
            collector.feed(annotated.read_text(encoding="utf-8", errors="replace"))
            collector.close()
            truth_text = lines(collector.text)
            truth_title = " ".join(lines(collector.title).split())
            if not truth_text:
                no_truth += 1
                continue
            record = {
                "id": page_id,
                "url": urls.get(page_id),
                "html": original.read_text(encoding="utf-8", errors="replace"),
                "truth_text": truth_text,
            }
            if truth_title:
                record["truth_title"] = truth_title
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    print(f"prepare: {written} pages written to {args.out}"
          f" ({no_truth} pages without labelled text left out)", file=sys.stderr)


if __name__ == "__main__":
    main()
