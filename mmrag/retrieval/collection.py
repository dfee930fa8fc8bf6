"""``CollectionRetriever``: searches the collection behind a route, one hit per item (documents via their chunks)."""

from __future__ import annotations

from PIL import Image

from mmrag.config import MMRAGConfig
from mmrag.encoders.base import ImageTextEncoder, TextEncoder
from mmrag.errors import CorpusError
from mmrag.ingest.runner import corpus_encoders
from mmrag.registry import CorpusRegistry, CorpusSpec
from mmrag.store.qdrant import IMAGE, TEXT, VectorStore, open_store
from mmrag.types import Hit


class CollectionRetriever:
    """Implements the ``Retriever`` protocol over the registry's collections.

    Text-only collections are searched on the "text" vector with the text encoder. Collections with an
    "image" vector are searched on both vectors (text encoder on "text"; the image-text model's text tower, or
    the query image, on "image"), fused by reciprocal rank fusion inside Qdrant.
    """

    def __init__(self, cfg: MMRAGConfig, registry: CorpusRegistry | None = None, store: VectorStore | None = None):
        self.cfg = cfg
        self.registry = registry or CorpusRegistry.from_yaml(cfg.corpora_path)
        self.store = store or open_store(cfg)
        self._encoders: dict[str, tuple[TextEncoder, ImageTextEncoder | None]] = {}

    def _encoders_for(self, spec: CorpusSpec) -> tuple[TextEncoder, ImageTextEncoder | None]:
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

    def search(self, query: str, route: str, n: int = 20, image: Image.Image | None = None) -> list[Hit]:
        spec = self.registry.for_route(route)
        dims = self._check_collection(spec)
        text_enc, image_enc = self._encoders_for(spec)
        coll = spec.collection_name
        if IMAGE in dims and image_enc is not None:
            image_q = image_enc.encode_images([image])[0] if image is not None else image_enc.encode_texts([query])[0]
            prefetch = [(IMAGE, image_q)]
            if query.strip():
                prefetch.insert(0, (TEXT, text_enc.encode([query])[0]))
            groups = self.store.search_groups(coll, prefetch=prefetch, limit=n)
        else:
            groups = self.store.search_groups(coll, vector=text_enc.encode([query])[0], using=TEXT, limit=n)
        items = self.store.get_items(coll, [g.item_id for g in groups])
        hits = []
        for g in groups:
            item = items.get(g.item_id)
            if item is None:  # chunks whose head was never written: an interrupted ingest, not complete
                continue
            # Documents and whole videos are searched through chunks: say which one matched.
            matched = g.chunk_text if spec.granularity in ("document", "video") else None
            hits.append(Hit(item=item, score=g.score, rank=len(hits) + 1, route=route, matched_chunk=matched))
        return hits

    def search_all(self, query: str, n: int = 20) -> list[Hit]:
        """Unified search over every non-empty collection, merged by score (the ablation without routing).

        Scores of different collections are cosine similarities of the same text encoder only when the
        corpora share it; the merge is what a single unified index would do, modality gap included.
        """
        hits: list[Hit] = []
        for spec in self.registry:
            if not self.store.exists(spec.collection_name) or self.store.count(spec.collection_name) == 0:
                continue
            text_enc, _ = self._encoders_for(spec)
            groups = self.store.search_groups(spec.collection_name, vector=text_enc.encode([query])[0], using=TEXT, limit=n)
            items = self.store.get_items(spec.collection_name, [g.item_id for g in groups])
            for g in groups:
                if g.item_id in items:
                    hits.append(Hit(item=items[g.item_id], score=g.score, route=spec.route,
                                    matched_chunk=g.chunk_text if spec.granularity == "document" else None))
        if not hits:
            raise CorpusError("no corpus has anything stored: run `mmrag ingest --all`")
        hits.sort(key=lambda h: h.score, reverse=True)
        return [h.model_copy(update={"rank": i + 1}) for i, h in enumerate(hits[:n])]
