"""Image-text encoder (CLIP, SigLIP, ...) through transformers' AutoModel + AutoProcessor."""

from __future__ import annotations

import numpy as np
from PIL import Image

from mmrag.encoders.base import l2_normalise
from mmrag.errors import ModelError
from mmrag.model_refs import resolve_model_ref


def _as_tensor(out):
    # transformers may return a tensor or a model output holding the pooled embedding.
    if hasattr(out, "image_embeds") and out.image_embeds is not None:
        return out.image_embeds
    if hasattr(out, "text_embeds") and out.text_embeds is not None:
        return out.text_embeds
    if hasattr(out, "pooler_output"):
        return out.pooler_output
    return out


class HFImageTextEncoder:
    """Images and text queries embedded into one space by a dual-tower model."""

    def __init__(self, model: str, *, device: str = "cpu", batch_size: int = 16):
        import torch
        from transformers import AutoModel, AutoProcessor

        self.name = model
        self.batch_size = batch_size
        self.device = device
        path = resolve_model_ref(model)
        try:
            self._model = AutoModel.from_pretrained(path).to(device).eval()
            self._processor = AutoProcessor.from_pretrained(path)
        except (OSError, ValueError) as e:
            raise ModelError(
                f"image-text encoder '{model}' could not be loaded ({str(e).splitlines()[0][:160]}); "
                "give a local path to a CLIP/SigLIP checkpoint when offline"
            ) from None
        self._torch = torch
        cfg = self._model.config
        self.dim = int(getattr(cfg, "projection_dim", None) or cfg.text_config.hidden_size)
        tok = getattr(self._processor, "tokenizer", None)
        self.max_tokens = int(getattr(cfg.text_config, "max_position_embeddings", 64))
        self._pad = "max_length" if "siglip" in type(self._model).__name__.lower() else True
        self._tokenizer = tok

    def encode_images(self, images: list[Image.Image], *, batch_size: int | None = None) -> np.ndarray:
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        bs = batch_size or self.batch_size
        out = []
        with self._torch.inference_mode():
            for i in range(0, len(images), bs):
                batch = [im.convert("RGB") for im in images[i : i + bs]]
                inputs = self._processor(images=batch, return_tensors="pt").to(self.device)
                feats = _as_tensor(self._model.get_image_features(pixel_values=inputs["pixel_values"]))
                out.append(feats.float().cpu().numpy())
        return l2_normalise(np.concatenate(out))

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._torch.inference_mode():
            inputs = self._processor(
                text=list(texts), return_tensors="pt", padding=self._pad, truncation=True, max_length=self.max_tokens
            ).to(self.device)
            kwargs = {"input_ids": inputs["input_ids"]}
            if "attention_mask" in inputs and self._pad != "max_length":
                kwargs["attention_mask"] = inputs["attention_mask"]
            feats = _as_tensor(self._model.get_text_features(**kwargs))
        return l2_normalise(feats.float().cpu().numpy())
