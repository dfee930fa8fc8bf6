"""Shared scorer behaviour: a raw score per candidate, mapped to RS by an optional calibration."""

from __future__ import annotations

from mmrag.embeddings import QueryEmbeddings
from mmrag.rerank.calibration import Calibration, Feature
from mmrag.types import Hit, Scores


class CalibratableScorer:
    """A ``RelevancyScorer`` whose raw output becomes a probability through a Platt calibration.

    Subclasses implement ``raw_scores`` (values in [0, 1] when ``raw_is_probability``) and say which
    calibration feature suits them. Without a calibration, a scorer whose raw value is not a probability
    reports ``calibrated = False`` and its RS is the raw value clipped to [0, 1].
    """

    name: str = "scorer"
    feature: Feature = "raw"
    raw_is_probability: bool = False

    def __init__(self, calibration: Calibration | None = None):
        self.calibration = calibration

    @property
    def calibrated(self) -> bool:
        return self.calibration is not None or self.raw_is_probability

    @property
    def calibration_label(self) -> str:
        if self.calibration is not None:
            return f"calibrated (Platt, {self.calibration.n_pairs} pairs)"
        return "probability (yes/no judge)" if self.raw_is_probability else "uncalibrated"

    def raw_scores(self, query: str, hits: list[Hit], embeddings: QueryEmbeddings | None = None) -> list[float]:
        raise NotImplementedError

    def to_rs(self, raw: list[float]) -> list[float]:
        if self.calibration is not None:
            return self.calibration.apply(raw)
        return [min(1.0, max(0.0, float(r))) for r in raw]

    def score(self, query: str, hits: list[Hit], *, embeddings: QueryEmbeddings | None = None) -> Scores:
        values = self.to_rs(self.raw_scores(query, hits, embeddings)) if hits else []
        return Scores(values=values, calibrated=self.calibrated, scorer=self.name)
