"""Encoders: text and image-text models that turn items and queries into vectors."""

from mmrag.encoders.base import ImageTextEncoder, TextEncoder
from mmrag.encoders.factory import corpus_encoders, load_image_text_encoder, load_text_encoder

__all__ = ["TextEncoder", "ImageTextEncoder", "corpus_encoders", "load_text_encoder", "load_image_text_encoder"]
