"""Retrieval: the Retriever of every route, over the corpora's Qdrant collections."""

from __future__ import annotations

from typing import Any

__all__ = ["CollectionRetriever", "UnifiedRetriever", "UnifiedRouter", "ALL_COLLECTIONS"]


def __getattr__(name: str) -> Any:
    # Lazy: ingestion imports mmrag.retrieval.sparse, and the retriever imports ingestion's encoder helpers.
    if name == "CollectionRetriever":
        from mmrag.retrieval.collection import CollectionRetriever

        return CollectionRetriever
    if name in ("UnifiedRetriever", "UnifiedRouter", "ALL_COLLECTIONS"):
        from mmrag.retrieval import unified

        return getattr(unified, name)
    raise AttributeError(name)
