"""Cold start: a fresh `mmrag ask --routes paragraph` process on the demo, this tree vs a baseline commit.

Each version gets its own data folder with the demo's paragraph corpus ingested (not timed), then the
two are run alternately, cold process each time (the OS file cache is warm after one untimed run each).
The generator is an OpenAI-compatible stub on 127.0.0.1 that answers at once, so the wall time is the
time to the first retrieved item plus a negligible answer; the baseline loaded its in-process
generator before retrieving, which this leaves out (the ratio is conservative).

    python evaluation/bench_cold_start.py                 # baseline: dbc5bfd, the main of issue 14
    python evaluation/bench_cold_start.py --baseline HEAD~5 --runs 7

Prints median wall seconds per version, the ratio, and where the current version's time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "How long should bread dough rise?"


class _Stub(BaseHTTPRequestHandler):
    """Answers every chat completion at once with a fixed sentence (streaming or not)."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        text = "It rises for about an hour [1]."
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "stub",
                     "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode())
            return
        reply = {"id": "x", "object": "chat.completion", "created": 0, "model": "stub",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def _cli(tree: Path, data_dir: Path, base_url: str, *args: str) -> list[str]:
    sets = [f"data_dir={data_dir}", "generator.backend=openai", f"model_server.base_url={base_url}", "model_server.model=stub"]
    return [sys.executable, "-m", "mmrag.cli.main", *args, *[x for s in sets for x in ("--set", s)]]


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "MMRAG_API_KEY": "stub", "TOKENIZERS_PARALLELISM": "false"}


def _ask(tree: Path, data_dir: Path, base_url: str) -> tuple[float, dict]:
    cmd = _cli(tree, data_dir, base_url, "ask", "--routes", "paragraph", "--json", QUESTION)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=tree, env=_env(tree), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"{tree.name}: mmrag ask failed: {out.stderr.strip().splitlines()[-1:]}")
    answer = json.loads(out.stdout)
    if not (answer.get("trace") or {}).get("candidates", {}).get("paragraph"):
        raise SystemExit(f"{tree.name}: no paragraph was retrieved; is the corpus ingested?")
    return wall, answer["trace"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", default="dbc5bfd", help="git revision to compare with (default: dbc5bfd)")
    ap.add_argument("--runs", type=int, default=5, help="cold runs per version (default 5)")
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp folder)")
    args = ap.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="mmrag-cold-"))
    work.mkdir(parents=True, exist_ok=True)
    baseline = work / "baseline"
    if not baseline.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline), args.baseline],
                       check=True, capture_output=True)
    trees = {f"baseline {args.baseline}": baseline, "this tree": ROOT}

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"

    data = {label: work / f"data-{i}" for i, label in enumerate(trees)}
    try:
        for label, tree in trees.items():
            print(f"ingesting the demo paragraphs for {label} …", flush=True)
            subprocess.run(_cli(tree, data[label], base_url, "ingest", "--corpus", "demo-paragraph"),
                           cwd=tree, env=_env(tree), check=True, capture_output=True)
            _ask(tree, data[label], base_url)  # warms the OS file cache; not counted
        walls: dict[str, list[float]] = {label: [] for label in trees}
        traces: dict[str, list[dict]] = {label: [] for label in trees}
        for _ in range(args.runs):
            for label, tree in trees.items():  # alternate, so load on the machine hits both alike
                wall, trace = _ask(tree, data[label], base_url)
                walls[label].append(wall)
                traces[label].append(trace)
    finally:
        server.shutdown()
        if args.work is None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)], capture_output=True)
            shutil.rmtree(work, ignore_errors=True)

    print(f"\ncold `mmrag ask --routes paragraph` on the demo, {args.runs} runs each, median wall seconds")
    print("| version | median s | min s | max s |\n|---|---|---|---|")
    for label, w in walls.items():
        print(f"| {label} | {statistics.median(w):.2f} | {min(w):.2f} | {max(w):.2f} |")
    before, after = (statistics.median(w) for w in walls.values())
    print(f"\nspeed-up: {before / after:.2f}x (goal ≥ 3x)")
    stages = ("route", "embed", "search", "rerank", "load_generator", "generate")
    t = traces["this tree"]
    print("this tree, median stage seconds inside the run: "
          + ", ".join(f"{s} {statistics.median(x['timings'].get(s, 0.0) for x in t):.3f}" for s in stages))


if __name__ == "__main__":
    main()
