"""Entry point of the `mmrag` command: registers each command group and turns user errors into one line."""

from __future__ import annotations

import sys

import typer

from mmrag.errors import MMRAGError

app = typer.Typer(
    name="mmrag",
    help="Multimodal RAG: route a question to the right corpus, retrieve, rerank by relevancy, answer with a VLM.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
eval_app = typer.Typer(help="Evaluate routing, reranking and whole pipelines.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


def _register() -> None:
    # Each command module adds its commands to the app; import order is the --help order.
    from mmrag.cli import ingest_cmds

    for module in (ingest_cmds,):
        module.register(app, eval_app)


def main() -> None:
    _register()
    try:
        app()
    except MMRAGError as e:
        from mmrag.cli.common import err_console

        err_console.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
