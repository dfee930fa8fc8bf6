"""Embedded store engines side by side: numpy brute force vs qdrant-client local mode vs qdrant-edge.

    python evaluation/bench_store.py [--sizes 10000 100000] [--queries 20] [--slow-queries 2]
                                     [--engines local edge edge-hnsw] [--edge-configs default on_disk_vectors=true ...]

Every engine gets the very same points per size (seeded): 384-dim random unit vectors, a sparse lexical vector
on each point (the hybrid layout mmrag writes) and payloads shaped like mmrag's (a head point per item with the
whole Item -- key, source, ~150-word text, metadata --, and 1-3 chunk points with their chunk text for a third
of the items). ``local`` writes the layout of main before this change (text stored twice on heads), ``edge``
the current one (a head whose chunk is its whole text stores it once). Each engine runs in fresh processes:
one builds the store through mmrag's ``VectorStore`` (write throughput, points/s, including the final
flush/optimise), another reopens it (reopen s), reports the RSS growth of opening plus searching (MB per 100k
points) and the folder size, and times per query: plain top-k (``grouped=False``), grouped top-k
(``search_groups``, one hit per item) and grouped hybrid (dense + sparse prefetch fused by RRF). Ratios are
to numpy brute force on the same vectors (``X @ q`` + argpartition top-k), timed in the same process; recall@k
is the share of numpy's top-k items that the plain top-k finds (1.00 = the same results as exact float search).
``--edge-configs`` runs the edge engines once per set of store settings (``default`` = the config's defaults;
``on_disk_vectors=true,quantization=int8`` = both settings), one row each.
Machine noise (2 shared cores) shifts absolute times; the ratios are the figures to compare.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DIM = 384
LIMIT = 20
COLL = "bench"
_WORDS = ("volcano lava magma eruption crater ash plate tectonic ocean river delta basin glacier ice sheet forest canopy "
          "soil erosion climate rainfall drought desert dune mountain ridge valley canyon cave limestone granite basalt "
          "mineral crystal quartz fossil sediment layer island reef coral tide current wave storm cyclone wind front "
          "pressure humidity cloud thunder lightning snow frost season equator pole latitude longitude map survey").split()


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory, MB: VmRSS all of it; RssAnon the private part (RssFile, mapped files, is page cache)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def dir_mb(path: Path) -> float:
    # Allocated blocks, not apparent sizes: engines preallocate sparse (mmap) files.
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file()) / 2**20


def make_data(n: int, seed: int = 0):
    """n points: vectors (n, DIM) unit-norm float32, sparse (indices, values) per point, and a plan of items."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, DIM)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    sparse = [(np.unique(rng.integers(0, 30000, 40)).tolist(), None) for _ in range(n)]
    sparse = [(idx, rng.uniform(0.5, 2.0, len(idx)).round(3).tolist()) for idx, _ in sparse]
    # Items: one head point, a third of them with 1-3 more chunk points.
    owners, chunk_index = [], []
    item = 0
    while len(owners) < n:
        extra = int(rng.integers(1, 4)) if rng.random() < 1 / 3 else 0
        for ci in range(min(1 + extra, n - len(owners))):
            owners.append(item)
            chunk_index.append(ci)
        item += 1
    words = rng.integers(0, len(_WORDS), (item, 150))
    return X, sparse, np.array(owners), np.array(chunk_index), words


def _text(words_row) -> str:
    return " ".join(_WORDS[w] for w in words_row)


def points(n: int, layout: str):
    """mmrag PointData for the bench data, in the payload layout of ``layout`` ('before' | 'after')."""
    from qdrant_client import models

    from mmrag.store.qdrant import PointData, chunk_point_id

    X, sparse, owners, cidx, words = make_data(n)
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{i}")) for i in range(int(owners.max()) + 1)]
    out = []
    for p in range(n):
        it, ci = int(owners[p]), int(cidx[p])
        iid = ids[it]
        text = _text(words[it])
        chunk = text if ci == 0 else text[ci * 40 :] + f" part {ci}"
        vecs = {"text": X[p], "sparse": models.SparseVector(indices=sparse[p][0], values=sparse[p][1])}
        if ci == 0:
            payload = {"id": iid, "key": f"doc-{it}.md#{it % 7}", "corpus": "bench", "route": "paragraph", "modality": "text",
                       "granularity": "paragraph", "source": f"/data/corpus/doc-{it}.md", "title": f"Document {it}", "text": text,
                       "caption": None, "ocr_text": None, "transcript": None, "media_path": None, "start": None, "end": None,
                       "frame_times": [], "metadata": {"page": it % 40, "lang": "en"},
                       "item_id": iid, "item_key": f"doc-{it}.md#{it % 7}", "chunk_index": 0}
            if layout == "before":
                payload["chunk_text"] = chunk
            out.append(PointData(iid, vecs, payload))
        else:
            out.append(PointData(chunk_point_id(iid, ci), vecs, {"item_id": iid, "item_key": f"doc-{it}.md#{it % 7}",
                                                                 "chunk_index": ci, "chunk_text": chunk}))
    return out


def queries(n: int, q: int):
    """Queries near stored points (so there are true neighbours), with a sparse query of a few stored terms."""
    from qdrant_client import models

    X, sparse, owners, _, _ = make_data(n)
    rng = np.random.default_rng(1)
    picks = rng.integers(0, n, q)
    Q = X[picks] + 0.5 * rng.standard_normal((q, DIM)).astype(np.float32) / np.sqrt(DIM)
    Q = (Q / np.linalg.norm(Q, axis=1, keepdims=True)).astype(np.float32)  # float32 like X: no upcast copy of X per query
    sq = [models.SparseVector(indices=sparse[p][0][:3], values=[1.0] * len(sparse[p][0][:3])) for p in picks]
    return X, Q, sq, owners


def store_settings(spec: str) -> dict:
    """'on_disk_vectors=true,quantization=int8' -> {'store.on_disk_vectors': True, 'store.quantization': 'int8'}; 'default' -> {}."""
    import yaml

    if spec in ("", "default"):
        return {}
    pairs = [kv.split("=", 1) for kv in spec.split(",")]
    if any(len(kv) != 2 for kv in pairs):
        raise SystemExit(f"--edge-configs '{spec}': give store settings as key=value pairs joined by commas, e.g. on_disk_vectors=true")
    return {f"store.{k.strip()}": yaml.safe_load(v) for k, v in pairs}


def _cfg(engine: str, path: Path, settings: str = "default"):
    from mmrag.config import load_config

    over = {"data_dir": str(path / "data"), "store.engine": engine.split("-")[0], "store.upsert_batch_size": 256,
            "store.edge_hnsw": engine == "edge-hnsw", **(store_settings(settings) if engine != "local" else {})}
    return load_config(None, over)


def worker_build(engine: str, n: int, path: Path, settings: str) -> dict:
    from mmrag.store.qdrant import close_embedded, open_store

    pts = points(n, "before" if engine == "local" else "after")
    cfg = _cfg(engine, path, settings)
    store = open_store(cfg)
    store.ensure_collection(COLL, {"text": DIM}, {"text": "bench"}, sparse="sparse")
    t = time.perf_counter()
    for i in range(0, n, 1024):  # as the ingest writer does: one upsert call per encoded batch
        store.upsert(COLL, pts[i : i + 1024])
    t_write = time.perf_counter() - t
    store.flush(COLL)
    t_all = time.perf_counter() - t
    close_embedded(cfg.store_path)
    return {"write_pps": n / t_all, "write_s": t_all, "flush_s": t_all - t_write}


def worker_open(engine: str, n: int, path: Path, q: int, slow_q: int, settings: str) -> dict:
    from mmrag.store.qdrant import open_store

    X, Q, SQ, owners = queries(n, q)
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{i}")) for i in range(int(owners.max()) + 1)]
    cfg = _cfg(engine, path, settings)
    # numpy brute force on the same vectors, in this process, before the store is open: the faster of BLAS's default threads and one
    # thread (on a loaded machine, spinning BLAS threads can make the default many times slower).
    from threadpoolctl import threadpool_limits

    t_np = float("inf")
    for threads in (None, 1):
        with threadpool_limits(limits=threads):
            _ = X @ Q[0]  # warm-up
            t = time.perf_counter()
            np_top = []
            for qv in Q:
                s = X @ qv
                top = np.argpartition(-s, LIMIT)[:LIMIT]
                np_top.append([ids[owners[p]] for p in top[np.argsort(-s[top])].tolist()])  # items of the best points, best first
            t_np = min(t_np, (time.perf_counter() - t) / len(Q))
    gc.collect()
    rss0, anon0, file0 = rss_mb(), rss_mb("RssAnon"), rss_mb("RssFile")
    t = time.perf_counter()
    store = open_store(cfg)
    store.count(COLL)  # opening is lazy in edge: the first call loads the shard
    reopen = time.perf_counter() - t
    nq = q if (engine != "local" or n <= 20000) else min(q, slow_q)
    res = {"reopen_s": reopen, "numpy_ms": t_np * 1e3, "queries": nq}
    found = []
    for mode in ("plain", "grouped", "hybrid"):
        if n <= 20000 or engine != "local":  # one untimed warm-up query (local mode beyond 20k: too slow to spare)
            store.search_groups(COLL, vector=Q[-1], limit=LIMIT, grouped=mode == "grouped")
        t = time.perf_counter()
        for i in range(nq):
            if mode == "hybrid":
                store.search_groups(COLL, prefetch=[("text", Q[i]), ("sparse", SQ[i])], prefetch_limit=100, limit=LIMIT)
            else:
                hits = store.search_groups(COLL, vector=Q[i], limit=LIMIT, grouped=mode == "grouped")
                if mode == "plain":
                    found.append([h.item_id for h in hits])
        res[f"{mode}_ms"] = (time.perf_counter() - t) / nq * 1e3
    res["rss_mb"], res["anon_mb"], res["file_mb"] = rss_mb() - rss0, rss_mb("RssAnon") - anon0, rss_mb("RssFile") - file0
    res["disk_mb"] = dir_mb(cfg.store_path)
    # Items of numpy's top-k that the plain top-k finds (HNSW and int8 without rescoring are approximate; exact search gives 1.0)
    for k in (10, LIMIT):
        res[f"recall@{k}"] = float(np.mean([len(set(f[:k]) & set(t[:k])) / len(set(t[:k])) for f, t in zip(found, np_top)]))
    return res


def _spawn(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"worker {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000], help="Points per collection.")
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--slow-queries", type=int, default=2, help="Queries for local mode beyond 20k points (tens of seconds each).")
    ap.add_argument("--local-max-points", type=int, default=20000,
                    help="Skip local mode above this size: it writes ~50 points/s here (one commit per point), 100k = 30+ min.")
    ap.add_argument("--engines", nargs="+", default=["local", "edge", "edge-hnsw"], choices=["local", "edge", "edge-hnsw"],
                    help="edge = exact search (the default config); edge-hnsw = store.edge_hnsw: true (HNSW built on flush).")
    ap.add_argument("--edge-configs", nargs="+", default=["default"], metavar="SETTINGS",
                    help="Store settings to run the edge engines with, one row each: 'default' or key=value pairs of the config's "
                         "store section joined by commas, e.g. on_disk_vectors=true,quantization=int8.")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        kind, engine, n, path, settings = args.worker[0], args.worker[1], int(args.worker[2]), Path(args.worker[3]), args.worker[4]
        if kind == "build":
            print(json.dumps(worker_build(engine, n, path, settings)))
        else:
            print(json.dumps(worker_open(engine, n, path, args.queries, args.slow_queries, settings)))
        return

    from rich.console import Console
    from rich.table import Table

    console = Console(width=260)
    table = Table(title=f"embedded engines vs numpy brute force (per query, top-{LIMIT}, {DIM}-dim)")
    for col in ("engine", "points", "numpy ms", "plain ms", "plain ×np", "grouped ms", "grouped ×np", "hybrid ms", "hybrid ×np",
                "MB/100k RSS", "MB/100k anon", "MB/100k file", "MB/100k disk", "reopen s", "write pts/s", "recall@10", "recall@20"):
        table.add_column(col, justify="left" if col == "engine" else "right", no_wrap=True)
    rows = []
    for n in args.sizes:
        for engine, settings in [(e, c) for e in args.engines for c in (["default"] if e == "local" else args.edge_configs)]:
            if engine == "local" and n > args.local_max_points:
                console.print(f"[yellow]local mode at {n:,} points skipped (--local-max-points {args.local_max_points})")
                continue
            store_settings(settings)  # a malformed spec fails here, before minutes of building
            label = engine if settings == "default" else f"{engine} {settings}"
            tmp = Path(tempfile.mkdtemp(prefix=f"mmrag-bench-{engine}-"))
            try:
                b = _spawn("--worker", "build", engine, str(n), str(tmp), settings)
                o = _spawn("--worker", "open", engine, str(n), str(tmp), settings, "--queries", str(args.queries),
                           "--slow-queries", str(args.slow_queries))
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            r = {"engine": engine, "settings": settings, "points": n, **b, **o}
            rows.append(r)
            per100k = 1e5 / n
            table.add_row(label, f"{n:,}", f"{o['numpy_ms']:.2f}", f"{o['plain_ms']:.1f}", f"{o['plain_ms'] / o['numpy_ms']:.1f}",
                          f"{o['grouped_ms']:.1f}", f"{o['grouped_ms'] / o['numpy_ms']:.1f}", f"{o['hybrid_ms']:.1f}",
                          f"{o['hybrid_ms'] / o['numpy_ms']:.1f}", f"{o['rss_mb'] * per100k:.0f}", f"{o['anon_mb'] * per100k:.0f}",
                          f"{o['file_mb'] * per100k:.0f}", f"{o['disk_mb'] * per100k:.0f}",
                          f"{o['reopen_s']:.2f}", f"{b['write_pps']:,.0f}", f"{o['recall@10']:.2f}", f"{o['recall@20']:.2f}")
            console.print(f"[dim]{json.dumps(r)}")
    console.print(table)
    console.print("MB/100k: growth of the process's resident memory from before opening the store to after the queries, "
                  "scaled to 100k points (so fixed costs -- the engine's import and threads -- weigh 10x at 10k); anon = "
                  "its private part (RssAnon), file = mapped files (RssFile: page cache the OS can drop, counted once per mapping). "
                  "disk = allocated blocks.")
    console.print("goals (issue 14): grouped ×np ≤ 2 at 100k, ≤ 500 MB per 100k points, reopen < 5 s. local = qdrant-client local "
                  "mode with main's payload layout (text twice); edge = qdrant-edge with the current layout, exact search (default); "
                  "edge-hnsw = with store.edge_hnsw (HNSW built on flush, approximate: see recall). local beyond 20k "
                  f"points is timed on {args.slow_queries} queries.")


if __name__ == "__main__":
    main()
