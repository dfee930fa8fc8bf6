"""Zero-shot route scores: how well a query matches a route's registry description and example questions.

A route the trained router never saw (a user's ``recipes``, a ``page`` or ``audio`` corpus) still gets a
probability: p = sigmoid(w · [cos(query, description), max cos(query, examples), margin] + b), where the
margin is how much better the query matches this route's description than the best of the registry's other
routes' descriptions (so a food-ish question about the garden does not go to ``recipes`` when the notes'
own description fits it better).
The weights are a small logistic calibration fitted on real labelled queries
(``evaluation/fit_zero_shot_routing.py``, which records its data and figures in ``data/zero_shot.json``),
so the number is a probability, not a raw cosine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmrag.encoders.base import TextEncoder
from mmrag.errors import ConfigError

CALIBRATION_FILE = Path(__file__).with_name("data") / "zero_shot.json"


@dataclass(frozen=True)
class ZeroShotCalibration:
    """Logistic weights: ``with_examples`` = (w_description, w_examples, w_margin, bias);
    ``description_only`` = (w_description, w_margin, bias)."""

    with_examples: tuple[float, float, float, float]
    description_only: tuple[float, float, float]

    @classmethod
    def load(cls, path: str | Path = CALIBRATION_FILE) -> "ZeroShotCalibration":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            cal = cls(tuple(data["with_examples"]), tuple(data["description_only"]))
            if len(cal.with_examples) != 4 or len(cal.description_only) != 3:
                raise ValueError("weights of the wrong length")
            return cal
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"zero-shot routing calibration '{path}' cannot be read ({type(e).__name__}): reinstall mmrag") from None

    def probability(self, sim_description: np.ndarray, sim_examples: np.ndarray | None, margin: np.ndarray) -> np.ndarray:
        if sim_examples is None:
            wd, wm, b = self.description_only
            logit = wd * sim_description + wm * margin + b
        else:
            wd, we, wm, b = self.with_examples
            logit = wd * sim_description + we * sim_examples + wm * margin + b
        return 1.0 / (1.0 + np.exp(-logit))


class DescriptionRouteScorer:
    """Scores routes from the registry's (description, examples); prototypes are embedded once, in ``warm_up``.

    ``routes`` holds every route of the registry (the margin compares against all of them); ``scored`` names
    the ones to give a probability (default: all).
    """

    def __init__(self, encoder: TextEncoder, routes: dict[str, tuple[str, list[str]]], scored: list[str] | None = None,
                 calibration: ZeroShotCalibration | None = None):
        self.encoder = encoder
        self.routes = dict(routes)
        self.scored = list(scored) if scored is not None else list(routes)
        self.calibration = calibration
        self._protos: dict[str, tuple[np.ndarray, np.ndarray | None]] | None = None

    def warm_up(self) -> "DescriptionRouteScorer":
        """Loads the calibration and embeds every route's description and examples (once)."""
        if self.calibration is None:
            self.calibration = ZeroShotCalibration.load()
        if self._protos is None:
            protos = {}
            for route, (desc, examples) in self.routes.items():
                vecs = self.encoder.encode([desc, *examples])
                protos[route] = (vecs[0], vecs[1:] if examples else None)
            self._protos = protos
        return self

    def similarities(self, query_vecs: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
        """route -> (cos to its description, max cos to its examples or None), one value per query row."""
        if self._protos is None:
            self.warm_up()
        assert self._protos is not None
        return {
            route: (query_vecs @ desc, (query_vecs @ examples.T).max(axis=1) if examples is not None else None)
            for route, (desc, examples) in self._protos.items()
        }

    @staticmethod
    def margins(sims: dict[str, tuple[np.ndarray, np.ndarray | None]]) -> dict[str, np.ndarray]:
        """Per route: its description's similarity minus the best of the other routes' descriptions.

        Descriptions only: every route has one, so a route with examples is not favoured over one without."""
        desc = {r: d for r, (d, _) in sims.items()}
        out = {}
        for r, d in desc.items():
            others = [v for o, v in desc.items() if o != r]
            out[r] = d - np.max(others, axis=0) if others else np.zeros_like(d)
        return out

    def probabilities(self, query_vecs: np.ndarray) -> list[dict[str, float]]:
        """Per query row: scored route -> zero-shot probability."""
        return self.score(query_vecs)[0]

    def score(self, query_vecs: np.ndarray) -> tuple[list[dict[str, float]], list[str]]:
        """Per query row: (scored route -> zero-shot probability, the route whose description fits it best)."""
        sims = self.similarities(query_vecs)
        margins = self.margins(sims)
        assert self.calibration is not None
        cols = {r: self.calibration.probability(*sims[r], margins[r]) for r in self.scored}
        names = list(sims)
        best = np.stack([sims[r][0] for r in names], axis=1).argmax(axis=1)
        return [{r: float(cols[r][i]) for r in cols} for i in range(len(query_vecs))], [names[j] for j in best]
