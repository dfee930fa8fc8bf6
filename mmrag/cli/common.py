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

#: Where a command looks for its config when --config is not given, after $MMRAG_CONFIG, in this order.
LOCAL_CONFIGS = ("mmrag.yaml", "pipelines/default.yaml")
PACKAGED_CONFIG = Path(__file__).resolve().parents[1] / "data" / "default.yaml"

ConfigOption = typer.Option(
    None, "--config", "-c",
    help="Pipeline config YAML (default: $MMRAG_CONFIG, else ./mmrag.yaml, else ./pipelines/default.yaml, else the packaged default).",
)
SetOption = typer.Option(
    None, "--set", help="Override a config key, e.g. --set rerank.tau=0.6 (repeatable)."
)


def config_path(config: Optional[Path]) -> tuple[Path, bool]:
    """The config file a command uses, and whether it is the packaged default (its paths resolve against the cwd)."""
    if config is not None:
        return Path(config), False
    env = os.environ.get("MMRAG_CONFIG")
    if env:
        return Path(env), False
    for name in LOCAL_CONFIGS:
        if Path(name).is_file():
            return Path(name), False
    return PACKAGED_CONFIG, True


def cli_config(config: Optional[Path], sets: Optional[list[str]] = None, **overrides) -> MMRAGConfig:
    """The config a command runs with: file (or defaults), then --set overrides, then explicit flags."""
    path, packaged = config_path(config)
    merged = dict(parse_override(s, flag="--set") for s in (sets or []))
    merged.update({k: v for k, v in overrides.items() if v is not None})
    if packaged:
        merged.setdefault("base_dir", str(Path.cwd()))
    return load_config(path, merged, override_label="--set")
