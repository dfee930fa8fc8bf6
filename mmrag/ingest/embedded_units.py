"""Pictures inside PDF, DOCX and PPTX files as items of image corpora, captioned by the text around them.

Extraction runs once per file version: the pictures are written as PNGs under ``data_dir/cache/embedded/<sha>``
with an index of their captions and pages, which later ingests read instead of the document.
"""

from __future__ import annotations

import json
from pathlib import Path

from mmrag.ingest.formats import read_document
from mmrag.ingest.keys import item_id, sha1_file
from mmrag.ingest.plan import Built, Skipped, SourceFile, Unit, unit_failure
from mmrag.registry import CorpusSpec
from mmrag.types import Item

#: File types whose embedded pictures an image corpus takes.
EMBEDDING_EXTENSIONS = {".pdf", ".docx", ".pptx"}


def _extract(f: SourceFile, folder: Path) -> list[dict]:
    index = folder / "index.json"
    if index.is_file():
        try:
            return json.loads(index.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # rebuild a damaged index
    doc = read_document(f.path, images=True)
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, pic in enumerate(doc.images):
        out = folder / f"{i}.png"
        pic.image.save(out)
        entries.append({"path": str(out.resolve()), "caption": pic.context, "page": pic.page, "slide": pic.slide})
    tmp = index.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries), encoding="utf-8")
    tmp.replace(index)
    return entries


def plan_embedded_images(spec: CorpusSpec, files: list[SourceFile], ocr, timings, cache_dir: Path) -> tuple[list[Unit], list[Skipped]]:
    from mmrag.media.images import load_image

    units: list[Unit] = []
    skipped: list[Skipped] = []
    for f in files:
        sha = sha1_file(f.path)
        try:
            with timings.timed("extract"):
                entries = _extract(f, cache_dir / sha)
        except Exception as e:  # one odd file must not stop the folder
            skipped.append(unit_failure(str(f.path), e))
            continue
        for i, e in enumerate(entries):
            key = f"{f.rel}#image{i}"
            iid = item_id(spec.name, key, sha)

            def build(f=f, e=e, key=key, iid=iid) -> Built:
                with timings.timed("decode"):
                    img = load_image(e["path"])
                ocr_text = None
                if ocr is not None:
                    with timings.timed("ocr"):
                        ocr_text = ocr.read(img) or None
                meta = {"file": f.rel, "width": img.width, "height": img.height}
                meta.update({k: e[k] for k in ("page", "slide") if e.get(k) is not None})
                caption = e.get("caption") or None
                item = Item(id=iid, key=key, corpus=spec.name, route=spec.route, modality="image", granularity="image",
                            source=str(f.path), title=caption[:80] if caption else f.path.stem, caption=caption,
                            ocr_text=ocr_text, media_path=e["path"], metadata=meta)
                text = item.text_view
                return Built(item, [text] if text else [], [[img]])

            units.append(Unit(key=key, id=iid, source=str(f.path), build=build))
    return units, skipped
