"""Image and video ingestion: captions, OCR, bad files, clip spans, subtitle alignment, image vectors, fusion."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.helpers.ingest import colour_image, make_config, spec, tiny_clip, tiny_video, write_srt

from mmrag.errors import ConfigError, CorpusError
from mmrag.ingest import Ingestor
from mmrag.registry import CorpusRegistry
from mmrag.retrieval import CollectionRetriever
from mmrag.store.qdrant import open_store


@pytest.fixture(scope="module")
def clip_model(tmp_path_factory):
    return tiny_clip(tmp_path_factory.mktemp("clip"))


@pytest.fixture
def images(tmp_path):
    root = tmp_path / "images"
    root.mkdir()
    colour_image(root / "bee.png", (250, 200, 0))
    (root / "bee.txt").write_text("A honey bee collecting nectar on a yellow flower.", encoding="utf-8")
    colour_image(root / "volcano.jpg", (200, 30, 10))
    colour_image(root / "tyre.webp", (20, 20, 20))
    (root / "captions.jsonl").write_text(
        json.dumps({"image": "volcano.jpg", "caption": "Lava erupting from a volcano at night."}) + "\n"
        + json.dumps({"image": "tyre.webp", "caption": "A punctured bicycle tyre with a patch kit."}) + "\n",
        encoding="utf-8",
    )
    (root / "empty.png").write_bytes(b"")
    (root / "broken.gif").write_bytes(b"GIF89a\x00\x01garbage")
    return root


def test_images_text_only(tmp_path, images, text_encoder):
    cfg = make_config(tmp_path)
    store = open_store(cfg)
    corpus = spec("img", "image", "image", "image")
    report = Ingestor(cfg, store, text_encoder=text_encoder).ingest(corpus, [images])
    assert report.ingested == 3
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in report.skipped}
    assert set(reasons) == {"empty.png", "broken.gif"}
    assert "0 bytes" in reasons["empty.png"]
    assert store.describe("img")[0] == {"text": text_encoder.dim}  # no image-text encoder: text vector only
    hits = CollectionRetriever(cfg, CorpusRegistry([corpus]), store).search("fixing a flat bike wheel", "image", n=3).hits
    top = hits[0].item
    assert top.key == "tyre.webp" and top.caption.startswith("A punctured") and top.media_path.endswith("tyre.webp")


def test_image_ocr_text_is_searchable(tmp_path, text_encoder):
    from PIL import Image, ImageDraw, ImageFont

    root = tmp_path / "signs"
    root.mkdir()
    img = Image.new("RGB", (420, 90), "white")
    ImageDraw.Draw(img).text((10, 20), "DANGER HIGH VOLTAGE", fill="black", font=ImageFont.load_default(size=36))
    img.save(root / "sign.png")
    cfg = make_config(tmp_path, **{"ingest.ocr": True})
    store = open_store(cfg)
    corpus = spec("sig", "image", "image", "image")
    report = Ingestor(cfg, store, text_encoder=text_encoder).ingest(corpus, [root])
    assert report.ingested == 1 and report.stages["ocr"] > 0
    hit = CollectionRetriever(cfg, CorpusRegistry([corpus]), store).search("voltage warning", "image", n=1).hits[0]
    assert "VOLTAGE" in hit.item.ocr_text.upper()


def test_images_with_image_text_encoder_use_named_vectors_and_fusion(tmp_path, images, clip_model, text_encoder):
    cfg = make_config(tmp_path, **{"encoders.image_text.model": str(clip_model)})
    store = open_store(cfg)
    corpus = spec("img", "image", "image", "image")
    Ingestor(cfg, store).ingest(corpus, [images])
    dims, encs = store.describe("img")
    assert dims == {"text": text_encoder.dim, "image": 16}
    assert encs["image"] == str(clip_model)
    retriever = CollectionRetriever(cfg, CorpusRegistry([corpus]), store)
    hits = retriever.search("lava from a volcano", "image", n=3).hits
    assert len(hits) == 3 and len({h.item.key for h in hits}) == 3
    # Fused over the three prefetches (text, sparse, image), best first.
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # A query image: the identical image must be found first by the "image" prefetch.
    from mmrag.media.images import load_image

    by_image = retriever.search("", "image", n=3, image=load_image(images / "bee.png")).hits
    assert by_image[0].item.key == "bee.png"
    # The stored image vector is the CLIP embedding of the image itself.
    from mmrag.encoders import load_image_text_encoder

    enc = load_image_text_encoder(cfg.encoders.image_text)
    rec = store.stored_vectors("img", [by_image[0].item.id], "image")[by_image[0].item.id]
    assert np.allclose(rec, enc.encode_images([load_image(images / "bee.png")])[0], atol=1e-5)


def test_changing_the_encoder_is_refused(tmp_path, images, clip_model, text_encoder):
    cfg = make_config(tmp_path)
    store = open_store(cfg)
    corpus = spec("img", "image", "image", "image")
    Ingestor(cfg, store, text_encoder=text_encoder).ingest(corpus, [images])
    cfg2 = make_config(tmp_path, **{"encoders.image_text.model": str(clip_model)})
    with pytest.raises(ConfigError) as e:
        Ingestor(cfg2, store).ingest(corpus, [images])
    assert "collection 'img' was built with" in str(e.value) and "--recreate" in str(e.value)


@pytest.fixture
def videos(tmp_path):
    root = tmp_path / "videos"
    root.mkdir()
    tiny_video(root / "lesson.mp4", seconds=6)
    write_srt(root / "lesson.srt", [(0.2, 1.5, "First we knead the dough."), (2.5, 3.5, "Then the dough rests."),
                                    (4.2, 5.8, "Finally we bake the bread in a hot oven.")])
    tiny_video(root / "silent.mp4", seconds=3)
    (root / "truncated.mp4").write_bytes((root / "lesson.mp4").read_bytes()[:600])
    return root


def test_video_clips_spans_and_subtitles(tmp_path, videos, clip_model):
    cfg = make_config(tmp_path, **{"encoders.image_text.model": str(clip_model), "ingest.clip_seconds": 2, "ingest.frames_per_clip": 4})
    store = open_store(cfg)
    clips = spec("clips", "clip", "video", "clip")
    report = Ingestor(cfg, store).ingest(clips, [videos])
    assert [s.path.rsplit("/", 1)[-1] for s in report.skipped] == ["truncated.mp4"]
    assert report.ingested == 5  # lesson: 3 clips; silent.mp4: 2 clips with no text view but an image vector
    retriever = CollectionRetriever(cfg, CorpusRegistry([clips]), store)
    hits = retriever.search("baking bread in the oven", "clip", n=10).hits
    by_key = {h.item.key: h.item for h in hits}
    assert set(by_key) >= {"lesson.mp4@0-2", "lesson.mp4@2-4", "lesson.mp4@4-6"}
    assert by_key["lesson.mp4@4-6"].transcript == "Finally we bake the bread in a hot oven."
    assert by_key["lesson.mp4@2-4"].transcript == "Then the dough rests."
    c = by_key["lesson.mp4@2-4"]
    assert (c.start, c.end, c.span) == (2.0, 4.0, "0:02–0:04")
    assert len(c.frame_times) == 4 and all(2.0 <= t < 4.0 for t in c.frame_times)
    assert hits[0].item.key == "lesson.mp4@4-6"
    # The clip's image vector is the normalised mean of its frame vectors.
    from mmrag.encoders import load_image_text_encoder
    from mmrag.encoders.base import l2_normalise
    from mmrag.media.video import sample_frames

    enc = load_image_text_encoder(cfg.encoders.image_text)
    frames = [im for _, im in sample_frames(videos / "lesson.mp4", c.frame_times)]
    expected = l2_normalise(enc.encode_images(frames).mean(axis=0))
    rec = store.stored_vectors("clips", [c.id], "image")[c.id]
    assert np.allclose(rec, expected, atol=1e-4)
    silent = [h.item for h in hits if h.item.key.startswith("silent.mp4")]
    assert sorted(i.key for i in silent) == ["silent.mp4@0-2", "silent.mp4@2-3"] and not silent[0].transcript
    again = Ingestor(cfg, store).ingest(clips, [videos])
    assert again.ingested == 0 and again.unchanged == 5


def test_whole_video_item_pools_clips_and_transcript(tmp_path, videos, text_encoder):
    cfg = make_config(tmp_path, **{"ingest.clip_seconds": 2, "ingest.frames_per_clip": 2})
    store = open_store(cfg)
    corpus = spec("vids", "video", "video", "video")
    report = Ingestor(cfg, store, text_encoder=text_encoder).ingest(corpus, [videos])
    # Text-only (no image-text encoder): silent.mp4 has nothing to embed and is reported.
    assert report.ingested == 1
    assert any("silent.mp4" in s.path and "no text" in s.reason for s in report.skipped)
    hit = CollectionRetriever(cfg, CorpusRegistry([corpus]), store).search("how to make bread", "video", n=5).hits[0]
    assert hit.item.key == "lesson.mp4" and (hit.item.start, hit.item.end) == (0.0, 6.0)
    assert hit.item.transcript.startswith("First we knead") and hit.item.transcript.endswith("hot oven.")
    assert hit.item.metadata["clips"] == [[0, 2], [2, 4], [4, 6]]


def test_empty_collection_tells_which_ingest_to_run(tmp_path, text_encoder):
    cfg = make_config(tmp_path)
    retriever = CollectionRetriever(cfg, CorpusRegistry([spec("vids", "video", "video", "video")]), open_store(cfg))
    with pytest.raises(CorpusError, match="mmrag ingest --corpus vids"):
        retriever.search("anything", "video").hits
    with pytest.raises(CorpusError, match="unknown route 'nope'; known routes: none, video"):
        retriever.search("anything", "nope").hits


class ColourReader:
    """An OCR stand-in that 'reads' the dominant colour of a frame and counts its calls."""

    def __init__(self):
        self.calls = 0

    def read(self, img):
        self.calls += 1
        r, g, b = np.asarray(img.convert("RGB"), dtype=np.float32).reshape(-1, 3).mean(axis=0)
        return "RED" if r > max(g, b) else "GREEN" if g > b else "BLUE"


def test_clip_and_video_corpora_share_ocr_through_the_cache(tmp_path, videos, text_encoder):
    cfg = make_config(tmp_path, **{"ingest.ocr": True, "ingest.clip_seconds": 2, "ingest.frames_per_clip": 4})
    store = open_store(cfg)
    reader = ColourReader()
    ing = Ingestor(cfg, store, text_encoder=text_encoder, ocr=reader)
    clips = ing.ingest(spec("c", "clip", "video", "clip"), [videos])
    # One colour per second: 2 distinct frames in each 2 s clip (4 clips), 1 in silent.mp4's 1 s tail clip.
    assert reader.calls == 2 * 4 + 1 and clips.ingested == 5
    calls = reader.calls
    whole = ing.ingest(spec("v", "video", "video", "video"), [videos])
    assert reader.calls == calls and "decode" not in whole.stages  # OCR from the cache, no decoding needed
    hits = CollectionRetriever(cfg, CorpusRegistry([spec("c", "clip", "video", "clip")]), store).search("green", "clip", n=5).hits
    ocr = {h.item.key: h.item.ocr_text for h in hits}
    assert ocr["lesson.mp4@0-2"] == "RED GREEN"  # seconds 0 and 1 of the clip, in frame order


class ScriptedTranscriber:
    """A transcriber stand-in returning timed segments (the real one is Whisper; too slow for unit tests)."""

    def __init__(self):
        self.calls = 0

    def transcribe(self, path):
        from mmrag.media.subtitles import Segment

        self.calls += 1
        return [Segment(start=0.5, end=1.8, text="Mix the flour and water."),
                Segment(start=1.9, end=2.6, text="Cover the bowl."),
                Segment(start=2.8, end=3.9, text="Bake for forty minutes.")]


def test_asr_transcript_is_aligned_to_clips_and_cached(tmp_path, text_encoder):
    root = tmp_path / "narrated"
    root.mkdir()
    tiny_video(root / "bake.mp4", seconds=4, audio=True)
    tiny_video(root / "subbed.mp4", seconds=4, audio=True)
    write_srt(root / "subbed.srt", [(0.0, 1.0, "Subtitles win over speech recognition.")])
    cfg = make_config(tmp_path, **{"ingest.asr": True, "ingest.clip_seconds": 2, "ingest.frames_per_clip": 2})
    store = open_store(cfg)
    asr = ScriptedTranscriber()
    ing = Ingestor(cfg, store, text_encoder=text_encoder, transcriber_factory=lambda: asr)
    ing.ingest(spec("c", "clip", "video", "clip"), [root])
    assert asr.calls == 1  # only bake.mp4: subbed.mp4 has subtitles
    hits = CollectionRetriever(cfg, CorpusRegistry([spec("c", "clip", "video", "clip")]), store).search("baking", "clip", n=4).hits
    got = {h.item.key: h.item.transcript for h in hits}
    # A segment spanning the 2 s boundary belongs to both clips.
    assert got["bake.mp4@0-2"] == "Mix the flour and water. Cover the bowl."
    assert got["bake.mp4@2-4"] == "Cover the bowl. Bake for forty minutes."
    assert got["subbed.mp4@0-2"] == "Subtitles win over speech recognition."
    assert "subbed.mp4@2-4" not in got  # no subtitle in that span, no OCR, no image encoder: nothing to embed
    ing.ingest(spec("v", "video", "video", "video"), [root])
    assert asr.calls == 1  # the whole-video corpus reuses the cached transcript


def test_scene_mode_clips_follow_the_cuts(tmp_path, clip_model):
    root = tmp_path / "scenes"
    root.mkdir()
    red, blue = (255, 0, 0), (0, 0, 255)
    tiny_video(root / "two-shots.mp4", seconds=6, colours=[red, red, red, blue, blue, blue])
    cfg = make_config(tmp_path, **{"encoders.image_text.model": str(clip_model), "ingest.clip_mode": "scenes", "ingest.frames_per_clip": 2})
    store = open_store(cfg)
    corpus = spec("s", "clip", "video", "clip")
    report = Ingestor(cfg, store).ingest(corpus, [root])
    assert report.ingested == 2
    hits = CollectionRetriever(cfg, CorpusRegistry([corpus]), store).search("a shot", "clip", n=5).hits
    assert sorted(h.item.key for h in hits) == ["two-shots.mp4@0-3", "two-shots.mp4@3-6"]


def test_whole_video_image_vector_is_the_mean_of_its_clip_vectors(tmp_path, videos, clip_model):
    from mmrag.encoders import load_image_text_encoder
    from mmrag.encoders.base import l2_normalise
    from mmrag.media.video import sample_frames

    cfg = make_config(tmp_path, **{"encoders.image_text.model": str(clip_model), "ingest.clip_seconds": 2, "ingest.frames_per_clip": 2})
    store = open_store(cfg)
    corpus = spec("v", "video", "video", "video")
    Ingestor(cfg, store).ingest(corpus, [videos])
    hit = next(h for h in CollectionRetriever(cfg, CorpusRegistry([corpus]), store).search("bread", "video", n=5).hits if h.item.key == "lesson.mp4")
    enc = load_image_text_encoder(cfg.encoders.image_text)
    times = hit.item.frame_times
    assert len(times) == 6  # 3 clips x 2 frames
    frames = [im for _, im in sample_frames(videos / "lesson.mp4", times)]
    vecs = enc.encode_images(frames)
    clip_vecs = [l2_normalise(vecs[i : i + 2].mean(axis=0)) for i in range(0, 6, 2)]
    rec = store.stored_vectors("v", [hit.item.id], "image")[hit.item.id]
    assert np.allclose(rec, l2_normalise(np.mean(clip_vecs, axis=0)), atol=1e-4)
