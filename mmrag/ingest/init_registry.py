"""A starting corpus registry for a folder of mixed files: one corpus per kind of file found in it."""

from __future__ import annotations

import os
from pathlib import Path

from mmrag.ingest.formats import PAGE_EXTENSIONS
from mmrag.ingest.sorting import AUDIO_EXTENSIONS, IMAGE_EXTS, TEXTLIKE, VIDEO_EXTS, is_sidecar, walk

#: (route, modality, granularity, description, extensions that call for it)
KINDS = [
    ("paragraph", "text", "paragraph", "Passages of the text files and documents, for specific factual questions.", TEXTLIKE),
    ("document", "text", "document", "Whole text files and documents, for questions that combine several facts.", TEXTLIKE),
    ("page", "image", "page", "Pages of PDFs and slide decks as images, for questions about charts, tables, forms and layout.", PAGE_EXTENSIONS),
    ("image", "image", "image", "Images (photos, diagrams, charts) with their captions, for questions about what something looks like.", IMAGE_EXTS),
    ("clip", "video", "clip", "Short time segments of videos, for questions about a specific moment or step.", VIDEO_EXTS),
    ("video", "video", "video", "Whole videos, for questions about what a complete video covers.", VIDEO_EXTS),
    ("audio", "audio", "clip", "Time spans of audio recordings (meetings, talks, podcasts), for questions about what was said.", AUDIO_EXTENSIONS),
]


def registry_for_folder(folder: Path, out: Path) -> tuple[dict, dict[str, int]]:
    """(registry mapping, files per route) for ``folder``; sources are relative to ``out``'s folder."""
    files, _ = walk([folder])
    files = [f for f in files if not is_sidecar(f)]
    prefix = folder.resolve().name.replace(" ", "-").lower() or "corpus"
    source = os.path.relpath(folder.resolve(), out.resolve().parent)
    corpora, counts = [], {}
    for route, modality, granularity, description, exts in KINDS:
        n = sum(1 for f in files if f.suffix.lower() in exts)
        if n:
            counts[route] = n
            corpora.append({"name": f"{prefix}-{route}", "route": route, "modality": modality, "granularity": granularity,
                            "collection": f"{prefix}_{route}".replace("-", "_"), "description": description, "sources": [source]})
    return {"corpora": corpora}, counts
