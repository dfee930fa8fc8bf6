"""Units of text corpora read from documents (PDF, DOCX, PPTX, XLSX/CSV, HTML).

Passages never cross a page or slide, so each keeps its page/slide/sheet in ``Item.metadata`` (what citations
show). A whole document is chunked page by page and each chunk starts with its locator, e.g. "(page 3)".
Parsing (and OCR of scanned pages) is cached per file hash, so re-ingesting an unchanged folder reads nothing again.
"""

from __future__ import annotations

import json
from pathlib import Path

from mmrag.config import IngestConfig
from mmrag.encoders.base import TextEncoder
from mmrag.ingest.chunking import chunk_text
from mmrag.ingest.formats import Document, Section, read_document
from mmrag.ingest.keys import item_id, sha1_file, sha1_text
from mmrag.ingest.plan import Built, Skipped, SourceFile, Unit, unit_failure
from mmrag.ingest.text import split_paragraphs
from mmrag.registry import CorpusSpec
from mmrag.types import Item

#: Bump when the readers' output changes, so cached parses are not reused.
PARSE_VERSION = 1


def locator_text(where: dict) -> str:
    """'page 3', 'slide 2', 'sheet Prices' — the short label put before a chunk and shown in citations."""
    for k in ("page", "slide", "sheet"):
        if k in where:
            return f"{k} {where[k]}"
    return ""


class DocumentCache:
    """Parsed documents by file hash (a JSON file each) under ``data_dir/cache/docs``."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def _path(self, sha: str) -> Path | None:
        return self.folder / f"{sha}.json" if self.folder else None

    def get(self, sha: str) -> Document | None:
        p = self._path(sha)
        if p is None or not p.is_file():
            return None
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
            if d.get("v") != PARSE_VERSION:
                return None
            return Document(d["title"], [Section(**s) for s in d["sections"]], format=d.get("format", ""))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged cache entry is only a lost shortcut

    def put(self, sha: str, doc: Document) -> None:
        p = self._path(sha)
        if p is None:
            return
        p.parent.mkdir(parents=True, exist_ok=True)
        data = {"v": PARSE_VERSION, "title": doc.title, "format": doc.format,
                "sections": [{k: getattr(s, k) for k in ("text", "page", "slide", "sheet", "heading", "ocr")} for s in doc.sections]}
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(p)


def load_document(f: SourceFile, ocr, cache: DocumentCache, timings=None) -> Document:
    """The parsed document, from the cache when the file (and the OCR setting) is unchanged."""
    sha = sha1_file(f.path, f"ocr={ocr is not None}")
    doc = cache.get(sha)
    if doc is None:
        if timings is not None:
            with timings.timed("parse"):
                doc = read_document(f.path, ocr=ocr)
        else:
            doc = read_document(f.path, ocr=ocr)
        cache.put(sha, doc)
    return doc


def plan_documents(spec: CorpusSpec, files: list[SourceFile], cfg: IngestConfig, encoder: TextEncoder, ocr,
                   cache: DocumentCache, timings=None) -> tuple[list[Unit], list[Skipped]]:
    skipped: list[Skipped] = []
    units: list[Unit] = []
    for f in files:
        try:
            doc = load_document(f, ocr, cache, timings)
        except Exception as e:  # a reader library choking on one odd file must not stop the folder
            skipped.append(unit_failure(str(f.path), e))
            continue
        if spec.granularity == "paragraph":
            i = 0
            for s in doc.sections:
                for passage in split_paragraphs(s.text, cfg.paragraph_min_words, cfg.paragraph_max_words):
                    units.append(_passage_unit(spec, f, doc, s, passage, i))
                    i += 1
        else:
            units.append(_document_unit(spec, f, doc, encoder, cfg))
    return units, skipped


def _item(spec: CorpusSpec, f: SourceFile, doc: Document, iid: str, key: str, text: str, meta: dict) -> Item:
    return Item(id=iid, key=key, corpus=spec.name, route=spec.route, modality="text", granularity=spec.granularity,
                source=str(f.path), title=doc.title, text=text, metadata={"format": doc.format, **meta})


def _passage_unit(spec: CorpusSpec, f: SourceFile, doc: Document, s: Section, passage: str, index: int) -> Unit:
    key = f"{f.rel}#{index}"
    meta = {**s.where, "passage_index": index}
    iid = item_id(spec.name, key, sha1_text(passage + json.dumps(meta, sort_keys=True)))
    return Unit(key=key, id=iid, source=str(f.path), size=len(passage),
                build=lambda: Built(_item(spec, f, doc, iid, key, passage, meta), [passage]))


def _document_unit(spec: CorpusSpec, f: SourceFile, doc: Document, encoder: TextEncoder, cfg: IngestConfig) -> Unit:
    parts = []
    for s in doc.sections:
        loc = locator_text(s.where)
        parts.append(f"({loc})\n{s.text}" if loc else s.text)
    text = "\n\n".join(parts)
    iid = item_id(spec.name, f.rel, sha1_text(text))

    def build() -> Built:
        chunks: list[str] = []
        for s in doc.sections:
            loc = locator_text(s.where)
            for c in chunk_text(s.text, encoder, cfg.chunk_tokens, cfg.chunk_overlap_tokens):
                chunks.append(f"({loc}) {c}" if loc else c)
        pages = [s.page for s in doc.sections if s.page is not None]
        meta = {"pages": max(pages)} if pages else {}
        slides = [s.slide for s in doc.sections if s.slide is not None]
        if slides:
            meta["slides"] = max(slides)
        return Built(_item(spec, f, doc, iid, f.rel, text, meta), chunks)

    return Unit(key=f.rel, id=iid, source=str(f.path), build=build, size=len(text))
