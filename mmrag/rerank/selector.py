"""Adaptive up-to-k selection: keep candidates with RS ≥ τ, best first, at most k, possibly none."""

from __future__ import annotations

from mmrag.config import check_selection
from mmrag.types import Hit, ScoredHit, Scores, Selection


class AdaptiveSelector:
    """Keeps RS ≥ ``tau``, best first, at most ``k``; ``min_keep`` best ones are kept whatever their RS.

    Every dropped candidate carries the reason it was dropped, so the trace shows why. ``tau`` and ``k`` of
    one call (--tau, /k, ask(tau=...)) override the selector's own and are checked here, by the same rule as
    the config's (``check_selection``), so a bad value is the same error wherever it comes from.
    """

    def __init__(self, tau: float = 0.5, k: int = 5, min_keep: int = 0):
        check_selection(tau, k, min_keep)
        self.tau, self.k, self.min_keep = float(tau), int(k), int(min_keep)

    def resolve(self, tau: float | None = None, k: int | None = None) -> tuple[float, int, int]:
        """(tau, k, min_keep) of one call: the overrides given, checked, else the selector's own."""
        if tau is None and k is None:
            return self.tau, self.k, self.min_keep
        tau = self.tau if tau is None else float(tau)
        k = self.k if k is None else int(k)
        min_keep = min(self.min_keep, max(k, 0))
        check_selection(tau, k, min_keep)
        return tau, k, min_keep

    def select(self, hits: list[Hit], scores: Scores | list[float], *, tau: float | None = None,
               k: int | None = None) -> Selection:
        """``scores``: the scorer's ``Scores``, or plain RS values (read as calibrated probabilities)."""
        tau, k, min_keep = self.resolve(tau, k)
        calibrated = scores.calibrated if isinstance(scores, Scores) else True
        scores = scores.values if isinstance(scores, Scores) else list(scores)
        if len(hits) != len(scores):
            raise ValueError(f"{len(hits)} hits but {len(scores)} scores")
        # Best first; ties keep the retrieval order (stable sort on the hit's position).
        order = sorted(range(len(hits)), key=lambda i: (-float(scores[i]), i))
        unit = "" if calibrated else " (uncalibrated)"
        kept: list[ScoredHit] = []
        dropped: list[ScoredHit] = []
        for i in order:
            rs = float(scores[i])
            sh = ScoredHit(hit=hits[i], rs=rs, calibrated=calibrated)
            if len(kept) < min_keep:
                sh.kept = True
                if rs < tau:
                    sh.reason = f"kept by min_keep={min_keep} although RS {rs:.3f} < τ {tau:g}{unit}"
            elif rs < tau:
                sh.reason = f"RS {rs:.3f} < τ {tau:g}{unit}"
            elif len(kept) >= k:
                sh.reason = f"beyond k={k} (RS {rs:.3f}{unit})"
            else:
                sh.kept = True
            (kept if sh.kept else dropped).append(sh)
        return Selection(kept=kept, dropped=dropped, tau=tau, k=k)
