"""The stage interfaces. Any object with these methods can replace a stage of the pipeline.

Stages hold no per-call state: everything one question produces comes back in the return value
(``RouteDecision``, ``SearchResult``, ``Scores``, ``Selection``, ``Answer``), so one stage object can
serve many questions at once. ``embeddings`` is the question's ``QueryEmbeddings`` memo
(mmrag/embeddings.py): a stage that embeds the query asks it, so each encoder embeds a question once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from PIL import Image

from mmrag.embeddings import QueryEmbeddings
from mmrag.types import Answer, Hit, RouteDecision, ScoredHit, Scores, SearchResult, Selection


@runtime_checkable
class Router(Protocol):
    """Maps a query to every route's probability and the chosen routes."""

    def route(self, query: str, image: Image.Image | None = None, *,
              embeddings: QueryEmbeddings | None = None) -> RouteDecision: ...


@runtime_checkable
class Retriever(Protocol):
    """Searches the collection behind one route."""

    def search(self, query: str, route: str, n: int = 20, image: Image.Image | None = None, *,
               embeddings: QueryEmbeddings | None = None) -> SearchResult: ...


@runtime_checkable
class RelevancyScorer(Protocol):
    """RS(query, item) in [0, 1] per candidate; the ``Scores`` say which scorer scored and whether RS is a probability."""

    name: str

    def score(self, query: str, hits: list[Hit], *, embeddings: QueryEmbeddings | None = None) -> Scores: ...


@runtime_checkable
class Selector(Protocol):
    """Keeps the candidates worth sending; ``tau``/``k`` override the selector's own for one call."""

    def select(self, hits: list[Hit], scores: Scores | list[float], *, tau: float | None = None,
               k: int | None = None) -> Selection: ...


@runtime_checkable
class Generator(Protocol):
    """Answers a query from the kept items (none kept = from the model's own knowledge)."""

    def generate(self, query: str, kept: list[ScoredHit], image: Image.Image | None = None) -> Answer: ...

    def stream(self, query: str, kept: list[ScoredHit], image: Image.Image | None = None) -> Iterator[str | Answer]:
        """Yields text deltas, then the final Answer."""
        ...
