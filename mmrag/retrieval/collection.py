"""``CollectionRetriever``: searches the collection behind a route, one hit per item (documents via their chunks)."""

from __future__ import annotations

import time

import numpy as np
from PIL import Image
from qdrant_client import models

from mmrag.config import MMRAGConfig
from mmrag.embeddings import QueryEmbeddings, query_vector
from mmrag.encoders import corpus_encoders, load_text_encoder
from mmrag.encoders.base import ImageTextEncoder, TextEncoder
from mmrag.errors import CorpusError
from mmrag.registry import CorpusRegistry, CorpusSpec
from mmrag.retrieval.sparse import SPARSE, SparseEncoder
from mmrag.store.qdrant import IMAGE, TEXT, ChunkHit, VectorStore, open_store
from mmrag.types import Hit, SearchResult

#: Keys of ``Hit.signals``: the candidate's dense cosine and sparse (BM25) score for this query.
DENSE_SIGNAL, SPARSE_SIGNAL = "dense", "sparse"


class CollectionRetriever:
    """Implements the ``Retriever`` protocol over the registry's collections.

    Text views are searched by ``retrieval.mode`` (a corpus's ``retrieval_mode`` overrides it): the dense
    "text" vector, the sparse lexical vector, or both fused in one Qdrant query (``retrieval.fusion``:
    distribution-based score fusion by default, or reciprocal rank fusion).
    Collections with an "image" vector add it to the fusion (the image-text model's text tower, or the query
    image). Every hit carries its dense cosine and sparse score (``Hit.signals``) for the relevancy scorer,
    read from the stored vectors, never by re-encoding the candidates.
    """

    def __init__(self, cfg: MMRAGConfig, registry: CorpusRegistry | None = None, store: VectorStore | None = None):
        self.cfg = cfg
        self.registry = registry or CorpusRegistry.from_yaml(cfg.corpora_path)
        self.store = store or open_store(cfg)
        self._encoders: dict[str, tuple[TextEncoder, ImageTextEncoder | None]] = {}
        self._sparse: SparseEncoder | None = None
        self._has_sparse: dict[str, bool] = {}

    def warm_up(self) -> "CollectionRetriever":
        """Loads what any first search needs: the sparse encoder (stemmer, stopwords) and the corpora's text encoders
        (an image–text model loads with the first search of a media route, as only those need it)."""
        self.sparse_encoder.encode_query("warm up")
        for spec in self.registry:
            load_text_encoder(self.cfg.encoders.text, spec.encoders.text)
        return self

    @property
    def sparse_encoder(self) -> SparseEncoder:
        if self._sparse is None:
            self._sparse = SparseEncoder.from_config(self.cfg.retrieval)
        return self._sparse

    def mode_for(self, spec: CorpusSpec) -> str:
        return spec.retrieval_mode or self.cfg.retrieval.mode

    def has_sparse(self, coll: str) -> bool:
        if coll not in self._has_sparse:
            self._has_sparse[coll] = SPARSE in self.store.sparse_vectors(coll)
        return self._has_sparse[coll]

    def _fusion(self) -> models.FusionQuery | models.RrfQuery:
        r = self.cfg.retrieval
        if r.fusion == "dbsf":
            return models.FusionQuery(fusion=models.Fusion.DBSF)
        if r.rrf_k is None and r.rrf_weights is None:
            return models.FusionQuery(fusion=models.Fusion.RRF)
        return models.RrfQuery(rrf=models.Rrf(k=r.rrf_k, weights=r.rrf_weights))

    def encoders_for(self, spec: CorpusSpec) -> tuple[TextEncoder, ImageTextEncoder | None]:
        if spec.name not in self._encoders:
            self._encoders[spec.name] = corpus_encoders(self.cfg, spec)
        return self._encoders[spec.name]

    def _check_collection(self, spec: CorpusSpec) -> dict[str, int]:
        coll = spec.collection_name
        if not self.store.exists(coll) or self.store.count(coll) == 0:
            raise CorpusError(
                f"corpus '{spec.name}' (route '{spec.route}') has nothing stored in collection '{coll}': "
                f"run `mmrag ingest --corpus {spec.name}`"
            )
        dims, _ = self.store.describe(coll)
        return dims

    def search(self, query: str, route: str, n: int = 20, image: Image.Image | None = None, *,
               embeddings: QueryEmbeddings | None = None) -> SearchResult:
        """The route's hits, best first; the query is embedded through ``embeddings`` (the question's memo, so a
        vector the router or another collection already computed is reused) and the time spent is reported."""
        t_start = time.perf_counter()
        embeddings = embeddings if embeddings is not None else QueryEmbeddings()
        embed_before = embeddings.seconds
        spec = self.registry.for_route(route)
        dims = self._check_collection(spec)
        text_enc, image_enc = self.encoders_for(spec)
        coll = spec.collection_name
        notes: list[str] = []
        mode = self.mode_for(spec)
        sparse_ok = self.has_sparse(coll)
        if mode != "dense" and not sparse_ok:
            notes.append(
                f"corpus '{spec.name}' was ingested before sparse vectors: searched dense only; "
                f"re-ingest it (`mmrag ingest --corpus {spec.name} --recreate`) for {mode} search"
            )
            mode = "dense"
        has_text = bool(query.strip())
        dense_q = embeddings.text(text_enc, query) if has_text and (mode != "sparse" or sparse_ok) else None
        sparse_q = self.sparse_encoder.encode_query(query) if has_text and sparse_ok else None
        if sparse_q is not None and not sparse_q.indices:
            sparse_q = None  # only stopwords: nothing lexical to match
        prefetch: list[tuple[str, np.ndarray | models.SparseVector]] = []
        image_s = 0.0
        if IMAGE in dims and image_enc is not None:
            if image is not None:
                t0 = time.perf_counter()
                image_q = image_enc.encode_images([image])[0]
                image_s = time.perf_counter() - t0
            else:
                image_q = embeddings.image_text(image_enc, query)
            prefetch.append((IMAGE, image_q))
        if mode in ("dense", "hybrid") and dense_q is not None:
            prefetch.insert(0, (TEXT, dense_q))
        if mode in ("sparse", "hybrid") and sparse_q is not None:
            prefetch.insert(min(1, len(prefetch)), (SPARSE, sparse_q))
        if not prefetch:  # e.g. sparse mode and a query of stopwords only
            if dense_q is None:
                dense_q = embeddings.text(text_enc, query)
            prefetch = [(TEXT, dense_q)]
        grouped = spec.granularity != "paragraph"  # only documents and media may have chunk points
        if len(prefetch) == 1:
            name, q = prefetch[0]
            groups = self.store.search_groups(coll, vector=q, using=name, limit=n, grouped=grouped)
        else:
            groups = self.store.search_groups(coll, prefetch=prefetch, prefetch_limit=max(self.cfg.retrieval.prefetch, n),
                                              limit=n, fusion=self._fusion(), grouped=grouped)
        signals = self._signals(coll, [g.item_id for g in groups], dense_q, sparse_q, grouped,
                                given={prefetch[0][0]: groups} if len(prefetch) == 1 else {})
        items = self.store.get_items(coll, [g.item_id for g in groups])
        hits = []
        for g in groups:
            item = items.get(g.item_id)
            if item is None:  # chunks whose head was never written: an interrupted ingest, not complete
                continue
            # Documents and whole videos are searched through chunks: say which one matched.
            matched = g.chunk_text if spec.granularity in ("document", "video") else None
            hits.append(Hit(item=item, score=g.score, rank=len(hits) + 1, route=route, matched_chunk=matched,
                            signals=signals.get(g.item_id, {})))
        embed_s = embeddings.seconds - embed_before + image_s
        return SearchResult(hits=hits, embed_s=embed_s, search_s=max(0.0, time.perf_counter() - t_start - embed_s), notes=notes)

    def _signals(self, coll: str, ids: list[str], dense_q, sparse_q, grouped: bool,
                 given: dict[str, list[ChunkHit]] | None = None) -> dict[str, dict[str, float]]:
        """Dense cosine and sparse score of each candidate, from the store, never by re-encoding candidates.

        Each signal comes from one unfiltered search of its vector (``retrieval.prefetch`` deep, the lists the
        fusion itself ranks); a candidate outside the dense list gets the cosine of its stored vector, one
        outside the sparse list scores 0 (no lexical match among the best).
        """
        out: dict[str, dict[str, float]] = {i: {} for i in ids}
        if not ids:
            return out
        given = given or {}
        depth = max(self.cfg.retrieval.prefetch, len(ids))
        for key, name, q in ((DENSE_SIGNAL, TEXT, dense_q), (SPARSE_SIGNAL, SPARSE, sparse_q)):
            if q is None:
                if key == SPARSE_SIGNAL and self._has_sparse.get(coll):
                    for i in ids:
                        out[i][key] = 0.0
                continue
            hits = given.get(name) or self.store.search_groups(coll, vector=q, using=name, limit=depth, grouped=grouped)
            found = {h.item_id: h.score for h in hits}
            if key == DENSE_SIGNAL and any(i not in found for i in ids):
                stored = self.store.stored_text_vectors(coll, [i for i in ids if i not in found])
                found.update({i: float(v @ q) for i, v in stored.items()})
            for i in ids:
                out[i][key] = float(found.get(i, 0.0))
        return out

    def signals_for(self, query: str, route: str, item_ids: list[str], *,
                    embeddings: QueryEmbeddings | None = None) -> dict[str, dict[str, float]]:
        """Search signals of given items of a route (scoring candidates that did not come from ``search``)."""
        spec = self.registry.for_route(route)
        self._check_collection(spec)
        text_enc, _ = self.encoders_for(spec)
        coll = spec.collection_name
        dense_q = query_vector(embeddings, text_enc, query)
        sparse_q = self.sparse_encoder.encode_query(query) if self.has_sparse(coll) else None
        if sparse_q is not None and not sparse_q.indices:
            sparse_q = None
        return self._signals(coll, list(item_ids), dense_q, sparse_q, spec.granularity != "paragraph")
