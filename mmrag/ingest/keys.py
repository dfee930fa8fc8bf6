"""Stable item ids: the same corpus, key and content always give the same UUID."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

#: Fixed namespace so ids are stable across machines and versions.
NAMESPACE = uuid.UUID("6f1c2a52-5d0e-4c55-9a43-2f7f3f1b8e11")


def sha1_text(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def sha1_file(path: Path, extra: str = "") -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    h.update(extra.encode("utf-8"))
    return h.hexdigest()


def item_id(corpus: str, key: str, content_sha: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{corpus}|{key}|{content_sha}"))


def relpath(path: Path, root: Path | None) -> str:
    """Key path: relative to the ingest root folder, or the file name when a file was given."""
    if root is None:
        return path.name
    return path.relative_to(root).as_posix()


def clip_key(rel: str, start: float, end: float) -> str:
    return f"{rel}@{start:g}-{end:g}"
