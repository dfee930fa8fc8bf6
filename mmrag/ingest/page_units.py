"""Units of ``page`` corpora: each page of a PDF or slide deck as an image item (rendered page + its text).

The rendered page is stored as a JPEG under ``data_dir/cache/pages`` (``Item.media_path``), so the generator
can send it to the VLM like any image; its text (text layer, OCR of the render when there is none, or the
slide's text and notes) is the text view searched by the text encoder.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from mmrag.config import IngestConfig
from mmrag.errors import InputError
from mmrag.ingest.formats import PDF_EXTENSIONS
from mmrag.ingest.formats.base import clean
from mmrag.ingest.keys import item_id, sha1_file
from mmrag.ingest.plan import Built, Skipped, SourceFile, Unit, unit_failure
from mmrag.registry import CorpusSpec
from mmrag.types import Item


def page_key(rel: str, n: int) -> str:
    return f"{rel}#page{n}"


class _PdfFile:
    """One PDF kept open while its pages are built (opened on the first page, closed after the last)."""

    def __init__(self, path: Path, pages: int):
        self.path, self.pages, self.done, self.pdf = path, pages, 0, None
        #: Pages to build this run (stored ones are not): counted by the units' prepare().
        self.wanted = 0

    def page(self, n: int, ocr) -> tuple[str, bool, Image.Image]:
        from mmrag.ingest.formats.pdf import open_pdf, read_page

        if self.pdf is None:
            self._ctx = open_pdf(self.path)
            self.pdf = self._ctx.__enter__()
        try:
            text, from_ocr, img = read_page(self.pdf, n - 1, ocr, render=True)
        finally:
            self.done += 1
            if self.done >= self.wanted:
                self._ctx.__exit__(None, None, None)
                self.pdf = None
        return text, from_ocr, img


class _PptxFile:
    def __init__(self, path: Path):
        from mmrag.ingest.formats.pptx import open_presentation

        self.prs = open_presentation(path)
        self.slides = list(self.prs.slides)

    def page(self, n: int) -> tuple[str, Image.Image, str | None]:
        from mmrag.ingest.formats.pptx import slide_text
        from mmrag.ingest.formats.pptx_render import render_slide

        slide = self.slides[n - 1]
        heading, text = slide_text(slide)
        return clean(text), render_slide(self.prs, slide), heading


def plan_pages(spec: CorpusSpec, files: list[SourceFile], cfg: IngestConfig, ocr, timings, cache_dir: Path,
               need_image: bool = True) -> tuple[list[Unit], list[Skipped]]:
    """``need_image``: keep the rendered page for an image vector (an image-text encoder is configured)."""
    units: list[Unit] = []
    skipped: list[Skipped] = []
    for f in files:
        try:
            sha = sha1_file(f.path)
            if f.path.suffix.lower() in PDF_EXTENSIONS:
                from mmrag.ingest.formats.pdf import page_count

                src = _PdfFile(f.path, page_count(f.path))
                n_pages = src.pages
            else:
                src = _PptxFile(f.path)
                n_pages = len(src.slides)
                if n_pages == 0:
                    raise InputError(f"'{f.path}' has no slides: add slides or remove the file")
        except Exception as e:  # one odd file must not stop the folder
            skipped.append(unit_failure(str(f.path), e))
            continue
        title = f.path.stem.replace("_", " ").replace("-", " ")
        for n in range(1, n_pages + 1):
            key = page_key(f.rel, n)
            iid = item_id(spec.name, key, sha)
            units.append(Unit(key=key, id=iid, source=str(f.path),
                              build=lambda f=f, n=n, src=src, key=key, iid=iid, sha=sha, title=title: _build(
                                  spec, f, n, src, key, iid, sha, title, ocr, timings, cache_dir, need_image),
                              prepare=(lambda src=src: setattr(src, "wanted", src.wanted + 1)) if isinstance(src, _PdfFile) else None))
    return units, skipped


def _build(spec, f: SourceFile, n: int, src, key: str, iid: str, sha: str, title: str, ocr, timings, cache_dir: Path,
           need_image: bool) -> Built:
    meta = {"file": f.rel}
    with timings.timed("render"):
        if isinstance(src, _PdfFile):
            text, from_ocr, img = src.page(n, ocr)
            meta.update(page=n, format="pdf")
            if from_ocr:
                meta["ocr"] = True
            label = f"{title}, page {n}"
        else:
            text, img, heading = src.page(n)
            meta.update(slide=n, format="pptx")
            label = f"{title}, slide {n}" + (f": {heading}" if heading else "")
    out = cache_dir / sha / f"{n}.jpg"
    out.parent.mkdir(parents=True, exist_ok=True)
    with timings.timed("save"):
        # JPEG q90: a dense text page took 0.11 s as PNG (compress level 1) against ~0.01 s; the generator sends
        # JPEG to the VLM anyway (downscaled), so nothing it sees is lost.
        img.save(out, quality=90)
    meta.update(width=img.width, height=img.height)
    item = Item(id=iid, key=key, corpus=spec.name, route=spec.route, modality="image", granularity="page",
                source=str(f.path), title=label, text=text, media_path=str(out.resolve()), metadata=meta)
    # Without an image encoder the render is only the file the generator sends: don't hold it in the batch.
    return Built(item, [text] if text else [], [[img]] if need_image else [])
