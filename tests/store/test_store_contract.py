"""One contract for every store backend: qdrant-edge (embedded default), qdrant-client local mode, and a Qdrant
server when MMRAG_QDRANT_URL is set (skipped otherwise). Same calls, same answers."""

from __future__ import annotations

import fcntl
import os
import uuid

import numpy as np
import pytest
from qdrant_client import models
from tests.helpers.ingest import make_config

from mmrag.errors import ConfigError, CorpusError
from mmrag.store.embedded_lock import check_store_free
from mmrag.store.qdrant import PointData, chunk_point_id, close_embedded, open_store
from mmrag.types import Item

SERVER = os.environ.get("MMRAG_QDRANT_URL")
BACKENDS = ["edge", "local", pytest.param("server", marks=pytest.mark.skipif(not SERVER, reason="set MMRAG_QDRANT_URL to a Qdrant server"))]


def unit(*x: float) -> np.ndarray:
    v = np.array(x, dtype=np.float32)
    return v / np.linalg.norm(v)


def sparse(**terms: float) -> models.SparseVector:
    idx = sorted(int(k[1:]) for k in terms)
    return models.SparseVector(indices=idx, values=[terms[f"t{i}"] for i in idx])


def item(iid: str, key: str, text: str, source: str = "/src/a.md") -> Item:
    return Item(id=iid, key=key, corpus="c", route="paragraph", modality="text", granularity="document", source=source, text=text)


def head(it: Item, vec, sp=None, chunk_text: str | None = None) -> PointData:
    payload = {**it.model_dump(mode="json"), "item_id": it.id, "item_key": it.key, "chunk_index": 0}
    if chunk_text is not None:  # else the head's chunk is the item's whole text, stored once
        payload["chunk_text"] = chunk_text
    return PointData(it.id, {"text": vec, **({"sparse": sp} if sp is not None else {})}, payload)


def chunk(it: Item, index: int, vec, text: str, sp=None) -> PointData:
    return PointData(chunk_point_id(it.id, index), {"text": vec, **({"sparse": sp} if sp is not None else {})},
                     {"item_id": it.id, "item_key": it.key, "chunk_index": index, "chunk_text": text})


A, B, C = (str(uuid.UUID(int=i)) for i in (10, 11, 12))


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    kind = request.param
    over = {"store.url": SERVER} if kind == "server" else {"store.engine": kind}
    cfg = make_config(tmp_path, **over)
    store = open_store(cfg)
    name = f"contract-{uuid.uuid4().hex[:8]}"  # unique on a shared server
    yield cfg, store, name
    store.drop(name)
    if kind != "server":
        close_embedded(cfg.store_path)


@pytest.fixture
def filled(backend):
    cfg, store, name = backend
    store.ensure_collection(name, {"text": 3}, {"text": "enc"}, sparse="sparse")
    a = item(A, "a.md", "alpha whole document text about lava", "/src/a.md")
    b = item(B, "b.md", "beta passage", "/src/b.md")
    c = item(C, "c.md", "gamma passage", "/src/c.md")
    points = [
        chunk(a, 1, unit(1, 0, 0), "alpha chunk one", sparse(t1=1.0)),
        chunk(a, 2, unit(0.9, 0.1, 0), "alpha chunk two", sparse(t2=1.0)),
        head(a, unit(0, 1, 0), sparse(t3=1.0), chunk_text="alpha head chunk"),
        head(b, unit(0.7, 0.7, 0), sparse(t4=1.0, t5=0.5)),
        head(c, unit(0, 0, 1), sparse(t5=1.0)),
    ]
    store.upsert(name, points)
    store.flush(name)
    return cfg, store, name, points


def test_create_checks_layout(backend):
    _, store, name = backend
    assert not store.exists(name) and store.count(name) == 0
    store.ensure_collection(name, {"text": 3}, {"text": "enc"}, sparse="sparse")
    store.ensure_collection(name, {"text": 3}, {"text": "enc"}, sparse="sparse")  # same layout: fine
    assert store.exists(name)
    assert store.describe(name) == ({"text": 3}, {"text": "enc"}) and store.sparse_vectors(name) == {"sparse"}
    with pytest.raises(ConfigError, match="built with vectors"):
        store.ensure_collection(name, {"text": 4}, {"text": "enc"})
    with pytest.raises(ConfigError, match="other-enc"):
        store.ensure_collection(name, {"text": 3}, {"text": "other-enc"})


def test_upsert_count_and_idempotent_reupsert(filled):
    _, store, name, points = filled
    assert store.count(name) == 5 and store.count(name, heads_only=True) == 3
    assert store.existing_ids(name, [A, B, str(uuid.UUID(int=99))]) == {A, B}
    store.upsert(name, points)  # the very same points again: nothing changes
    assert store.count(name) == 5 and store.count(name, heads_only=True) == 3
    items = store.get_items(name, [A, B, C])
    assert items[A].text == "alpha whole document text about lava" and items[B].source == "/src/b.md"
    assert np.allclose(store.stored_vectors(name, [B])[B], unit(0.7, 0.7, 0), atol=1e-6)


def test_plain_and_grouped_search(filled):
    _, store, name, _ = filled
    plain = store.search_groups(name, vector=unit(1, 0, 0), limit=3, grouped=False)
    assert [h.item_id for h in plain] == [A, A, B]  # points, best first: two chunks of A, then B
    assert plain[0].score == pytest.approx(1.0, abs=1e-5) and plain[0].chunk_text == "alpha chunk one"
    groups = store.search_groups(name, vector=unit(1, 0, 0), limit=5)
    assert [(g.item_id, g.chunk_text, g.chunk_index) for g in groups] == [
        (A, "alpha chunk one", 1), (B, "beta passage", 0), (C, "gamma passage", 0)]  # heads keep their text once
    only = store.search_groups(name, vector=unit(1, 0, 0), limit=5, item_ids=[B, C])
    assert [g.item_id for g in only] == [B, C]
    assert [g.item_id for g in store.search_groups(name, vector=unit(0, 1, 0), limit=1)] == [A]


def test_sparse_and_hybrid_search(filled):
    _, store, name, _ = filled
    lexical = store.search_groups(name, vector=sparse(t5=1.0), using="sparse", limit=5)
    assert {g.item_id for g in lexical} == {B, C} and lexical[0].item_id == C  # C's only term; B has it at 0.5
    # Both lists fused by RRF, each item once; B is first in both, C only in the sparse list's second place.
    fused = store.search_groups(name, prefetch=[("text", unit(0.7, 0.7, 0)), ("sparse", sparse(t4=1.0, t5=1.0))], limit=5,
                                fusion=models.RrfQuery(rrf=models.Rrf(k=2)))
    assert len(fused) == 3 and {g.item_id for g in fused} == {A, B, C} and fused[0].item_id == B
    only_dense = store.search_groups(name, prefetch=[("text", unit(1, 0, 0))], limit=2)
    assert [g.item_id for g in only_dense] == [A, B]


def test_delete_and_payload_filters(filled):
    _, store, name, _ = filled
    assert store.head_keys(name) == {"a.md": A, "b.md": B, "c.md": C}
    assert set(store.items_by_key(name, ["b.md", "zzz"])) == {"b.md"}
    assert sorted(p["source"] for p in store.head_payloads(name, ["item_id", "source"])) == ["/src/a.md", "/src/b.md", "/src/c.md"]
    store.delete_items(name, [A])  # its head and both chunks
    assert store.count(name) == 2 and store.existing_ids(name, [A, chunk_point_id(A, 1)]) == set()
    assert [g.item_id for g in store.search_groups(name, vector=unit(1, 0, 0), limit=5)] == [B, C]


def test_embedded_store_reopens_with_its_data(tmp_path):
    for engine in ("edge", "local"):
        cfg = make_config(tmp_path / engine, **{"store.engine": engine})
        store = open_store(cfg)
        store.ensure_collection("r", {"text": 3}, {"text": "enc"})
        store.upsert("r", [head(item(A, "a", "x"), unit(1, 0, 0)), head(item(B, "b", "y"), unit(0, 1, 0))])
        store.flush("r")
        close_embedded(cfg.store_path)
        store = open_store(cfg)
        assert store.count("r") == 2 and store.search_groups("r", vector=unit(0, 1, 0), limit=1)[0].item_id == B
        close_embedded(cfg.store_path)


def test_edge_store_is_locked_per_folder(tmp_path):
    cfg = make_config(tmp_path)
    cfg.store_path.mkdir(parents=True)
    with open(cfg.store_path / ".lock", "a+") as other:  # another process holding the folder
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(CorpusError, match="in use by another process"):
            check_store_free(cfg.store_path)
        with pytest.raises(CorpusError, match="in use by another process") as e:
            open_store(cfg)
        assert "\n" not in str(e.value)
    open_store(cfg)  # free again
    close_embedded(cfg.store_path)


def test_local_mode_store_is_migrated_to_edge_once(tmp_path):
    local = make_config(tmp_path, **{"store.engine": "local"})
    store = open_store(local)
    store.ensure_collection("old", {"text": 3}, {"text": "enc"}, sparse="sparse")
    a = item(A, "a.md", "alpha text")
    store.upsert("old", [chunk(a, 1, unit(1, 0, 0), "alpha chunk", sparse(t1=1.0)),
                         head(a, unit(0, 1, 0), sparse(t2=1.0), chunk_text="alpha text")])  # main's layout: text twice
    close_embedded(local.store_path)
    cfg = make_config(tmp_path)  # the default engine, edge
    store = open_store(cfg)
    assert store.engine == "edge" and store.count("old") == 2 and store.describe("old") == ({"text": 3}, {"text": "enc"})
    assert [(g.item_id, g.chunk_text) for g in store.search_groups("old", vector=sparse(t2=1.0), using="sparse", limit=2)] == [(A, "alpha text")]
    assert store.get_items("old", [A])[A].text == "alpha text"
    close_embedded(cfg.store_path)
    assert (cfg.store_path / "local-mode-backup" / "meta.json").is_file() and not (cfg.store_path / "meta.json").exists()
    assert open_store(cfg).count("old") == 2  # copied once; reopened from edge
    close_embedded(cfg.store_path)


def test_equal_scores_rank_by_item_id(backend):
    cfg, store, name = backend
    store.ensure_collection(name, {"text": 3}, {"text": "enc"}, sparse="sparse")
    ids = [str(uuid.UUID(int=i)) for i in (31, 30, 33, 32)]  # stored out of order, one vector for all
    store.upsert(name, [head(item(i, f"{i}.md", "same text"), unit(1, 1, 0), sparse(t1=1.0)) for i in ids])
    for grouped in (True, False):
        hits = store.search_groups(name, vector=unit(1, 1, 0), limit=3, grouped=grouped)
        assert [h.item_id for h in hits] == sorted(ids)[:3]
