"""Query-file loaders: the demo questions, UniversalRAG-style benchmark files, and generic JSONL.

Every loader returns ``BenchQuery`` records. UniversalRAG files (JSON list or JSONL) carry ``question``,
``answer``, ``aliases``, ``gt_retrieval`` and gold ``gt_texts`` / ``gt_images`` / ``gt_videos`` (with
``time_reference`` for clips); each benchmark of that suite has a preset that fills what its files leave
out (the route, the metric, how choices and gold items are written).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, Field

from mmrag.errors import InputError
from mmrag.jsonl import iter_jsonl

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class BenchQuery(BaseModel):
    id: str
    question: str
    answer: str = ""
    aliases: list[str] = Field(default_factory=list)
    routes: list[str] = Field(default_factory=list, description="Gold routes (gt_retrieval); empty = unknown.")
    relevant: list[str] = Field(default_factory=list, description="Gold item keys; clips as 'video@start-end'.")
    choices: list[str] = Field(default_factory=list, description="Multiple-choice options, A first.")
    metric: str | None = Field(default=None, description="Answer metric for this query (else the benchmark's).")
    source: str | None = None

    def prompt(self) -> str:
        """The question as the generator sees it: options listed, asking for the letter."""
        if not self.choices:
            return self.question
        opts = "\n".join(f"({LETTERS[i]}) {c}" for i, c in enumerate(self.choices))
        return f"{self.question}\n{opts}\nAnswer with the letter of the correct option."


# -- presets: how each format's files are read and scored. Route names are not here: they belong to the
# registry a benchmark searches, so a benchmark names its gold route in its own YAML (``route:``).
PRESETS: dict[str, dict[str, str]] = {
    "mmlu": {"metric": "choice"},
    "squad": {"metric": "em_f1"},
    "nq": {"metric": "em_f1"},
    "hotpotqa": {"metric": "em_f1"},
    "webqa": {"metric": "rouge_l"},
    "lvbench": {"metric": "choice"},
    "videorag": {"metric": "rouge_l"},
    "jsonl": {"metric": "em_f1"},
    "demo": {"metric": "contains"},
}


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """Records of a JSON list, a JSON object holding one list, or JSONL file."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"query file {p} not found: check the benchmark's 'queries' path")
    text = p.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        data = json.loads(text)
    elif stripped.startswith("{") and p.suffix == ".json":
        obj = json.loads(text)
        lists = [v for v in obj.values() if isinstance(v, list)] if isinstance(obj, dict) else []
        data = lists[0] if len(lists) == 1 else [obj]
    else:
        data = [rec for _, rec in iter_jsonl(p, "query file", "give JSONL records with at least a 'question'")]
    if not all(isinstance(r, dict) for r in data):
        raise InputError(f"{p}: every record must be a JSON object with at least a 'question'")
    return data


def _as_list(v: Any) -> list[Any]:
    if v is None or v == "":
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _gold_key(v: Any) -> str:
    """A gold item written as a key string or as an object with an id / key / title / path."""
    if isinstance(v, dict):
        for f in ("key", "id", "path", "file", "video_id", "image_id", "title"):
            if v.get(f) not in (None, ""):
                return str(v[f])
        raise InputError(f"gold item {json.dumps(v)[:80]} has no key, id, path or title: name the item")
    return str(v)


def _span_key(video: str, span: Any) -> str:
    """'video@start-end' from a time reference: [s, e], {"start", "end"} or "s-e"."""
    if isinstance(span, dict):
        s, e = span.get("start"), span.get("end")
    elif isinstance(span, (list, tuple)) and len(span) == 2:
        s, e = span
    elif isinstance(span, str) and "-" in span:
        s, e = span.split("-", 1)
    else:
        raise InputError(f"time_reference {span!r} for {video}: write it as [start, end] in seconds")
    return f"{video}@{float(s):g}-{float(e):g}"


def _choices(r: dict[str, Any]) -> list[str]:
    c = r.get("choices", r.get("options", []))
    if isinstance(c, dict):  # {"A": "...", "B": "..."}
        return [str(c[k]) for k in sorted(c)]
    if isinstance(c, str):  # LVBench writes options inside the question text instead
        return []
    return [str(x) for x in c]


def _letter(answer: Any, choices: list[str]) -> str:
    """MMLU stores the answer as an index, others as a letter, '(B)' or the option's text."""
    if isinstance(answer, int) and 0 <= answer < max(len(choices), 26):
        return LETTERS[answer]
    a = str(answer).strip().strip("()").strip()
    if len(a) == 1 and a.upper() in LETTERS:
        return a.upper()
    if a.isdigit():
        return LETTERS[int(a)]
    if a in choices:
        return LETTERS[choices.index(a)]
    return a


def from_record(r: dict[str, Any], index: int, preset: str = "jsonl", route: str | None = None) -> BenchQuery:
    """One record of any supported format as a ``BenchQuery``; ``route``: the gold route of records without one."""
    pre = PRESETS.get(preset, PRESETS["jsonl"])
    question = r.get("question", r.get("query"))
    if not question:
        raise InputError(f"record {index + 1} has no 'question': every record needs one")
    qid = str(r.get("id", r.get("qid", r.get("index", r.get("_id", f"q{index + 1}")))))
    choices = _choices(r)
    raw = r.get("answer", r.get("answers", r.get("label", "")))
    answers = [a["text"] if isinstance(a, dict) else a for a in _as_list(raw)]  # SQuAD: [{"text": ...}]
    answer = answers[0] if answers else ""
    aliases = [str(a) for a in answers[1:]] + [str(a) for a in _as_list(r.get("aliases"))]
    if pre["metric"] == "choice" or (choices and r.get("metric") in (None, "choice")):
        answer = _letter(answer, choices)
    routes = [str(x) for x in _as_list(r.get("gt_retrieval", r.get("routes")))] or ([route] if route else [])
    relevant = [_gold_key(x) for f in ("gt_texts", "gt_images") for x in _as_list(r.get(f))]
    spans = _as_list(r.get("time_reference"))
    if spans and not isinstance(spans[0], (list, tuple, dict, str)):
        spans = [spans]  # a single [start, end]
    for i, v in enumerate(_as_list(r.get("gt_videos"))):
        key = _gold_key(v)
        relevant.append(_span_key(key, spans[i] if i < len(spans) else spans[0]) if spans else key)
    relevant += [_gold_key(x) for x in _as_list(r.get("relevant"))]
    return BenchQuery(id=qid, question=str(question), answer=str(answer), aliases=aliases, routes=routes,
                      relevant=list(dict.fromkeys(relevant)), choices=choices, metric=r.get("metric"),
                      source=r.get("source"))


def load_queries(path: str | Path, preset: str = "jsonl", limit: int | None = None, route: str | None = None) -> list[BenchQuery]:
    if preset not in PRESETS:
        raise InputError(f"unknown benchmark format '{preset}'; known: {', '.join(PRESETS)}")
    records = read_records(path)
    queries = [from_record(r, i, preset, route) for i, r in enumerate(records)]
    seen: set[str] = set()
    for q in queries:
        if q.id in seen:
            raise InputError(f"{path}: query id '{q.id}' appears twice: ids must be unique")
        seen.add(q.id)
    return queries[:limit] if limit else queries


LOADERS: dict[str, Callable[..., list[BenchQuery]]] = {
    name: (lambda p, limit=None, route=None, _n=name: load_queries(p, _n, limit, route)) for name in PRESETS
}
