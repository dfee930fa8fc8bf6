"""Text sources: .txt/.md files and .jsonl records, paragraph splitting and document titles."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmrag.errors import InputError

TEXT_EXTENSIONS = {".txt", ".md", ".markdown"}
JSONL_EXTENSIONS = {".jsonl"}

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass
class TextRecord:
    """One text unit before splitting: a file or a JSONL record."""

    key: str
    text: str
    source: str
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def read_utf8(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"'{path}' is not UTF-8 text (byte {e.start}): re-save it as UTF-8") from None


def markdown_title(text: str, fallback: str) -> str:
    m = _HEADING.search(text)
    return m.group(1).strip() if m else fallback


def read_text_file(path: Path, rel: str) -> TextRecord:
    text = read_utf8(path)
    if not text.strip():
        raise InputError(f"'{path}' is empty: add text or remove the file")
    return TextRecord(key=rel, text=text, source=str(path), title=markdown_title(text, path.stem))


def read_jsonl(path: Path, rel: str) -> tuple[list[TextRecord], list[str]]:
    """Records and one-line problems (bad lines are reported, the rest is kept)."""
    records, problems = [], []
    for n, line in enumerate(read_utf8(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{rel}:{n}: not valid JSON ({e.msg}); fix the line")
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str) or not rec["text"].strip():
            problems.append(f"{rel}:{n}: a record needs a non-empty 'text' field")
            continue
        rec = dict(rec)
        key = str(rec.pop("id", None) or f"{rel}:{n}")
        text = rec.pop("text")
        title = rec.pop("title", None)
        records.append(TextRecord(key=key, text=text, source=f"{path}:{n}", title=title, metadata=rec))
    return records, problems


def _words(text: str) -> int:
    return len(text.split())


def _sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph, cut at the whitespace after '.', '!' or '?' (and any closing quotes or brackets).

    Cutting *at* the whitespace keeps every character of the input in exactly one sentence.
    """
    out, start = [], 0
    for m in _SENTENCE_END.finditer(paragraph):
        cut = m.start() + len(m.group(0).rstrip())
        out.append(paragraph[start:cut].strip())
        start = m.end()
    out.append(paragraph[start:].strip())
    return [s for s in out if s]


def _split_long(paragraph: str, max_words: int) -> list[str]:
    """Split an over-long paragraph at sentence ends into pieces of at most max_words (a longer sentence stays whole)."""
    pieces: list[str] = []
    cur: list[str] = []
    n = 0
    for s in _sentences(paragraph):
        w = _words(s)
        if cur and n + w > max_words:
            pieces.append(" ".join(cur))
            cur, n = [], 0
        cur.append(s)
        n += w
    if cur:
        pieces.append(" ".join(cur))
    return pieces


def split_paragraphs(text: str, min_words: int, max_words: int) -> list[str]:
    """Passages of about min..max words: split at blank lines, split long paragraphs at sentence ends, merge short ones.

    Every word of ``text`` lands in exactly one passage, in order. A passage has at most ``max_words`` words
    unless it is one over-long sentence, and fewer than ``min_words`` only when joining it to a neighbour
    would pass ``max_words`` (or the whole text is that short).
    """
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    units: list[str] = []
    for p in paras:
        units.extend(_split_long(p, max_words) if _words(p) > max_words else [p])
    passages: list[str] = []
    sizes: list[int] = []
    for u in units:
        w = _words(u)
        # A short unit joins the passage before it, and a short passage takes the next unit, while both fit.
        if passages and (sizes[-1] < min_words or w < min_words) and sizes[-1] + w <= max_words:
            passages[-1] = passages[-1] + "\n\n" + u
            sizes[-1] += w
        else:
            passages.append(u)
            sizes.append(w)
    return passages
