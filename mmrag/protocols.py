"""The stage interfaces. Any object with these methods can replace a stage of the pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from PIL import Image

from mmrag.types import Answer, Hit, RouteDecision, ScoredHit, Selection


@runtime_checkable
class Router(Protocol):
    """Maps a query to every route's probability and the chosen routes."""

    def route(self, query: str, image: Image.Image | None = None) -> RouteDecision: ...


@runtime_checkable
class Retriever(Protocol):
    """Searches the collection behind one route."""

    def search(self, query: str, route: str, n: int = 20, image: Image.Image | None = None) -> list[Hit]: ...


@runtime_checkable
class RelevancyScorer(Protocol):
    """RS(query, item) in [0, 1]; ``calibrated`` says whether it is a probability."""

    name: str
    calibrated: bool

    def score(self, query: str, hits: list[Hit]) -> list[float]: ...


@runtime_checkable
class Selector(Protocol):
    def select(self, hits: list[Hit], scores: list[float], *, calibrated: bool = True) -> Selection: ...


@runtime_checkable
class Generator(Protocol):
    """Answers a query from the kept items (none kept = from the model's own knowledge)."""

    def generate(self, query: str, kept: list[ScoredHit], image: Image.Image | None = None) -> Answer: ...

    def stream(self, query: str, kept: list[ScoredHit], image: Image.Image | None = None) -> Iterator[str | Answer]:
        """Yields text deltas, then the final Answer."""
        ...
