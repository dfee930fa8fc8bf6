"""The Qdrant store wrapper: locking, collection layout checks, batched upserts, grouped search."""

from __future__ import annotations

import numpy as np
import pytest
from qdrant_client import QdrantClient
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
