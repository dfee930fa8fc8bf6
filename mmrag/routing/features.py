"""Cheap query features: TF-IDF n-gram blocks whose vocabulary and idf are plain arrays (no pickle).

The transform is our own (sklearn only fits the vocabulary and idf), so a reloaded artefact gives
exactly the features the classifier was trained on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

from mmrag.encoders.base import TextEncoder


@dataclass
class TfidfBlock:
    analyzer: str  # "word" or "char_wb"
    ngram_min: int
    ngram_max: int
    vocabulary: list[str]
    idf: np.ndarray
    lowercase: bool = True

    @classmethod
    def fit(
        cls, texts: list[str], analyzer: str, ngram_range: tuple[int, int], min_df: int = 2, lowercase: bool = True
    ) -> "TfidfBlock":
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, min_df=min_df, sublinear_tf=True, lowercase=lowercase)
        vec.fit(texts)
        vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
        return cls(analyzer, ngram_range[0], ngram_range[1], vocab, np.asarray(vec.idf_, dtype=np.float32), lowercase)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.vocabulary)}

    @cached_property
    def _analyse(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        # Only the analyser (lower-casing, tokenising, n-grams) is used, never a fitted state.
        return TfidfVectorizer(
            analyzer=self.analyzer, ngram_range=(self.ngram_min, self.ngram_max), lowercase=self.lowercase
        ).build_analyzer()

    @property
    def dim(self) -> int:
        return len(self.vocabulary)

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        """Sublinear tf x idf, L2-normalised rows (as sklearn's TfidfVectorizer with sublinear_tf)."""
        index, rows, cols, vals = self._index, [], [], []
        for r, text in enumerate(texts):
            counts = Counter(t for t in self._analyse(text) if t in index)
            if not counts:
                continue
            ids = np.fromiter((index[t] for t in counts), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            v = tf * self.idf[ids]
            v /= max(np.linalg.norm(v), 1e-12)
            rows.extend([r] * len(ids))
            cols.extend(ids.tolist())
            vals.extend(v.tolist())
        return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), self.dim), dtype=np.float32)

    def spec(self) -> dict:
        return {"analyzer": self.analyzer, "ngram_range": [self.ngram_min, self.ngram_max], "lowercase": self.lowercase, "vocabulary": self.vocabulary}


def embed_queries(encoder: TextEncoder, texts: list[str], max_chars: int = 2048, progress: bool = False) -> np.ndarray:
    # Long queries are cut before encoding; the encoder truncates to its own token limit anyway.
    return encoder.encode([t[:max_chars] for t in texts], progress=progress)
