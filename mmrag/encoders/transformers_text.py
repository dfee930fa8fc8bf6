"""A sentence encoder run on transformers alone, for the common sentence-transformers folder layout.

Most sentence-embedding models (MiniLM, BGE, E5, GTE, ...) are stored as Transformer → Pooling →
(Normalize). Running that stack needs only ``AutoModel`` and a pooling line; importing
sentence-transformers to do it cost 6-9 s of a cold ``mmrag ask`` (it imports scikit-learn and its
optional backends). Folders with any other module (Dense, custom code) keep using sentence-transformers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mmrag.encoders.base import encode_by_length
from mmrag.errors import ModelError

_MODULE = "sentence_transformers.models."
_PLAIN = {_MODULE + "Transformer", _MODULE + "Pooling", _MODULE + "Normalize"}
_POOLING_MODES = ("mean_tokens", "cls_token", "max_tokens")


def plain_sentence_stack(path: str | Path) -> dict | None:
    """The stack's settings when ``path`` is a local sentence-transformers folder this module can run
    exactly (Transformer at the root, one supported pooling mode, optional Normalize); else None."""
    root = Path(path)
    try:
        modules = json.loads((root / "modules.json").read_text())
    except (OSError, ValueError):
        return None
    types = [m.get("type", "") for m in modules]
    if not types or types[0] != _MODULE + "Transformer" or any(t not in _PLAIN for t in types):
        return None
    if modules[0].get("path", "") not in ("", "."):
        return None
    pooling = next((m for m in modules if m["type"] == _MODULE + "Pooling"), None)
    if pooling is None:
        return None
    try:
        pool_cfg = json.loads((root / pooling["path"] / "config.json").read_text())
    except (OSError, ValueError):
        return None
    modes = [m for m in _POOLING_MODES if pool_cfg.get(f"pooling_mode_{m}")]
    others = [k for k, v in pool_cfg.items() if k.startswith("pooling_mode_") and v and k[13:] not in _POOLING_MODES]
    if len(modes) != 1 or others or pool_cfg.get("include_prompt") is False:
        return None
    try:
        st_cfg = json.loads((root / "sentence_bert_config.json").read_text())
    except (OSError, ValueError):
        st_cfg = {}
    try:
        prompts = json.loads((root / "config_sentence_transformers.json").read_text()).get("prompts") or {}
    except (OSError, ValueError):
        prompts = {}
    if any(prompts.values()):
        return None  # a model trained with query/passage prompts: sentence-transformers applies them
    return {
        "pooling": modes[0],
        "max_seq_length": st_cfg.get("max_seq_length"),
        "do_lower_case": bool(st_cfg.get("do_lower_case", False)),
    }


class TransformersTextEncoder:
    """Same vectors as ``SentenceTransformer(path)`` for a plain stack (see ``plain_sentence_stack``)."""

    def __init__(self, model: str, path: str | Path, stack: dict, *, device: str = "cpu", batch_size: int = 32,
                 max_seq_length: int | None = None):
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.name = model
        self.batch_size = batch_size
        self._torch = torch
        self._device = device
        self._pooling = stack["pooling"]
        self._lower = stack["do_lower_case"]
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(path))
            self._model = AutoModel.from_pretrained(str(path)).to(device).eval()
        except (OSError, ValueError) as e:
            raise ModelError(
                f"text encoder '{model}' could not be loaded ({str(e).splitlines()[0][:160]}); "
                "give a local path or an installed 'package:' model"
            ) from None
        limit = max_seq_length or stack["max_seq_length"] or self.tokenizer.model_max_length
        self.max_tokens = int(min(limit, getattr(self._model.config, "max_position_embeddings", limit)))
        self.dim = int(self._model.config.hidden_size)

    def encode(self, texts: list[str], *, batch_size: int | None = None, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [t.lower() for t in texts] if self._lower else list(texts)
        with self._torch.inference_mode():
            return encode_by_length(texts, self.dim, batch_size or self.batch_size, self._embed, progress)

    def _embed(self, batch: list[str]) -> np.ndarray:
        enc = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt")
        enc = {k: v.to(self._device) for k, v in enc.items()}
        tokens = self._model(**enc).last_hidden_state
        if self._pooling == "cls_token":
            pooled = tokens[:, 0]
        else:
            mask = enc["attention_mask"].unsqueeze(-1).to(tokens.dtype)
            if self._pooling == "max_tokens":
                pooled = tokens.masked_fill(mask == 0, -1e9).max(dim=1).values
            else:
                pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return pooled.float().cpu().numpy()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.tokenize(text.lower() if self._lower else text))

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
        return [tuple(o) for o in enc["offset_mapping"]]
