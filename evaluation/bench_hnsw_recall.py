"""HNSW recall on real embeddings: qdrant-edge with ``store.edge_hnsw`` vs exact search, on MiniLM vectors of real text.

    python evaluation/bench_hnsw_recall.py [--data /tmp/squad/squad_v1.1_dev] [--points 50000] [--queries 500]
                                           [--hnsw 16:100 32:200] [--ef 0 64 128 256] [--cache /tmp/mmrag-hnsw-cache]

Random vectors (bench_store.py) have no neighbourhood structure, so their HNSW recall says nothing about real data.
Here the points are the text encoder's vectors (``encoders.text``, the packaged MiniLM by default) of a SQuAD-format
corpus (``corpus.jsonl`` paragraphs, ``queries.jsonl`` questions): overlapping word windows of the paragraphs
(``--window`` words every ``--stride`` words, as many as needed for ``--points``) plus the questions, except
``--queries`` held-out questions (seeded pick) that are the queries. Vectors are cached as .npy in ``--cache``
(encoding is the slow part: single-threaded here, minutes per 100k windows).

Each (m, ef_construct) of ``--hnsw`` gets a fresh edge store built through mmrag's ``VectorStore`` (build time =
upserts + the flush that builds the graph), then answers every held-out query with a plain top-k search at each
search-time ``--ef`` (``store.hnsw_ef``; 0 = Qdrant's default, ef_construct). Recall@k = share of the exact top-k
points (numpy brute force on the same float32 vectors) that HNSW returns. The ``exact`` row is the default
exact store (no graph), for its query time and as a check that exact search returns exactly numpy's top-k.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

COLL = "real"
KS = (10, 20)


def windows(data: Path, n_points: int, n_queries: int, window: int, stride: int, seed: int = 0):
    """(texts to store, held-out query texts): paragraph word windows plus the questions not held out."""
    paras = [json.loads(line)["text"] for line in (data / "corpus.jsonl").open(encoding="utf-8")]
    questions = [json.loads(line)["text"] for line in (data / "queries.jsonl").open(encoding="utf-8")]
    rng = np.random.default_rng(seed)
    held = set(rng.choice(len(questions), size=min(n_queries, len(questions)), replace=False).tolist())
    queries = [q for i, q in enumerate(questions) if i in held]
    texts = [q for i, q in enumerate(questions) if i not in held]
    for p in paras:
        words = p.split()
        for start in range(0, max(1, len(words) - window + stride), stride):
            texts.append(" ".join(words[start : start + window]))
    if len(texts) < n_points:
        print(f"only {len(texts):,} texts at stride {stride}: storing all of them (use a smaller --stride for more)")
    return texts[:n_points], queries


def encode_cached(texts: list[str], model: str, cache: Path, label: str, chunk: int = 5000) -> np.ndarray:
    """Vectors of ``texts`` (unit norm), encoded in chunks each cached as .npy: an interrupted run keeps its chunks,
    and a smaller ``--points`` reuses the chunks of a larger one."""
    from mmrag.config import load_config
    from mmrag.encoders.factory import load_text_encoder

    parts, enc = [], None
    for i in range(0, len(texts), chunk):
        part = texts[i : i + chunk]
        key = hashlib.sha256((model + "\n" + "\n".join(part)).encode()).hexdigest()[:16]
        f = cache / f"{label}-{len(part)}-{key}.npy"
        if not f.exists():
            if enc is None:
                enc = load_text_encoder(load_config(None, {"encoders.text.model": model}).encoders.text)
            t = time.perf_counter()
            X = np.asarray(enc.encode(part), dtype=np.float32)
            X /= np.linalg.norm(X, axis=1, keepdims=True)  # cosine = dot, as the store computes it
            print(f"encoded {label} {i:,}-{i + len(part):,} in {time.perf_counter() - t:.0f} s", flush=True)
            cache.mkdir(parents=True, exist_ok=True)
            np.save(f, X)
        parts.append(np.load(f))
    return np.concatenate(parts)


def build(X: np.ndarray, texts: list[str], path: Path, overrides: dict):
    from mmrag.config import load_config
    from mmrag.store.qdrant import PointData, open_store

    cfg = load_config(None, {"data_dir": str(path / "data"), "store.upsert_batch_size": 256, **overrides})
    store = open_store(cfg)
    store.ensure_collection(COLL, {"text": X.shape[1]}, {"text": "bench"})
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"real-{i}")) for i in range(len(X))]
    t = time.perf_counter()
    for i in range(0, len(X), 1024):
        store.upsert(COLL, [PointData(ids[j], {"text": X[j]}, {"item_id": ids[j], "chunk_index": 0, "chunk_text": texts[j]})
                            for j in range(i, min(i + 1024, len(X)))])
    store.flush(COLL)  # builds the HNSW graph (edge_hnsw) or the immutable exact segment
    return store, cfg, ids, time.perf_counter() - t


def run(store, cfg, ids: list[str], Q: np.ndarray, truth: list[list[int]], ef: int) -> dict:
    store.settings = cfg.store.model_copy(update={"hnsw_ef": ef or None})
    pos = {pid: i for i, pid in enumerate(ids)}
    store.search_groups(COLL, vector=Q[0], limit=max(KS), grouped=False)  # warm-up
    got, t = [], time.perf_counter()
    for q in Q:
        got.append([pos[h.item_id] for h in store.search_groups(COLL, vector=q, limit=max(KS), grouped=False)])
    ms = (time.perf_counter() - t) / len(Q) * 1e3
    out = {"query_ms": ms}
    for k in KS:
        out[f"recall@{k}"] = float(np.mean([len(set(g[:k]) & set(tr[:k])) / k for g, tr in zip(got, truth)]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("/tmp/squad/squad_v1.1_dev"),
                    help="SQuAD-format folder (corpus.jsonl, queries.jsonl); build it with /work/shared/data/squad/build_squad_dev.py.")
    ap.add_argument("--points", type=int, default=50000, help="Points stored (encoding runs ~40 windows/s on one busy core here).")
    ap.add_argument("--queries", type=int, default=500, help="Held-out questions (not stored) used as queries.")
    ap.add_argument("--window", type=int, default=16, help="Words per paragraph window.")
    ap.add_argument("--stride", type=int, default=4, help="Words between window starts (overlapping windows).")
    ap.add_argument("--hnsw", nargs="+", default=["16:100", "32:200"], help="m:ef_construct settings to build.")
    ap.add_argument("--ef", type=int, nargs="+", default=[0, 64, 128, 256], help="Search-time ef (0 = Qdrant's default).")
    ap.add_argument("--model", default=None, help="Text encoder (default: the config's encoders.text.model).")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "mmrag-hnsw-cache", help="Where vectors are cached (.npy).")
    args = ap.parse_args()
    if not (args.data / "corpus.jsonl").is_file() or not (args.data / "queries.jsonl").is_file():
        raise SystemExit(f"--data '{args.data}' has no corpus.jsonl/queries.jsonl: build it with "
                         "python /work/shared/data/squad/build_squad_dev.py --out /tmp/squad")
    try:
        settings = [tuple(int(x) for x in s.split(":")) for s in args.hnsw]
    except ValueError:
        raise SystemExit(f"--hnsw {args.hnsw}: give m:ef_construct pairs, e.g. 16:100") from None

    from rich.console import Console
    from rich.table import Table

    from mmrag.config import load_config
    from mmrag.store.qdrant import close_embedded

    model = args.model or load_config(None).encoders.text.model
    texts, qtexts = windows(args.data, args.points, args.queries, args.window, args.stride)
    X = encode_cached(texts, model, args.cache, "points")
    Q = encode_cached(qtexts, model, args.cache, "queries")
    truth = [np.argsort(-(X @ q))[: max(KS)].tolist() for q in Q]
    t = time.perf_counter()
    for q in Q:  # numpy brute force timed as bench_store does: X @ q + argpartition top-k
        np.argpartition(-(X @ q), max(KS))[: max(KS)]
    numpy_ms = (time.perf_counter() - t) / len(Q) * 1e3

    console = Console(width=160)
    table = Table(title=f"HNSW vs exact on {len(X):,} real {X.shape[1]}-dim vectors ({model}), {len(Q)} held-out questions")
    for col in ("index", "build s", "ef", "query ms", "×numpy", "×exact", *(f"recall@{k}" for k in KS)):
        table.add_column(col, justify="left" if col == "index" else "right")
    exact_ms = None
    for label, over in [("exact", {"store.edge_hnsw": False})] + [
            (f"hnsw m={m} ef_c={efc}", {"store.edge_hnsw": True, "store.hnsw_m": m, "store.hnsw_ef_construct": efc}) for m, efc in settings]:
        tmp = Path(tempfile.mkdtemp(prefix="mmrag-hnsw-"))
        try:
            store, cfg, ids, build_s = build(X, texts, tmp, over)
            for ef in ([0] if label == "exact" else args.ef):
                r = run(store, cfg, ids, Q, truth, ef)
                exact_ms = exact_ms or r["query_ms"]
                table.add_row(label, f"{build_s:.0f}", "-" if label == "exact" else (str(ef) if ef else "default"),
                              f"{r['query_ms']:.2f}", f"{r['query_ms'] / numpy_ms:.2f}", f"{r['query_ms'] / exact_ms:.2f}",
                              *(f"{r[f'recall@{k}']:.3f}" for k in KS))
                console.print(f"[dim]{json.dumps({'index': label, 'ef': ef, 'build_s': build_s, **r})}")
            close_embedded(cfg.store_path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    console.print(table)
    console.print(f"numpy brute force: {numpy_ms:.2f} ms/query. Points: {args.window}-word windows every {args.stride} words "
                  f"of the corpus's paragraphs plus its questions (held-out ones excluded). Recall@k against numpy's exact top-k.")


if __name__ == "__main__":
    main()
