"""Self-check of the demo corpus: python corpora/demo/check_corpus.py [--ocr]

Checks that the JSONL files parse, that every question `relevant` key and rerank `item` key names a real
record, file or clip, that sizes and lengths stay within the corpus spec, and that both videos decode with
90 s of video (and audio in sourdough.mp4). With --ocr it also reads two images with RapidOCR (slower).
Prints one line per problem and exits 1 if there are any; `problems()` is importable for tests.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROUTES = {"none", "paragraph", "document", "image", "clip", "video", "page", "audio"}
VIDEO_SECONDS = 90
CLIP_SECONDS = 30


def _jsonl(path: Path, errs: list[str]) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            errs.append(f"{path.name}:{n}: not JSON ({e})")
    return rows


def item_keys(root: Path = HERE) -> dict[str, set[str]]:
    """Every retrievable item key of the demo corpus, per route (the shared item-key convention)."""
    paragraphs = {json.loads(l)["id"] for l in (root / "paragraphs/paragraphs.jsonl").read_text().splitlines()}
    videos = {p.name for p in (root / "videos").glob("*.mp4")}
    clips = {f"{v}@{s:g}-{s + CLIP_SECONDS:g}" for v in videos for s in range(0, VIDEO_SECONDS, CLIP_SECONDS)}
    pages = {f"{p.name}#page{n}" for p in (root / "pages").glob("*.pdf") for n in range(1, _pdf_pages(p) + 1)}
    return {"paragraph": paragraphs, "document": {p.name for p in (root / "documents").glob("*.md")},
            "image": {p.name for p in (root / "images").glob("*.png")}, "clip": clips, "video": videos,
            "page": pages, "audio": _audio_keys(root)}


def _pdf_pages(path: Path) -> int:
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(path))
    try:
        return len(doc)
    finally:
        doc.close()


def _audio_keys(root: Path) -> set[str]:
    """Audio spans end where speech recognition ends a segment, so their keys cannot be computed without it:
    the keys the questions name count as items when they name a recording of the corpus and a span inside it."""
    import av

    durations = {}
    for p in (root / "audio").glob("*.m4a"):
        with av.open(str(p)) as c:
            durations[p.name] = c.duration / 1e6
    keys = set()
    for line in (root / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        for k in json.loads(line).get("relevant", []):
            name, _, span = k.rpartition("@")
            try:
                start, end = (float(x) for x in span.split("-"))
            except ValueError:
                continue
            if name in durations and 0 <= start < end <= durations[name] + 0.5:
                keys.add(k)
    return keys


def problems(root: Path = HERE, ocr: bool = False) -> list[str]:
    errs: list[str] = []
    keys = item_keys(root)

    for r in _jsonl(root / "paragraphs/paragraphs.jsonl", errs):
        n = len(r.get("text", "").split())
        if set(r) != {"id", "title", "text"} or not 100 <= n <= 200:
            errs.append(f"paragraph {r.get('id')}: needs id/title/text and 100-200 words (has {n})")
    for p in sorted((root / "documents").glob("*.md")):
        text = p.read_text(encoding="utf-8")
        n = len(text.split())
        if not text.startswith("# ") or not 700 <= n <= 1300:
            errs.append(f"document {p.name}: needs a '# Title' first line and 700-1300 words (has {n})")

    from PIL import Image
    for p in sorted((root / "images").glob("*.png")):
        with Image.open(p) as im:
            w, h = im.size
        if not (320 <= w <= 512 and 320 <= h <= 512) or p.stat().st_size >= 60_000:
            errs.append(f"image {p.name}: {w}x{h}, {p.stat().st_size} bytes (want 320-512 px, < 60 KB)")
        if not p.with_suffix(".txt").is_file():
            errs.append(f"image {p.name}: caption sidecar {p.with_suffix('.txt').name} missing")

    questions = _jsonl(root / "questions.jsonl", errs)
    for q in questions:
        routes = q.get("routes", [])
        if not routes or not set(routes) <= ROUTES:
            errs.append(f"question {q.get('id')}: bad routes {routes}")
        for k in q.get("relevant", []):
            if not any(k in keys[r] for r in routes if r != "none"):
                errs.append(f"question {q.get('id')}: relevant key {k!r} is not an item of routes {routes}")
        if routes != ["none"] and not q.get("relevant"):
            errs.append(f"question {q.get('id')}: a retrieval question needs relevant keys")
    for p in _jsonl(root / "rerank_pairs.jsonl", errs):
        if p.get("item") not in keys.get(p.get("route"), set()) or p.get("label") not in (0, 1):
            errs.append(f"rerank pair {p}: item is not an item of its route, or label is not 0/1")

    errs += _video_problems(root)
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    if size >= 5_000_000:
        errs.append(f"corpus folder is {size} bytes; keep it under 5 MB")
    if ocr:
        errs += _ocr_problems(root)
    return errs


def _video_problems(root: Path) -> list[str]:
    import av

    errs = []
    for name, want_audio in [("sourdough.mp4", True), ("bicycle-tyre.mp4", False)]:
        path = root / "videos" / name
        if not path.is_file():
            errs.append(f"video {name}: missing")
            continue
        with av.open(str(path)) as c:
            vs = c.streams.video[0]
            frames = sum(1 for _ in c.decode(vs))
            seconds = float(vs.duration * vs.time_base)
            if (vs.codec_context.name, vs.width, vs.height, frames) != ("h264", 320, 240, 180) or seconds != VIDEO_SECONDS:
                errs.append(f"video {name}: {vs.codec_context.name} {vs.width}x{vs.height}, {frames} frames, {seconds} s "
                            "(want h264 320x240, 180 frames at 2 fps, 90 s)")
            if bool(c.streams.audio) != want_audio:
                errs.append(f"video {name}: audio track {'missing' if want_audio else 'unexpected'}")
    if not (root / "videos/bicycle-tyre.srt").is_file():
        errs.append("video bicycle-tyre.mp4: subtitles bicycle-tyre.srt missing")
    return errs


def _ocr_problems(root: Path) -> list[str]:
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()
    errs = []
    for name, expected in [("tyre-pressure-chart.png", "40 psi"), ("apollo-samples-chart.png", "95.7")]:
        result, _ = engine(str(root / "images" / name))
        texts = [r[1] for r in result or []]
        if expected not in texts:
            errs.append(f"image {name}: OCR did not read {expected!r} (read {texts})")
    return errs


if __name__ == "__main__":
    found = problems(ocr="--ocr" in sys.argv)
    for line in found:
        print(line)
    print(f"{len(found)} problem(s)")
    sys.exit(1 if found else 0)
