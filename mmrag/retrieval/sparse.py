"""The sparse lexical vector: BM25 term weights of stemmed, stopword-free tokens, IDF applied by Qdrant.

A document's value for a term is BM25's saturated term frequency ``tf·(k1+1) / (tf + k1·(1−b+b·len/avg_len))``;
a query's is 1 per distinct term. The collection's sparse vector uses Qdrant's IDF modifier, so the dot
product Qdrant computes is the BM25 score with the collection's own, always current, document frequencies.
Terms map to indices by a stable hash, so no vocabulary has to be stored or kept in sync across ingests.
"""

from __future__ import annotations

import importlib.util
import re
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

from qdrant_client import models

from mmrag.config import RetrievalConfig
from mmrag.errors import ConfigError

#: Name of the sparse vector in a collection.
SPARSE = "sparse"
# The token pattern of scikit-learn and bm25s: runs of two or more word characters.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _bm25s_stopwords() -> Any:
    """bm25s's ``stopwords`` module (plain tuples), read without running ``bm25s/__init__``, which imports
    scipy and more: 0.7 s of a cold ``mmrag ask`` for 33 words."""
    spec = importlib.util.find_spec("bm25s")
    file = Path(next(iter(spec.submodule_search_locations or []), "")) / "stopwords.py" if spec else None
    if file is None or not file.is_file():
        from bm25s import stopwords

        return stopwords
    loader_spec = importlib.util.spec_from_file_location("mmrag_bm25s_stopwords", file)
    module = importlib.util.module_from_spec(loader_spec)  # type: ignore[arg-type]
    loader_spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _stopwords(language: str) -> frozenset[str]:
    # bm25s's lists are Lucene's (English: 33 words), the setup of the SQuAD BM25 reference figures.
    sw = _bm25s_stopwords()
    # bm25s names the English list STOPWORDS_EN and the others by language (STOPWORDS_GERMAN, ...).
    code = "EN" if language == "english" else language.upper()
    return frozenset(getattr(sw, f"STOPWORDS_{code}", ()))


def term_index(term: str) -> int:
    """Stable non-negative 31-bit index of a term (CRC32; collisions are rare and only merge two terms)."""
    return zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF


class SparseEncoder:
    """Text → Qdrant ``SparseVector`` (documents: BM25 term weights; queries: one per distinct term)."""

    def __init__(self, language: str = "english", *, k1: float = 1.2, b: float = 0.75, avg_len: float = 80.0):
        try:
            import Stemmer
        except ImportError:
            raise ConfigError("the sparse vector needs PyStemmer: pip install PyStemmer bm25s") from None
        try:
            self._stemmer = Stemmer.Stemmer(language)
        except KeyError:
            raise ConfigError(
                f"retrieval.sparse_language '{language}' has no Snowball stemmer: use one of "
                f"{', '.join(Stemmer.algorithms())}"
            ) from None
        self.stopwords = _stopwords(language)
        self.k1, self.b, self.avg_len = float(k1), float(b), max(1.0, float(avg_len))
        self.name = f"bm25({language},k1={self.k1:g},b={self.b:g})"

    @classmethod
    def from_config(cls, cfg: RetrievalConfig) -> "SparseEncoder":
        return cls(cfg.sparse_language, k1=cfg.sparse_k1, b=cfg.sparse_b, avg_len=cfg.sparse_avg_len)

    def tokens(self, text: str) -> list[str]:
        words = [w for w in _TOKEN.findall(text.lower()) if w not in self.stopwords]
        return self._stemmer.stemWords(words)

    def _vector(self, weights: dict[int, float]) -> models.SparseVector:
        idx = sorted(weights)
        return models.SparseVector(indices=idx, values=[float(weights[i]) for i in idx])

    def encode_documents(self, texts: list[str]) -> list[models.SparseVector]:
        out = []
        for text in texts:
            terms = self.tokens(text)
            norm = self.k1 * (1.0 - self.b + self.b * len(terms) / self.avg_len)
            weights: dict[int, float] = {}
            for term, tf in Counter(terms).items():
                i = term_index(term)
                weights[i] = weights.get(i, 0.0) + tf * (self.k1 + 1.0) / (tf + norm)
            out.append(self._vector(weights))
        return out

    def encode_query(self, text: str) -> models.SparseVector:
        return self._vector({term_index(t): 1.0 for t in set(self.tokens(text))})
