"""Timed text for videos: SRT / WebVTT / JSON transcript / plain-text sidecars, and span lookup.

A clip's text is the transcript span that overlaps it, so parsing keeps exact times and the
lookup is by interval overlap.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from pydantic import BaseModel, ValidationError, model_validator

from mmrag.errors import InputError


class Segment(BaseModel):
    start: float
    end: float
    text: str

    @model_validator(mode="after")
    def _ordered(self) -> "Segment":
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"segment times must satisfy 0 <= start <= end, got {self.start}..{self.end}")
        return self


# HH:MM:SS,mmm (SRT) or [HH:]MM:SS.mmm (VTT); some tools write 1-2 fraction digits or '.' in SRT.
_TS = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TS}\s*-->\s*{_TS}(?:\s+.*)?$")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")  # HTML-ish/VTT tags and ASS-style {\an8} overrides


def _seconds(h: str | None, m: str, s: str, frac: str | None) -> float:
    ms = int((frac or "0").ljust(3, "0"))
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + ms / 1000


def _normalise(text: str) -> list[str]:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def _clean(lines: list[str]) -> str:
    joined = " ".join(_TAG.sub("", ln) for ln in lines)
    return " ".join(html.unescape(joined).split())


def _parse_cues(lines: list[str], fmt: str) -> list[Segment]:
    segments: list[Segment] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if "-->" not in line:
            i += 1  # cue numbers, VTT identifiers, blank lines
            continue
        m = _TIMING.match(line)
        if not m:
            raise InputError(
                f"{fmt} line {i + 1} has an unreadable timing '{line.strip()}': use HH:MM:SS,mmm --> HH:MM:SS,mmm"
            )
        g = m.groups()
        start, end = _seconds(*g[0:4]), _seconds(*g[4:8])
        if end < start:
            raise InputError(f"{fmt} line {i + 1}: cue ends before it starts ('{line.strip()}'): fix the timing")
        i += 1
        body: list[str] = []
        while i < n and lines[i].strip() and "-->" not in lines[i]:
            body.append(lines[i])
            i += 1
        text = _clean(body)
        if text:
            segments.append(Segment(start=start, end=end, text=text))
    return sorted(segments, key=lambda s: (s.start, s.end))


def parse_srt(text: str) -> list[Segment]:
    """Cues of a SubRip file (multi-line cues joined by spaces, formatting tags removed)."""
    return _parse_cues(_normalise(text), "SRT")


def parse_vtt(text: str) -> list[Segment]:
    """Cues of a WebVTT file; NOTE / STYLE / REGION blocks and cue settings are ignored."""
    lines = _normalise(text)
    if not lines or not lines[0].strip().startswith("WEBVTT"):
        raise InputError("WebVTT text must start with 'WEBVTT': check that this is a .vtt file")
    # Blank out comment/style blocks instead of dropping them, so error line numbers stay true.
    kept: list[str] = [""]
    block: list[str] = []
    for ln in lines[1:] + [""]:
        if ln.strip():
            block.append(ln)
            continue
        if block:
            skip = block[0].split(maxsplit=1)[0] in ("NOTE", "STYLE", "REGION")
            kept.extend([""] * len(block) if skip else block)
            block = []
        kept.append("")
    return _parse_cues(kept, "VTT")


def parse_transcript_json(text: str) -> list[Segment]:
    """``[{start, end, text}, ...]`` or ``{"segments": [...]}`` (the shape Whisper tools write)."""
    data = json.loads(text)
    if isinstance(data, dict) and isinstance(data.get("segments"), list):
        data = data["segments"]
    if not isinstance(data, list):
        raise InputError("transcript JSON must be a list of {start, end, text} objects")
    segs = [Segment.model_validate(d) for d in data]
    return sorted((s for s in segs if s.text.strip()), key=lambda s: (s.start, s.end))


def sidecar_paths(video_path: str | Path) -> list[Path]:
    """Sidecars looked for beside a video, in order of preference (timed before untimed)."""
    p = Path(video_path)
    return [p.with_suffix(".srt"), p.with_suffix(".vtt"), p.with_name(p.stem + ".transcript.json"),
            p.with_suffix(".txt")]


def load_subtitles(video_path: str | Path) -> list[Segment] | None:
    """Segments from the first sidecar found beside the video; None when there is none."""
    for side in sidecar_paths(video_path):
        if side.is_file():
            return _load_sidecar(side, Path(video_path))
    return None


def _load_sidecar(side: Path, video: Path) -> list[Segment]:
    try:
        text = side.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"subtitle file '{side}' is not UTF-8: re-save it as UTF-8") from None
    except OSError as exc:
        raise InputError(f"subtitle file '{side}' cannot be read ({exc.strerror}): check its permissions") from None
    try:
        if side.suffix == ".srt":
            return parse_srt(text)
        if side.suffix == ".vtt":
            return parse_vtt(text)
        if side.name.endswith(".transcript.json"):
            return parse_transcript_json(text)
    except InputError as exc:
        raise InputError(f"subtitle file '{side}': {exc}") from None
    except (json.JSONDecodeError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise InputError(f"transcript '{side}' is invalid ({first}): write a list of {{start, end, text}}") from None
    # Untimed text: one segment spanning the whole video, so every clip sees it.
    body = " ".join(text.split())
    if not body:
        return []
    from mmrag.media.video import probe  # local import: video imports nothing from here

    return [Segment(start=0.0, end=probe(video).duration, text=body)]


def text_in_span(segments: list[Segment], start: float, end: float) -> str:
    """Text of the segments overlapping ``[start, end)``, in time order, repeated lines collapsed."""
    out: list[str] = []
    for s in sorted(segments, key=lambda s: (s.start, s.end)):
        overlaps = s.start < end and (s.end > start or (s.end == s.start and s.start >= start))
        if overlaps and (not out or out[-1] != s.text):
            out.append(s.text)
    return " ".join(out)
