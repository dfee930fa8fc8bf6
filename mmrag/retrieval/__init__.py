"""Retrieval: the Retriever of every route, over the corpora's Qdrant collections."""

from mmrag.retrieval.collection import CollectionRetriever

__all__ = ["CollectionRetriever"]
