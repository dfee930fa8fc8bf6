"""Scorers that run in this process on CPU: bi-encoder, cross-encoder, image–text similarity, local yes/no judge."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.progress import track

from mmrag.embeddings import QueryEmbeddings, query_vector
from mmrag.errors import ModelError
from mmrag.model_refs import resolve_model_ref
from mmrag.rerank.base import CalibratableScorer
from mmrag.rerank.calibration import Calibration
from mmrag.rerank.logprobs import rs_from_logprobs
from mmrag.rerank.views import hit_text, text_messages
from mmrag.types import Hit


class BiEncoderScorer(CalibratableScorer):
    """Raw score = cosine of the query and the candidate's text view in the text encoder's space.

    Calibrated on the cosine and its gap to the query's best candidate: cosines of different queries
    live on different scales, the gap is what separates the answer from near misses.
    """

    feature = "raw+gap"

    def __init__(self, encoder: Any, *, max_chars: int = 1500, calibration: Calibration | None = None):
        super().__init__(calibration)
        self.encoder = encoder
        self.max_chars = max_chars
        self.name = "bi-encoder"

    def raw_scores(self, query: str, hits: list[Hit], embeddings: QueryEmbeddings | None = None) -> list[float]:
        q = query_vector(embeddings, self.encoder, query)
        vecs = self.encoder.encode([hit_text(h, self.max_chars) for h in hits])
        return [float(v) for v in vecs @ q]


class CrossEncoderScorer(CalibratableScorer):
    """A sentence-transformers ``CrossEncoder`` (HF id or local path) over (query, text view) pairs."""

    feature = "raw"

    def __init__(self, model: str, *, device: str = "cpu", max_chars: int = 1500, calibration: Calibration | None = None):
        super().__init__(calibration)
        from sentence_transformers import CrossEncoder

        try:
            self.model = CrossEncoder(resolve_model_ref(model), device=device)
        except (OSError, ValueError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ModelError(f"cross-encoder '{model}' could not be loaded ({first[:160]}); give a local path when offline") from None
        self.max_chars = max_chars
        self.name = f"cross-encoder({model})"

    def raw_scores(self, query: str, hits: list[Hit], embeddings: QueryEmbeddings | None = None) -> list[float]:
        pairs = [(query, hit_text(h, self.max_chars)) for h in hits]
        return [float(s) for s in np.asarray(self.model.predict(pairs, show_progress_bar=False)).reshape(-1)]


class ImageTextScorer(CalibratableScorer):
    """Cosine of the query and the candidate in an image–text model's space (images, frames or text)."""

    feature = "raw"

    def __init__(self, encoder: Any, *, frames: int = 4, max_chars: int = 300, calibration: Calibration | None = None):
        super().__init__(calibration)
        self.encoder = encoder
        self.frames = frames
        self.max_chars = max_chars
        self.name = f"image-text({encoder.name})"

    def _vector(self, hit: Hit) -> np.ndarray:
        item = hit.item
        if item.media_path and item.modality == "image":
            from mmrag.media.images import load_image

            return self.encoder.encode_images([load_image(item.media_path)])[0]
        if item.media_path and item.modality == "video":
            from mmrag.media.video import sample_frames
            from mmrag.media.video import item_frame_times

            frames = [img for _, img in sample_frames(item.media_path, item_frame_times(item, self.frames))]
            if frames:
                v = self.encoder.encode_images(frames).mean(axis=0)
                return v / max(float(np.linalg.norm(v)), 1e-12)
        return self.encoder.encode_texts([hit_text(hit, self.max_chars)])[0]

    def raw_scores(self, query: str, hits: list[Hit], embeddings: QueryEmbeddings | None = None) -> list[float]:
        q = embeddings.image_text(self.encoder, query) if embeddings is not None else self.encoder.encode_texts([query])[0]
        return [float(self._vector(h) @ q) for h in hits]


class LocalJudgeScorer(CalibratableScorer):
    """The yes/no log-probability judge on the in-process chat model (offline: SmolLM2-135M-Instruct).

    Raw score = p(yes) / (p(yes) + p(no)) of the first reply token; a small model's value is not a
    trustworthy probability, so it counts as calibrated only with a fitted calibration (on its log-odds).
    """

    feature = "logit"

    def __init__(self, model: Any, *, top: int = 20, max_chars: int = 1200, progress: bool = False, calibration: Calibration | None = None):
        super().__init__(calibration)
        self.model = model
        self.top = top
        self.max_chars = max_chars
        self.progress = progress
        self.name = f"llm-judge({getattr(model, 'name', 'local')})"

    def warm_up(self) -> "LocalJudgeScorer":
        warm = getattr(self.model, "warm_up", None)
        if warm is not None:
            warm()
        return self

    def raw_scores(self, query: str, hits: list[Hit], embeddings: QueryEmbeddings | None = None) -> list[float]:
        it = track(hits, description="judging", transient=True) if self.progress and len(hits) > 4 else hits
        return [rs_from_logprobs(self.model.first_token_logprobs(text_messages(query, h, self.max_chars), top=self.top)) for h in it]
