"""Reranking evaluation on labelled pairs: adaptive selection vs fixed top-k, a τ sweep and a PR curve.

Scores are computed once per (query, candidate); calibration by cross-validation (folds by query) keeps
the reported figures out-of-sample when the calibration is fitted on the same pairs.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import track

from mmrag.rerank.calibration import Calibration, fit_calibration
from mmrag.rerank.pairs import QueryCandidates
from mmrag.rerank.selector import AdaptiveSelector

FIXED_K = (1, 3, 5)


def prf(kept: list[int], labels: list[int]) -> tuple[float, float, float]:
    """Precision, recall, F1 of a kept set (candidate indices) against 0/1 labels.

    Nothing relevant and nothing kept is perfect (1, 1, 1); keeping nothing when something is relevant
    scores 0 on all three; keeping something when nothing is relevant has precision and F1 0.
    """
    rel = {i for i, y in enumerate(labels) if y}
    hit = len(rel.intersection(kept))
    if not rel:
        return (1.0, 1.0, 1.0) if not kept else (0.0, 1.0, 0.0)
    if not kept:
        return 0.0, 0.0, 0.0
    p, r = hit / len(kept), hit / len(rel)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _mean(rows: list[tuple[float, float, float, int]]) -> dict[str, float]:
    a = np.asarray(rows, dtype=float) if rows else np.zeros((1, 4))
    return {"precision": float(a[:, 0].mean()), "recall": float(a[:, 1].mean()), "f1": float(a[:, 2].mean()), "mean_kept": float(a[:, 3].mean())}


def adaptive_metrics(groups: list[QueryCandidates], rs: list[list[float]], tau: float, k: int, min_keep: int = 0,
                     rule: str = "threshold") -> dict[str, float]:
    sel = AdaptiveSelector(tau, k, min(min_keep, k), rule)
    rows, zero = [], 0
    for g, s in zip(groups, rs):
        chosen = sel.select(g.hits, s)
        kept = [sh.hit.rank for sh in chosen.kept]
        zero += not kept
        rows.append((*prf(kept, g.labels), len(kept)))
    out = _mean(rows)
    out.update(tau=float(tau), k=int(k), zero_kept_queries=int(zero))
    return out


def topk_metrics(groups: list[QueryCandidates], rs: list[list[float]], k: int) -> dict[str, float]:
    rows = []
    for g, s in zip(groups, rs):
        kept = sorted(range(len(s)), key=lambda i: (-s[i], i))[:k]
        rows.append((*prf(kept, g.labels), len(kept)))
    return _mean(rows)


def tau_sweep(groups: list[QueryCandidates], rs: list[list[float]], k: int, step: float = 0.01) -> dict[str, Any]:
    taus = np.round(np.arange(0.0, 1.0 + 1e-9, step), 4)
    curve = [adaptive_metrics(groups, rs, float(t), k) for t in taus]
    best = max(curve, key=lambda m: (m["f1"], m["tau"]))
    return {"best_tau": best["tau"], "best_f1": best["f1"], "curve": curve}


def query_folds(n: int, folds: int, seed: int = 0) -> tuple[int, np.ndarray]:
    """(number of folds, fold of each query): a seeded shuffle dealt round-robin, 2 ≤ folds ≤ n."""
    folds = max(2, min(folds, n))
    order = np.random.default_rng(seed).permutation(n)
    fold_of = np.empty(n, dtype=int)
    fold_of[order] = np.arange(n) % folds
    return folds, fold_of


def cross_validated_rs(
    groups: list[QueryCandidates], raw: list[list[float]], *, scorer: str, feature: str, folds: int = 5, seed: int = 0
) -> list[list[float]]:
    """RS for each query from a calibration fitted on the other folds of queries only."""
    n = len(groups)
    folds, fold_of = query_folds(n, folds, seed)
    out: list[list[float]] = [[] for _ in range(n)]
    for f in range(folds):
        train = [i for i in range(n) if fold_of[i] != f]
        x = [raw[i] for i in train]
        y = [groups[i].labels for i in train]
        cal: Calibration = fit_calibration(x, y, scorer=scorer, feature=feature)  # type: ignore[arg-type]
        for i in range(n):
            if fold_of[i] == f:
                out[i] = cal.apply(raw[i])
    return out


def compute_raw(scorer: Any, groups: list[QueryCandidates], progress: bool = True) -> list[list[float]]:
    it = track(groups, description=f"scoring with {scorer.name}") if progress else groups
    return [scorer.raw_scores(g.query, g.hits) for g in it]


def report(groups: list[QueryCandidates], rs: list[list[float]], *, tau: float, k: int, min_keep: int = 0,
           rule: str = "threshold") -> dict[str, Any]:
    labels = [y for g in groups for y in g.labels]
    flat = [v for s in rs for v in s]
    out: dict[str, Any] = {
        "n_queries": len(groups),
        "n_pairs": len(labels),
        "n_relevant": int(sum(labels)),
        "queries_without_relevant": int(sum(1 for g in groups if not any(g.labels))),
        "adaptive": {**adaptive_metrics(groups, rs, tau, k, min_keep, rule), "rule": rule},
        "fixed_topk": {str(kk): topk_metrics(groups, rs, kk) for kk in FIXED_K},
        "sweep": tau_sweep(groups, rs, k),
    }
    if 0 < sum(labels) < len(labels):
        from sklearn.metrics import roc_auc_score

        out["auc"] = float(roc_auc_score(labels, flat))
    return out


def plot_pr_curve(sweep: dict[str, Any], path: str | Path, title: str = "") -> Path:
    """Precision–recall over the τ sweep, the best-F1 τ marked."""
    from mmrag.optional import require

    matplotlib = require("matplotlib", extra="eval", purpose="plots")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = sweep["curve"]
    r = [m["recall"] for m in curve]
    p = [m["precision"] for m in curve]
    best = next(m for m in curve if m["tau"] == sweep["best_tau"])
    fig, ax = plt.subplots(figsize=(5, 4), dpi=120)
    ax.plot(r, p, "-o", ms=2, lw=1)
    ax.plot([best["recall"]], [best["precision"]], "r*", ms=12, label=f"best F1 {best['f1']:.2f} at τ={best['tau']:.2f}")
    for m in curve[:: max(1, len(curve) // 10)]:
        ax.annotate(f"{m['tau']:.1f}", (m["recall"], m["precision"]), fontsize=6, alpha=0.7)
    ax.set_xlabel("recall (macro over queries)")
    ax.set_ylabel("precision (macro over queries)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(textwrap.fill(title or "adaptive selection, τ sweep", 70), fontsize=8)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    p_out = Path(path)
    p_out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p_out)
    plt.close(fig)
    return p_out
