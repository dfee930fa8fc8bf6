"""Build encoders from config. Loaded models are cached per process by reference."""

from __future__ import annotations

from functools import lru_cache

from mmrag.config import ImageTextEncoderConfig, MMRAGConfig, TextEncoderConfig
from mmrag.encoders.base import ImageTextEncoder, TextEncoder
from mmrag.registry import CorpusSpec


@lru_cache(maxsize=4)
def _text(model: str, device: str, batch_size: int, max_seq_length: int | None) -> TextEncoder:
    from mmrag.encoders.text import SentenceTransformerEncoder

    return SentenceTransformerEncoder(model, device=device, batch_size=batch_size, max_seq_length=max_seq_length)


@lru_cache(maxsize=2)
def _image_text(model: str, device: str, batch_size: int) -> ImageTextEncoder:
    from mmrag.encoders.image_text import HFImageTextEncoder

    return HFImageTextEncoder(model, device=device, batch_size=batch_size)


def load_text_encoder(cfg: TextEncoderConfig, model: str | None = None) -> TextEncoder:
    """The text encoder of ``cfg`` (or ``model`` instead of cfg.model, for a per-corpus override)."""
    return _text(model or cfg.model, cfg.device, cfg.batch_size, cfg.max_seq_length)


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
