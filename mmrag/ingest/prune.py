"""Pruning: items of files deleted or changed since the last ingest of a folder leave the collection.

An item is pruned when its source file lies under one of the ingested folders and either no longer exists,
or was read in this run and no longer yields that item (changed content: other passages, fewer pages).
Files that could not be read this run keep their old items: a file that turned bad loses nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

from qdrant_client import models

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
    head = models.Filter(must=[models.FieldCondition(key="chunk_index", match=models.MatchValue(value=0))])
    offset = None
    while True:
        points, offset = store.client.scroll(collection, scroll_filter=head, limit=1024, offset=offset,
                                             with_payload=["item_id", "source"], with_vectors=False)
        for p in points:
            iid, src = p.payload.get("item_id"), p.payload.get("source")
            if not iid or not src or iid in keep_ids:
                continue
            f = source_file(str(src))
            if not _under(f, roots) or f in keep_files:
                continue
            if not f.exists() or (f in read_files and (only is None or f in only)):
                stale.append(iid)
        if offset is None:
            break
    for i in range(0, len(stale), 512):
        flt = models.Filter(must=[models.FieldCondition(key="item_id", match=models.MatchAny(any=stale[i : i + 512]))])
        store.client.delete(collection, points_selector=models.FilterSelector(filter=flt), wait=True)
    return len(stale)
