"""Corpus registry: the corpora (and so the routes) are data, declared in YAML.

A corpus names its route, modality and granularity; everything downstream (ingestion, search,
routing, the CLI) reads the registry, so adding a corpus needs no code change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mmrag.errors import ConfigError, CorpusError
from mmrag.yaml_files import load_yaml_mapping
from mmrag.types import NO_RETRIEVAL, Granularity, Modality

#: Which granularities each modality supports.
_ALLOWED = {
    "text": {"paragraph", "document"},
    "image": {"image", "page"},
    "video": {"clip", "video"},
    "audio": {"clip"},
}


class CorpusEncoders(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, description="Text encoder for the text view; None = pipeline default.")
    image_text: str | None = Field(default=None, description="Image-text encoder; None = pipeline default (if any).")


class CorpusSpec(BaseModel):
    """One corpus = one Qdrant collection = one route."""

    model_config = ConfigDict(extra="forbid")

    name: str
    route: str
    modality: Modality
    granularity: Granularity
    description: str = Field(description="One line; routers score routes they were not trained on from it.")
    examples: list[str] = Field(
        default_factory=list, description="Example questions this corpus answers; routers use them like the description."
    )
    collection: str | None = Field(default=None, description="Qdrant collection name; default: the corpus name.")
    encoders: CorpusEncoders = Field(default_factory=CorpusEncoders)
    retrieval_mode: Literal["dense", "sparse", "hybrid"] | None = Field(
        default=None, description="Overrides retrieval.mode for this corpus; None = the pipeline's."
    )
    sources: list[str] = Field(default_factory=list, description="Default ingest paths, relative to the registry file.")
    base_dir: str = Field(default=".", exclude=True)

    @model_validator(mode="after")
    def _check(self) -> "CorpusSpec":
        if self.granularity not in _ALLOWED[self.modality]:
            raise ValueError(
                f"granularity '{self.granularity}' does not fit modality '{self.modality}' "
                f"(allowed: {', '.join(sorted(_ALLOWED[self.modality]))})"
            )
        if self.route == NO_RETRIEVAL:
            raise ValueError(f"route '{NO_RETRIEVAL}' is reserved for 'no retrieval'")
        return self

    @property
    def collection_name(self) -> str:
        return self.collection or self.name.replace("-", "_")

    def source_paths(self) -> list[Path]:
        return [(Path(self.base_dir) / s) for s in self.sources]

    def ingest_paths(self, paths: list[Path] | None = None) -> list[Path]:
        """``paths``, else the registry sources; a CorpusError when there are none or none of them exists."""
        out = [Path(p) for p in (paths if paths else self.source_paths())]
        if not out:
            raise CorpusError(f"corpus '{self.name}' has no 'sources' in the registry: pass paths, e.g. mmrag ingest DIR --corpus {self.name}")
        if not any(p.exists() for p in out):
            raise CorpusError(
                f"nothing could be ingested into corpus '{self.name}': {', '.join(map(str, out))} "
                f"{'does' if len(out) == 1 else 'do'} not exist; check the paths or the corpus 'sources'"
            )
        return out


#: What "no retrieval" means, unless a registry's ``no_retrieval:`` section says otherwise.
NO_RETRIEVAL_DESCRIPTION = "No retrieval: general knowledge, reasoning, arithmetic, definitions, writing or conversation."


class NoRetrievalSpec(BaseModel):
    """The 'none' route: answered from the model's own knowledge. Described like a corpus, for the routers."""

    model_config = ConfigDict(extra="forbid")
    description: str = NO_RETRIEVAL_DESCRIPTION
    examples: list[str] = Field(default_factory=list)


class CorpusRegistry:
    """The declared corpora, looked up by name or route."""

    def __init__(self, corpora: list[CorpusSpec], no_retrieval: NoRetrievalSpec | None = None):
        self.no_retrieval = no_retrieval or NoRetrievalSpec()
        names = [c.name for c in corpora]
        routes = [c.route for c in corpora]
        for label, values in (("name", names), ("route", routes)):
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                raise ConfigError(f"corpus registry: duplicate corpus {label} {', '.join(dupes)}; each must be unique")
        self._by_name = {c.name: c for c in corpora}
        self._by_route = {c.route: c for c in corpora}

    @classmethod
    def from_yaml(cls, path: str | Path) -> "CorpusRegistry":
        p = Path(path)
        data = load_yaml_mapping(
            p, "corpus registry",
            "point 'corpora' of the pipeline config (--config FILE or $MMRAG_CONFIG) at a registry YAML, or write one there",
        )
        entries = data.get("corpora")
        if not isinstance(entries, list) or not entries:
            raise ConfigError(f"corpus registry '{p}' must have a non-empty 'corpora:' list")
        specs = []
        for i, entry in enumerate(entries):
            try:
                specs.append(CorpusSpec.model_validate({**entry, "base_dir": str(p.resolve().parent)}))
            except ValidationError as e:
                err = e.errors()[0]
                where = entry.get("name", f"#{i + 1}") if isinstance(entry, dict) else f"#{i + 1}"
                loc = ".".join(str(x) for x in err["loc"])
                raise ConfigError(f"corpus registry '{p}', corpus {where}: {loc + ': ' if loc else ''}{err['msg']}") from None
        try:
            none = NoRetrievalSpec.model_validate(data.get("no_retrieval") or {})
        except ValidationError as e:
            err = e.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            raise ConfigError(f"corpus registry '{p}', no_retrieval: {loc + ': ' if loc else ''}{err['msg']}") from None
        return cls(specs, none)

    def descriptions(self) -> dict[str, tuple[str, list[str]]]:
        """route -> (description, example questions) for every route, 'none' first."""
        out = {NO_RETRIEVAL: (self.no_retrieval.description, list(self.no_retrieval.examples))}
        out.update({c.route: (c.description, list(c.examples)) for c in self})
        return out

    def __iter__(self):
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def names(self) -> list[str]:
        return list(self._by_name)

    @property
    def routes(self) -> list[str]:
        """Retrieval routes, in registry order (without 'none')."""
        return list(self._by_route)

    @property
    def all_routes(self) -> list[str]:
        """Every route a router may choose: 'none' first, then the corpora's."""
        return [NO_RETRIEVAL, *self._by_route]

    def get(self, name: str) -> CorpusSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise CorpusError(f"unknown corpus '{name}'; known corpora: {', '.join(self._by_name)}") from None

    def for_route(self, route: str) -> CorpusSpec:
        try:
            return self._by_route[route]
        except KeyError:
            raise CorpusError(
                f"unknown route '{route}'; known routes: {', '.join(self.all_routes)}"
            ) from None
