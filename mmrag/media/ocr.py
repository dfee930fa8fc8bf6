"""OCR of images and video frames with rapidocr-onnxruntime (PP-OCR models shipped in the package).

Offline there is no image-text model, so recognised text is what makes images and keyframes
searchable by the text encoder.
"""

from __future__ import annotations

import threading
from typing import Any

from PIL import Image



class OCR:
    """Reads text lines from an image; the ONNX models load on first use, once per instance."""

    def __init__(self, min_confidence: float = 0.5, max_side: int = 2000) -> None:
        self.min_confidence = min_confidence
        # PP-OCR detection cost grows with area; huge scans gain nothing past ~2000 px.
        self.max_side = max_side
        self._engine: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:  # double-checked so concurrent first calls build one engine
            if self._engine is None:
                from mmrag.optional import require

                rapidocr = require("rapidocr_onnxruntime", extra="media", purpose="OCR", package="rapidocr-onnxruntime")
                self._engine = rapidocr.RapidOCR()
        return self._engine

    def read(self, img: Image.Image) -> str:
        """Recognised lines in reading order (top to bottom, left to right) joined by spaces."""
        engine = self._engine or self._load()
        img = img.convert("RGB")
        if max(img.size) > self.max_side:
            img = img.copy()
            img.thumbnail((self.max_side, self.max_side), Image.Resampling.LANCZOS)
        # onnxruntime sessions are thread-safe for run(); the engine keeps no per-call state we rely on.
        result, _ = engine(img, text_score=self.min_confidence)
        if not result:
            return ""
        boxes = [(box, str(text).strip(), float(score)) for box, text, score in result]
        boxes = [b for b in boxes if b[1] and b[2] >= self.min_confidence]
        return " ".join(text for _, text, _ in _reading_order(boxes))


def _reading_order(boxes: list[tuple[Any, str, float]]) -> list[tuple[Any, str, float]]:
    """Group boxes into rows (vertical centres within half a line height), rows top-down, boxes left-right."""
    def geom(b: tuple[Any, str, float]) -> tuple[float, float, float]:
        ys = [float(p[1]) for p in b[0]]
        xs = [float(p[0]) for p in b[0]]
        return (min(ys) + max(ys)) / 2, max(ys) - min(ys), min(xs)

    rows: list[list[tuple[float, float, float, tuple[Any, str, float]]]] = []
    for b in sorted(boxes, key=lambda b: geom(b)[0]):
        cy, h, x = geom(b)
        if rows:
            last = rows[-1]
            ref_cy = sum(r[0] for r in last) / len(last)
            ref_h = max(r[1] for r in last)
            if abs(cy - ref_cy) <= max(h, ref_h) / 2:
                last.append((cy, h, x, b))
                continue
        rows.append([(cy, h, x, b)])
    return [r[3] for row in rows for r in sorted(row, key=lambda r: r[2])]
