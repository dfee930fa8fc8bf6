"""CollectionRetriever across routes: the Retriever protocol, unified search, errors."""

from __future__ import annotations

import json

import pytest
from tests.helpers.ingest import make_config, spec

from mmrag.errors import CorpusError
from mmrag.ingest import Ingestor
from mmrag.protocols import Retriever
from mmrag.registry import CorpusRegistry
from mmrag.embeddings import QueryEmbeddings
from mmrag.retrieval import CollectionRetriever
from mmrag.retrieval.unified import ALL_COLLECTIONS, UnifiedRetriever
from mmrag.store.qdrant import open_store


@pytest.fixture
def two_corpora(tmp_path, text_encoder):
    paras = tmp_path / "paras"
    paras.mkdir()
    with open(paras / "p.jsonl", "w", encoding="utf-8") as f:
        f.write(json.dumps({"id": "bees", "text": "Worker bees build wax combs and feed the larvae."}) + "\n")
        f.write(json.dumps({"id": "rome", "text": "The Roman Empire was ruled from Rome by emperors."}) + "\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "volcano.md").write_text("# Volcanoes\n\nMagma rises and lava erupts from the crater.", encoding="utf-8")
    cfg = make_config(tmp_path)
    store = open_store(cfg)
    registry = CorpusRegistry([spec("p", "paragraph", "text", "paragraph"), spec("d", "document", "text", "document"),
                               spec("e", "image", "image", "image")])
    ing = Ingestor(cfg, store, text_encoder=text_encoder)
    ing.ingest(registry.get("p"), [paras])
    ing.ingest(registry.get("d"), [docs])
    return CollectionRetriever(cfg, registry, store)


def test_retriever_protocol_and_ranks(two_corpora):
    assert isinstance(two_corpora, Retriever)
    hits = two_corpora.search("who ruled the Roman Empire", "paragraph", n=2).hits
    assert [h.item.key for h in hits] == ["rome", "bees"]
    assert [h.rank for h in hits] == [1, 2] and all(h.route == "paragraph" for h in hits)
    assert hits[0].score > hits[1].score


def test_unified_retriever_merges_collections_by_score(two_corpora):
    embeddings = QueryEmbeddings()
    unified = UnifiedRetriever(two_corpora)
    assert isinstance(unified, Retriever)
    result = unified.search("lava erupting from a crater", ALL_COLLECTIONS, n=3, embeddings=embeddings)
    hits = result.hits
    # Two collections, one shared text encoder: the query was embedded once, not once per collection.
    assert embeddings.calls == 1 and result.embed_s > 0 and result.search_s > 0
    assert hits[0].item.key == "volcano.md" and hits[0].route == "document"
    assert {h.route for h in hits} == {"paragraph", "document"}  # the empty image corpus is left out
    assert [h.rank for h in hits] == [1, 2, 3]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_empty_route_names_the_ingest_command(two_corpora):
    with pytest.raises(CorpusError, match=r"run `mmrag ingest --corpus e`"):
        two_corpora.search("a photo", "image").hits
