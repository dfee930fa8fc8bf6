"""Images through a real vLLM server: runs only when MMRAG_VLLM_URL is set.

    scripts/serve-vllm-cpu.sh --vlm 8001      # tiny LLaVA (SmolLM2 + random vision tower), max 4 images
    MMRAG_VLLM_URL=http://127.0.0.1:8001/v1 MMRAG_VLLM_IMAGE_LIMIT=4 pytest tests/live_vllm -s

The tiny model cannot see (its vision tower is random): these tests check the request path only (data
URLs, image tokens, limits, logprobs), never what an answer says about an image. With a real VLM (GPU)
the same tests run unchanged; set MMRAG_VLLM_IMAGE_LIMIT to the server's --limit-mm-per-prompt.

When the server at MMRAG_VLLM_URL takes no images, the vision tests skip and the "model without vision"
error test runs against it; MMRAG_VLLM_TEXT_URL may name a second, text-only server for that test.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image, ImageDraw

from mmrag.config import GeneratorConfig, MMRAGConfig, RerankConfig, ModelServerConfig
from mmrag.errors import ServerError
from mmrag.generate import load_generator
from mmrag.media.images import image_to_data_url
from mmrag.rerank.factory import load_scorer
from mmrag.rerank.views import text_messages, vision_messages
from mmrag.model_client import OpenAIClient, top_logprobs_of_first_token
from mmrag.types import Answer, Hit, Item, ScoredHit

URL = os.environ.get("MMRAG_VLLM_URL")
TEXT_URL = os.environ.get("MMRAG_VLLM_TEXT_URL")
LIMIT = int(os.environ.get("MMRAG_VLLM_IMAGE_LIMIT", "4"))
pytestmark = pytest.mark.skipif(not URL, reason="set MMRAG_VLLM_URL to a running vLLM server (scripts/serve-vllm-cpu.sh --vlm)")


def _server(url: str) -> ModelServerConfig:
    model = os.environ.get("MMRAG_VLLM_MODEL") if url == URL else None
    cfg = ModelServerConfig(base_url=url, model=model or "x", timeout_s=180.0, max_retries=0)
    if not model:  # take the one model the server serves
        cfg = cfg.model_copy(update={"model": OpenAIClient(cfg).models()[0]})
    return cfg


def _image_message(n: int, text: str = "Describe the images in one word.") -> list[dict]:
    imgs = [_photo(64 + 16 * i, seed=i) for i in range(n)]
    parts: list[dict] = [{"type": "text", "text": text}]
    for img in imgs:
        parts.append({"type": "image_url", "image_url": {"url": image_to_data_url(img)}})
    return [{"role": "user", "content": parts}]


def _vision_refusal(cfg: ModelServerConfig) -> ServerError | None:
    """The server's error for a one-image request, or None when it takes images."""
    try:
        OpenAIClient(cfg).chat(_image_message(1), max_tokens=1, temperature=0.0)
    except ServerError as e:
        return e
    return None


@pytest.fixture(scope="module")
def server() -> ModelServerConfig:
    return _server(URL or "")


@pytest.fixture(scope="module")
def vlm(server: ModelServerConfig) -> ModelServerConfig:
    refusal = _vision_refusal(server)
    if refusal is not None:
        pytest.skip(f"the served model takes no images: {refusal}")
    return server


# -- fixtures written fresh for these tests ---------------------------------------------------------
def _photo(size: int, seed: int) -> Image.Image:
    """A photo-like RGB picture: smooth gradients plus noise and a few shapes."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    base = np.stack([x, y, (x + y) / 2], -1) * rng.uniform(80, 200, 3) + rng.normal(0, 12, (size, size, 3))
    img = Image.fromarray(np.clip(base, 0, 255).astype("uint8"))
    d = ImageDraw.Draw(img)
    for _ in range(3):
        x0, y0 = rng.randint(0, size // 2, 2)
        d.ellipse([x0, y0, x0 + size // 3, y0 + size // 4], fill=tuple(int(v) for v in rng.randint(0, 255, 3)))
    return img


def _png(tmp: Path, name: str, img: Image.Image) -> str:
    path = tmp / name
    img.save(path)
    return str(path)


def _page(tmp: Path) -> str:
    """A rendered document page: title, paragraphs and a table-like block on white."""
    img = Image.new("RGB", (850, 1100), "white")
    d = ImageDraw.Draw(img)
    d.text((60, 50), "Quarterly report: lighthouse maintenance", fill="black")
    lines = ["The north lighthouse lens was cleaned on 3 March.", "The keeper replaced two bulbs and a gasket.",
             "Fuel use fell by 12 percent after the repair.", "Next inspection: 14 September."]
    for i, line in enumerate(lines * 6):
        d.text((60, 110 + 22 * i), line, fill=(30, 30, 30))
    for r in range(5):
        d.rectangle([60, 700 + 40 * r, 790, 740 + 40 * r], outline="black")
        d.text((70, 712 + 40 * r), f"row {r + 1}   lamp hours {1200 + 37 * r}", fill="black")
    return _png(tmp, "page-7.png", img)


def _video(tmp: Path, seconds: float = 6.0, fps: int = 5) -> str:
    import av

    path = tmp / "harbour.mp4"
    with av.open(str(path), "w") as out:
        st = out.add_stream("mpeg4", rate=fps)
        st.width, st.height, st.pix_fmt = 96, 64, "yuv420p"
        for i in range(int(seconds * fps)):
            arr = np.zeros((64, 96, 3), dtype="uint8")
            arr[:, : 8 + i * 3 % 88] = (40 + i * 7 % 200, 90, 160)  # a band that grows over time
            for pkt in st.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    return str(path)


def _scored(item: Item, rs: float) -> ScoredHit:
    return ScoredHit(hit=Hit(item=item, score=rs, route=item.route), rs=rs, kept=True)


def _image_item(key: str, path: str, caption: str, granularity: str = "image") -> Item:
    return Item(id=key, key=key, corpus="live", route="images", modality="image", granularity=granularity,
                source=key, title=key, media_path=path, caption=caption)


def _page_item(path: str) -> tuple[Item, str]:
    """A page image; granularity 'page' where this tree has it, else 'image'."""
    try:
        item = _image_item("report.pdf#page=7", path, "Page 7 of the lighthouse report", granularity="page")
        return item, "page"
    except ValueError:
        return _image_item("report.pdf#page=7", path, "Page 7 of the lighthouse report"), "image"


def _image_parts(request: dict) -> list[dict]:
    content = request["messages"][1]["content"]
    return [p for p in content if isinstance(p, dict) and p.get("type") == "image_url"] if isinstance(content, list) else []


def _gen(server: ModelServerConfig, **kw):
    cfg = GeneratorConfig(backend="openai", **{"vision": True, "max_tokens": 24, "max_images": LIMIT, **kw})
    return load_generator(cfg, server)


# -- answers with images -----------------------------------------------------------------------------
def test_question_with_kept_images(vlm: ModelServerConfig, tmp_path: Path) -> None:
    kept = [
        _scored(_image_item("harbour.jpg", _png(tmp_path, "harbour.png", _photo(120, 1)), "Boats in a small harbour at dusk"), 0.81),
        _scored(_image_item("market.jpg", _png(tmp_path, "market.png", _photo(90, 2)), "A fruit market with oranges"), 0.64),
        _scored(Item(id="t1", key="notes.md#0", corpus="live", route="paragraph", modality="text", granularity="paragraph",
                     source="notes.md", text="The harbour is closed to boats in February for dredging."), 0.55),
    ]
    gen = _gen(vlm)
    t0 = time.perf_counter()
    ans = gen.generate("When is the harbour closed?", kept)
    wall = time.perf_counter() - t0
    print(f"\n[vllm-vision] 2 kept images + 1 text: {wall:.2f}s, usage {ans.usage}, answer {ans.text!r}")
    assert len(_image_parts(ans.request)) == 2
    assert ans.text and ans.usage["completion_tokens"] > 0
    text_only = _gen(vlm, vision=False).generate("When is the harbour closed?", kept)
    print(f"[vllm-vision] same sources as text only: usage {text_only.usage}")
    # The images reach the model as image tokens: the prompt is longer than the text-only one.
    assert ans.usage["prompt_tokens"] > text_only.usage["prompt_tokens"]

    # Streaming sends the same images: greedy decoding gives the same answer and the same prompt size.
    pieces, final = [], None
    for x in gen.stream("When is the harbour closed?", kept):
        if isinstance(x, Answer):
            final = x
        else:
            pieces.append(x)
    assert final is not None and "".join(pieces).strip() == final.text == ans.text
    assert final.usage["prompt_tokens"] == ans.usage["prompt_tokens"]


def test_page_image(vlm: ModelServerConfig, tmp_path: Path) -> None:
    item, granularity = _page_item(_page(tmp_path))
    q, kept = "When is the next lighthouse inspection?", [_scored(item, 0.77)]
    ans = _gen(vlm).generate(q, kept)
    text_only = _gen(vlm, vision=False).generate(q, kept)
    print(f"\n[vllm-vision] page image (granularity {granularity!r}): usage {ans.usage} "
          f"(as text: {text_only.usage}), answer {ans.text!r}")
    assert len(_image_parts(ans.request)) == 1 and not _image_parts(text_only.request)
    assert ans.text and ans.usage["prompt_tokens"] > text_only.usage["prompt_tokens"]


def test_clip_frames_with_timestamps(vlm: ModelServerConfig, tmp_path: Path) -> None:
    clip = Item(id="c1", key="harbour.mp4#t=1.0-5.0", corpus="live", route="clips", modality="video", granularity="clip",
                source="harbour.mp4", title="Harbour", media_path=_video(tmp_path), start=1.0, end=5.0,
                transcript="the tide comes in over the harbour wall")
    gen = _gen(vlm, frames_per_item=3)
    t0 = time.perf_counter()
    ans = gen.generate("What happens to the harbour wall?", [_scored(clip, 0.7)])
    print(f"\n[vllm-vision] clip, 3 frames: {time.perf_counter() - t0:.2f}s, usage {ans.usage}, answer {ans.text!r}")
    content = ans.request["messages"][1]["content"]
    labels = [p["text"] for p in content if p["type"] == "text" and p["text"].startswith("frame at ")]
    assert len(labels) == 3 and len(_image_parts(ans.request)) == 3
    # Each frame label stands right before its image, times inside the clip.
    for i, p in enumerate(content):
        if p["type"] == "text" and p["text"].startswith("frame at "):
            assert content[i + 1]["type"] == "image_url"
            assert 1.0 <= float(p["text"].split()[2]) <= 5.0
    assert ans.text and ans.usage["completion_tokens"] > 0

    # In the prompt the model gets, each label stands right before its frame's image tokens.
    prompt = _served_prompt(vlm, gen.build("What happens to the harbour wall?", [_scored(clip, 0.7)]).messages)
    if prompt is not None:
        print(f"[vllm-vision] served prompt: {prompt[-400:]!r}")
        framed = re.findall(r"frame at (\d+\.\d) s:\s*(?:<[^>]*>\s*)*<IMAGE x(\d+)>", prompt)
        assert len(framed) == 3 and len({n for _, n in framed}) == 1, prompt


def _served_prompt(server: ModelServerConfig, messages: list[dict]) -> str | None:
    """The prompt vLLM renders for ``messages`` (its /tokenize endpoint), each run of image tokens shown as
    ``<IMAGE xN>``; None when the server has no such endpoint."""
    root = server.base_url.rstrip("/").removesuffix("/v1")
    r = httpx.post(f"{root}/tokenize", json={"model": server.model, "messages": messages, "add_generation_prompt": True,
                                              "return_token_strs": True}, timeout=server.timeout_s)
    if r.status_code == 404:
        return None
    r.raise_for_status()
    strs = r.json()["token_strs"]
    runs: list[tuple[str, int]] = []
    for t in strs:
        if runs and runs[-1][0] == t:
            runs[-1] = (t, runs[-1][1] + 1)
        else:
            runs.append((t, 1))
    # Byte-level BPE marks: Ġ is a space, Ċ a newline. A token repeated 8+ times in a row is an image's tokens.
    return "".join(f"<IMAGE x{n}>" if n >= 8 else t * n for t, n in runs).replace("Ġ", " ").replace("Ċ", "\n")


def test_multiple_images_under_the_limit(vlm: ModelServerConfig, tmp_path: Path) -> None:
    kept = [_scored(_image_item(f"shot{i}.jpg", _png(tmp_path, f"shot{i}.png", _photo(72, 10 + i)), f"Shot {i} of the coast"),
                    0.9 - 0.05 * i) for i in range(LIMIT + 2)]
    ans = _gen(vlm, max_images=LIMIT).generate("Which shot shows the coast?", kept)
    print(f"\n[vllm-vision] {LIMIT + 2} image sources, max_images={LIMIT}: usage {ans.usage}; notes {ans.notes}")
    # The generator's cap keeps the request within the server's limit: the lowest-RS images go as text.
    assert len(_image_parts(ans.request)) == LIMIT
    assert sum("images left out" in n for n in ans.notes) == 2
    assert ans.text


def test_usage_counts_image_tokens(vlm: ModelServerConfig) -> None:
    client = OpenAIClient(vlm)
    counts = {}
    for n in (0, 1, min(3, LIMIT)):
        t0 = time.perf_counter()
        data = client.chat(_same_size_images(n), max_tokens=1, temperature=0.0)
        counts[n] = data["usage"]["prompt_tokens"]
        print(f"\n[vllm-vision] {n} image(s): prompt_tokens={counts[n]} in {time.perf_counter() - t0:.2f}s")
    per_image = counts[1] - counts[0]
    n3 = min(3, LIMIT)
    # Equal-size images cost the same number of tokens each; an image is many tokens, not a placeholder.
    assert per_image >= 4
    assert counts[n3] - counts[0] == n3 * per_image
    expected = os.environ.get("MMRAG_VLLM_IMAGE_TOKENS")  # the tiny LLaVA: 64 image tokens + 1 separator
    if expected:
        assert per_image - int(expected) in (0, 1, 2)


def _same_size_images(n: int) -> list[dict]:
    parts: list[dict] = [{"type": "text", "text": "How many pictures are there?"}]
    for i in range(n):
        parts.append({"type": "image_url", "image_url": {"url": image_to_data_url(_photo(96, 20 + i))}})
    return [{"role": "user", "content": parts}]


# -- the judge ---------------------------------------------------------------------------------------
def test_judge_logprobs_with_an_image(vlm: ModelServerConfig, tmp_path: Path) -> None:
    img_item = _image_item("harbour.jpg", _png(tmp_path, "h.png", _photo(128, 3)), "Boats in a small harbour at dusk")
    txt_item = Item(id="t2", key="tides.md#1", corpus="live", route="paragraph", modality="text", granularity="paragraph",
                    source="tides.md", text="Spring tides flood the harbour wall twice a month.")
    hits = [Hit(item=img_item, score=0.5, route="images"), Hit(item=txt_item, score=0.5, route="paragraph")]
    q = "Are there boats in the harbour?"

    client = OpenAIClient(vlm)
    params = {"max_tokens": 1, "temperature": 0.0, "logprobs": True, "top_logprobs": 20}
    t0 = time.perf_counter()
    with_image = client.chat(vision_messages(q, hits[0]), **params)
    wall = time.perf_counter() - t0
    as_text = client.chat(text_messages(q, hits[0]), **params)
    top = top_logprobs_of_first_token(with_image)
    print(f"\n[vllm-vision] judge with image: {wall:.2f}s, prompt_tokens {with_image['usage']['prompt_tokens']} "
          f"(as text: {as_text['usage']['prompt_tokens']}); top {dict(sorted(top.items(), key=lambda kv: -kv[1])[:5])}")
    assert len(top) >= 10 and all(v <= 1e-6 for v in top.values())
    assert with_image["usage"]["prompt_tokens"] > as_text["usage"]["prompt_tokens"]

    cfg = MMRAGConfig(model_server=vlm, rerank=RerankConfig(scorer="vlm-judge"))
    scorer = load_scorer(cfg)
    rs = scorer.score(q, hits).values
    print(f"[vllm-vision] vlm-judge RS: {rs}")
    assert len(rs) == 2 and all(0.0 <= r <= 1.0 for r in rs)


# -- refusals ----------------------------------------------------------------------------------------
def test_too_many_images_is_a_clear_error(vlm: ModelServerConfig, tmp_path: Path) -> None:
    client = OpenAIClient(vlm)
    with pytest.raises(ServerError) as e:
        client.chat(_image_message(LIMIT + 1), max_tokens=1)
    msg = str(e.value)
    print(f"\n[vllm-vision] {LIMIT + 1} images, limit {LIMIT}: {msg}")
    assert "\n" not in msg and "HTTP 400" in msg and "image" in msg.lower()

    # The same through the generator when its cap is above the server's limit.
    kept = [_scored(_image_item(f"p{i}.jpg", _png(tmp_path, f"p{i}.png", _photo(64, 30 + i)), f"Picture {i}"), 0.8)
            for i in range(LIMIT + 1)]
    with pytest.raises(ServerError) as e2:
        _gen(vlm, max_images=LIMIT + 1).generate("What is in the pictures?", kept)
    assert "\n" not in str(e2.value) and "generator.max_images" in str(e2.value)


def test_model_without_vision_is_a_clear_error(server: ModelServerConfig) -> None:
    if _vision_refusal(server) is None:
        if not TEXT_URL:
            pytest.skip("the server takes images; set MMRAG_VLLM_TEXT_URL to a text-only vLLM server for this test")
        target = _server(TEXT_URL)
    else:
        target = server
    refusal = _vision_refusal(target)
    assert refusal is not None, f"{target.base_url} ({target.model}) took an image"
    msg = str(refusal)
    print(f"\n[vllm-vision] image to a text-only model: {msg}")
    assert "\n" not in msg and "HTTP 400" in msg and "generator.vision" in msg
