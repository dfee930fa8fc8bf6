"""Reading JSONL files of records, with one-line errors naming the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrag.errors import InputError


def iter_jsonl(path: str | Path, what: str, hint: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) for each non-blank line; ``what`` names the file in errors, ``hint`` says
    what it should hold."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} '{p}' not found: {hint}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{what} '{p}' is not UTF-8 text: save it as UTF-8") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            raise InputError(f"{what} '{p}' line {n}: not valid JSON; each line must be one JSON object") from None
        if not isinstance(rec, dict):
            raise InputError(f"{what} '{p}' line {n}: must be a JSON object; {hint}")
        yield n, rec
