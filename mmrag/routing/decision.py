"""The decision rule: from every route's probability to the chosen routes."""

from __future__ import annotations

from mmrag.errors import ConfigError
from mmrag.registry import CorpusRegistry
from mmrag.types import NO_RETRIEVAL


def route_modalities(registry: CorpusRegistry) -> dict[str, str | None]:
    """route -> modality ('none' has none); granularities of one modality compete with each other."""
    out: dict[str, str | None] = {NO_RETRIEVAL: None}
    out.update({c.route: c.modality for c in registry})
    return out


def check_tau(tau: float) -> float:
    if not 0.0 < tau <= 1.0:
        raise ConfigError(f"routing.tau = {tau} is out of range: give a probability in (0, 1], e.g. 0.5")
    return tau


def decide(probabilities: dict[str, float], tau: float, modalities: dict[str, str | None]) -> list[str]:
    """Routes with p >= tau (else the top-1), at most one granularity per modality, no 'none' beside others."""
    # Stable sort: ties keep the registry order of the routes.
    ranked = sorted(probabilities, key=lambda r: -probabilities[r])
    if not ranked:
        return []
    chosen = [r for r in ranked if probabilities[r] >= tau] or ranked[:1]
    kept: list[str] = []
    seen: set[str] = set()
    for r in chosen:
        modality = modalities.get(r)
        if modality is not None:
            if modality in seen:
                continue  # a likelier granularity of this modality is already chosen
            seen.add(modality)
        kept.append(r)
    if len(kept) > 1 and NO_RETRIEVAL in kept:
        kept.remove(NO_RETRIEVAL)
    return kept
