"""`mmrag rerank calibrate` and `mmrag eval rerank`: fit a scorer's calibration, evaluate adaptive selection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from mmrag.cli.common import ConfigOption, SetOption, cli_config, console, err_console
from mmrag.errors import InputError

DEMO_PAIRS = "demo/rerank_pairs.jsonl"  # relative to the corpus registry's folder


def _pairs_path(cfg, data: Optional[Path]) -> Path:
    if data is not None:
        return data
    return cfg.corpora_path.parent / DEMO_PAIRS


def _candidates(cfg, data: Path):
    from mmrag.rerank.pairs import build_candidates, load_pairs, retriever_chunks, store_lookup

    pairs = load_pairs(data)
    state: dict = {}

    # Open the store (and the retriever) only when some pair is not inline.
    def lookup(route, keys):
        if "lookup" not in state:
            state["lookup"] = store_lookup(cfg)
        return state["lookup"](route, keys)

    def chunks(query, route):
        if "chunks" not in state:
            state["chunks"] = retriever_chunks(cfg)
        return state["chunks"](query, route)

    return build_candidates(pairs, lookup, chunks)


def calibrate(
    data: Optional[Path] = typer.Option(None, "--data", help="Pairs JSONL (query, route, item key, label); default: the demo pairs."),
    scorer: Optional[str] = typer.Option(None, "--scorer", help="Scorer to calibrate (default: rerank.scorer): a kind (bi-encoder, llm-judge) or a YAML mapping, e.g. '{kind: cross-encoder, model: PATH}'."),
    out: Optional[Path] = typer.Option(None, "--out", help="Calibration JSON to write (default: <data_dir>/calibration/<scorer>.json)."),
    feature: Optional[str] = typer.Option(None, "--feature", help="raw, logit, raw+gap or logit+gap (default: the scorer's)."),
    hidden: int = typer.Option(0, "--hidden", min=0, help="signals scorer only: hidden units of a one-layer net instead of a logistic regression (needs thousands of pairs; the shipped model has 16)."),
    config: Optional[Path] = ConfigOption,
    sets: Optional[list[str]] = SetOption,
) -> None:
    """Fit a logistic (Platt) calibration of a local scorer's raw score on labelled pairs (the signals scorer: its model)."""
    from mmrag.rerank.calibration import fit_calibration
    from mmrag.rerank.selection_eval import compute_raw
    from mmrag.config import parse_scorer
    from mmrag.rerank.factory import build_scorer

    cfg = cli_config(config, sets)
    spec = parse_scorer(scorer if scorer is not None else cfg.rerank.scorer)
    kind = spec.kind
    path = _pairs_path(cfg, data)
    groups = _candidates(cfg, path)
    if kind == "signals":
        _calibrate_signals(cfg, groups, path, out, hidden)
        return
    if hidden:
        raise InputError(f"--hidden is for the signals scorer; {kind} gets a logistic calibration")
    sc = build_scorer(spec, cfg, calibration=None, progress=False)
    raw = compute_raw(sc, groups)
    cal = fit_calibration(raw, [g.labels for g in groups], scorer=kind, feature=feature or sc.feature, source=str(path))
    target = out or (cfg.data_path / "calibration" / f"{kind}.json")
    cal.save(target)
    m = cal.in_sample
    console.print(
        f"calibrated [bold]{sc.name}[/] on {cal.n_pairs} pairs ({cal.n_positive} relevant): {cal.formula()}\n"
        f"in-sample (optimistic): AUC {m['auc']:.3f}, log-loss {m['log_loss']:.3f}, Brier {m['brier']:.3f}\n"
        f"wrote {target}; use it with --set rerank.calibration={target}",
        highlight=False,
    )


def _calibrate_signals(cfg, groups, path: Path, out: Optional[Path], hidden: int = 0) -> None:
    from mmrag.evaluation.retrieval_eval import ece
    from mmrag.rerank.factory import build_scorer
    from mmrag.rerank.signal_eval import apply, fit_on_pairs, pair_signals

    sc = build_scorer("signals", cfg)
    signals = pair_signals(sc, groups)
    model = fit_on_pairs(signals, groups, source=str(path), hidden=hidden)
    rs = [p for g in apply(model, signals) for p in g]
    e, _ = ece(rs, [y for g in groups for y in g.labels])
    target = out or (cfg.data_path / "calibration" / "signals.json")
    model.save(target)
    console.print(
        f"fitted the [bold]signals[/] model on {model.n_pairs} pairs ({model.n_positive} relevant, {model.n_queries} queries); "
        f"in-sample ECE {e:.3f}\nwrote {target}; use it with --set rerank.calibration={target}",
        highlight=False,
    )


def eval_rerank(
    data: Optional[Path] = typer.Option(None, "--data", help="Pairs JSONL; default: the shipped demo pair set."),
    scorer: Optional[str] = typer.Option(None, "--scorer", help="Scorer (default: rerank.scorer): a kind or a YAML mapping, e.g. '{kind: cross-encoder, model: PATH}'."),
    calibration: Optional[Path] = typer.Option(None, "--calibration", help="Calibration JSON (default: rerank.calibration, else the shipped one)."),
    tau: Optional[float] = typer.Option(None, "--tau", help="τ for the adaptive selector (default: rerank.tau)."),
    k: Optional[int] = typer.Option(None, "--k", help="Most items kept (default: rerank.k)."),
    feature: Optional[str] = typer.Option(None, "--feature", help="Calibration feature for --cv (default: the scorer's): raw, logit, raw+gap, logit+gap."),
    cv: int = typer.Option(5, "--cv", help="Folds (by query) for cross-validated calibration of local scorers; 0 = use the calibration as is."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Precision–recall PNG (default: <data_dir>/reports/rerank_pr.png)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
    scores_out: Optional[Path] = typer.Option(None, "--scores", help="Also write every pair's raw score and RS here (JSONL)."),
    config: Optional[Path] = ConfigOption,
    sets: Optional[list[str]] = SetOption,
) -> None:
    """Precision / recall / F1 of adaptive selection vs fixed top-k (1, 3, 5), a τ sweep and a PR curve."""
    from mmrag.rerank.selection_eval import compute_raw, cross_validated_rs, plot_pr_curve, report
    from mmrag.config import parse_scorer
    from mmrag.rerank.factory import build_scorer, load_calibration

    cfg = cli_config(config, sets)
    spec = parse_scorer(scorer if scorer is not None else cfg.rerank.scorer)
    kind = spec.kind
    tau = cfg.rerank.tau if tau is None else tau
    k = cfg.rerank.k if k is None else k
    path = _pairs_path(cfg, data)
    groups = _candidates(cfg, path)
    cal = load_calibration(kind, calibration if calibration is not None else cfg.rerank.calibration, cfg)
    if kind == "signals":
        from mmrag.rerank.factory import load_signal_model
        from mmrag.rerank.signal_eval import apply, cross_validated, pair_signals

        sc = build_scorer(spec, cfg)
        signals = pair_signals(sc, groups, progress=not as_json)
        raw = [[0.0] * len(g.hits) for g in groups]  # no single raw score: the model reads several signals
        if cv >= 2:
            rs = cross_validated(signals, groups, folds=cv)
            rs_from = f"signal model cross-validated over {min(cv, len(groups))} folds of queries"
        else:
            model = load_signal_model(calibration if calibration is not None else cfg.rerank.calibration, cfg)
            rs = apply(model, signals)
            rs_from = f"signal model as given ({model.source or 'shipped'})"
        calibrated = True
    else:
        sc = build_scorer(spec, cfg, calibration=cal, progress=False)
        raw = compute_raw(sc, groups, progress=not as_json)
        if cv >= 2 and not sc.raw_is_probability:
            rs = cross_validated_rs(groups, raw, scorer=kind, feature=feature or sc.feature, folds=cv)
            rs_from = f"Platt calibration ({feature or sc.feature}) cross-validated over {min(cv, len(groups))} folds of queries"
            calibrated = True
        else:
            rs = [sc.to_rs(r) for r in raw]
            rs_from = sc.calibration_label + (" (shipped, fitted in-sample on the demo pairs)" if cal and calibration is None and cfg.rerank.calibration is None else "")
            calibrated = sc.calibrated
    if scores_out is not None:
        scores_out.parent.mkdir(parents=True, exist_ok=True)
        with scores_out.open("w", encoding="utf-8") as f:
            for g, r, s in zip(groups, raw, rs):
                for h, y, rv, sv in zip(g.hits, g.labels, r, s):
                    f.write(json.dumps({"query": g.query, "route": h.route, "item": h.item.key, "label": y, "raw": rv, "rs": sv}) + "\n")
    res = report(groups, rs, tau=tau, k=k, min_keep=cfg.rerank.min_keep, rule=cfg.rerank.rule)
    res = {"scorer": sc.name, "pairs": str(path), "rs": rs_from, "calibrated": calibrated, **res}
    png = plot or (cfg.data_path / "reports" / "rerank_pr.png")
    plot_pr_curve(res["sweep"], png, title=f"{sc.name}: {res['n_queries']} queries, {rs_from}")
    res["plot"] = str(png)
    if as_json:
        typer.echo(json.dumps(res))
        return
    _print_report(res)


def _print_report(res: dict) -> None:
    from rich.table import Table

    if not res["calibrated"]:
        err_console.print("[yellow]warning:[/] scores are uncalibrated, so τ is not a probability threshold; run `mmrag rerank calibrate`")
    console.print(
        f"[bold]{res['scorer']}[/] on {res['n_queries']} queries / {res['n_pairs']} pairs ({res['n_relevant']} relevant); RS: {res['rs']}"
        + (f"; AUC {res['auc']:.3f}" if "auc" in res else ""),
        highlight=False,
    )
    t = Table("selection", "precision", "recall", "F1", "mean kept")
    a = res["adaptive"]
    rule = "" if a.get("rule", "threshold") == "threshold" else f", {a['rule']}"
    t.add_row(f"adaptive τ={a['tau']:g}, k≤{a['k']}{rule}", f"{a['precision']:.3f}", f"{a['recall']:.3f}", f"{a['f1']:.3f}", f"{a['mean_kept']:.2f}")
    for kk, m in res["fixed_topk"].items():
        t.add_row(f"fixed top-{kk}", f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", f"{m['mean_kept']:.2f}")
    console.print(t)
    s = res["sweep"]
    console.print(f"τ sweep: best F1 {s['best_f1']:.3f} at τ={s['best_tau']:.2f}; PR curve: {res['plot']}", highlight=False)


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    rerank_app = typer.Typer(help="Relevancy scorers: calibration.", no_args_is_help=True)
    rerank_app.command("calibrate")(calibrate)
    app.add_typer(rerank_app, name="rerank")
    eval_app.command("rerank")(eval_rerank)
