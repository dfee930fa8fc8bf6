"""Sparse lexical vectors and dense / sparse / hybrid search in one collection; collections without sparse vectors."""

from __future__ import annotations

import json

import pytest
from tests.helpers.ingest import make_config, spec

from mmrag.ingest import Ingestor
from mmrag.registry import CorpusRegistry
from mmrag.retrieval import CollectionRetriever
from mmrag.retrieval.sparse import SPARSE, SparseEncoder, term_index
from mmrag.store.qdrant import TEXT, open_store

DOCS = {
    "kettle": "The Zorblax kettle model 7 boils water in ninety seconds and switches itself off.",
    "bread": "Sourdough bread rises slowly because wild yeast ferments the dough overnight.",
    "tea": "Green tea should steep in water below boiling, around eighty degrees, for two minutes.",
    "bikes": "A bicycle chain needs oil every few hundred kilometres to stop it rusting.",
}


def test_tokens_stem_and_drop_stopwords():
    enc = SparseEncoder()
    assert enc.tokens("The runners were running to the races") == ["runner", "were", "run", "race"]
    q = enc.encode_query("running runs")  # one stem, counted once
    assert q.indices == [term_index("run")] and q.values == [1.0]
    # Other languages drop their own stopwords too (bm25s's lists, read without importing bm25s).
    assert SparseEncoder("german").tokens("Die Läufer sind zu den Rennen gelaufen") == ["lauf", "renn", "gelauf"]


def test_document_weights_are_bm25_saturated_tf():
    enc = SparseEncoder(k1=1.2, b=0.75, avg_len=4)
    v = enc.encode_documents(["cat cat dog bird"])[0]  # 4 terms = avg_len: norm = k1
    w = dict(zip(v.indices, v.values))
    assert w[term_index("cat")] == pytest.approx(2 * 2.2 / (2 + 1.2))
    assert w[term_index("dog")] == pytest.approx(1 * 2.2 / (1 + 1.2))


def test_unknown_language_is_a_config_error():
    from mmrag.errors import ConfigError

    with pytest.raises(ConfigError, match="sparse_language"):
        SparseEncoder("klingon")


@pytest.fixture
def corpus(tmp_path, text_encoder):
    folder = tmp_path / "docs"
    folder.mkdir()
    with open(folder / "d.jsonl", "w", encoding="utf-8") as f:
        for k, t in DOCS.items():
            f.write(json.dumps({"id": k, "text": t}) + "\n")
    return folder


def _retriever(tmp_path, corpus, text_encoder, mode, **corpus_kw):
    cfg = make_config(tmp_path, **{"retrieval.mode": mode})
    store = open_store(cfg)
    registry = CorpusRegistry([spec("p", "paragraph", "text", "paragraph", **corpus_kw)])
    Ingestor(cfg, store, text_encoder=text_encoder).ingest(registry.get("p"), [corpus])
    return CollectionRetriever(cfg, registry, store), store


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
def test_every_mode_finds_the_exact_term_and_carries_signals(tmp_path, corpus, text_encoder, mode):
    r, store = _retriever(tmp_path, corpus, text_encoder, mode)
    assert SPARSE in store.sparse_vectors("p")
    hits = r.search("Zorblax 7", "paragraph", n=4).hits
    assert hits[0].item.key == "kettle"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    top = hits[0].signals
    assert top["sparse"] > 0 and -1 <= top["dense"] <= 1
    # A candidate with no query term has no lexical score.
    assert all(h.signals["sparse"] == 0.0 for h in hits if h.item.key == "bikes")
    if mode == "sparse":
        assert {h.item.key for h in hits} == {"kettle"}  # only lexical matches come back


@pytest.mark.parametrize("fusion", ["dbsf", "rrf"])
def test_hybrid_fusion_ranks_the_lexical_match_and_fuses_both_lists(tmp_path, corpus, text_encoder, fusion):
    cfg = make_config(tmp_path, **{"retrieval.mode": "hybrid", "retrieval.fusion": fusion})
    store = open_store(cfg)
    registry = CorpusRegistry([spec("p", "paragraph", "text", "paragraph")])
    Ingestor(cfg, store, text_encoder=text_encoder).ingest(registry.get("p"), [corpus])
    hits = CollectionRetriever(cfg, registry, store).search("Zorblax kettle", "paragraph", n=4).hits
    # Only the kettle matches lexically, yet every document comes back: the dense list is fused in.
    assert hits[0].item.key == "kettle" and len(hits) == 4
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    if fusion == "dbsf":
        # The kettle tops both lists: each normalised score is ≥ 0.5 above its list's mean, so its sum exceeds 1;
        # a document found by the dense list only gets its single normalised dense score (< 1).
        assert scores[0] > 1.0 and all(s < 1.0 for s in scores[1:])
    else:
        # RRF with Qdrant's k = 2: first in both lists -> 1/2 + 1/2.
        assert scores[0] == pytest.approx(1.0)


def test_corpus_mode_overrides_the_pipeline(tmp_path, corpus, text_encoder):
    r, _ = _retriever(tmp_path, corpus, text_encoder, "hybrid", retrieval_mode="sparse")
    assert r.mode_for(r.registry.get("p")) == "sparse"
    assert [h.item.key for h in r.search("sourdough yeast", "paragraph", n=4).hits] == ["bread"]


def test_collection_without_sparse_vectors_searches_dense_with_a_note(tmp_path, corpus, text_encoder):
    cfg = make_config(tmp_path, **{"retrieval.mode": "hybrid"})
    store = open_store(cfg)
    # The layout of collections created before sparse vectors: dense only.
    store.ensure_collection("p", {TEXT: text_encoder.dim}, {TEXT: text_encoder.name})
    registry = CorpusRegistry([spec("p", "paragraph", "text", "paragraph")])
    Ingestor(cfg, store, text_encoder=text_encoder).ingest(registry.get("p"), [corpus])
    assert store.sparse_vectors("p") == set()
    r = CollectionRetriever(cfg, registry, store)
    result = r.search("how long does tea steep", "paragraph", n=2)
    hits, notes = result.hits, result.notes
    assert hits[0].item.key == "tea"
    assert len(notes) == 1 and "re-ingest" in notes[0] and "\n" not in notes[0]


def test_signals_of_given_candidates_come_from_the_store(tmp_path, corpus, text_encoder):
    """Candidates without signals (e.g. from a pairs file) get the same signals as from the search itself."""
    from mmrag.rerank.signals import SignalModel, SignalScorer, shipped_model_path, store_signal_source

    r, _ = _retriever(tmp_path, corpus, text_encoder, "hybrid")
    hits = r.search("does green tea steep below boiling", "paragraph", n=4).hits
    bare = [h.model_copy(update={"signals": {}}) for h in hits]
    sc = SignalScorer(SignalModel.load(shipped_model_path()), store_signal_source(r.cfg, r))
    dense, sparse, coverage, n_terms, _, _ = sc.signals("does green tea steep below boiling", bare)
    assert dense == pytest.approx([h.signals["dense"] for h in hits], abs=1e-5)
    assert sparse == pytest.approx([h.signals["sparse"] for h in hits], abs=1e-5)
    # Query stems doe, green, tea, steep, below, boil: all but "doe" in the tea passage.
    assert n_terms == 6 and coverage[0] == pytest.approx(5 / 6) and max(coverage[1:]) < 5 / 6
    rs = sc.score("does green tea steep below boiling", hits).values
    assert hits[0].item.key == "tea" and rs[0] == max(rs)
