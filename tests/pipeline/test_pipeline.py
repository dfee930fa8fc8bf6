"""The Pipeline API end to end on the demo corpus, generating through the test's OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.helpers.pipeline import DEMO, config_dict, image_parts, sources_in, stub_server

from mmrag.config import load_config
from mmrag.errors import ConfigError, CorpusError, InputError, ServerError
from mmrag.pipeline import Pipeline
from mmrag.rerank.served import FallbackScorer
from mmrag.types import Answer, RouteDecision, Scores

BEES = "How many eggs a day can a honeybee queen lay at the height of the season?"
STAGES = ["route", "embed", "search", "rerank", "generate"]


@pytest.fixture(scope="module")
def server():
    s = stub_server()
    yield s
    s.close()


@pytest.fixture(scope="module")
def pipe(server):
    return Pipeline.from_config(config_dict(server.base_url))


def test_ask_routes_retrieves_reranks_and_cites(pipe, server):
    answer = pipe.ask(BEES)
    t = answer.trace
    assert t.decision.router == "trained" and "paragraph" in t.decision.routes
    assert set(t.decision.probabilities) == {"none", "paragraph", "document", "image", "clip", "video", "page", "audio"}
    assert list(t.timings) == STAGES and all(v >= 0 for v in t.timings.values())
    assert t.timings["embed"] > 0  # the query was embedded, and measured apart from the search
    rows = t.candidates["paragraph"]
    assert len(rows) == 20 and all(r.rs is not None and 0 <= r.rs <= 1 for r in rows)
    kept = [r.key for r in t.kept]
    assert kept and kept[0] == "bee-01"  # the gold passage for this question
    assert all(d.reason for d in t.dropped) and len(kept) + len(t.dropped) == 20
    # The generator saw the kept passage as source [1]; the answer's [1] resolves to it.
    assert "2,000 eggs" in sources_in(server.chat_requests()[-1])
    assert [c.key for c in answer.citations] == ["bee-01"] and not answer.no_context
    assert t.generator["sources"] == kept


def test_overrides_per_call(pipe, server):
    a = pipe.ask(BEES, routes=["paragraph", "image"], k=2, tau=0.0, n_candidates=3)
    t = a.trace
    assert t.decision.router == "given" and t.decision.routes == ["paragraph", "image"]
    assert len(t.candidates["paragraph"]) == 3 and len(t.candidates["image"]) == 3
    assert t.selection.model_dump() == {"tau": 0.0, "k": 2}
    # The default rule (expected-f1) keeps one of the two allowed: the runner-up is far less likely than the best.
    assert len(t.kept) == 1 and sum(d.reason.startswith("expected F1") for d in t.dropped) == 1
    assert sum(d.reason.startswith("beyond k=2") for d in t.dropped) == 6 - 2
    # k=0: nothing kept, the model answers from its own knowledge.
    a = pipe.ask(BEES, routes=["paragraph"], k=0)
    assert a.no_context and a.trace.kept == [] and "[1]" not in sources_in(server.chat_requests()[-1])
    # tau=1: every candidate dropped with its RS in the reason, and the trace says why there are no sources.
    a = pipe.ask(BEES, routes=["paragraph"], tau=1.0)
    assert a.trace.kept == [] and any("answering without sources" in n for n in a.trace.notes)
    # "none" alone: no retrieval at all.
    a = pipe.ask("What is 7 times 8?", routes=["none"])
    assert a.trace.candidates == {} and a.no_context


def test_image_query_reaches_router_search_and_generator(pipe, server):
    seen = {}

    class SpyRouter:
        def route(self, query, image=None, *, embeddings=None):
            seen["image"] = image
            return RouteDecision(query=query, probabilities={"image": 0.9, "none": 0.1}, routes=["image"], router="spy")

    p = Pipeline(pipe.config, registry=pipe.registry, retriever=pipe.retriever, router=SpyRouter(), scorer=pipe.scorer)
    a = p.ask("Which part of this insect has the wings?", image=DEMO / "images" / "bee-anatomy.png", tau=0.0, k=1)
    assert seen["image"] is not None and seen["image"].size[0] > 0
    assert a.trace.decision.router == "spy" and a.trace.kept[0].route == "image"
    # The query image and the kept image are both sent to the (vision) generator.
    assert image_parts(server.chat_requests()[-1]) == 2


def test_stream_aask_and_ask_many(pipe):
    parts = list(pipe.stream(BEES, routes=["paragraph"]))
    assert all(isinstance(p, str) for p in parts[:-1]) and len(parts) > 2
    final = parts[-1]
    assert isinstance(final, Answer) and final.text == "".join(parts[:-1]).strip()
    assert list(final.trace.timings) == STAGES
    a = asyncio.run(pipe.aask(BEES, routes=["paragraph"]))
    assert a.trace.kept[0].key == "bee-01"
    qs = [BEES, "What was the name of the Apollo 17 lunar module?", "Which bicycle pedal has a reverse, left-hand thread?"]
    many = pipe.ask_many(qs, concurrency=3, routes=["paragraph"], k=1, tau=0.0)
    assert [m.trace.query for m in many] == qs
    one_by_one = [pipe.ask(q, routes=["paragraph"], k=1, tau=0.0).trace.kept[0].key for q in qs]
    assert [m.trace.kept[0].key for m in many] == one_by_one and one_by_one[0] == "bee-01"
    assert one_by_one[1].startswith("apollo-") and one_by_one[2].startswith("bicycle-")


def test_any_stage_is_replaceable(pipe, server):
    class FirstOnly:
        name = "first-only"

        def score(self, query, hits, *, embeddings=None):
            return Scores(values=[1.0 if i == 0 else 0.0 for i in range(len(hits))], scorer=self.name)

    class Echo:
        def generate(self, query, kept, image=None):
            return Answer(text=f"{len(kept)} kept for: {query}")

        def stream(self, query, kept, image=None):
            yield self.generate(query, kept, image)

    n = len(server.requests)
    p = Pipeline(pipe.config, registry=pipe.registry, retriever=pipe.retriever, router=pipe.router,
                 scorer=FirstOnly(), generator=Echo())
    a = p.ask(BEES, routes=["paragraph"])
    assert a.text == f"1 kept for: {BEES}" and a.trace.scorer.model_dump() == {"name": "first-only", "calibrated": True}
    assert len(server.requests) == n  # the replaced generator, not the server, answered


def test_no_reranker_ablation_keeps_search_order(pipe):
    p = Pipeline(load_config(None, {**config_dict("http://unused"), "rerank.scorer": {"kind": "search-score"}, "rerank.tau": 0.0}),
                 registry=pipe.registry, retriever=pipe.retriever, generator=pipe.generator)
    r = p.retrieve(BEES, routes=["paragraph"], k=3)
    assert [s.hit.rank for s in r.selection.kept] == [1, 2, 3]
    assert r.trace().scorer.model_dump() == {"name": "search-score", "calibrated": False}
    assert any("uncalibrated" in n for n in r.notes)


def test_user_errors_are_one_line(pipe, tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not a png at all")
    cases = [
        (lambda: pipe.ask("  "), InputError, "empty"),
        (lambda: pipe.ask(BEES, routes=["tables"]), InputError, "known routes: none, paragraph"),
        (lambda: pipe.ask(BEES, tau=1.5), ConfigError, "outside"),
        (lambda: pipe.ask(BEES, k=-2), ConfigError, "negative"),
        (lambda: pipe.ask(BEES, image=tmp_path / "missing.png"), InputError, "does not exist"),
        (lambda: pipe.ask(BEES, image=tmp_path / "bad.png"), InputError, "not a readable image"),
        (lambda: pipe.retrieve("the moment the tyre is seated", routes=["clip"]), CorpusError, "mmrag ingest --corpus demo-clip"),
    ]
    for call, kind, match in cases:
        with pytest.raises(kind, match=match) as e:
            call()
        assert "\n" not in str(e.value), str(e.value)
    # One empty corpus among the routes is skipped with a note; the others still answer.
    r = pipe.retrieve(BEES, routes=["clip", "paragraph"])
    assert r.selection.kept and any("route 'clip' skipped" in n for n in r.notes)


def test_unreachable_server_is_a_server_error(pipe):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = Pipeline.from_config(pipe.config, {"model_server.base_url": f"http://127.0.0.1:{port}/v1"},
                             registry=pipe.registry, retriever=pipe.retriever, router=pipe.router, scorer=pipe.scorer)
    with pytest.raises(ServerError) as e:
        p.ask(BEES, routes=["paragraph"])
    assert str(e.value).startswith(f"model server http://127.0.0.1:{port}") and "\n" not in str(e.value)


def test_from_config_yaml_dict_and_model(server, repo_root):
    for name in ("default", "vllm", "no-routing", "fixed-top-k", "no-reranker"):
        cfg = Pipeline.from_config(repo_root / "pipelines" / f"{name}.yaml").config
        assert cfg.data_path == (repo_root / ".mmrag").resolve()
    assert Pipeline.from_config(repo_root / "pipelines" / "no-routing.yaml").config.routing.kind == "fixed"
    p = Pipeline.from_config(config_dict(server.base_url), {"rerank.k": 2})
    assert p.config.rerank.k == 2 and p.config.generator.backend == "openai"
    q = Pipeline.from_config(p.config, {"rerank.tau": 0.7})
    assert q.config.rerank.tau == 0.7 and q.config.rerank.k == 2 and q.config.data_path == p.config.data_path
    with pytest.raises(ConfigError, match="rerank.tau"):
        Pipeline.from_config(config_dict(server.base_url), {"rerank.tau": "high"})


def test_one_query_embedding_per_encoder_per_question(pipe):
    from mmrag.encoders import load_text_encoder

    pipe.load(router=True, generator=False)  # model loading and warm-up are not per-question work
    enc_cls = type(load_text_encoder(pipe.config.encoders.text))  # the shared encoder's class (ONNX or torch)
    calls = []
    encode = enc_cls.encode

    def counted(self, texts, **kw):
        calls.append(list(texts))
        return encode(self, texts, **kw)

    enc_cls.encode = counted
    try:
        r = pipe.retrieve(BEES)  # the trained router embeds it; the retriever and the scorer reuse that vector
        assert r.decision.routes == ["paragraph"] and r.selection.kept
        assert calls == [[BEES]] and r.embeddings.calls == 1
        calls.clear()
        two = pipe.retrieve(BEES, routes=["paragraph", "image"])  # two collections, one text encoder
        assert set(two.candidates) == {"paragraph", "image"} and calls == [[BEES]]
    finally:
        enc_cls.encode = encode


# -- stages shared by threads (ask_many, the eval runner, the server) ------------------------------------------
THREADED_QUESTIONS = [
    "How many eggs a day can a honeybee queen lay at the height of the season?",
    "What was the name of the Apollo 17 lunar module?",
    "Which bicycle pedal has a reverse, left-hand thread?",
    "What do worker bees feed the larvae?",
    "Who commanded the Apollo 11 mission?",
    "Who was the first person to walk on the Moon?",
]


class FlakyScorer:
    """Fails like a server that is down for some questions only, and is slow otherwise, so calls overlap."""

    name = "flaky"

    def score(self, query, hits, *, embeddings=None):
        if "Apollo" in query:
            raise ServerError("model server down")
        time.sleep(0.02)
        return Scores(values=[1.0 / h.rank for h in hits], calibrated=True, scorer=self.name)


def _summary(r):
    """Everything a question's retrieval decided (not its timings)."""
    return (r.query, r.decision.routes, {k: [h.item.key for h in v] for k, v in r.candidates.items()},
            [(s.hit.item.key, round(s.rs, 6)) for s in r.selection.kept], r.scores.scorer, r.scores.calibrated,
            [n for n in r.notes])


def test_threads_sharing_stages_get_what_each_question_gets_alone(pipe):
    p = pipe.with_stages(scorer=FallbackScorer(FlakyScorer(), pipe.scorer))
    qs = THREADED_QUESTIONS * 2
    alone = [_summary(p.retrieve(q, k=2)) for q in qs]
    start = threading.Barrier(6)

    def together(q):
        try:
            start.wait(timeout=5)  # the first six start at once
        except threading.BrokenBarrierError:
            pass
        return _summary(p.retrieve(q, k=2))

    with ThreadPoolExecutor(max_workers=6) as pool:
        shared = list(pool.map(together, qs))
    assert shared == alone
    # Both scorers really scored, and each question's trace names the one that scored it (no stale state).
    by_query = {s[0]: s for s in alone}
    assert by_query[THREADED_QUESTIONS[1]][4] == "signals" and any("fell back" in n for n in by_query[THREADED_QUESTIONS[1]][6])
    assert by_query[THREADED_QUESTIONS[0]][4] == "flaky" and not any("fell back" in n for n in by_query[THREADED_QUESTIONS[0]][6])


def test_ask_many_matches_asking_one_at_a_time(pipe):
    one_by_one = [pipe.ask(q, k=1, tau=0.0) for q in THREADED_QUESTIONS]
    many = pipe.ask_many(THREADED_QUESTIONS, concurrency=3, k=1, tau=0.0)

    def view(a):
        t = a.trace
        return (t.query, t.decision.routes, [k.key for k in t.kept], [c.key for c in a.citations], a.text)

    assert [view(a) for a in many] == [view(a) for a in one_by_one]


class SlowLoadingGenerator:
    """A generator whose model takes a while to load, recording the thread it loads on and when."""

    def __init__(self, inner, *, fail: Exception | None = None):
        self.inner, self.fail = inner, fail
        self.loaded_on: str | None = None
        self.loaded_at = 0.0
        self.loads = 0

    def warm_up(self):
        self.loads += 1
        time.sleep(0.3)
        self.loaded_on, self.loaded_at = threading.current_thread().name, time.perf_counter()
        if self.fail is not None:
            raise self.fail
        return self

    def generate(self, query, kept, image=None):
        return self.inner.generate(query, kept, image=image)

    def stream(self, query, kept, image=None):
        return self.inner.stream(query, kept, image=image)


def test_a_cold_generator_loads_while_the_question_is_retrieved(pipe):
    pipe.load(generator=False)
    slow = SlowLoadingGenerator(pipe.generator)
    p = pipe.with_stages(generator=slow)
    started = time.perf_counter()
    answer = p.ask(BEES, routes=["paragraph"])
    assert slow.loaded_on and slow.loaded_on != threading.current_thread().name
    assert answer.trace.kept and "load_generator" in answer.trace.timings
    # Retrieval did not wait for the model: the wait after it is shorter than the load itself.
    assert answer.trace.timings["load_generator"] < slow.loaded_at - started
    # Once loaded, the next question neither loads again nor waits (no worker thread is started).
    again = p.ask(BEES, routes=["paragraph"])
    assert slow.loads == 1 and "load_generator" not in again.trace.timings
    # A loading error reaches the caller, in the caller's thread, as itself.
    broken = pipe.with_stages(generator=SlowLoadingGenerator(pipe.generator, fail=ServerError("model server down")))
    with pytest.raises(ServerError, match="model server down"):
        broken.ask(BEES, routes=["paragraph"])
