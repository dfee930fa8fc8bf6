"""Adaptive up-to-k selection: keep candidates with RS ≥ τ, best first, at most k, possibly none.

Rule ``expected-f1`` then keeps, of those, the best-first prefix with the highest expected F1 given the RS
probabilities: E[F1] ≈ 2·Σ_{i≤m} p_i / (m + Σ_all p), the plug-in estimate with E[relevant kept] = Σ_{i≤m} p_i
and E[relevant candidates] = Σ_all p. A second item is kept only when it is nearly as likely as the first.
"""

from __future__ import annotations

from mmrag.config import check_selection
from mmrag.errors import ConfigError
from mmrag.types import Hit, ScoredHit, Scores, Selection


class AdaptiveSelector:
    """Keeps RS ≥ ``tau``, best first, at most ``k``; ``min_keep`` best ones are kept whatever their RS.

    Every dropped candidate carries the reason it was dropped, so the trace shows why. ``tau`` and ``k`` of
    one call (--tau, /k, ask(tau=...)) override the selector's own and are checked here, by the same rule as
    the config's (``check_selection``), so a bad value is the same error wherever it comes from.
    """

    def __init__(self, tau: float = 0.5, k: int = 5, min_keep: int = 0, rule: str = "threshold"):
        check_selection(tau, k, min_keep)
        if rule not in RULES:
            raise ConfigError(f"rerank.rule = {rule!r}: use one of {', '.join(RULES)}")
        self.tau, self.k, self.min_keep, self.rule = float(tau), int(k), int(min_keep), rule

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
        values = [float(v) for v in scores]
        above = kept_indices(values, tau, k, min_keep)  # the threshold rule's choice, best first
        m, gains = len(above), []
        if self.rule == "expected-f1" and calibrated and len(above) > max(min_keep, 1):
            m, gains = expected_f1_prefix([values[i] for i in above], values, min_keep)
        position = {i: j for j, i in enumerate(above)}
        unit = "" if calibrated else " (uncalibrated)"
        kept: list[ScoredHit] = []
        trimmed: list[ScoredHit] = []
        dropped: list[ScoredHit] = []
        # Best first; ties keep the retrieval order (stable sort on the hit's position).
        for i in sorted(range(len(hits)), key=lambda i: (-values[i], i)):
            rs = values[i]
            sh = ScoredHit(hit=hits[i], rs=rs, calibrated=calibrated)
            j = position.get(i)
            if j is not None and j < m:
                sh.kept = True
                if rs < tau:
                    sh.reason = f"kept by min_keep={min_keep} although RS {rs:.3f} < τ {tau:g}{unit}"
                kept.append(sh)
            elif j is not None:
                sh.reason = f"expected F1 {gains[m - 1]:.3f} with the {m} above; keeping it too: {gains[j]:.3f} (RS {rs:.3f})"
                trimmed.append(sh)
            else:
                sh.reason = f"RS {rs:.3f} < τ {tau:g}{unit}" if rs < tau else f"beyond k={k} (RS {rs:.3f}{unit})"
                dropped.append(sh)
        dropped = trimmed + dropped
        return Selection(kept=kept, dropped=dropped, tau=tau, k=k)


#: ``threshold``: every candidate with RS ≥ τ (up to k); ``expected-f1``: the prefix of those with the best expected F1.
RULES = ("threshold", "expected-f1")


def expected_f1_prefix(kept_rs: list[float], all_rs: list[float], min_keep: int = 1) -> tuple[int, list[float]]:
    """(m, gains): keeping the best-first ``kept_rs[:m]`` has the highest plug-in expected F1 (``gains[m - 1]``),
    ties to the shorter prefix, at least ``min_keep`` (≥ 1) kept."""
    expected_relevant = sum(all_rs)
    gains = [2 * sum(kept_rs[:m]) / (m + expected_relevant) for m in range(1, len(kept_rs) + 1)]
    m = max(range(max(min_keep, 1), len(kept_rs) + 1), key=lambda n: (gains[n - 1], -n))
    return m, gains


def kept_indices(rs: list[float], tau: float, k: int, min_keep: int = 0, rule: str = "threshold") -> list[int]:
    """Indices of the candidates a selector keeps, best first (ties: the earlier index): the ``min_keep`` best,
    then those with RS ≥ ``tau``, at most ``k``; by rule ``expected-f1``, of those the prefix with the best expected F1."""
    order = sorted(range(len(rs)), key=lambda i: (-float(rs[i]), i))
    kept = [i for j, i in enumerate(order) if j < k and (j < min_keep or rs[i] >= tau)]
    if rule == "expected-f1" and len(kept) > max(min_keep, 1):
        kept = kept[: expected_f1_prefix([rs[i] for i in kept], rs, min_keep)[0]]
    return kept
