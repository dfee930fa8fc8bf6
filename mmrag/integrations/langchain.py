"""LangChain adapters: a ``BaseRetriever`` over the routed, reranked pipeline, and the pipeline as a ``Runnable``.

    from mmrag import Pipeline
    from mmrag.integrations.langchain import MMRAGRetriever, pipeline_runnable
    p = Pipeline.from_config("pipelines/default.yaml")
    docs = MMRAGRetriever(pipeline=p).invoke("how do bees communicate?")
    answer = pipeline_runnable(p).invoke({"question": "…", "image": "photo.jpg"})
"""

from __future__ import annotations

from typing import Any

from mmrag.optional import require

require("langchain_core", extra="langchain", purpose="the LangChain adapters", package="langchain-core")

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict

from mmrag.errors import InputError
from mmrag.types import Answer, ScoredHit


def to_document(s: ScoredHit) -> Document:
    """A kept item as a ``Document``: its text view, plus route, RS, source and span in the metadata."""
    item = s.hit.item
    return Document(
        page_content=item.text_view or item.text,
        id=item.id,
        metadata={
            "key": item.key, "id": item.id, "corpus": item.corpus, "route": s.hit.route or item.route,
            "rs": s.rs, "calibrated": s.calibrated, "search_score": s.hit.score, "source": item.source,
            "title": item.title, "modality": item.modality, "media_path": item.media_path,
            "start": item.start, "end": item.end, "span": item.span,
        },
    )


class MMRAGRetriever(BaseRetriever):
    """Routes the query, searches the chosen corpora and keeps what the relevancy reranker keeps.

    ``routes``, ``k``, ``tau`` and ``n_candidates`` are per-retriever overrides (None = the pipeline's config).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    pipeline: Any
    routes: list[str] | None = None
    k: int | None = None
    tau: float | None = None
    n_candidates: int | None = None

    def _overrides(self) -> dict[str, Any]:
        return {"routes": self.routes, "k": self.k, "tau": self.tau, "n_candidates": self.n_candidates}

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        r = self.pipeline.retrieve(query, **self._overrides())
        return [to_document(s) for s in r.selection.kept]

    async def _aget_relevant_documents(self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun) -> list[Document]:
        import asyncio

        r = await asyncio.to_thread(self.pipeline.retrieve, query, **self._overrides())
        return [to_document(s) for s in r.selection.kept]


_OVERRIDES = ("routes", "k", "tau", "n_candidates")


def _split_input(value: Any) -> tuple[str, Any, dict[str, Any]]:
    """A question string, or a dict {"question", "image"?, "routes"?, "k"?, "tau"?, "n_candidates"?}."""
    if isinstance(value, str):
        return value, None, {}
    if isinstance(value, dict) and isinstance(value.get("question"), str):
        extra = {k: value[k] for k in _OVERRIDES if value.get(k) is not None}
        unknown = set(value) - {"question", "image", *_OVERRIDES}
        if unknown:
            raise InputError(f"pipeline input has unknown keys {sorted(unknown)}: use question, image, routes, k, tau, n_candidates")
        return value["question"], value.get("image"), extra
    raise InputError("pipeline input must be a question string or a dict with a 'question' string")


def pipeline_runnable(pipeline: Any) -> Runnable[Any, Answer]:
    """The whole pipeline as a ``Runnable``: question (or dict with question/image/overrides) → ``Answer``."""

    def run(value: Any) -> Answer:
        q, image, extra = _split_input(value)
        return pipeline.ask(q, image, **extra)

    async def arun(value: Any) -> Answer:
        q, image, extra = _split_input(value)
        return await pipeline.aask(q, image, **extra)

    return RunnableLambda(run, afunc=arun, name="mmrag_pipeline")


__all__ = ["MMRAGRetriever", "pipeline_runnable", "to_document"]
