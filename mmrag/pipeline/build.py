"""Wiring: the pipeline's stages built from one config. The pipeline itself only runs them.

``Stages`` holds the five stages and the corpus registry. A stage given to it is used as is; a missing
one is built from the config the first time it is needed (so a command that only searches never loads
the generator), once, under a lock (threads answering questions at the same time never build twice).
"""

from __future__ import annotations

import threading
from typing import Any

from mmrag.config import MMRAGConfig
from mmrag.protocols import Generator, RelevancyScorer, Retriever, Router, Selector
from mmrag.registry import CorpusRegistry

STAGE_NAMES = ("registry", "router", "retriever", "scorer", "selector", "generator")


def build_registry(config: MMRAGConfig) -> CorpusRegistry:
    return CorpusRegistry.from_yaml(config.corpora_path)


def build_retriever(config: MMRAGConfig, registry: CorpusRegistry) -> Retriever:
    from mmrag.retrieval import CollectionRetriever

    return CollectionRetriever(config, registry)


def build_router(config: MMRAGConfig, registry: CorpusRegistry) -> Router:
    from mmrag.routing import load_router

    return load_router(config, registry)


def build_scorer(config: MMRAGConfig) -> RelevancyScorer:
    from mmrag.rerank import load_scorer

    return load_scorer(config)


def build_selector(config: MMRAGConfig) -> Selector:
    from mmrag.rerank import AdaptiveSelector

    r = config.rerank
    return AdaptiveSelector(r.tau, r.k, r.min_keep, r.rule)


def build_generator(config: MMRAGConfig) -> Generator:
    from mmrag.generate import load_generator

    return load_generator(config)


class Stages:
    """The registry and the five stages of one pipeline; missing ones are built from ``config`` on first use."""

    def __init__(self, config: MMRAGConfig, **given: Any):
        unknown = set(given) - set(STAGE_NAMES)
        if unknown:
            raise TypeError(f"unknown stage(s) {sorted(unknown)}: give {', '.join(STAGE_NAMES)}")
        self.config = config
        self._built: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        self._warm: set[str] = set()
        self._lock = threading.RLock()

    def is_built(self, name: str) -> bool:
        return name in self._built

    def is_warm(self, name: str) -> bool:
        """Whether ``warm_up`` has already loaded this stage."""
        return name in self._warm

    def given(self) -> dict[str, Any]:
        """The stages built or given so far (to share them with a sibling pipeline)."""
        with self._lock:
            return dict(self._built)

    def get(self, name: str) -> Any:
        stage = self._built.get(name)
        if stage is not None:
            return stage
        with self._lock:
            if name not in self._built:
                self._built[name] = self._build(name)
            return self._built[name]

    def _build(self, name: str) -> Any:
        cfg = self.config
        if name == "registry":
            return build_registry(cfg)
        if name == "retriever":
            return build_retriever(cfg, self.get("registry"))
        if name == "router":
            return build_router(cfg, self.get("registry"))
        if name == "scorer":
            return build_scorer(cfg)
        if name == "selector":
            return build_selector(cfg)
        if name == "generator":
            return build_generator(cfg)
        raise KeyError(name)

    def warm_up(self, names: tuple[str, ...]) -> None:
        """Build the named stages and load their models now (otherwise the first question pays for it).

        Then sets the process's torch thread count for answering questions (encoders.text.query_threads), here,
        once, rather than per call."""
        from mmrag.encoders.torch_threads import set_torch_threads

        for name in names:
            warm = getattr(self.get(name), "warm_up", None)
            if callable(warm):
                warm()
            self._warm.add(name)
        set_torch_threads(self.config.encoders.text.query_threads)
