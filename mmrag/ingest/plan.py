"""Planning: what items a set of paths yields, with their keys and ids, before anything expensive runs.

A ``Unit`` is a planned item: its key and deterministic id are known up front (from the content hash), and
``build()`` does the expensive part (decoding, OCR, ASR) only for units the store does not have yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from mmrag.types import Item


@dataclass
class Built:
    """A built item: the Item, its text chunks (chunk 0 rides on the head point) and images to embed.

    ``image_groups``: each group is mean-pooled into one vector and the groups' vectors are mean-pooled
    again (an image: [[img]]; a clip: [frames]; a whole video: one group per clip).
    """

    item: Item
    chunks: list[str]
    image_groups: list[list[Image.Image]] = field(default_factory=list)


@dataclass
class Unit:
    key: str
    id: str
    source: str
    build: Callable[[], Built]
    #: Called for every unit that will be built, before any is built (lets units of one file share decoding).
    prepare: Callable[[], None] | None = None
    #: Text length when known at plan time: batches of similar lengths pad less in the encoder.
    size: int = 0


@dataclass
class Skipped:
    path: str
    reason: str


def unit_failure(source: str, error: Exception) -> Skipped:
    """A Skipped entry for an unexpected error while planning or building one item (the run goes on)."""
    from mmrag.errors import MMRAGError

    if isinstance(error, MMRAGError):
        return Skipped(source, str(error))
    detail = " ".join(str(error).split())[:120]
    return Skipped(source, f"could not read '{source}' ({type(error).__name__}{': ' + detail if detail else ''}): "
                           "check that it opens in its application, or re-export it")


@dataclass
class SourceFile:
    path: Path
    rel: str


def media_sidecar_owner(path: Path) -> Path | None:
    """The image or video that ``path`` describes (``NAME.txt``/``.srt``/``.vtt``/``.transcript.json`` beside
    ``NAME.png`` or ``NAME.mp4``), else None. Such a file is read with its media, never as a text item."""
    from mmrag.media.images import IMAGE_EXTENSIONS
    from mmrag.media.video import VIDEO_EXTENSIONS

    stem = path.name[: -len(".transcript.json")] if path.name.endswith(".transcript.json") else path.stem
    for ext in IMAGE_EXTENSIONS | VIDEO_EXTENSIONS:
        for cand in (path.with_name(stem + ext), path.with_name(stem + ext.upper())):
            if cand != path and cand.is_file():
                return cand
    return None


def discover(paths: list[Path], accept: set[str], ignore: set[str], kind: str,
             skip_media_sidecars: bool = False) -> tuple[list[SourceFile], list[Skipped]]:
    """Files under ``paths`` with an accepted extension; unknown extensions and missing paths are reported.

    ``skip_media_sidecars``: leave out files that describe an image or video in the same folder (a text corpus
    fed a mixed folder must not store a picture's caption as a passage).
    """
    files: list[SourceFile] = []
    skipped: list[Skipped] = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            skipped.append(Skipped(str(p), "path does not exist: check the path or the corpus 'sources'"))
            continue
        if p.is_dir():
            root = p
            candidates = sorted(f for f in p.rglob("*") if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts))
        else:
            root, candidates = None, [p]
        for f in candidates:
            ext = f.suffix.lower()
            if skip_media_sidecars and root is not None and media_sidecar_owner(f) is not None:
                continue  # a caption or subtitle file: it belongs to its media file
            if ext in accept:
                files.append(SourceFile(f, f.relative_to(root).as_posix() if root else f.name))
            elif ext in ignore and root is not None:
                continue  # sidecars (captions, subtitles, manifests) are read with their media file
            else:
                skipped.append(Skipped(str(f), f"unknown extension '{ext or f.name}' for {'an' if kind[0] in 'aeiou' else 'a'} {kind} corpus (expected {', '.join(sorted(accept))})"))
    return files, skipped
