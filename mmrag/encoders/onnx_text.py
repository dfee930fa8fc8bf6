"""A sentence encoder run by onnxruntime, from an ONNX export of the model made once and cached.

A cold ``mmrag ask`` spent most of its time importing torch and transformers' modeling code (6-16 s on
this machine) to embed one query. onnxruntime (already a dependency, through rapidocr) and ``tokenizers``
import in a fraction of a second. The first use of a model exports it with ``torch.onnx.export``
(dynamo exporter; needs the ``onnx`` and ``onnxscript`` packages) into the user cache; later processes
load the cached file. Vectors match the torch model's within 1e-4.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import threading
import warnings
from pathlib import Path

import numpy as np

from mmrag.encoders.base import encode_by_length
from mmrag.errors import ModelError

log = logging.getLogger(__name__)

#: Bump when the export recipe changes, so old cached files are not reused.
EXPORT_VERSION = "1"
#: Batches up to this size (a query or a few) run on a one-thread session: extra threads only add
#: synchronisation to a tiny forward pass, and under load made it ~10x slower.
SMALL_BATCH = 4


def default_cache_dir() -> Path:
    """``$MMRAG_CACHE_DIR``, else ``$XDG_CACHE_HOME/mmrag``, else ``~/.cache/mmrag``."""
    if env := os.environ.get("MMRAG_CACHE_DIR"):
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mmrag"


def export_key(path: Path, max_tokens: int) -> str:
    """Names the export by the model's config and weight files (size and mtime), without loading them."""
    h = hashlib.sha256(f"{EXPORT_VERSION}|{max_tokens}|".encode())
    h.update((path / "config.json").read_bytes())
    for f in sorted(path.iterdir()):
        if f.suffix in (".safetensors", ".bin"):
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


class OnnxTextEncoder:
    """Same vectors as ``SentenceTransformer(path)`` for a plain stack (``plain_sentence_stack``)."""

    def __init__(self, model: str, path: str | Path, stack: dict, *, batch_size: int = 32,
                 max_seq_length: int | None = None, cache_dir: Path | None = None):
        self.name = model
        self.batch_size = batch_size
        self._path = Path(path)
        self._pooling = stack["pooling"]
        self._lower = stack["do_lower_case"]
        config = json.loads((self._path / "config.json").read_text())
        self.dim = int(config["hidden_size"])
        limit = max_seq_length or stack["max_seq_length"] or config.get("max_position_embeddings", 512)
        self.max_tokens = int(min(limit, config.get("max_position_embeddings", limit)))
        self.tokenizer = _load_tokenizer(self._path)  # counts tokens: no truncation, no padding
        self._batch_tokenizer = _load_tokenizer(self._path, pad=True, truncate=self.max_tokens)
        folder = (cache_dir or default_cache_dir()) / "onnx" / f"{self._path.name}-{export_key(self._path, self.max_tokens)}"
        self.onnx_file = folder / "model.onnx"
        if not self.onnx_file.exists():
            export_onnx(self._path, self.onnx_file, model)
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()
        self._input_names = [i.name for i in self._session(1).get_inputs()]

    def _session(self, threads: int):
        """One session per thread count (1 for queries, onnxruntime's default for batches), made on first use."""
        with self._lock:
            if threads not in self._sessions:
                import onnxruntime as ort

                opts = ort.SessionOptions()
                opts.intra_op_num_threads = threads
                opts.inter_op_num_threads = 1
                try:
                    self._sessions[threads] = ort.InferenceSession(str(self.onnx_file), opts,
                                                                   providers=["CPUExecutionProvider"])
                except Exception as e:  # a truncated or foreign file: say which and how to rebuild it
                    raise ModelError(f"ONNX export {self.onnx_file} could not be loaded ({str(e)[:120]}); "
                                     "delete that folder to export the model again") from None
            return self._sessions[threads]

    def encode(self, texts: list[str], *, batch_size: int | None = None, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [t.lower() for t in texts] if self._lower else list(texts)
        session = self._session(1 if len(texts) <= SMALL_BATCH else 0)
        return encode_by_length(texts, self.dim, batch_size or self.batch_size,
                                lambda batch: self._embed(session, batch), progress)

    def _embed(self, session, batch: list[str]) -> np.ndarray:
        encs = self._batch_tokenizer.encode_batch(batch)
        feeds = {"input_ids": np.array([e.ids for e in encs], dtype=np.int64),
                 "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
                 "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64)}
        tokens = session.run(None, {k: feeds[k] for k in self._input_names})[0]
        mask = feeds["attention_mask"][..., None].astype(np.float32)
        if self._pooling == "cls_token":
            return tokens[:, 0]
        if self._pooling == "max_tokens":
            return np.where(mask > 0, tokens, -1e9).max(axis=1)
        return (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text.lower() if self._lower else text, add_special_tokens=False).ids)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return list(self.tokenizer.encode(text.lower() if self._lower else text, add_special_tokens=False).offsets)



def _load_tokenizer(path: Path, *, pad: bool = False, truncate: int | None = None):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    if truncate:
        tok.enable_truncation(truncate)
    if pad:
        try:
            pad_token = json.loads((path / "tokenizer_config.json").read_text()).get("pad_token") or "[PAD]"
        except (OSError, ValueError):
            pad_token = "[PAD]"
        pad_token = pad_token.get("content", "[PAD]") if isinstance(pad_token, dict) else pad_token
        tok.enable_padding(pad_id=tok.token_to_id(pad_token) or 0, pad_token=pad_token)
    return tok


def export_onnx(path: Path, onnx_file: Path, label: str = "") -> None:
    """Export the transformer of ``path`` to ``onnx_file`` (last hidden state, dynamic batch and length)."""
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    log.warning("exporting text encoder %s to ONNX once (cached in %s) …", label or path, onnx_file.parent)
    model = AutoModel.from_pretrained(str(path)).eval()
    sample = AutoTokenizer.from_pretrained(str(path))(["an example sentence to trace", "a second one"],
                                                      padding=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
            extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state

    batch, length = torch.export.Dim("batch"), torch.export.Dim("length", max=model.config.max_position_embeddings)
    onnx_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = onnx_file.with_suffix(f".{os.getpid()}.tmp")
    # The exporter prints its steps and warns about optional torchvision ops: noise for a user.
    quiet = logging.getLogger("torch.onnx")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(LastHiddenState(model).eval(), tuple(sample[n] for n in names), str(tmp),
                              input_names=names, output_names=["last_hidden_state"],
                              dynamic_shapes=tuple({0: batch, 1: length} for _ in names),
                              dynamo=True, external_data=False, verbose=False)
        os.replace(tmp, onnx_file)  # atomic: a concurrent process sees no file or a whole one
    finally:
        quiet.setLevel(level)
        tmp.unlink(missing_ok=True)
