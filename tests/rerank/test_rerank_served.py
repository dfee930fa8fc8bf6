"""The served yes/no judge against the stub OpenAI-compatible server: RS formula, variants, selection, failures."""

from __future__ import annotations

import json
import math

import pytest
from tests.helpers.openai_stub import Reply, chat_completion

from mmrag.config import MMRAGConfig, ModelServerConfig
from mmrag.errors import ConfigError, ServerError
from mmrag.rerank import AdaptiveSelector, load_scorer, rs_from_logprobs
from mmrag.rerank.served import FallbackScorer, ServedJudgeScorer, ServedRerankerScorer
from mmrag.types import Hit, Item, Scores


def _hit(key: str, text: str, rank: int = 0) -> Hit:
    item = Item(id=key, key=key, corpus="t", route="paragraph", modality="text", granularity="paragraph", source=key, text=text)
    return Hit(item=item, score=0.0, rank=rank, route="paragraph")


def _server(stub, **kw) -> ModelServerConfig:
    return ModelServerConfig(base_url=stub.base_url, model="judge", max_retries=kw.pop("max_retries", 0), backoff_s=0.01, **kw)


def _by_text(table: dict[str, dict[str, float]], delay_s: float = 0.0):
    """Responder: the log-probs to return depend on which item text the request holds."""

    def responder(path, body):
        user = body["messages"][-1]["content"]
        text = user if isinstance(user, str) else " ".join(p.get("text", "") for p in user)
        for marker, lps in table.items():
            if marker in text:
                return Reply(body=chat_completion("yes", logprobs=lps), delay_s=delay_s)
        return Reply(status=400, body={"error": "unexpected item"})

    return responder


def test_rs_formula_and_token_variants():
    ln = math.log
    # Case and leading-space variants of "yes" and "no" are summed before normalising.
    lps = {"Yes": ln(0.3), " yes": ln(0.2), "yes": ln(0.1), "No": ln(0.15), " no": ln(0.05), "Maybe": ln(0.2)}
    assert rs_from_logprobs(lps) == pytest.approx(0.6 / 0.8)
    assert rs_from_logprobs({"▁Yes": ln(0.5), "Ġno": ln(0.5)}) == pytest.approx(0.5)
    assert rs_from_logprobs({"yes": ln(0.9)}) == pytest.approx(1.0)
    assert rs_from_logprobs({"The": -0.1}, missing=0.5) == 0.5
    # "yesterday" or "not" are other words, not answers.
    assert rs_from_logprobs({"yesterday": ln(0.5), "no": ln(0.1), "yes": ln(0.1)}) == pytest.approx(0.5)


def test_served_judge_request_and_scores(stub_server):
    ln = math.log
    stub_server.responder = _by_text({
        "ALPHA": {"Yes": ln(0.6), " yes": ln(0.2), "No": ln(0.1)},
        "BETA": {"No": ln(0.7), " no": ln(0.1), "Yes": ln(0.1)},
    })
    scorer = ServedJudgeScorer(_server(stub_server))
    hits = [_hit("a", "ALPHA text"), _hit("b", "BETA text")]
    rs = scorer.score("what?", hits).values
    assert rs == pytest.approx([0.8 / 0.9, 0.1 / 0.9])
    assert scorer.calibrated
    body = stub_server.chat_requests()[0]
    assert body["max_tokens"] == 1 and body["logprobs"] is True and body["top_logprobs"] == 20
    assert body["model"] == "judge"
    prompt = body["messages"][-1]["content"]
    assert "Is this relevant to answering the question? Answer yes or no." in prompt and "what?" in prompt


def test_ordering_tau_k_and_zero_kept(stub_server):
    ln = math.log
    table = {f"DOC{i}": {"yes": ln(p), "no": ln(1 - p)} for i, p in enumerate([0.2, 0.9, 0.55, 0.7, 0.95, 0.4])}
    stub_server.responder = _by_text(table)
    hits = [_hit(f"d{i}", f"DOC{i} body", rank=i) for i in range(6)]
    rs = ServedJudgeScorer(_server(stub_server)).score("q", hits).values

    sel = AdaptiveSelector(tau=0.5, k=3).select(hits, rs)
    assert [s.hit.item.key for s in sel.kept] == ["d4", "d1", "d3"]  # best first, capped at k
    reasons = {s.hit.item.key: s.reason for s in sel.dropped}
    assert reasons["d2"].startswith("beyond k=3")
    assert "< τ 0.5" in reasons["d0"] and "< τ 0.5" in reasons["d5"]
    assert len(sel.kept) + len(sel.dropped) == 6

    loose = AdaptiveSelector(tau=0.5, k=10).select(hits, rs)
    assert [s.hit.item.key for s in loose.kept] == ["d4", "d1", "d3", "d2"]

    none = AdaptiveSelector(tau=0.99, k=5).select(hits, rs)
    assert none.kept == [] and len(none.dropped) == 6

    raw = AdaptiveSelector(tau=0.5, k=3).select(hits, Scores(values=rs, calibrated=False))
    assert not raw.kept[0].calibrated and "(uncalibrated)" in raw.dropped[-1].reason

    # Per-call tau and k override the selector's own, checked by the same rule.
    per_call = AdaptiveSelector(tau=0.5, k=3).select(hits, rs, tau=0.6, k=1)
    assert [s.hit.item.key for s in per_call.kept] == ["d4"] and (per_call.tau, per_call.k) == (0.6, 1)
    with pytest.raises(ConfigError, match="tau = 2 is outside"):
        AdaptiveSelector().select(hits, rs, tau=2)

    floor = AdaptiveSelector(tau=0.99, k=5, min_keep=1).select(hits, rs)
    assert [s.hit.item.key for s in floor.kept] == ["d4"] and "min_keep" in floor.kept[0].reason


def test_selector_rejects_bad_settings_and_the_config_bounds_them():
    from mmrag.config import load_config
    from mmrag.errors import ConfigError, InputError

    for kw, match in (({"tau": 1.5}, "tau = 1.5 is outside"), ({"k": -1}, "k = -1 is negative"),
                      ({"k": 2, "min_keep": 3}, "min_keep = 3 must be between 0 and k")):
        with pytest.raises(ConfigError, match=match) as e:
            AdaptiveSelector(**kw)
        assert not isinstance(e.value, InputError)  # one kind of mistake, one error class
    # A bad value in a config file fails when the config loads, as the same error, naming the key.
    for key, value in (("rerank.tau", 1.5), ("rerank.k", -1), ("rerank.n_candidates", 0), ("routing.tau", 0)):
        with pytest.raises(ConfigError, match=key):
            load_config(None, {key: value})
    assert AdaptiveSelector(tau=0.0, k=0).select([_hit("a", "x")], [0.9]).kept == []


def test_concurrency_is_bounded(stub_server):
    ln = math.log
    stub_server.responder = lambda path, body: Reply(body=chat_completion("yes", logprobs={"yes": ln(0.5), "no": ln(0.5)}), delay_s=0.15)
    scorer = ServedJudgeScorer(_server(stub_server, max_concurrency=3))
    hits = [_hit(f"d{i}", f"text {i}") for i in range(9)]
    assert scorer.score("q", hits).values == pytest.approx([0.5] * 9)
    assert stub_server.max_in_flight == 3  # bounded, and actually concurrent


def test_timeout_is_a_clear_error(stub_server):
    stub_server.responder = lambda path, body: Reply(body=chat_completion("yes", logprobs={"yes": -0.1}), delay_s=1.0)
    scorer = ServedJudgeScorer(_server(stub_server, timeout_s=0.2))
    with pytest.raises(ServerError, match="timed out after 0.2s"):
        scorer.score("q", [_hit("a", "x")]).values


def test_5xx_is_retried_then_reported(stub_server):
    calls = {"n": 0}

    def flaky(path, body):
        calls["n"] += 1
        if calls["n"] == 1:
            return Reply(status=503, body={"error": "busy"})
        return Reply(body=chat_completion("yes", logprobs={"yes": math.log(0.75), "no": math.log(0.25)}))

    stub_server.responder = flaky
    assert ServedJudgeScorer(_server(stub_server, max_retries=2)).score("q", [_hit("a", "x")]).values == pytest.approx([0.75])
    assert calls["n"] == 2

    stub_server.responder = lambda path, body: Reply(status=500, body={"error": "boom"})
    with pytest.raises(ServerError, match="HTTP 500"):
        ServedJudgeScorer(_server(stub_server, max_retries=1)).score("q", [_hit("a", "x")]).values


def test_missing_logprobs_is_a_clear_error(stub_server):
    stub_server.responder = lambda path, body: Reply(body=chat_completion("yes"))
    with pytest.raises(ServerError, match="no logprobs"):
        ServedJudgeScorer(_server(stub_server)).score("q", [_hit("a", "x")]).values


def test_fallback_scorer_is_used_and_noted(stub_server, text_encoder):
    stub_server.responder = lambda path, body: Reply(status=500, body={"error": "down"})
    cfg = MMRAGConfig(model_server=_server(stub_server), rerank={"scorer": "vlm-judge", "fallback_scorer": "bi-encoder"})
    scorer = load_scorer(cfg, text_encoder=text_encoder)
    assert isinstance(scorer, FallbackScorer)
    hits = [_hit("bee", "Honey bees have five eyes."), _hit("car", "The engine has four cylinders.")]
    scores = scorer.score("How many eyes does a bee have?", hits)
    assert scores.values[0] > scores.values[1]
    # Which scorer scored this call, and why, is in the returned Scores (the scorer itself keeps no state).
    assert scores.scorer == "bi-encoder" and scores.calibrated and "fell back to bi-encoder" in scores.notes[0]
    assert not hasattr(scorer, "active") and not hasattr(scorer, "notes")

    sel = AdaptiveSelector(0.5, 5).select(hits, scores)
    assert [s.hit.item.key for s in sel.kept] == ["bee"] and sel.dropped[0].reason.startswith("RS ")

    # The primary answers again: the next call's Scores say so (no stale fallback state).
    stub_server.responder = lambda path, body: Reply(body=chat_completion("yes", logprobs={"yes": math.log(0.9), "no": math.log(0.1)}))
    again = scorer.score("How many eyes does a bee have?", hits)
    assert again.scorer == "vlm-judge(judge)" and again.notes == [] and again.values == pytest.approx([0.9, 0.9])


def test_served_reranker_score_and_rerank_endpoints(stub_server):
    def responder(path, body):
        if path.endswith("/score"):
            return Reply(body={"data": [{"index": i, "score": s} for i, s in enumerate([0.1, 0.8])]})
        return Reply(body={"results": [{"index": 1, "relevance_score": 0.7}, {"index": 0, "relevance_score": 0.2}]})

    stub_server.responder = responder
    hits = [_hit("a", "x"), _hit("b", "y")]
    assert ServedRerankerScorer(_server(stub_server)).score("q", hits).values == pytest.approx([0.1, 0.8])
    assert ServedRerankerScorer(_server(stub_server), endpoint="rerank").score("q", hits).values == pytest.approx([0.2, 0.7])
    path, body = stub_server.requests[0]
    assert body["text_1"] == "q" and len(body["text_2"]) == 2


def _write_video(path, seconds: int = 4, fps: int = 5) -> None:
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        vs = out.add_stream("mpeg4", rate=fps)
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        for i in range(seconds * fps):
            img = np.full((48, 64, 3), (i * 12) % 255, dtype=np.uint8)
            for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)


def test_vlm_judge_sends_images_and_timestamped_frames(stub_server, tmp_path):
    from PIL import Image

    stub_server.responder = lambda path, body: Reply(body=chat_completion("yes", logprobs={"yes": math.log(0.6), "no": math.log(0.4)}))
    png = tmp_path / "bee.png"
    Image.new("RGB", (32, 32), (200, 160, 0)).save(png)
    video = tmp_path / "bees.mp4"
    _write_video(video)
    image = Item(id="i", key="bee.png", corpus="t", route="image", modality="image", granularity="image", source="bee.png",
                 media_path=str(png), caption="A yellow square bee")
    clip = Item(id="c", key="bees.mp4@0-4", corpus="t", route="clip", modality="video", granularity="clip", source="bees.mp4",
                media_path=str(video), start=0.0, end=4.0, transcript="the bee lands")
    rs = ServedJudgeScorer(_server(stub_server), frames=2).score("what colour?", [Hit(item=image, score=0), Hit(item=clip, score=0)]).values
    assert rs == pytest.approx([0.6, 0.6])
    bodies = sorted(stub_server.chat_requests(), key=lambda b: json.dumps(b).count("image_url"))
    img_parts = bodies[0]["messages"][-1]["content"]
    urls = [p["image_url"]["url"] for p in img_parts if p["type"] == "image_url"]
    assert len(urls) == 1 and urls[0].startswith("data:image/")
    assert any("A yellow square bee" in p.get("text", "") for p in img_parts)
    clip_parts = bodies[1]["messages"][-1]["content"]
    texts = [p["text"] for p in clip_parts if p["type"] == "text"]
    assert sum(p["type"] == "image_url" for p in clip_parts) == 2
    assert "Frame at 0:01:" in texts and "Frame at 0:03:" in texts  # uniform times 1 s and 3 s
    assert any("Transcript: the bee lands" in t for t in texts)
