"""What a format reader returns, and the install hint for a missing reader library."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from PIL import Image

from mmrag.errors import InputError


@dataclass
class Section:
    """A run of text from one place in a document: a PDF page, a slide, a sheet, or the text under a heading."""

    text: str
    page: int | None = None
    slide: int | None = None
    sheet: str | None = None
    heading: str | None = None
    #: True when the text was read by OCR from the rendered page (no text layer).
    ocr: bool = False

    @property
    def where(self) -> dict[str, Any]:
        """The locator kept in item metadata (what citations show)."""
        out: dict[str, Any] = {}
        for k in ("page", "slide", "sheet", "heading"):
            v = getattr(self, k)
            if v is not None and v != "":
                out[k] = v
        if self.ocr:
            out["ocr"] = True
        return out


@dataclass
class EmbeddedImage:
    """A picture inside a document, with the text around it as its caption."""

    image: Image.Image
    context: str
    page: int | None = None
    slide: int | None = None


@dataclass
class Document:
    title: str | None
    sections: list[Section]
    images: list[EmbeddedImage] = field(default_factory=list)
    format: str = ""

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections if s.text.strip())


def require(module: str, dist: str, what: str, extra: str = "docs") -> ModuleType:
    """Import a reader library or raise a one-line install hint naming the extra that brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(f"reading {what} needs the package '{dist}': run `pip install 'mmrag[{extra}]'` (or `pip install {dist}`)") from None


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160] or type(exc).__name__


def clean(text: str) -> str:
    """Normalise line ends and strip trailing spaces; keeps blank lines (paragraph breaks)."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()
