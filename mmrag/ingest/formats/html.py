"""HTML with trafilatura: the main content (boilerplate such as menus and footers removed), tables kept, title kept."""

from __future__ import annotations

from pathlib import Path

from mmrag.errors import InputError
from mmrag.ingest.formats.base import Document, Section, clean, require


def read_html(path: Path) -> Document:
    trafilatura = require("trafilatura", "trafilatura", "HTML files")
    raw = path.read_bytes()
    # favor_recall: short pages (a FAQ entry, a single section) are otherwise dropped as "too little content".
    text = trafilatura.extract(raw, output_format="txt", include_tables=True, include_comments=False,
                               favor_recall=True, with_metadata=False)
    text = clean(text or "")
    if not text:
        raise InputError(f"HTML page '{path}' has no main text (empty, or only scripts/menus): save the rendered page or remove the file")
    meta = trafilatura.extract_metadata(raw)
    title = (meta.title if meta is not None and meta.title else None) or path.stem.replace("_", " ").replace("-", " ")
    # trafilatura puts one paragraph per line: blank lines let the paragraph splitter see them.
    return Document(title, [Section(text.replace("\n", "\n\n"))], format="html")
