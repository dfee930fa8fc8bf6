"""Scorers backed by an OpenAI-compatible server (vLLM): the yes/no VLM judge and score/rerank endpoints."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from mmrag.config import ModelServerConfig
from mmrag.embeddings import QueryEmbeddings
from mmrag.errors import ServerError
from mmrag.rerank.base import CalibratableScorer
from mmrag.rerank.calibration import Calibration
from mmrag.rerank.logprobs import rs_from_logprobs
from mmrag.rerank.views import hit_text, text_messages, vision_messages
from mmrag.model_client import OpenAIClient, top_logprobs_of_first_token
from mmrag.types import Hit, Scores


class ServedJudgeScorer(CalibratableScorer):
    """RS = p(yes) / (p(yes) + p(no)) of the served model's one-token answer, one request per candidate.

    Requests run concurrently, at most ``model_server.max_concurrency`` at a time; timeouts and retries come
    from the server config. Images go as data URLs, clips and videos as a few timestamped frames.
    """

    feature = "logit"
    raw_is_probability = True

    def __init__(
        self,
        server: ModelServerConfig,
        *,
        vision: bool = True,
        top_logprobs: int = 20,
        max_chars: int = 1500,
        frames: int = 4,
        max_pixels: int = 448 * 448,
        calibration: Calibration | None = None,
    ):
        super().__init__(calibration)
        self.server = server
        self.client = OpenAIClient(server)
        self.vision = vision
        self.top_logprobs = top_logprobs
        self.max_chars = max_chars
        self.frames = frames
        self.max_pixels = max_pixels
        self.name = f"vlm-judge({server.model})" if vision else f"llm-judge({server.model})"

    def _messages(self, query: str, hit: Hit) -> list[dict[str, Any]]:
        if self.vision:
            return vision_messages(query, hit, max_chars=self.max_chars, frames=self.frames, max_pixels=self.max_pixels)
        return text_messages(query, hit, self.max_chars)

    def _one(self, query: str, hit: Hit) -> float:
        data = self.client.chat(self._messages(query, hit), max_tokens=1, temperature=0.0, logprobs=True,
                                top_logprobs=self.top_logprobs)
        top = top_logprobs_of_first_token(data)
        if not top:
            raise self.client.error(
                "chat/completions", "reply has no logprobs; the judge needs an endpoint that returns top_logprobs "
                f"(vLLM: raise --max-logprobs to at least {self.top_logprobs})"
            )
        return rs_from_logprobs(top)

    def raw_scores(self, query: str, hits: list[Hit], embeddings: QueryEmbeddings | None = None) -> list[float]:
        # One request per candidate, at most model_server.max_concurrency at once over the client's pooled connections.
        workers = max(1, min(self.server.max_concurrency, len(hits)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mmrag-judge") as pool:
            return list(pool.map(lambda h: self._one(query, h), hits))


class ServedRerankerScorer(CalibratableScorer):
    """A text reranker served by vLLM (e.g. Qwen3-Reranker with ``--task score``): one batched request per query."""

    feature = "logit"
    raw_is_probability = True

    def __init__(
        self,
        server: ModelServerConfig,
        *,
        endpoint: Literal["score", "rerank"] = "score",
        max_chars: int = 1500,
        calibration: Calibration | None = None,
    ):
        super().__init__(calibration)
        self.server = server
        self.client = OpenAIClient(server)
        self.endpoint = endpoint
        self.max_chars = max_chars
        self.name = f"served-reranker({server.model})"

    def raw_scores(self, query: str, hits: list[Hit], embeddings: QueryEmbeddings | None = None) -> list[float]:
        docs = [hit_text(h, self.max_chars) for h in hits]
        if self.endpoint == "score":
            data = self.client.post("score", {"model": self.server.model, "text_1": query, "text_2": docs})
            rows, key = data.get("data"), "score"
        else:
            data = self.client.post("rerank", {"model": self.server.model, "query": query, "documents": docs})
            rows, key = data.get("results"), "relevance_score"
        out: list[float | None] = [None] * len(hits)
        for row in rows or []:
            try:
                out[int(row["index"])] = float(row[key])
            except (KeyError, TypeError, ValueError, IndexError):
                break
        if any(v is None for v in out):
            raise ServerError(
                f"model server {self.client.url(self.endpoint)}: reply lacks a '{key}' for every document "
                "(serve a reranker with `--task score`, or set the endpoint to 'rerank')"
            )
        return [float(v) for v in out]  # type: ignore[arg-type]


class FallbackScorer:
    """Scores with ``primary``; when its server fails, with ``fallback``. Which one scored, and why, is in the
    returned ``Scores`` (this object keeps no per-call state, so threads can share it)."""

    def __init__(self, primary: Any, fallback: Any):
        self.primary, self.fallback = primary, fallback
        self.name = f"{primary.name} (fallback {fallback.name})"

    def warm_up(self) -> "FallbackScorer":
        for s in (self.primary, self.fallback):
            if callable(getattr(s, "warm_up", None)):
                s.warm_up()
        return self

    def score(self, query: str, hits: list[Hit], *, embeddings: QueryEmbeddings | None = None) -> Scores:
        try:
            return self.primary.score(query, hits, embeddings=embeddings)
        except ServerError as e:
            out = self.fallback.score(query, hits, embeddings=embeddings)
            note = f"scorer {self.primary.name} failed ({e}); fell back to {self.fallback.name}"
            return out.model_copy(update={"notes": [*out.notes, note]})
