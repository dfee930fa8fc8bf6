"""`mmrag eval retrieval` on a small BEIR-style fixture written here: loaders, exact metrics, the command end to end."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from mmrag.errors import InputError
from mmrag.evaluation.beir import load_qrels, load_retrieval_set
from mmrag.evaluation.retrieval_eval import ece, parse_modes, rank_metrics

DOCS = [
    {"id": "d1", "title": "Glaciers", "text": "Glaciers carve U-shaped valleys as the ice grinds the bedrock."},
    {"id": "d2", "title": "Coffee", "text": "Espresso is brewed by forcing hot water through finely ground coffee."},
    {"id": "d3", "title": "Lighthouses", "text": "A lighthouse lamp is focused by a Fresnel lens into a beam."},
    {"id": "d4", "title": "Otters", "text": "Sea otters float on their backs and crack shellfish with stones."},
]
QUERIES = [
    {"id": "q1", "text": "what shape of valley do glaciers carve"},
    {"id": "q2", "text": "which lens focuses a lighthouse beam"},
    {"id": "q3", "text": "how do sea otters open shellfish"},
    {"id": "q4", "text": "a question whose document is not in the corpus"},
]
QRELS = [("q1", "d1"), ("q2", "d3"), ("q3", "d4"), ("q4", "missing")]


def _write(folder, name, rows):
    p = folder / name
    p.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return p


@pytest.fixture
def beir(tmp_path):
    c = _write(tmp_path, "corpus.jsonl", DOCS)
    q = _write(tmp_path, "queries.jsonl", QUERIES)
    r = _write(tmp_path, "qrels.jsonl", [{"query_id": a, "doc_id": b, "relevance": 1} for a, b in QRELS])
    a = _write(tmp_path, "answers.jsonl", [{"query_id": "q1", "answers": ["U-shaped"]}, {"query_id": "q2", "answers": ["Fresnel lens"]}])
    return c, q, r, a


def test_loaders_and_judged_sample(beir, tmp_path):
    data = load_retrieval_set(*beir)
    assert data.sample(None) == ["q1", "q2", "q3"]  # q4's document is not in the corpus
    assert data.sample(2, seed=1) == data.sample(2, seed=1) and len(data.sample(2, seed=1)) == 2
    tsv = tmp_path / "qrels.tsv"
    tsv.write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t2\n", encoding="utf-8")
    assert load_qrels(tsv) == {"q1": {"d1": 1}, "q2": {"d3": 2}}
    tsv.write_text("q1\td1\t1\nq2\td3\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):
        load_qrels(tsv)


def test_rank_metrics_exact():
    gold = {"a": {"x"}, "b": {"y"}, "c": {"z"}}
    ranked = {"a": ["x", "p"], "b": ["p", "q", "y"], "c": ["p"]}
    m = rank_metrics(gold, ranked)
    assert m["recall@1"] == pytest.approx(1 / 3)
    assert m["recall@5"] == pytest.approx(2 / 3)
    assert m["mrr@10"] == pytest.approx((1 + 1 / 3) / 3)
    assert m["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4)) / 3)


def test_ece_exact():
    e, bins = ece([0.9, 0.9, 0.1, 0.1], [1, 0, 0, 0])
    # bin 9: confidence 0.9, accuracy 0.5; bin 1: confidence 0.1, accuracy 0
    assert e == pytest.approx(0.5 * 0.4 + 0.5 * 0.1)
    assert [b["n"] for b in bins] == [2, 2]


def test_parse_modes():
    assert parse_modes("hybrid, dense,hybrid") == ["hybrid", "dense"]
    with pytest.raises(InputError, match="--modes"):
        parse_modes("dense,fuzzy")


def test_command_end_to_end(beir, tmp_path):
    from mmrag.cli.main import app

    c, q, r, a = beir
    out = tmp_path / "report"
    args = ["eval", "retrieval", "--corpus", str(c), "--queries", str(q), "--qrels", str(r), "--answers", str(a),
            "--modes", "sparse,hybrid,bm25", "--candidates", "4", "--out", str(out), "--set", f"data_dir={tmp_path / 'data'}",
            "--set", "ingest.ocr=false"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    got = json.loads((out / "retrieval.json").read_text())
    assert got["n_queries"] == 3 and got["n_docs"] == 4
    for mode in ("sparse", "hybrid", "bm25"):
        assert got["modes"][mode]["retrieval"]["recall@1"] == 1.0  # each query shares rare words with its document only
    h = got["modes"]["hybrid"]
    assert h["rs"]["pairs"] == 3 * 4 and h["rs"]["positives"] == 3
    assert h["selection"]["top-1"]["f1"] == 1.0 and h["selection"]["top-1"]["answer_found"] == 1.0
    assert (out / "report.md").is_file() and (out / "reliability.png").is_file()
    # The second run reuses the scratch collection (no new ingest) and gives the same figures.
    res2 = CliRunner().invoke(app, args)
    assert res2.exit_code == 0 and json.loads((out / "retrieval.json").read_text())["modes"]["sparse"]["retrieval"] == got["modes"]["sparse"]["retrieval"]


def test_bad_modes_is_one_line(beir):
    from mmrag.cli.main import app

    c, q, r, _ = beir
    res = CliRunner().invoke(app, ["eval", "retrieval", "--corpus", str(c), "--queries", str(q), "--qrels", str(r), "--modes", "magic"])
    assert res.exit_code == 1 and "--modes" in res.output
