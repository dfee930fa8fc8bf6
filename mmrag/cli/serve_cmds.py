"""`mmrag serve`: one warm pipeline behind an OpenAI-compatible HTTP API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from mmrag.cli.common import ConfigOption, SetOption, cli_config, err_console


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Optional[str] = typer.Option(None, "--host", help="Interface to listen on (default: api.host, 127.0.0.1)."),
        port: Optional[int] = typer.Option(None, "--port", help="Port (default: api.port, 8080)."),
        config: Optional[Path] = ConfigOption,
        sets: Optional[list[str]] = SetOption,
    ) -> None:
        """Serve the pipeline at /v1/chat/completions (OpenAI-compatible, streaming), /v1/models and /health."""
        from mmrag.errors import ConfigError
        from mmrag.pipeline import Pipeline

        try:
            import uvicorn

            from mmrag.api import create_app
        except ImportError as e:
            raise ConfigError(f"`mmrag serve` needs FastAPI and uvicorn ({e.name} is missing): pip install 'mmrag[serve]'") from None
        cfg = cli_config(config, sets)
        s = cfg.api
        pipe = Pipeline(cfg)
        pipe.check_options()  # registry and store first: a locked store fails now, not after loading
        with err_console.status("loading the models…"):
            pipe.load()
        key = os.environ.get(s.api_key_env) or None
        app = create_app(pipe, model_name=s.model_name, api_key=key, max_request_bytes=s.max_request_bytes,
                         max_concurrency=s.max_concurrency)
        err_console.print(f"mmrag serving '{s.model_name}' at http://{host or s.host}:{port or s.port}/v1 "
                          f"({'API key required' if key else 'no API key'}); Ctrl-C stops")
        uvicorn.run(app, host=host or s.host, port=port or s.port, log_level="warning")
