"""A small OpenAI-compatible server for tests, on 127.0.0.1 (an ephemeral port).

It records every request and answers through a ``responder`` the test sets:
``responder(path, body) -> Reply``. Helpers build chat completions (with log-probabilities)
and server-sent event streams.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict -> JSON; str -> raw text
    stream: list[str] | None = None  # SSE chunks' JSON text (each sent as "data: ...")
    delay_s: float = 0.0


def chat_completion(text: str, *, logprobs: dict[str, float] | None = None, model: str = "stub") -> dict[str, Any]:
    """A chat completion whose first token has the given top log-probabilities."""
    choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
    if logprobs is not None:
        top = [{"token": t, "logprob": lp} for t, lp in sorted(logprobs.items(), key=lambda kv: -kv[1])]
        first = top[0] if top else {"token": text, "logprob": 0.0}
        choice["logprobs"] = {"content": [{"token": first["token"], "logprob": first["logprob"], "top_logprobs": top}]}
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "model": model,
        "choices": [choice],
        "usage": {"prompt_tokens": 10, "completion_tokens": max(1, len(text.split())), "total_tokens": 10 + max(1, len(text.split()))},
    }


def stream_chunks(text: str, *, pieces: int = 3) -> list[str]:
    words = text.split(" ")
    step = max(1, len(words) // pieces)
    parts = [" ".join(words[i : i + step]) + (" " if i + step < len(words) else "") for i in range(0, len(words), step)]
    chunks = [json.dumps({"choices": [{"index": 0, "delta": {"content": p}}]}) for p in parts]
    chunks.append(json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                              "usage": {"prompt_tokens": 10, "completion_tokens": len(words), "total_tokens": 10 + len(words)}}))
    return chunks


@dataclass
class StubServer:
    responder: Callable[[str, dict[str, Any]], Reply] = field(default=lambda path, body: Reply(body=chat_completion("ok")))
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, reply: Reply) -> None:
                if reply.stream is not None:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "text/event-stream")
                    body = "".join(f"data: {c}\n\n" for c in reply.stream) + "data: [DONE]\n\n"
                    data = body.encode()
                else:
                    self.send_response(reply.status)
                    raw = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                    self.send_header("Content-Type", "application/json")
                    data = raw.encode()
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, body: dict[str, Any]) -> None:
                path = self.path.split("?")[0]
                if path.startswith("/v1"):
                    path = path[3:]
                with stub._lock:
                    stub.requests.append((path, body))
                    stub.in_flight += 1
                    stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
                try:
                    reply = stub.responder(path, body)
                    if reply.delay_s:
                        time.sleep(reply.delay_s)
                    try:
                        self._send(reply)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the client gave up (a timeout test): nothing to answer
                finally:
                    with stub._lock:
                        stub.in_flight -= 1

            def do_GET(self) -> None:  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    self._send(Reply(body={"object": "list", "data": [{"id": "stub", "object": "model"}]}))
                else:
                    self._handle({})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                self._handle(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def chat_requests(self) -> list[dict[str, Any]]:
        return [b for p, b in self.requests if p.endswith("/chat/completions")]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
