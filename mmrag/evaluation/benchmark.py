"""Benchmark declarations: YAML data naming the query file, its format, the corpora and the metric."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mmrag.errors import ConfigError
from mmrag.evaluation.loaders import PRESETS, BenchQuery, load_queries

#: The repository's benchmark declarations (present in a checkout of mmrag, not in an installed wheel).
REPO_BENCH_DIR = Path(__file__).resolve().parents[2] / "evaluation" / "benchmarks"


def bench_dirs() -> list[Path]:
    """Where a benchmark given by name is looked up: the folders in $MMRAG_BENCHMARKS (os.pathsep-separated),
    then the repository's evaluation/benchmarks. A path to a YAML file works from anywhere."""
    extra = [Path(p).expanduser() for p in os.environ.get("MMRAG_BENCHMARKS", "").split(os.pathsep) if p]
    return [*extra, REPO_BENCH_DIR]


class BenchmarkSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    queries: str = Field(description="Query file (JSON/JSONL), relative to the YAML's folder.")
    format: str = Field(default="jsonl", description=f"One of: {', '.join(PRESETS)}.")
    route: str | None = Field(default=None, description="Gold route (a route of the registry) for queries that name none.")
    corpora: str | None = Field(default=None, description="Corpus registry YAML the pipeline searches.")
    ingest: list[str] = Field(default_factory=list, description="Paths to ingest with `mmrag ingest` first.")
    metric: str | None = Field(default=None, description="Answer metric: em_f1 | contains | rouge_l | choice.")
    config: str | None = Field(default=None, description="Pipeline config YAML (default: the CLI's).")
    set: dict[str, Any] = Field(default_factory=dict, description="Config overrides, dotted keys.")
    configs: list[str] = Field(default_factory=lambda: ["routed"], description="Default pipeline variants to run.")
    base_dir: str = Field(default=".", exclude=True)

    def path(self, p: str) -> Path:
        q = Path(p).expanduser()
        return q if q.is_absolute() else (Path(self.base_dir) / q).resolve()

    @property
    def answer_metric(self) -> str:
        return self.metric or PRESETS[self.format]["metric"]

    def load(self, limit: int | None = None) -> list[BenchQuery]:
        return load_queries(self.path(self.queries), self.format, limit, self.route)


def find_benchmark(name_or_path: str) -> Path:
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.is_file():
        if not p.is_file():
            raise ConfigError(f"benchmark file {p} not found: give a path to a benchmark YAML or a name")
        return p
    dirs = bench_dirs()
    for d in dirs:
        if (d / f"{name_or_path}.yaml").is_file():
            return d / f"{name_or_path}.yaml"
    known = sorted({f.stem for d in dirs if d.is_dir() for f in d.glob("*.yaml")})
    raise ConfigError(f"unknown benchmark '{name_or_path}'; known: {', '.join(known) or 'none'} "
                      "(or give a YAML path, or add its folder to $MMRAG_BENCHMARKS)")


def load_benchmark(name_or_path: str) -> BenchmarkSpec:
    path = find_benchmark(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        spec = BenchmarkSpec(**data, base_dir=str(path.resolve().parent))
    except (yaml.YAMLError, ValidationError, TypeError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ConfigError(f"benchmark {path} is invalid ({first}): fix the YAML") from None
    if spec.format not in PRESETS:
        raise ConfigError(f"benchmark {path}: unknown format '{spec.format}'; known: {', '.join(PRESETS)}")
    return spec
