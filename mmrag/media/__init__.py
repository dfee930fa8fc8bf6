"""Media handling: images, OCR, subtitles, speech-to-text and video sampling/segmentation."""

from mmrag.media.asr import Transcriber
from mmrag.media.images import IMAGE_EXTENSIONS, downscale, image_to_data_url, load_image, read_caption_sidecar
from mmrag.media.ocr import OCR
from mmrag.media.subtitles import Segment, load_subtitles, parse_srt, parse_vtt, text_in_span
from mmrag.media.video import (
    VIDEO_EXTENSIONS,
    VideoInfo,
    fixed_windows,
    probe,
    sample_frames,
    scene_cuts,
    uniform_times,
)

__all__ = [
    "IMAGE_EXTENSIONS", "OCR", "Segment", "Transcriber", "VIDEO_EXTENSIONS", "VideoInfo", "downscale",
    "fixed_windows", "image_to_data_url", "load_image", "load_subtitles", "parse_srt", "parse_vtt", "probe",
    "read_caption_sidecar", "sample_frames", "scene_cuts", "text_in_span", "uniform_times",
]
