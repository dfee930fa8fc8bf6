"""One client for an OpenAI-compatible server (vLLM's ``/v1`` API).

Chat completions go through the official ``openai`` SDK (pooled connections, retries with backoff on 408,
409, 429, 5xx and connection errors, streaming, typed errors); vLLM's own endpoints the SDK lacks
(``/score``, ``/rerank``) go through one pooled ``httpx.Client`` with the same retry rule. Every failure
surfaces as a one-line ``ServerError`` naming the server and what to do. Safe to share between threads.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai

from mmrag.config import ModelServerConfig
from mmrag.errors import ServerError

_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class OpenAIClient:
    """Sync calls to one OpenAI-compatible endpoint; replies come back as plain JSON dicts."""

    def __init__(self, cfg: ModelServerConfig):
        self.cfg = cfg
        self.base_url = cfg.base_url.rstrip("/")
        key = os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else ""
        self._key = key or "EMPTY"
        self._timeout = httpx.Timeout(cfg.timeout_s, connect=min(cfg.timeout_s, 10.0))
        self._lock = threading.Lock()
        self._sdk: openai.OpenAI | None = None
        self._http: httpx.Client | None = None

    # -- connections (made on first use, then pooled) -------------------------------------------------
    @property
    def sdk(self) -> openai.OpenAI:
        with self._lock:
            if self._sdk is None:
                limits = httpx.Limits(max_connections=self.cfg.max_concurrency, max_keepalive_connections=self.cfg.max_concurrency)
                self._sdk = openai.OpenAI(
                    base_url=self.base_url, api_key=self._key, timeout=self._timeout, max_retries=self.cfg.max_retries,
                    http_client=httpx.Client(timeout=self._timeout, limits=limits),
                )
            return self._sdk

    @property
    def http(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(timeout=self._timeout, headers={"Authorization": f"Bearer {self._key}"},
                                          limits=httpx.Limits(max_connections=self.cfg.max_concurrency))
            return self._http

    def close(self) -> None:
        with self._lock:
            if self._sdk is not None:
                self._sdk.close()
            if self._http is not None:
                self._http.close()
            self._sdk = self._http = None

    # -- errors ------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def error(self, path: str, what: str) -> ServerError:
        return ServerError(f"model server {self.url(path)}: {what}")

    def _status_error(self, path: str, resp: httpx.Response) -> ServerError:
        detail = " ".join(_error_message(resp).split())[:300]
        hint = _refusal_hint(detail) if resp.status_code < 500 else ""
        return self.error(path, f"HTTP {resp.status_code}: {detail}{hint}")

    def _unreachable(self, path: str, timed_out: bool, what: str) -> ServerError:
        if timed_out:
            return self.error(path, f"timed out after {self.cfg.timeout_s:g}s (raise model_server.timeout_s or check the server load)")
        return self.error(path, f"unreachable ({what}); start the server or fix model_server.base_url")

    def _sdk_error(self, path: str, e: openai.OpenAIError) -> ServerError:
        if isinstance(e, openai.APIStatusError):
            return self._status_error(path, e.response)
        if isinstance(e, openai.APITimeoutError):
            return self._unreachable(path, True, "")
        if isinstance(e, openai.APIConnectionError):
            return self._unreachable(path, False, type(e.__cause__ or e).__name__)
        return self.error(path, f"{type(e).__name__}: {e}")

    @staticmethod
    def _json(resp: httpx.Response) -> Any:
        try:
            return resp.json()
        except ValueError:
            return None

    def _object(self, path: str, data: Any) -> dict[str, Any]:
        if data is None:
            raise self.error(path, "answered with something that is not JSON")
        if not isinstance(data, dict):
            raise self.error(path, "answered with JSON that is not an object")
        return data

    # -- the OpenAI API (through the SDK) -------------------------------------------------------------
    def models(self) -> list[str]:
        try:
            return [m.id for m in self.sdk.models.list().data]
        except openai.OpenAIError as e:
            raise self._sdk_error("models", e) from None

    def chat(self, messages: list[dict[str, Any]], **params: Any) -> dict[str, Any]:
        """POST /chat/completions; returns the response JSON (validated to hold a message).

        ``params`` (max_tokens, temperature, logprobs, top_logprobs, vLLM's own options…) go into the body as given.
        """
        path = "chat/completions"
        try:
            raw = self.sdk.chat.completions.with_raw_response.create(model=self.cfg.model, messages=messages, extra_body=params)
        except openai.OpenAIError as e:
            raise self._sdk_error(path, e) from None
        data = self._object(path, self._json(raw.http_response))
        _first_choice(data, self.url(path))
        return data

    def stream_chat(self, messages: list[dict[str, Any]], **params: Any) -> Iterator[dict[str, Any]]:
        """Server-sent events of /chat/completions: yields each chunk's JSON."""
        path = "chat/completions"
        try:
            with self.sdk.chat.completions.create(model=self.cfg.model, messages=messages, stream=True, extra_body=params) as events:
                for chunk in events:
                    yield chunk.to_dict()
        except openai.OpenAIError as e:
            raise self._sdk_error(path, e) from None
        except ValueError:
            raise self.error(path, "sent a stream event that is not JSON") from None

    # -- vLLM's endpoints beyond the OpenAI API (/score, /rerank) -----------------------------------------
    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST to ``path`` on the pooled client, retried like the SDK's calls."""
        attempt = 0
        while True:
            last = attempt >= self.cfg.max_retries
            try:
                resp = self.http.post(self.url(path), json=payload)
            except httpx.TransportError as e:
                if last:
                    raise self._unreachable(path, isinstance(e, httpx.TimeoutException), type(e).__name__) from None
            else:
                if resp.status_code < 400:
                    return self._object(path, self._json(resp))
                if resp.status_code not in _RETRY_STATUS or last:
                    raise self._status_error(path, resp)
            time.sleep(self.cfg.backoff_s * (2**attempt))
            attempt += 1


def _error_message(resp: httpx.Response) -> str:
    """The server's own words: ``error.message`` of an OpenAI/vLLM error body, else the raw body."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text
    if isinstance(body, dict):
        err = body.get("error")
        for msg in (err.get("message") if isinstance(err, dict) else err, body.get("message"), body.get("detail")):
            if isinstance(msg, str) and msg.strip():
                return msg
    return resp.text


def _refusal_hint(detail: str) -> str:
    """What to change in mmrag's config when the server refuses a request (4xx)."""
    low = detail.lower()
    if "limit-mm-per-prompt" in low or ("at most" in low and "image" in low):
        return " (send fewer images: lower generator.max_images to the server's --limit-mm-per-prompt)"
    if "not a multimodal model" in low:  # vLLM's words for a text-only model given an image
        return " (the served model takes no images: serve a vision model or set generator.vision: false)"
    return " (check model_server.model and the request)"


def _first_choice(data: dict[str, Any], url: str) -> dict[str, Any]:
    try:
        choice = data["choices"][0]
        if not isinstance(choice.get("message"), dict):
            raise TypeError
        return choice
    except (KeyError, IndexError, TypeError, AttributeError):
        raise ServerError(f"model server {url}: response has no choices[0].message (not an OpenAI-compatible reply)") from None


def chat_text(data: dict[str, Any]) -> str:
    """The assistant text of a chat completion."""
    return (data["choices"][0]["message"].get("content") or "").strip()


def top_logprobs_of_first_token(data: dict[str, Any]) -> dict[str, float]:
    """{token: logprob} of the first generated token's top alternatives (plus the token itself)."""
    try:
        first = data["choices"][0]["logprobs"]["content"][0]
    except (KeyError, IndexError, TypeError):
        return {}
    out: dict[str, float] = {}
    for alt in first.get("top_logprobs") or []:
        out[alt["token"]] = max(out.get(alt["token"], float("-inf")), float(alt["logprob"]))
    if "token" in first and "logprob" in first:
        out.setdefault(first["token"], float(first["logprob"]))
    return out
