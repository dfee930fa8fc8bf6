"""The "unified" baseline as stages: search every collection and merge by score, with no routing.

``UnifiedRetriever`` is a ``Retriever`` whose one route, ``ALL_COLLECTIONS``, is every non-empty collection;
``UnifiedRouter`` always chooses that route. A pipeline with both (``pipeline.with_stages(...)``) runs the
baseline through the same scorer, selector and trace as the routed pipeline.
"""

from __future__ import annotations

import time

from PIL import Image

from mmrag.embeddings import QueryEmbeddings
from mmrag.errors import CorpusError
from mmrag.retrieval.collection import CollectionRetriever
from mmrag.store.qdrant import TEXT
from mmrag.types import Hit, RouteDecision, SearchResult

#: The pseudo-route of the unified baseline: every collection at once.
ALL_COLLECTIONS = "*"


class UnifiedRetriever:
    """Searches the text vector of every non-empty collection and merges the hits by score.

    The query is embedded once per encoder (through the question's ``QueryEmbeddings``), not once per
    collection, so "routed vs unified" compares searches, not repeated encoding. Scores of different
    collections are comparable only when they share an encoder; the merge is what one unified index would
    do, modality gap included.
    """

    def __init__(self, collections: CollectionRetriever):
        self.collections = collections

    def search(self, query: str, route: str = ALL_COLLECTIONS, n: int = 20, image: Image.Image | None = None, *,
               embeddings: QueryEmbeddings | None = None) -> SearchResult:
        if route != ALL_COLLECTIONS:
            raise CorpusError(f"the unified retriever searches every collection: ask for route '{ALL_COLLECTIONS}', not '{route}'")
        t_start = time.perf_counter()
        embeddings = embeddings if embeddings is not None else QueryEmbeddings()
        embed_before = embeddings.seconds
        store, hits = self.collections.store, []
        for spec in self.collections.registry:
            coll = spec.collection_name
            if not store.exists(coll) or store.count(coll) == 0:
                continue
            text_enc, _ = self.collections.encoders_for(spec)
            groups = store.search_groups(coll, vector=embeddings.text(text_enc, query), using=TEXT, limit=n)
            items = store.get_items(coll, [g.item_id for g in groups])
            for g in groups:
                if g.item_id in items:
                    hits.append(Hit(item=items[g.item_id], score=g.score, route=spec.route,
                                    matched_chunk=g.chunk_text if spec.granularity == "document" else None))
        if not hits:
            raise CorpusError("no corpus has anything stored: run `mmrag ingest --all`")
        hits.sort(key=lambda h: h.score, reverse=True)
        hits = [h.model_copy(update={"rank": i + 1}) for i, h in enumerate(hits[:n])]
        embed_s = embeddings.seconds - embed_before
        return SearchResult(hits=hits, embed_s=embed_s, search_s=max(0.0, time.perf_counter() - t_start - embed_s))


class UnifiedRouter:
    """The unified baseline's router: no routing, every question goes to ``ALL_COLLECTIONS``."""

    name = "unified"

    def route(self, query: str, image: Image.Image | None = None, *,
              embeddings: QueryEmbeddings | None = None) -> RouteDecision:
        return RouteDecision(query=query, probabilities={ALL_COLLECTIONS: 1.0}, routes=[ALL_COLLECTIONS], router=self.name)
