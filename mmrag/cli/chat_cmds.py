"""`mmrag chat`: a multi-turn conversation in the terminal (the logic is ``mmrag.chat.ChatSession``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from mmrag.cli.common import ConfigOption, SetOption, cli_config, console


def _lines(history_file: Path | None):
    """Input lines: prompt-toolkit (history, editing) on a terminal, plain stdin lines otherwise (pipes)."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        from mmrag.optional import require

        require("prompt_toolkit", extra="chat", purpose="the interactive chat prompt", package="prompt-toolkit")
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory, InMemoryHistory

        history = InMemoryHistory()
        if history_file is not None:
            try:
                history_file.parent.mkdir(parents=True, exist_ok=True)
                history = FileHistory(str(history_file))
            except OSError:
                pass  # a read-only data folder: keep the history for this session only
        session = PromptSession(history=history)
        while True:
            try:
                yield session.prompt("you › ")
            except KeyboardInterrupt:  # Ctrl-C drops the line being typed, like a shell
                continue
            except EOFError:  # Ctrl-D leaves
                return
    else:
        for line in sys.stdin:
            console.print(f"[bold]you ›[/] {escape(line.rstrip())}", highlight=False)
            yield line


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    @app.command()
    def chat(
        routes: Optional[str] = typer.Option(None, "--routes", help="Fixed routes, e.g. paragraph,image (default: the router chooses)."),
        k: Optional[int] = typer.Option(None, "--k", help="Keep at most k items (default: rerank.k)."),
        tau: Optional[float] = typer.Option(None, "--tau", help="Keep items with RS ≥ tau (default: rerank.tau)."),
        rewrite: bool = typer.Option(True, "--rewrite/--no-rewrite", help="Rewrite follow-ups into standalone questions with the generator."),
        stream: bool = typer.Option(True, "--stream/--no-stream", help="Print the answer as it is written."),
        config: Optional[Path] = ConfigOption,
        sets: Optional[list[str]] = SetOption,
    ) -> None:
        """Chat with the corpora: multi-turn, streaming, with sources. Type /help for commands."""
        from mmrag.chat import ChatSession
        from mmrag.pipeline import Pipeline

        from mmrag.cli.ask_cmds import parse_routes

        cfg = cli_config(config, sets)
        pipe = Pipeline(cfg)
        pipe.check_options(routes=parse_routes(routes), k=k, tau=tau)  # flag mistakes fail before the models load
        with console.status("loading the models…"):
            pipe.load(router=routes is None or routes == "auto")
        session = ChatSession(pipe, console, rewrite=rewrite, stream=stream)
        # Flags go through the same checks as the slash commands.
        for cmd, value in (("routes", routes), ("k", k), ("tau", tau)):
            if value is not None:
                session.handle(f"/{cmd} {value}")
        console.print("[dim]mmrag chat — ask a question; /help for commands, /quit to leave[/]")
        for line in _lines(cfg.data_path / "chat_history"):
            if not session.handle(line):
                break
