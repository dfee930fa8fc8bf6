"""Calibration, the local bi-encoder scorer, evaluation metrics and the two CLI commands (offline)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mmrag.cli.main import app
from mmrag.config import MMRAGConfig
from mmrag.errors import ConfigError, InputError
from mmrag.rerank import Calibration, build_scorer, fit_calibration
from mmrag.rerank.selection_eval import prf, topk_metrics
from mmrag.rerank.pairs import build_candidates, load_pairs

TOPICS = {
    "How many eyes does a honey bee have?": (
        ["Honey bees have five eyes: two large compound eyes and three small ocelli on top of the head."],
        ["Bumblebees nest in the ground and live in colonies of a few hundred.", "A volcano erupts when magma pressure rises."],
    ),
    "What makes a volcano erupt?": (
        ["Volcanoes erupt when pressure from gas-rich magma below the surface becomes too great.", "Magma rises and erupts through vents when dissolved gases expand."],
        ["Honey bees communicate with a waggle dance.", "Glaciers carve U-shaped valleys."],
    ),
    "How do glaciers shape valleys?": (
        ["Glaciers erode the valley floor and walls, carving deep U-shaped valleys."],
        ["Pollen sticks to the hairs of a bee's body.", "Lava flows can travel several kilometres."],
    ),
    "Why do bees dance?": (
        ["Forager bees perform a waggle dance to tell nest mates the direction and distance of flowers."],
        ["Volcanic ash can ground aircraft.", "Ice ages come and go over tens of thousands of years."],
    ),
    "What is the speed of light?": (
        [],  # nothing relevant among the candidates: the right answer is to keep none
        ["Honey bees fly at about 25 km/h.", "Glacial ice moves a few metres a day."],
    ),
    "What is volcanic ash made of?": (
        ["Volcanic ash consists of tiny fragments of rock, minerals and volcanic glass."],
        ["Worker bees build wax combs.", "Meltwater streams run beneath glaciers."],
    ),
}


@pytest.fixture
def pairs_file(tmp_path):
    rows = []
    for q, (pos, neg) in TOPICS.items():
        for i, t in enumerate(pos):
            rows.append({"query": q, "route": "paragraph", "item": f"{q[:8]}-pos{i}", "label": 1, "text": t})
        for i, t in enumerate(neg):
            rows.append({"query": q, "route": "paragraph", "item": f"{q[:8]}-neg{i}", "label": 0, "text": t})
    p = tmp_path / "pairs.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return p


def test_prf_edge_cases():
    assert prf([0], [1, 0]) == (1.0, 1.0, 1.0)
    assert prf([0, 1], [1, 0]) == pytest.approx((0.5, 1.0, 2 / 3))
    assert prf([], [0, 0]) == (1.0, 1.0, 1.0)  # nothing relevant, nothing kept
    assert prf([1], [0, 0]) == (0.0, 1.0, 0.0)
    assert prf([], [1, 0]) == (0.0, 0.0, 0.0)


def test_calibration_fit_save_load(tmp_path):
    raw = [0.1, 0.2, 0.25, 0.3, 0.5, 0.55, 0.7, 0.8]
    y = [0, 0, 0, 1, 0, 1, 1, 1]
    cal = fit_calibration(raw, y, scorer="bi-encoder")
    rs = cal.apply(raw)
    assert cal.a > 0 and all(0 < v < 1 for v in rs) and rs == sorted(rs)
    assert cal.n_pairs == 8 and cal.n_positive == 4 and 0.5 < cal.in_sample["auc"] <= 1
    back = Calibration.load(cal.save(tmp_path / "c.json"))
    assert back.apply([0.4]) == pytest.approx(cal.apply([0.4]))
    with pytest.raises(InputError, match="both relevant"):
        fit_calibration([0.1, 0.2], [1, 1], scorer="bi-encoder")


def test_bi_encoder_scores_rank_relevant_first(pairs_file, text_encoder):
    groups = build_candidates(load_pairs(pairs_file))
    scorer = build_scorer("bi-encoder", MMRAGConfig(), text_encoder=text_encoder)
    assert not scorer.calibrated and scorer.calibration_label == "uncalibrated"
    rs = [scorer.score(g.query, g.hits).values for g in groups]
    assert topk_metrics(groups, rs, 1)["precision"] >= 5 / 6  # the top candidate is relevant wherever there is one


def test_bad_pairs_and_calibration_mismatch(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "q", "item": "a"}\n')
    with pytest.raises(InputError, match="line 1"):
        load_pairs(bad)
    cal = fit_calibration([0.1, 0.9], [0, 1], scorer="llm-judge", feature="logit").save(tmp_path / "j.json")
    from mmrag.rerank.factory import load_calibration

    with pytest.raises(ConfigError, match="fitted for scorer 'llm-judge'"):
        load_calibration("bi-encoder", cal)


def test_cli_calibrate_then_eval(pairs_file, tmp_path, text_encoder, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no pipelines/default.yaml here: defaults
    runner = CliRunner()
    out = tmp_path / "cal.json"
    res = runner.invoke(app, ["rerank", "calibrate", "--data", str(pairs_file), "--scorer", "bi-encoder", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "in-sample" in res.output
    cal = Calibration.load(out)
    assert cal.scorer == "bi-encoder" and cal.a > 0 and cal.n_pairs == 18
    res = runner.invoke(app, ["rerank", "calibrate", "--data", str(pairs_file), "--scorer", "bi-encoder", "--hidden", "4"])
    assert res.exit_code == 1 and "--hidden is for the signals scorer" in res.output

    png = tmp_path / "pr.png"
    # Inline pair items are not in a store, so the default 'signals' scorer cannot read their search signals.
    res = runner.invoke(app, ["eval", "rerank", "--data", str(pairs_file), "--scorer", "signals", "--cv", "0"])
    assert res.exit_code == 1 and "--scorer bi-encoder" in res.output
    res = runner.invoke(app, ["eval", "rerank", "--data", str(pairs_file), "--scorer", "bi-encoder", "--calibration", str(out), "--cv", "0",
                              "--k", "3", "--plot", str(png), "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    assert set(rep["adaptive"]) >= {"precision", "recall", "f1", "mean_kept", "tau", "k"}
    assert set(rep["fixed_topk"]) == {"1", "3", "5"} and rep["adaptive"]["k"] == 3
    assert rep["calibrated"] and rep["n_queries"] == 6
    assert rep["fixed_topk"]["5"]["mean_kept"] == pytest.approx(18 / 6)
    assert 0 <= rep["sweep"]["best_tau"] <= 1 and png.stat().st_size > 1000
    assert rep["adaptive"]["f1"] > rep["fixed_topk"]["5"]["f1"]  # dropping irrelevant items pays on this set

    scores = tmp_path / "scores.jsonl"
    res = runner.invoke(app, ["eval", "rerank", "--data", str(pairs_file), "--scorer", "bi-encoder", "--cv", "3", "--plot", str(png), "--scores", str(scores)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in scores.read_text().splitlines()]
    assert len(rows) == 18 and all(0 <= r["rs"] <= 1 for r in rows) and {r["label"] for r in rows} == {0, 1}
    assert "cross-validated over 3 folds" in res.output and "fixed top-3" in res.output


def test_cli_missing_pairs_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["eval", "rerank", "--data", str(tmp_path / "nope.jsonl")])
    assert res.exit_code == 1
    assert "pairs file" in res.output and "Traceback" not in res.output


def test_gap_feature_is_per_query(tmp_path):
    # Two queries on different cosine scales: only the gap to each query's best separates them.
    raw = [[0.9, 0.8, 0.5], [0.5, 0.3, 0.2], [0.7, 0.6, 0.3], [0.4, 0.35, 0.1]]
    y = [[1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 1, 0]]
    cal = fit_calibration(raw, y, scorer="bi-encoder", feature="raw+gap")
    assert cal.a_gap > 0 and "best" in cal.formula()
    assert cal.apply([0.5, 0.3])[0] > 0.5 > cal.apply([0.9, 0.5])[1]
    with pytest.raises(InputError, match="feature 'cosine'"):
        fit_calibration(raw, y, scorer="bi-encoder", feature="cosine")


def test_load_scorer_uses_shipped_calibration(text_encoder):
    from mmrag.rerank import AdaptiveSelector, load_scorer

    default = load_scorer(MMRAGConfig(), text_encoder=text_encoder)
    assert default.name == "signals" and default.calibrated  # the default since hybrid search (its own tests: test_signal_scorer)
    scorer = load_scorer(MMRAGConfig(), scorer="bi-encoder", text_encoder=text_encoder)
    assert scorer.name == "bi-encoder" and scorer.calibrated
    assert scorer.calibration.source.endswith("rerank_pairs.jsonl") and scorer.calibration.n_pairs > 50
    groups = build_candidates([load_pairs_row(q, t, y) for q, t, y in [
        ("How many eyes does a honey bee have?", "Honey bees have five eyes: two compound eyes and three ocelli.", 1),
        ("How many eyes does a honey bee have?", "A volcano erupts when magma pressure rises.", 0),
    ]])
    g = groups[0]
    rs = scorer.score(g.query, g.hits).values
    kept = AdaptiveSelector(0.5, 5).select(g.hits, rs).kept
    assert [s.hit.item.text[:10] for s in kept] == ["Honey bees"]


def load_pairs_row(query, text, label):
    from mmrag.rerank.pairs import Pair

    return Pair(query=query, route="paragraph", item=text[:12], label=label, inline={"text": text})
