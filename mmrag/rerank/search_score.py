"""The "no reranker" ablation (``rerank.scorer: {kind: search-score}``): RS is the search score itself."""

from __future__ import annotations

from mmrag.embeddings import QueryEmbeddings
from mmrag.types import Hit, Scores


class SearchScoreScorer:
    """RS = the retrieval score (uncalibrated: fused or cosine scores are not probabilities)."""

    name = "search-score"

    def score(self, query: str, hits: list[Hit], *, embeddings: QueryEmbeddings | None = None) -> Scores:
        return Scores(values=[float(h.score) for h in hits], calibrated=False, scorer=self.name)
