"""Pruning: items of files deleted or changed since the last ingest of a folder leave the collection.

An item is pruned when its source file lies under one of the ingested folders and either no longer exists,
or was read in this run and no longer yields that item (changed content: other passages, fewer pages).
Files that could not be read this run keep their old items: a file that turned bad loses nothing.
"""

from __future__ import annotations

import re
from pathlib import Path


from mmrag.store.qdrant import VectorStore

_RECORD_SUFFIX = re.compile(r":\d+$")  # JSONL records have source "file.jsonl:LINE"


def source_file(source: str) -> Path:
    p = Path(source)
    if not p.exists() and _RECORD_SUFFIX.search(source):
        p = Path(_RECORD_SUFFIX.sub("", source))
    return p.resolve()


def _under(p: Path, roots: list[Path]) -> bool:
    return any(p == r or r in p.parents for r in roots)


def prune(store: VectorStore, collection: str, roots: list[Path], keep_ids: set[str], read_files: set[Path],
          keep_files: set[Path], only: set[Path] | None = None) -> int:
    """Delete stale items (heads and chunks); returns how many items went."""
    roots = [r.resolve() for r in roots]
    stale: list[str] = []
    for payload in store.head_payloads(collection, ["item_id", "source"]):
        iid, src = payload.get("item_id"), payload.get("source")
        if not iid or not src or iid in keep_ids:
            continue
        f = source_file(str(src))
        if not _under(f, roots) or f in keep_files:
            continue
        if not f.exists() or (f in read_files and (only is None or f in only)):
            stale.append(iid)
    store.delete_items(collection, stale)
    return len(stale)
