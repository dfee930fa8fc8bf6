"""The pipeline: route → retrieve → relevancy-score rerank → generate, with a trace of every stage.

Every stage is any object with the stage's Protocol (mmrag/protocols.py); ``from_config`` builds the
defaults lazily, so a command that only searches never loads the generator.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from mmrag.config import MMRAGConfig, load_config
from mmrag.errors import CorpusError, InputError
from mmrag.protocols import Generator, RelevancyScorer, Retriever, Router, Selector
from mmrag.registry import CorpusRegistry
from mmrag.types import NO_RETRIEVAL, Answer, Hit, RouteDecision, Selection


@dataclass
class Retrieval:
    """What the stages before generation produced for one query."""

    query: str
    decision: RouteDecision
    candidates: dict[str, list[Hit]]
    selection: Selection
    scorer: str
    calibrated: bool
    timings: dict[str, float]
    notes: list[str]

    def trace(self) -> dict[str, Any]:
        # Match by (route, item id), not identity: a selector may return copies of the hits.
        scored = {(s.hit.route, s.hit.item.id): s for s in [*self.selection.kept, *self.selection.dropped]}
        candidates = {}
        for route, hits in self.candidates.items():
            rows = []
            for h in hits:
                s = scored.get((h.route, h.item.id))
                rows.append({"key": h.item.key, "id": h.item.id, "corpus": h.item.corpus, "rank": h.rank,
                             "score": round(h.score, 4), "rs": None if s is None else round(s.rs, 4),
                             "kept": bool(s and s.kept), "reason": None if s is None else s.reason})
            candidates[route] = rows
        def brief(s: Any) -> dict[str, Any]:
            it = s.hit.item
            return {"key": it.key, "id": it.id, "route": s.hit.route or it.route, "rs": round(s.rs, 4),
                    "score": round(s.hit.score, 4), "source": it.source, "title": it.title, "caption": it.caption,
                    "media_path": it.media_path, "start": it.start, "end": it.end, "span": it.span, "locator": it.locator,
                    "reason": s.reason}

        return {
            "query": self.query,
            "routes": self.decision.model_dump(),
            "candidates": candidates,
            "kept": [brief(s) for s in self.selection.kept],
            "dropped": [brief(s) for s in self.selection.dropped],
            "selection": {"tau": self.selection.tau, "k": self.selection.k},
            "scorer": {"name": self.scorer, "calibrated": self.calibrated},
            "timings": dict(self.timings),
            "notes": list(self.notes),
        }


class Pipeline:
    """Router → Retriever → RelevancyScorer + Selector → Generator."""

    def __init__(
        self,
        config: MMRAGConfig,
        *,
        registry: CorpusRegistry | None = None,
        router: Router | None = None,
        retriever: Retriever | None = None,
        scorer: RelevancyScorer | None = None,
        selector: Selector | None = None,
        generator: Generator | None = None,
    ):
        self.config = config
        self._registry = registry
        self._router = router
        self._retriever = retriever
        self._scorer = scorer
        self._selector = selector
        self._generator = generator

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: str | Path | dict[str, Any] | MMRAGConfig | None = None,
                    overrides: dict[str, Any] | None = None, **stages: Any) -> "Pipeline":
        """Build from a YAML path, a dict, or an ``MMRAGConfig``; ``stages`` replace any default stage."""
        if isinstance(config, MMRAGConfig):
            # Keep base_dir (excluded from dumps) so the config's relative paths still resolve.
            data = {**config.model_dump(), "base_dir": config.base_dir}
            cfg = config if not overrides else load_config(None, {**data, **overrides})
        elif isinstance(config, dict):
            cfg = load_config(None, {**config, **(overrides or {})})
        else:
            cfg = load_config(config, overrides)
        return cls(cfg, **stages)

    @property
    def registry(self) -> CorpusRegistry:
        if self._registry is None:
            self._registry = CorpusRegistry.from_yaml(self.config.corpora_path)
        return self._registry

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            from mmrag.retrieval import CollectionRetriever

            self._retriever = CollectionRetriever(self.config, self.registry)
            _time_encoders(self._retriever)
        return self._retriever

    @property
    def router(self) -> Router:
        if self._router is None:
            from mmrag.routing import load_router

            self._router = load_router(self.config, self.registry)
        return self._router

    @property
    def scorer(self) -> RelevancyScorer:
        if self._scorer is None:
            if self.config.rerank.scorer == NO_RERANKER:
                self._scorer = SearchScoreScorer()
            else:
                from mmrag.rerank import load_scorer

                self._scorer = load_scorer(self.config)
        return self._scorer

    @property
    def selector(self) -> Selector:
        if self._selector is None:
            from mmrag.rerank import selector_from_config

            self._selector = selector_from_config(self.config)
        return self._selector

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            from mmrag.generate import load_generator

            self._generator = load_generator(self.config)
        return self._generator

    def load(self, *, router: bool = True) -> "Pipeline":
        """Build every stage and load its models now (otherwise the first question pays for loading them)."""
        stages = [self.retriever, self.scorer, self.selector, self.generator] + ([self.router] if router else [])
        for stage in stages:
            warm = getattr(stage, "warm_up", None)
            if callable(warm):
                warm()
        return self

    # -- checks that need no model ---------------------------------------------------------------------
    def check(self, query: str, image: Image.Image | str | Path | None = None, *, routes: list[str] | None = None,
              k: int | None = None, tau: float | None = None, n_candidates: int | None = None) -> Image.Image | None:
        """Everything about a question that can be wrong without loading a model: the question, the routes
        (against the registry), k, tau, n_candidates, the image file, and the store (open, not locked by
        another process). Raises the one-line user error at once; returns the loaded image."""
        if not isinstance(query, str) or not query.strip():
            raise InputError("the question is empty: type a question")
        self.check_options(routes=routes, k=k, tau=tau, n_candidates=n_candidates, store=False)
        picture = _as_image(image)
        self._check_store()
        return picture

    def check_options(self, *, routes: list[str] | None = None, k: int | None = None, tau: float | None = None,
                      n_candidates: int | None = None, store: bool = True) -> None:
        """The per-question options, the registry and (``store``) the store, checked without loading a model."""
        self._selector_for(k, tau)
        n = self.config.rerank.n_candidates if n_candidates is None else n_candidates
        if n < 1:
            raise InputError(f"n_candidates = {n}: ask for at least 1 candidate per route")
        if routes:
            self._given_routes("", routes)
        else:
            _ = self.registry
        if store:
            self._check_store()

    def _check_store(self) -> None:
        """A locked embedded store fails here, not after the models load (a server store is checked on use)."""
        if self._retriever is None and not self.config.store.url:
            from mmrag.store.embedded_lock import check_store_free

            check_store_free(self.config.store_path)

    # -- stages before generation -----------------------------------------------------------------
    def retrieve(self, query: str, image: Image.Image | str | Path | None = None, *, routes: list[str] | None = None,
                 k: int | None = None, tau: float | None = None, n_candidates: int | None = None) -> Retrieval:
        """Route, search and rerank one query (no generation)."""
        image = self.check(query, image, routes=routes, k=k, tau=tau, n_candidates=n_candidates)
        selector = self._selector_for(k, tau)
        n = self.config.rerank.n_candidates if n_candidates is None else n_candidates
        timings: dict[str, float] = {}
        notes: list[str] = []

        t0 = time.perf_counter()
        decision = self._given_routes(query, routes) if routes else self.router.route(query, image=image)
        timings["route"] = time.perf_counter() - t0

        candidates: dict[str, list[Hit]] = {}
        errors: list[CorpusError] = []
        retriever = self.retriever
        _EMBED.seconds = 0.0
        t0 = time.perf_counter()
        for route in decision.routes:
            if route == NO_RETRIEVAL:
                continue
            try:
                candidates[route] = retriever.search(query, route, n=n, image=image)
                notes.extend(x for x in getattr(retriever, "notes", None) or [] if x not in notes)
            except CorpusError as e:
                # One empty or missing corpus should not sink the others the router also chose.
                errors.append(e)
                notes.append(f"route '{route}' skipped: {e}")
        searched = time.perf_counter() - t0
        if errors and not candidates:
            raise errors[0]
        timings["embed"] = _EMBED.seconds
        timings["search"] = max(0.0, searched - _EMBED.seconds)

        hits = [h for route_hits in candidates.values() for h in route_hits]
        scorer = self.scorer
        calibrated = bool(getattr(scorer, "calibrated", True))
        t0 = time.perf_counter()
        scores = scorer.score(query, hits) if hits else []
        selection = selector.select(hits, scores, calibrated=calibrated)
        timings["rerank"] = time.perf_counter() - t0
        name = getattr(scorer, "name", type(scorer).__name__)
        if not calibrated:
            notes.append(f"scorer '{name}' is uncalibrated: its scores are not probabilities")
        if hits and not selection.kept:
            notes.append(f"no candidate reached RS ≥ {selection.tau:g}: answering without sources")
        if note := getattr(scorer, "last_fallback", None):
            notes.append(note)
        return Retrieval(query, decision, candidates, selection, name, calibrated, timings, notes)

    def _given_routes(self, query: str, routes: list[str]) -> RouteDecision:
        """The decision for routes the caller chose (the router is skipped)."""
        known = self.registry.all_routes
        unknown = [r for r in routes if r not in known]
        if unknown:
            raise InputError(f"unknown route {', '.join(unknown)}; known routes: {', '.join(known)}")
        routes = list(dict.fromkeys(routes))
        return RouteDecision(query=query, probabilities={r: 1.0 for r in routes}, routes=routes, router="given")

    def _selector_for(self, k: int | None, tau: float | None) -> Selector:
        if k is None and tau is None:
            return self.selector
        from mmrag.rerank import AdaptiveSelector

        r = self.config.rerank
        k = r.k if k is None else k
        return AdaptiveSelector(r.tau if tau is None else tau, k, min(r.min_keep, max(k, 0)))

    # -- answering -----------------------------------------------------------------------------------
    def ask(self, query: str, image: Image.Image | str | Path | None = None, **overrides: Any) -> Answer:
        """Answer one question; ``overrides``: routes, k, tau, n_candidates."""
        image = _as_image(image)
        r = self.retrieve(query, image, **overrides)
        t0 = time.perf_counter()
        answer = self.generator.generate(query, r.selection.kept, image=image)
        r.timings["generate"] = time.perf_counter() - t0
        return _with_trace(answer, r)

    def stream(self, query: str, image: Image.Image | str | Path | None = None, **overrides: Any) -> Iterator[str | Answer]:
        """Yields text deltas as the model writes, then the final Answer (with its trace)."""
        image = _as_image(image)
        r = self.retrieve(query, image, **overrides)
        t0 = time.perf_counter()
        for part in self.generator.stream(query, r.selection.kept, image=image):
            if isinstance(part, Answer):
                r.timings["generate"] = time.perf_counter() - t0
                yield _with_trace(part, r)
            else:
                yield part

    async def aask(self, query: str, image: Image.Image | str | Path | None = None, **overrides: Any) -> Answer:
        """``ask`` without blocking the event loop (the stages run in a worker thread)."""
        return await asyncio.to_thread(self.ask, query, image, **overrides)

    def ask_many(self, queries: Iterable[str], *, concurrency: int = 4, **overrides: Any) -> list[Answer]:
        """Answer many questions, up to ``concurrency`` at a time; results in input order."""
        queries = list(queries)
        # Load every stage once up front so worker threads don't race to build them.
        self.load(router=not overrides.get("routes"))
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            return list(pool.map(lambda q: self.ask(q, **overrides), queries))


#: ``rerank.scorer: none`` — the ablation without a reranker: candidates keep their search score.
NO_RERANKER = "none"


class SearchScoreScorer:
    """RS = the retrieval score itself (uncalibrated): the "no reranker" ablation."""

    name = NO_RERANKER
    calibrated = False

    def score(self, query: str, hits: list[Hit]) -> list[float]:
        return [float(h.score) for h in hits]


# Seconds spent in the retriever's encoders during the current search, per thread (ask_many runs threads).
_EMBED = threading.local()


class _TimedEncoder:
    """Forwards to an encoder and adds the time of every encode call to ``_EMBED.seconds``."""

    def __init__(self, inner: Any):
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not name.startswith("encode") or not callable(attr):
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                _EMBED.seconds = getattr(_EMBED, "seconds", 0.0) + time.perf_counter() - t0

        return timed


def _time_encoders(retriever: Any) -> None:
    """Let the trace split query embedding from vector search for a ``CollectionRetriever``.

    The retriever embeds inside ``search``; wrapping the encoders it hands itself measures that part
    without changing what it computes. Other retrievers report their embedding inside "search".
    """
    inner = getattr(retriever, "_encoders_for", None)
    if inner is None or getattr(retriever, "_mmrag_timed", False):
        return

    def encoders_for(spec: Any) -> Any:
        text, image = inner(spec)
        return _TimedEncoder(text), (None if image is None else _TimedEncoder(image))

    retriever._encoders_for = encoders_for
    retriever._mmrag_timed = True


def _as_image(image: Image.Image | str | Path | None) -> Image.Image | None:
    if image is None or isinstance(image, Image.Image):
        return image
    from mmrag.media.images import load_image

    return load_image(image)


def _with_trace(answer: Answer, r: Retrieval) -> Answer:
    trace = r.trace()
    trace["notes"] = [*trace["notes"], *answer.notes]
    if answer.trace:  # what the generator recorded (backend, sources sent, images)
        trace["generator"] = answer.trace
    return answer.model_copy(update={"trace": trace})
