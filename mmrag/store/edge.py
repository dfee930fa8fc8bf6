"""The embedded store on qdrant-edge: Qdrant's own engine in-process (segments, payload indexes, HNSW, WAL).

Same facade as ``mmrag.store.qdrant.VectorStore`` (same layout: named dense vectors, the sparse vector with the
IDF modifier, head and chunk points grouped by ``item_id``). Layout on disk, under the store folder:
``edge/<collection>/`` is one edge shard per collection and ``edge/<collection>.json`` its mmrag metadata
(vector sizes, encoders, sparse vector names). The folder's ``.lock`` is held with ``flock`` while open, the
same lock qdrant-client's local mode takes, so ``embedded_lock.check_store_free`` answers for both engines.

Edge has no ``group_by``: a grouped search asks for a few times ``limit`` points and keeps the best point per
item, asking for more only when too few distinct items came back.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe
from qdrant_client import models

from mmrag.config import MMRAGConfig, StoreConfig
from mmrag.errors import ConfigError, CorpusError
from mmrag.store.embedded_lock import HELD, store_in_use
from mmrag.store.qdrant import TEXT, ChunkHit, PointData, Query, VectorStore, _GROUP_PAYLOAD, _hit, _item, TIE_MARGIN, best_first

#: Payload fields with an index: item grouping and deletes (item_id), re-ingest (key, item_key), heads (chunk_index).
_KEYWORD_INDEXES = ("item_id", "item_key", "key", "source")
_DEFAULT_RRF_K = 2  # Qdrant's default k for reciprocal rank fusion


def open_edge(cfg: MMRAGConfig, cache: dict[str, Any]) -> "EdgeStore":
    path = cfg.store_path
    cached = cache.get(str(path))
    if cached is not None:
        if not isinstance(cached, EdgeStore):
            raise ConfigError(f"the store '{path}' is already open in this process with store.engine: local; use one engine per folder")
        cached.batch_size, cached.settings = max(1, cfg.store.upsert_batch_size), cfg.store
        return cached
    store = EdgeStore(path, batch_size=cfg.store.upsert_batch_size, settings=cfg.store)
    cache[str(path)] = store
    HELD.add(str(path))
    return store


def _lock(path: Path) -> Any:
    """Takes ``<path>/.lock`` exclusively (non-blocking); the open file holds it until closed."""
    path.mkdir(parents=True, exist_ok=True)
    f = open(path / ".lock", "a+")
    try:
        import fcntl
    except ImportError:  # not POSIX: edge's own WAL lock still refuses a second opener
        return f
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise store_in_use(path) from None
    return f


def _legacy_collections(path: Path) -> list[str]:
    """Collections of a qdrant-client local-mode store in this folder (its ``meta.json``)."""
    meta = path / "meta.json"
    if not meta.is_file():
        return []
    try:
        return sorted((json.loads(meta.read_text(encoding="utf-8")).get("collections") or {}).keys())
    except (OSError, ValueError):
        return []


def _vec(v: Any) -> Any:
    if isinstance(v, models.SparseVector):
        return qe.SparseVector(indices=list(v.indices), values=[float(x) for x in v.values])
    return np.asarray(v, dtype=np.float32).tolist()


def _fusion(f: models.FusionQuery | models.RrfQuery | None) -> Any:
    if isinstance(f, models.RrfQuery):
        return qe.Fusion.Rrf(k=f.rrf.k or _DEFAULT_RRF_K, weights=f.rrf.weights)
    if isinstance(f, models.FusionQuery) and f.fusion == models.Fusion.DBSF:
        return qe.Fusion.Dbsf()
    return qe.Fusion.Rrf(k=_DEFAULT_RRF_K)


def _match(key: str, values: list[str]) -> qe.FieldCondition:
    return qe.FieldCondition(key=key, match=qe.MatchAny(any=list(values)))


class EdgeStore(VectorStore):
    """The ``VectorStore`` facade over one qdrant-edge shard per collection."""

    def __init__(self, path: Path, *, batch_size: int = 64, settings: StoreConfig | None = None):
        self.root = Path(path)
        self._lockfile = _lock(self.root)
        super().__init__(None, location=str(self.root), batch_size=batch_size, remote=False, settings=settings)  # type: ignore[arg-type]
        self.engine = "edge"
        self._shards: dict[str, qe.EdgeShard] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        if _legacy_collections(self.root):
            self._migrate_local()

    def _migrate_local(self) -> None:
        """Copies the collections of a qdrant-client local-mode store in this folder into edge shards, once.

        Points keep their ids, vectors and payloads (a head's chunk text equal to its text is dropped: stored once);
        the local-mode files then move to ``local-mode-backup/``, so nothing is lost and the copy is not repeated.
        """
        from qdrant_client import QdrantClient

        self._lockfile.close()  # local mode takes the same lock: let it, then take it back
        try:
            client = QdrantClient(path=str(self.root))
        except RuntimeError as e:
            self._lockfile = _lock(self.root)
            raise CorpusError(f"the embedded store '{self.root}' was written by qdrant-client's local mode and could not be "
                              f"read to migrate it ({e}): set store.engine: local, or move the folder away and re-ingest with "
                              "`mmrag ingest --all`") from None
        try:
            for name in _legacy_collections(self.root):
                if self.exists(name):
                    continue
                info = client.get_collection(name)
                vectors = info.config.params.vectors
                dims = {k: v.size for k, v in vectors.items()} if isinstance(vectors, dict) else {"": vectors.size}
                encoders = dict(((getattr(info.config, "metadata", None) or {}).get("mmrag_encoders")) or {})
                sparse = sorted((info.config.params.sparse_vectors or {}).keys())
                self.drop(name)  # an interrupted earlier copy
                self.ensure_collection(name, dims, encoders, sparse=sparse[0] if sparse else None)
                offset = None
                while True:
                    recs, offset = client.scroll(name, limit=1024, offset=offset, with_payload=True, with_vectors=True)
                    points = []
                    for r in recs:
                        payload = dict(r.payload or {})
                        if payload.get("key") and payload.get("chunk_text") == payload.get("text"):
                            payload.pop("chunk_text")
                        vecs = r.vector if isinstance(r.vector, dict) else {"": r.vector}
                        points.append(PointData(str(r.id), {k: v for k, v in vecs.items() if v is not None}, payload))  # type: ignore[arg-type]
                    self.upsert(name, points)
                    if offset is None:
                        break
                self.flush(name)
        finally:
            client.close()
            self._lockfile = _lock(self.root)
        backup = self.root / "local-mode-backup"
        backup.mkdir(exist_ok=True)
        for part in ("meta.json", "collection"):
            if (self.root / part).exists():
                os.replace(self.root / part, backup / part)
        logging.getLogger(__name__).warning("copied the local-mode store '%s' into the edge engine; its old files are in %s",
                                            self.root, backup)

    # -- shards ------------------------------------------------------------------------------------
    def _dir(self, collection: str) -> Path:
        if not collection or "/" in collection or "\\" in collection or collection.startswith("."):
            raise ConfigError(f"collection name '{collection}' is not a plain folder name: use letters, digits, '-' and '_'")
        return self.root / "edge" / collection

    def _meta_path(self, collection: str) -> Path:
        return self.root / "edge" / f"{collection}.json"

    def _shard(self, collection: str) -> qe.EdgeShard:
        shard = self._shards.get(collection)
        if shard is None:
            shard = qe.EdgeShard.load(str(self._dir(collection)))
            self._shards[collection] = shard
        return shard

    def _metadata(self, collection: str) -> dict[str, Any]:
        if collection not in self._meta:
            self._meta[collection] = json.loads(self._meta_path(collection).read_text(encoding="utf-8"))
        return self._meta[collection]

    def close(self) -> None:
        for shard in self._shards.values():
            try:
                shard.flush()
                shard.close()
            except Exception:  # noqa: BLE001 - the folder is gone (a removed temp dir): nothing left to save
                pass
        self._shards.clear()
        if not self._lockfile.closed:
            self._lockfile.close()

    # -- collections ---------------------------------------------------------------------------
    def exists(self, collection: str) -> bool:
        return collection in self._shards or (self._meta_path(collection).is_file() and self._dir(collection).is_dir())

    def ensure_collection(self, collection: str, dims: dict[str, int], encoders: dict[str, str], *, sparse: str | None = None) -> None:
        if self.exists(collection):
            return super().ensure_collection(collection, dims, encoders, sparse=sparse)  # checks the layout
        s = self.settings
        if s.edge_hnsw:
            hnsw = qe.HnswIndexConfig(m=s.hnsw_m or 16, ef_construct=s.hnsw_ef_construct or 100, full_scan_threshold=10000)
        else:
            # Exact search: m=0 builds no graph, but the optimiser still turns a full appendable segment into an immutable
            # one, searched by full scan. That halves the resident memory at 100k points (an appendable segment maps its
            # vectors twice and keeps its payload and sparse indexes on the heap) and is where int8 quantisation applies.
            hnsw = qe.HnswIndexConfig(m=0, ef_construct=100, full_scan_threshold=10000)
        quant = qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, quantile=0.99, always_ram=True) if s.quantization == "int8" else None
        memory = qe.Memory.Cold if s.on_disk_vectors else None
        config = qe.EdgeConfig(
            vectors={k: qe.EdgeVectorParams(size=d, distance=qe.Distance.Cosine, memory=memory) for k, d in dims.items()},
            sparse_vectors={sparse: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)} if sparse else None,
            hnsw_config=hnsw,
            quantization_config=quant,
            optimizers=None,  # Qdrant's defaults: segments past 10 MB of vectors become immutable (indexed when edge_hnsw)
        )
        folder = self._dir(collection)
        if folder.exists():  # a half-created collection (no metadata written): start it afresh
            shutil.rmtree(folder)
        shard = qe.EdgeShard.create(str(folder), config)
        for field in _KEYWORD_INDEXES:
            shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
        shard.update(qe.UpdateOperation.create_field_index("chunk_index", qe.PayloadSchemaType.Integer))
        self._shards[collection] = shard
        meta = {"dims": dims, "encoders": encoders, "sparse": [sparse] if sparse else []}
        tmp = self._meta_path(collection).with_suffix(".json.tmp")
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(tmp, self._meta_path(collection))  # written last: a collection exists once it is complete
        self._meta[collection] = meta

    def describe(self, collection: str) -> tuple[dict[str, int], dict[str, str]]:
        meta = self._metadata(collection)
        return {k: int(v) for k, v in meta["dims"].items()}, dict(meta.get("encoders") or {})

    def sparse_vectors(self, collection: str) -> set[str]:
        return set(self._metadata(collection).get("sparse") or [])

    def drop(self, collection: str) -> None:
        shard = self._shards.pop(collection, None)
        if shard is not None:
            shard.close()
        self._meta.pop(collection, None)
        self._meta_path(collection).unlink(missing_ok=True)
        shutil.rmtree(self._dir(collection), ignore_errors=True)

    def count(self, collection: str, heads_only: bool = False) -> int:
        if not self.exists(collection):
            return 0
        # Head points carry the whole Item; chunk points have no 'key'.
        flt = qe.Filter(must_not=[qe.IsEmptyCondition(key="key")]) if heads_only else None
        return int(self._shard(collection).count(qe.CountRequest(exact=True, filter=flt)))

    # -- writing ---------------------------------------------------------------------------------
    def existing_ids(self, collection: str, ids: list[str]) -> set[str]:
        if not ids or not self.exists(collection):
            return set()
        shard = self._shard(collection)
        found: set[str] = set()
        for i in range(0, len(ids), 1024):
            found.update(str(r.id) for r in shard.retrieve(ids[i : i + 1024], with_payload=False, with_vector=False))
        return found

    def upsert(self, collection: str, points: list[PointData]) -> None:
        shard = self._shard(collection)
        for i in range(0, len(points), self.batch_size):
            batch = [qe.Point(p.id, {k: _vec(v) for k, v in p.vectors.items()}, p.payload) for p in points[i : i + self.batch_size]]
            shard.update(qe.UpdateOperation.upsert_points(batch))  # one WAL record per batch

    def delete_items(self, collection: str, item_ids: list[str]) -> None:
        shard = self._shard(collection)
        for i in range(0, len(item_ids), 512):
            shard.update(qe.UpdateOperation.delete_points_by_filter(qe.Filter(must=[_match("item_id", item_ids[i : i + 512])])))

    def flush(self, collection: str) -> None:
        """Writes to disk, then Qdrant's optimisers (merging segments, vacuum; HNSW with ``store.edge_hnsw``)."""
        if self.exists(collection):
            shard = self._shard(collection)
            shard.flush()
            shard.optimize()

    # -- reading ---------------------------------------------------------------------------------
    def _payloads(self, collection: str, ids: list[str], fields: list[str] | bool) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        recs = self._shard(collection).retrieve(list(ids), with_payload=fields, with_vector=False)
        return {str(r.id): dict(r.payload or {}) for r in recs}

    def get_items(self, collection: str, ids: list[str]) -> dict[str, Any]:
        return {pid: _item(p) for pid, p in self._payloads(collection, ids, True).items()}

    def items_by_key(self, collection: str, keys: list[str]) -> dict[str, Any]:
        flt = qe.Filter(must=[_match("key", list(keys))])
        return {item.key: item for item in (_item(p) for p in self._scroll(collection, flt, True))}

    def head_payloads(self, collection: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        flt = qe.Filter(must=[qe.FieldCondition(key="chunk_index", match=qe.MatchValue(value=0))])
        return self._scroll(collection, flt, fields)

    def _scroll(self, collection: str, flt: qe.Filter, fields: list[str] | bool) -> Iterator[dict[str, Any]]:
        if not self.exists(collection):
            return
        shard, offset = self._shard(collection), None
        while True:
            recs, offset = shard.scroll(qe.ScrollRequest(offset=offset, limit=1024, filter=flt, with_payload=fields, with_vector=False))
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
        flt = qe.Filter(must=[_match("item_id", list(item_ids))]) if item_ids is not None else None
        shard = self._shard(collection)
        params = self._search_params()

        def request(n: int) -> qe.QueryRequest:
            if prefetch:
                pre = [qe.Prefetch(limit=max(prefetch_limit or max(limit * 4, 50), n), query=qe.Query.Nearest(_vec(v), using=name),
                                   filter=flt, params=params) for name, v in prefetch]
                return qe.QueryRequest(limit=n, prefetches=pre, query=_fusion(fusion), with_payload=_GROUP_PAYLOAD)
            assert vector is not None
            return qe.QueryRequest(limit=n, query=qe.Query.Nearest(_vec(vector), using=using), filter=flt, with_payload=_GROUP_PAYLOAD,
                                   params=params)

        if not grouped:
            pts = shard.query(request(limit + TIE_MARGIN))
            hits = [_hit(str((p.payload or {}).get("item_id") or p.id), p.score, p.payload) for p in pts]
            return self._fill_head_text(collection, best_first(hits, limit))
        n = max(limit * 4, 32)
        while True:
            pts = shard.query(request(n))
            best: dict[str, ChunkHit] = {}
            for p in pts:  # best first: the first point of an item is its best
                iid = str((p.payload or {}).get("item_id") or p.id)
                if iid not in best:
                    best[iid] = _hit(iid, p.score, p.payload)
            if len(best) >= limit + TIE_MARGIN or len(pts) < n:
                return self._fill_head_text(collection, best_first(list(best.values()), limit))
            n *= 4  # many chunks of few items: ask deeper

    def _search_params(self) -> qe.SearchParams | None:
        """Search-time HNSW ef, and with int8 vectors: rescore ``oversampling`` × limit candidates with the originals
        (edge's default without these params missed ~5 % of the exact top-10 on bench_store's vectors)."""
        s = self.settings
        quant = qe.QuantizationSearchParams(rescore=True, oversampling=s.quantization_oversampling) if s.quantization == "int8" else None
        if s.hnsw_ef is None and quant is None:
            return None
        return qe.SearchParams(hnsw_ef=s.hnsw_ef, quantization=quant)

    def stored_vectors(self, collection: str, ids: list[str], name: str = TEXT) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        out = {}
        for r in self._shard(collection).retrieve(list(ids), with_payload=False, with_vector=[name]):
            v = (r.vector or {}).get(name) if isinstance(r.vector, dict) else None
            if v is not None:
                out[str(r.id)] = np.asarray(v, dtype=np.float32)
        return out
