"""Router figures without ingesting anything: route-set accuracy on the demo questions and on the own-data
scenario's questions, and the router's cost per query beyond the query embedding (one CPU thread).

    python evaluation/bench_router.py [--router FOLDER] [--repeat 5] [--json]

- demo: every question of corpora/demo/questions.jsonl routed with the demo registry (corpora/demo.yaml);
  right = the chosen route set equals the gold set.
- own scenario: the 14 questions of evaluation/own_data_scenario.py routed with that scenario's registry
  (four corpora, one of them a route no router was trained on), the same rule.
- latency: the queries are embedded once; then the router's own work (n-gram features, linear layer,
  zero-shot scores of unseen routes, decision) is timed per query, single (one call per query) and batched
  (one call for all), best of --repeat runs. The embedding time is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# One CPU thread for everything timed here (set before numpy/torch load their thread pools).
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _accuracy(router, questions: list[tuple[str, list[str]]]) -> tuple[int, list[dict]]:
    rows = []
    for q, gold in questions:
        d = router.route(q)
        rows.append({"q": q, "gold": gold, "routes": d.routes, "ok": set(d.routes) == set(gold),
                     "p": {r: round(p, 3) for r, p in sorted(d.probabilities.items(), key=lambda kv: -kv[1])[:3]}})
    return sum(r["ok"] for r in rows), rows


def _latency(router, queries: list[str], repeat: int) -> dict[str, float]:
    from mmrag.routing.decision import decide

    t = time.perf_counter()
    emb = router.encoder.encode(queries)
    embed_ms = (time.perf_counter() - t) * 1000 / len(queries)
    single, batched = float("inf"), float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for i, q in enumerate(queries):
            p = router.probabilities([q], emb[i:i + 1])[0]
            decide(p, router.tau, router._modalities)
        single = min(single, (time.perf_counter() - t) * 1000 / len(queries))
        t = time.perf_counter()
        for p in router.probabilities(queries, emb):
            decide(p, router.tau, router._modalities)
        batched = min(batched, (time.perf_counter() - t) * 1000 / len(queries))
    return {"embed_ms_per_query_batched": round(embed_ms, 3), "router_ms_per_query_single": round(single, 3),
            "router_ms_per_query_batched": round(batched, 3), "n": len(queries)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--router", default=None, help="router artefact folder (default: the shipped one)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="print every question's routes as JSON lines too")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from mmrag.config import MMRAGConfig
    from mmrag.encoders import load_text_encoder
    from mmrag.registry import CorpusRegistry, CorpusSpec
    from mmrag.routing import load_trained_router
    from own_data_scenario import QUESTIONS, REGISTRY

    cfg = MMRAGConfig()
    encoder = load_text_encoder(cfg.encoders.text)
    demo_reg = CorpusRegistry.from_yaml(REPO / "corpora" / "demo.yaml")
    own_reg = CorpusRegistry([CorpusSpec.model_validate(c) for c in REGISTRY["corpora"]])
    demo_router = load_trained_router(cfg, demo_reg, encoder, path=args.router)
    own_router = load_trained_router(cfg, own_reg, encoder, path=args.router)
    demo_q = [(r["question"], r["routes"]) for r in map(json.loads, (REPO / "corpora/demo/questions.jsonl").read_text().splitlines())]
    own_q = [(q, routes) for q, routes, _ in QUESTIONS]
    meta = demo_router.model.meta
    print(f"router: {args.router or 'shipped default'}; trained on {meta.get('train_size')} queries "
          f"({', '.join(d['file'] for d in meta['data']) if isinstance(meta.get('data'), list) else meta.get('data')}); "
          f"cv {meta.get('cv', '-')}")
    for name, router, qs in (("demo questions", demo_router, demo_q), ("own-data scenario", own_router, own_q)):
        right, rows = _accuracy(router, qs)
        print(f"{name}: right route set {right}/{len(qs)} ({right / len(qs):.1%})")
        for r in rows:
            if args.json:
                print(json.dumps(r, ensure_ascii=False))
            elif not r["ok"]:
                print(f"   wrong: {r['q']!r} gold {r['gold']} chose {r['routes']} {r['p']}")
    for name, router in (("demo registry", demo_router), ("own-data registry (zero-shot route)", own_router)):
        lat = _latency(router, [q for q, _ in demo_q + own_q], args.repeat)
        print(f"latency, {name}: router {lat['router_ms_per_query_single']:.3f} ms/query single, "
              f"{lat['router_ms_per_query_batched']:.3f} ms/query batched, beyond the embedding "
              f"({lat['embed_ms_per_query_batched']:.2f} ms/query batched); one thread, n={lat['n']}, best of {args.repeat}")


if __name__ == "__main__":
    main()
