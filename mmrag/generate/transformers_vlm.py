"""In-process vision-language backend: ``AutoModelForImageTextToText`` + ``AutoProcessor`` (HF id or local path).

E.g. Qwen/Qwen2.5-VL-3B-Instruct on a GPU or, slowly, on the CPU. The chat template renders image
placeholders; the processor expands them for the images passed alongside.
"""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterator
from typing import Any

from PIL import Image

from mmrag.config import GeneratorConfig
from mmrag.errors import InputError, ModelError
from mmrag.model_refs import resolve_model_ref
from mmrag.model_client.hf_generate import LoadsOnWarmUp, generate_text, generation_kwargs, stream_text


def _decode_data_url(url: str) -> Image.Image:
    if not url.startswith("data:"):
        # Remote images are never fetched implicitly; the request builder only makes data URLs.
        raise InputError(f"image part '{url[:60]}' is not a data URL: the in-process model only takes inline images")
    raw = base64.b64decode(url.split(",", 1)[1])
    return Image.open(io.BytesIO(raw)).convert("RGB")


def split_media(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Image.Image]]:
    """Messages in the processor's chat format (image placeholders) and the images, in order."""
    out, images = [], []
    for m in messages:
        content = m.get("content")
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
        conv = []
        for p in parts:
            if p.get("type") == "text":
                conv.append({"type": "text", "text": p["text"]})
            elif p.get("type") == "image_url":
                images.append(_decode_data_url(p["image_url"]["url"]))
                conv.append({"type": "image"})
            else:
                raise InputError(f"content part '{p.get('type')}' is not supported in-process: set generator.use_video_url to false")
        out.append({"role": m["role"], "content": conv})
    return out, images


class TransformersVLMBackend(LoadsOnWarmUp):
    """A vision-language model running in this process."""

    vision = True

    def __init__(self, cfg: GeneratorConfig):
        self.cfg = cfg
        self.device = cfg.device
        self.name = cfg.model
        self.processor: Any = None
        self.model: Any = None
        self._load_lock = threading.Lock()
        self._lock = threading.Lock()

    def _load(self) -> None:
        try:
            import torch  # noqa: F401
            from transformers import AutoModelForImageTextToText, AutoProcessor
        except ImportError:
            raise ModelError("generator.backend 'transformers' needs torch and transformers: run `pip install torch transformers`") from None
        path = resolve_model_ref(self.cfg.model)
        try:
            processor = AutoProcessor.from_pretrained(path)
            model = AutoModelForImageTextToText.from_pretrained(path, dtype="auto")
        except (OSError, ValueError) as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise ModelError(f"cannot load vision-language model '{self.cfg.model}': {first[:200]}") from None
        model.to(self.device).eval()
        self.processor, self.model = processor, model

    def _inputs(self, messages: list[dict[str, Any]]) -> Any:
        conv, images = split_media(messages)
        prompt = self.processor.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
        kwargs: dict[str, Any] = {"text": [prompt], "return_tensors": "pt"}
        if images:
            kwargs["images"] = images
        return self.processor(**kwargs).to(self.device)

    def _gen_kwargs(self, max_tokens: int, temperature: float) -> dict[str, Any]:
        return generation_kwargs(max_tokens, temperature)

    @property
    def _tokenizer(self) -> Any:
        return getattr(self.processor, "tokenizer", self.processor)

    def complete(self, messages: list[dict[str, Any]], max_tokens: int, temperature: float) -> tuple[str, dict[str, int]]:
        self.warm_up()
        return generate_text(self.model, self._tokenizer, self._inputs(messages),
                             self._gen_kwargs(max_tokens, temperature), self._lock)

    def stream(self, messages: list[dict[str, Any]], max_tokens: int, temperature: float) -> Iterator[str | dict[str, int]]:
        self.warm_up()
        usage: dict[str, int] = {}
        yield from stream_text(self.model, self._tokenizer, self._inputs(messages),
                               self._gen_kwargs(max_tokens, temperature), self._lock, usage)
        yield usage
