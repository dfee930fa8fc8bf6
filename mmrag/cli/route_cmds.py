"""`mmrag route`, `mmrag router train`, `mmrag eval routing`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mmrag.cli.common import ConfigOption, SetOption, cli_config, console, err_console


def _registry(cfg):
    from mmrag.registry import CorpusRegistry

    return CorpusRegistry.from_yaml(cfg.corpora_path)


def _encoder(cfg):
    from mmrag.encoders import load_text_encoder

    return load_text_encoder(cfg.encoders.text)


def _options(features: str, c: float | None, balanced: bool | None = None, model: str | None = None):
    from pydantic import ValidationError

    from mmrag.errors import InputError
    from mmrag.routing.train import TrainOptions

    given = {"features": features, "C": c, "balanced": balanced, "model": model}
    try:
        return TrainOptions(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as e:
        raise InputError(f"router options: {e.errors()[0]['loc'][0]}: {e.errors()[0]['msg']} "
                         "(features: embed+tfidf, tfidf or embed; model: softmax or ovr; C > 0)") from None


def _provenance(files: list[Path], counts: list[int]) -> list[dict]:
    """What the router was trained on: each file's name, path as given, query count and sha256."""
    import hashlib

    return [{"file": f.name, "path": str(f), "queries": n, "sha256": hashlib.sha256(f.read_bytes()).hexdigest()}
            for f, n in zip(files, counts)]


def _print_report(report, data_name: str) -> None:
    from rich.table import Table

    console.print(f"router [bold]{report.router}[/] on {data_name} ({report.mode}, n={report.n})")
    console.print(f"accuracy {report.accuracy:.2%}   top-1 accuracy {report.top1_accuracy:.2%}   macro-F1 {report.macro_f1:.3f}")
    if report.latency_ms:
        console.print(f"latency per query: p50 {report.latency_ms['p50']:.1f} ms, p95 {report.latency_ms['p95']:.1f} ms")
    t = Table("route", "precision", "recall", "F1", "support")
    for r, s in report.per_route.items():
        t.add_row(r, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support))
    console.print(t)
    c = Table("gold \\ chosen", *report.labels, title="confusion (primary route)")
    for r, row in zip(report.labels, report.confusion):
        c.add_row(r, *[str(v) for v in row])
    console.print(c)


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    router_app = typer.Typer(help="Train the query router.", no_args_is_help=True)
    app.add_typer(router_app, name="router")

    @app.command("route")
    def route(
        query: str = typer.Argument(..., help="The question to route."),
        router: Optional[Path] = typer.Option(None, "--router", help="Trained router folder (default: routing.artefact or the shipped one)."),
        as_json: bool = typer.Option(False, "--json", help="Print the RouteDecision as JSON."),
        config: Optional[Path] = ConfigOption,
        sets: Optional[list[str]] = SetOption,
    ) -> None:
        """Show which routes a query goes to, with every route's probability."""
        from mmrag.routing import load_router

        cfg = cli_config(config, sets, **({"routing.artefact": str(router.resolve())} if router else {}))
        decision = load_router(cfg, _registry(cfg)).route(query)
        if as_json:
            print(decision.model_dump_json())
            return
        for r, p in sorted(decision.probabilities.items(), key=lambda kv: -kv[1]):
            mark = "[bold green]✔[/]" if r in decision.routes else " "
            console.print(f"{mark} {r:<12} {p:6.3f}")
        console.print(f"routes: [bold]{' + '.join(decision.routes)}[/]  ({decision.router}, {decision.latency_ms:.1f} ms)")
        if decision.fallback:
            console.print(f"[yellow]fallback:[/] {decision.fallback}")

    @router_app.command("train")
    def train(
        data: list[Path] = typer.Option(..., "--data", help="JSONL with 'query' and 'route' (or 'routes') per line; repeat to train on several files."),
        out: Path = typer.Option(..., "--out", help="Folder to write the router artefact to."),
        features: str = typer.Option("embed+tfidf", "--features", help="embed+tfidf (default), tfidf (baseline) or embed."),
        weight: Optional[list[float]] = typer.Option(None, "--weight", help="Weight of each --data file's queries, in the same order (default 1 each)."),
        model_kind: Optional[str] = typer.Option(None, "--model", help="softmax over route sets (default) or ovr (one sigmoid per route)."),
        c: Optional[float] = typer.Option(None, "--C", help="Inverse regularisation strength (default 10)."),
        balanced: Optional[bool] = typer.Option(None, "--balanced/--no-balanced", help="Weigh routes inversely to their frequency (default: no)."),
        cv: int = typer.Option(0, "--cv", help="k > 1: also cross-validate these options on the data (stratified k-fold, seed 0) and record the figures in the artefact."),
        config: Optional[Path] = ConfigOption,
        sets: Optional[list[str]] = SetOption,
    ) -> None:
        """Train a router on labelled queries and save it (JSON + NPZ, no pickle) with its provenance."""
        from datetime import datetime, timezone

        import numpy as np

        from mmrag.errors import InputError
        from mmrag.routing.dataset import load_labelled
        from mmrag.routing import route_modalities
        from mmrag.routing.router_eval import cross_validate
        from mmrag.routing.train import train_model
        from mmrag.routing.features import embed_queries

        cfg = cli_config(config, sets)
        registry = _registry(cfg)
        if cv == 1 or cv < 0:
            raise InputError(f"--cv {cv}: give 0 (no cross-validation) or a number of folds of at least 2")
        weights = list(weight or [1.0] * len(data))
        if len(weights) != len(data) or any(w <= 0 for w in weights):
            raise InputError(f"--weight: give one positive weight per --data file ({len(data)} files, {len(weights)} weights)")
        parts = [load_labelled(f, registry.all_routes) for f in data]
        rows = [r for part in parts for r in part]
        sample_weight = np.concatenate([np.full(len(p), w) for p, w in zip(parts, weights)])
        opts = _options(features, c, balanced, model_kind)
        if opts.model == "ovr" and any(w != 1.0 for w in weights):
            raise InputError("--weight needs the softmax model (--model softmax)")
        encoder = _encoder(cfg) if opts.features != "tfidf" else None
        emb = embed_queries(encoder, [r.query for r in rows], opts.max_chars, progress=True) if encoder is not None else None
        model = train_model(rows, registry.all_routes, encoder, opts, embeddings=emb, sample_weight=sample_weight)
        model.meta["data"] = [{**d, "weight": w} for d, w in zip(_provenance(list(data), [len(p) for p in parts]), weights)]
        model.meta["trained_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        # Which modality each label had: a registry without a route hands its share to a sibling granularity.
        model.meta["modalities"] = route_modalities(registry)
        if cv:
            rep = cross_validate(rows, registry.all_routes, encoder, route_modalities(registry), opts, k=cv,
                                 tau=cfg.routing.tau, embeddings=emb, sample_weight=sample_weight)
            model.meta["cv"] = {"k": cv, "seed": 0, "stratified_by": "primary route", "n": rep.n, "accuracy": round(rep.accuracy, 4),
                                "macro_f1": round(rep.macro_f1, 4), "top1_accuracy": round(rep.top1_accuracy, 4)}
            err_console.print(f"{cv}-fold cv: accuracy {rep.accuracy:.2%}, macro-F1 {rep.macro_f1:.3f}")
        path = model.save(out)
        err_console.print(f"trained on {len(rows)} queries; routes {', '.join(model.labels)}; saved to {path}")

    @eval_app.command("routing")
    def eval_routing(
        data: Path = typer.Option(..., "--data", help="Labelled JSONL ('query', 'route' or 'routes')."),
        router: Optional[Path] = typer.Option(None, "--router", help="Router folder to evaluate (default: the shipped one)."),
        cv: int = typer.Option(0, "--cv", help="k > 1: k-fold cross-validation of a router trained on --data itself."),
        features: str = typer.Option("embed+tfidf", "--features", help="With --cv: embed+tfidf, tfidf (baseline) or embed."),
        model_kind: Optional[str] = typer.Option(None, "--model", help="With --cv: softmax over route sets (default) or ovr."),
        c: Optional[float] = typer.Option(None, "--C", help="With --cv: inverse regularisation strength (default 10)."),
        balanced: Optional[bool] = typer.Option(None, "--balanced/--no-balanced", help="With --cv: weigh routes by inverse frequency (default: no)."),
        out: Optional[Path] = typer.Option(None, "--out", help="Folder for confusion.png and report.json (default: <data_dir>/reports/routing)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object to stdout."),
        config: Optional[Path] = ConfigOption,
        sets: Optional[list[str]] = SetOption,
    ) -> None:
        """Accuracy, macro-F1, per-route precision/recall, confusion matrix and latency of a router."""
        from mmrag.errors import InputError
        from mmrag.routing import load_trained_router, route_modalities
        from mmrag.routing.dataset import load_labelled
        from mmrag.routing.router_eval import confusion_png, cross_validate, evaluate_router

        cfg = cli_config(config, sets)
        registry = _registry(cfg)
        rows = load_labelled(data, registry.all_routes)
        if cv == 1 or cv < 0:
            raise InputError(f"--cv {cv}: give 0 (evaluate a trained router) or a number of folds of at least 2")
        if cv:
            opts = _options(features, c, balanced, model_kind)
            if len(rows) < cv:
                raise InputError(f"--cv {cv}: the data has only {len(rows)} queries")
            encoder = _encoder(cfg) if opts.features != "tfidf" else None
            report = cross_validate(rows, registry.all_routes, encoder, route_modalities(registry), opts, k=cv,
                                    tau=cfg.routing.tau, progress=not as_json)
        else:
            r = load_trained_router(cfg, registry, path=router)
            report = evaluate_router(r, rows, registry.all_routes, progress=not as_json)
        out = out or cfg.data_path / "reports" / "routing"
        out.mkdir(parents=True, exist_ok=True)
        png = confusion_png(report, out / "confusion.png")
        (out / "report.json").write_text(report.model_dump_json(indent=1), encoding="utf-8")
        if as_json:
            print(report.model_dump_json())
        else:
            _print_report(report, Path(data).name)
            console.print(f"confusion matrix: {png}")
