"""Shared set-up for the pipeline, ask, chat and LangChain tests (no tests here).

The demo paragraphs and three demo images are ingested once per test session into a temporary
data folder (OCR and ASR off; captions from the sidecar files). The generator is the stub
OpenAI-compatible server, which answers like a model would: citing source [1] when sources are sent.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
import yaml
from tests.helpers.openai_stub import Reply, StubServer, chat_completion, stream_chunks

from mmrag.chat.rewrite import REWRITE_PROMPT

# Single queries are tiny forward passes; on the shared 2-core test machine extra torch threads only
# contend (query embedding measured 450 ms with 2 threads vs 13 ms with 1).
torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "corpora" / "demo"
IMAGES = ["bee-anatomy.png", "waggle-dance.png", "volcano-cross-section.png"]


@functools.lru_cache(maxsize=1)
def demo_data() -> Path:
    """A data folder with the demo paragraphs and three images ingested (memoised: one Qdrant folder per session)."""
    from mmrag.config import load_config
    from mmrag.encoders import load_text_encoder
    from mmrag.ingest.runner import Ingestor
    from mmrag.registry import CorpusRegistry
    from mmrag.store.qdrant import close_embedded, open_store

    root = Path(tempfile.mkdtemp(prefix="mmrag-pipeline-tests-"))
    cfg = load_config(None, {"data_dir": str(root / "data"), "corpora": str(REPO / "corpora" / "demo.yaml"),
                             "ingest.ocr": False, "ingest.asr": False})
    reg = CorpusRegistry.from_yaml(cfg.corpora_path)
    store = open_store(cfg)
    ing = Ingestor(cfg, store, text_encoder=load_text_encoder(cfg.encoders.text))
    ing.ingest(reg.get("demo-paragraph"))
    ing.ingest(reg.get("demo-image"), [DEMO / "images" / name for name in IMAGES])
    atexit.register(lambda: (close_embedded(cfg.store_path), shutil.rmtree(root, ignore_errors=True)))
    return root / "data"


def config_dict(base_url: str, **extra: Any) -> dict[str, Any]:
    """Dotted overrides of a pipeline on the demo data, generating through the stub server."""
    return {"data_dir": str(demo_data()), "corpora": str(REPO / "corpora" / "demo.yaml"),
            "ingest.ocr": False, "ingest.asr": False, "generator.backend": "openai",
            "model_server.base_url": base_url, "model_server.model": "stub", "model_server.max_retries": 0,
            "model_server.timeout_s": 10, **extra}


@functools.lru_cache(maxsize=1)
def _loaded_stages() -> dict[str, Any]:
    from mmrag.config import load_config
    from mmrag.pipeline import Pipeline

    base = Pipeline(load_config(None, config_dict("http://127.0.0.1:9/v1")))
    return {"registry": base.registry, "router": base.router, "retriever": base.retriever, "scorer": base.scorer}


def shared_pipeline(base_url: str, **extra: Any):
    """A pipeline generating through ``base_url`` that reuses the session's loaded router, retriever and scorer."""
    from mmrag.pipeline import Pipeline

    return Pipeline.from_config(config_dict(base_url, **extra), **_loaded_stages())


def write_config(folder: Path, base_url: str, **extra: Any) -> Path:
    from mmrag.config import load_config

    cfg = load_config(None, config_dict(base_url, **extra))
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json")), encoding="utf-8")
    return path


def sources_in(body: dict[str, Any]) -> str:
    """The text of the request's last user message (the sources and the question)."""
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")


def model_like(rewrites: dict[str, str] | None = None):
    """A responder that rewrites follow-ups from a table and answers citing [1] when sources were sent."""
    rewrites = rewrites or {}

    def respond(path: str, body: dict[str, Any]) -> Reply:
        msgs = body.get("messages", [])
        if msgs and msgs[0].get("content") == REWRITE_PROMPT:
            last = msgs[-1]["content"]
            text = next((v for k, v in rewrites.items() if k in last), "")
            return Reply(body=chat_completion(text))
        text = "From the sources: see [1]." if "[1]" in sources_in(body) else "I know this without sources."
        if body.get("stream"):
            return Reply(stream=stream_chunks(text))
        return Reply(body=chat_completion(text))

    return respond


def stub_server(rewrites: dict[str, str] | None = None) -> StubServer:
    return StubServer(responder=model_like(rewrites))


def image_parts(body: dict[str, Any]) -> int:
    return sum(1 for m in body.get("messages", []) if isinstance(m.get("content"), list)
               for p in m["content"] if p.get("type") == "image_url")
