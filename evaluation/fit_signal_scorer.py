"""Fit the `signals` scorer's model on a BEIR-style set (the shipped one: SQuAD v1.1 dev), report held-out figures.

Queries are split by their gold document (a hash of its id), so no held-out question shares a paragraph with a
training question. Candidates are the hybrid search's top-N (hard negatives); label 1 = judged relevant.

    python evaluation/fit_signal_scorer.py --data /tmp/squad/squad_v1.1_dev --train 2500 --unanswerable 0.3 \
        --out mmrag/rerank/data/signals.json --heldout-ids /tmp/heldout.txt --set data_dir=/tmp/ev12
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
from rich.progress import track

from mmrag.config import load_config, parse_override
from mmrag.evaluation.beir import load_retrieval_set
from mmrag.evaluation.retrieval_eval import ROUTE, ece, prepare_corpus
from mmrag.rerank.selection_eval import prf
from mmrag.rerank.signals import DENSE, SPARSE_KEY, features, fit_signal_model
from mmrag.retrieval import CollectionRetriever


def heldout_doc(doc_id: str, share: float) -> bool:
    return int(hashlib.sha1(doc_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def collect(r, data, qids, n, unanswerable=frozenset()):
    """Candidates' signals and labels; for ``unanswerable`` queries the gold paragraph is taken out of the list
    (as if the corpus could not answer), so the model must also judge a list whose best match is irrelevant."""
    groups, labels = [], []
    for q in track(qids, description="retrieving"):
        gold = {d for d, v in data.qrels[q].items() if v > 0}
        hits = r.search(data.queries[q], ROUTE, n=n + (1 if q in unanswerable else 0)).hits
        if q in unanswerable:
            hits = [h for h in hits if h.item.key not in gold][:n]
        groups.append(([h.signals.get(DENSE, 0.0) for h in hits], [h.signals.get(SPARSE_KEY, 0.0) for h in hits]))
        labels.append([int(h.item.key in gold) for h in hits])
    return groups, labels


def selection(rs, labels, tau, k, min_keep):
    rows = []
    for s, y in zip(rs, labels):
        order = sorted(range(len(s)), key=lambda i: -s[i])
        kept = [i for j, i in enumerate(order) if (j < min_keep or s[i] >= tau) and j < k]
        rows.append(prf(kept, y)[2] if any(y) else 0.0)  # gold not retrieved: 0 whatever is kept, as in eval
    return float(np.mean(rows))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True, help="folder with corpus/queries/qrels.jsonl")
    ap.add_argument("--train", type=int, default=2500)
    ap.add_argument("--heldout", type=int, default=2000)
    ap.add_argument("--share", type=float, default=0.3, help="share of documents held out")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--heldout-ids", type=Path, help="write the held-out query ids here (for mmrag eval retrieval --query-ids)")
    ap.add_argument("--unanswerable", type=float, default=0.0,
                    help="share of questions whose gold paragraph is removed from their candidates (train and held-out)")
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args()
    cfg = load_config(None, dict(parse_override(s) for s in a.set))
    data = load_retrieval_set(a.data / "corpus.jsonl", a.data / "queries.jsonl", a.data / "qrels.jsonl")
    all_q = data.sample(None)
    gold_of = {q: next(d for d, v in data.qrels[q].items() if v > 0) for q in all_q}
    held = [q for q in all_q if heldout_doc(gold_of[q], a.share)]
    train = [q for q in all_q if not heldout_doc(gold_of[q], a.share)]
    rng = np.random.default_rng(a.seed)
    train = sorted(rng.choice(train, size=min(a.train, len(train)), replace=False).tolist(), key=all_q.index)
    held_sample = sorted(rng.choice(held, size=min(a.heldout, len(held)), replace=False).tolist(), key=all_q.index)
    if a.heldout_ids:
        a.heldout_ids.write_text("\n".join(held_sample) + "\n", encoding="utf-8")
    ecfg = prepare_corpus(cfg, data)
    ecfg = ecfg.model_copy(update={"retrieval": ecfg.retrieval.model_copy(update={"mode": "hybrid"})})
    r = CollectionRetriever(ecfg)
    hq = held_sample[: min(600, len(held_sample))]
    drop = frozenset(q for q in [*train, *hq] if rng.random() < a.unanswerable)
    tg, ty = collect(r, data, train, a.n, drop)
    model = fit_signal_model(tg, ty, source=f"{a.data.name}: {len(train)} questions (documents outside the held-out {a.share:.0%}), "
                             f"top-{a.n} hybrid candidates, seed {a.seed}; gold removed from the candidates of "
                             f"{sum(q in drop for q in train)} of them (unanswerable)")
    # Held-out: a sample of questions on held-out documents (fewer, to keep the fit quick; eval retrieval reports the rest).
    hg, hy = collect(r, data, hq, a.n, drop)
    rs = [model.predict(features(d, s)).tolist() for d, s in hg]
    flat_p = [p for g in rs for p in g]
    flat_y = [v for g in hy for v in g]
    from sklearn.metrics import roc_auc_score

    e, _ = ece(flat_p, flat_y)
    model.held_out = {"queries": len(hq), "ece": e, "auc": float(roc_auc_score(flat_y, flat_p))}
    unans = [i for i, q in enumerate(hq) if q in drop]
    if unans:
        for tau in (0.2, 0.3, 0.5):
            kept_any = sum(any(p >= tau for p in rs[i]) for i in unans) / len(unans)
            print(f"unanswerable held-out questions ({len(unans)}): keeps something at tau={tau}: {kept_any:.1%}")
        model.held_out["unanswerable_queries"] = len(unans)
        model.held_out["unanswerable_kept_any_at_0.2"] = sum(any(p >= 0.2 for p in rs[i]) for i in unans) / len(unans)
    for mk in (0, 1):
        for tau in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5):
            print(f"min_keep={mk} tau={tau}: adaptive F1 {selection(rs, hy, tau, 5, mk):.3f}")
    for k in (1, 3, 5):
        print(f"top-{k}: F1 {selection(rs, hy, -1, k, 0):.3f}")
    model.save(a.out)
    print(json.dumps(model.held_out), model.weights)


if __name__ == "__main__":
    main()
