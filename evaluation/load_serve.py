"""Load test of `mmrag serve`: N concurrent OpenAI clients for a bounded time against 127.0.0.1.

Prints p50/p95 latency, throughput, errors and lost answers, and the throughput of a single in-process
`Pipeline.ask` loop on the same questions for comparison. The generator is served: by default a simulated
OpenAI-compatible model on 127.0.0.1 that answers after a fixed delay (`--model-delay`, standing in for a
vLLM that takes concurrent requests); `--upstream URL` uses a real one (e.g. scripts/serve-vllm-cpu.sh).
Needs the demo corpus ingested (README's first command).

    python evaluation/load_serve.py [--clients 4] [--seconds 30] [--model-delay 0.5] [--upstream URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [json.loads(line)["question"] for line in (ROOT / "corpora/demo/questions.jsonl").read_text().splitlines()
             if line.strip() and '"paragraph"' in line]


def simulated_model(delay: float):
    """An OpenAI-compatible chat endpoint that answers after ``delay`` seconds, many requests at once."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def complete(body: dict) -> dict:
        await asyncio.sleep(delay)
        return {"id": "sim", "object": "chat.completion", "model": "sim",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "From the sources: see [1]."},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 8, "total_tokens": 108}}

    return app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=30.0, help="duration of each phase")
    ap.add_argument("--model-delay", type=float, default=0.5, help="simulated model latency (s)")
    ap.add_argument("--upstream", default=None, help="a real OpenAI-compatible base URL instead of the simulated model")
    ap.add_argument("--upstream-model", default="sim")
    ap.add_argument("--config", default=str(ROOT / "pipelines/default.yaml"))
    args = ap.parse_args()

    import openai

    from mmrag import Pipeline
    from mmrag.api import create_app
    from mmrag.api.background import BackgroundServer

    upstream = None
    if args.upstream is None:
        upstream = BackgroundServer(simulated_model(args.model_delay))
    base = args.upstream or upstream.base_url
    pipe = Pipeline.from_config(args.config, {"generator.backend": "openai", "model_server.base_url": base,
                                              "model_server.model": args.upstream_model}).load()

    # Phase 1: one in-process loop.
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < args.seconds:
        pipe.ask(QUESTIONS[done % len(QUESTIONS)], routes=["paragraph"])
        done += 1
    single = done / (time.perf_counter() - t0)

    # Phase 2: N clients against `mmrag serve`'s app.
    server = BackgroundServer(create_app(pipe, max_concurrency=args.clients))
    latencies: list[float] = []
    errors: list[str] = []
    lost = 0
    lock = threading.Lock()
    stop = time.perf_counter() + args.seconds

    def client(n: int) -> None:
        nonlocal lost
        c = openai.OpenAI(base_url=server.base_url, api_key="-", max_retries=0, timeout=120)
        i = n
        while time.perf_counter() < stop:
            q = QUESTIONS[i % len(QUESTIONS)]
            i += args.clients
            t = time.perf_counter()
            try:
                r = c.chat.completions.create(model="mmrag", messages=[{"role": "user", "content": q}],
                                              extra_body={"mmrag": {"routes": ["paragraph"]}})
                ok = r.model_extra["mmrag"]["question"] == q and bool(r.choices[0].message.content)
                with lock:
                    latencies.append(time.perf_counter() - t)
                    lost += not ok
            except Exception as e:  # noqa: BLE001 - counted and printed
                with lock:
                    errors.append(f"{type(e).__name__}: {e}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    served = len(latencies) / (time.perf_counter() - t0)
    server.close()
    if upstream is not None:
        upstream.close()
    q = statistics.quantiles(latencies, n=20) if len(latencies) >= 2 else [float("nan")] * 19
    print(f"generator: {'simulated model, ' + str(args.model_delay) + ' s per answer' if args.upstream is None else args.upstream}")
    print(f"single in-process loop: {single:.2f} questions/s")
    print(f"mmrag serve, {args.clients} clients, {args.seconds:.0f} s: {len(latencies)} answers, {served:.2f} questions/s "
          f"({served / single:.2f}x the loop); p50 {statistics.median(latencies):.3f} s, p95 {q[18]:.3f} s; "
          f"errors {len(errors)}, lost or mismatched {lost}")
    for e in errors[:5]:
        print("  error:", e)


if __name__ == "__main__":
    main()
