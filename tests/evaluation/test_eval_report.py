"""Report pieces without a pipeline: the average over benchmarks, tables, plots and compare deltas."""

from __future__ import annotations

import pytest

from mmrag.evaluation import report as R
from mmrag.evaluation.compare import compare, only_in


def _cfg(f1: float, r5: float | None, total: float) -> dict:
    return {"n": 2, "answer": {"f1": f1}, "retrieval": {} if r5 is None else {"recall@5": r5}, "routing": {},
            "selection": {"mean_kept_all": 1.0}, "latency_s": {"route": 0.1, "generate": total - 0.1, "total": total}}


def _results(f1_routed: float) -> dict:
    return {"benchmarks": {
        "a": {"n_queries": 2, "metric": "em_f1", "description": "", "configs": {"naive": _cfg(0.2, None, 1.0), "routed": _cfg(f1_routed, 0.5, 2.0)}},
        "b": {"n_queries": 2, "metric": "em_f1", "description": "", "configs": {"routed": _cfg(0.4, 1.0, 3.0)}},
    }}


def test_average_uses_only_benchmarks_that_have_the_metric() -> None:
    avg = R.average(_results(0.8))
    assert list(avg) == ["naive", "routed"]
    assert avg["routed"]["answer"]["f1"] == pytest.approx(0.6)
    assert avg["routed"]["retrieval"]["recall@5"] == pytest.approx(0.75)
    assert avg["naive"]["answer"]["f1"] == pytest.approx(0.2) and "recall@5" not in avg["naive"].get("retrieval", {})
    table = R.markdown_table(avg)
    assert table.splitlines()[0].startswith("| config | n | F1 | R@5 |") and "| naive | 2 | 0.200 | – |" in table


def test_report_and_plots_for_two_benchmarks(tmp_path) -> None:
    res = _results(0.8)
    plots = [R.plot_metric(tmp_path, res), R.plot_latency(tmp_path, res)]
    path = R.write_report(tmp_path, res, plots)
    text = path.read_text()
    assert "## a" in text and "## b" in text and "## Average over benchmarks" in text and "not computed" in text
    assert all(p.stat().st_size > 1000 for p in plots)


def test_compare_deltas_and_missing_configs() -> None:
    rows = compare(_results(0.5), _results(0.8))
    f1 = [r for r in rows if r["benchmark"] == "a" and r["config"] == "routed" and r["metric"] == "F1"][0]
    assert f1["delta"] == pytest.approx(0.3)
    assert only_in(_results(0.5), {"benchmarks": {"a": {"configs": {"routed": {}}}}}) == ["a/naive", "b/routed"]
