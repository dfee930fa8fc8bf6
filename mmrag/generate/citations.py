"""Find citation markers ([1], [1, 3], [1-2]) in an answer and resolve them to the numbered sources."""

from __future__ import annotations

import re
from typing import Literal

from mmrag.types import Citation, Item

# A bracket holding numbers separated by commas/semicolons, or ranges with - or –.
_BRACKET = re.compile(r"\[\s*(\d+(?:\s*[-–]\s*\d+)?(?:\s*[,;]\s*\d+(?:\s*[-–]\s*\d+)?)*)\s*\]")
_MAX_RANGE = 50  # a "range" like [1-9999] is a typo, not 9999 citations


def cited_numbers(text: str) -> list[int]:
    """Source numbers in order of first mention, duplicates removed."""
    seen: list[int] = []
    for m in _BRACKET.finditer(text):
        for part in re.split(r"[,;]", m.group(1)):
            bounds = [int(x) for x in re.split(r"[-–]", part) if x.strip()]
            lo, hi = bounds[0], bounds[-1]
            nums = range(lo, hi + 1) if lo <= hi and hi - lo <= _MAX_RANGE else [lo, hi]
            for n in nums:
                if n not in seen:
                    seen.append(n)
    return seen


def strip_markers(text: str) -> str:
    """The text without its citation markers (for comparing an answer sentence with sources)."""
    return " ".join(_BRACKET.sub(" ", text).split())


def out_of_range(text: str, n_sources: int) -> list[int]:
    """Numbers the text cites that name no source sent (a small model writes [2] when one source was sent)."""
    return [n for n in cited_numbers(text) if not 1 <= n <= n_sources]


def citation(n: int, item: Item, *, kind: Literal["cited", "attributed"] = "cited", score: float | None = None) -> Citation:
    """The citation of source number ``n`` (``item``)."""
    return Citation(number=n, item_id=item.id, key=item.key, source=item.source, route=item.route, title=item.title,
                    start=item.start, end=item.end, locator=item.locator, kind=kind, score=score)


def resolve_citations(text: str, sources: list[Item]) -> list[Citation]:
    """Citations for the markers in ``text``; ``sources[0]`` is source [1]. Out-of-range numbers are dropped
    (``out_of_range`` lists them)."""
    return [citation(n, sources[n - 1]) for n in cited_numbers(text) if 1 <= n <= len(sources)]
