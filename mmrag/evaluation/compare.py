"""Differences between two runs' results.json: per benchmark, config and metric, B − A."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmrag.errors import InputError
from mmrag.evaluation.report import COLUMNS


def load_run(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    p = p / "results.json" if p.is_dir() else p
    if not p.is_file():
        raise InputError(f"no results.json at {path}: give a run folder written by `mmrag eval --out`")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise InputError(f"{p} is not valid JSON: rerun the evaluation") from None


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows (benchmark, config, metric, a, b, delta) for every table metric present in both runs."""
    rows = []
    for bench in a["benchmarks"]:
        if bench not in b["benchmarks"]:
            continue
        ca, cb = a["benchmarks"][bench]["configs"], b["benchmarks"][bench]["configs"]
        for config in [c for c in ca if c in cb]:
            for header, sec, key in COLUMNS:
                va, vb = ca[config].get(sec, {}).get(key), cb[config].get(sec, {}).get(key)
                if va is not None and vb is not None:
                    rows.append({"benchmark": bench, "config": config, "metric": header, "a": va, "b": vb, "delta": vb - va})
    return rows


def only_in(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """'benchmark/config' pairs present in ``a`` but not ``b``."""
    return [f"{bench}/{c}" for bench, x in a["benchmarks"].items() for c in x["configs"]
            if c not in b["benchmarks"].get(bench, {}).get("configs", {})]
