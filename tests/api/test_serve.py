"""`mmrag serve`: the OpenAI-compatible API, driven by the official `openai` client against 127.0.0.1."""

from __future__ import annotations

import base64
import io
import threading

import httpx
import openai
import pytest
from PIL import Image

from tests.helpers.pipeline import image_parts, shared_pipeline, stub_server

from mmrag.api import create_app
from mmrag.api.background import BackgroundServer

BEES = "How many eggs a day can a honeybee queen lay at the height of the season?"

@pytest.fixture(scope="module")
def upstream():
    s = stub_server(rewrites={"And how": "How many eggs a day does a honeybee queen lay in summer?"})
    yield s
    s.close()

@pytest.fixture(scope="module")
def pipe(upstream):
    return shared_pipeline(upstream.base_url).load()

@pytest.fixture(scope="module")
def live(pipe):
    app = BackgroundServer(create_app(pipe, model_name="mmrag-test", api_key="s3cret", max_request_bytes=200_000, max_concurrency=2))
    yield app
    app.close()

@pytest.fixture
def client(live):
    return openai.OpenAI(base_url=live.base_url, api_key="s3cret", max_retries=0, timeout=60)

def _png_data_url(colour=(200, 30, 30)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()

def test_health_and_models(live, client):
    health = httpx.get(f"http://127.0.0.1:{live.port}/health").json()
    assert health["status"] == "ok" and "demo-paragraph" in health["corpora"]
    assert [m.id for m in client.models.list().data] == ["mmrag-test"]

def test_answer_with_sources_and_trace_in_the_extra_field(client):
    resp = client.chat.completions.create(model="mmrag-test", messages=[{"role": "user", "content": BEES}])
    assert resp.choices[0].message.content and resp.choices[0].finish_reason == "stop"
    extra = resp.model_extra["mmrag"]
    assert extra["question"] == BEES
    assert extra["trace"]["decision"]["routes"] and extra["trace"]["kept"]
    kept = {k["key"] for k in extra["trace"]["kept"]}
    assert extra["citations"] and {c["key"] for c in extra["citations"]} <= kept
    assert resp.usage.total_tokens > 0

def test_streaming_deltas_then_sources(client):
    stream = client.chat.completions.create(model="mmrag-test", messages=[{"role": "user", "content": BEES}],
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.model_extra["mmrag"]["trace"]["kept"]
    assert last.usage is not None and last.usage.total_tokens > 0

def test_earlier_turns_make_the_follow_up_standalone(client):
    resp = client.chat.completions.create(model="mmrag-test", messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Tell me about honeybee queens."},
        {"role": "assistant", "content": "A queen lays the colony's eggs."},
        {"role": "user", "content": "And how many a day in summer?"},
    ])
    question = resp.model_extra["mmrag"]["question"]
    assert question != "And how many a day in summer?" and "queen" in question.lower()

def test_an_image_in_the_message_is_the_question_image(client, upstream):
    before = len(upstream.chat_requests())
    client.chat.completions.create(model="mmrag-test", messages=[{"role": "user", "content": [
        {"type": "text", "text": "What does this bee diagram show?"},
        {"type": "image_url", "image_url": {"url": _png_data_url()}},
    ]}], extra_body={"mmrag": {"routes": ["image"], "k": 1}})
    sent = upstream.chat_requests()[before:]
    assert sent and image_parts(sent[-1]) >= 1  # the user's image reached the vision model

def test_user_mistakes_are_400_with_one_line_messages(client, live):
    cases = [
        ([{"role": "user", "content": "  "}], {}, "the question is empty"),
        ([{"role": "user", "content": BEES}], {"mmrag": {"routes": ["recipes"]}}, "unknown route recipes"),
        ([{"role": "user", "content": BEES}], {"mmrag": {"tau": 3}}, "outside [0, 1]"),
        ([{"role": "assistant", "content": "hi"}], {}, "last message must be the user's question"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.org/x.png"}}]}], {},
         "does not fetch remote images"),
        ([{"role": "user", "content": [{"type": "text", "text": "hi"},
                                       {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}], {},
         "no readable image"),
    ]
    for messages, extra, expected in cases:
        with pytest.raises(openai.BadRequestError) as e:
            client.chat.completions.create(model="mmrag-test", messages=messages, extra_body=extra)
        assert expected in e.value.message and "\n" not in e.value.body["message"]
    # The same mistake in a stream is an HTTP error too, not a 200 with an error inside.
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="mmrag-test", messages=[{"role": "user", "content": ""}], stream=True)

def test_api_key_and_request_size(live):
    wrong = openai.OpenAI(base_url=live.base_url, api_key="nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()
    big = {"model": "mmrag-test", "messages": [{"role": "user", "content": "x" * 300_000}]}
    r = httpx.post(f"{live.base_url}/chat/completions", json=big, headers={"Authorization": "Bearer s3cret"})
    assert r.status_code == 413 and "request body over 200000 bytes" in r.json()["error"]["message"]

def test_concurrent_requests_share_the_warm_pipeline(client, upstream):
    questions = [BEES, "What gas warns of a volcanic eruption?", "How do bees tell each other where flowers are?"] * 2
    answers: dict[int, str] = {}
    errors: list[Exception] = []
    upstream.max_in_flight = 0

    def ask(i: int, q: str) -> None:
        try:
            r = client.chat.completions.create(model="mmrag-test", messages=[{"role": "user", "content": q}],
                                               extra_body={"mmrag": {"routes": ["paragraph"]}})
            answers[i] = r.model_extra["mmrag"]["question"]
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=ask, args=(i, q)) for i, q in enumerate(questions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and [answers[i] for i in range(len(questions))] == questions  # nothing lost or swapped
    assert upstream.max_in_flight <= 2  # max_concurrency bounds what the model is asked at once
