"""Overlapping token chunks of a long text, measured with the text encoder's own tokenizer."""

from __future__ import annotations

from mmrag.encoders.base import TextEncoder


def chunk_size(encoder: TextEncoder, chunk_tokens: int) -> int:
    # The encoder truncates beyond max_tokens (all-MiniLM-L6-v2: 256, including the 2 special tokens),
    # so a larger configured chunk would silently lose its tail: cap it.
    return max(8, min(chunk_tokens, int(encoder.max_tokens) - 2))


def chunk_text(text: str, encoder: TextEncoder, chunk_tokens: int, overlap_tokens: int) -> list[str]:
    """Chunks of at most chunk_size tokens overlapping by overlap_tokens; slices of the original text."""
    size = chunk_size(encoder, chunk_tokens)
    overlap = max(0, min(overlap_tokens, size // 2))
    token_spans = getattr(encoder, "token_spans", None)
    if callable(token_spans):
        spans = token_spans(text)
    else:  # an encoder that cannot say where its tokens are: whitespace words approximate tokens
        import re

        spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    if len(spans) <= size:
        return [text.strip()] if text.strip() else []
    chunks, start = [], 0
    step = size - overlap
    while start < len(spans):
        end = min(start + size, len(spans))
        chunks.append(text[spans[start][0] : spans[end - 1][1]].strip())
        if end == len(spans):
            break
        start += step
    return [c for c in chunks if c]
