"""Stages shared by threads (ask_many, the eval runner, the server) give each question what it alone would get."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from test_pipeline_support import config_dict, stub_server

from mmrag.errors import ServerError
from mmrag.pipeline import Pipeline
from mmrag.rerank.served import FallbackScorer
from mmrag.types import Scores

QUESTIONS = [
    "How many eggs a day can a honeybee queen lay at the height of the season?",
    "What was the name of the Apollo 17 lunar module?",
    "Which bicycle pedal has a reverse, left-hand thread?",
    "What do worker bees feed the larvae?",
    "Who commanded the Apollo 11 mission?",
    "Who was the first person to walk on the Moon?",
]


@pytest.fixture(scope="module")
def server():
    s = stub_server()
    yield s
    s.close()


@pytest.fixture(scope="module")
def pipe(server):
    return Pipeline.from_config(config_dict(server.base_url))


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
    qs = QUESTIONS * 2
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
    assert by_query[QUESTIONS[1]][4] == "signals" and any("fell back" in n for n in by_query[QUESTIONS[1]][6])
    assert by_query[QUESTIONS[0]][4] == "flaky" and not any("fell back" in n for n in by_query[QUESTIONS[0]][6])


def test_ask_many_matches_asking_one_at_a_time(pipe):
    one_by_one = [pipe.ask(q, k=1, tau=0.0) for q in QUESTIONS]
    many = pipe.ask_many(QUESTIONS, concurrency=3, k=1, tau=0.0)

    def view(a):
        t = a.trace
        return (t.query, t.decision.routes, [k.key for k in t.kept], [c.key for c in a.citations], a.text)

    assert [view(a) for a in many] == [view(a) for a in one_by_one]
