"""A full small benchmark run end to end (tiny ingested corpus, stub generator server), then resume and compare."""

from __future__ import annotations

import json

import pytest
import yaml
from tests.helpers.openai_stub import Reply, chat_completion
from typer.testing import CliRunner

from mmrag.cli.main import app
from mmrag.config import load_config
from mmrag.evaluation import load_benchmark, run_evaluation
from mmrag.ingest import Ingestor
from mmrag.registry import CorpusRegistry
from mmrag.store import open_store

PASSAGES = [
    ("etna", "Mount Etna", "Mount Etna is an active stratovolcano on the east coast of Sicily, Italy, and it is the tallest active volcano in Europe."),
    ("vesuvius", "Mount Vesuvius", "Mount Vesuvius destroyed the Roman town of Pompeii when it erupted in the year 79 AD near the Bay of Naples."),
    ("waggle", "Waggle dance", "Honeybee foragers perform a waggle dance whose angle tells nestmates the direction of flowers relative to the sun."),
    ("starter", "Sourdough starter", "A sourdough starter is fed equal weights of flour and water every day to keep its wild yeast active."),
]
QUESTIONS = [
    {"id": "q1", "question": "Which town did Vesuvius destroy in 79 AD?", "answer": "Pompeii", "routes": ["paragraph"], "relevant": ["vesuvius"]},
    {"id": "q2", "question": "On which island is Mount Etna?", "answer": "Sicily", "routes": ["paragraph"], "relevant": ["etna"]},
    {"id": "q3", "question": "What is 7 times 8?", "answer": "56", "aliases": ["fifty-six"], "routes": ["none"], "relevant": []},
]


@pytest.fixture
def bench(tmp_path, stub_server, text_encoder):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "p.jsonl").write_text("\n".join(json.dumps({"id": i, "title": t, "text": x}) for i, t, x in PASSAGES), encoding="utf-8")
    (tmp_path / "registry.yaml").write_text(yaml.safe_dump({"corpora": [
        {"name": "t-paragraph", "route": "paragraph", "modality": "text", "granularity": "paragraph",
         "collection": "t_paragraph", "description": "passages", "sources": ["corpus"]}]}), encoding="utf-8")
    (tmp_path / "q.jsonl").write_text("\n".join(json.dumps(q) for q in QUESTIONS), encoding="utf-8")
    sets = {"data_dir": str(tmp_path / "data"), "corpora": str(tmp_path / "registry.yaml"), "ingest.paragraph_min_words": 1,
            "routing.kind": "fixed", "routing.fixed_routes": ["paragraph"], "rerank.tau": 0.3,
            "generator.backend": "openai", "model_server.base_url": stub_server.base_url, "model_server.model": "stub",
            "model_server.max_retries": 0, "model_server.timeout_s": 5}
    cfg = load_config(None, sets)
    spec = CorpusRegistry.from_yaml(cfg.corpora_path).get("t-paragraph")
    Ingestor(cfg, open_store(cfg), text_encoder=text_encoder).ingest(spec)
    (tmp_path / "bench.yaml").write_text(yaml.safe_dump({
        "name": "tiny", "queries": "q.jsonl", "format": "demo", "corpora": "registry.yaml", "set": sets,
        "configs": ["naive", "paragraph", "oracle", "routed", "topk", "unified", "random"]}), encoding="utf-8")
    # The stub "model" answers every question with the same sentence, so only q1 can be right.
    stub_server.responder = lambda path, body: Reply(body=chat_completion("Pompeii was destroyed [1]."))
    return tmp_path / "bench.yaml"


def test_full_run_writes_every_output_and_resumes(bench, tmp_path, stub_server) -> None:
    out = tmp_path / "run"
    res = run_evaluation([load_benchmark(str(bench))], out, progress=False)
    for name in ("results.json", "predictions.jsonl", "report.md", "metric_per_config.png", "latency_per_stage.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    configs = res["benchmarks"]["tiny"]["configs"]
    assert list(configs) == ["naive", "paragraph", "oracle", "routed", "topk", "unified", "random"]
    # One stub answer for all: contains/EM right on q1 only.
    assert configs["oracle"]["answer"]["contains"] == pytest.approx(1 / 3)
    assert configs["oracle"]["routing"]["accuracy"] == 1.0
    assert configs["paragraph"]["routing"]["accuracy"] == pytest.approx(2 / 3)  # q3's gold route is 'none'
    assert configs["naive"]["retrieval"]["recall@5"] == 0.0 and configs["naive"]["selection"]["mean_kept_all"] == 0.0
    assert configs["paragraph"]["retrieval"]["recall@5"] == 1.0 and configs["paragraph"]["retrieval"]["mrr"] == 1.0
    assert configs["unified"]["routing"] == {}
    # fixed top-k keeps every candidate up to k; the adaptive selector keeps no more than that
    assert configs["topk"]["selection"]["mean_kept_all"] >= configs["routed"]["selection"]["mean_kept_all"]
    assert configs["topk"]["selection"]["mean_kept_all"] == pytest.approx(4.0)  # 4 passages, k = 5
    preds = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(preds) == 21 and {"routes", "kept", "answer", "scores", "timings"} <= set(preds[0])
    report = (out / "report.md").read_text()
    assert "| routed |" in report and "BERTScore" in report and "Routing confusion of **routed**" in report
    assert json.loads((out / "results.json").read_text())["benchmarks"]["tiny"]["n_queries"] == 3

    # Resume: every per-query result comes from the cache, so the server is not asked again.
    asked = len(stub_server.requests)
    again = run_evaluation([load_benchmark(str(bench))], out, progress=False)
    assert len(stub_server.requests) == asked
    assert again["benchmarks"]["tiny"]["configs"]["oracle"]["answer"] == configs["oracle"]["answer"]


def test_cli_run_limit_and_compare(bench, tmp_path) -> None:
    runner = CliRunner()
    a, b = tmp_path / "a", tmp_path / "b"
    r = runner.invoke(app, ["eval", "--benchmark", str(bench), "--configs", "naive,oracle", "--limit", "2", "--out", str(a),
                            "--concurrency", "2"])
    assert r.exit_code == 0, r.output
    assert json.loads((a / "results.json").read_text())["benchmarks"]["tiny"]["n_queries"] == 2
    r = runner.invoke(app, ["eval", "--benchmark", str(bench), "--configs", "oracle", "--no-generate", "--out", str(b)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["eval", "compare", str(a), str(b)])
    assert r.exit_code == 0, r.output
    assert "R@5" in r.output and "only in A: tiny/naive" in r.output
    r = runner.invoke(app, ["eval", "--benchmark", "no-such-bench"])
    assert r.exit_code == 1 and "unknown benchmark 'no-such-bench'" in r.output
    r = runner.invoke(app, ["eval", "--benchmark", str(bench), "--configs", "bogus", "--out", str(b)])
    assert r.exit_code == 1 and "unknown config 'bogus'" in r.output
    r = runner.invoke(app, ["eval", "compare", str(tmp_path / "nope"), str(b)])
    assert r.exit_code == 1 and "no results.json" in r.output
