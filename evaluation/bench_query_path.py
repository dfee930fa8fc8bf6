"""Model work on the query path: encoder calls per question, and warm `retrieve` against its floor.

Prints, on an ingested corpus (the demo: `mmrag ingest --all --set data_dir=DIR` first):
  1. encoder calls (and texts encoded) per question for the routed pipeline, the unified baseline and the
     bi-encoder scorer, counted by wrapping the encoder classes' encode methods;
  2. warm `Pipeline.retrieve` time over the time of one query embedding plus one search (the issue's goal: ≤ 5×),
     measured side by side per question (median over questions; the machine is shared, so compare ratios).

Runs against whichever mmrag is first on PYTHONPATH, so the same script measures the code before and after a
change (e.g. `PYTHONPATH=/work/main python evaluation/bench_query_path.py --data-dir /tmp/x`).

    python evaluation/bench_query_path.py --data-dir /tmp/wtB-data [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

QUESTIONS = [
    "How many eggs a day can a honeybee queen lay at the height of the season?",
    "What was the name of the Apollo 17 lunar module?",
    "What do worker bees feed the larvae?",
    "Who was the first person to walk on the Moon?",
    "Who commanded the Apollo 11 mission?",
    "How long does a worker bee live in summer?",
    "Which bicycle pedal has a reverse, left-hand thread?",
    "What is the tyre pressure of a road bike?",
]
REPO = Path(__file__).resolve().parents[1]


class Counting:
    """Counts calls and texts of every encoder class's encode methods (the query path's model work)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.texts: Counter[str] = Counter()
        import importlib

        # Every encoder class this version of mmrag has (ONNX, transformers, sentence-transformers, image-text).
        for module, cls_name, names in (("mmrag.encoders.text", "SentenceTransformerEncoder", ("encode",)),
                                        ("mmrag.encoders.transformers_text", "TransformersTextEncoder", ("encode",)),
                                        ("mmrag.encoders.onnx_text", "OnnxTextEncoder", ("encode",)),
                                        ("mmrag.encoders.image_text", "HFImageTextEncoder", ("encode_texts", "encode_images"))):
            try:
                cls = getattr(importlib.import_module(module), cls_name)
            except (ImportError, AttributeError):
                continue
            for name in names:
                self._wrap(cls, name)

    def _wrap(self, cls, name: str) -> None:
        inner = getattr(cls, name)
        counter = self

        def counted(self, items, *args, **kwargs):
            counter.calls[f"{cls.__name__}.{name}"] += 1
            counter.texts[f"{cls.__name__}.{name}"] += len(items)
            return inner(self, items, *args, **kwargs)

        setattr(cls, name, counted)

    def reset(self) -> None:
        self.calls.clear()
        self.texts.clear()

    def total(self) -> tuple[int, int]:
        return sum(self.calls.values()), sum(self.texts.values())


def unified_retrieve(p):
    """The unified baseline as this version of mmrag runs it."""
    try:
        from mmrag.retrieval.unified import UnifiedRetriever, UnifiedRouter
    except ImportError:  # before: CollectionRetriever.search_all
        return lambda q: p.retriever.search_all(q, n=p.config.rerank.n_candidates)
    u = p.with_stages(retriever=UnifiedRetriever(p.retriever), router=UnifiedRouter())
    return lambda q: u.retrieve(q)


def per_question(counting: Counting, run, questions: list[str]) -> tuple[float, float]:
    calls, texts = [], []
    for q in questions:
        counting.reset()
        run(q)
        c, t = counting.total()
        calls.append(c)
        texts.append(t)
    return statistics.mean(calls), statistics.mean(texts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True, help="data_dir of an ingested demo corpus")
    ap.add_argument("--repeat", type=int, default=3, help="timed rounds over the questions")
    ap.add_argument("--route", default="paragraph", help="collection of the 'one search' floor")
    args = ap.parse_args()

    from mmrag.pipeline import Pipeline
    from mmrag.store.qdrant import TEXT

    counting = Counting()
    overrides = {"data_dir": args.data_dir, "generator.backend": "openai"}  # no generator is loaded or called
    p = Pipeline.from_config(REPO / "pipelines" / "default.yaml", overrides)
    try:
        p.load(router=True, generator=False)  # warm, and the process's query thread count (encoders.text.query_threads)
    except TypeError:  # before: load() always loaded the generator; the encoder used one torch thread per call
        _ = (p.router, p.retriever, p.scorer, p.selector)
    import mmrag

    print(f"mmrag from {Path(mmrag.__file__).parent}; data {args.data_dir}; {len(QUESTIONS)} questions")

    # 1. Encoder calls per question.
    for q in QUESTIONS[:2]:  # warm: lazy loads are not per-question work
        p.retrieve(q)
        unified_retrieve(p)(q)
    rows = [("routed (router + retrieve + signals scorer)", per_question(counting, lambda q: p.retrieve(q), QUESTIONS)),
            ("given route, no router", per_question(counting, lambda q: p.retrieve(q, routes=[args.route]), QUESTIONS)),
            ("unified baseline (every collection)", per_question(counting, unified_retrieve(p), QUESTIONS))]
    bi_cfg = {**overrides, "rerank.scorer": "bi-encoder"}
    try:
        bi = Pipeline.from_config(REPO / "pipelines" / "default.yaml", bi_cfg, registry=p.registry, router=p.router,
                                  retriever=p.retriever)
        bi.retrieve(QUESTIONS[0], routes=[args.route])
        rows.append(("given route, bi-encoder scorer", per_question(counting, lambda q: bi.retrieve(q, routes=[args.route]), QUESTIONS)))
    except Exception as e:  # noqa: BLE001 - a version without this scorer config: say so and go on
        print(f"(bi-encoder variant skipped: {type(e).__name__}: {e})")
    print("\nencoder calls per question (mean)      calls   texts encoded")
    for name, (c, t) in rows:
        print(f"  {name:<38} {c:5.2f}   {t:6.2f}")

    # 2. Warm retrieve vs one query embedding + one search, side by side per question.
    spec = p.registry.for_route(args.route)
    from mmrag.encoders import corpus_encoders

    encoder, _ = corpus_encoders(p.config, spec)
    print(f"text encoder: {type(encoder).__name__}")
    store, coll, n = p.retriever.store, spec.collection_name, p.config.rerank.n_candidates
    grouped = spec.granularity != "paragraph"
    emb, search, given, routed = [], [], [], []
    for r in range(args.repeat):
        for i, q in enumerate(QUESTIONS):
            q = f"{q} ({r})" if r else q  # a new text each round: nothing is reused across questions
            t0 = time.perf_counter()
            v = encoder.encode([q])[0]
            emb.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            store.search_groups(coll, vector=v, using=TEXT, limit=n, grouped=grouped)
            search.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            p.retrieve(q, routes=[args.route])
            given.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            p.retrieve(q)
            routed.append(time.perf_counter() - t0)
    med = statistics.median
    floor = [e + s for e, s in zip(emb, search)]
    ratio_given = med([g / f for g, f in zip(given, floor)])
    ratio_routed = med([g / f for g, f in zip(routed, floor)])
    print(f"\nwarm timings, median of {len(emb)} (ms): one query embedding {med(emb) * 1e3:.1f}, one dense search "
          f"{med(search) * 1e3:.1f} ({coll}, n={n})")
    print(f"  retrieve, given route '{args.route}' (hybrid search + signals + select): {med(given) * 1e3:.1f} ms "
          f"= {ratio_given:.2f}x (embedding + search)")
    print(f"  retrieve, routed (router + the routes it picks):               {med(routed) * 1e3:.1f} ms "
          f"= {ratio_routed:.2f}x (embedding + search)   goal: <= 5x")


if __name__ == "__main__":
    main()
