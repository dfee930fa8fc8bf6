"""`mmrag ingest`, `mmrag corpora`, `mmrag search` (filled in by the corpora work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    pass
