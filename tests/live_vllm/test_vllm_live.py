"""Against a real OpenAI-compatible server (vLLM): runs only when MMRAG_VLLM_URL is set.

    scripts/serve-vllm-cpu.sh 8000        # prints the URL
    MMRAG_VLLM_URL=http://127.0.0.1:8000/v1 MMRAG_VLLM_MODEL=SmolLM2-135M-Instruct pytest tests/live_vllm -s

The offline model (SmolLM2-135M) is text-only, so the generator is configured with vision off.
Figures (latencies, the answer) are printed with -s.
"""

from __future__ import annotations

import math
import os
import time

import pytest

from mmrag.config import GeneratorConfig, ModelServerConfig
from mmrag.generate import load_generator
from mmrag.model_client import OpenAIClient, top_logprobs_of_first_token
from mmrag.types import Answer, Hit, Item, ScoredHit

URL = os.environ.get("MMRAG_VLLM_URL")
pytestmark = pytest.mark.skipif(not URL, reason="set MMRAG_VLLM_URL to a running vLLM server (scripts/serve-vllm-cpu.sh)")


@pytest.fixture(scope="module")
def server() -> ModelServerConfig:
    model = os.environ.get("MMRAG_VLLM_MODEL")
    cfg = ModelServerConfig(base_url=URL or "", model=model or "x", timeout_s=120.0)
    if not model:  # take the one model the server serves
        cfg = cfg.model_copy(update={"model": OpenAIClient(cfg).models()[0]})
    return cfg


def _kept() -> list[ScoredHit]:
    def sh(key: str, text: str, rs: float, title: str) -> ScoredHit:
        item = Item(id=key, key=key, corpus="demo", route="paragraph", modality="text", granularity="paragraph",
                    source=key.split("#")[0], title=title, text=text)
        return ScoredHit(hit=Hit(item=item, score=rs, route="paragraph"), rs=rs, kept=True)

    return [
        sh("volcanoes.md#0", "Mount Etna is an active volcano on the east coast of Sicily, Italy. "
           "It is the highest active volcano in Europe outside the Caucasus.", 0.92, "Volcanoes"),
        sh("bees.md#2", "Honey bees tell each other where flowers are with the waggle dance.", 0.41, "Bees"),
    ]


def test_generate_plain_and_streaming(server: ModelServerConfig) -> None:
    gen = load_generator(GeneratorConfig(backend="openai", vision=False, max_tokens=64), server)
    t0 = time.perf_counter()
    ans = gen.generate("Where is Mount Etna?", _kept())
    wall = time.perf_counter() - t0
    print(f"\n[vllm] answer in {wall:.2f}s ({ans.usage}): {ans.text!r}")
    print(f"[vllm] citations: {[(c.number, c.key) for c in ans.citations]}")
    assert ans.text and ans.usage.get("completion_tokens", 0) > 0
    assert ans.model == server.model
    assert ans.request["messages"][-1]["content"].startswith("Question: Where is Mount Etna?")

    pieces, final = [], None
    for x in gen.stream("Where is Mount Etna?", _kept()):
        if isinstance(x, Answer):
            final = x
        else:
            pieces.append(x)
    assert final is not None and len(pieces) > 1
    # Greedy decoding: the streamed answer is the same generation as the plain one.
    assert "".join(pieces).strip() == final.text == ans.text
    assert final.usage.get("completion_tokens", 0) > 0
    print(f"[vllm] streamed {len(pieces)} deltas in {final.latency_s:.2f}s")


def test_no_context_answer(server: ModelServerConfig) -> None:
    gen = load_generator(GeneratorConfig(backend="openai", vision=False, max_tokens=32), server)
    ans = gen.generate("What is the capital of France?", [])
    print(f"\n[vllm] no-context answer: {ans.text!r}")
    assert ans.no_context and ans.text and not ans.citations


def test_judge_logprobs(server: ModelServerConfig) -> None:
    client = OpenAIClient(server)
    msgs = [{"role": "system", "content": "Reply with one word: yes or no."},
            {"role": "user", "content": "Question: Where is Mount Etna?\n\nItem:\nMount Etna is a volcano in Sicily.\n\n"
                                        "Is this relevant to answering the question? Answer yes or no."}]
    t0 = time.perf_counter()
    data = client.chat(msgs, max_tokens=1, temperature=0.0, logprobs=True, top_logprobs=20)
    top = top_logprobs_of_first_token(data)
    print(f"\n[vllm] judge in {time.perf_counter() - t0:.2f}s, top logprobs: "
          f"{dict(sorted(top.items(), key=lambda kv: -kv[1])[:6])}")
    assert len(top) >= 10
    assert all(v <= 1e-6 for v in top.values())
    assert sum(math.exp(v) for v in top.values()) <= 1.0 + 1e-3
    try:
        from mmrag.rerank.logprobs import rs_from_logprobs
    except ImportError:
        return
    rs = rs_from_logprobs(top)
    print(f"[vllm] RS(yes/no) = {rs:.3f}")
    assert 0.0 <= rs <= 1.0


def test_training_free_router(server: ModelServerConfig, repo_root) -> None:
    routing = pytest.importorskip("mmrag.routing", reason="mmrag.routing is not in this tree yet")
    from mmrag.config import MMRAGConfig, RoutingConfig
    from mmrag.registry import CorpusRegistry

    registry = CorpusRegistry.from_yaml(repo_root / "corpora" / "demo.yaml")
    # No fallback: the decision must come from the served model itself.
    cfg = MMRAGConfig(model_server=server, routing=RoutingConfig(kind="llm", llm_fallback=False))
    router = routing.load_router(cfg, registry)
    for q in ("Where is Mount Etna?", "What happens in the video when the dough is kneaded?"):
        t0 = time.perf_counter()
        decision = router.route(q)
        print(f"\n[vllm] router in {time.perf_counter() - t0:.2f}s: {q!r} -> {decision.routes} "
              f"{ {k: round(v, 3) for k, v in decision.probabilities.items()} }")
        assert decision.fallback is None and decision.router == "llm"
        assert set(decision.probabilities) <= set(registry.routes) | {"none"}
        assert decision.routes
