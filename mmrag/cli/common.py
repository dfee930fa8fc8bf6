"""Helpers shared by CLI commands: config loading with overrides, consoles, error exits."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from mmrag.config import MMRAGConfig, load_config, parse_override

console = Console()
err_console = Console(stderr=True)

DEFAULT_CONFIG = "pipelines/default.yaml"

ConfigOption = typer.Option(
    None, "--config", "-c", help="Pipeline config YAML (default: $MMRAG_CONFIG, else pipelines/default.yaml if present)."
)
SetOption = typer.Option(
    None, "--set", help="Override a config key, e.g. --set rerank.tau=0.6 (repeatable)."
)


def cli_config(config: Optional[Path], sets: Optional[list[str]] = None, **overrides) -> MMRAGConfig:
    """The config a command runs with: file (or defaults), then --set overrides, then explicit flags."""
    path = config or os.environ.get("MMRAG_CONFIG") or (DEFAULT_CONFIG if Path(DEFAULT_CONFIG).is_file() else None)
    merged = dict(parse_override(s) for s in (sets or []))
    merged.update({k: v for k, v in overrides.items() if v is not None})
    return load_config(path, merged)
