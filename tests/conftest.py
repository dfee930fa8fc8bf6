"""Shared fixtures: the offline text encoder (loaded once) and the OpenAI-compatible stub server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.openai_stub import StubServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def text_encoder():
    from mmrag.config import TextEncoderConfig
    from mmrag.encoders import load_text_encoder

    return load_text_encoder(TextEncoderConfig())


@pytest.fixture
def stub_server():
    server = StubServer()
    yield server
    server.close()
