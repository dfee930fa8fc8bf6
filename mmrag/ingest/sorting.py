"""Which corpora a file belongs to, by its type: one rule for `mmrag ingest PATH…` (no --corpus), `--all` and `init`.

text, Markdown, JSONL and documents -> text corpora (paragraph and document); PDF/PPTX also -> page corpora;
images -> image corpora; videos -> clip and video corpora; audio -> audio corpora. Sidecars (a caption
``NAME.txt`` beside ``NAME.png``, subtitles beside a video, a caption manifest) belong to their media file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from mmrag.ingest.formats import DOCUMENT_EXTENSIONS, PAGE_EXTENSIONS
from mmrag.ingest.text import JSONL_EXTENSIONS, TEXT_EXTENSIONS
from mmrag.media.images import IMAGE_EXTENSIONS
from mmrag.media.video import VIDEO_EXTENSIONS
from mmrag.registry import CorpusRegistry, CorpusSpec

IMAGE_EXTS = set(IMAGE_EXTENSIONS)
VIDEO_EXTS = set(VIDEO_EXTENSIONS)
AUDIO_EXTENSIONS = {".mp3", ".wav", ".m4a", ".flac", ".ogg"}
TEXTLIKE = TEXT_EXTENSIONS | JSONL_EXTENSIONS | DOCUMENT_EXTENSIONS
SIDECAR_EXTENSIONS = {".txt", ".srt", ".vtt", ".json", ".jsonl"}
MEDIA_EXTENSIONS = IMAGE_EXTS | VIDEO_EXTS | AUDIO_EXTENSIONS


def corpus_extensions(spec: CorpusSpec) -> set[str]:
    """The file types a corpus reads."""
    if spec.modality == "text":
        return TEXTLIKE
    if spec.granularity == "page":
        return PAGE_EXTENSIONS
    if spec.modality == "image":
        return IMAGE_EXTS | {".pdf", ".docx", ".pptx"}  # pictures embedded in documents, captioned by their text
    if spec.modality == "video":
        return VIDEO_EXTS
    return AUDIO_EXTENSIONS


def walk(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """(files under the paths, hidden files and folders left out; paths that do not exist)."""
    files, missing = [], []
    for p in paths:
        p = Path(p)
        if not p.exists():
            missing.append(p)
        elif p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and not any(x.startswith(".") for x in f.relative_to(p).parts))
        else:
            files.append(p)
    return files, missing


def _is_manifest(path: Path) -> bool:
    """A JSONL of image captions ({"image": ..., "caption": ...}) rather than text records."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    return isinstance(rec, dict) and "image" in rec and "text" not in rec
    except (OSError, ValueError):
        return False
    return False


def is_sidecar(path: Path) -> bool:
    """Caption, subtitle or transcript file that belongs to a media file beside it."""
    ext = path.suffix.lower()
    if ext not in SIDECAR_EXTENSIONS:
        return False
    if ext == ".jsonl":
        return _is_manifest(path)
    stem = path.name[: -len(".transcript.json")] if path.name.endswith(".transcript.json") else path.stem
    return any(path.with_name(stem + m).exists() or path.with_name(stem + m.upper()).exists() for m in MEDIA_EXTENSIONS)


@dataclass
class Sorted:
    by_corpus: dict[str, set[Path]] = field(default_factory=dict)
    where: dict[Path, list[str]] = field(default_factory=dict)
    unknown: list[Path] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)


def sort_files(paths: list[Path], specs: CorpusRegistry | list[CorpusSpec]) -> Sorted:
    """Each file under ``paths`` assigned to every corpus that reads its type (resolved paths)."""
    specs = list(specs)
    files, missing = walk(paths)
    out = Sorted(by_corpus={s.name: set() for s in specs}, missing=missing)
    for f in files:
        if is_sidecar(f):
            continue
        ext = f.suffix.lower()
        names = [s.name for s in specs if ext in corpus_extensions(s)]
        if names:
            for n in names:
                out.by_corpus[n].add(f.resolve())
            out.where[f] = names
        else:
            out.unknown.append(f)
    return out
