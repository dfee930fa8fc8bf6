"""Find citation markers ([1], [1, 3], [1-2]) in an answer and resolve them to the numbered sources."""

from __future__ import annotations

import re

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


def resolve_citations(text: str, sources: list[Item]) -> list[Citation]:
    """Citations for the markers in ``text``; ``sources[0]`` is source [1]. Out-of-range numbers are ignored."""
    out = []
    for n in cited_numbers(text):
        if 1 <= n <= len(sources):
            it = sources[n - 1]
            out.append(
                Citation(number=n, item_id=it.id, key=it.key, source=it.source, route=it.route,
                         title=it.title, start=it.start, end=it.end, locator=it.locator)
            )
    return out
