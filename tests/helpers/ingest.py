"""Helpers for the ingest/store/retrieval tests (no tests here): configs, a tiny random CLIP, a tiny video."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from mmrag.config import MMRAGConfig, load_config
from mmrag.registry import CorpusSpec


def make_config(tmp_path: Path, **overrides) -> MMRAGConfig:
    base = {"data_dir": str(tmp_path / "data"), "ingest.asr": False, "ingest.ocr": False}
    base.update(overrides)
    return load_config(None, base)


def spec(name: str, route: str, modality: str, granularity: str, **kw) -> CorpusSpec:
    return CorpusSpec(name=name, route=route, modality=modality, granularity=granularity, description=f"{name} test corpus", **kw)


def write_registry(path: Path, corpora: list[dict]) -> Path:
    import yaml

    path.write_text(yaml.safe_dump({"corpora": corpora}), encoding="utf-8")
    return path


def tiny_clip(folder: Path) -> Path:
    """A random-weight CLIP (16-d projection) with a real CLIP tokenizer built from a tiny BPE vocabulary."""
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    letters = "abcdefghijklmnopqrstuvwxyz0123456789.,?!'"
    vocab_tokens = ["<|startoftext|>", "<|endoftext|>"] + list(letters) + [c + "</w>" for c in letters]
    vocab = {t: i for i, t in enumerate(vocab_tokens)}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    tokenizer = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    cfg = CLIPConfig(
        text_config={"vocab_size": len(vocab), "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                     "num_attention_heads": 2, "max_position_embeddings": 64, "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1},
        vision_config={"image_size": 32, "patch_size": 8, "hidden_size": 32, "intermediate_size": 64,
                       "num_hidden_layers": 2, "num_attention_heads": 2},
        projection_dim=16,
    )
    import torch

    torch.manual_seed(0)
    model = CLIPModel(cfg)
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}), tokenizer=tokenizer
    )
    out = folder / "clip"
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def colour_image(path: Path, colour: tuple[int, int, int], text: str | None = None, size=(96, 64)) -> Path:
    img = Image.new("RGB", size, colour)
    if text:
        ImageDraw.Draw(img).text((4, 4), text, fill=(0, 0, 0))
    img.save(path)
    return path


def tiny_video(path: Path, seconds: int = 4, fps: int = 5, size: int = 32, colours=None, audio: bool = False) -> Path:
    """An h264 video whose colour changes every second (so frames differ per clip); optionally a silent AAC track."""
    import av

    colours = colours or [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255)]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        rate = 16000
        astream = out.add_stream("aac", rate=rate) if audio else None  # every stream before the first packet
        for i in range(seconds * fps):
            arr = np.zeros((size, size, 3), np.uint8)
            arr[:] = colours[(i // fps) % len(colours)]
            frame = av.VideoFrame.from_ndarray(arr, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if astream is not None:
            for i in range(seconds * rate // 1024):
                frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
                frame.sample_rate, frame.pts = rate, i * 1024
                for packet in astream.encode(frame):
                    out.mux(packet)
            for packet in astream.encode():
                out.mux(packet)
    return path


def write_srt(path: Path, cues: list[tuple[float, float, str]]) -> Path:
    def ts(t: float) -> str:
        ms = int(round(t * 1000))
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    blocks = [f"{i}\n{ts(s)} --> {ts(e)}\n{text}\n" for i, (s, e, text) in enumerate(cues, 1)]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


class CountingEncoder:
    """Wraps a text encoder: counts texts encoded, and raises after ``fail_after`` encode calls."""

    def __init__(self, inner, fail_after: int | None = None):
        self.inner = inner
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        self.tokenizer = inner.tokenizer
        self.calls = 0
        self.texts = 0
        self.fail_after = fail_after

    def encode(self, texts, *, batch_size=None, progress=False):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt("simulated interruption")
        self.calls += 1
        self.texts += len(texts)
        return self.inner.encode(texts, batch_size=batch_size)

    def count_tokens(self, text):
        return self.inner.count_tokens(text)
