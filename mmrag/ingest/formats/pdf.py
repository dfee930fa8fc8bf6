"""PDF: the text layer of each page with pypdfium2 (PDFium); pages without one are OCR'd from their rendering."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from mmrag.errors import InputError
from mmrag.ingest.formats.base import Document, EmbeddedImage, Section, clean, one_line, require

#: Render scale for OCR and page images: 2.0 = 144 dpi, enough for PP-OCR on body text.
RENDER_SCALE = 2.0
#: Pictures smaller than this (icons, rules, bullets) are not worth an image item.
MIN_IMAGE_SIDE = 64


def _pdfium():
    return require("pypdfium2", "pypdfium2", "PDF files")


@contextmanager
def open_pdf(path: Path):
    """The open PDF; ``InputError`` for encrypted, corrupt and page-less files."""
    pdfium = _pdfium()
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        raise InputError(_open_failure(path, one_line(e))) from None
    try:
        if len(pdf) == 0:
            raise InputError(f"PDF '{path}' has no pages: re-export the document or remove the file")
        yield pdf
    finally:
        pdf.close()


def _open_failure(path: Path, msg: str) -> str:
    """Why PDFium refused the file. Its error code is process-global and not reset on every failure (an empty
    page tree fails with the previous file's code), so the file's own bytes decide where they can."""
    data = path.read_bytes()
    if b"/Encrypt" in data or "password" in msg.lower():
        return f"PDF '{path}' is password-protected: save an unprotected copy (e.g. print to PDF) and ingest that"
    if re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Type\s*/Page(?!s)", data):
        return f"PDF '{path}' has no pages: re-export the document or remove the file"
    return f"PDF '{path}' is corrupt or not a PDF ({msg}): re-export or replace the file"


def page_count(path: Path) -> int:
    with open_pdf(path) as pdf:
        return len(pdf)


def render_page(page, scale: float = RENDER_SCALE) -> Image.Image:
    return page.render(scale=scale).to_pil().convert("RGB")


def page_text(page) -> str:
    tp = page.get_textpage()
    try:
        return clean(tp.get_text_range())
    finally:
        tp.close()


def read_page(pdf, index: int, ocr=None, *, render: bool = False) -> tuple[str, bool, Image.Image | None]:
    """(text, text came from OCR, rendered image if asked or needed) of page ``index`` (0-based)."""
    page = pdf[index]
    try:
        text = page_text(page)
        img = render_page(page) if render or (not text and ocr is not None) else None
        if not text and ocr is not None:
            return clean(ocr.read(img)), True, img
        return text, False, img
    finally:
        page.close()


def _page_images(pdf, index: int, context: str) -> list[EmbeddedImage]:
    pdfium = _pdfium()
    page = pdf[index]
    out = []
    try:
        for obj in page.get_objects(filter=(pdfium.raw.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
            try:
                img = obj.get_bitmap(render=False).to_pil().convert("RGB")
            except (pdfium.PdfiumError, OSError, ValueError):
                continue  # an image format PDFium cannot hand out (e.g. JBIG2 masks): the page image has it
            if min(img.size) >= MIN_IMAGE_SIDE:
                out.append(EmbeddedImage(img, context, page=index + 1))
    finally:
        page.close()
    return out


def read_pdf(path: Path, *, ocr=None, images: bool = False) -> Document:
    pdfium = _pdfium()
    sections: list[Section] = []
    pictures: list[EmbeddedImage] = []
    with open_pdf(path) as pdf:
        try:
            title = (pdf.get_metadata_dict().get("Title") or "").strip() or None
            for i in range(len(pdf)):
                text, from_ocr, _ = read_page(pdf, i, ocr)
                sections.append(Section(text, page=i + 1, ocr=from_ocr))
                if images:
                    pictures.extend(_page_images(pdf, i, " ".join(text.split()[:60])))
        except pdfium.PdfiumError as e:
            raise InputError(f"PDF '{path}' is damaged ({one_line(e)}): re-export or replace the file") from None
    if not any(s.text for s in sections):
        hint = "it has no text layer and OCR is off (ingest.ocr=true reads scanned pages)" if ocr is None else "no text layer and OCR found no text"
        raise InputError(f"PDF '{path}' has no text: {hint}")
    return Document(title or path.stem.replace("_", " ").replace("-", " "), sections, pictures, format="pdf")
