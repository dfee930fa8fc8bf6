"""Logistic (Platt) calibration: raw scorer output -> probability of relevance.

Fitted with scikit-learn on labelled (query, item) pairs and saved as a small JSON file, so a
local scorer's raw number (a cosine, a log-odds) becomes an RS a threshold τ can mean something on.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from mmrag.errors import ConfigError, InputError

#: "raw" or "logit" (log-odds, for judges whose raw score is a probability); "+gap" adds the distance to
#: the query's best candidate, since an absolute similarity means different things for different queries.
Feature = Literal["raw", "logit", "raw+gap", "logit+gap"]


FEATURES = ("raw", "logit", "raw+gap", "logit+gap")


def check_feature(name: str) -> Feature:
    if name not in FEATURES:
        raise InputError(f"calibration feature '{name}' is unknown: use one of {', '.join(FEATURES)}")
    return name  # type: ignore[return-value]


def _features(raw: np.ndarray, feature: Feature) -> np.ndarray:
    """(n, 1) or (n, 2) features of ONE query's candidates."""
    x = np.asarray(raw, dtype=np.float64).reshape(-1)
    if feature.startswith("logit"):
        p = np.clip(x, 1e-6, 1 - 1e-6)
        x = np.log(p / (1 - p))
    if feature.endswith("+gap"):
        gap = x - x.max() if len(x) else x
        return np.stack([x, gap], axis=1)
    return x.reshape(-1, 1)


class SavedModel(BaseModel):
    """A fitted model stored as indented JSON (no pickle)."""

    def save(self, path: str | Path) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return p


class Calibration(SavedModel):
    """RS = sigmoid(a·f(raw) + a_gap·(f(raw) − max f(raw) over the query's candidates) + b)."""

    scorer: str
    a: float
    b: float
    a_gap: float = 0.0
    feature: Feature = "raw"
    n_pairs: int = 0
    n_positive: int = 0
    source: str = Field(default="", description="Pairs file the calibration was fitted on.")
    fitted_at: str = ""
    in_sample: dict[str, float] = Field(default_factory=dict, description="Metrics on the fitting pairs (optimistic).")

    def formula(self) -> str:
        base = "logit(raw)" if self.feature.startswith("logit") else "raw"
        gap = f" {self.a_gap:+.3f}·({base} − best)" if self.feature.endswith("+gap") else ""
        return f"RS = sigmoid({self.a:.3f}·{base}{gap} {self.b:+.3f})"

    def apply(self, raw: list[float] | np.ndarray) -> list[float]:
        """RS of one query's candidates (the gap feature needs them all at once)."""
        f = _features(np.asarray(raw, dtype=np.float64), self.feature)
        w = np.array([self.a, self.a_gap][: f.shape[1]])
        z = f @ w + self.b
        return [1.0 / (1.0 + math.exp(-float(v))) for v in np.clip(z, -50, 50)]


    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"calibration file '{p}' not found: run `mmrag rerank calibrate` or fix rerank.calibration")
        try:
            return cls.model_validate(json.loads(p.read_text(encoding="utf-8")))
        except (ValueError, ValidationError):
            raise ConfigError(f"calibration file '{p}' is not a valid calibration JSON: refit it with `mmrag rerank calibrate`") from None


def _groups(values) -> list[list[float]]:
    values = list(values)
    if values and not isinstance(values[0], (list, tuple, np.ndarray)):
        return [[float(v) for v in values]]  # one flat group
    return [[float(v) for v in g] for g in values]


def fit_calibration(
    raw: list[list[float]] | list[float] | np.ndarray,
    labels: list[list[int]] | list[int] | np.ndarray,
    *,
    scorer: str,
    feature: Feature = "raw",
    source: str = "",
) -> Calibration:
    """Fit the calibration by logistic regression; ``raw``/``labels`` per query (or one flat group)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    check_feature(feature)
    rg, yg = _groups(raw), _groups(labels)
    if [len(g) for g in rg] != [len(g) for g in yg]:
        raise InputError(f"calibration: {sum(map(len, rg))} scores but {sum(map(len, yg))} labels")
    x = np.concatenate([_features(np.asarray(g), feature) for g in rg if g])
    y = np.asarray([int(v) for g in yg for v in g], dtype=int)
    if len(set(y.tolist())) < 2:
        raise InputError("calibration pairs need both relevant (label 1) and irrelevant (label 0) examples")
    # A large C: plain Platt scaling, barely regularised, on one or two features.
    lr = LogisticRegression(C=1e4, max_iter=1000).fit(x, y)
    coef = lr.coef_[0]
    cal = Calibration(
        scorer=scorer,
        a=float(coef[0]),
        a_gap=float(coef[1]) if len(coef) > 1 else 0.0,
        b=float(lr.intercept_[0]),
        feature=feature,
        n_pairs=int(len(y)),
        n_positive=int(y.sum()),
        source=source,
        fitted_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    p = np.asarray([v for g in rg for v in cal.apply(g)])
    cal.in_sample = {
        "auc": float(roc_auc_score(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
    }
    return cal
