"""Benchmark evaluation: loaders, metrics, the runner over pipeline variants, reports and run comparison."""

from mmrag.evaluation.benchmark import BenchmarkSpec, load_benchmark
from mmrag.evaluation.benchmark_run import run_evaluation
from mmrag.evaluation.loaders import BenchQuery, load_queries

__all__ = ["BenchQuery", "BenchmarkSpec", "load_benchmark", "load_queries", "run_evaluation"]
