"""A small client for OpenAI-compatible servers (vLLM's ``/v1`` API) over httpx.

Retries with exponential backoff on 429, 5xx and connection errors; every failure surfaces as a
one-line ``ServerError`` naming the server and what to do.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from mmrag.config import ServerConfig
from mmrag.errors import ServerError

_RETRY_STATUS = {429, 500, 502, 503, 504}


class OpenAIClient:
    """Sync and async calls to one OpenAI-compatible endpoint."""

    def __init__(self, cfg: ServerConfig):
        self.cfg = cfg
        self.base_url = cfg.base_url.rstrip("/")
        key = os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else ""
        self._headers = {"Authorization": f"Bearer {key or 'EMPTY'}"}
        self._timeout = httpx.Timeout(cfg.timeout_s, connect=min(cfg.timeout_s, 10.0))

    # -- helpers --------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def _error(self, path: str, what: str) -> ServerError:
        return ServerError(f"model server {self._url(path)}: {what}")

    def _check(self, path: str, resp: httpx.Response) -> dict[str, Any]:
        if resp.status_code >= 400:
            detail = " ".join(_error_message(resp).split())[:300]
            hint = _refusal_hint(detail) if resp.status_code < 500 else ""
            raise self._error(path, f"HTTP {resp.status_code}: {detail}{hint}")
        try:
            data = resp.json()
        except ValueError:
            raise self._error(path, "answered with something that is not JSON") from None
        if not isinstance(data, dict):
            raise self._error(path, "answered with JSON that is not an object")
        return data

    def _unreachable(self, path: str, e: Exception) -> ServerError:
        if isinstance(e, httpx.TimeoutException):
            return self._error(path, f"timed out after {self.cfg.timeout_s:g}s (raise server.timeout_s or check the server load)")
        return self._error(path, f"unreachable ({type(e).__name__}); start the server or fix server.base_url")

    def _sleep_for(self, attempt: int) -> float:
        return self.cfg.backoff_s * (2**attempt)

    # -- sync -----------------------------------------------------------------------------------
    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        last: Exception | None = None
        for attempt in range(self.cfg.max_retries + 1):
            try:
                with httpx.Client(timeout=self._timeout, headers=self._headers) as c:
                    resp = c.post(self._url(path), json=payload)
            except httpx.TransportError as e:
                last = e
            else:
                if resp.status_code not in _RETRY_STATUS or attempt == self.cfg.max_retries:
                    return self._check(path, resp)
                last = None
            if attempt < self.cfg.max_retries:
                time.sleep(self._sleep_for(attempt))
        raise self._unreachable(path, last) if last else self._error(path, "kept failing")

    def get(self, path: str) -> dict[str, Any]:
        try:
            with httpx.Client(timeout=self._timeout, headers=self._headers) as c:
                return self._check(path, c.get(self._url(path)))
        except httpx.TransportError as e:
            raise self._unreachable(path, e) from None

    def models(self) -> list[str]:
        return [m.get("id", "") for m in self.get("models").get("data", [])]

    def chat(self, messages: list[dict[str, Any]], **params: Any) -> dict[str, Any]:
        """POST /chat/completions; returns the response JSON (validated to hold a message)."""
        payload = {"model": self.cfg.model, "messages": messages, **params}
        data = self.post("chat/completions", payload)
        _first_choice(data, self._url("chat/completions"))
        return data

    def stream_chat(self, messages: list[dict[str, Any]], **params: Any) -> Iterator[dict[str, Any]]:
        """Server-sent events of /chat/completions: yields each chunk's JSON."""
        payload = {"model": self.cfg.model, "messages": messages, "stream": True, **params}
        path = "chat/completions"
        attempt = 0
        while True:
            try:
                with httpx.Client(timeout=self._timeout, headers=self._headers) as c:
                    with c.stream("POST", self._url(path), json=payload) as resp:
                        if resp.status_code in _RETRY_STATUS and attempt < self.cfg.max_retries:
                            attempt += 1
                            time.sleep(self._sleep_for(attempt - 1))
                            continue
                        if resp.status_code >= 400:
                            resp.read()
                            self._check(path, resp)
                        yield from _parse_sse(resp.iter_lines(), self._url(path))
                        return
            except httpx.TransportError as e:
                if attempt < self.cfg.max_retries:
                    attempt += 1
                    time.sleep(self._sleep_for(attempt - 1))
                    continue
                raise self._unreachable(path, e) from None

    # -- async ----------------------------------------------------------------------------------
    async def apost(self, path: str, payload: dict[str, Any], client: httpx.AsyncClient | None = None) -> dict[str, Any]:
        own = client is None
        client = client or httpx.AsyncClient(timeout=self._timeout, headers=self._headers)
        try:
            last: Exception | None = None
            for attempt in range(self.cfg.max_retries + 1):
                try:
                    resp = await client.post(self._url(path), json=payload)
                except httpx.TransportError as e:
                    last = e
                else:
                    if resp.status_code not in _RETRY_STATUS or attempt == self.cfg.max_retries:
                        return self._check(path, resp)
                    last = None
                if attempt < self.cfg.max_retries:
                    await asyncio.sleep(self._sleep_for(attempt))
            raise self._unreachable(path, last) if last else self._error(path, "kept failing")
        finally:
            if own:
                await client.aclose()

    def async_client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=self.cfg.max_concurrency)
        return httpx.AsyncClient(timeout=self._timeout, headers=self._headers, limits=limits)

    async def achat(self, messages: list[dict[str, Any]], client: httpx.AsyncClient | None = None, **params: Any) -> dict[str, Any]:
        payload = {"model": self.cfg.model, "messages": messages, **params}
        data = await self.apost("chat/completions", payload, client)
        _first_choice(data, self._url("chat/completions"))
        return data

    async def astream_chat(self, messages: list[dict[str, Any]], **params: Any) -> AsyncIterator[dict[str, Any]]:
        payload = {"model": self.cfg.model, "messages": messages, "stream": True, **params}
        path = "chat/completions"
        try:
            async with self.async_client() as c:
                async with c.stream("POST", self._url(path), json=payload) as resp:
                    if resp.status_code >= 400:
                        await resp.aread()
                        self._check(path, resp)
                    lines = [line async for line in resp.aiter_lines()]
        except httpx.TransportError as e:
            raise self._unreachable(path, e) from None
        for chunk in _parse_sse(iter(lines), self._url(path)):
            yield chunk


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
    return " (check server.model and the request)"


def _parse_sse(lines: Iterator[str], url: str) -> Iterator[dict[str, Any]]:
    for line in lines:
        line = line.strip()
        if not line or line.startswith(":") or not line.startswith("data:"):
            continue
        data = line[len("data:"):].strip()
        if data == "[DONE]":
            return
        try:
            yield json.loads(data)
        except ValueError:
            raise ServerError(f"model server {url}: sent a stream event that is not JSON") from None


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
