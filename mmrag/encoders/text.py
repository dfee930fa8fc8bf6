"""Text encoder backed by sentence-transformers (HF id, local path or a packaged model)."""

from __future__ import annotations

import numpy as np

from mmrag.encoders.base import l2_normalise
from mmrag.errors import ModelError
from mmrag.model_refs import resolve_model_ref


class SentenceTransformerEncoder:
    """Wraps ``SentenceTransformer``; queries and passages share one space."""

    def __init__(self, model: str, *, device: str = "cpu", batch_size: int = 32, max_seq_length: int | None = None):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        # A per-command "Loading weights" bar is noise in a CLI that loads the same small model every time.
        hf_logging.disable_progress_bar()

        self.name = model
        self.batch_size = batch_size
        path = resolve_model_ref(model)
        try:
            self._model = SentenceTransformer(path, device=device)
        except (OSError, ValueError) as e:
            raise ModelError(
                f"text encoder '{model}' could not be loaded ({str(e).splitlines()[0][:160]}); "
                "give a local path or an installed 'package:' model when offline"
            ) from None
        if max_seq_length:
            self._model.max_seq_length = max_seq_length
        dim_fn = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim_fn() or 0)
        self.max_tokens = int(self._model.max_seq_length or 512)
        self.tokenizer = self._model.tokenizer

    def encode(self, texts: list[str], *, batch_size: int | None = None, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=batch_size or self.batch_size,
                                     show_progress_bar=progress, convert_to_numpy=True, normalize_embeddings=True)
        return l2_normalise(vectors)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.tokenize(text))

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
        return [tuple(o) for o in enc["offset_mapping"]]
