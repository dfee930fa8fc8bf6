"""Query loaders on tiny fixture files in each benchmark's shape."""

from __future__ import annotations

import json

import pytest

from mmrag.errors import InputError
from mmrag.evaluation.benchmark import load_benchmark
from mmrag.evaluation.loaders import load_queries


def _jsonl(path, records):
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def test_mmlu_index_answer_becomes_letter_and_prompt_lists_options(tmp_path) -> None:
    p = tmp_path / "mmlu.json"
    p.write_text(json.dumps([{"question": "2+2?", "choices": ["3", "4", "5", "6"], "answer": 1}]), encoding="utf-8")
    [q] = load_queries(p, "mmlu", route="none")
    assert (q.answer, q.routes, q.id) == ("B", ["none"], "q1")
    assert "(B) 4" in q.prompt() and "letter" in q.prompt()


def test_squad_answers_list_gives_aliases_and_paragraph_route(tmp_path) -> None:
    p = _jsonl(tmp_path / "squad.jsonl", [{"id": "s1", "question": "Where?", "answers": [{"text": "Sicily"}, {"text": "in Sicily"}],
                                            "gt_texts": [{"id": "p-7", "text": "..."}]}])
    [q] = load_queries(p, "squad", route="paragraph")
    assert (q.answer, q.aliases, q.routes, q.relevant) == ("Sicily", ["in Sicily"], ["paragraph"], ["p-7"])


def test_universalrag_fields_override_presets(tmp_path) -> None:
    p = _jsonl(tmp_path / "hp.jsonl", [{"index": 3, "question": "Who?", "answer": "Curie", "aliases": ["Marie Curie"],
                                         "gt_retrieval": "document", "gt_texts": ["curie.md"], "source": "hotpotqa"}])
    [q] = load_queries(p, "hotpotqa")
    assert (q.id, q.aliases, q.routes, q.relevant, q.source) == ("3", ["Marie Curie"], ["document"], ["curie.md"], "hotpotqa")


def test_webqa_images_and_videorag_videos(tmp_path) -> None:
    w = _jsonl(tmp_path / "w.jsonl", [{"question": "Colour?", "answer": "red", "gt_images": ["flag.png"]}])
    v = _jsonl(tmp_path / "v.jsonl", [{"question": "How?", "answer": "knead", "gt_videos": [{"video_id": "bread.mp4"}]}])
    assert load_queries(w, "webqa")[0].relevant == ["flag.png"] and load_queries(w, "webqa", route="image")[0].routes == ["image"]
    assert load_queries(v, "videorag")[0].relevant == ["bread.mp4"]


def test_lvbench_clip_gold_from_time_reference_and_letter_answer(tmp_path) -> None:
    p = _jsonl(tmp_path / "lv.jsonl", [{"question": "What happens?", "options": {"A": "x", "B": "y", "C": "z", "D": "w"},
                                         "answer": "(C)", "gt_videos": ["talk.mp4"], "time_reference": [30, 45.5]}])
    [q] = load_queries(p, "lvbench", route="clip")
    assert (q.answer, q.choices, q.relevant, q.routes) == ("C", ["x", "y", "z", "w"], ["talk.mp4@30-45.5"], ["clip"])


def test_generic_jsonl_and_limit(tmp_path) -> None:
    p = _jsonl(tmp_path / "g.jsonl", [{"id": f"g{i}", "query": f"question {i}", "answer": str(i)} for i in range(5)])
    qs = load_queries(p, "jsonl", limit=2)
    assert [q.id for q in qs] == ["g0", "g1"] and qs[0].question == "question 0" and qs[0].routes == []


def test_bad_inputs_are_one_line_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_queries(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok"}\n{oops\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl' line 2: not valid JSON"):
        load_queries(bad)
    dup = _jsonl(tmp_path / "dup.jsonl", [{"id": "a", "question": "x"}, {"id": "a", "question": "y"}])
    with pytest.raises(InputError, match="twice"):
        load_queries(dup)
    with pytest.raises(InputError, match="no 'question'"):
        load_queries(_jsonl(tmp_path / "noq.jsonl", [{"answer": "x"}]))


def test_demo_benchmark_declaration_loads_every_question(repo_root) -> None:
    spec = load_benchmark(str(repo_root / "evaluation" / "benchmarks" / "demo.yaml"))
    qs = spec.load()
    assert len(qs) == 45 and spec.answer_metric == "contains"
    assert all(q.routes for q in qs) and sum(not q.relevant for q in qs) == 6  # the six 'none' questions
