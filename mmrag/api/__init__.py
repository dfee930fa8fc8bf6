"""`mmrag serve`: one warm pipeline behind an OpenAI-compatible HTTP API (FastAPI + uvicorn)."""

from mmrag.api.app import create_app

__all__ = ["create_app"]
