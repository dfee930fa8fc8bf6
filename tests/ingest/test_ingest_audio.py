"""The ``audio`` route: recordings transcribed by Whisper tiny.en into time spans, cited by file and time."""

from __future__ import annotations

import shutil
import sys
import subprocess
from pathlib import Path

import pytest
from tests.helpers.openai_stub import Reply, chat_completion
from tests.helpers.ingest import make_config, spec

from mmrag.config import GeneratorConfig, MMRAGConfig, ModelServerConfig
from mmrag.generate import load_generator
from mmrag.ingest import Ingestor
from mmrag.ingest.audio_units import group_segments
from mmrag.media.subtitles import Segment
from mmrag.registry import CorpusRegistry
from mmrag.retrieval import CollectionRetriever
from mmrag.store.qdrant import open_store
from mmrag.types import ScoredHit

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (apt-get install espeak-ng) makes the speech fixture")


def test_segments_group_into_spans_without_splitting_one():
    segs = [Segment(start=a, end=b, text=t) for a, b, t in [(0, 4, "a"), (4, 9, "b"), (9, 12, "c"), (15, 40, "d"), (41, 43, "e")]]
    assert group_segments(segs, 10) == [(0, 9), (9, 12), (15, 40), (41, 43)]
    assert group_segments([], 10) == []


@needs_espeak
def test_recording_is_transcribed_searched_and_cited_by_time(tmp_path, text_encoder, stub_server):
    folder = tmp_path / "rec"
    folder.mkdir()
    subprocess.run(["espeak-ng", "-w", str(folder / "opening-hours.wav"),
                    "The library opens at nine in the morning. It closes at six in the evening."], check=True)
    (folder / "broken.wav").write_bytes(b"RIFF....WAVEfmt not really")
    cfg = make_config(tmp_path, **{"ingest.asr": True})
    store = open_store(cfg)
    audio = spec("talks", "audio", "audio", "clip")
    report = Ingestor(cfg, store, text_encoder=text_encoder).ingest(audio, [folder])
    assert report.ingested >= 1
    assert [Path(s.path).name for s in report.skipped] == ["broken.wav"]
    assert "broken.wav" in report.skipped[0].reason and "\n" not in report.skipped[0].reason
    hit = CollectionRetriever(cfg, CorpusRegistry([audio]), store).search("when does the library open", "audio", n=1).hits[0]
    it = hit.item
    assert it.modality == "audio" and it.granularity == "clip" and it.start == 0.0 and 3 < it.end < 10
    assert "library opens" in it.transcript.lower() and "six in the evening" in it.transcript.lower()
    assert it.key.startswith("opening-hours.wav@0-")
    # Cached transcript: a second ingest runs no ASR.
    again = Ingestor(cfg, store, text_encoder=text_encoder).ingest(audio, [folder])
    assert again.ingested == 0 and "asr" not in again.stages

    stub_server.responder = lambda p, b: Reply(body=chat_completion("It opens at nine [1]."))
    gen = load_generator(MMRAGConfig(model_server=ModelServerConfig(base_url=stub_server.base_url, model="vlm", timeout_s=5, max_retries=1),
                                     generator=GeneratorConfig(backend="openai")))
    ans = gen.generate("When does the library open?", [ScoredHit(hit=hit, rs=0.9, kept=True)])
    content = stub_server.chat_requests()[0]["messages"][-1]["content"]  # the question (after the worked examples)
    text = content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)
    assert f"(audio {it.key}, {it.span})" in text and "image_url" not in str(content)  # no frames for audio
    c = ans.citations[0]
    assert c.locator == it.span and c.start == 0.0 and c.source.endswith("opening-hours.wav")


def test_missing_speech_recogniser_is_a_one_line_hint_per_recording(tmp_path, text_encoder, monkeypatch):
    wav = Path(pytest.importorskip("iscc_samples").__file__).parent / "files" / "audio" / "short.wav"  # a real recording
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # as if the `audio` extra were not installed
    cfg = make_config(tmp_path, **{"ingest.asr": True})
    report = Ingestor(cfg, open_store(cfg), text_encoder=text_encoder).ingest(spec("talks", "audio", "audio", "clip"), [wav])
    assert report.ingested == 0 and len(report.skipped) == 1
    reason = report.skipped[0].reason
    assert "short.wav" in reason and "pip install 'mmrag[audio]'" in reason and "\n" not in reason


def test_music_without_speech_is_skipped_not_hallucinated(tmp_path, text_encoder):
    # iscc-samples' demo.wav is 14 s of music: plain Whisper "hears" "Thank you so much for watching".
    wav = Path(pytest.importorskip("iscc_samples").__file__).parent / "files" / "audio" / "demo.wav"
    cfg = make_config(tmp_path, **{"ingest.asr": True})
    report = Ingestor(cfg, open_store(cfg), text_encoder=text_encoder).ingest(spec("talks", "audio", "audio", "clip"), [wav])
    assert report.ingested == 0
    assert [s.reason for s in report.skipped] == [f"'{wav}' has no recognisable speech (Whisper found none): nothing to search in it"]
