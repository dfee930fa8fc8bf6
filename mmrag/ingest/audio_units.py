"""Units of ``audio`` corpora: time spans of a recording with their transcript (faster-whisper).

A recording is transcribed once into time-stamped segments (cached per file hash under
``data_dir/cache/audio``); consecutive segments are grouped into spans of about ``ingest.clip_seconds``, so
each span is speech, and a citation names the file and its time span.
"""

from __future__ import annotations

import json
from pathlib import Path

import av

from mmrag.config import IngestConfig
from mmrag.errors import InputError, MissingDependencyError, ModelError
from mmrag.ingest.keys import clip_key, item_id, sha1_file
from mmrag.ingest.plan import Built, Skipped, SourceFile, Unit
from mmrag.media.subtitles import Segment
from mmrag.registry import CorpusSpec
from mmrag.types import Item


def probe_audio(path: Path) -> float:
    """Duration in seconds; ``InputError`` when the file is not audio (or has no audio stream)."""
    from mmrag.media.asr import has_audio

    if not has_audio(path):
        raise InputError(f"'{path}' has no audio stream: give a recording (.mp3 .wav .m4a .flac .ogg) or remove the file")
    try:
        with av.open(str(path)) as c:
            if c.duration is not None:
                return c.duration / av.time_base
            st = c.streams.audio[0]
            return float(st.duration * st.time_base) if st.duration else 0.0
    except (av.error.FFmpegError, OSError) as e:
        raise InputError(f"'{path}' is not a readable audio file ({type(e).__name__}): replace the file") from None


def group_segments(segments: list[Segment], seconds: float) -> list[tuple[float, float]]:
    """Spans of consecutive segments, each closed once it reaches ``seconds`` (a segment is never split)."""
    spans: list[tuple[float, float]] = []
    start = end = None
    for s in sorted(segments, key=lambda s: s.start):
        if start is None:
            start, end = s.start, s.end
        elif s.end - start > seconds and end > start:
            spans.append((start, end))
            start, end = s.start, s.end
        else:
            end = max(end, s.end)
    if start is not None:
        spans.append((start, max(end, start)))
    return [(round(a, 2), round(b, 2)) for a, b in spans]


def transcript(path: Path, sha: str, model: str, transcriber_factory, timings, cache_dir: Path | None) -> list[Segment]:
    cache = cache_dir / f"{sha}.json" if cache_dir else None
    key = f"asr|{model}|vad"
    if cache is not None and cache.is_file():
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
            if key in data:
                return [Segment.model_validate(d) for d in data[key]]
        except (OSError, ValueError):
            pass  # a damaged cache is only a lost shortcut
    with timings.timed("asr"):
        segs = transcriber_factory().transcribe(path)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps({key: [s.model_dump() for s in segs]}), encoding="utf-8")
        tmp.replace(cache)
    return segs


def plan_audio(spec: CorpusSpec, files: list[SourceFile], cfg: IngestConfig, transcriber_factory, timings,
               cache_dir: Path | None) -> tuple[list[Unit], list[Skipped]]:
    from mmrag.media.subtitles import text_in_span

    units: list[Unit] = []
    skipped: list[Skipped] = []
    for f in files:
        if not cfg.asr:
            skipped.append(Skipped(str(f.path), f"'{f.path}' is audio and speech recognition is off: set ingest.asr=true to transcribe it"))
            continue
        try:
            with timings.timed("probe"):
                duration = probe_audio(f.path)
            sha = sha1_file(f.path)
            segs = transcript(f.path, sha, cfg.asr_model, transcriber_factory, timings, cache_dir)
        except InputError as e:
            skipped.append(Skipped(str(f.path), str(e)))
            continue
        except (ModelError, MissingDependencyError) as e:
            # No speech recogniser (the `audio` extra): every recording waits for it, nothing else does.
            skipped.append(Skipped(str(f.path), f"'{f.path}' cannot be transcribed: {e} (or `pip install 'mmrag[audio]'`)"))
            continue
        if not segs:
            skipped.append(Skipped(str(f.path), f"'{f.path}' has no recognisable speech (Whisper found none): nothing to search in it"))
            continue
        title = f.path.stem.replace("-", " ").replace("_", " ")
        for span in group_segments(segs, cfg.clip_seconds):
            key = clip_key(f.rel, *span)
            iid = item_id(spec.name, key, sha)
            text = text_in_span(segs, *span)

            def build(f=f, span=span, key=key, iid=iid, text=text) -> Built:
                item = Item(id=iid, key=key, corpus=spec.name, route=spec.route, modality="audio", granularity="clip",
                            source=str(f.path), title=title, transcript=text, media_path=str(f.path.resolve()),
                            start=span[0], end=span[1], metadata={"duration": duration})
                return Built(item, [item.text_view] if text else [])

            units.append(Unit(key=key, id=iid, source=str(f.path), build=build, size=len(text)))
    return units, skipped
