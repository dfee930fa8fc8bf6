"""Adaptive up-to-k selection: keep candidates with RS ≥ τ, best first, at most k, possibly none."""

from __future__ import annotations

from mmrag.errors import InputError
from mmrag.types import Hit, ScoredHit, Selection


class AdaptiveSelector:
    """Keeps RS ≥ ``tau``, best first, at most ``k``; ``min_keep`` best ones are kept whatever their RS.

    Every dropped candidate carries the reason it was dropped, so the trace shows why.
    """

    def __init__(self, tau: float = 0.5, k: int = 5, min_keep: int = 0):
        # The one check of these values: the config's own bounds catch a bad file at load time, so what
        # fails here is a value given with a call (--tau, /tau, ask(tau=...)).
        if not 0.0 <= tau <= 1.0:
            raise InputError(f"tau = {tau:g} is outside [0, 1]: RS is a probability, pick a tau in [0, 1]")
        if k < 0:
            raise InputError(f"k = {k} is negative: keep k ≥ 0 items (0 = answer without sources)")
        if min_keep < 0 or min_keep > k:
            raise InputError(f"min_keep = {min_keep} must be between 0 and k ({k}): lower min_keep or raise k")
        self.tau, self.k, self.min_keep = float(tau), int(k), int(min_keep)

    def select(self, hits: list[Hit], scores: list[float], *, calibrated: bool = True) -> Selection:
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
            if len(kept) < self.min_keep:
                sh.kept = True
                if rs < self.tau:
                    sh.reason = f"kept by min_keep={self.min_keep} although RS {rs:.3f} < τ {self.tau:g}{unit}"
            elif rs < self.tau:
                sh.reason = f"RS {rs:.3f} < τ {self.tau:g}{unit}"
            elif len(kept) >= self.k:
                sh.reason = f"beyond k={self.k} (RS {rs:.3f}{unit})"
            else:
                sh.kept = True
            (kept if sh.kept else dropped).append(sh)
        return Selection(kept=kept, dropped=dropped, tau=self.tau, k=self.k)
