"""Retrieval: the Retriever of every route, over the corpora's Qdrant collections."""

from __future__ import annotations

from typing import Any

__all__ = ["CollectionRetriever"]


def __getattr__(name: str) -> Any:
    # Lazy: ingestion imports mmrag.retrieval.sparse, and the retriever imports ingestion's encoder helpers.
    if name == "CollectionRetriever":
        from mmrag.retrieval.collection import CollectionRetriever

        return CollectionRetriever
    raise AttributeError(name)
