"""Qdrant wrapper: embedded on-disk by default, a server or cluster when ``store.url`` is set.

Layout of a collection: named vectors ("text" always, "image" with an image-text encoder), cosine distance.
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
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from mmrag.config import MMRAGConfig
from mmrag.errors import ConfigError, CorpusError
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
    vectors: dict[str, np.ndarray]
    payload: dict[str, Any]

    def to_qdrant(self) -> models.PointStruct:
        return models.PointStruct(
            id=self.id, vector={k: np.asarray(v, dtype=np.float32).tolist() for k, v in self.vectors.items()}, payload=self.payload
        )


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

    def ensure_collection(self, collection: str, dims: dict[str, int], encoders: dict[str, str]) -> None:
        """Create the collection, or check that an existing one has the same vectors and encoders."""
        if not self.exists(collection):
            self.client.create_collection(
                collection,
                vectors_config={k: models.VectorParams(size=d, distance=models.Distance.COSINE) for k, d in dims.items()},
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

    # -- reading ---------------------------------------------------------------------------------
    def get_items(self, collection: str, ids: list[str]) -> dict[str, Item]:
        if not ids:
            return {}
        recs = self.client.retrieve(collection, ids, with_payload=True, with_vectors=False)
        out = {}
        for r in recs:
            payload = dict(r.payload or {})
            payload.pop("item_id", None)
            payload.pop("chunk_index", None)
            payload.pop("chunk_text", None)
            out[str(r.id)] = Item.model_validate(payload)
        return out

    def search_groups(
        self,
        collection: str,
        *,
        vector: np.ndarray | None = None,
        using: str = TEXT,
        prefetch: list[tuple[str, np.ndarray]] | None = None,
        limit: int = 20,
    ) -> list[ChunkHit]:
        """Best point per item: one named vector, or several fused by reciprocal rank fusion."""
        if prefetch:
            res = self.client.query_points_groups(
                collection,
                group_by="item_id",
                prefetch=[
                    models.Prefetch(query=np.asarray(v, dtype=np.float32).tolist(), using=name, limit=max(limit * 4, 50))
                    for name, v in prefetch
                ],
                query=models.FusionQuery(fusion=models.Fusion.RRF),
                limit=limit,
                group_size=1,
                with_payload=_GROUP_PAYLOAD,
            )
        else:
            assert vector is not None
            res = self.client.query_points_groups(
                collection,
                group_by="item_id",
                query=np.asarray(vector, dtype=np.float32).tolist(),
                using=using,
                limit=limit,
                group_size=1,
                with_payload=_GROUP_PAYLOAD,
            )
        hits = []
        for g in res.groups:
            best = g.hits[0]
            p = best.payload or {}
            hits.append(ChunkHit(str(g.id), float(best.score), p.get("chunk_text"), int(p.get("chunk_index", 0) or 0)))
        return hits
