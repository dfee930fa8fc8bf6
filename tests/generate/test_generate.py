"""Generator over the OpenAI-compatible stub server: request building, image cap, citations, errors."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from tests.helpers.openai_stub import Reply, chat_completion, stream_chunks
from PIL import Image

from mmrag.config import GeneratorConfig, MMRAGConfig, ModelServerConfig
from mmrag.errors import ConfigError, InputError, ModelError, ServerError
from mmrag.generate import SYSTEM_PROMPT, cited_numbers, load_generator, resolve_citations, trim_document
from mmrag.protocols import Generator
from mmrag.types import Answer, Hit, Item, ScoredHit


def _item(key: str, *, modality: str = "text", granularity: str = "paragraph", **kw) -> Item:
    route = kw.pop("route", granularity)
    return Item(id=f"id-{key}", key=key, corpus="demo", route=route, modality=modality, granularity=granularity,
                source=key.split("#")[0].split("@")[0], **kw)


def _sh(item: Item, rs: float, chunk: str | None = None) -> ScoredHit:
    return ScoredHit(hit=Hit(item=item, score=rs, route=item.route, matched_chunk=chunk), rs=rs, kept=True)


def _png(path: Path, size: tuple[int, int], seed: int) -> str:
    arr = (np.random.RandomState(seed).rand(size[1], size[0], 3) * 255).astype("uint8")
    Image.fromarray(arr).save(path)
    return str(path)


def _video(path: Path, seconds: float = 4.0, fps: int = 5) -> str:
    import av

    with av.open(str(path), "w") as out:
        st = out.add_stream("mpeg4", rate=fps)
        st.width, st.height, st.pix_fmt = 64, 48, "yuv420p"
        for i in range(int(seconds * fps)):
            arr = np.full((48, 64, 3), (i * 12) % 256, dtype="uint8")
            for pkt in st.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    return str(path)


def _gen(stub, **gen):
    server = ModelServerConfig(base_url=stub.base_url, model="stub-vlm", timeout_s=5, max_retries=1, backoff_s=0.01)
    return load_generator(MMRAGConfig(model_server=server, generator=GeneratorConfig(backend="openai", **gen)))


def _image_parts(content) -> list[dict]:
    return [p for p in content if p["type"] == "image_url"]


def _decode(part: dict) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(part["image_url"]["url"].split(",", 1)[1])))


# -- request building -------------------------------------------------------------------------------
def test_text_sources_are_numbered_best_first(stub_server) -> None:
    stub_server.responder = lambda p, b: Reply(body=chat_completion("Etna is in Sicily [2]."))
    kept = [_sh(_item("bees.md#0", text="Bees dance."), 0.4),
            _sh(_item("etna.md#0", text="Etna is on Sicily.", title="Etna"), 0.9)]
    gen = _gen(stub_server)
    assert isinstance(gen, Generator)
    ans = gen.generate("Where is Etna?", kept)
    body = stub_server.chat_requests()[0]
    assert body["model"] == "stub-vlm" and body["temperature"] == 0.0 and body["max_tokens"] == 256
    system, *examples, user = body["messages"]
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    # Worked examples come first as earlier turns, in the request's own format, each answer citing.
    assert [m["role"] for m in examples] == ["user", "assistant"] * len(examples[::2]) and examples
    assert all(m["content"].startswith("Question: ") and "<source 1>\n[1] " in m["content"] for m in examples[::2])
    assert all(cited_numbers(m["content"]) for m in examples[1::2])
    # Text only: one plain string, so text-only chat templates work too.
    assert isinstance(user["content"], str)
    text = user["content"]
    assert text.startswith("Question: Where is Etna?\n\nSources:\n")
    assert text.index("[1] Etna: Etna is on Sicily.") < text.index("[2] bees.md#0: Bees dance.") < text.index("Answer the question: Where is Etna?")
    assert [(c.number, c.key, c.item_id) for c in ans.citations] == [(2, "bees.md#0", "id-bees.md#0")]
    assert ans.usage["prompt_tokens"] == 10 and ans.model == "stub-vlm" and not ans.no_context
    assert ans.request["messages"] == body["messages"]


def test_images_are_downscaled_data_urls_after_the_user_image(stub_server, tmp_path) -> None:
    img = _item("cat.png", modality="image", granularity="image", caption="a grey cat",
                media_path=_png(tmp_path / "cat.png", (400, 300), 1))
    query_img = Image.fromarray(np.zeros((200, 200, 3), dtype="uint8"))
    ans = _gen(stub_server, max_pixels=100 * 100).generate("What is this?", [_sh(img, 0.8)], image=query_img)
    content = stub_server.chat_requests()[0]["messages"][-1]["content"]
    parts = _image_parts(content)
    assert len(parts) == 2 and all(p["image_url"]["url"].startswith("data:image/jpeg;base64,") for p in parts)
    sizes = [_decode(p).size for p in parts]
    assert all(w * h <= 100 * 100 for w, h in sizes)
    assert abs(sizes[1][0] / sizes[1][1] - 4 / 3) < 0.05  # aspect ratio kept
    texts = [p.get("text", "") for p in content]
    assert texts.index("Question: What is this?") < texts.index("The user's image:") < texts.index("\nSources:") \
        < texts.index("<source 1>\n[1] cat.png (image cat.png):")
    assert content[texts.index("The user's image:") + 1]["type"] == "image_url"
    # The fence opens before the image and closes after its text view.
    i = texts.index("<source 1>\n[1] cat.png (image cat.png):")
    assert content[i + 1]["type"] == "image_url" and texts[i + 2:i + 4] == ["[1] Caption: a grey cat", "</source 1>"]
    # The trace keeps the structure but not the pixels.
    elided = json.dumps(ans.request)
    assert "chars elided" in elided and len(elided) < 3000
    assert ans.trace.generator["n_images"] == 2


def test_image_cap_drops_lowest_rs_visuals_first(stub_server, tmp_path) -> None:
    imgs = [_item(f"img{i}.png", modality="image", granularity="image", caption=f"caption {i}",
                  media_path=_png(tmp_path / f"img{i}.png", (32, 32), i)) for i in range(3)]
    kept = [_sh(imgs[0], 0.5), _sh(imgs[1], 0.9), _sh(imgs[2], 0.3), _sh(_item("t#0", text="words"), 0.7)]
    ans = _gen(stub_server, max_images=2).generate("q?", kept)
    content = stub_server.chat_requests()[0]["messages"][-1]["content"]
    assert len(_image_parts(content)) == 2
    assert ans.trace.generator["dropped_visuals"] == ["img2.png"]
    assert any("img2.png (RS 0.30)" in n and "max_images=2" in n for n in ans.notes)
    # The dropped item is still a numbered source, as its text view.
    assert "<source 4>\n[4] img2.png (image img2.png): Caption: caption 2\n</source 4>" in [p.get("text") for p in content]
    assert ans.trace.generator["sources"] == ["img1.png", "t#0", "img0.png", "img2.png"]


def test_clip_frames_with_timestamps_and_transcript(stub_server, tmp_path) -> None:
    clip = _item("talk.mp4@0-4", modality="video", granularity="clip", route="clip", start=0.0, end=4.0,
                 frame_times=[0.5, 1.5, 2.5, 3.5], transcript="we mix the dough", media_path=_video(tmp_path / "talk.mp4"))
    stub_server.responder = lambda p, b: Reply(body=chat_completion("They mix dough [1]."))
    ans = _gen(stub_server, frames_per_item=2, max_images=4).generate("What happens?", [_sh(clip, 0.8)])
    content = stub_server.chat_requests()[0]["messages"][-1]["content"]
    texts = [p.get("text") for p in content]
    assert "<source 1>\n[1] talk.mp4@0-4 (video clip talk.mp4@0-4, 0:00–0:04):" in texts
    # Two frames spread over the four stored times, each labelled with its time, then the transcript.
    i = texts.index("frame at 0.5 s:")
    assert texts[i + 2] == "frame at 2.5 s:" and content[i + 1]["type"] == content[i + 3]["type"] == "image_url"
    assert texts[-3:-1] == ["[1] Transcript: we mix the dough", "</source 1>"]
    c = ans.citations[0]
    assert (c.number, c.key, c.route, c.start, c.end) == (1, "talk.mp4@0-4", "clip", 0.0, 4.0)


def test_video_url_part_when_configured(stub_server, tmp_path) -> None:
    clip = _item("v.mp4@0-4", modality="video", granularity="clip", start=0.0, end=4.0, media_path=str(tmp_path / "v.mp4"))
    _gen(stub_server, use_video_url=True).generate("q?", [_sh(clip, 0.8)])
    content = stub_server.chat_requests()[0]["messages"][-1]["content"]
    vids = [p for p in content if p["type"] == "video_url"]
    assert vids == [{"type": "video_url", "video_url": {"url": (tmp_path / "v.mp4").resolve().as_uri()}}]


def test_text_only_model_gets_text_views(stub_server, tmp_path) -> None:
    img = _item("cat.png", modality="image", granularity="image", caption="a cat", ocr_text="MEOW",
                media_path=_png(tmp_path / "cat.png", (32, 32), 0))
    ans = _gen(stub_server, vision=False).generate("q?", [_sh(img, 0.8)], image=Image.new("RGB", (8, 8)))
    user = stub_server.chat_requests()[0]["messages"][-1]["content"]
    assert isinstance(user, str) and "Caption: a cat" in user and "MEOW" in user
    assert any("text-only" in n for n in ans.notes) and any("user's image was not sent" in n for n in ans.notes)


def test_zero_kept_answers_from_own_knowledge(stub_server) -> None:
    stub_server.responder = lambda p, b: Reply(body=chat_completion("Paris [1]."))
    ans = _gen(stub_server).generate("Capital of France?", [])
    system, user = stub_server.chat_requests()[0]["messages"]
    assert "Sources" not in user["content"] and "own general knowledge" in system["content"]
    assert ans.no_context and ans.citations == [] and any("own knowledge" in n for n in ans.notes)


def test_empty_question_is_a_user_error(stub_server) -> None:
    with pytest.raises(InputError, match="question is empty"):
        _gen(stub_server).generate("  ", [])


def test_document_trimmed_around_matched_chunk() -> None:
    words = [f"w{i}" for i in range(1000)]
    chunk = " ".join(words[600:620])
    out = trim_document(" ".join(words), chunk, budget=100)
    kept = out.replace("…", "").split()
    assert len(kept) == 100 and chunk in out and out.startswith("… ") and out.endswith(" …")
    assert trim_document("short text here", None, 100) == "short text here"
    assert trim_document(" ".join(words), None, 10).split()[:10] == words[:10]


def test_document_budget_applies_in_request(stub_server) -> None:
    doc = _item("long.md", granularity="document", text=" ".join(f"w{i}" for i in range(2000)))
    _gen(stub_server, doc_token_budget=50).generate("q?", [_sh(doc, 0.9, chunk="w1500 w1501 w1502")])
    user = stub_server.chat_requests()[0]["messages"][-1]["content"]
    assert "w1500 w1501 w1502" in user and "w0 " not in user and len(user.split()) < 120


# -- citations ------------------------------------------------------------------------------------
def test_citation_parsing() -> None:
    assert cited_numbers("A [1]. B [2, 3]. C [1-2] and [4–5]; [3][6] [ 7 ]") == [1, 2, 3, 4, 5, 6, 7]
    assert cited_numbers("no citations, [a] [] [1.5 is not one") == []
    srcs = [_item(f"s{i}") for i in range(3)]
    cits = resolve_citations("x [3] y [9] z [0] [2-3]", srcs)
    assert [(c.number, c.key) for c in cits] == [(3, "s2"), (2, "s1")]


# -- streaming and failures -----------------------------------------------------------------------
def test_streaming_yields_deltas_then_answer(stub_server) -> None:
    stub_server.responder = lambda p, b: Reply(stream=stream_chunks("Etna is in Sicily [1] today.", pieces=3))
    out = list(_gen(stub_server).stream("Where?", [_sh(_item("e#0", text="Etna, Sicily."), 0.9)]))
    *deltas, final = out
    assert len(deltas) >= 3 and all(isinstance(d, str) for d in deltas)
    assert isinstance(final, Answer) and final.text == "Etna is in Sicily [1] today."
    assert final.citations[0].key == "e#0" and final.usage["completion_tokens"] == 6
    body = stub_server.chat_requests()[0]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        (Reply(status=400, body={"error": "bad model"}), "HTTP 400"),
        (Reply(status=503, body="busy"), "HTTP 503"),
        (Reply(body={"choices": []}), "no choices"),
        (Reply(body="not json"), "not JSON"),
        (Reply(body={"choices": [{"message": {"content": ["x"]}}]}), "not text"),
        (Reply(body=chat_completion("late"), delay_s=1.5), "timed out"),
    ],
)
def test_server_failures_are_one_line_errors(stub_server, reply, match) -> None:
    stub_server.responder = lambda p, b: reply
    server = ModelServerConfig(base_url=stub_server.base_url, model="m", timeout_s=0.5, max_retries=1, backoff_s=0.01)
    gen = load_generator(GeneratorConfig(backend="openai"), server)
    with pytest.raises(ServerError, match=match) as e:
        gen.generate("q?", [])
    assert "\n" not in str(e.value)


def test_5xx_is_retried_then_answers(stub_server) -> None:
    replies = iter([Reply(status=502, body="x"), Reply(body=chat_completion("fine"))])
    stub_server.responder = lambda p, b: next(replies)
    assert _gen(stub_server).generate("q?", []).text == "fine"
    assert len(stub_server.chat_requests()) == 2


def test_backend_config_errors() -> None:
    with pytest.raises(ConfigError, match="text-only"):
        load_generator(GeneratorConfig(backend="gguf", vision=True))
    try:
        import vllm  # noqa: F401
    except ImportError:
        with pytest.raises(ModelError, match="vllm"):
            load_generator(GeneratorConfig(backend="vllm-offline")).warm_up()


def test_missing_media_falls_back_to_text_view(stub_server, tmp_path) -> None:
    img = _item("gone.png", modality="image", granularity="image", caption="a moved file", media_path=str(tmp_path / "gone.png"))
    ans = _gen(stub_server).generate("q?", [_sh(img, 0.8)])
    user = stub_server.chat_requests()[0]["messages"][-1]["content"]
    assert isinstance(user, str) and "Caption: a moved file" in user
    assert any("gone.png: media not sent" in n and "does not exist" in n for n in ans.notes)
