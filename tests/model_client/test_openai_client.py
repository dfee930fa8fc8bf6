import pytest

from mmrag.config import ModelServerConfig
from mmrag.errors import ServerError
from mmrag.model_client import OpenAIClient, chat_text, top_logprobs_of_first_token
from tests.helpers.openai_stub import Reply, chat_completion, stream_chunks


def _client(stub, **kw):
    return OpenAIClient(ModelServerConfig(base_url=stub.base_url, model="stub", backoff_s=0.01, **kw))


def test_chat_and_logprobs(stub_server):
    stub_server.responder = lambda p, b: Reply(body=chat_completion("Yes", logprobs={"Yes": -0.1, "No": -2.5}))
    data = _client(stub_server).chat([{"role": "user", "content": "hi"}], max_tokens=1, logprobs=True, top_logprobs=5)
    assert chat_text(data) == "Yes"
    assert top_logprobs_of_first_token(data) == {"Yes": -0.1, "No": -2.5}
    path, body = stub_server.requests[0]
    assert path == "/chat/completions" and body["max_tokens"] == 1 and body["model"] == "stub"


def test_retries_5xx_then_succeeds(stub_server):
    calls = []

    def responder(path, body):
        calls.append(1)
        return Reply(status=503, body={"error": "busy"}) if len(calls) < 3 else Reply(body=chat_completion("ok"))

    stub_server.responder = responder
    assert chat_text(_client(stub_server, max_retries=2).chat([{"role": "user", "content": "x"}])) == "ok"
    assert len(calls) == 3


def test_4xx_is_one_line_error(stub_server):
    stub_server.responder = lambda p, b: Reply(status=400, body={"error": "bad model"})
    with pytest.raises(ServerError) as e:
        _client(stub_server).chat([{"role": "user", "content": "x"}])
    assert "HTTP 400" in str(e.value) and "\n" not in str(e.value)
    assert len(stub_server.requests) == 1  # no retry on 4xx


def _vllm_error(message: str, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": "BadRequestError", "param": param, "code": 400}}


@pytest.mark.parametrize(
    ("body", "said", "setting"),
    [
        # The bodies vLLM 0.32 sent: 5 images with --limit-mm-per-prompt '{"image": 4}'; an image to SmolLM2.
        (_vllm_error("At most 4 image(s) may be provided in one prompt. (parameter=image)", "image"),
         "At most 4 image(s) may be provided in one prompt.", "generator.max_images"),
        (_vllm_error("SmolLM2-135M-Instruct is not a multimodal model"),
         "SmolLM2-135M-Instruct is not a multimodal model", "generator.vision: false"),
    ],
)
def test_refused_images_name_the_setting(stub_server, body, said, setting):
    stub_server.responder = lambda p, b: Reply(status=400, body=body)
    with pytest.raises(ServerError) as e:
        _client(stub_server).chat([{"role": "user", "content": "x"}])
    msg = str(e.value)
    # The server's own sentence, not its JSON, plus what to change in mmrag.
    assert f"HTTP 400: {said}" in msg and "{" not in msg
    assert setting in msg and "\n" not in msg


def test_malformed_and_unreachable(stub_server):
    stub_server.responder = lambda p, b: Reply(body="not json")
    with pytest.raises(ServerError, match="not JSON"):
        _client(stub_server).chat([{"role": "user", "content": "x"}])
    stub_server.responder = lambda p, b: Reply(body={"choices": []})
    with pytest.raises(ServerError, match="choices"):
        _client(stub_server).chat([{"role": "user", "content": "x"}])
    dead = OpenAIClient(ModelServerConfig(base_url="http://127.0.0.1:9/v1", max_retries=0))
    with pytest.raises(ServerError, match="unreachable"):
        dead.chat([{"role": "user", "content": "x"}])


def test_timeout(stub_server):
    stub_server.responder = lambda p, b: Reply(body=chat_completion("late"), delay_s=1.0)
    with pytest.raises(ServerError, match="timed out"):
        _client(stub_server, timeout_s=0.2, max_retries=0).chat([{"role": "user", "content": "x"}])


def test_stream(stub_server):
    stub_server.responder = lambda p, b: Reply(stream=stream_chunks("Paris is the capital [1]."))
    chunks = list(_client(stub_server).stream_chat([{"role": "user", "content": "x"}]))
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == "Paris is the capital [1]."
    assert stub_server.requests[0][1]["stream"] is True
