"""Labelled routing queries from JSONL: {"query": ..., "route": "x"} or {"routes": ["x", "y"]}."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from mmrag.errors import InputError
from mmrag.jsonl import iter_jsonl
from mmrag.types import NO_RETRIEVAL

#: Other names used for routes in public data sets (UniversalRAG labels no-retrieval as "no").
ROUTE_ALIASES = {"no": NO_RETRIEVAL, "no_retrieval": NO_RETRIEVAL, "none": NO_RETRIEVAL}


class LabelledQuery(BaseModel):
    query: str
    routes: list[str]

    @property
    def primary(self) -> str:
        return self.routes[0]


def normalise_route(route: str) -> str:
    r = str(route).strip().lower()
    return ROUTE_ALIASES.get(r, r)


def parse_routes(value: object) -> list[str]:
    """'paragraph', 'paragraph+image' or ['paragraph', 'image'] -> normalised, de-duplicated list."""
    items = value if isinstance(value, list) else str(value).split("+")
    out: list[str] = []
    for v in items:
        r = normalise_route(v)
        if r and r not in out:
            out.append(r)
    return out


def load_labelled(path: str | Path, known_routes: list[str]) -> list[LabelledQuery]:
    p = Path(path)
    rows: list[LabelledQuery] = []
    for n, rec in iter_jsonl(p, "routing data", "give a JSONL file with 'query' and 'route' (or 'routes') per line"):
        if not str(rec.get("query") or "").strip():
            raise InputError(f"routing data '{p}' line {n}: needs a non-empty 'query'")
        raw = rec.get("routes", rec.get("route"))
        routes = parse_routes(raw) if raw is not None else []
        if not routes:
            raise InputError(f"routing data '{p}' line {n}: needs 'route' (a string) or 'routes' (a list)")
        unknown = [r for r in routes if r not in known_routes]
        if unknown:
            raise InputError(
                f"routing data '{p}' line {n}: unknown route '{unknown[0]}'; known routes: {', '.join(known_routes)}"
            )
        rows.append(LabelledQuery(query=str(rec["query"]), routes=routes))
    if not rows:
        raise InputError(f"routing data '{p}' has no labelled queries")
    return rows
