"""Routing evaluation: accuracy, macro-F1, per-route precision/recall, confusion matrix, latency, k-fold CV."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from mmrag.encoders.base import TextEncoder
from mmrag.protocols import Router
from mmrag.routing.dataset import LabelledQuery
from mmrag.routing.decision import decide
from mmrag.routing.features import embed_queries
from mmrag.routing.train import TrainOptions, train_model


class RouteScores(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int


class RoutingReport(BaseModel):
    n: int
    accuracy: float = Field(description="Share of queries whose chosen route set equals the gold set.")
    top1_accuracy: float = Field(description="Share whose likeliest route is one of the gold routes.")
    macro_f1: float = Field(description="Mean over routes of the per-route F1 (chosen vs gold sets).")
    per_route: dict[str, RouteScores]
    labels: list[str]
    confusion: list[list[int]] = Field(description="Rows: gold primary route; columns: chosen primary route.")
    latency_ms: dict[str, float] = Field(default_factory=dict)
    mode: str = "evaluation of a trained router"
    router: str = ""


def score(gold: list[list[str]], chosen: list[list[str]], top1: list[str], labels: list[str]) -> dict:
    """Metrics from gold route sets, chosen route sets and the likeliest route of each query."""
    n = len(gold)
    idx = {r: i for i, r in enumerate(labels)}
    conf = np.zeros((len(labels), len(labels)), dtype=int)
    for g, c in zip(gold, chosen):
        conf[idx[g[0]], idx[c[0]]] += 1
    per_route = {}
    for r in labels:
        tp = sum(r in g and r in c for g, c in zip(gold, chosen))
        fp = sum(r not in g and r in c for g, c in zip(gold, chosen))
        fn = sum(r in g and r not in c for g, c in zip(gold, chosen))
        p = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * rec / (p + rec) if p + rec else 0.0
        per_route[r] = RouteScores(precision=p, recall=rec, f1=f1, support=tp + fn)
    # Routes absent from both gold and predictions say nothing about quality; leave them out of the mean.
    present = [r for r in labels if per_route[r].support or any(r in c for c in chosen)]
    return {
        "n": n,
        "accuracy": sum(set(g) == set(c) for g, c in zip(gold, chosen)) / n,
        "top1_accuracy": sum(t in g for g, t in zip(gold, top1)) / n,
        "macro_f1": float(np.mean([per_route[r].f1 for r in present])) if present else 0.0,
        "per_route": per_route,
        "labels": labels,
        "confusion": conf.tolist(),
    }


def latency_summary(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms, dtype=float)
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)), "mean": float(a.mean()), "n": float(len(a))}


def evaluate_router(router: Router, data: list[LabelledQuery], labels: list[str], progress: bool = False) -> RoutingReport:
    """Routes every query one at a time (as in serving), so latency includes embedding."""
    from rich.progress import track

    chosen, top1, ms = [], [], []
    it = track(data, description="routing", transient=True) if progress else data
    for d in it:
        t = time.perf_counter()
        dec = router.route(d.query)
        ms.append((time.perf_counter() - t) * 1000.0)
        chosen.append(dec.routes)
        top1.append(max(dec.probabilities, key=dec.probabilities.get))
    return RoutingReport(**score([d.routes for d in data], chosen, top1, labels), latency_ms=latency_summary(ms),
                         router=getattr(router, "name", type(router).__name__))


def cross_validate(data: list[LabelledQuery], labels: list[str], encoder: TextEncoder | None, modalities: dict,
                   options: TrainOptions | None = None, k: int = 5, tau: float = 0.5, progress: bool = False,
                   embeddings: np.ndarray | None = None, sample_weight: np.ndarray | None = None) -> RoutingReport:
    """Stratified k-fold (by primary route, seed 0): train on k-1 folds, route the held-out fold."""
    from sklearn.model_selection import StratifiedKFold

    opts = options or TrainOptions()
    texts = [d.query for d in data]
    emb = None
    if opts.features != "tfidf":
        emb = embeddings if embeddings is not None else embed_queries(encoder, texts, opts.max_chars, progress=progress)
    y = [d.primary for d in data]
    counts = {r: y.count(r) for r in set(y)}
    # Routes rarer than k cannot be stratified; they are still predicted, just unevenly spread over folds.
    strat = [r if counts[r] >= k else "_rare" for r in y]
    chosen: list[list[str]] = [[] for _ in data]
    top1: list[str] = [""] * len(data)
    for tr, te in StratifiedKFold(n_splits=k, shuffle=True, random_state=0).split(texts, strat):
        model = train_model([data[i] for i in tr], labels, encoder, opts, embeddings=emb[tr] if emb is not None else None,
                            sample_weight=sample_weight[tr] if sample_weight is not None else None)
        probs = model.predict_proba([texts[i] for i in te], emb[te] if emb is not None else None)
        for i, row in zip(te, probs):
            p = dict(zip(labels, row.tolist()))
            chosen[i] = decide(p, tau, modalities)
            top1[i] = max(p, key=p.get)
    return RoutingReport(**score([d.routes for d in data], chosen, top1, labels), mode=f"{k}-fold cv",
                         router=f"trained ({opts.features})")


def confusion_png(report: RoutingReport, path: str | Path) -> Path:
    from mmrag.optional import require

    matplotlib = require("matplotlib", extra="eval", purpose="plots")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = np.asarray(report.confusion)
    fig, ax = plt.subplots(figsize=(1.1 * len(report.labels) + 2, 1.0 * len(report.labels) + 1.5))
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(len(report.labels)), report.labels, rotation=45, ha="right")
    ax.set_yticks(range(len(report.labels)), report.labels)
    ax.set_xlabel("chosen (primary)")
    ax.set_ylabel("gold (primary)")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", color="white" if m[i, j] > m.max() / 2 else "black")
    ax.set_title(f"routing: accuracy {report.accuracy:.1%}, macro-F1 {report.macro_f1:.3f}")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
