"""Video probing, frame sampling and segmentation into clips, with PyAV (bundled FFmpeg).

Clips are the unit of the ``clip`` route: fixed windows or spans between scene cuts. Frames are
decoded in one forward pass per call, seeking only across gaps, so sampling a few frames from a
long video stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np
from PIL import Image
from pydantic import BaseModel

from mmrag.errors import InputError
from mmrag.types import Item
from mmrag.optional import LazyModule

av = LazyModule("av", extra="media", purpose="reading videos")

VIDEO_EXTENSIONS = {".mp4", ".webm", ".mkv", ".mov"}

# Below this gap, decoding forward is cheaper than seeking back to a keyframe and decoding again.
_SEEK_GAP_S = 2.0


class VideoInfo(BaseModel):
    duration: float
    fps: float
    width: int
    height: int
    has_audio: bool
    frames: int | None


def _check_file(p: Path) -> None:
    if not p.is_file():
        raise InputError(f"video '{p}' does not exist: check the path")
    if p.stat().st_size == 0:
        raise InputError(f"video '{p}' is empty (0 bytes): replace or remove the file")


def _open(p: Path) -> Any:
    _check_file(p)
    try:
        return av.open(str(p))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"video '{p}' is corrupt, truncated or not a video ({_reason(exc)}): replace the file"
        ) from None


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return " ".join(str(text).split()) or type(exc).__name__


def _video_stream(container: Any, p: Path) -> Any:
    if not container.streams.video:
        raise InputError(f"'{p}' has no video stream: ingest it as audio or remove it")
    vs = container.streams.video[0]
    vs.thread_type = "AUTO"  # frame-threaded decoding; several times faster on multi-core machines
    return vs


def _frame_time(frame: Any, vs: Any) -> float | None:
    """Presentation time relative to the stream start (some files start at a non-zero pts)."""
    if frame.time is not None:
        return float(frame.time) - _start_offset(vs)
    if frame.pts is not None and vs.time_base is not None:
        return float(frame.pts * vs.time_base) - _start_offset(vs)
    return None


def _start_offset(vs: Any) -> float:
    return float(vs.start_time * vs.time_base) if vs.start_time is not None and vs.time_base else 0.0


def _first_frame_time(container: Any, vs: Any) -> float | None:
    """Time of the first decodable frame; None when nothing decodes (truncated file)."""
    try:
        for frame in container.decode(vs):
            t = _frame_time(frame, vs)
            return 0.0 if t is None else t
    except (av.error.FFmpegError, OSError):
        return None
    return None


def probe(path: str | Path) -> VideoInfo:
    """Duration, frame rate, size and audio presence; ``InputError`` when no frame can be decoded."""
    p = Path(path)
    with _open(p) as container:
        vs = _video_stream(container, p)
        if vs.duration is not None and vs.time_base is not None:
            duration = float(vs.duration * vs.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        rate = vs.average_rate or vs.guessed_rate or vs.base_rate
        fps = float(rate) if rate else 0.0
        info = VideoInfo(
            duration=duration,
            fps=fps,
            width=int(vs.codec_context.width or 0),
            height=int(vs.codec_context.height or 0),
            has_audio=bool(container.streams.audio),
            frames=int(vs.frames) if vs.frames else None,
        )
        if _first_frame_time(container, vs) is None:
            raise InputError(f"video '{p}' has no decodable frames (truncated or corrupt): replace the file")
        # A file cut short keeps its header duration when the index is at the front; the tail shows it.
        if duration > 2 * _SEEK_GAP_S and not _decodes_near(container, vs, duration - _SEEK_GAP_S):
            raise InputError(f"video '{p}' is truncated (no frames near its end at {duration:.1f} s): replace the file")
    if info.duration <= 0:
        raise InputError(f"video '{p}' has duration 0: replace the file")
    return info


def _decodes_near(container: Any, vs: Any, t: float) -> bool:
    try:
        _seek(container, vs, t)
        for frame in container.decode(vs):
            ft = _frame_time(frame, vs)
            if ft is None or ft >= t - 2 * _SEEK_GAP_S:
                return True
    except (av.error.FFmpegError, OSError):
        return False
    return False


def _seek(container: Any, vs: Any, t: float) -> None:
    offset = int((t + _start_offset(vs)) / vs.time_base) if vs.time_base else int(t * av.time_base)
    container.seek(max(offset, 0), stream=vs, backward=True, any_frame=False)


def uniform_times(start: float, end: float, n: int) -> list[float]:
    """``n`` times at the centres of ``n`` equal bins of ``[start, end)``."""
    if n <= 0:
        return []
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start})")
    step = (end - start) / n
    return [start + (i + 0.5) * step for i in range(n)]


def sample_frames(path: str | Path, times: list[float]) -> list[tuple[float, Image.Image]]:
    """The frame shown at each requested time, as ``(requested_time, RGB image)`` in the order given.

    Times are visited sorted in one decode pass; the decoder seeks only when the next time is more
    than a couple of seconds ahead. Times past the end give the last frame.
    """
    if not times:
        return []
    p = Path(path)
    chosen: dict[float, Image.Image] = {}
    with _open(p) as container:
        vs = _video_stream(container, p)
        frames: Iterator[Any] | None = None
        prev: Any = None  # last decoded frame at or before the current target
        pending: Any = None  # decoded frame after the previous target (not yet shown)
        last: Any = None
        try:
            for t in sorted(set(times)):
                ref = pending if pending is not None else prev
                pos = _frame_time(ref, vs) if ref is not None else None
                if frames is None or pos is None or t - pos > _SEEK_GAP_S:
                    _seek(container, vs, t)
                    frames = iter(container.decode(vs))
                    prev = pending = None
                if pending is not None and (_frame_time(pending, vs) or 0.0) <= t:
                    prev, pending = pending, None
                while pending is None:
                    frame = next(frames, None)
                    if frame is None:
                        break
                    last = frame
                    ft = _frame_time(frame, vs)
                    if ft is None or ft <= t:
                        prev = frame
                    else:
                        pending = frame
                pick = prev if prev is not None else pending if pending is not None else last
                if pick is None:
                    raise InputError(f"video '{p}' has no decodable frame at {t:.2f} s: the file may be truncated")
                chosen[t] = pick.to_image()
        except (av.error.FFmpegError, OSError) as exc:
            raise InputError(f"video '{p}' failed to decode ({_reason(exc)}): the file may be corrupt") from None
    return [(t, chosen[t]) for t in times]


def fixed_windows(duration: float, seconds: float) -> list[tuple[float, float]]:
    """Consecutive windows of ``seconds``; a tail shorter than 1 s joins the previous window."""
    if seconds <= 0:
        raise ValueError("window length must be positive")
    if duration <= 0:
        return []
    windows: list[tuple[float, float]] = []
    start = 0.0
    while start < duration:
        end = min(start + seconds, duration)
        windows.append((start, end))
        start = end
    if len(windows) > 1 and windows[-1][1] - windows[-1][0] < 1.0:
        tail = windows.pop()
        windows[-1] = (windows[-1][0], tail[1])
    return [(round(a, 6), round(b, 6)) for a, b in windows]


def _histogram(frame: Any) -> np.ndarray:
    # A small RGB thumbnail is enough for a colour histogram and keeps the per-frame cost tiny.
    rgb = frame.to_ndarray(width=64, height=36, format="rgb24")
    q = (rgb // 32).reshape(-1, 3).astype(np.int32)  # 8 levels per channel
    hist = np.bincount(q[:, 0] * 64 + q[:, 1] * 8 + q[:, 2], minlength=512).astype(np.float64)
    return hist / hist.sum()


def scene_cuts(
    path: str | Path,
    *,
    threshold: float = 0.4,
    min_len: float = 2.0,
    sample_fps: float = 5.0,
    progress: bool = False,
) -> list[tuple[float, float]]:
    """Spans between scene cuts found by colour-histogram change (half the L1 distance, in [0, 1]).

    Frames are compared at most ``sample_fps`` times a second; spans shorter than ``min_len`` are
    merged into the previous one, so flashes and fades do not create tiny clips.
    """
    p = Path(path)
    info = probe(p)
    cuts: list[float] = []
    prev_hist: np.ndarray | None = None
    last_bucket = -1
    with _open(p) as container:
        vs = _video_stream(container, p)
        bar = _progress(progress, p.name, info.duration)
        try:
            for frame in container.decode(vs):
                t = _frame_time(frame, vs)
                # Integer buckets rather than accumulated times: float drift would skip the cut frame.
                bucket = int(t * sample_fps + 1e-6) if t is not None else -1
                if bucket <= last_bucket:
                    continue
                last_bucket = bucket
                hist = _histogram(frame)
                if prev_hist is not None and 0.5 * float(np.abs(hist - prev_hist).sum()) >= threshold:
                    cuts.append(t)
                prev_hist = hist
                if bar is not None:
                    bar[0].update(bar[1], completed=min(t, info.duration))
        except (av.error.FFmpegError, OSError) as exc:
            raise InputError(f"video '{p}' failed to decode ({_reason(exc)}): the file may be corrupt") from None
        finally:
            if bar is not None:
                bar[0].stop()
    return _spans(cuts, info.duration, min_len)


def _spans(cuts: list[float], duration: float, min_len: float) -> list[tuple[float, float]]:
    bounds = [0.0]
    for c in sorted(cuts):
        if c - bounds[-1] >= min_len and duration - c >= min_len:
            bounds.append(c)
    bounds.append(duration)
    return [(round(a, 6), round(b, 6)) for a, b in zip(bounds, bounds[1:])]


def _progress(enabled: bool, name: str, total: float) -> tuple[Any, Any] | None:
    if not enabled:
        return None
    from rich.progress import Progress

    bar = Progress(transient=True)
    task = bar.add_task(f"scene cuts {name}", total=total or None)
    bar.start()
    return bar, task


def item_frame_times(item: Item, n: int) -> list[float]:
    """Up to ``n`` frame timestamps of a clip or video item: its stored ones spread over the span, else uniform
    over [start, end] (end from the item, its metadata's duration, or the file itself)."""
    if item.frame_times:
        times = list(item.frame_times)
        if len(times) > n:  # keep n spread over the span
            step = len(times) / n
            times = [times[int(i * step)] for i in range(n)]
        return times
    start = item.start or 0.0
    if item.end is not None:
        end = item.end
    elif "duration" in item.metadata:
        end = float(item.metadata["duration"])
    else:
        end = float(probe(item.media_path).duration)
    return list(uniform_times(start, max(start, end), n))
