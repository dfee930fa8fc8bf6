"""Relevancy-score reranking: RS ∈ [0, 1] per (query, candidate), then keep RS ≥ τ, best first, at most k."""

from mmrag.rerank.calibration import Calibration, fit_calibration
from mmrag.rerank.factory import SCORER_KINDS, build_scorer, load_scorer
from mmrag.rerank.logprobs import rs_from_logprobs, yes_no_mass
from mmrag.rerank.selector import AdaptiveSelector
from mmrag.rerank.search_score import SearchScoreScorer


def selector_from_config(cfg) -> AdaptiveSelector:
    """The ``AdaptiveSelector`` of ``cfg.rerank`` (tau, k, min_keep)."""
    return AdaptiveSelector(cfg.rerank.tau, cfg.rerank.k, cfg.rerank.min_keep, cfg.rerank.rule)


__all__ = [
    "AdaptiveSelector",
    "Calibration",
    "SCORER_KINDS",
    "SearchScoreScorer",
    "build_scorer",
    "fit_calibration",
    "load_scorer",
    "rs_from_logprobs",
    "selector_from_config",
    "yes_no_mass",
]
