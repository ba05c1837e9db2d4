"""Main-text and title scoring shared by the extraction evaluations
(evaluate.py: the extractors side by side; live.py: records of the live
pipeline). Definitions in README.md. Standard library only."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

TOKEN = re.compile(r"\w+")


def split_of(page_id: str) -> str:
    """dev or test, fixed by the page id alone."""
    return "dev" if int(hashlib.sha256(page_id.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"


def tokens(text: str | None) -> Counter:
    return Counter(TOKEN.findall((text or "").lower()))


def title_key(title: str | None) -> tuple[str, ...]:
    return tuple(TOKEN.findall((title or "").lower()))


@dataclass
class Score:
    overlap: int
    extracted: int
    truth: int

    @property
    def p(self) -> float:
        return self.overlap / self.extracted if self.extracted else 0.0

    @property
    def r(self) -> float:
        return self.overlap / self.truth if self.truth else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0


def score(extracted: str | None, truth: str) -> Score:
    got, want = tokens(extracted), tokens(truth)
    return Score(sum((got & want).values()), sum(got.values()), sum(want.values()))


# Separators between a headline and a site's name in a title.
TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " : ", " · ", " » ", " « ", " / ", " > ")
STATED_HEADLINE = re.compile(r'og:title|"headline"')


def has_site_suffix(title: str | None, truth_title: str | None) -> bool:
    """Whether a title ends in a separator and words the headline label does
    not have (`Storm hits coast | Fox News`), the issue's "site suffix"."""
    title = title or ""
    truth = set(title_key(truth_title))
    return any(sep in title and not set(title_key(title.split(sep)[-1])) <= truth
               for sep in TITLE_SEPARATORS)
