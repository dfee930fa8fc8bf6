"""The vector store: one Qdrant collection per corpus, named vectors, items grouped by ``item_id``.

The names below load ``mmrag.store.qdrant`` (and qdrant-client, seconds to import) on first use, so a
command that only checks ``mmrag.store.embedded_lock`` stays fast.
"""

from __future__ import annotations

from typing import Any

__all__ = ["VectorStore", "ChunkHit", "open_store"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from mmrag.store import qdrant

        return getattr(qdrant, name)
    raise AttributeError(f"module 'mmrag.store' has no attribute {name!r}")
