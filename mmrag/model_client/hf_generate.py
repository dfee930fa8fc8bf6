"""``model.generate`` for in-process transformers models: one reply, or a stream of text deltas.

Shared by the text-only local chat model and the in-process vision-language backend.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any


class LoadsOnWarmUp:
    """Light construction, heavy ``warm_up()``: ``_load()`` runs once, under a lock, on the first ``warm_up()``
    (from ``Pipeline.load()`` or the first call that needs the model); ``model`` is None until then."""

    model: Any = None
    _load_lock: threading.Lock

    def _load(self) -> None:
        raise NotImplementedError

    def warm_up(self) -> Any:
        with self._load_lock:
            if self.model is None:
                self._load()
        return self


def generation_kwargs(max_tokens: int, temperature: float, pad_token_id: int | None = None) -> dict[str, Any]:
    """Greedy when temperature is 0 (sampling knobs unset so transformers doesn't warn), else sampling."""
    kw: dict[str, Any] = {"max_new_tokens": max_tokens}
    if pad_token_id is not None:
        kw["pad_token_id"] = pad_token_id
    if temperature and temperature > 0:
        kw.update(do_sample=True, temperature=temperature)
    else:
        kw.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    return kw


def _usage(n_in: int, n_out: int) -> dict[str, int]:
    return {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}


def generate_text(model: Any, tokenizer: Any, inputs: Any, gen_kwargs: dict[str, Any],
                  lock: threading.Lock) -> tuple[str, dict[str, int]]:
    """One reply: (text, usage)."""
    import torch

    n_in = int(inputs["input_ids"].shape[1])
    with lock, torch.inference_mode():
        out = model.generate(**inputs, **gen_kwargs)
    new = out[0, n_in:]
    return tokenizer.decode(new, skip_special_tokens=True).strip(), _usage(n_in, int(new.shape[0]))


def stream_text(model: Any, tokenizer: Any, inputs: Any, gen_kwargs: dict[str, Any], lock: threading.Lock,
                usage: dict[str, int] | None = None) -> Iterator[str]:
    """Text deltas as they are generated (``generate`` runs in a worker thread); fills ``usage`` at the end."""
    import torch
    from transformers import TextIteratorStreamer

    n_in = int(inputs["input_ids"].shape[1])
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with lock, torch.inference_mode():
                out = model.generate(**inputs, **gen_kwargs, streamer=streamer)
            if usage is not None:
                usage.update(_usage(n_in, int(out.shape[1]) - n_in))
        except BaseException as e:  # re-raised in the caller's thread below
            errors.append(e)
            streamer.end()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    for delta in streamer:
        if delta:
            yield delta
    t.join()
    if errors:
        raise errors[0]
