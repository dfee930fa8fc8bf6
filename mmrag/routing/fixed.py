"""A router that always answers the configured routes (ablations, single-corpus setups)."""

from __future__ import annotations

import time

from PIL import Image

from mmrag.embeddings import QueryEmbeddings

from mmrag.errors import ConfigError
from mmrag.registry import CorpusRegistry
from mmrag.routing.dataset import normalise_route
from mmrag.routing.trained import check_query
from mmrag.types import RouteDecision


def check_routes(routes: list[str], registry: CorpusRegistry, what: str) -> list[str]:
    out = [normalise_route(r) for r in routes]
    for r in out:
        if r not in registry.all_routes:
            raise ConfigError(f"{what}: unknown route '{r}'; known routes: {', '.join(registry.all_routes)}")
    return out


class FixedRouter:
    name = "fixed"

    def __init__(self, routes: list[str], registry: CorpusRegistry):
        if not routes:
            raise ConfigError("routing.kind is 'fixed' but routing.fixed_routes is empty; list routes, e.g. [paragraph]")
        self.routes = check_routes(routes, registry, "routing.fixed_routes")
        self._all = registry.all_routes

    def route(self, query: str, image: Image.Image | None = None, *, embeddings: QueryEmbeddings | None = None) -> RouteDecision:
        start = time.perf_counter()
        query = check_query(query)
        probs = {r: (1.0 if r in self.routes else 0.0) for r in self._all}
        return RouteDecision(query=query, probabilities=probs, routes=list(self.routes), router=self.name,
                             latency_ms=(time.perf_counter() - start) * 1000.0)
