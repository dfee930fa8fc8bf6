"""Qdrant wrapper: embedded on-disk by default, a server or cluster when ``store.url`` is set.

Layout of a collection: named vectors ("text" always, "image" with an image-text encoder), cosine distance,
and a named sparse vector "sparse" (lexical BM25 weights, Qdrant's IDF modifier) on every point with text;
collections created before the sparse vector existed have none and are searched dense only.
Every item has a *head* point (id == Item.id, payload = the whole Item + ``item_id``); items whose text view
spans several chunks also get chunk points (payload ``item_id``, ``chunk_index``, ``chunk_text``). Searches
group by ``item_id`` so an item comes back once, scored by its best point.
"""

from __future__ import annotations

import atexit
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from mmrag.config import MMRAGConfig
from mmrag.errors import ConfigError
from mmrag.store.embedded_lock import HELD, store_in_use
from mmrag.types import Item

TEXT = "text"
IMAGE = "image"
_GROUP_PAYLOAD = ["item_id", "chunk_index", "chunk_text"]

# One embedded client per folder per process: Qdrant's local mode locks its folder, so a second
# client on the same folder (even in this process) would fail.
_EMBEDDED: dict[str, QdrantClient] = {}


def chunk_point_id(item_id: str, index: int) -> str:
    return str(uuid.uuid5(uuid.UUID(item_id), f"chunk-{index}"))


@dataclass
class PointData:
    """One point to write: id, named vectors and payload."""

    id: str
    vectors: dict[str, np.ndarray | models.SparseVector]
    payload: dict[str, Any]

    def to_qdrant(self) -> models.PointStruct:
        vec = {k: v if isinstance(v, models.SparseVector) else np.asarray(v, dtype=np.float32).tolist() for k, v in self.vectors.items()}
        return models.PointStruct(id=self.id, vector=vec, payload=self.payload)


#: A query for one named vector: a dense array or a sparse vector.
Query = np.ndarray | models.SparseVector


def _query(q: Query) -> Any:
    return q if isinstance(q, models.SparseVector) else np.asarray(q, dtype=np.float32).tolist()


@dataclass
class ChunkHit:
    """A grouped search result: the item id, its best score and the best point's chunk text."""

    item_id: str
    score: float
    chunk_text: str | None
    chunk_index: int


def _connect(cfg: MMRAGConfig) -> QdrantClient:
    if cfg.store.url:
        key = os.environ.get(cfg.store.api_key_env) or None
        return QdrantClient(url=cfg.store.url, api_key=key, prefer_grpc=cfg.store.prefer_grpc, timeout=int(cfg.store.timeout_s))
    path = cfg.store_path
    cached = _EMBEDDED.get(str(path))
    if cached is not None:
        return cached
    path.mkdir(parents=True, exist_ok=True)
    try:
        client = QdrantClient(path=str(path))
    except RuntimeError as e:
        if "already accessed" in str(e):
            raise store_in_use(path) from None
        raise
    _EMBEDDED[str(path)] = client
    HELD.add(str(path))
    return client


@atexit.register
def _close_all() -> None:
    # Close before interpreter teardown; qdrant's own __del__ at shutdown prints an ImportError.
    for key in list(_EMBEDDED):
        close_embedded(key)


def open_store(cfg: MMRAGConfig) -> "VectorStore":
    return VectorStore(_connect(cfg), location=cfg.store.url or str(cfg.store_path), batch_size=cfg.store.upsert_batch_size, remote=bool(cfg.store.url))


def close_embedded(path: str | Path) -> None:
    """Release an embedded store's lock (tests, and a CLI that ends)."""
    client = _EMBEDDED.pop(str(Path(path)), None)
    HELD.discard(str(Path(path)))
    if client is not None:
        client.close()


def _item(payload: dict[str, Any] | None) -> Item:
    """The Item of a head point's payload (without the point-level fields)."""
    data = {k: v for k, v in (payload or {}).items() if k not in ("item_id", "chunk_index", "chunk_text")}
    return Item.model_validate(data)


class VectorStore:
    """Collections, batched upserts, existence checks and grouped search."""

    def __init__(self, client: QdrantClient, *, location: str = "", batch_size: int = 64, remote: bool = False):
        self.client = client
        self.remote = remote
        self.location = location
        self.batch_size = max(1, batch_size)

    # -- collections ---------------------------------------------------------------------------
    def exists(self, collection: str) -> bool:
        return self.client.collection_exists(collection)

    def ensure_collection(self, collection: str, dims: dict[str, int], encoders: dict[str, str], *, sparse: str | None = None) -> None:
        """Create the collection, or check that an existing one has the same vectors and encoders.

        ``sparse``: the name of a sparse vector to create with Qdrant's IDF modifier (new collections only).
        """
        if not self.exists(collection):
            self.client.create_collection(
                collection,
                vectors_config={k: models.VectorParams(size=d, distance=models.Distance.COSINE) for k, d in dims.items()},
                sparse_vectors_config={sparse: models.SparseVectorParams(modifier=models.Modifier.IDF)} if sparse else None,
                metadata={"mmrag_encoders": encoders},
            )
            if self.remote:  # keyword indexes make group_by and key filters fast; local mode has none
                for field in ("item_id", "item_key"):
                    self.client.create_payload_index(collection, field, models.PayloadSchemaType.KEYWORD)
            return
        have_dims, have_enc = self.describe(collection)
        if have_dims != dims or (have_enc and have_enc != encoders):
            raise ConfigError(
                f"collection '{collection}' was built with vectors {have_dims} and encoders {have_enc}, "
                f"but the config now gives {dims} and {encoders}: use the old encoders, or rebuild it with "
                "`mmrag ingest --corpus NAME --recreate`"
            )

    def describe(self, collection: str) -> tuple[dict[str, int], dict[str, str]]:
        info = self.client.get_collection(collection)
        vectors = info.config.params.vectors
        dims = {k: v.size for k, v in vectors.items()} if isinstance(vectors, dict) else {"": vectors.size}
        meta = getattr(info.config, "metadata", None) or {}
        return dims, dict(meta.get("mmrag_encoders") or {})

    def sparse_vectors(self, collection: str) -> set[str]:
        """Names of the collection's sparse vectors (empty for collections ingested before they existed)."""
        return set((self.client.get_collection(collection).config.params.sparse_vectors or {}).keys())

    def drop(self, collection: str) -> None:
        if self.exists(collection):
            self.client.delete_collection(collection)

    def count(self, collection: str, heads_only: bool = False) -> int:
        if not self.exists(collection):
            return 0
        flt = None
        if heads_only:
            # Head points carry the whole Item, chunk points do not have a 'key'.
            flt = models.Filter(must=[models.IsEmptyCondition(is_empty=models.PayloadField(key="key"))])
            total = self.client.count(collection, exact=True).count
            return total - self.client.count(collection, count_filter=flt, exact=True).count
        return self.client.count(collection, exact=True).count

    # -- writing ---------------------------------------------------------------------------------
    def existing_ids(self, collection: str, ids: list[str]) -> set[str]:
        if not ids or not self.exists(collection):
            return set()
        found: set[str] = set()
        for i in range(0, len(ids), 256):
            recs = self.client.retrieve(collection, ids[i : i + 256], with_payload=False, with_vectors=False)
            found.update(str(r.id) for r in recs)
        return found

    def upsert(self, collection: str, points: list[PointData]) -> None:
        for i in range(0, len(points), self.batch_size):
            self.client.upsert(collection, [p.to_qdrant() for p in points[i : i + self.batch_size]], wait=True)

    def delete_items(self, collection: str, item_ids: list[str]) -> None:
        """Delete these items: their heads and their chunk points."""
        for i in range(0, len(item_ids), 512):
            flt = models.Filter(must=[models.FieldCondition(key="item_id", match=models.MatchAny(any=item_ids[i : i + 512]))])
            self.client.delete(collection, points_selector=models.FilterSelector(filter=flt), wait=True)

    def delete_other_versions(self, collection: str, keys: list[str], keep_ids: list[str]) -> int:
        """Delete points of items with these keys but other ids (earlier versions); returns how many items went."""
        flt = models.Filter(
            must=[models.FieldCondition(key="item_key", match=models.MatchAny(any=keys))],
            must_not=[models.FieldCondition(key="item_id", match=models.MatchAny(any=keep_ids))],
        )
        heads = models.Filter(must=[*flt.must, models.FieldCondition(key="chunk_index", match=models.MatchValue(value=0))],
                              must_not=flt.must_not)
        old_heads = self.client.count(collection, count_filter=heads, exact=True).count
        if old_heads or self.client.count(collection, count_filter=flt, exact=True).count:
            self.client.delete(collection, points_selector=models.FilterSelector(filter=flt), wait=True)
        return old_heads

    # -- reading ---------------------------------------------------------------------------------
    def get_items(self, collection: str, ids: list[str]) -> dict[str, Item]:
        if not ids:
            return {}
        recs = self.client.retrieve(collection, ids, with_payload=True, with_vectors=False)
        return {str(r.id): _item(r.payload) for r in recs}

    def items_by_key(self, collection: str, keys: list[str]) -> dict[str, Item]:
        """Stored items by their human-readable key."""
        flt = models.Filter(must=[models.FieldCondition(key="key", match=models.MatchAny(any=list(keys)))])
        return {item.key: item for item in (_item(p) for p in self.scroll_payloads(collection, flt, fields=True))}

    def head_payloads(self, collection: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """The given payload fields of every item's head point."""
        head = models.Filter(must=[models.FieldCondition(key="chunk_index", match=models.MatchValue(value=0))])
        return self.scroll_payloads(collection, head, fields=fields)

    def scroll_payloads(self, collection: str, flt: models.Filter, fields: list[str] | bool = True) -> Iterator[dict[str, Any]]:
        offset = None
        while True:
            recs, offset = self.client.scroll(collection, scroll_filter=flt, limit=512, offset=offset,
                                              with_payload=fields, with_vectors=False)
            for r in recs:
                yield dict(r.payload or {})
            if offset is None:
                return

    def search_groups(
        self,
        collection: str,
        *,
        vector: Query | None = None,
        using: str = TEXT,
        prefetch: list[tuple[str, Query]] | None = None,
        prefetch_limit: int | None = None,
        limit: int = 20,
        item_ids: list[str] | None = None,
        fusion: models.FusionQuery | models.RrfQuery | None = None,
        grouped: bool = True,
    ) -> list[ChunkHit]:
        """Best point per item: one named vector (dense or sparse), or several fused by reciprocal rank fusion.

        ``item_ids`` restricts the search to those items (scores of given candidates).
        """
        flt = None
        if item_ids is not None:
            flt = models.Filter(must=[models.FieldCondition(key="item_id", match=models.MatchAny(any=list(item_ids)))])
        if prefetch:
            args: dict[str, Any] = dict(
                prefetch=[
                    models.Prefetch(query=_query(v), using=name, limit=prefetch_limit or max(limit * 4, 50), filter=flt)
                    for name, v in prefetch
                ],
                query=fusion or models.FusionQuery(fusion=models.Fusion.RRF),
            )
        else:
            assert vector is not None
            args = dict(query=_query(vector), using=using, query_filter=flt)
        if not grouped:
            # One point per item (no chunk points, e.g. paragraphs): a plain query, much faster than grouping.
            res = self.client.query_points(collection, limit=limit, with_payload=_GROUP_PAYLOAD, **args)
            return [ChunkHit(str((p.payload or {}).get("item_id") or p.id), float(p.score), (p.payload or {}).get("chunk_text"),
                             int((p.payload or {}).get("chunk_index", 0) or 0)) for p in res.points]
        res = self.client.query_points_groups(collection, group_by="item_id", limit=limit, group_size=1, with_payload=_GROUP_PAYLOAD, **args)
        hits = []
        for g in res.groups:
            best = g.hits[0]
            p = best.payload or {}
            hits.append(ChunkHit(str(g.id), float(best.score), p.get("chunk_text"), int(p.get("chunk_index", 0) or 0)))
        return hits

    def stored_text_vectors(self, collection: str, ids: list[str]) -> dict[str, np.ndarray]:
        """The stored dense "text" vectors of head points (normalised by Qdrant's cosine distance)."""
        recs = self.client.retrieve(collection, ids, with_payload=False, with_vectors=[TEXT]) if ids else []
        out = {}
        for r in recs:
            v = (r.vector or {}).get(TEXT) if isinstance(r.vector, dict) else None
            if v is not None:
                out[str(r.id)] = np.asarray(v, dtype=np.float32)
        return out
