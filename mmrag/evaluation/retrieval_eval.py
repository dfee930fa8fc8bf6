"""`mmrag eval retrieval`: retrieval quality, RS selection and RS reliability on a BEIR-style set, per mode.

The corpus goes into a scratch collection of the configured store (named by a hash of the corpus and the
encoder settings, so an unchanged corpus is reused); each query then runs through the pipeline's own
retrieve stage (given route, no router) once per retrieval mode, so the figures are the pipeline's.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from mmrag.config import MMRAGConfig, load_config
from mmrag.errors import InputError
from mmrag.evaluation.beir import RetrievalSet
from mmrag.evaluation.metrics import normalize_answer, selection_metrics
from mmrag.rerank.selector import kept_indices

MODES = ("dense", "sparse", "hybrid", "bm25")
RANK_METRICS = ("recall@1", "recall@5", "recall@10", "recall@20", "ndcg@10", "mrr@10")
FIXED_K = (1, 3, 5)
ROUTE = "eval"


def parse_modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise InputError(f"--modes '{text}': use a comma-separated subset of {', '.join(MODES)}")
    return list(dict.fromkeys(modes))


def _config(cfg: MMRAGConfig, **sets: Any) -> MMRAGConfig:
    data = {**cfg.model_dump(), "base_dir": cfg.base_dir}
    for dotted, value in sets.items():
        node = data
        *head, last = dotted.split(".")
        for k in head:
            node = node[k]
        node[last] = value
    return load_config(None, data)


def doc_text(doc: dict[str, str], with_title: bool) -> str:
    # One line break keeps title and text one passage (blank lines would split it).
    return f"{doc['title']}\n{doc['text']}" if with_title and doc.get("title") else doc["text"]


def prepare_corpus(cfg: MMRAGConfig, data: RetrievalSet, *, with_title: bool = True, progress=None) -> MMRAGConfig:
    """Ingest the corpus into its scratch collection (skipped when it is already there); returns the config to search it."""
    from mmrag.ingest import Ingestor
    from mmrag.registry import CorpusRegistry
    from mmrag.store.qdrant import open_store

    h = hashlib.sha1()
    for did, doc in data.corpus.items():
        h.update(f"{did}\x00{doc_text(doc, with_title)}\x01".encode())
    h.update(json.dumps([cfg.encoders.text.model, cfg.retrieval.model_dump(include={"sparse_language", "sparse_k1", "sparse_b", "sparse_avg_len"})]).encode())
    tag = h.hexdigest()[:12]
    folder = cfg.data_path / "eval-retrieval" / tag
    folder.mkdir(parents=True, exist_ok=True)
    corpus_file = folder / "corpus.jsonl"
    if not corpus_file.is_file():
        with corpus_file.open("w", encoding="utf-8") as f:
            for did, doc in data.corpus.items():
                f.write(json.dumps({"id": did, "title": doc.get("title") or None, "text": doc_text(doc, with_title)}) + "\n")
    registry_file = folder / "corpora.yaml"
    registry_file.write_text(yaml.safe_dump({"corpora": [{
        "name": f"eval_{tag}", "route": ROUTE, "modality": "text", "granularity": "paragraph",
        "description": "retrieval evaluation corpus", "sources": ["corpus.jsonl"]}]}), encoding="utf-8")
    # Every record stays one passage, so a stored item's key is its document id.
    ecfg = _config(cfg, corpora=str(registry_file), **{"ingest.paragraph_min_words": 0, "ingest.paragraph_max_words": 10**9})
    spec = CorpusRegistry.from_yaml(registry_file).get(f"eval_{tag}")
    store = open_store(ecfg)
    if store.count(spec.collection_name, heads_only=True) != len(data.corpus):
        Ingestor(ecfg, store).ingest(spec, progress=progress)
    return ecfg


def ece(probs: list[float], labels: list[int], bins: int = 10) -> tuple[float, list[dict[str, float]]]:
    """Expected calibration error over equal-width bins, and the bins (for the reliability plot)."""
    p, y = np.asarray(probs, dtype=float), np.asarray(labels, dtype=float)
    if not len(p):
        return float("nan"), []
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total, rows = 0.0, []
    for b in range(bins):
        m = idx == b
        if m.any():
            conf, acc = float(p[m].mean()), float(y[m].mean())
            total += m.sum() / len(p) * abs(conf - acc)
            rows.append({"bin": b, "n": int(m.sum()), "confidence": conf, "accuracy": acc})
    return float(total), rows


def rank_metrics(gold: dict[str, set[str]], ranked: dict[str, list[str]]) -> dict[str, float]:
    from ranx import Qrels, Run, evaluate

    qrels = Qrels({q: {d: 1 for d in g} for q, g in gold.items()})
    run = Run({q: ({d: float(len(r) - i) for i, d in enumerate(r)} or {"<nothing>": 0.0}) for q, r in ranked.items()})
    scores = evaluate(qrels, run, list(RANK_METRICS), make_comparable=True)
    return {k: float(v) for k, v in scores.items()}


def _answer_found(kept_texts: list[str], answers: list[str]) -> float:
    text = " " + " ".join(normalize_answer(t) for t in kept_texts) + " "
    return float(any(f" {normalize_answer(a)} " in text for a in answers if normalize_answer(a)))


def _latency(rows: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    out = {}
    for stage in sorted({k for r in rows for k in r}):
        v = np.asarray([r.get(stage, 0.0) for r in rows]) * 1000
        out[stage] = {"mean_ms": float(v.mean()), "p50_ms": float(np.percentile(v, 50)), "p95_ms": float(np.percentile(v, 95))}
    return out


class _BM25Baseline:
    """bm25s over the same text views (Lucene BM25, k1 1.5, b 0.75, stopwords + Snowball stems): a reference, not a mode of mmrag."""

    def __init__(self, data: RetrievalSet, with_title: bool, language: str):
        import bm25s
        import Stemmer

        self.ids = list(data.corpus)
        self.stemmer = Stemmer.Stemmer(language)
        self.bm25s = bm25s
        tokens = bm25s.tokenize([doc_text(data.corpus[d], with_title) for d in self.ids], stopwords="en", stemmer=self.stemmer, show_progress=False)
        self.index = bm25s.BM25(k1=1.5, b=0.75)
        self.index.index(tokens, show_progress=False)

    def search(self, query: str, n: int) -> list[str]:
        q = self.bm25s.tokenize([query], stopwords="en", stemmer=self.stemmer, show_progress=False)
        docs, _ = self.index.retrieve(q, k=min(n, len(self.ids)), show_progress=False)
        return [self.ids[int(i)] for i in docs[0]]


def evaluate_mode(mode: str, cfg: MMRAGConfig, data: RetrievalSet, qids: list[str], *, scorer: Any, n: int,
                  advance: Callable[[], None] | None = None) -> dict[str, Any]:
    """Retrieval, selection and RS figures of one mode over the queries ``qids``."""
    gold = {q: {d for d, r in data.qrels[q].items() if r > 0} for q in qids}
    ranked: dict[str, list[str]] = {}
    lat: list[dict[str, float]] = []
    if mode == "bm25":
        base = _BM25Baseline(data, with_title=True, language=cfg.retrieval.sparse_language)
        for q in qids:
            t0 = time.perf_counter()
            ranked[q] = base.search(data.queries[q], n)
            lat.append({"search": time.perf_counter() - t0})
            if advance:
                advance()
        return {"mode": mode, "retrieval": rank_metrics(gold, ranked), "latency": _latency(lat), "note": "bm25s reference (no RS)"}

    from mmrag.pipeline import Pipeline

    mcfg = _config(cfg, **{"retrieval.mode": mode})
    pipe = Pipeline(mcfg, scorer=scorer)
    rs_all: list[float] = []
    y_all: list[int] = []
    per_query: list[tuple[list[float], list[int]]] = []
    kept: dict[str, list[str]] = {}
    fixed: dict[int, dict[str, list[str]]] = {k: {} for k in FIXED_K}
    texts: dict[str, dict[str, str]] = {}
    for q in qids:
        r = pipe.retrieve(data.queries[q], routes=[ROUTE], n_candidates=n)
        hits = r.candidates.get(ROUTE, [])
        ranked[q] = [h.item.key for h in hits]
        scored = sorted([*r.selection.kept, *r.selection.dropped], key=lambda s: -s.rs)
        for s in scored:
            rs_all.append(float(s.rs))
            y_all.append(int(s.hit.item.key in gold[q]))
        per_query.append(([float(s.rs) for s in scored], [int(s.hit.item.key in gold[q]) for s in scored]))
        kept[q] = [s.hit.item.key for s in r.selection.kept]
        for k in FIXED_K:
            fixed[k][q] = [s.hit.item.key for s in scored[:k]]
        texts[q] = {h.item.key: h.item.text for h in hits}
        lat.append({k: v for k, v in r.timings.items() if k != "route"})
        if advance:
            advance()
    g = [sorted(gold[q]) for q in qids]
    sel = {"adaptive": selection_metrics(g, [kept[q] for q in qids])}
    sel.update({f"top-{k}": selection_metrics(g, [fixed[k][q] for q in qids]) for k in FIXED_K})
    if data.answers:
        for name, chosen in [("adaptive", kept), *[(f"top-{k}", fixed[k]) for k in FIXED_K]]:
            with_ans = [q for q in qids if data.answers.get(q)]
            if with_ans:
                sel[name]["answer_found"] = float(np.mean([_answer_found([texts[q][d] for d in chosen[q]], data.answers[q]) for q in with_ans]))
    e, bins = ece(rs_all, y_all)
    sel_cfg = pipe.selector
    sel["adaptive_sweep"] = tau_sweep(per_query, [len(gold[q]) for q in qids], k=getattr(sel_cfg, "k", 5),
                                     rule=getattr(sel_cfg, "rule", "threshold"))
    return {
        "mode": mode,
        "retrieval": rank_metrics(gold, ranked),
        "selection": sel,
        "selector": {"tau": getattr(sel_cfg, "tau", None), "k": getattr(sel_cfg, "k", None), "min_keep": getattr(sel_cfg, "min_keep", None),
                     "rule": getattr(sel_cfg, "rule", None)},
        "rs": {"scorer": getattr(scorer, "name", type(scorer).__name__), "calibrated": bool(getattr(scorer, "calibrated", False)),
               "ece": e, "bins": bins, "pairs": len(rs_all), "positives": int(sum(y_all))},
        "latency": _latency(lat),
    }


def tau_sweep(per_query: list[tuple[list[float], list[int]]], n_gold: list[int], k: int, rule: str = "threshold") -> dict[str, Any]:
    """Adaptive F1 over τ (0.05 … 0.95) with min_keep 0 and 1, from the RS already computed (best first), by the
    selector's ``rule``."""
    out: dict[str, Any] = {}
    for mk in (0, 1):
        curve = []
        for tau in np.round(np.arange(0.05, 0.951, 0.05), 2):
            f1s = []
            for (rs, y), g in zip(per_query, n_gold):
                kept = kept_indices(rs, float(tau), k, mk, rule)
                hit = sum(y[i] for i in kept)
                f1s.append(0.0 if not kept or not hit else 2 * (hit / len(kept)) * (hit / g) / (hit / len(kept) + hit / g))
            curve.append({"tau": float(tau), "f1": float(np.mean(f1s))})
        best = max(curve, key=lambda c: c["f1"])
        out[f"min_keep={mk}"] = {"best_tau": best["tau"], "best_f1": best["f1"], "curve": curve}
    return out


def markdown(res: dict[str, Any]) -> str:
    modes = res["modes"]
    lines = [f"# Retrieval evaluation: {res['n_queries']} queries (seed {res['seed']}), {res['n_docs']} documents", ""]
    lines += ["| mode | " + " | ".join(RANK_METRICS) + " |", "|---" * (len(RANK_METRICS) + 1) + "|"]
    for m in modes.values():
        lines.append(f"| {m['mode']} | " + " | ".join(f"{m['retrieval'][k]:.3f}" for k in RANK_METRICS) + " |")
    lines += ["", "## RS selection (precision / recall / F1 / items kept per query" + (" / answer in kept" if res.get("answers") else "") + ")", ""]
    cols = ["adaptive", *[f"top-{k}" for k in FIXED_K]]
    lines += ["| mode | " + " | ".join(cols) + " | RS ECE |", "|---" * (len(cols) + 2) + "|"]
    for m in modes.values():
        if "selection" not in m:
            continue
        cells = []
        for c in cols:
            s = m["selection"][c]
            cell = f"{s['precision']:.3f} / {s['recall']:.3f} / **{s['f1']:.3f}** / {s['mean_kept']:.2f}"
            if "answer_found" in s:
                cell += f" / {s['answer_found']:.3f}"
            cells.append(cell)
        lines.append(f"| {m['mode']} | " + " | ".join(cells) + f" | {m['rs']['ece']:.3f} |")
    first = next((m for m in modes.values() if "selection" in m), None)
    if first:
        s = first["selector"]
        lines += ["", f"Adaptive: RS ≥ τ={s['tau']}, at most k={s['k']}, min_keep={s['min_keep']}, rule {s.get('rule', 'threshold')}; "
                      f"scorer {first['rs']['scorer']}."]
        for m in modes.values():
            if "selection" in m:
                sw = m["selection"]["adaptive_sweep"]
                lines.append(f"- {m['mode']}: best adaptive F1 over τ ({s.get('rule', 'threshold')} rule): " + "; ".join(
                    f"{name} {v['best_f1']:.3f} at τ={v['best_tau']:.2f}" for name, v in sw.items()))
    lines += ["", "## Latency per query (ms, mean / p95)", ""]
    stages = sorted({st for m in modes.values() for st in m["latency"]})
    lines += ["| mode | " + " | ".join(stages) + " |", "|---" * (len(stages) + 1) + "|"]
    for m in modes.values():
        cells = [f"{m['latency'][st]['mean_ms']:.1f} / {m['latency'][st]['p95_ms']:.1f}" if st in m["latency"] else "–" for st in stages]
        lines.append(f"| {m['mode']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_reliability(res: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=120)
    ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="perfect calibration")
    for m in res["modes"].values():
        if "rs" in m and m["rs"]["bins"]:
            b = m["rs"]["bins"]
            ax.plot([x["confidence"] for x in b], [x["accuracy"] for x in b], "-o", ms=3, label=f"{m['mode']} (ECE {m['rs']['ece']:.3f})")
    ax.set_xlabel("RS (mean in bin)")
    ax.set_ylabel("fraction relevant")
    ax.set_title(f"RS reliability, {res['n_queries']} queries", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(res: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "retrieval.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(res), encoding="utf-8")
    plot_reliability(res, out / "reliability.png")
