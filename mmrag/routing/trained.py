"""The trained router: text encoder + TF-IDF features, per-route sigmoid outputs, the decision rule."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PIL import Image

from mmrag.encoders.base import TextEncoder
from mmrag.embeddings import QueryEmbeddings
from mmrag.errors import ConfigError, InputError
from mmrag.registry import CorpusRegistry
from mmrag.routing.decision import check_tau, decide, route_modalities
from mmrag.routing.model import RouterModel
from mmrag.routing.features import embed_queries
from mmrag.routing.zero_shot import DescriptionRouteScorer
from mmrag.types import NO_RETRIEVAL, RouteDecision


def check_query(query: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise InputError("the query is empty: give a question with some text")
    return query.strip()


def check_encoder(model: RouterModel, encoder: TextEncoder | None, where: str) -> None:
    """Refuses an artefact trained on another text encoder's embeddings."""
    if model.uses_embedding:
        if encoder is None:
            raise ConfigError(f"router artefact '{where}' needs the text encoder '{model.encoder}'")
        if encoder.name != model.encoder or encoder.dim != model.embed_dim:
            raise ConfigError(
                f"router artefact '{where}' was trained with encoder '{model.encoder}' ({model.embed_dim}-d) but the "
                f"pipeline uses '{encoder.name}' ({encoder.dim}-d); retrain it or set encoders.text.model"
            )


#: Modalities of the UniversalRAG route labels, for artefacts trained before labels recorded theirs.
DEFAULT_LABEL_MODALITIES = {"paragraph": "text", "document": "text", "image": "image", "clip": "video", "video": "video"}


class TrainedRouter:
    """Implements the ``Router`` protocol with a ``RouterModel``, for any registry.

    The artefact's routes and the registry's need not match: routes the registry lacks are dropped (their
    probability mass goes to the remaining routes), and registry routes the artefact never saw are scored
    zero-shot from their description and examples (``DescriptionRouteScorer``, which scores every registry
    route the same way). An unseen route whose entry fits the question best of all, with probability z,
    takes that share from the trained routes: theirs are scaled by (1 - z).
    """

    name = "trained"

    def __init__(self, model: RouterModel, registry: CorpusRegistry, encoder: TextEncoder | None = None,
                 tau: float = 0.5, source: str = "<memory>", zero_shot: DescriptionRouteScorer | None = None):
        check_encoder(model, encoder, source)
        routes = registry.all_routes
        self.model = model
        self.encoder = encoder
        self.tau = check_tau(tau)
        self.source = source
        self.routes = routes
        self.dropped = [r for r in model.labels if r not in routes]
        self.unseen = [r for r in routes if r not in model.labels]
        self._modalities = route_modalities(registry)
        if self.unseen and zero_shot is None:
            if encoder is None:
                raise ConfigError(
                    f"router artefact '{source}' does not know route(s) {', '.join(self.unseen)}: scoring them from the "
                    "registry's descriptions needs the text encoder (or retrain with `mmrag router train`)"
                )
            zero_shot = DescriptionRouteScorer(encoder, registry.descriptions())
        self.zero_shot = zero_shot if self.unseen else None

    @classmethod
    def load(cls, path: str | Path, registry: CorpusRegistry, encoder: TextEncoder | None = None, tau: float = 0.5) -> "TrainedRouter":
        return cls(RouterModel.load(path), registry, encoder, tau, source=str(path))

    @property
    def needs_embedding(self) -> bool:
        return self.model.uses_embedding or self.zero_shot is not None

    def probabilities(self, queries: list[str],
                      embeddings: QueryEmbeddings | np.ndarray | None = None) -> list[dict[str, float]]:
        """Every registry route's probability per query. ``embeddings``: the question's memo (the pipeline's,
        shared with retrieval), or the queries' vectors from this router's encoder already computed (rows
        aligned with ``queries``: evaluation and benchmarks embed a batch once)."""
        emb = None
        if self.needs_embedding and isinstance(embeddings, np.ndarray):
            emb = embeddings
        elif self.needs_embedding:
            bound = embeddings is not None and self.encoder is not None
            encoder = embeddings.bind(self.encoder) if bound else self.encoder  # type: ignore[union-attr]
            emb = embed_queries(encoder, queries, self.model.max_chars)
        raw = self.model.predict_proba(queries, emb if self.model.uses_embedding else None)
        zero, best_described = self.zero_shot.score(emb) if self.zero_shot is not None else (None, None)
        out = []
        for i, row in enumerate(raw):
            probs = {label: float(p) for label, p in zip(self.model.labels, row) if label not in self.dropped}
            if self.dropped:
                probs = self._hand_over_dropped(probs, dict(zip(self.model.labels, map(float, row))))
            if zero is not None:
                unseen = self._unseen_share(zero[i], best_described[i])
                claim = max(unseen.values())
                probs = {r: p * (1.0 - claim) for r, p in probs.items()}
                probs.update(unseen)
            out.append({r: probs.get(r, 0.0) for r in self.routes})
        return out

    def _unseen_share(self, zero: dict[str, float], best_described: str) -> dict[str, float]:
        """The zero-shot probability of each unseen route where its description and examples fit the question
        best of all the registry's routes (known ones scored the same way) and its description alone does too,
        else 0: a route the router never saw must not take questions whose known route its own registry entry
        describes better. (The description check keeps a route with example questions, which score higher,
        from beating a route described without examples on the strength of the examples alone.)"""
        best = max(zero, key=zero.__getitem__)
        return {r: (zero[r] if r == best == best_described else 0.0) for r in self.unseen}

    def _hand_over_dropped(self, probs: dict[str, float], raw: dict[str, float]) -> dict[str, float]:
        """Gives each dropped route's probability to the registry's routes of the same modality (a document
        question goes to the paragraphs, a whole-video one to the clips); what has no such heir is shared by
        renormalising, so the remaining routes carry the whole mass a confident router gave."""
        label_modality = self.model.meta.get("modalities") or DEFAULT_LABEL_MODALITIES
        orphaned = False
        for d in self.dropped:
            heirs = [r for r in probs if r != NO_RETRIEVAL and self._modalities.get(r) == label_modality.get(d)]
            if not heirs:
                orphaned = True
                continue
            weight = sum(probs[r] for r in heirs)
            for r in heirs:
                share = probs[r] / weight if weight > 0 else 1.0 / len(heirs)
                probs[r] = min(1.0, probs[r] + raw[d] * share)
        total = sum(probs.values())
        if orphaned and 0.0 < total < 1.0:
            probs = {r: p / total for r, p in probs.items()}
        return probs

    def warm_up(self) -> "TrainedRouter":
        """Pays one-off costs (lazy imports, n-gram analysers, route prototypes, first forward pass) up front."""
        if self.zero_shot is not None:
            self.zero_shot.warm_up()
        self.probabilities(["warm-up query"])
        return self

    def route(self, query: str, image: Image.Image | None = None, *, embeddings: QueryEmbeddings | None = None) -> RouteDecision:
        # A query image does not change the route: the question text says which corpus answers it.
        start = time.perf_counter()
        query = check_query(query)
        probs = self.probabilities([query], embeddings)[0]
        routes = decide(probs, self.tau, self._modalities)
        return RouteDecision(
            query=query, probabilities=probs, routes=routes,
            router=self.name if self.zero_shot is None else f"{self.name} + zero-shot ({', '.join(self.unseen)})",
            latency_ms=(time.perf_counter() - start) * 1000.0,
        )
