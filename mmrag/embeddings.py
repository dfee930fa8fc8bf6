"""One question's query embeddings, shared by the stages that need them (router, retriever, scorer).

The pipeline creates one ``QueryEmbeddings`` per question and passes it down; a stage asks it for the
query's vector in an encoder's space instead of calling the encoder, so each encoder embeds a question
once however many stages (or collections) use it. It lives as long as the question: no global cache.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np


class QueryEmbeddings:
    """A per-question memo of ``encoder -> text -> vector``; safe to share between the threads of one question."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Keyed by the encoder object itself (kept alive here, so its id cannot be reused) and the method.
        self._vectors: dict[tuple[int, str, str], np.ndarray] = {}
        self._encoders: dict[int, Any] = {}
        #: Encoder calls made and the seconds they took (what the trace and the benchmark report).
        self.calls = 0
        self.seconds = 0.0

    def _get(self, encoder: Any, method: str, text: str) -> np.ndarray:
        key = (id(encoder), method, text)
        with self._lock:
            vec = self._vectors.get(key)
        if vec is not None:
            return vec
        t0 = time.perf_counter()
        vec = np.asarray(getattr(encoder, method)([text])[0])
        took = time.perf_counter() - t0
        with self._lock:
            self._encoders[id(encoder)] = encoder
            self.calls += 1
            self.seconds += took
            return self._vectors.setdefault(key, vec)

    def text(self, encoder: Any, text: str) -> np.ndarray:
        """The vector of ``text`` from a ``TextEncoder`` (``encode``)."""
        return self._get(encoder, "encode", text)

    def image_text(self, encoder: Any, text: str) -> np.ndarray:
        """The vector of ``text`` from an ``ImageTextEncoder``'s text tower (``encode_texts``)."""
        return self._get(encoder, "encode_texts", text)

    def bind(self, encoder: Any) -> "BoundEncoder":
        """``encoder`` with single-text ``encode`` calls answered from this memo (for code that takes an encoder)."""
        return BoundEncoder(encoder, self)


class BoundEncoder:
    """A ``TextEncoder`` whose one-text ``encode`` goes through a question's ``QueryEmbeddings``."""

    def __init__(self, encoder: Any, embeddings: QueryEmbeddings):
        self._encoder, self._embeddings = encoder, embeddings
        self.name, self.dim = encoder.name, encoder.dim

    def encode(self, texts: list[str], **kwargs: Any) -> np.ndarray:
        if len(texts) == 1:  # a query (batch size and progress bar mean nothing for one text)
            return self._embeddings.text(self._encoder, texts[0])[None, :]
        return self._encoder.encode(texts, **kwargs)


def query_vector(embeddings: QueryEmbeddings | None, encoder: Any, text: str) -> np.ndarray:
    """The query's vector from the question's memo when there is one, else straight from the encoder."""
    if embeddings is not None:
        return embeddings.text(encoder, text)
    return np.asarray(encoder.encode([text])[0])
