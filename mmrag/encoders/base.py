"""Encoder protocols. Vectors are L2-normalised float32 numpy arrays (cosine = dot product)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image


@runtime_checkable
class TextEncoder(Protocol):
    name: str
    dim: int
    max_tokens: int

    def encode(self, texts: list[str], *, batch_size: int | None = None, progress: bool = False) -> np.ndarray:
        """(len(texts), dim) normalised vectors."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) character offsets of the text's tokens, special tokens left out (for chunking)."""
        ...


@runtime_checkable
class ImageTextEncoder(Protocol):
    """A CLIP/SigLIP-style model: images and text queries in one space."""

    name: str
    dim: int

    def encode_images(self, images: list[Image.Image], *, batch_size: int | None = None) -> np.ndarray: ...

    def encode_texts(self, texts: list[str]) -> np.ndarray: ...


def l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def encode_by_length(texts: list[str], dim: int, batch_size: int, embed: Callable[[list[str]], np.ndarray],
                     progress: bool = False) -> np.ndarray:
    """``embed`` over batches of similar length (longest first, like sentence-transformers: little padding),
    rows back in input order, L2-normalised."""
    order = np.argsort([-len(t) for t in texts], kind="stable")
    out = np.zeros((len(texts), dim), dtype=np.float32)
    starts: Iterable[int] = range(0, len(texts), batch_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="Encoding", unit="batch")
    for start in starts:
        idx = order[start:start + batch_size]
        out[idx] = embed([texts[i] for i in idx])
    return l2_normalise(out)
