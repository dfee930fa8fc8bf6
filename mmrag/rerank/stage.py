"""The rerank stage as the pipeline runs it: score every candidate, select, and describe it for the trace."""

from __future__ import annotations

import time
from typing import Any

from mmrag.types import Hit, Selection


def rerank_hits(query: str, hits: list[Hit], scorer: Any, selector: Any) -> tuple[Selection, dict[str, Any]]:
    """(selection, trace): the trace names the scorer, whether RS is calibrated, and every candidate's verdict."""
    t0 = time.perf_counter()
    scores = scorer.score(query, hits) if hits else []
    calibrated = bool(scorer.calibrated)
    sel = selector.select(hits, scores, calibrated=calibrated)
    label = getattr(getattr(scorer, "active", scorer), "calibration_label", "calibrated" if calibrated else "uncalibrated")
    trace = {
        "scorer": scorer.name,
        "calibrated": calibrated,
        "rs": label,
        "tau": sel.tau,
        "k": sel.k,
        "notes": list(getattr(scorer, "notes", []) or []),
        "candidates": [
            {"key": s.hit.item.key, "route": s.hit.route or s.hit.item.route, "rs": round(s.rs, 4), "kept": s.kept, "reason": s.reason}
            for s in sel.kept + sel.dropped
        ],
        "latency_ms": round((time.perf_counter() - t0) * 1000, 1),
    }
    return sel, trace
