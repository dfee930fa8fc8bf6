"""Entry point of the `mmrag` command: registers each command group and turns user errors into one line."""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from mmrag.errors import MMRAGError


class _UserErrorsAsOneLine(TyperGroup):
    """Prints an ``MMRAGError`` as one red line and exits 1; real bugs keep their traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MMRAGError as e:
            from mmrag.cli.common import err_console

            err_console.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
            raise SystemExit(1) from None


app = typer.Typer(
    name="mmrag",
    cls=_UserErrorsAsOneLine,
    help="Multimodal RAG: route a question to the right corpus, retrieve, rerank by relevancy, answer with a VLM.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
eval_app = typer.Typer(help="Evaluate routing, reranking and whole pipelines.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


def _register() -> None:
    # Each command module adds its commands; import order is the --help order.
    from mmrag.cli import ask_cmds, chat_cmds, eval_cmds, ingest_cmds, init_cmds, rerank_cmds, route_cmds, serve_cmds

    for module in (init_cmds, ingest_cmds, ask_cmds, chat_cmds, serve_cmds, rerank_cmds, route_cmds, eval_cmds):
        module.register(app, eval_app)


_register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
