"""Fit the `signals` scorer's model on a BEIR-style set (the shipped one: SQuAD v1.1 dev), report held-out figures.

Queries are split by their gold document (a hash of its id), so no held-out question shares a paragraph with a
training question. Candidates are the hybrid search's top-N (hard negatives); label 1 = judged relevant.
A share of the training questions is made unanswerable: their gold paragraph (``--unanswerable-scope paragraph``)
or every paragraph of its article (``article``, the default: SQuAD's sibling paragraphs often answer too) is
taken out of their candidates, so the model also sees lists whose best candidate is only the nearest.
Held-out figures: ECE/AUC and adaptive vs fixed top-k F1 on answerable questions, and how often each held-out
question, made unanswerable either way, still keeps something.

    python evaluation/fit_signal_scorer.py --data /tmp/squad/squad_v1.1_dev --train 2500 --unanswerable 0.2 \
        --out mmrag/rerank/data/signals.json --heldout-ids /tmp/heldout.txt --set data_dir=/tmp/ev12

τ is chosen without the held-out questions: out-of-fold RS of the training questions (5 folds), the highest τ of
``TAUS`` at which adaptive selection still beats fixed top-1 on the answerable ones.
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
from mmrag.rerank.selection_eval import prf, query_folds
from mmrag.rerank.selector import RULES, kept_indices
from mmrag.rerank.signals import SignalModel, SignalScorer, features, fit_signal_model
from mmrag.retrieval import CollectionRetriever


def heldout_doc(doc_id: str, share: float) -> bool:
    return int(hashlib.sha1(doc_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def _article(doc_id: str) -> str:
    # SQuAD dev ids are squaddev-aNNNN-pNNN: the article is the part before the paragraph number.
    return doc_id.rsplit("-p", 1)[0]


def collect(r, scorer, data, qids, n, unanswerable=frozenset(), scope="article"):
    """Candidates' signals and labels; for ``unanswerable`` queries the gold paragraph (or its whole article) is
    taken out of the list (as if the corpus could not answer), so the model also judges a list whose best match
    is irrelevant."""
    groups, labels = [], []
    for q in track(qids, description="retrieving"):
        gold = {d for d, v in data.qrels[q].items() if v > 0}
        if q in unanswerable:
            gone = {_article(g) for g in gold} if scope == "article" else gold
            key = _article if scope == "article" else (lambda d: d)
            hits = [h for h in r.search(data.queries[q], ROUTE, n=n + 60).hits if key(h.item.key) not in gone][:n]
        else:
            hits = r.search(data.queries[q], ROUTE, n=n).hits
        groups.append(scorer.signals(data.queries[q], hits))
        labels.append([int(h.item.key in gold) for h in hits])
    return groups, labels


TAUS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3)


def selection(rs, labels, tau, k, rule="threshold"):
    # Gold not retrieved: 0 whatever is kept, as in `mmrag eval retrieval`.
    return float(np.mean([prf(kept_indices(s, tau, k, 0, rule), y)[2] if any(y) else 0.0 for s, y in zip(rs, labels)]))


def kept_any(rs, tau, rule):
    return float(np.mean([bool(kept_indices(s, tau, 5, 0, rule)) for s in rs]))


def out_of_fold(groups, labels, hidden, folds=5):
    """RS of each training question from a model fitted on the other folds (to choose τ without the held-out set)."""
    _, fold_of = query_folds(len(groups), folds, 0)
    rs: list[list[float]] = [[] for _ in groups]
    for f in range(folds):
        m = fit_signal_model([g for g, o in zip(groups, fold_of) if o != f], [y for y, o in zip(labels, fold_of) if o != f], hidden=hidden)
        for i in np.flatnonzero(fold_of == f):
            rs[i] = m.predict(features(*groups[i])).tolist() if groups[i][0] else []
    return rs


def choose_tau(rs, labels, answerable, rule):
    """The highest τ at which adaptive selection still beats fixed top-1 on the answerable training questions
    (a higher τ keeps nothing more often), None if none does."""
    rs_a = [s for s, a in zip(rs, answerable) if a]
    y_a = [y for y, a in zip(labels, answerable) if a]
    top1 = selection(rs_a, y_a, -1.0, 1)
    print(f"training questions, out of fold ({rule}): top-1 F1 {top1:.4f}; adaptive " + ", ".join(
        f"τ {t}: {selection(rs_a, y_a, t, 5, rule):.4f}" for t in TAUS))
    ok = [t for t in TAUS if selection(rs_a, y_a, t, 5, rule) > top1]
    return max(ok) if ok else None


def held_out_figures(model, hg, hy, unans, label: str) -> dict[str, float]:
    """Print and return a model's figures on held-out questions: answerable (ECE, AUC, adaptive vs top-k F1) and
    the same questions made unanswerable (share that still keeps something)."""
    from sklearn.metrics import roc_auc_score

    rs = [model.predict(features(*g)).tolist() for g in hg]
    flat_p = [p for g in rs for p in g]
    flat_y = [v for g in hy for v in g]
    e, _ = ece(flat_p, flat_y)
    out = {"queries": len(hg), "ece": e, "auc": float(roc_auc_score(flat_y, flat_p))}
    print(f"== {label} model: held-out ECE {e:.4f}, AUC {out['auc']:.4f}")
    print("answerable, fixed: " + ", ".join(f"top-{k} F1 {selection(rs, hy, -1, k):.4f}" for k in (1, 3, 5)))
    out["top1_f1"] = selection(rs, hy, -1, 1)
    urs = {scope: [model.predict(features(*g)).tolist() if g[0] else [] for g in ug] for scope, ug in unans.items()}
    for rule in RULES:
        print(f"{rule}: answerable adaptive F1 " + ", ".join(f"τ {tau}: {selection(rs, hy, tau, 5, rule):.4f}" for tau in TAUS))
        for scope, ur in urs.items():
            print(f"{rule}: made unanswerable ({scope} removed), keeps something " + ", ".join(f"τ {t}: {kept_any(ur, t, rule):.1%}" for t in TAUS))
        for tau in TAUS:
            out[f"{rule}_f1_at_{tau}"] = selection(rs, hy, tau, 5, rule)
            out.update({f"{rule}_unanswerable_{scope}_kept_any_at_{tau}": kept_any(ur, tau, rule) for scope, ur in urs.items()})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True, help="folder with corpus/queries/qrels.jsonl")
    ap.add_argument("--train", type=int, default=2500)
    ap.add_argument("--heldout", type=int, default=2000, help="held-out questions sampled (and written to --heldout-ids)")
    ap.add_argument("--heldout-report", type=int, default=600, help="how many of them this script reports on")
    ap.add_argument("--share", type=float, default=0.3, help="share of documents held out")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--heldout-ids", type=Path, help="write the held-out query ids here (for mmrag eval retrieval --query-ids)")
    ap.add_argument("--unanswerable", type=float, default=0.0,
                    help="share of training questions whose gold is removed from their candidates")
    ap.add_argument("--unanswerable-scope", choices=["article", "paragraph"], default="article",
                    help="what is removed for an unanswerable question: its gold paragraph's whole article, or the paragraph")
    ap.add_argument("--hidden", type=int, default=16, help="hidden units of the model's one hidden layer (0: logistic regression)")
    ap.add_argument("--compare", type=Path, help="also report this signal model (e.g. the one shipped before) on the same held-out lists")
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
    scorer = SignalScorer(None, language=ecfg.retrieval.sparse_language)  # only its signals() here
    drop = frozenset(q for q in train if rng.random() < a.unanswerable)
    tg, ty = collect(r, scorer, data, train, a.n, drop, a.unanswerable_scope)
    oof = out_of_fold(tg, ty, a.hidden)
    taus = {rule: choose_tau(oof, ty, [q not in drop for q in train], rule) for rule in RULES}
    print(f"highest τ beating top-1 on the training questions: {taus}")
    model = fit_signal_model(tg, ty, hidden=a.hidden, source=f"{a.data.name}: {len(train)} questions (documents outside the held-out {a.share:.0%}), "
                             f"top-{a.n} hybrid candidates ({ecfg.retrieval.fusion}), seed {a.seed}; for {len(drop)} of them "
                             f"the gold {a.unanswerable_scope} was taken out of the candidates (unanswerable)")
    # Held-out: a sample of questions on held-out documents (fewer, to keep the fit quick; eval retrieval reports the rest),
    # each once answerable and once made unanswerable by either scope.
    hq = held_sample[: min(a.heldout_report, len(held_sample))]
    hg, hy = collect(r, scorer, data, hq, a.n)
    unans = {scope: collect(r, scorer, data, hq, a.n, frozenset(hq), scope)[0] for scope in ("article", "paragraph")}
    model.held_out = held_out_figures(model, hg, hy, unans, "fitted")
    model.held_out.update({f"tau_chosen_{rule}": t for rule, t in taus.items() if t is not None})
    if a.compare:
        held_out_figures(SignalModel.load(a.compare), hg, hy, unans, f"compared ({a.compare.name})")
    model.save(a.out)
    print(json.dumps(model.held_out), model.weights)


if __name__ == "__main__":
    main()
