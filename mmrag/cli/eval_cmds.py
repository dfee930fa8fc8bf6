"""`mmrag eval --benchmark NAME ...` (whole-pipeline benchmark runs) and `mmrag eval compare RUN_A RUN_B`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mmrag.cli.common import ConfigOption, SetOption, cli_config, console


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    # A callback with invoke_without_command runs `mmrag eval --benchmark ...` itself, while
    # `mmrag eval routing|rerank|compare` still reach their subcommands.
    eval_app.info.invoke_without_command = True
    eval_app.info.no_args_is_help = False

    @eval_app.callback(invoke_without_command=True)
    def eval_main(
        ctx: typer.Context,
        benchmark: Optional[list[str]] = typer.Option(None, "--benchmark", "-b", help="Benchmark name (evaluation/benchmarks/NAME.yaml) or YAML path; repeatable."),
        configs: Optional[list[str]] = typer.Option(None, "--configs", help="Variants, comma-separated or repeated: all, naive, ROUTE, unified, random, oracle, topk, routed."),
        out: Path = typer.Option(Path("runs/eval"), "--out", "-o", help="Run folder: results.json, predictions.jsonl, report.md, plots, cache/."),
        limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, help="Only the first N queries of each benchmark."),
        concurrency: int = typer.Option(1, "--concurrency", min=1, help="Queries in flight at once."),
        generate: bool = typer.Option(True, "--generate/--no-generate", help="Generate answers (off: routing, retrieval and selection metrics only)."),
        seed: int = typer.Option(0, "--seed", help="Seed of the random-route baseline."),
        config: Optional[Path] = ConfigOption,
        sets: Optional[list[str]] = SetOption,
    ) -> None:
        """Run benchmarks through the pipeline and its baselines; write a report. Subcommands evaluate single stages."""
        if ctx.invoked_subcommand is not None:
            return
        if not benchmark:
            console.print(ctx.get_help())
            raise typer.Exit(0)
        from mmrag.config import parse_override
        from mmrag.evaluation import load_benchmark, run_evaluation
        from mmrag.evaluation.report import markdown_table, average

        specs = [load_benchmark(b) for b in benchmark]
        results = run_evaluation(specs, out, base=cli_config(config), sets=dict(parse_override(s) for s in sets or []),
                                 configs=configs, limit=limit, concurrency=concurrency, generate=generate, seed=seed)
        for name, b in results["benchmarks"].items():
            console.print(f"\n[bold]{name}[/] ({b['n_queries']} queries, metric {b['metric']})")
            console.print(markdown_table(b["configs"]), markup=False, highlight=False, soft_wrap=True)
        if len(results["benchmarks"]) > 1:
            console.print("\n[bold]average[/]")
            console.print(markdown_table(average(results)), markup=False, highlight=False, soft_wrap=True)
        console.print(f"\nwrote {out}/results.json, predictions.jsonl, report.md and plots")

    @eval_app.command("compare")
    def compare_cmd(
        run_a: Path = typer.Argument(..., help="First run folder (or its results.json)."),
        run_b: Path = typer.Argument(..., help="Second run folder; deltas are B − A."),
        min_delta: float = typer.Option(0.0, "--min-delta", help="Hide rows whose |B − A| is below this."),
    ) -> None:
        """Print the metric differences between two evaluation runs."""
        from rich.table import Table

        from mmrag.evaluation.compare import compare, load_run, only_in

        a, b = load_run(run_a), load_run(run_b)
        rows = [r for r in compare(a, b) if abs(r["delta"]) >= min_delta]
        table = Table(title=f"{run_b} − {run_a}")
        for col in ("benchmark", "config", "metric", "A", "B", "Δ"):
            table.add_column(col, justify="right" if col in ("A", "B", "Δ") else "left")
        for r in rows:
            colour = "green" if r["delta"] > 0 else "red" if r["delta"] < 0 else ""
            d = f"[{colour}]{r['delta']:+.3f}[/]" if colour else f"{r['delta']:+.3f}"
            table.add_row(r["benchmark"], r["config"], r["metric"], f"{r['a']:.3f}", f"{r['b']:.3f}", d)
        console.print(table)
        for label, missing in (("only in A", only_in(a, b)), ("only in B", only_in(b, a))):
            if missing:
                console.print(f"{label}: {', '.join(missing)}")

    @eval_app.command("retrieval")
    def eval_retrieval(
        corpus: Path = typer.Option(..., "--corpus", help="Corpus JSONL (BEIR style: id, title, text)."),
        queries: Path = typer.Option(..., "--queries", help="Queries JSONL (id, text)."),
        qrels: Path = typer.Option(..., "--qrels", help="Relevance judgements: JSONL (query_id, doc_id, relevance) or BEIR TSV."),
        answers: Optional[Path] = typer.Option(None, "--answers", help="Gold answers JSONL (query_id, answers): adds 'answer in kept items'."),
        limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, help="A seeded random sample of N judged queries (default: all)."),
        seed: int = typer.Option(0, "--seed", help="Seed of the query sample."),
        query_ids: Optional[Path] = typer.Option(None, "--query-ids", help="Only these query ids (one per line), e.g. a held-out split."),
        modes: str = typer.Option("dense,sparse,hybrid", "--modes", help="Comma-separated: dense, sparse, hybrid, and bm25 (a bm25s reference)."),
        n_candidates: int = typer.Option(20, "--candidates", min=1, help="Candidates retrieved (and scored) per query."),
        title: bool = typer.Option(True, "--title/--no-title", help="Index each document's title with its text."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Report folder (default: <data_dir>/reports/retrieval)."),
        config: Optional[Path] = ConfigOption,
        sets: Optional[list[str]] = SetOption,
    ) -> None:
        """Recall@k, nDCG@10, MRR@10, RS selection vs fixed top-k, RS reliability and latency, per retrieval mode."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        from mmrag.cli.common import err_console
        from mmrag.evaluation.beir import load_retrieval_set
        from mmrag.evaluation.retrieval_eval import evaluate_mode, markdown, parse_modes, prepare_corpus, write_report
        from mmrag.rerank import load_scorer

        cfg = cli_config(config, sets)
        mode_list = parse_modes(modes)
        data = load_retrieval_set(corpus, queries, qrels, answers)
        if query_ids is not None:
            from mmrag.errors import InputError

            if not query_ids.is_file():
                raise InputError(f"query id file '{query_ids}' not found: give a file with one query id per line")
            keep = {line.strip() for line in query_ids.read_text(encoding="utf-8").splitlines() if line.strip()}
            data.queries = {q: t for q, t in data.queries.items() if q in keep}
        qids = data.sample(limit, seed)
        res = {"corpus": str(corpus), "n_docs": len(data.corpus), "n_queries": len(qids), "seed": seed,
               "limit": limit, "answers": bool(data.answers), "modes": {}}
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TimeRemainingColumn(), console=err_console, transient=True) as progress:
            ecfg = prepare_corpus(cfg, data, with_title=title, progress=progress)
            scorer = load_scorer(ecfg) if any(m != "bm25" for m in mode_list) else None
            for mode in mode_list:
                task = progress.add_task(f"eval {mode}", total=len(qids))
                res["modes"][mode] = evaluate_mode(mode, ecfg, data, qids, scorer=scorer, n=n_candidates,
                                                   advance=lambda: progress.advance(task))
        target = out or (cfg.data_path / "reports" / "retrieval")
        write_report(res, target)
        console.print(markdown(res), markup=False, highlight=False, soft_wrap=True)
        console.print(f"wrote {target}/retrieval.json, report.md and reliability.png")
