"""Runs pipeline variants (baselines and ablations) over a benchmark's queries, one cached result per query.

A variant changes only how routes and items are chosen; every variant shares the pipeline's stages, so the
comparison isolates routing and selection. Per-query results are cached on disk under a hash of the full
config, the variant and the query, so an interrupted run resumes and a changed config reruns.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from mmrag.errors import ConfigError
from mmrag.evaluation import metrics as M
from mmrag.evaluation.loaders import BenchQuery
from mmrag.rerank.selector import AdaptiveSelector
from mmrag.types import NO_RETRIEVAL

#: Variants every run knows besides one per route; "all" = naive, each route, then these.
FIXED_VARIANTS = {
    "naive": "no retrieval: the model answers alone",
    "unified": "search every collection, merge by score (no routing)",
    "random": "a uniformly random route per query (seeded)",
    "oracle": "the gold routes (gt_retrieval)",
    "routed": "the configured router, adaptive RS selection (the full pipeline)",
    "topk": "the configured router, fixed top-k (τ = 0)",
}


def expand_variants(names: list[str], routes: list[str]) -> list[str]:
    """``all`` -> every baseline; route names are single-route variants; unknown names are errors."""
    corpus_routes = [r for r in routes if r != NO_RETRIEVAL]
    out: list[str] = []
    for n in names:
        for part in [p.strip() for p in n.split(",") if p.strip()]:
            if part == "all":
                out += ["naive", *corpus_routes, "unified", "random", "oracle", "topk", "routed"]
            elif part in FIXED_VARIANTS or part in corpus_routes:
                out.append(part)
            else:
                raise ConfigError(f"unknown config '{part}'; use all, {', '.join(FIXED_VARIANTS)} or a route: {', '.join(corpus_routes)}")
    return list(dict.fromkeys(out))


def match_key(key: str, gold: list[str]) -> str:
    """The gold key a retrieved key counts as: itself, its record ('id#2' -> 'id'), or an overlapping clip."""
    if key in gold:
        return key
    base = key.split("#", 1)[0]
    if "#" in key and base in gold:
        return base
    if "@" in key:
        video, span = key.rsplit("@", 1)
        try:
            s, e = (float(x) for x in span.split("-", 1))
        except ValueError:
            return key
        for g in gold:
            if g.startswith(video + "@"):
                try:
                    gs, ge = (float(x) for x in g.rsplit("@", 1)[1].split("-", 1))
                except ValueError:
                    continue
                if s < ge and gs < e:  # any overlap with the gold span
                    return g
    return key


class Runner:
    def __init__(self, pipeline: Any, *, cache_dir: Path | None = None, generate: bool = True, seed: int = 0,
                 concurrency: int = 1):
        self.p = pipeline
        self.cache_dir = cache_dir
        self.generate = generate
        self.seed = seed
        self.concurrency = max(1, concurrency)
        self._unified: Any = None
        self._topk: Any = None
        self._lock = threading.Lock()

    def _unified_pipeline(self) -> Any:
        """The pipeline with the unified baseline's retriever and router; the other stages are shared."""
        with self._lock:
            if self._unified is None:
                from mmrag.retrieval.unified import UnifiedRetriever, UnifiedRouter

                self._unified = self.p.with_stages(retriever=UnifiedRetriever(self.p.retriever), router=UnifiedRouter())
            return self._unified

    def _topk_pipeline(self) -> Any:
        """The pipeline with a fixed top-k selector (τ 0, threshold rule: the configured rule may keep fewer)."""
        with self._lock:
            if self._topk is None:
                self._topk = self.p.with_stages(selector=AdaptiveSelector(0.0, self.p.config.rerank.k, 0, "threshold"))
            return self._topk

    def _cache_path(self, variant: str, q: BenchQuery) -> Path | None:
        if self.cache_dir is None:
            return None
        blob = json.dumps({"config": self.p.config.model_dump(mode="json"), "variant": variant, "generate": self.generate,
                           "seed": self.seed, "query": q.model_dump(mode="json")}, sort_keys=True)
        return self.cache_dir / f"{hashlib.sha1(blob.encode()).hexdigest()}.json"

    def run_query(self, variant: str, q: BenchQuery, metric: str) -> dict[str, Any]:
        cache = self._cache_path(variant, q)
        if cache is not None and cache.is_file():
            return json.loads(cache.read_text(encoding="utf-8"))
        rec = self._run(variant, q, metric)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp")
            tmp.write_text(json.dumps(rec), encoding="utf-8")
            tmp.replace(cache)  # atomic: an interrupted write never leaves a half result
        return rec

    def _run(self, variant: str, q: BenchQuery, metric: str) -> dict[str, Any]:
        p = self.p
        t_all = time.perf_counter()
        if variant == "unified":
            r = self._unified_pipeline().retrieve(q.question)
            timings, selection = dict(r.timings), r.selection
            hits = [h for hs in r.candidates.values() for h in hs]
            routes, probs, ranked_hits = sorted({h.route for h in hits}), {}, hits
        else:
            kwargs: dict[str, Any] = {}
            if variant == "naive":
                kwargs["routes"] = [NO_RETRIEVAL]
            elif variant == "oracle":
                kwargs["routes"] = q.routes or [NO_RETRIEVAL]
            elif variant == "random":
                kwargs["routes"] = [random.Random(f"{self.seed}|{q.id}").choice(p.registry.all_routes)]
            elif variant == "topk":
                p = self._topk_pipeline()
            elif variant != "routed":
                kwargs["routes"] = [variant]
            r = p.retrieve(q.question, **kwargs)
            timings, selection = dict(r.timings), r.selection
            routes, probs = list(r.decision.routes), dict(r.decision.probabilities)
            ranked_hits = sorted((h for hs in r.candidates.values() for h in hs), key=lambda h: -h.score)
        answer = None
        if self.generate:
            t0 = time.perf_counter()
            answer = p.generator.generate(q.prompt(), selection.kept).text
            timings["generate"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - t_all
        return {
            "id": q.id, "config": variant, "question": q.question, "gold_routes": q.routes, "relevant": q.relevant,
            "routes": routes, "route_probs": {k: round(v, 4) for k, v in probs.items()},
            "ranked": [h.item.key for h in ranked_hits],
            "kept": [{"key": s.hit.item.key, "route": s.hit.route, "rs": round(s.rs, 4)} for s in selection.kept],
            "answer": answer, "reference": q.answer, "scores": answer_scores(answer, q, metric) if answer is not None else {},
            "timings": {k: round(v, 4) for k, v in timings.items()},
        }

    def run(self, variants: list[str], queries: list[BenchQuery], metric: str,
            on_done: Callable[[], None] | None = None) -> dict[str, list[dict[str, Any]]]:
        """Per variant, the per-query records in query order."""
        # Build and warm every stage once, so the timings are the stages' work, not model loading.
        self.p.load(router=True, generator=self.generate)
        out: dict[str, list[dict[str, Any]]] = {}
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for v in variants:
                def one(q: BenchQuery, v: str = v) -> dict[str, Any]:
                    rec = self.run_query(v, q, metric)
                    if on_done:
                        on_done()
                    return rec
                out[v] = list(pool.map(one, queries))
        return out


def answer_scores(answer: str, q: BenchQuery, metric: str) -> dict[str, float]:
    if (q.metric or metric) == "choice" or q.choices:
        return {"choice_acc": M.choice_accuracy(answer, q.answer, max(len(q.choices), 4), q.choices)}
    refs = (q.answer, q.aliases)
    return {"em": M.exact_match(answer, *refs), "f1": M.token_f1(answer, *refs),
            "contains": M.contains_answer(answer, *refs), "rouge_l": M.rouge_l(answer, *refs)}


def aggregate(records: list[dict[str, Any]], labels: list[str], ks: tuple[int, ...] = (1, 5, 10)) -> dict[str, Any]:
    """Every metric of one variant over its per-query records."""
    n = len(records)
    answer: dict[str, float] = {}
    for name in sorted({k for r in records for k in r["scores"]}):
        vals = [r["scores"][name] for r in records if name in r["scores"]]
        answer[name] = sum(vals) / len(vals)
    gold = {r["id"]: r["relevant"] for r in records}
    ranked = {r["id"]: [match_key(k, r["relevant"]) for k in r["ranked"]] for r in records}
    kept = [[match_key(k["key"], r["relevant"]) for k in r["kept"]] for r in records if r["relevant"]]
    stages = sorted({k for r in records for k in r["timings"]})
    latency = {s: sum(r["timings"].get(s, 0.0) for r in records) / n for s in stages} if n else {}
    out = {
        "n": n,
        "answer": answer,
        "retrieval": M.retrieval_metrics(gold, ranked, ks),
        "routing": M.routing_metrics([r["gold_routes"] for r in records], [r["routes"] for r in records], labels),
        "selection": M.selection_metrics([r["relevant"] for r in records if r["relevant"]], kept),
        "latency_s": latency,
    }
    out["selection"]["mean_kept_all"] = sum(len(r["kept"]) for r in records) / n if n else 0.0
    return out
