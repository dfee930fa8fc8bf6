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


def _split_long(paragraph: str, max_words: int) -> list[str]:
    """Split an over-long paragraph at sentence ends into pieces of at most max_words (a longer sentence stays whole)."""
    sentences = [s for s in _SENTENCE_END.split(paragraph) if s.strip()]
    pieces, cur = [], []
    for s in sentences:
        if cur and _words(" ".join(cur + [s])) > max_words:
            pieces.append(" ".join(cur))
            cur = []
        cur.append(s.strip())
    if cur:
        pieces.append(" ".join(cur))
    return pieces


def split_paragraphs(text: str, min_words: int, max_words: int) -> list[str]:
    """Passages of about min..max words: split at blank lines, merge short neighbours, split long ones at sentence ends."""
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    units: list[str] = []
    for p in paras:
        units.extend(_split_long(p, max_words) if _words(p) > max_words else [p])
    passages: list[str] = []
    for u in units:
        if passages and _words(passages[-1]) < min_words and _words(passages[-1]) + _words(u) <= max_words:
            passages[-1] = passages[-1] + "\n\n" + u
        else:
            passages.append(u)
    # A short tail joins its predecessor when that still fits.
    if len(passages) > 1 and _words(passages[-1]) < min_words and _words(passages[-2]) + _words(passages[-1]) <= max_words:
        passages[-2] = passages[-2] + "\n\n" + passages.pop()
    return passages
