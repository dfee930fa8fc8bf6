"""The trained router: text encoder + TF-IDF features, per-route sigmoid outputs, the decision rule."""

from __future__ import annotations

import time
from pathlib import Path

from PIL import Image

from mmrag.encoders.base import TextEncoder
from mmrag.errors import ConfigError, InputError
from mmrag.registry import CorpusRegistry
from mmrag.routing.decision import check_tau, decide, route_modalities
from mmrag.routing.model import RouterModel
from mmrag.routing.train import embed_queries
from mmrag.types import RouteDecision


def check_query(query: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise InputError("the query is empty: give a question with some text")
    return query.strip()


def check_compatible(model: RouterModel, registry: CorpusRegistry, encoder: TextEncoder | None, where: str) -> None:
    """Refuses an artefact trained for other routes or another text encoder."""
    if set(model.labels) != set(registry.all_routes):
        raise ConfigError(
            f"router artefact '{where}' knows routes {', '.join(model.labels)} but the registry has "
            f"{', '.join(registry.all_routes)}; retrain it with `mmrag router train --data FILE.jsonl --out PATH`"
        )
    if model.uses_embedding:
        if encoder is None:
            raise ConfigError(f"router artefact '{where}' needs the text encoder '{model.encoder}'")
        if encoder.name != model.encoder or encoder.dim != model.embed_dim:
            raise ConfigError(
                f"router artefact '{where}' was trained with encoder '{model.encoder}' ({model.embed_dim}-d) but the "
                f"pipeline uses '{encoder.name}' ({encoder.dim}-d); retrain it or set encoders.text.model"
            )


class TrainedRouter:
    """Implements the ``Router`` protocol with a ``RouterModel``."""

    name = "trained"

    def __init__(self, model: RouterModel, registry: CorpusRegistry, encoder: TextEncoder | None = None,
                 tau: float = 0.5, source: str = "<memory>"):
        check_compatible(model, registry, encoder, source)
        self.model = model
        self.encoder = encoder
        self.tau = check_tau(tau)
        self.source = source
        self._modalities = route_modalities(registry)

    @classmethod
    def load(cls, path: str | Path, registry: CorpusRegistry, encoder: TextEncoder | None = None, tau: float = 0.5) -> "TrainedRouter":
        return cls(RouterModel.load(path), registry, encoder, tau, source=str(path))

    def probabilities(self, queries: list[str]) -> list[dict[str, float]]:
        emb = None
        if self.model.uses_embedding:
            emb = embed_queries(self.encoder, queries, self.model.max_chars)
        probs = self.model.predict_proba(queries, emb)
        return [{label: float(p) for label, p in zip(self.model.labels, row)} for row in probs]

    def warm_up(self) -> "TrainedRouter":
        """Pays one-off costs (lazy imports, n-gram analysers, first forward pass) before the first real query."""
        self.probabilities(["warm-up query"])
        return self

    def route(self, query: str, image: Image.Image | None = None) -> RouteDecision:
        # A query image does not change the route: the question text says which corpus answers it.
        start = time.perf_counter()
        query = check_query(query)
        probs = self.probabilities([query])[0]
        routes = decide(probs, self.tau, self._modalities)
        return RouteDecision(
            query=query, probabilities=probs, routes=routes, router=self.name,
            latency_ms=(time.perf_counter() - start) * 1000.0,
        )
