"""Pairs-file paths of the `signals` scorer: fit its model on labelled pairs, cross-validated RS for `eval rerank`."""

from __future__ import annotations

from rich.progress import track

from mmrag.errors import InputError
from mmrag.rerank.selection_eval import query_folds
from mmrag.rerank.pairs import QueryCandidates
from mmrag.rerank.signals import SignalModel, SignalScorer, features, fit_signal_model
from mmrag.rerank.signals import Signals as QuerySignals

Signals = list[QuerySignals]


def pair_signals(scorer: SignalScorer, groups: list[QueryCandidates], progress: bool = True) -> Signals:
    """``Signals`` of every query's candidates, read from the store (items must be ingested)."""
    if any(h.item.corpus == "pairs" for g in groups for h in g.hits):
        raise InputError("the 'signals' scorer reads search signals from the store: pairs with inline items need another scorer (e.g. --scorer bi-encoder)")
    it = track(groups, description="reading search signals") if progress else groups
    return [scorer.signals(g.query, g.hits) for g in it]


def fit_on_pairs(signals: Signals, groups: list[QueryCandidates], source: str, hidden: int = 0) -> SignalModel:
    return fit_signal_model(signals, [g.labels for g in groups], source=source, hidden=hidden)


def cross_validated(signals: Signals, groups: list[QueryCandidates], folds: int = 5, seed: int = 0) -> list[list[float]]:
    """RS per query from a model fitted on the other folds of queries only."""
    n = len(groups)
    folds, fold_of = query_folds(n, folds, seed)
    out: list[list[float]] = [[] for _ in range(n)]
    for f in range(folds):
        train = [i for i in range(n) if fold_of[i] != f]
        model = fit_signal_model([signals[i] for i in train], [groups[i].labels for i in train])
        for i in range(n):
            if fold_of[i] == f:
                out[i] = model.predict(features(*signals[i])).tolist()
    return out


def apply(model: SignalModel, signals: Signals) -> list[list[float]]:
    return [model.predict(features(*g)).tolist() if g[0] else [] for g in signals]
