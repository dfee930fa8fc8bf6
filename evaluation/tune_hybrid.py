"""Tune hybrid search on a TRAIN split of a BEIR-style set by replaying fusions client-side, report the held-out split.

Every query's dense cosine and sparse BM25 score against every document are computed exactly as Qdrant would
(stored dense vectors of the scratch collection of `mmrag eval retrieval`; the sparse vectors' BM25 weights with
Qdrant's IDF formula), then each fusion keeps the top `--prefetch` of each list, as Qdrant's prefetch does.
Questions are split as in `fit_signal_scorer.py` (a hash of the gold document, `--share` held out), so settings are
chosen on training questions only; the held-out column is the check, not the choice. Brute force over the corpus:
meant for corpora of a few thousand passages (SQuAD dev: 2,067).

    python evaluation/tune_hybrid.py --data /tmp/squad/squad_v1.1_dev --set data_dir=/tmp/ev12
"""

from __future__ import annotations

import argparse
import hashlib
from collections import Counter
from pathlib import Path

import numpy as np

from mmrag.config import load_config, parse_override
from mmrag.encoders import load_text_encoder
from mmrag.evaluation.beir import load_retrieval_set
from mmrag.evaluation.retrieval_eval import ROUTE, doc_text, prepare_corpus
from mmrag.registry import CorpusRegistry
from mmrag.retrieval.sparse import SparseEncoder
from mmrag.store.qdrant import open_store


def heldout_doc(doc_id: str, share: float) -> bool:
    return int(hashlib.sha1(doc_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def bm25_matrix(enc: SparseEncoder, doc_tokens: list[list[str]], query_tokens: list[list[str]], k1: float, b: float, avg_len: float):
    """(queries × docs) BM25 as Qdrant scores our sparse vectors: saturated TF × IDF = ln(1 + (N − df + 0.5) / (df + 0.5))."""
    import scipy.sparse as sp

    vocab: dict[str, int] = {}
    rows, cols, tfs = [], [], []
    for i, toks in enumerate(doc_tokens):
        for w, c in Counter(toks).items():
            rows.append(i)
            cols.append(vocab.setdefault(w, len(vocab)))
            tfs.append(c)
    rows, cols, tfs = np.asarray(rows), np.asarray(cols), np.asarray(tfs, dtype=float)
    lens = np.asarray([len(t) for t in doc_tokens], dtype=float)
    n = len(doc_tokens)
    df = np.bincount(cols, minlength=len(vocab))
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
    w = tfs * (k1 + 1) / (tfs + k1 * (1 - b + b * lens[rows] / avg_len)) * idf[cols]
    docs = sp.csr_matrix((w, (rows, cols)), shape=(n, len(vocab)))
    qr, qc = [], []
    for i, toks in enumerate(query_tokens):
        for t in set(toks):
            if t in vocab:
                qr.append(i)
                qc.append(vocab[t])
    queries = sp.csr_matrix((np.ones(len(qr)), (qr, qc)), shape=(len(query_tokens), len(vocab)))
    return (queries @ docs.T).toarray()


def _top(m: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    p = min(p, m.shape[1] - 1)
    idx = np.argpartition(-m, p, axis=1)[:, :p]
    return idx, np.take_along_axis(m, idx, 1)


def fuse(dense: np.ndarray, sparse: np.ndarray, kind: str, p: int, weight: float = 0.5, k: int = 2) -> np.ndarray:
    """Fused scores of every document (−inf outside both prefetch lists). ``weight`` is the sparse list's share."""
    out = np.zeros_like(dense)
    seen = np.zeros(dense.shape, dtype=bool)
    for m, w in ((dense, 1 - weight), (sparse, weight)):
        idx, vals = _top(m, p)
        valid = vals > 0 if m is sparse else np.ones_like(vals, dtype=bool)  # Qdrant's sparse list holds matches only
        if kind == "rrf":
            rank = np.argsort(np.argsort(-vals, axis=1), axis=1)
            part = 2 * w / (k + rank)  # weights as multipliers of 1/(k + rank), rank from 0 (Qdrant: k + rank − 1, rank from 1)
        else:
            cnt = np.maximum(valid.sum(1, keepdims=True), 1)
            mu = (vals * valid).sum(1, keepdims=True) / cnt
            sd = np.sqrt((((vals - mu) ** 2) * valid).sum(1, keepdims=True) / np.maximum(cnt - 1, 1)) + 1e-12
            part = 2 * w * (vals - (mu - 3 * sd)) / (6 * sd)  # Qdrant's DBSF: mean ± 3 sample std to [0, 1]
        np.put_along_axis(out, idx, np.take_along_axis(out, idx, 1) + np.where(valid, part, 0.0), 1)
        np.put_along_axis(seen, idx, np.take_along_axis(seen, idx, 1) | valid, 1)
    return np.where(seen, out, -np.inf)


def ndcg10(scores: np.ndarray, gold: np.ndarray, rows: list[int]) -> float:
    """nDCG@10 with one relevant document per query (ties count against it)."""
    g = scores[rows, gold[rows]][:, None]
    rank = (scores[rows] > g).sum(1) + 1
    return float(np.mean(np.where((rank <= 10) & np.isfinite(g[:, 0]), 1 / np.log2(rank + 1), 0.0)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--share", type=float, default=0.3, help="share of documents whose questions are held out")
    ap.add_argument("--heldout-ids", type=Path, help="report the held-out column on these query ids (else all held-out questions)")
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args()
    cfg = load_config(None, dict(parse_override(s) for s in a.set))
    data = load_retrieval_set(a.data / "corpus.jsonl", a.data / "queries.jsonl", a.data / "qrels.jsonl")
    ecfg = prepare_corpus(cfg, data)
    spec = next(iter(CorpusRegistry.from_yaml(ecfg.corpora_path)))
    assert spec.route == ROUTE
    store = open_store(ecfg)
    ids = {p["key"]: p["item_id"] for p in store.head_payloads(spec.collection_name, ["key", "item_id"])}
    doc_ids = list(data.corpus)
    vecs = store.stored_text_vectors(spec.collection_name, [ids[d] for d in doc_ids])
    docs = np.stack([vecs[ids[d]] for d in doc_ids])
    qids = [q for q in data.queries if any(v > 0 for v in data.qrels.get(q, {}).values())]
    pos = {d: i for i, d in enumerate(doc_ids)}
    gold = np.asarray([pos[next(d for d, v in data.qrels[q].items() if v > 0)] for q in qids])
    enc = load_text_encoder(ecfg.encoders.text)
    dense = enc.encode([data.queries[q] for q in qids], batch_size=128, progress=True) @ docs.T
    sparse_enc = SparseEncoder.from_config(ecfg.retrieval)
    doc_tokens = [sparse_enc.tokens(doc_text(data.corpus[d], True)) for d in doc_ids]
    query_tokens = [sparse_enc.tokens(data.queries[q]) for q in qids]
    train = [i for i, q in enumerate(qids) if not heldout_doc(doc_ids[gold[i]], a.share)]
    keep = set(a.heldout_ids.read_text().split()) if a.heldout_ids else None
    test = [i for i, q in enumerate(qids) if heldout_doc(doc_ids[gold[i]], a.share) and (keep is None or q in keep)]
    print(f"{len(train)} training questions, {len(test)} held-out; nDCG@10 train / held-out")
    r = ecfg.retrieval
    rows = [("dense", dense), ("sparse (as configured)", sparse := bm25_matrix(sparse_enc, doc_tokens, query_tokens, r.sparse_k1, r.sparse_b, r.sparse_avg_len))]
    for name, m in rows:
        print(f"{name:40s} {ndcg10(m, gold, train):.4f} / {ndcg10(m, gold, test):.4f}")
    for k1, b in ((0.9, 0.75), (1.5, 0.75), (1.2, 0.5), (1.2, 0.9)):
        m = bm25_matrix(sparse_enc, doc_tokens, query_tokens, k1, b, float(np.mean([len(t) for t in doc_tokens])))
        print(f"{f'sparse k1 {k1} b {b} (true avg len)':40s} {ndcg10(m, gold, train):.4f} / {ndcg10(m, gold, test):.4f}")
    for p in (50, 100, 200):
        for k in (2, 5, 60):
            for w in (0.5, 0.6, 2 / 3):
                f = fuse(dense, sparse, "rrf", p, w, k)
                print(f"{f'rrf prefetch {p} k {k} sparse weight {w:.2f}':40s} {ndcg10(f, gold, train):.4f} / {ndcg10(f, gold, test):.4f}")
        for w in (0.4, 0.5, 0.6):
            f = fuse(dense, sparse, "dbsf", p, w)
            print(f"{f'dbsf prefetch {p} sparse weight {w:.2f}':40s} {ndcg10(f, gold, train):.4f} / {ndcg10(f, gold, test):.4f}")


if __name__ == "__main__":
    main()
