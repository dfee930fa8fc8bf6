"""One evaluation run: benchmarks × pipeline variants -> every output file in the run folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from mmrag.config import MMRAGConfig, load_config
from mmrag.errors import ConfigError
from mmrag.evaluation import metrics as M
from mmrag.evaluation import report as R
from mmrag.evaluation.benchmark import BenchmarkSpec
from mmrag.evaluation.runner import FIXED_VARIANTS, Runner, aggregate, expand_variants


def benchmark_config(base: MMRAGConfig | None, spec: BenchmarkSpec, sets: dict[str, Any]) -> MMRAGConfig:
    """The benchmark's config: its own YAML (else ``base``), its corpora, its overrides, then the user's."""
    overrides: dict[str, Any] = dict(spec.set)
    if spec.corpora:
        overrides["corpora"] = str(spec.path(spec.corpora))
    overrides.update(sets)
    if spec.config:
        return load_config(spec.path(spec.config), overrides)
    # Whole sections first, then dotted keys into them (load_config applies overrides in order).
    data = {**base.model_dump(), "base_dir": base.base_dir} if base is not None else {}
    return load_config(None, {**data, **overrides})


def run_evaluation(specs: list[BenchmarkSpec], out: Path, *, base: MMRAGConfig | None = None,
                   sets: dict[str, Any] | None = None, configs: list[str] | None = None, limit: int | None = None,
                   concurrency: int = 1, generate: bool = True, seed: int = 0, progress: bool = True,
                   pipeline_factory: Any = None) -> dict[str, Any]:
    """Runs every benchmark with every variant; writes results.json, predictions.jsonl, report.md, PNGs."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from mmrag.pipeline import Pipeline

    out.mkdir(parents=True, exist_ok=True)
    factory = pipeline_factory or (lambda cfg: Pipeline(cfg))
    results: dict[str, Any] = {"created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                               "generate": generate, "limit": limit, "seed": seed, "benchmarks": {}}
    per_bench: dict[str, dict[str, list[dict[str, Any]]]] = {}
    plan = []
    for spec in specs:
        cfg = benchmark_config(base, spec, sets or {})
        pipe = factory(cfg)
        variants = expand_variants(configs or spec.configs, pipe.registry.all_routes)
        queries = spec.load(limit)
        unknown = sorted({r for q in queries for r in q.routes} - set(pipe.registry.all_routes))
        if unknown:
            raise ConfigError(f"benchmark {spec.name}: gold route(s) {', '.join(unknown)} are not in the registry "
                              f"{cfg.corpora_path} (routes: {', '.join(pipe.registry.all_routes)}); set the benchmark's 'route:'")
        plan.append((spec, cfg, pipe, variants, queries))
    results["corpora"] = ", ".join(sorted({str(p[1].corpora) for p in plan}))
    total = sum(len(v) * len(q) for _, _, _, v, q in plan)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  disable=not progress, transient=False) as bar:
        task = bar.add_task("evaluating", total=total)
        for spec, cfg, pipe, variants, queries in plan:
            bar.update(task, description=f"evaluating {spec.name}")
            runner = Runner(pipe, cache_dir=out / "cache", generate=generate, seed=seed, concurrency=concurrency)
            by_variant = runner.run(variants, queries, spec.answer_metric, on_done=lambda: bar.advance(task))
            per_bench[spec.name] = by_variant
            labels = pipe.registry.all_routes
            agg = {}
            for v, recs in by_variant.items():
                agg[v] = aggregate(recs, labels)
                if v == "unified":  # nothing was routed: routing figures would be meaningless
                    agg[v]["routing"] = {}
            results["benchmarks"][spec.name] = {
                "description": spec.description, "n_queries": len(queries), "metric": spec.answer_metric,
                "configs": agg,
                "config_descriptions": {v: FIXED_VARIANTS.get(v, f"always the '{v}' route") for v in variants},
                "bertscore": _bertscore(by_variant, spec) if generate else {"computed": False, "reason": "no generation"},
            }
    R.write_predictions(out, per_bench)
    plots = [R.plot_metric(out, results), R.plot_latency(out, results)]
    if len(results["benchmarks"]) > 1:
        results["average"] = R.average(results)
    R.write_results(out, results)
    R.write_report(out, results, plots)
    return results


def _bertscore(by_variant: dict[str, list[dict[str, Any]]], spec: BenchmarkSpec) -> dict[str, Any]:
    if spec.answer_metric not in ("rouge_l", "em_f1", "contains"):
        return {"computed": False, "reason": f"not used for metric {spec.answer_metric}"}
    recs = [r for rs in by_variant.values() for r in rs if r["answer"] is not None]
    return M.bertscore([r["answer"] for r in recs], [r["reference"] for r in recs]) if recs else {"computed": False, "reason": "no answers"}
