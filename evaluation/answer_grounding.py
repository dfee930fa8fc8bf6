"""How answers are grounded: the share of answers that cite, are attributed after the fact, or are unsupported.

    python evaluation/answer_grounding.py [-c pipelines/default.yaml] [--set data_dir=/tmp/x ...]
        [--questions corpora/demo/questions.jsonl] [--limit N] [--jsonl out.jsonl]
    python evaluation/answer_grounding.py --rescore out.jsonl --thresholds 0.3,0.4,0.5,0.6 [-c ...] [--set ...]

Asks every question through the real pipeline (router, retrieval, reranker, the configured generator; offline
that is SmolLM2-135M) and counts, over the answers that had sources:
  cited       the model wrote at least one [n] marker that resolves to a source it was sent
  attributed  no valid marker, but answer sentences matched sources (generator.attribution_threshold)
  unsupported neither
Answers without sources (routed to 'none', or nothing kept) are counted apart. --rescore re-attributes the
saved answers of a run at each threshold (retrieval is re-run to rebuild the sources; nothing is generated)
and reports how many answers get a supporting source, and how many of those sources are the question's
gold items (a precision check; a gold key matches an item key or its document/video prefix).
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
    ap.add_argument("--thresholds", default="0.3,0.4,0.5,0.6,0.7", help="Comma-separated thresholds for --rescore.")
    ap.add_argument("--jsonl", default=None, help="Write one record per question here.")
    ap.add_argument("--rescore", default=None, help="A --jsonl file of an earlier run: re-attribute at --thresholds.")
    args = ap.parse_args()

    cfg = load_config(args.config, dict(parse_override(s) for s in args.sets))
    pipe = Pipeline(cfg)
    if args.rescore:
        _rescore(pipe, args.rescore, args.questions, [float(x) for x in args.thresholds.split(",")])
        return
    pipe.load()
    queries = load_queries(args.questions, limit=args.limit)
    counts: Counter[str] = Counter()
    rows = []
    t0 = time.perf_counter()
    for q in queries:
        a = pipe.ask(q.question)
        g = grounding_of(a)
        counts[g] += 1
        cits = [(c.number, getattr(c, "kind", "cited")) for c in a.citations]
        print(f"{q.id:16s} {g:11s} {cits!s:28s} {a.text[:110]!r}", flush=True)
        rows.append({"id": q.id, "question": q.question, "grounding": g, "answer": a.text, "citations": cits,
                     "sources": a.trace.get("generator", {}).get("sources", [])})
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


def _is_gold(key: str, gold: list[str]) -> bool:
    return any(key == g or key.startswith(g.split("@")[0] + ("@" if "@" in key else "#")) or key.split("@")[0] == g
               for g in gold)


def _rescore(pipe: Pipeline, path: str, questions: str, thresholds: list[float]) -> None:
    """Re-attribute saved answers at each threshold against rebuilt sources (no generation)."""
    from mmrag.generate.attribution import Attributor

    gold = {q.id: q.relevant for q in load_queries(questions)}
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["grounding"] != "no_context"]
    encoder = getattr(getattr(pipe.generator, "attributor", None), "encoder", None)
    rebuilt = []
    for r in rows:
        req = pipe.generator.build(r["question"], pipe.retrieve(r["question"]).selection.kept)
        if [s.key for s in req.sources] != r["sources"]:
            continue  # retrieval changed since the run: these are not the sources the model saw
        rebuilt.append((r, req))
    print(f"{len(rebuilt)} of {len(rows)} answers with sources re-scored "
          f"({'embedding + lexical' if encoder is not None else 'lexical only'}):")
    gen = pipe.generator
    for enc_name, enc in (("embedding+lexical", encoder), ("lexical", None)):
        if enc_name != "lexical" and enc is None:
            continue
        for t in thresholds:
            gen.attributor = Attributor(enc, threshold=t)
            counts: Counter[str] = Counter()
            found = on_gold = 0
            for r, req in rebuilt:
                cits, grounding, _, _ = gen.ground(req, r["answer"])
                counts[grounding] += 1
                found += len(cits)
                on_gold += sum(_is_gold(c.key, gold.get(r["id"], [])) for c in cits)
            print(f"  {enc_name:17s} threshold {t:.2f}: " + "  ".join(f"{k} {counts[k]:2d}" for k in
                  ("cited", "attributed", "unsupported")) + f"   citations {found}, of which gold items {on_gold}")


if __name__ == "__main__":
    main()
