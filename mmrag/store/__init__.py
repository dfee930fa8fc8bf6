"""The vector store: one Qdrant collection per corpus, named vectors, items grouped by ``item_id``."""

from mmrag.store.qdrant import ChunkHit, VectorStore, open_store

__all__ = ["VectorStore", "ChunkHit", "open_store"]
