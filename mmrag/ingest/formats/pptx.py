"""PPTX with python-pptx: one section per slide (title, text boxes, tables, speaker notes), slide number kept."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from mmrag.errors import InputError
from mmrag.ingest.formats.base import Document, EmbeddedImage, Section, one_line, require
from mmrag.ingest.formats.docx import table_rows


def open_presentation(path: Path):
    pptx = require("pptx", "python-pptx", "PowerPoint (.pptx) files")
    from pptx.exc import PackageNotFoundError

    try:
        return pptx.Presentation(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise InputError(f"'{path}' is not a valid .pptx ({one_line(e)}): re-save it as .pptx (PowerPoint 2007+)") from None


def iter_shapes(shapes):
    """Shapes in reading order (top to bottom, left to right), group shapes opened."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    def pos(s):
        return (s.top or 0, s.left or 0)

    for s in sorted(shapes, key=pos):
        if s.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from iter_shapes(s.shapes)
        else:
            yield s


def slide_text(slide) -> tuple[str | None, str]:
    """(slide title, the slide's text including its speaker notes)."""
    title_shape = slide.shapes.title
    title = " ".join(title_shape.text_frame.text.split()) if title_shape is not None and title_shape.has_text_frame else None
    parts: list[str] = []
    for s in iter_shapes(slide.shapes):
        if s.has_text_frame:
            text = "\n".join(" ".join(p.text.split()) for p in s.text_frame.paragraphs if p.text.strip())
            if text:
                parts.append(text)
        elif getattr(s, "has_table", False) and s.has_table:
            rows = [[" ".join(c.text.split()) for c in r.cells] for r in s.table.rows]
            parts.extend(table_rows(rows))
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        if notes is not None and notes.text.strip():
            parts.append("Speaker notes: " + " ".join(notes.text.split()))
    return title or None, "\n".join(parts)


def slide_pictures(slide) -> list[tuple[Image.Image, object]]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    out = []
    for s in iter_shapes(slide.shapes):
        if s.shape_type == MSO_SHAPE_TYPE.PICTURE:
            try:
                with Image.open(io.BytesIO(s.image.blob)) as im:
                    im.load()
                    out.append((im.convert("RGB"), s))
            except (UnidentifiedImageError, OSError, ValueError):
                continue  # vector formats Pillow cannot decode
    return out


def read_pptx(path: Path, *, images: bool = False) -> Document:
    prs = open_presentation(path)
    sections: list[Section] = []
    pictures: list[EmbeddedImage] = []
    title = (prs.core_properties.title or "").strip() or None
    for n, slide in enumerate(prs.slides, start=1):
        heading, text = slide_text(slide)
        if title is None and heading:
            title = heading
        if text.strip():
            sections.append(Section(text, slide=n, heading=heading))
        if images:
            pictures.extend(EmbeddedImage(im, " ".join(text.split()[:60]), slide=n) for im, _ in slide_pictures(slide))
    if not sections:
        raise InputError(f"'{path}' has no text on any slide (and no speaker notes): add text or remove the file")
    return Document(title or path.stem.replace("_", " ").replace("-", " "), sections, pictures, format="pptx")
