"""The embedded, offline default end to end: trained router, bi-encoder RS and the in-process SmolLM2 GGUF."""

from __future__ import annotations

from tests.helpers.pipeline import REPO, demo_data

from mmrag.pipeline import Pipeline


def test_offline_default_answers_from_the_demo_corpus():
    # pipelines/default.yaml as shipped, pointed at the test's data folder; short answers keep it quick.
    p = Pipeline.from_config(REPO / "pipelines" / "default.yaml",
                             {"data_dir": str(demo_data()), "generator.max_tokens": 24})
    assert p.config.generator.backend == "gguf"
    question = "How many eggs a day can a honeybee queen lay at the height of the season?"
    parts = list(p.stream(question))
    answer = parts[-1]
    assert answer.text and answer.model and not answer.no_context
    assert answer.trace.kept[0].key == "bee-01" and answer.trace.decision.router == "trained"
    # Nothing was loaded first: the GGUF model loads while the question is retrieved, and a wait left after
    # retrieval (none when an earlier test loaded it) is reported apart from generation.
    stages = ["route", "embed", "search", "rerank", "generate"]
    assert [k for k in answer.trace.timings if k != "load_generator"] == stages
    assert answer.trace.timings["generate"] > 0 and answer.usage.get("completion_tokens", 1) <= 24
    # The generator saw the kept passage (the request is recorded, images elided).
    assert "2,000 eggs" in str(answer.request["messages"])
