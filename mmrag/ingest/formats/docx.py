"""DOCX with python-docx: headings, paragraphs and tables (as header: value rows), in document order."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from mmrag.errors import InputError
from mmrag.ingest.formats.base import Document, EmbeddedImage, Section, one_line, require
from mmrag.ingest.formats.sheets import row_text

_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"


def _heading_level(paragraph) -> int | None:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name == "Title":
        return 0
    if name.startswith("Heading"):
        digits = name[len("Heading"):].strip()
        return int(digits) if digits.isdigit() else 1
    return None


def table_rows(rows: list[list[str]]) -> list[str]:
    """Rows of a table as text, each with the first row as its header."""
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if not body:
        return [" | ".join(c for c in header if c.strip())]
    return [row_text(header, r) for r in body]


def _pictures(paragraph, doc) -> list[Image.Image]:
    out = []
    for blip in paragraph._p.iter(_BLIP):
        rid = blip.get(_EMBED)
        part = doc.part.related_parts.get(rid) if rid else None
        if part is None:
            continue
        try:
            with Image.open(io.BytesIO(part.blob)) as im:
                im.load()
                out.append(im.convert("RGB"))
        except (UnidentifiedImageError, OSError):
            continue  # EMF/WMF vector drawings: Pillow cannot decode them
    return out


def read_docx(path: Path, *, images: bool = False) -> Document:
    docx = require("docx", "python-docx", "Word (.docx) files")
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        doc = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError) as e:
        raise InputError(f"'{path}' is not a valid .docx ({one_line(e)}): re-save it as .docx (Word 2007+) from its editor") from None
    title = (doc.core_properties.title or "").strip() or None
    sections: list[Section] = []
    pictures: list[EmbeddedImage] = []
    heading: str | None = None
    last_text = ""
    lines: list[str] = []

    def flush() -> None:
        if any(ln.strip() for ln in lines):
            sections.append(Section("\n\n".join(ln for ln in lines if ln.strip()), heading=heading))
        lines.clear()

    for block in doc.iter_inner_content():
        if isinstance(block, Table):
            rows = [[" ".join(c.text.split()) for c in r.cells] for r in block.rows]
            lines.append("\n".join(table_rows(rows)))
            continue
        text = " ".join(block.text.split())
        level = _heading_level(block)
        if level is not None and text:
            flush()
            heading = text
            if title is None and level <= 1:
                title = text
            lines.append(f"{'#' * max(1, level)} {text}")
        elif text:
            lines.append(text)
        if images:
            # A picture usually sits in an empty paragraph: its caption is the heading plus the text just before it.
            near = text if text and text != heading else last_text
            context = " — ".join(dict.fromkeys(t for t in (heading, near) if t))
            pictures.extend(EmbeddedImage(im, context) for im in _pictures(block, doc))
        if text and level is None:
            last_text = " ".join(text.split()[:60])
    flush()
    if images:
        # A picture's own paragraph is usually empty: give it the text that follows or precedes it.
        _fill_context(pictures, sections)
    if not sections:
        raise InputError(f"'{path}' has no text (no paragraphs or tables): add text or remove the file")
    return Document(title or path.stem.replace("_", " ").replace("-", " "), sections, pictures, format="docx")


def _fill_context(pictures: list[EmbeddedImage], sections: list[Section]) -> None:
    fallback = " ".join(sections[0].text.split()[:60]) if sections else ""
    for p in pictures:
        if not p.context:
            p.context = fallback
