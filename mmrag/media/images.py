"""Image loading, downscaling, data-URL encoding and caption sidecars.

Every failure a user can cause (missing, empty, corrupt or truncated file, bad sidecar encoding)
is an ``InputError`` naming the file, so a whole-folder ingest can report and skip it.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from mmrag.errors import InputError

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif"}

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


def load_image(path: str | Path) -> Image.Image:
    """Open an image fully decoded as RGB; ``InputError`` for anything that is not a readable image."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"image '{p}' does not exist: check the path")
    if p.stat().st_size == 0:
        raise InputError(f"image '{p}' is empty (0 bytes): replace or remove the file")
    try:
        # verify() catches structural damage cheaply but leaves the image unusable, so reopen;
        # load() then catches truncated pixel data that verify() does not read.
        with Image.open(p) as probe:
            probe.verify()
        with Image.open(p) as img:
            img.load()
            return _to_rgb(img)
    except UnidentifiedImageError:
        raise InputError(f"'{p}' is not a readable image: use one of {sorted(IMAGE_EXTENSIONS)}") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(f"image '{p}' is corrupt or truncated ({_one_line(exc)}): replace the file") from None


def _to_rgb(img: Image.Image) -> Image.Image:
    # Flatten transparency onto white rather than black, which is how viewers show it.
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        bg = Image.new("RGB", rgba.size, (255, 255, 255))
        bg.paste(rgba, mask=rgba.getchannel("A"))
        return bg
    return img.convert("RGB")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def downscale(img: Image.Image, max_pixels: int) -> Image.Image:
    """Shrink to at most ``max_pixels`` pixels, keeping the aspect ratio; small images are returned as is."""
    if max_pixels <= 0:
        raise ValueError("max_pixels must be positive")
    w, h = img.size
    if w * h <= max_pixels:
        return img
    scale = math.sqrt(max_pixels / (w * h))
    nw, nh = max(1, int(w * scale)), max(1, int(h * scale))
    return img.resize((nw, nh), Image.Resampling.LANCZOS)


def image_to_data_url(img: Image.Image, *, max_pixels: int | None = None, fmt: str = "JPEG") -> str:
    """Encode as a ``data:image/...;base64,`` URL for OpenAI-compatible chat image parts."""
    fmt = fmt.upper().replace("JPG", "JPEG")
    if fmt not in _MIME:
        raise ValueError(f"unsupported image format {fmt!r}; use one of {sorted(_MIME)}")
    if max_pixels is not None:
        img = downscale(img, max_pixels)
    if fmt == "JPEG" and img.mode != "RGB":
        img = _to_rgb(img)
    buf = io.BytesIO()
    img.save(buf, format=fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))
    return f"data:{_MIME[fmt]};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


def read_caption_sidecar(path: str | Path) -> str | None:
    """Caption from ``NAME.txt`` beside ``NAME.png``; None when absent or blank."""
    side = Path(path).with_suffix(".txt")
    if not side.is_file():
        return None
    try:
        text = side.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"caption file '{side}' is not UTF-8: re-save it as UTF-8") from None
    text = " ".join(text.split())
    return text or None
