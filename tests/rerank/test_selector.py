"""The adaptive selector's rules: threshold, and the expected-F1 prefix of the candidates above τ."""

from __future__ import annotations

import pytest

from mmrag.errors import ConfigError
from mmrag.rerank.selector import AdaptiveSelector
from mmrag.types import Hit, Item, Scores


def hits(n: int) -> list[Hit]:
    return [Hit(item=Item(id=f"i{i}", key=f"k{i}", corpus="c", route="paragraph", modality="text",
                          granularity="paragraph", source="s", text=f"t{i}"), score=1.0 - i / 10, rank=i + 1)
            for i in range(n)]


def kept(sel) -> list[str]:
    return [s.hit.item.key for s in sel.kept]


def test_threshold_keeps_everything_above_tau_up_to_k():
    sel = AdaptiveSelector(0.2, 5).select(hits(4), [0.9, 0.25, 0.05, 0.21])
    assert kept(sel) == ["k0", "k1", "k3"]
    assert [s.reason for s in sel.dropped] == ["RS 0.050 < τ 0.2"]


def test_expected_f1_keeps_a_second_item_only_when_nearly_as_likely():
    rule = AdaptiveSelector(0.02, 5, rule="expected-f1")
    # Σp = 1.15: one item 2·0.9/2.15 = 0.837 beats two 2·1.1/3.15 = 0.698; the threshold rule kept both.
    one = rule.select(hits(3), [0.9, 0.2, 0.05])
    assert kept(one) == ["k0"] and kept(AdaptiveSelector(0.02, 5).select(hits(3), [0.9, 0.2, 0.05])) == ["k0", "k1", "k2"]
    assert one.dropped[0].reason.startswith("expected F1 0.837 with the 1 above; keeping it too: 0.698")
    # Σp = 1.2: two items 2·1.1/3.2 = 0.688 beat one (0.545) and three (0.571).
    assert kept(rule.select(hits(3), [0.6, 0.5, 0.1])) == ["k0", "k1"]
    # Still "possibly none": nothing above τ, nothing kept.
    assert kept(rule.select(hits(2), [0.01, 0.005])) == []
    # min_keep and k bound it as before; uncalibrated scores are not probabilities: the threshold rule applies.
    assert kept(AdaptiveSelector(0.02, 5, 2, rule="expected-f1").select(hits(3), [0.9, 0.2, 0.05])) == ["k0", "k1"]
    assert kept(rule.select(hits(3), [0.6, 0.5, 0.45], k=1)) == ["k0"]
    raw = Scores(values=[0.9, 0.2, 0.05], calibrated=False, scorer="x")
    assert kept(rule.select(hits(3), raw)) == ["k0", "k1", "k2"]


def test_unknown_rule_is_a_config_error():
    with pytest.raises(ConfigError, match="expected-f1"):
        AdaptiveSelector(0.2, 5, rule="best")


def test_kept_indices_is_the_selectors_choice():
    """The pure function the evaluations use keeps exactly what the selector keeps, for both rules."""
    import random

    from mmrag.rerank.selector import kept_indices

    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(0, 8)
        rs = [round(rng.random() ** 2, 2) for _ in range(n)]  # rounded: ties happen
        tau, k = rng.choice([0.0, 0.05, 0.2, 0.5]), rng.randint(0, 5)
        min_keep = rng.randint(0, k)
        for rule in ("threshold", "expected-f1"):
            sel = AdaptiveSelector(tau, k, min_keep, rule).select(hits(n), rs)
            assert [f"k{i}" for i in kept_indices(rs, tau, k, min_keep, rule)] == kept(sel)
            assert len(sel.kept) + len(sel.dropped) == n and all(s.reason for s in sel.dropped)
