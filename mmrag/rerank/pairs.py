"""Labelled (query, item, label) pairs and the candidate items they reference.

A pairs file is JSONL: ``{"query": ..., "route": "paragraph", "item": "<item key>", "label": 1}``. Items
are looked up by key in the ingested store; a record may instead carry the item inline (``text`` and
optionally ``title``, ``caption``, ``ocr_text``, ``transcript``, ``modality``, ``granularity``), which
is handy for pair sets outside any corpus.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ValidationError

from mmrag.errors import CorpusError, InputError
from mmrag.jsonl import iter_jsonl
from mmrag.types import Hit, Item

_INLINE = ("text", "title", "caption", "ocr_text", "transcript", "media_path", "modality", "granularity", "start", "end")
_NS = uuid.UUID("6f1d7c2e-1b35-4d8e-9a51-2f0e6b7c9d10")


class Pair(BaseModel):
    query: str
    route: str
    item: str
    label: int
    inline: dict | None = None


def load_pairs(path: str | Path) -> list[Pair]:
    p = Path(path)
    pairs: list[Pair] = []
    for n, rec in iter_jsonl(p, "pairs file", "give a JSONL file of query/route/item/label records"):
        try:
            inline = {k: rec[k] for k in _INLINE if k in rec} or None
            pair = Pair(query=rec["query"], route=rec.get("route", ""), item=str(rec["item"]), label=int(rec["label"]), inline=inline)
        except (ValueError, KeyError, TypeError, ValidationError):
            raise InputError(f"pairs file '{p}' line {n}: needs JSON with query, route, item and label (0 or 1)") from None
        if pair.label not in (0, 1):
            raise InputError(f"pairs file '{p}' line {n}: label must be 0 or 1, not {pair.label}")
        pairs.append(pair)
    if not pairs:
        raise InputError(f"pairs file '{p}' holds no pairs")
    return pairs


def inline_item(pair: Pair) -> Item:
    d = dict(pair.inline or {})
    modality = d.pop("modality", "text")
    granularity = d.pop("granularity", {"text": "paragraph", "image": "image", "video": "clip", "audio": "clip"}[modality])
    return Item(
        id=str(uuid.uuid5(_NS, f"pairs|{pair.route}|{pair.item}")), key=pair.item, corpus="pairs", route=pair.route,
        modality=modality, granularity=granularity, source=pair.item, **d,
    )


#: (route, keys) -> {key: Item} for the keys found.
Lookup = Callable[[str, list[str]], dict[str, Item]]


def store_lookup(cfg) -> Lookup:
    """Look items up by key in the collections of the corpus registry (the ingested store)."""

    from mmrag.registry import CorpusRegistry
    from mmrag.store import open_store

    registry = CorpusRegistry.from_yaml(cfg.corpora_path)
    store = open_store(cfg)

    def lookup(route: str, keys: list[str]) -> dict[str, Item]:
        spec = registry.for_route(route)
        coll = spec.collection_name
        if not store.exists(coll):
            raise CorpusError(f"collection '{coll}' (route '{route}') is not ingested: run `mmrag ingest --all` first")
        return store.items_by_key(coll, keys)

    return lookup


class QueryCandidates(BaseModel):
    """One query's candidates (all its pair items) and which of them are relevant."""

    query: str
    hits: list[Hit]
    labels: list[int]


#: (query, route) -> {key: matched chunk} for items searched through chunks (documents, whole videos).
ChunkFinder = Callable[[str, str], dict[str, str]]


def retriever_chunks(cfg, n: int = 200) -> ChunkFinder:
    """The chunk that retrieval matches for each item of a route, as the pipeline would pass it on."""
    from mmrag.retrieval.collection import CollectionRetriever

    retriever = CollectionRetriever(cfg)

    def find(query: str, route: str) -> dict[str, str]:
        return {h.item.key: h.matched_chunk for h in retriever.search(query, route, n=n).hits if h.matched_chunk}

    return find


def build_candidates(pairs: list[Pair], lookup: Lookup | None = None, chunks: ChunkFinder | None = None) -> list[QueryCandidates]:
    """Group pairs by query; resolve each item (inline, else through ``lookup``).

    With ``chunks``, document and whole-video candidates carry the chunk retrieval matched, so scorers
    see what they would see in the pipeline rather than the start of a long text.
    """
    need: dict[str, set[str]] = {}
    for p in pairs:
        if p.inline is None:
            need.setdefault(p.route, set()).add(p.item)
    found: dict[tuple[str, str], Item] = {}
    for route, keys in need.items():
        if lookup is None:
            raise InputError("pairs reference stored items but no store was given: ingest the corpus or put the item text inline")
        got = lookup(route, sorted(keys))
        missing = sorted(keys - set(got))
        if missing:
            raise CorpusError(
                f"{len(missing)} pair item(s) of route '{route}' are not in the store (e.g. '{missing[0]}'): "
                "run `mmrag ingest --all`, or fix the item keys"
            )
        found.update({(route, k): v for k, v in got.items()})
    groups: dict[str, QueryCandidates] = {}
    matched: dict[tuple[str, str], dict[str, str]] = {}
    for p in pairs:
        item = inline_item(p) if p.inline is not None else found[(p.route, p.item)]
        chunk = None
        if chunks is not None and p.inline is None and item.granularity in ("document", "video"):
            if (p.query, p.route) not in matched:
                matched[(p.query, p.route)] = chunks(p.query, p.route)
            chunk = matched[(p.query, p.route)].get(p.item)
        g = groups.setdefault(p.query, QueryCandidates(query=p.query, hits=[], labels=[]))
        g.hits.append(Hit(item=item, score=0.0, rank=len(g.hits), route=p.route, matched_chunk=chunk))
        g.labels.append(p.label)
    return list(groups.values())
