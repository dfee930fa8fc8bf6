"""How answers are grounded: the share of answers that cite, are attributed after the fact, or are unsupported.

    python evaluation/answer_grounding.py [-c pipelines/default.yaml] [--set data_dir=/tmp/x ...]
        [--questions corpora/demo/questions.jsonl] [--limit N] [--thresholds 0.3,0.4,0.5] [--jsonl out.jsonl]

Asks every question through the real pipeline (router, retrieval, reranker, the configured generator; offline
that is SmolLM2-135M) and counts, over the answers that had sources:
  cited       the model wrote at least one [n] marker that resolves to a source it was sent
  attributed  no valid marker, but answer sentences matched sources (generator.attribution_threshold)
  unsupported neither
Answers without sources (routed to 'none', or nothing kept) are counted apart. With --thresholds, the
attribution of the uncited answers is recomputed at each threshold (no new generation), to choose the default.
Ingest first: `mmrag ingest --all --set data_dir=...`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mmrag.config import load_config, parse_override  # noqa: E402
from mmrag.evaluation.loaders import load_queries  # noqa: E402
from mmrag.pipeline import Pipeline  # noqa: E402


def grounding_of(answer) -> str:
    """The answer's grounding, also for code from before attribution existed (cited or not)."""
    g = getattr(answer, "grounding", None)
    if g:
        return g
    if answer.no_context:
        return "no_context"
    return "cited" if answer.citations else "uncited"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-c", "--config", default=None, help="Pipeline config YAML (default: built-in defaults).")
    ap.add_argument("--set", dest="sets", action="append", default=[], help="Config override key=value (repeatable).")
    ap.add_argument("--questions", default=str(REPO / "corpora" / "demo" / "questions.jsonl"))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--thresholds", default="", help="Comma-separated attribution thresholds to re-score at.")
    ap.add_argument("--jsonl", default=None, help="Write one record per question here.")
    args = ap.parse_args()

    cfg = load_config(args.config, dict(parse_override(s) for s in args.sets))
    pipe = Pipeline(cfg).load()
    queries = load_queries(args.questions, limit=args.limit)
    counts: Counter[str] = Counter()
    rows = []
    uncited: list[tuple[str, list]] = []  # (answer text, sources sent) of answers with sources but no valid marker
    t0 = time.perf_counter()
    for q in queries:
        a = pipe.ask(q.question)
        g = grounding_of(a)
        counts[g] += 1
        cits = [(c.number, getattr(c, "kind", "cited")) for c in a.citations]
        print(f"{q.id:16s} {g:11s} {cits!s:28s} {a.text[:110]!r}", flush=True)
        rows.append({"id": q.id, "question": q.question, "grounding": g, "answer": a.text, "citations": cits,
                     "sources": a.trace.get("generator", {}).get("sources", [])})
        if g not in ("cited", "no_context"):
            uncited.append((a.text, a.trace.get("generator", {}).get("sources", [])))
    elapsed = time.perf_counter() - t0

    with_sources = sum(v for k, v in counts.items() if k != "no_context")
    print(f"\n{len(queries)} questions in {elapsed:.0f} s; {with_sources} answered with sources, "
          f"{counts['no_context']} without")
    for k in ("cited", "attributed", "unsupported", "uncited"):
        if counts[k] or k != "uncited":
            share = counts[k] / with_sources if with_sources else 0.0
            print(f"  {k:11s} {counts[k]:3d} / {with_sources}  ({share:.0%})")
    if args.jsonl:
        Path(args.jsonl).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")

    if args.thresholds:
        _sweep(pipe, rows, [float(x) for x in args.thresholds.split(",")])


def _sweep(pipe: Pipeline, rows: list[dict], thresholds: list[float]) -> None:
    """Re-attribute the uncited answers at each threshold, against the same sources (retrieval re-run, no generation)."""
    from mmrag.generate.attribution import Attributor

    encoder = getattr(pipe.generator, "attributor", None)
    encoder = getattr(encoder, "encoder", None)
    todo = [r for r in rows if r["grounding"] not in ("cited", "no_context")]
    texts = []
    for r in todo:
        # The request the model saw is in the answer; re-asking would re-generate, so rebuild the sources instead.
        kept = pipe.retrieve(r["question"]).selection.kept
        req = pipe.generator.build(r["question"], kept)
        texts.append((r["answer"], req.source_texts))
    print(f"\nattribution of the {len(todo)} uncited answers by threshold "
          f"({'embedding + lexical' if encoder is not None else 'lexical only'}):")
    for t in thresholds:
        att = Attributor(encoder, threshold=t)
        n = sum(1 for ans, srcs in texts if att.attribute(ans, srcs).citations)
        print(f"  threshold {t:.2f}: attributed {n} / {len(todo)}")


if __name__ == "__main__":
    main()
