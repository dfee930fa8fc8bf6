"""Routing: which corpus (or none) answers a query. Routes come from the corpus registry."""

from __future__ import annotations

from pathlib import Path

from mmrag.config import MMRAGConfig
from mmrag.encoders.base import TextEncoder
from mmrag.protocols import Router
from mmrag.registry import CorpusRegistry
from mmrag.routing.decision import decide, route_modalities
from mmrag.routing.fixed import FixedRouter
from mmrag.routing.llm import LLMRouter
from mmrag.routing.model import RouterModel
from mmrag.routing.trained import TrainedRouter

DATA_DIR = Path(__file__).with_name("data")
#: The shipped default router, trained deterministically on the repository's data/routing/routing_set.jsonl.
DEFAULT_ARTEFACT = DATA_DIR / "default_router"


def artefact_path(config: MMRAGConfig) -> Path:
    return config.resolve_path(config.routing.artefact) if config.routing.artefact else DEFAULT_ARTEFACT


def load_trained_router(config: MMRAGConfig, registry: CorpusRegistry, text_encoder: TextEncoder | None = None,
                        path: str | Path | None = None) -> TrainedRouter:
    p = Path(path) if path else artefact_path(config)
    model = RouterModel.load(p)
    unseen = [r for r in registry.all_routes if r not in model.labels]
    if (model.uses_embedding or unseen) and text_encoder is None:
        from mmrag.encoders import load_text_encoder

        text_encoder = load_text_encoder(config.encoders.text)
    return TrainedRouter(model, registry, text_encoder, tau=config.routing.tau, source=str(p)).warm_up()


def load_router(config: MMRAGConfig, registry: CorpusRegistry, text_encoder: TextEncoder | None = None,
                client=None) -> Router:
    """The router the config asks for: trained (default), llm (with the trained one as fallback) or fixed."""
    r = config.routing  # routing.tau is bounded by the config itself
    if r.kind == "fixed":
        return FixedRouter(r.fixed_routes, registry)
    if r.kind == "llm":
        if client is None:
            from mmrag.model_client import OpenAIClient

            client = OpenAIClient(config.model_server)
        fallback = load_trained_router(config, registry, text_encoder) if r.llm_fallback else None
        return LLMRouter(client, registry, fallback=fallback, tau=r.tau)
    return load_trained_router(config, registry, text_encoder)


__all__ = [
    "DEFAULT_ARTEFACT", "FixedRouter", "LLMRouter", "RouterModel", "TrainedRouter",
    "decide", "load_router", "load_trained_router", "route_modalities",
]
