"""RS from a yes/no judge's first-token log-probabilities: p(yes) / (p(yes) + p(no))."""

from __future__ import annotations

import math

YES, NO = "yes", "no"


def _word(token: str) -> str:
    # Tokenisers spell the same word many ways: "Yes", " yes", "▁Yes", "Ġyes", "YES".
    return token.replace("▁", " ").replace("Ġ", " ").strip().lower()


def yes_no_mass(top_logprobs: dict[str, float]) -> tuple[float, float]:
    """(p(yes), p(no)), each summed over its case and leading-space variants."""
    p_yes = p_no = 0.0
    for token, lp in top_logprobs.items():
        w = _word(token)
        if w == YES:
            p_yes += math.exp(lp)
        elif w == NO:
            p_no += math.exp(lp)
    return p_yes, p_no


def rs_from_logprobs(top_logprobs: dict[str, float], *, missing: float = 0.5) -> float:
    """p(yes) / (p(yes) + p(no)); ``missing`` when neither answer is among the top tokens."""
    p_yes, p_no = yes_no_mass(top_logprobs)
    total = p_yes + p_no
    if total <= 0.0:
        return missing
    return p_yes / total
