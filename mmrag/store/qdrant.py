"""Qdrant wrapper: embedded on-disk by default, a server or cluster when ``store.url`` is set.

Layout of a collection: named vectors ("text" always, "image" with an image-text encoder), cosine distance,
and a named sparse vector "sparse" (lexical BM25 weights, Qdrant's IDF modifier) on every point with text;
collections created before the sparse vector existed have none and are searched dense only.
Every item has a *head* point (id == Item.id, payload = the whole Item + ``item_id``); items whose text view
spans several chunks also get chunk points (payload ``item_id``, ``chunk_index``, ``chunk_text``). Searches
group by ``item_id`` so an item comes back once, scored by its best point. A head whose first chunk is the
item's whole text has no ``chunk_text`` (the text is stored once); a search reads ``text`` for it.

Engines: this module's ``VectorStore`` speaks qdrant-client (a server or cluster with ``store.url``, or the
older embedded local mode with ``store.engine: local``); ``mmrag.store.edge.EdgeStore`` is the same facade
over qdrant-edge, the default embedded engine.
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

from mmrag.config import MMRAGConfig, StoreConfig
from mmrag.errors import ConfigError
from mmrag.store.embedded_lock import HELD, store_in_use
from mmrag.types import Item

TEXT = "text"
IMAGE = "image"
_GROUP_PAYLOAD = ["item_id", "chunk_index", "chunk_text"]

# One embedded engine per folder per process: both embedded engines lock their folder, so a second
# opener of the same folder (even in this process) would fail. Values: a QdrantClient or an EdgeStore.
_EMBEDDED: dict[str, Any] = {}


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
    """A qdrant-client: the server at ``store.url``, or local mode on the embedded folder."""
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
    """The store the config names: a server (``store.url``), else the embedded engine ``store.engine``."""
    if not cfg.store.url and cfg.store.engine == "edge":
        from mmrag.store.edge import open_edge

        return open_edge(cfg, _EMBEDDED)
    return VectorStore(_connect(cfg), location=cfg.store.url or str(cfg.store_path), batch_size=cfg.store.upsert_batch_size,
                       remote=bool(cfg.store.url), settings=cfg.store)


def close_embedded(path: str | Path) -> None:
    """Release an embedded store's lock (tests, and a CLI that ends)."""
    engine = _EMBEDDED.pop(str(Path(path)), None)
    HELD.discard(str(Path(path)))
    if engine is not None:
        engine.close()


#: Searches ask for this many more items than wanted, so items tied at the cut are ranked by ``best_first``.
TIE_MARGIN = 8


def best_first(hits: list[ChunkHit], limit: int | None = None) -> list[ChunkHit]:
    """Best score first, equal scores (fusion by rank ties often) by item id, cut at ``limit``: the same query
    ranks the same way every time, whatever order the engine's segments or threads returned them in."""
    return sorted(hits, key=lambda h: (-h.score, h.item_id))[:limit]


def _hit(item_id: str, score: float, payload: dict[str, Any] | None) -> ChunkHit:
    p = payload or {}
    # A head without the key stores its text once, as the Item's text: filled in by _fill_head_text.
    text = p["chunk_text"] if "chunk_text" in p else _SAME_AS_TEXT
    return ChunkHit(item_id, float(score), text, int(p.get("chunk_index", 0) or 0))


#: Marks a hit whose chunk text is the item's text (read after the search, for the few hits returned).
_SAME_AS_TEXT: Any = object()


def _item(payload: dict[str, Any] | None) -> Item:
    """The Item of a head point's payload (without the point-level fields)."""
    data = {k: v for k, v in (payload or {}).items() if k not in ("item_id", "chunk_index", "chunk_text")}
    return Item.model_validate(data)


class VectorStore:
    """Collections, batched upserts, existence checks and grouped search."""

    def __init__(self, client: QdrantClient, *, location: str = "", batch_size: int = 64, remote: bool = False,
                 settings: StoreConfig | None = None):
        self.client = client
        self.remote = remote
        self.location = location
        self.batch_size = max(1, batch_size)
        self.settings = settings or StoreConfig()
        self.engine = "server" if remote else "local"

    def close(self) -> None:
        """Nothing to release for a server; the embedded client is closed by ``close_embedded``."""

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
                vectors_config={k: models.VectorParams(size=d, distance=models.Distance.COSINE, on_disk=self.settings.on_disk_vectors or None)
                                for k, d in dims.items()},
                sparse_vectors_config={sparse: models.SparseVectorParams(modifier=models.Modifier.IDF)} if sparse else None,
                metadata={"mmrag_encoders": encoders},
                **(self._scale_settings() if self.remote else {}),  # local mode has no index, quantisation or shards
            )
            if self.remote:  # indexes make group_by, key filters and head scans fast; local mode has none
                for field in ("item_id", "item_key", "key", "source"):
                    self.client.create_payload_index(collection, field, models.PayloadSchemaType.KEYWORD)
                self.client.create_payload_index(collection, "chunk_index", models.PayloadSchemaType.INTEGER)
            return
        have_dims, have_enc = self.describe(collection)
        if have_dims != dims or (have_enc and have_enc != encoders):
            raise ConfigError(
                f"collection '{collection}' was built with vectors {have_dims} and encoders {have_enc}, "
                f"but the config now gives {dims} and {encoders}: use the old encoders, or rebuild it with "
                "`mmrag ingest --corpus NAME --recreate`"
            )

    def _scale_settings(self) -> dict[str, Any]:
        """The config's collection settings for scale, as create_collection arguments (unset ones: Qdrant's defaults)."""
        s, out = self.settings, {}
        if s.hnsw_m is not None or s.hnsw_ef_construct is not None:
            out["hnsw_config"] = models.HnswConfigDiff(m=s.hnsw_m, ef_construct=s.hnsw_ef_construct)
        if s.quantization == "int8":
            out["quantization_config"] = models.ScalarQuantization(
                scalar=models.ScalarQuantizationConfig(type=models.ScalarType.INT8, quantile=0.99, always_ram=True))
        if s.shard_number is not None:
            out["shard_number"] = s.shard_number
        if s.replication_factor is not None:
            out["replication_factor"] = s.replication_factor
        return out

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

    def flush(self, collection: str) -> None:
        """Make the writes so far durable and searchable at full speed (qdrant-client writes through: nothing to do)."""

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

    def head_keys(self, collection: str) -> dict[str, str]:
        """Every stored item's key -> id, in one pass (to find earlier versions of re-ingested keys)."""
        if not self.exists(collection):
            return {}
        return {p["key"]: str(p["item_id"]) for p in self.head_payloads(collection, ["key", "item_id"]) if p.get("key") and p.get("item_id")}

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
        params = self._search_params()
        if prefetch:
            args: dict[str, Any] = dict(
                prefetch=[
                    models.Prefetch(query=_query(v), using=name, limit=prefetch_limit or max(limit * 4, 50), filter=flt, params=params)
                    for name, v in prefetch
                ],
                query=fusion or models.FusionQuery(fusion=models.Fusion.RRF),
            )
        else:
            assert vector is not None
            args = dict(query=_query(vector), using=using, query_filter=flt, search_params=params)
        if not grouped:
            # One point per item (no chunk points, e.g. paragraphs): a plain query, much faster than grouping.
            res = self.client.query_points(collection, limit=limit + TIE_MARGIN, with_payload=_GROUP_PAYLOAD, **args)
            hits = [_hit(str((p.payload or {}).get("item_id") or p.id), p.score, p.payload) for p in res.points]
        else:
            res = self.client.query_points_groups(collection, group_by="item_id", limit=limit + TIE_MARGIN, group_size=1,
                                                  with_payload=_GROUP_PAYLOAD, **args)
            hits = [_hit(str(g.id), g.hits[0].score, g.hits[0].payload) for g in res.groups]
        return self._fill_head_text(collection, best_first(hits, limit))

    def _search_params(self) -> models.SearchParams | None:
        """Search-time HNSW ef and int8 rescoring (servers; local mode has neither index nor quantisation)."""
        s = self.settings
        if not self.remote or (s.hnsw_ef is None and s.quantization != "int8"):
            return None
        quant = models.QuantizationSearchParams(rescore=True, oversampling=s.quantization_oversampling) if s.quantization == "int8" else None
        return models.SearchParams(hnsw_ef=s.hnsw_ef, quantization=quant)

    def _fill_head_text(self, collection: str, hits: list[ChunkHit]) -> list[ChunkHit]:
        """Hits on heads that keep their chunk text as the item's text get it from ``text`` (one read for all)."""
        need = [h.item_id for h in hits if h.chunk_text is _SAME_AS_TEXT]
        texts = {pid: p.get("text") for pid, p in self._payloads(collection, need, ["text"]).items()} if need else {}
        for h in hits:
            if h.chunk_text is _SAME_AS_TEXT:
                h.chunk_text = texts.get(h.item_id)
        return hits

    def _payloads(self, collection: str, ids: list[str], fields: list[str]) -> dict[str, dict[str, Any]]:
        return {str(r.id): dict(r.payload or {}) for r in self.client.retrieve(collection, ids, with_payload=fields, with_vectors=False)}

    def stored_vectors(self, collection: str, ids: list[str], name: str = TEXT) -> dict[str, np.ndarray]:
        """The stored dense vectors ``name`` of these points (normalised by Qdrant's cosine distance)."""
        recs = self.client.retrieve(collection, ids, with_payload=False, with_vectors=[name]) if ids else []
        out = {}
        for r in recs:
            v = (r.vector or {}).get(name) if isinstance(r.vector, dict) else None
            if v is not None:
                out[str(r.id)] = np.asarray(v, dtype=np.float32)
        return out

    def stored_text_vectors(self, collection: str, ids: list[str]) -> dict[str, np.ndarray]:
        """The stored dense "text" vectors of head points."""
        return self.stored_vectors(collection, ids, TEXT)
