"""The pipeline: route → retrieve → relevancy-score rerank → generate, with a typed trace of every stage.

Every stage is any object with the stage's Protocol (mmrag/protocols.py). The pipeline only runs them:
it builds none of them (``Stages`` in build.py does, from the config) and keeps no per-question state, so
one pipeline answers many questions at once. Each question gets its own ``QueryEmbeddings``, passed to
every stage, so each encoder embeds the question once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from mmrag.config import MMRAGConfig, check_selection, load_config
from mmrag.embeddings import QueryEmbeddings
from mmrag.errors import CorpusError, InputError
from mmrag.pipeline.build import Stages
from mmrag.protocols import Generator, RelevancyScorer, Retriever, Router, Selector
from mmrag.registry import CorpusRegistry
from mmrag.types import (
    NO_RETRIEVAL,
    Answer,
    CandidateTrace,
    Hit,
    KeptTrace,
    RouteDecision,
    ScoredHit,
    Scores,
    ScorerTrace,
    Selection,
    SelectionTrace,
    Trace,
)


@dataclass
class Retrieval:
    """What the stages before generation produced for one query."""

    query: str
    decision: RouteDecision
    candidates: dict[str, list[Hit]]
    selection: Selection
    scores: Scores
    timings: dict[str, float]
    notes: list[str]
    embeddings: QueryEmbeddings | None = None

    @property
    def scorer(self) -> str:
        return self.scores.scorer

    @property
    def calibrated(self) -> bool:
        return self.scores.calibrated

    def trace(self) -> Trace:
        # Match by (route, item id), not identity: a selector may return copies of the hits.
        scored = {(s.hit.route, s.hit.item.id): s for s in [*self.selection.kept, *self.selection.dropped]}
        candidates: dict[str, list[CandidateTrace]] = {}
        for route, hits in self.candidates.items():
            rows = []
            for h in hits:
                s = scored.get((h.route, h.item.id))
                rows.append(CandidateTrace(key=h.item.key, id=h.item.id, corpus=h.item.corpus, rank=h.rank,
                                           score=round(h.score, 4), rs=None if s is None else round(s.rs, 4),
                                           kept=bool(s and s.kept), reason=None if s is None else s.reason))
            candidates[route] = rows
        return Trace(
            query=self.query,
            decision=self.decision,
            candidates=candidates,
            kept=[_brief(s) for s in self.selection.kept],
            dropped=[_brief(s) for s in self.selection.dropped],
            selection=SelectionTrace(tau=self.selection.tau, k=self.selection.k),
            scorer=ScorerTrace(name=self.scores.scorer, calibrated=self.scores.calibrated),
            timings=dict(self.timings),
            notes=list(self.notes),
        )


def _brief(s: ScoredHit) -> KeptTrace:
    it = s.hit.item
    return KeptTrace(key=it.key, id=it.id, route=s.hit.route or it.route, rs=round(s.rs, 4), score=round(s.hit.score, 4),
                     source=it.source, title=it.title, caption=it.caption, media_path=it.media_path, start=it.start,
                     end=it.end, span=it.span, locator=it.locator, reason=s.reason)


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
        self.stages = Stages(config, registry=registry, router=router, retriever=retriever, scorer=scorer,
                             selector=selector, generator=generator)

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

    def with_stages(self, **stages: Any) -> "Pipeline":
        """A pipeline of the same config sharing this one's stages, with ``stages`` replaced (e.g. a baseline)."""
        return Pipeline(self.config, **{**self.stages.given(), **stages})

    @property
    def registry(self) -> CorpusRegistry:
        return self.stages.get("registry")

    @property
    def retriever(self) -> Retriever:
        return self.stages.get("retriever")

    @property
    def router(self) -> Router:
        return self.stages.get("router")

    @property
    def scorer(self) -> RelevancyScorer:
        return self.stages.get("scorer")

    @property
    def selector(self) -> Selector:
        return self.stages.get("selector")

    @property
    def generator(self) -> Generator:
        return self.stages.get("generator")

    def load(self, *, router: bool = True, generator: bool = True) -> "Pipeline":
        """Build every stage and load its models now (otherwise the first question pays for loading them)."""
        names = ("retriever", "scorer", "selector") + (("generator",) if generator else ()) + (("router",) if router else ())
        self.stages.warm_up(names)
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
        if k is not None or tau is not None:
            r = self.config.rerank
            k_ = r.k if k is None else k
            check_selection(r.tau if tau is None else tau, k_, min(r.min_keep, max(k_, 0)))
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
        if not self.stages.is_built("retriever") and not self.config.store.url:
            from mmrag.store.embedded_lock import check_store_free

            check_store_free(self.config.store_path)

    # -- stages before generation -----------------------------------------------------------------
    def retrieve(self, query: str, image: Image.Image | str | Path | None = None, *, routes: list[str] | None = None,
                 k: int | None = None, tau: float | None = None, n_candidates: int | None = None) -> Retrieval:
        """Route, search and rerank one query (no generation)."""
        picture = self.check(query, image, routes=routes, k=k, tau=tau, n_candidates=n_candidates)
        return self._retrieve(query, picture, routes=routes, k=k, tau=tau, n_candidates=n_candidates)

    def _retrieve(self, query: str, image: Image.Image | None, *, routes: list[str] | None = None, k: int | None = None,
                  tau: float | None = None, n_candidates: int | None = None) -> Retrieval:
        """``retrieve`` after ``check`` passed (``image`` is the checked image)."""
        n = self.config.rerank.n_candidates if n_candidates is None else n_candidates
        embeddings = QueryEmbeddings()  # this question's: shared by router, retriever and scorer
        timings: dict[str, float] = {}
        notes: list[str] = []

        t0 = time.perf_counter()
        given = _decision(query, routes) if routes else None  # routes were checked by check() above
        decision = given or self.router.route(query, image=image, embeddings=embeddings)
        # The query embedding counts as "embed" whichever stage asked for it first (the router, usually).
        route_embed_s = embeddings.seconds
        timings["route"] = max(0.0, time.perf_counter() - t0 - route_embed_s)

        candidates: dict[str, list[Hit]] = {}
        errors: list[CorpusError] = []
        retriever = self.retriever
        embed_s, search_s = route_embed_s, 0.0
        for route in decision.routes:
            if route == NO_RETRIEVAL:
                continue
            try:
                result = retriever.search(query, route, n=n, image=image, embeddings=embeddings)
            except CorpusError as e:
                # One empty or missing corpus should not sink the others the router also chose.
                errors.append(e)
                notes.append(f"route '{route}' skipped: {e}")
                continue
            candidates[route] = result.hits
            embed_s += result.embed_s
            search_s += result.search_s
            notes.extend(x for x in result.notes if x not in notes)
        if errors and not candidates:
            raise errors[0]
        timings["embed"] = embed_s
        timings["search"] = search_s

        hits = [h for route_hits in candidates.values() for h in route_hits]
        t0 = time.perf_counter()
        scores = self.scorer.score(query, hits, embeddings=embeddings) if hits else Scores(scorer=self.scorer.name)
        selection = self.selector.select(hits, scores, tau=tau, k=k)
        timings["rerank"] = time.perf_counter() - t0
        if not scores.calibrated:
            notes.append(f"scorer '{scores.scorer}' is uncalibrated: its scores are not probabilities")
        if hits and not selection.kept:
            notes.append(f"no candidate reached RS ≥ {selection.tau:g}: answering without sources")
        notes.extend(scores.notes)
        return Retrieval(query, decision, candidates, selection, scores, timings, notes, embeddings)

    def _given_routes(self, query: str, routes: list[str]) -> RouteDecision:
        """The decision for routes the caller chose (the router is skipped), checked against the registry."""
        known = self.registry.all_routes
        unknown = [r for r in routes if r not in known]
        if unknown:
            raise InputError(f"unknown route {', '.join(unknown)}; known routes: {', '.join(known)}")
        return _decision(query, routes)

    # -- answering -----------------------------------------------------------------------------------
    def ask(self, query: str, image: Image.Image | str | Path | None = None, **overrides: Any) -> Answer:
        """Answer one question; ``overrides``: routes, k, tau, n_candidates."""
        image = self.check(query, image, **overrides)
        loading = self._load_generator_meanwhile()
        r = self._retrieve(query, image, **overrides)
        generator = self._generator_when_loaded(loading, r)
        t0 = time.perf_counter()
        answer = generator.generate(query, r.selection.kept, image=image)
        r.timings["generate"] = time.perf_counter() - t0
        return _with_trace(answer, r)

    def stream(self, query: str, image: Image.Image | str | Path | None = None, **overrides: Any) -> Iterator[str | Answer]:
        """Yields text deltas as the model writes, then the final Answer (with its trace)."""
        image = self.check(query, image, **overrides)
        loading = self._load_generator_meanwhile()
        r = self._retrieve(query, image, **overrides)
        generator = self._generator_when_loaded(loading, r)
        t0 = time.perf_counter()
        for part in generator.stream(query, r.selection.kept, image=image):
            if isinstance(part, Answer):
                r.timings["generate"] = time.perf_counter() - t0
                yield _with_trace(part, r)
            else:
                yield part

    def _load_generator_meanwhile(self) -> Future:
        """Loads the generator's model in a worker thread while the question is routed and retrieved, so a
        cold start does not wait for it before searching; once it is loaded, no thread is started."""
        if self.stages.is_warm("generator"):
            done: Future = Future()
            done.set_result(None)
            return done
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mmrag-load-generator")
        try:
            return pool.submit(self.stages.warm_up, ("generator",))
        finally:
            pool.shutdown(wait=False)

    def _generator_when_loaded(self, loading: Future, r: Retrieval) -> Generator:
        t0 = time.perf_counter()
        loading.result()  # re-raises a loading error (missing model, no server) here, in the caller's thread
        waited = time.perf_counter() - t0
        if waited >= 0.001:  # only a cold start waits: the trace says so instead of counting it as generation
            r.timings["load_generator"] = waited
        return self.generator

    async def aask(self, query: str, image: Image.Image | str | Path | None = None, **overrides: Any) -> Answer:
        """``ask`` without blocking the event loop (the stages run in a worker thread)."""
        return await asyncio.to_thread(self.ask, query, image, **overrides)

    def ask_many(self, queries: Iterable[str], *, concurrency: int = 4, **overrides: Any) -> list[Answer]:
        """Answer many questions, up to ``concurrency`` at a time; results in input order."""
        queries = list(queries)
        # Load every stage once up front so the first questions don't all wait on model loading.
        self.load(router=not overrides.get("routes"))
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            return list(pool.map(lambda q: self.ask(q, **overrides), queries))


def _decision(query: str, routes: list[str]) -> RouteDecision:
    routes = list(dict.fromkeys(routes))
    return RouteDecision(query=query, probabilities={r: 1.0 for r in routes}, routes=routes, router="given")


def _as_image(image: Image.Image | str | Path | None) -> Image.Image | None:
    if image is None or isinstance(image, Image.Image):
        return image
    from mmrag.media.images import load_image

    return load_image(image)


def _with_trace(answer: Answer, r: Retrieval) -> Answer:
    trace = r.trace()
    trace.notes = [*trace.notes, *answer.notes]
    trace.generator = dict(answer.trace.generator)  # what the generator recorded (backend, sources sent, images)
    return answer.model_copy(update={"trace": trace})
