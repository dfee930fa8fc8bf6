"""Readers for the document formats people keep knowledge in: PDF, DOCX, PPTX, XLSX/CSV and HTML.

Each reader turns one file into a ``Document``: a title and ordered ``Section``s that keep where their text
came from (page, slide, sheet, heading), so passages, chunks and citations can name the page or slide.
The libraries are the ``mmrag[docs]`` extra; a missing one is a one-line install hint (``require``).
"""

from __future__ import annotations

from pathlib import Path

from mmrag.errors import InputError
from mmrag.ingest.formats.base import Document, EmbeddedImage, Section

PDF_EXTENSIONS = {".pdf"}
DOCX_EXTENSIONS = {".docx"}
PPTX_EXTENSIONS = {".pptx"}
SHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv"}
HTML_EXTENSIONS = {".html", ".htm", ".xhtml"}
#: Files a text corpus reads through a format reader (plain .txt/.md/.jsonl are read by mmrag.ingest.text).
DOCUMENT_EXTENSIONS = PDF_EXTENSIONS | DOCX_EXTENSIONS | PPTX_EXTENSIONS | SHEET_EXTENSIONS | HTML_EXTENSIONS
#: Files that have pages to render for the ``page`` route.
PAGE_EXTENSIONS = PDF_EXTENSIONS | PPTX_EXTENSIONS

__all__ = ["DOCUMENT_EXTENSIONS", "PAGE_EXTENSIONS", "Document", "EmbeddedImage", "Section", "read_document"]


def read_document(path: Path, *, ocr=None, images: bool = False) -> Document:
    """Read one document; ``InputError`` (one line, naming the file and what to do) for anything unreadable.

    ``ocr``: an ``OCR`` used for PDF pages without a text layer (None: such pages stay empty).
    ``images``: also collect embedded pictures with their surrounding text (for image corpora).
    """
    ext = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"'{path}' does not exist: check the path")
    if path.stat().st_size == 0:
        raise InputError(f"'{path}' is empty (0 bytes): replace or remove the file")
    if ext in PDF_EXTENSIONS:
        from mmrag.ingest.formats.pdf import read_pdf

        return read_pdf(path, ocr=ocr, images=images)
    if ext in DOCX_EXTENSIONS:
        from mmrag.ingest.formats.docx import read_docx

        return read_docx(path, images=images)
    if ext in PPTX_EXTENSIONS:
        from mmrag.ingest.formats.pptx import read_pptx

        return read_pptx(path, images=images)
    if ext in SHEET_EXTENSIONS:
        from mmrag.ingest.formats.sheets import read_sheet

        return read_sheet(path)
    if ext in HTML_EXTENSIONS:
        from mmrag.ingest.formats.html import read_html

        return read_html(path)
    raise InputError(f"'{path}': no reader for '{ext}' (readable: {', '.join(sorted(DOCUMENT_EXTENSIONS))})")
