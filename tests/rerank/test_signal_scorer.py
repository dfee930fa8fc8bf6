"""The `signals` scorer: features from search signals, a fitted logistic model, no passage re-encoding."""

from __future__ import annotations

import numpy as np
import pytest

from mmrag.errors import ConfigError, InputError
from mmrag.rerank.signals import FEATURES, LEXICAL, PORTABLE, lexical_matches, SignalModel, SignalScorer, features, fit_signal_model, query_coverage, shipped_model_path
from mmrag.types import Hit, Item


def _hit(i: int, dense: float | None = None, sparse: float | None = None) -> Hit:
    sig = {} if dense is None else {"dense": dense, "sparse": sparse}
    item = Item(id=f"00000000-0000-0000-0000-00000000000{i}", key=f"k{i}", corpus="c", route="paragraph",
                modality="text", granularity="paragraph", source="s", text=f"passage {i}")
    return Hit(item=item, score=0.0, rank=i + 1, route="paragraph", signals=sig)


def test_features_are_relative_to_the_query_candidates():
    x = features([0.8, 0.5, 0.6], [10.0, 0.0, 5.0])
    f = dict(zip(FEATURES, x.T))
    assert f["dense_gap"].tolist() == pytest.approx([0.0, -0.3, -0.2])
    assert f["dense_gap2"].tolist() == pytest.approx([0.2, -0.1, 0.0])
    assert f["sparse_share"].tolist() == pytest.approx([1.0, 0.0, 0.5])
    assert f["inv_rank_dense"].tolist() == pytest.approx([1.0, 1 / 3, 1 / 2])
    assert f["inv_rank_sparse"].tolist() == pytest.approx([1.0, 1 / 4, 1 / 2])  # no lexical match ranks last
    assert features([], []).shape == (0, len(FEATURES))


def test_absolute_features_compare_lists_across_queries():
    x = features([0.8, 0.5, 0.6], [10.0, 0.0, 5.0], coverage=[1.0, 0.0, 0.5], n_terms=4)
    f = dict(zip(FEATURES, x.T))
    assert f["sparse_per_term"].tolist() == pytest.approx([2.5, 0.0, 1.25])
    assert f["coverage_gap"].tolist() == pytest.approx([0.0, -1.0, -0.5])
    assert f["sparse_gap2"].tolist() == pytest.approx([0.5, -0.5, 0.0])
    # List-level values: the same for every candidate of the query.
    assert set(f["dense_best"]) == {0.8} and set(f["sparse_per_term_best"]) == {2.5} and set(f["coverage_best"]) == {1.0}
    assert f["log_terms"].tolist() == pytest.approx([np.log(5)] * 3)
    assert query_coverage({"kettl", "boil"}, [["kettl", "boil", "water"], ["tea"], ["boil"]]) == [1.0, 0.0, 0.5]
    assert query_coverage(set(), [["tea"]]) == [0.0]


def test_a_model_fitted_on_fewer_features_still_scores():
    """A model file from before the coverage features (its own feature list) keeps working."""
    rng = np.random.default_rng(2)
    groups, labels = _synthetic(100, rng)
    full = fit_signal_model(groups, labels, names=FEATURES)
    old = full.model_copy(update={"features": list(FEATURES[:9]), "mean": full.mean[:9], "scale": full.scale[:9], "weights": full.weights[:9]})
    p = old.predict(features(*groups[0]))
    assert p.shape == (10,) and np.all((p >= 0) & (p <= 1))
    with pytest.raises(ConfigError, match="unknown features"):
        old.model_copy(update={"features": ["dense", "telepathy"]}).predict(features(*groups[0]))


def test_scorer_coverage_uses_the_sparse_vector_stems():
    sc = SignalScorer(SignalModel.load(shipped_model_path()))
    hits = [_hit(0, 0.7, 5.0), _hit(1, 0.6, 0.0)]
    hits[0] = hits[0].model_copy(update={"item": hits[0].item.model_copy(update={"text": "Kettles boiling the water"})})
    sig = sc.signals("how long do kettles boil?", hits)
    # Query stems (Lucene's stopwords dropped): how, long, do, kettl, boil -> the first passage has 2 of 5; "passage 1" none.
    assert sig.n_terms == 5 and sig.coverage == pytest.approx([0.4, 0.0]) and sig.dense == [0.7, 0.6] and sig.sparse == [5.0, 0.0]
    assert sig.lexical is not None and sig.lexical[0][LEXICAL.index("bigram_coverage")] == 0.25  # 1 of 4 query pairs: "kettl boil"
    assert sig.terms_found == pytest.approx(0.4)


def test_lexical_matches_per_sentence_pair_title_and_rarity():
    query = ["who", "built", "eiffel", "tower"]
    a = (["paris"], [["eiffel", "built", "1889"], ["tower", "iron"]])  # spread over two sentences
    b = (["eiffel", "tower"], [["tower", "built", "eiffel"]])  # all in one sentence; title has two
    c = ([], [["tower", "bridge", "london"]])
    rows, found = lexical_matches(query, [a, b, c])
    col = {name: [r[i] for r in rows] for i, name in enumerate(LEXICAL)}
    assert col["sentence_coverage"] == pytest.approx([2 / 4, 3 / 4, 1 / 4])
    assert col["sentence_pair_coverage"] == pytest.approx([3 / 4, 3 / 4, 1 / 4])
    assert col["bigram_coverage"] == pytest.approx([0.0, 2 / 3, 0.0])  # (built eiffel) in its sentence, (eiffel tower) in its title
    assert col["title_coverage"] == pytest.approx([0.0, 2 / 4, 0.0])
    # Holders: built 2, eiffel 2, tower 3, who 0 -> weights 1/3, 1/3, 1/4, 1 (sum 23/12).
    assert col["rare_coverage"] == pytest.approx([(1 / 3 + 1 / 3 + 1 / 4) / (23 / 12), (1 / 3 + 1 / 3 + 1 / 4) / (23 / 12), (1 / 4) / (23 / 12)])
    assert found == pytest.approx(3 / 4)
    assert lexical_matches([], [a]) == ([[0.0] * len(LEXICAL)], 0.0)


def test_a_hidden_layer_model_scores_like_the_fitted_net():
    rng = np.random.default_rng(3)
    groups, labels = _synthetic(300, rng)
    net = fit_signal_model(groups, labels, names=("dense", "dense_gap", "sparse_share"), hidden=4)
    assert len(net.hidden_bias) == 4 and len(net.hidden_weights) == 3
    again = SignalModel.model_validate_json(net.model_dump_json())
    x = features(*groups[0])
    assert again.predict(x) == pytest.approx(net.predict(x))
    held_groups, held_labels = _synthetic(200, rng)
    p = np.concatenate([net.predict(features(*g)) for g in held_groups])
    y = np.concatenate(held_labels)
    assert p[y == 1].mean() > 0.5 > p[y == 0].mean()


def _synthetic(n_queries: int, rng) -> tuple[list, list]:
    groups, labels = [], []
    for _ in range(n_queries):
        y = np.zeros(10, dtype=int)
        y[rng.integers(10)] = 1
        dense = 0.4 + 0.25 * y + rng.normal(0, 0.08, 10)
        sparse = np.maximum(0, 6 * y + rng.normal(3, 2.5, 10))
        groups.append((dense.tolist(), sparse.tolist()))
        labels.append(y.tolist())
    return groups, labels


def test_fitted_model_is_calibrated_out_of_sample():
    from mmrag.evaluation.retrieval_eval import ece

    rng = np.random.default_rng(0)
    train, ytrain = _synthetic(400, rng)
    test, ytest = _synthetic(400, rng)
    model = fit_signal_model(train, ytrain, source="synthetic")
    p = np.concatenate([model.predict(features(d, s)) for d, s in test])
    e, _ = ece(p.tolist(), [v for g in ytest for v in g])
    assert e < 0.05
    assert model.n_pairs == 4000 and model.n_positive == 400 and model.source == "synthetic"
    with pytest.raises(InputError, match="both relevant"):
        fit_signal_model(train[:2], [[0] * 10, [0] * 10])


def test_scorer_uses_hit_signals_and_asks_the_source_only_for_missing_ones(tmp_path):
    rng = np.random.default_rng(1)
    model = fit_signal_model(*_synthetic(200, rng))
    path = model.save(tmp_path / "m.json")
    asked = []

    def source(query, hits, embeddings=None):
        asked.append([h.item.key for h in hits])
        return {(h.route, h.item.id): {"dense": 0.4, "sparse": 0.0} for h in hits}

    sc = SignalScorer(SignalModel.load(path), source)
    rs = sc.score("q", [_hit(0, 0.75, 9.0), _hit(1, 0.41, 2.0), _hit(2)]).values
    assert asked == [["k2"]]
    assert rs[0] > 0.5 > rs[1] and all(0 <= v <= 1 for v in rs)
    assert sc.calibrated and sc.score("q", []).values == []


def test_bad_model_file_is_a_config_error(tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match="signal model"):
        SignalModel.load(bad)


def test_shipped_model_records_its_provenance():
    m = SignalModel.load(shipped_model_path())
    assert m.features == list(PORTABLE)
    assert "squad" in m.source.lower() and m.n_pairs > 1000 and "unanswerable" in m.source
    assert m.held_out.get("ece", 1.0) <= 0.05
    assert "expected-f1_unanswerable_article_kept_any_at_0.2" in m.held_out and len(m.hidden_bias) == 16
