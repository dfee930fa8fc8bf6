"""BEIR-style retrieval data: corpus, queries and qrels as JSONL (qrels also as BEIR's TSV), gold answers.

corpus.jsonl  {"id" or "_id", "title"?, "text"}
queries.jsonl {"id" or "_id", "text"}
qrels.jsonl   {"query_id", "doc_id", "relevance"}   or qrels TSV: query-id <tab> corpus-id <tab> score (header optional)
answers.jsonl {"query_id", "answers": [...]}
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from mmrag.errors import InputError
from mmrag.jsonl import iter_jsonl


@dataclass
class RetrievalSet:
    corpus: dict[str, dict[str, str]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    answers: dict[str, list[str]] = field(default_factory=dict)

    def sample(self, limit: int | None, seed: int = 0) -> list[str]:
        """Ids of the judged queries (with at least one relevant doc in the corpus), a seeded sample of ``limit``."""
        ids = [q for q in self.queries if any(r > 0 and d in self.corpus for d, r in self.qrels.get(q, {}).items())]
        if limit is not None and limit < len(ids):
            ids = sorted(random.Random(seed).sample(ids, limit), key=ids.index)
        return ids


def _rid(rec: dict, what: str, path: Path, n: int) -> str:
    rid = rec.get("id", rec.get("_id"))
    if rid is None or str(rid) == "":
        raise InputError(f"{what} '{path}' line {n}: needs an 'id' (or '_id') field")
    return str(rid)


def load_corpus(path: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for n, rec in iter_jsonl(path, "corpus file", "give BEIR-style JSONL records with id, title and text"):
        text = rec.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"corpus file '{path}' line {n}: needs a non-empty 'text' field")
        out[_rid(rec, "corpus file", path, n)] = {"title": str(rec.get("title") or ""), "text": text}
    if not out:
        raise InputError(f"corpus file '{path}' holds no documents")
    return out


def load_queries(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, rec in iter_jsonl(path, "queries file", "give JSONL records with id and text"):
        text = rec.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"queries file '{path}' line {n}: needs a non-empty 'text' field")
        out[_rid(rec, "queries file", path, n)] = text
    if not out:
        raise InputError(f"queries file '{path}' holds no queries")
    return out


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    if path.suffix.lower() in (".tsv", ".txt", ".csv"):
        if not path.is_file():
            raise InputError(f"qrels file '{path}' not found: give BEIR qrels (TSV or JSONL)")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            parts = line.strip().split("\t")
            if not line.strip() or (n == 1 and not parts[-1].lstrip("-").isdigit()):
                continue  # blank line or header
            if len(parts) == 4:  # TREC: qid 0 docid rel
                parts = [parts[0], parts[2], parts[3]]
            if len(parts) != 3 or not parts[2].lstrip("-").isdigit():
                raise InputError(f"qrels file '{path}' line {n}: expected query-id<TAB>corpus-id<TAB>score")
            out.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    else:
        for n, rec in iter_jsonl(path, "qrels file", "give JSONL records with query_id, doc_id and relevance"):
            try:
                out.setdefault(str(rec["query_id"]), {})[str(rec["doc_id"])] = int(rec.get("relevance", 1))
            except (KeyError, TypeError, ValueError):
                raise InputError(f"qrels file '{path}' line {n}: needs query_id, doc_id and an integer relevance") from None
    if not out:
        raise InputError(f"qrels file '{path}' holds no judgements")
    return out


def load_answers(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for n, rec in iter_jsonl(path, "answers file", "give JSONL records with query_id and answers"):
        answers = rec.get("answers")
        if "query_id" not in rec or not isinstance(answers, list):
            raise InputError(f"answers file '{path}' line {n}: needs query_id and an 'answers' list")
        out[str(rec["query_id"])] = [str(a) for a in answers if str(a).strip()]
    return out


def load_retrieval_set(corpus: Path, queries: Path, qrels: Path, answers: Path | None = None) -> RetrievalSet:
    rs = RetrievalSet(load_corpus(corpus), load_queries(queries), load_qrels(qrels), load_answers(answers) if answers else {})
    if not rs.sample(None):
        raise InputError(f"no query in '{queries}' has a relevant document of '{corpus}' in '{qrels}': check that the ids match")
    return rs
