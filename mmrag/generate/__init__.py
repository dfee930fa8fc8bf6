"""Answer generation: one multimodal chat request from the kept items, an answer that cites them."""

from __future__ import annotations

from mmrag.config import GeneratorConfig, MMRAGConfig, ServerConfig
from mmrag.errors import ConfigError
from mmrag.generate.base import ChatBackend, RAGGenerator
from mmrag.generate.citations import cited_numbers, resolve_citations
from mmrag.generate.prompt import SYSTEM_PROMPT, BuiltRequest, RequestBuilder, elide_images, trim_document
from mmrag.protocols import Generator


def load_backend(gen: GeneratorConfig, server: ServerConfig | None = None) -> ChatBackend:
    """The chat backend named by ``generator.backend``."""
    vision = gen.vision
    if gen.backend == "openai":
        from mmrag.generate.backends import OpenAIBackend

        return OpenAIBackend(server or ServerConfig(), vision=True if vision is None else vision)
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


def load_generator(config: MMRAGConfig | GeneratorConfig, server: ServerConfig | None = None) -> Generator:
    """A ``Generator`` from the whole config (uses ``server`` for the openai backend) or its generator section."""
    if isinstance(config, MMRAGConfig):
        gen, server = config.generator, server or config.server
    else:
        gen = config
    return RAGGenerator(load_backend(gen, server), gen)


__all__ = [
    "BuiltRequest", "ChatBackend", "RAGGenerator", "RequestBuilder", "SYSTEM_PROMPT", "cited_numbers",
    "elide_images", "load_backend", "load_generator", "resolve_citations", "trim_document",
]
