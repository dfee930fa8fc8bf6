"""The Qdrant store wrapper: locking, collection layout checks, batched upserts, grouped search."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from qdrant_client import QdrantClient, models
from tests.helpers.ingest import make_config

from mmrag.errors import ConfigError, CorpusError
from mmrag.store.qdrant import PointData, chunk_point_id, open_store


def test_locked_embedded_store_is_one_line_error(tmp_path):
    cfg = make_config(tmp_path)
    cfg.store_path.mkdir(parents=True)
    holder = QdrantClient(path=str(cfg.store_path))  # another owner of the folder
    try:
        with pytest.raises(CorpusError) as e:
            open_store(cfg)
        msg = str(e.value)
        assert "in use by another process" in msg and "store.url" in msg and "\n" not in msg
    finally:
        holder.close()


def test_collection_layout_is_checked(tmp_path):
    store = open_store(make_config(tmp_path))
    store.ensure_collection("c", {"text": 4}, {"text": "enc-a"})
    store.ensure_collection("c", {"text": 4}, {"text": "enc-a"})  # same layout: fine
    with pytest.raises(ConfigError, match="built with vectors"):
        store.ensure_collection("c", {"text": 8}, {"text": "enc-a"})
    with pytest.raises(ConfigError, match="enc-b"):
        store.ensure_collection("c", {"text": 4}, {"text": "enc-b"})


def test_grouped_search_returns_each_item_once_with_best_chunk(tmp_path):
    cfg = make_config(tmp_path, **{"store.upsert_batch_size": 2})
    store = open_store(cfg)
    store.ensure_collection("g", {"text": 3}, {"text": "t"})
    a, b = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
    v = lambda *x: np.array(x, dtype=np.float32) / np.linalg.norm(x)  # noqa: E731
    points = [
        PointData(chunk_point_id(a, 1), {"text": v(1, 0, 0)}, {"item_id": a, "chunk_index": 1, "chunk_text": "a1"}),
        PointData(chunk_point_id(a, 2), {"text": v(0.9, 0.1, 0)}, {"item_id": a, "chunk_index": 2, "chunk_text": "a2"}),
        PointData(a, {"text": v(0, 1, 0)}, {"item_id": a, "key": "a", "chunk_index": 0, "chunk_text": "a0"}),
        PointData(b, {"text": v(0.7, 0.7, 0)}, {"item_id": b, "key": "b", "chunk_index": 0, "chunk_text": "b0"}),
    ]
    store.upsert("g", points)  # two batches of two
    assert store.count("g") == 4 and store.count("g", heads_only=True) == 2
    assert store.existing_ids("g", [a, b, "00000000-0000-0000-0000-00000000000c"]) == {a, b}
    groups = store.search_groups("g", vector=v(1, 0, 0), limit=5)
    assert [(g.item_id, g.chunk_text) for g in groups] == [(a, "a1"), (b, "b0")]
    assert groups[0].score == pytest.approx(1.0)


@pytest.mark.parametrize("settings", [
    {"store.on_disk_vectors": True, "store.quantization": "int8", "store.quantization_oversampling": 2.0},
    {"store.edge_hnsw": True, "store.hnsw_m": 8, "store.hnsw_ef_construct": 32, "store.hnsw_ef": 64},
])
def test_edge_scale_settings_search_exact_neighbours(tmp_path, settings):
    # The settings reach the engine (collection config and per-query search params) and a small collection still
    # returns numpy's exact neighbours, plain and hybrid.
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 16)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    store = open_store(make_config(tmp_path, **{"store.engine": "edge", **settings}))
    store.ensure_collection("s", {"text": 16}, {"text": "t"}, sparse="sparse")
    ids = [str(uuid.UUID(int=i + 1)) for i in range(len(X))]
    store.upsert("s", [PointData(ids[i], {"text": X[i], "sparse": models.SparseVector(indices=[i], values=[1.0])},
                                 {"item_id": ids[i], "chunk_index": 0, "chunk_text": f"t{i}"}) for i in range(len(X))])
    store.flush("s")
    for qi in (0, 7, 123):
        q = X[qi] + 0.1 * rng.standard_normal(16).astype(np.float32)
        want = [ids[i] for i in np.argsort(-(X @ q))[:5]]
        assert [h.item_id for h in store.search_groups("s", vector=q, limit=5, grouped=False)] == want
        fused = store.search_groups("s", prefetch=[("text", q), ("sparse", models.SparseVector(indices=[qi], values=[1.0]))], limit=5)
        assert ids[qi] in {h.item_id for h in fused}
