"""Units of image and video corpora. Keys and ids come from file hashes; decoding, OCR and ASR run in build()."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from mmrag.config import IngestConfig
from mmrag.encoders.base import TextEncoder
from mmrag.ingest.chunking import chunk_text
from mmrag.ingest.keys import clip_key, item_id, sha1_file
from mmrag.ingest.plan import Built, Skipped, SourceFile, Unit, unit_failure
from mmrag.registry import CorpusSpec
from mmrag.types import Item

#: Frames OCR'd per clip at most: OCR costs ~0.3-1 s a frame on a CPU.
MAX_OCR_FRAMES_PER_CLIP = 2
#: Largest side of frames kept in memory for embedding and OCR.
FRAME_MAX_SIDE = 640


class Timings(defaultdict):
    """Seconds per stage, summed over the run (for the summary and the benchmark)."""

    def __init__(self):
        super().__init__(float)

    def timed(self, stage: str):
        timings = self

        class _T:
            def __enter__(self):
                self.t = time.perf_counter()

            def __exit__(self, *exc):
                timings[stage] += time.perf_counter() - self.t

        return _T()


def _manifest_captions(files: list[SourceFile], skipped: list[Skipped]) -> dict[Path, str]:
    """Captions from ``{"image": ..., "caption": ...}`` lines of *.jsonl files beside the images."""
    out: dict[Path, str] = {}
    for folder in sorted({f.path.parent for f in files}):
        for manifest in sorted(folder.glob("*.jsonl")):
            try:
                lines = manifest.read_bytes().decode("utf-8-sig").splitlines()
            except UnicodeDecodeError:
                skipped.append(Skipped(str(manifest), "caption manifest is not UTF-8: re-save it as UTF-8"))
                continue
            for n, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    out[(folder / rec["image"]).resolve()] = " ".join(str(rec["caption"]).split())
                except (json.JSONDecodeError, KeyError, TypeError):
                    skipped.append(Skipped(f"{manifest}:{n}", "caption manifest line needs {\"image\": ..., \"caption\": ...}"))
    return out


def plan_images(spec: CorpusSpec, files: list[SourceFile], cfg: IngestConfig, ocr, timings: Timings) -> tuple[list[Unit], list[Skipped]]:
    from mmrag.media.images import load_image, read_caption_sidecar

    skipped: list[Skipped] = []
    manifest = _manifest_captions(files, skipped)
    units = []
    for f in files:
        try:
            caption = read_caption_sidecar(f.path) or manifest.get(f.path.resolve())
        except Exception as e:
            skipped.append(unit_failure(str(f.path), e))
            continue
        if f.path.stat().st_size == 0:
            skipped.append(Skipped(str(f.path), f"image '{f.path}' is empty (0 bytes): replace or remove the file"))
            continue
        iid = item_id(spec.name, f.rel, sha1_file(f.path, caption or ""))

        def build(f=f, caption=caption, iid=iid) -> Built:
            with timings.timed("decode"):
                img = load_image(f.path)
            ocr_text = None
            if ocr is not None:
                with timings.timed("ocr"):
                    ocr_text = ocr.read(img) or None
            item = Item(
                id=iid, key=f.rel, corpus=spec.name, route=spec.route, modality="image", granularity="image",
                source=str(f.path), title=caption, caption=caption, ocr_text=ocr_text, media_path=str(f.path.resolve()),
                metadata={"width": img.width, "height": img.height},
            )
            text = item.text_view
            return Built(item, [text] if text else [], [[img]])

        units.append(Unit(key=f.rel, id=iid, source=str(f.path), build=build))
    return units, skipped


def _small(img: Image.Image) -> Image.Image:
    if max(img.size) > FRAME_MAX_SIDE:
        img = img.copy()
        img.thumbnail((FRAME_MAX_SIDE, FRAME_MAX_SIDE))
    return img


def _distinct(frames: list[Image.Image], cap: int, threshold: float = 8.0) -> list[Image.Image]:
    """Frames that differ from every kept one (mean abs difference of 32x32 greyscale > threshold), at most cap."""
    kept, sigs = [], []
    for im in frames:
        sig = np.asarray(im.convert("L").resize((32, 32)), dtype=np.float32)
        if all(np.abs(sig - s).mean() > threshold for s in sigs):
            kept.append(im)
            sigs.append(sig)
            if len(kept) >= cap:
                break
    return kept


def _join_unique(texts: list[str]) -> str:
    seen, out = set(), []
    for t in texts:
        if t and t not in seen:
            seen.add(t)
            out.append(t)
    return " ".join(out)


class VideoWork:
    """Everything derived from one video file, computed at most once per ingest: probe, clips, transcript, frames, OCR."""

    def __init__(self, path: Path, rel: str, cfg: IngestConfig, ocr, transcriber_factory, timings: Timings,
                 *, need_frames: bool = True, cache_dir: Path | None = None):
        from mmrag.media import video as V

        self.path, self.rel, self.cfg, self.ocr, self.timings = path, rel, cfg, ocr, timings
        self.need_frames = need_frames
        self._transcriber_factory = transcriber_factory
        with timings.timed("probe"):
            self.info = V.probe(path)
            if cfg.clip_mode == "scenes":
                self.spans = [(float(s), float(e)) for s, e in V.scene_cuts(path)]
            else:
                self.spans = [(float(s), float(e)) for s, e in V.fixed_windows(self.info.duration, cfg.clip_seconds)]
        self.sha = sha1_file(path, self._sidecar_text())
        # Transcripts and OCR are the slow part; the clip and the video corpus of the same file share them
        # through a small JSON cache keyed by the file's (and its sidecars') hash.
        self._cache_path = cache_dir / f"{self.sha}.json" if cache_dir else None
        self._cache = self._load_cache()
        self._segments = None
        self.wanted: set[tuple[float, float]] = set()
        self._clips: dict[tuple[float, float], tuple[list[float], list[Image.Image], str]] = {}

    def _sidecar_text(self) -> str:
        from mmrag.media.subtitles import sidecar_paths

        return "".join(p.read_bytes().decode("utf-8", "replace") for p in sidecar_paths(self.path) if p.is_file())

    def _load_cache(self) -> dict:
        if self._cache_path and self._cache_path.is_file():
            try:
                return json.loads(self._cache_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {}  # a damaged cache is only a lost shortcut
        return {}

    def _save_cache(self) -> None:
        if self._cache_path:
            self._cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._cache_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._cache), encoding="utf-8")
            tmp.replace(self._cache_path)

    def _ocr_key(self, span: tuple[float, float]) -> str:
        return f"{span[0]:g}-{span[1]:g}|{self.cfg.frames_per_clip}"

    def segments(self):
        if self._segments is None:
            from mmrag.media.subtitles import Segment, load_subtitles

            segs = load_subtitles(self.path)
            if segs is None and self.cfg.asr and self.info.has_audio:
                ckey = f"asr|{self.cfg.asr_model}"
                if ckey in self._cache:
                    segs = [Segment.model_validate(d) for d in self._cache[ckey]]
                else:
                    with self.timings.timed("asr"):
                        segs = self._transcriber_factory().transcribe(self.path)
                    self._cache[ckey] = [s.model_dump() for s in segs]
                    self._save_cache()
            self._segments = segs or []
        return self._segments

    def clip_frames(self, spans: list[tuple[float, float]]) -> None:
        """Decode the frames of every span not decoded yet, in one pass over the file."""
        from mmrag.media import video as V

        todo = [s for s in spans if s not in self._clips]
        if not todo:
            return
        times = {s: V.uniform_times(s[0], s[1], self.cfg.frames_per_clip) for s in todo}
        ocr_cache = self._cache.setdefault("ocr", {})
        if not self.need_frames and (self.ocr is None or all(self._ocr_key(s) in ocr_cache for s in todo)):
            # No image vectors to compute and OCR known: no decoding at all.
            for s in todo:
                self._clips[s] = (times[s], [], ocr_cache.get(self._ocr_key(s), "") if self.ocr else "")
            return
        all_times = sorted({t for ts in times.values() for t in ts})
        with self.timings.timed("decode"):
            decoded = {round(t, 3): _small(im) for t, im in V.sample_frames(self.path, all_times)}
        for s in todo:
            pairs = [(t, decoded[round(t, 3)]) for t in times[s] if round(t, 3) in decoded]
            frames = [im for _, im in pairs]
            ocr_text = ""
            if self.ocr is not None and frames:
                if self._ocr_key(s) in ocr_cache:
                    ocr_text = ocr_cache[self._ocr_key(s)]
                else:
                    with self.timings.timed("ocr"):
                        ocr_text = _join_unique([self.ocr.read(im) for im in _distinct(frames, MAX_OCR_FRAMES_PER_CLIP)])
                    ocr_cache[self._ocr_key(s)] = ocr_text
            self._clips[s] = ([t for t, _ in pairs], frames if self.need_frames else [], ocr_text)
        self._save_cache()


def plan_videos(
    spec: CorpusSpec, files: list[SourceFile], cfg: IngestConfig, ocr, transcriber_factory, encoder: TextEncoder, timings: Timings,
    *, need_frames: bool = True, cache_dir: Path | None = None,
) -> tuple[list[Unit], list[Skipped]]:
    skipped: list[Skipped] = []
    units: list[Unit] = []
    for f in files:
        try:
            work = VideoWork(f.path, f.rel, cfg, ocr, transcriber_factory, timings, need_frames=need_frames, cache_dir=cache_dir)
        except Exception as e:
            skipped.append(unit_failure(str(f.path), e))
            continue
        if not work.spans:
            skipped.append(Skipped(str(f.path), "video has no frames to sample: replace the file"))
            continue
        if spec.granularity == "clip":
            for s in work.spans:
                key = clip_key(f.rel, *s)
                iid = item_id(spec.name, key, work.sha)
                units.append(Unit(
                    key, iid, str(f.path), lambda w=work, s=s, key=key, iid=iid: _build_clip(spec, w, s, key, iid),
                    prepare=lambda w=work, s=s: w.wanted.add(s),
                ))
        else:
            iid = item_id(spec.name, f.rel, work.sha)
            units.append(Unit(f.rel, iid, str(f.path), lambda w=work, iid=iid: _build_video(spec, w, iid, cfg, encoder)))
    return units, skipped


def _base(spec: CorpusSpec, w: VideoWork, key: str, iid: str, **kw) -> Item:
    return Item(
        id=iid, key=key, corpus=spec.name, route=spec.route, modality="video", granularity=spec.granularity,
        source=str(w.path), title=w.path.stem.replace("-", " ").replace("_", " "), media_path=str(w.path.resolve()),
        metadata={"duration": w.info.duration, "fps": w.info.fps, "width": w.info.width, "height": w.info.height}, **kw,
    )


def _build_clip(spec: CorpusSpec, w: VideoWork, span: tuple[float, float], key: str, iid: str) -> Built:
    from mmrag.media.subtitles import text_in_span

    # Decode every wanted clip of this video together: one pass over the file instead of one per clip.
    w.clip_frames(sorted(w.wanted | {span}))
    times, frames, ocr_text = w._clips[span]
    transcript = text_in_span(w.segments(), *span) or None
    item = _base(spec, w, key, iid, start=span[0], end=span[1], frame_times=times, transcript=transcript, ocr_text=ocr_text or None)
    text = item.text_view
    # Free the frames: a clip is built once.
    w._clips[span] = (times, [], ocr_text)
    return Built(item, [text] if text else [], [frames] if frames else [])


def _build_video(spec: CorpusSpec, w: VideoWork, iid: str, cfg: IngestConfig, encoder: TextEncoder) -> Built:
    w.clip_frames(w.spans)
    transcript = " ".join(s.text for s in w.segments()) or None
    ocr_text = _join_unique([w._clips[s][2] for s in w.spans]) or None
    times = [t for s in w.spans for t in w._clips[s][0]]
    item = _base(spec, w, w.rel, iid, start=0.0, end=w.info.duration, frame_times=times, transcript=transcript, ocr_text=ocr_text)
    item.metadata["clips"] = [[s, e] for s, e in w.spans]
    text = item.text_view
    chunks = chunk_text(text, encoder, cfg.chunk_tokens, cfg.chunk_overlap_tokens) if text else []
    return Built(item, chunks, [w._clips[s][1] for s in w.spans if w._clips[s][1]])
