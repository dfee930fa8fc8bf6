"""Evaluation metrics against hand-computed cases, edge cases included."""

from __future__ import annotations

import pytest

from mmrag.evaluation import metrics as M
from mmrag.evaluation.runner import match_key


def test_squad_normalisation_and_exact_match() -> None:
    assert M.normalize_answer("The  Eiffel-Tower!") == "eiffeltower"
    assert M.normalize_answer("An apple, a pear.") == "apple pear"
    assert M.exact_match("the Paris.", "Paris") == 1.0
    assert M.exact_match("Paris, France", "Paris") == 0.0
    assert M.exact_match("fifty-six", "56", ["fifty-six"]) == 1.0  # alias
    assert M.exact_match("", "56") == 0.0  # empty prediction


def test_token_f1_hand_computed() -> None:
    # pred tokens {sicily, italy} vs gold {mount, etna, sicily}: overlap 1 -> P 1/2, R 1/3, F1 0.4
    assert M.token_f1("Sicily, Italy", "Mount Etna Sicily") == pytest.approx(0.4)
    assert M.token_f1("Etna", "Mount Etna", ["Etna"]) == 1.0  # best over aliases
    assert M.token_f1("", "Etna") == 0.0
    assert M.token_f1("anything", "") == 0.0  # no reference: nothing can earn credit
    assert M.token_f1("the", "a") == 1.0  # articles vanish on both sides
    # Repeated tokens count only as often as they appear in the reference.
    assert M.token_f1("bee bee bee", "bee") == pytest.approx(2 * (1 / 3) * 1 / (1 / 3 + 1))


def test_contains_answer_needs_whole_words() -> None:
    assert M.contains_answer("Seven times eight is 56.", "56") == 1.0
    assert M.contains_answer("It is 566 metres.", "56") == 0.0
    assert M.contains_answer("It took 366 days", "1 year", ["366 days"]) == 1.0
    assert M.contains_answer("", "56") == 0.0


def test_rouge_l_hand_computed() -> None:
    # LCS("the cat sat on mat" -> [cat sat on mat], [cat on mat]) = 3: P 3/4, R 1, F 6/7
    assert M.rouge_l("The cat sat on the mat", "cat on the mat") == pytest.approx(2 * 0.75 / 1.75)
    assert M.rouge_l("", "cat") == 0.0
    assert M.rouge_l("dog", "cat", ["a dog"]) == 1.0


@pytest.mark.parametrize("text,expected", [
    ("B", "B"), ("(c)", "C"), ("Answer: d", "D"), ("The answer is (A).", "A"), ("C) Mount Etna", "C"),
    ("I think option B is right", "B"), ("a bee is an insect", None), ("", None), ("E", None),
])
def test_choice_letter_extraction(text, expected) -> None:
    assert M.extract_choice(text, 4) == expected


def test_choice_by_option_text_and_accuracy() -> None:
    opts = ["Paris", "Rome", "Madrid", "Berlin"]
    assert M.extract_choice("It must be Madrid.", 4, opts) == "C"
    assert M.choice_accuracy("answer: b", "B") == 1.0
    assert M.choice_accuracy("nothing", "B") == 0.0


def test_retrieval_metrics_hand_computed() -> None:
    gold = {"q1": ["a"], "q2": ["x", "y"], "q3": []}
    ranked = {"q1": ["b", "a", "c"], "q2": [], "q3": ["z"]}
    m = M.retrieval_metrics(gold, ranked, ks=(1, 5))
    assert m["n"] == 2  # q3 has no gold items and is left out
    assert m["recall@1"] == pytest.approx(0.0)
    assert m["recall@5"] == pytest.approx(0.5)  # q1 found, q2 retrieved nothing
    assert m["mrr"] == pytest.approx(0.25)  # (1/2 + 0) / 2
    assert m["ndcg@5"] == pytest.approx((1 / 1.5849625) / 2, rel=1e-4)  # 1/log2(3) for q1
    assert M.retrieval_metrics({"q": []}, {"q": ["a"]}) == {}


def test_routing_metrics_confusion_and_macro_f1() -> None:
    gold = [["none"], ["paragraph"], ["image"], ["paragraph"]]
    chosen = [["none"], ["paragraph"], ["paragraph"], []]  # nothing chosen counts as 'none'
    m = M.routing_metrics(gold, chosen, ["none", "paragraph", "image"])
    assert m["accuracy"] == pytest.approx(0.5)
    assert m["confusion"] == [[1, 0, 0], [1, 1, 0], [0, 1, 0]]
    # F1: none 2/3 (P 1/2, R 1), paragraph 1/2 (P 1/2, R 1/2), image 0 -> mean 7/18
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 0.0) / 3)


def test_selection_metrics() -> None:
    m = M.selection_metrics([["a", "b"], ["c"]], [["a", "x"], []])
    # q1: P 1/2, R 1/2; q2: nothing kept although relevant -> 0, 0
    assert (m["precision"], m["recall"], m["mean_kept"]) == pytest.approx((0.25, 0.25, 1.0))


def test_bertscore_is_reported_not_computed_when_missing() -> None:
    pytest.importorskip("torch")
    out = M.bertscore(["a"], ["b"])
    assert out["computed"] is False or 0.0 <= out["f1"] <= 1.0
    if not out["computed"]:
        assert "f1" not in out and out["reason"]


def test_gold_key_matching() -> None:
    assert match_key("volcano-03#1", ["volcano-03"]) == "volcano-03"
    assert match_key("bees.mp4@30-60", ["bees.mp4@40-50"]) == "bees.mp4@40-50"
    assert match_key("bees.mp4@0-30", ["bees.mp4@40-50"]) == "bees.mp4@0-30"
    assert match_key("other.mp4@30-60", ["bees.mp4@40-50"]) == "other.mp4@30-60"
