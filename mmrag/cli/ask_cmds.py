"""`mmrag ask`: one question, one answer (or the whole Answer as JSON for scripts)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mmrag.cli.common import ConfigOption, SetOption, cli_config, console, err_console


def parse_routes(routes: Optional[str]) -> Optional[list[str]]:
    """'paragraph,image' → ['paragraph', 'image']; empty or 'auto' → None (the router chooses)."""
    if not routes or routes.strip() == "auto":
        return None
    return [r.strip() for r in routes.split(",") if r.strip()] or None


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    @app.command()
    def ask(
        question: str = typer.Argument(..., help="The question."),
        image: Optional[Path] = typer.Option(None, "--image", help="An image that goes with the question."),
        routes: Optional[str] = typer.Option(None, "--routes", help="Skip the router: comma-separated routes, e.g. paragraph,image."),
        k: Optional[int] = typer.Option(None, "--k", help="Keep at most k items (default: rerank.k)."),
        tau: Optional[float] = typer.Option(None, "--tau", help="Keep items with RS ≥ tau (default: rerank.tau)."),
        n_candidates: Optional[int] = typer.Option(None, "--n-candidates", "-n", help="Candidates per route (default: rerank.n_candidates)."),
        as_json: bool = typer.Option(False, "--json", help="Print the whole Answer (text, citations, trace) as JSON."),
        config: Optional[Path] = ConfigOption,
        sets: Optional[list[str]] = SetOption,
    ) -> None:
        """Answer one question from the corpora: route, retrieve, rerank, generate."""
        from mmrag.render import print_answer
        from mmrag.pipeline import Pipeline

        pipe = Pipeline(cli_config(config, sets))
        route_list = parse_routes(routes)
        # Every mistake that needs no model (question, routes, k, tau, image, registry, store lock) fails now.
        picture = pipe.check(question, image, routes=route_list, k=k, tau=tau, n_candidates=n_candidates)
        # Load the models first so the trace's timings are the stages' work, not model loading; the
        # generator's model loads while the question is retrieved. The spinner goes to stderr (--json stays clean).
        with err_console.status("loading the models…"):
            pipe.load(router=route_list is None, generator=False)
        with err_console.status("answering… (a cold start also loads the generator's model meanwhile)"):
            answer = pipe.ask(question, image=picture, routes=route_list, k=k, tau=tau, n_candidates=n_candidates)
        if as_json:
            typer.echo(answer.model_dump_json(indent=2))
        else:
            print_answer(console, answer)
