"""Answer generation: one multimodal chat request from the kept items, an answer that cites them."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmrag.config import GeneratorConfig, MMRAGConfig, ModelServerConfig, TextEncoderConfig
from mmrag.errors import ConfigError
from mmrag.generate.attribution import Attribution, Attributor, SentenceEncoder
from mmrag.generate.base import ChatBackend, RAGGenerator
from mmrag.generate.citations import cited_numbers, resolve_citations
from mmrag.generate.prompt import SYSTEM_PROMPT, BuiltRequest, RequestBuilder, elide_images, neutralise, trim_document
from mmrag.protocols import Generator


def load_backend(gen: GeneratorConfig, server: ModelServerConfig | None = None) -> ChatBackend:
    """The chat backend named by ``generator.backend``."""
    vision = gen.vision
    if gen.backend == "openai":
        from mmrag.generate.backends import OpenAIBackend

        return OpenAIBackend(server or ModelServerConfig(), vision=True if vision is None else vision)
    if gen.backend == "gguf":
        from mmrag.generate.backends import LocalLLMBackend

        if vision:
            raise ConfigError("generator.vision is true but backend 'gguf' is text-only: set generator.vision to null or false")
        return LocalLLMBackend(gen)
    if gen.backend == "transformers":
        from mmrag.generate.transformers_vlm import TransformersVLMBackend

        return TransformersVLMBackend(gen)
    if gen.backend == "vllm-offline":
        from mmrag.generate.backends import VLLMOfflineBackend

        return VLLMOfflineBackend(gen)
    raise ConfigError(f"generator.backend '{gen.backend}' is unknown: use openai, transformers, gguf or vllm-offline")


class _LazyTextEncoder:
    """The pipeline's text encoder, loaded on first use: only answers that cite nothing need it, and the
    encoder factory's cache hands back the retriever's copy (no second model load)."""

    def __init__(self, cfg: TextEncoderConfig):
        self.cfg = cfg
        self._enc: Any = None

    def encode(self, texts: list[str]) -> np.ndarray:
        if self._enc is None:
            from mmrag.encoders import load_text_encoder

            self._enc = load_text_encoder(self.cfg)
        return self._enc.encode(texts)


def load_generator(config: MMRAGConfig | GeneratorConfig, server: ModelServerConfig | None = None,
                   encoder: SentenceEncoder | None = None) -> Generator:
    """A ``Generator`` from the whole config (uses ``model_server`` for the openai backend) or its generator section.

    Attribution of uncited answers uses ``encoder``, else the whole config's text encoder, else (given only
    the generator section) lexical overlap alone.
    """
    if isinstance(config, MMRAGConfig):
        gen, server = config.generator, server or config.model_server
        encoder = encoder or _LazyTextEncoder(config.encoders.text)
    else:
        gen = config
    return RAGGenerator(load_backend(gen, server), gen, Attributor(encoder, threshold=gen.attribution_threshold))


__all__ = [
    "Attribution", "Attributor", "SentenceEncoder", "neutralise",
    "BuiltRequest", "ChatBackend", "RAGGenerator", "RequestBuilder", "SYSTEM_PROMPT", "cited_numbers",
    "elide_images", "load_backend", "load_generator", "resolve_citations", "trim_document",
]
