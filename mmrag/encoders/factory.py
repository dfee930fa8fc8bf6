"""Build encoders from config. Loaded models are cached per process by reference."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from mmrag.config import ImageTextEncoderConfig, MMRAGConfig, TextEncoderConfig
from mmrag.encoders.base import ImageTextEncoder, TextEncoder
from mmrag.errors import ConfigError, ModelError
from mmrag.registry import CorpusSpec

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _text(model: str, device: str, batch_size: int, max_seq_length: int | None, runtime: str) -> TextEncoder:
    from mmrag.encoders.transformers_text import TransformersTextEncoder, plain_sentence_stack
    from mmrag.model_refs import resolve_model_ref

    path = resolve_model_ref(model)
    stack = plain_sentence_stack(path)
    onnx_ok = stack is not None and device == "cpu" and (Path(path) / "tokenizer.json").exists()
    if runtime == "onnx" and not onnx_ok:
        raise ConfigError(f"encoders.text.runtime = onnx needs a CPU device and a plain sentence-transformers "
                          f"folder with tokenizer.json; '{model}' is not one: use runtime: torch")
    if runtime != "torch" and stack is not None and onnx_ok:
        from mmrag.encoders.onnx_text import OnnxTextEncoder

        try:
            return OnnxTextEncoder(model, path, stack, batch_size=batch_size, max_seq_length=max_seq_length)
        except ModelError:
            raise
        except Exception as e:  # an architecture the exporter cannot trace: torch runs it
            if runtime == "onnx":
                raise ModelError(f"text encoder '{model}' could not be exported to ONNX ({str(e)[:160]}); "
                                 "use encoders.text.runtime: torch") from None
            log.warning("text encoder %s: ONNX export failed (%s); running it with torch", model, str(e)[:160])
    if stack is not None:
        return TransformersTextEncoder(model, path, stack, device=device, batch_size=batch_size,
                                       max_seq_length=max_seq_length)
    from mmrag.encoders.text import SentenceTransformerEncoder

    return SentenceTransformerEncoder(model, device=device, batch_size=batch_size, max_seq_length=max_seq_length)


@lru_cache(maxsize=2)
def _image_text(model: str, device: str, batch_size: int) -> ImageTextEncoder:
    from mmrag.encoders.image_text import HFImageTextEncoder

    return HFImageTextEncoder(model, device=device, batch_size=batch_size)


def load_text_encoder(cfg: TextEncoderConfig, model: str | None = None) -> TextEncoder:
    """The text encoder of ``cfg`` (or ``model`` instead of cfg.model, for a per-corpus override)."""
    return _text(model or cfg.model, cfg.device, cfg.batch_size, cfg.max_seq_length, cfg.runtime)


def load_image_text_encoder(cfg: ImageTextEncoderConfig | None, model: str | None = None) -> ImageTextEncoder | None:
    if cfg is None and model is None:
        return None
    if cfg is None:
        cfg = ImageTextEncoderConfig(model=model)  # type: ignore[arg-type]
    return _image_text(model or cfg.model, cfg.device, cfg.batch_size)


def corpus_encoders(cfg: MMRAGConfig, spec: CorpusSpec) -> tuple[TextEncoder, ImageTextEncoder | None]:
    """The corpus's encoders: its registry overrides, else the pipeline's. Image-text only for media corpora."""
    text = load_text_encoder(cfg.encoders.text, spec.encoders.text)
    image = None
    if spec.modality in ("image", "video"):
        image = load_image_text_encoder(cfg.encoders.image_text, spec.encoders.image_text)
    return text, image
