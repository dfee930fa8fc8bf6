"""Request and response shapes of the OpenAI-compatible API, and how a chat request becomes a question.

Only what mmrag reads is declared; every other field an OpenAI client sends (``n``, ``seed``, ``tools``…) is
accepted and ignored. mmrag's own per-request options ride in an ``mmrag`` object (``extra_body`` in the
``openai`` client): ``routes``, ``k``, ``tau``, ``n_candidates``.
"""

from __future__ import annotations

import base64
import binascii
import io
import time
import uuid
from typing import Any, Literal

from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field

from mmrag.errors import InputError
from mmrag.types import Answer


class MMRAGOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    routes: list[str] | None = None
    k: int | None = None
    tau: float | None = None
    n_candidates: int | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    mmrag: MMRAGOptions = Field(default_factory=MMRAGOptions)


class Question(BaseModel):
    """What the pipeline is asked: the last user turn's text and image, and the earlier turns as history."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    text: str
    image: Image.Image | None = None
    history: list[tuple[str, str]] = Field(default_factory=list)


def _text_and_images(content: str | list[dict[str, Any]] | None) -> tuple[str, list[str]]:
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    texts, images = [], []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            texts.append(str(part.get("text", "")))
        elif kind == "image_url":
            url = part.get("image_url")
            images.append(url.get("url", "") if isinstance(url, dict) else str(url or ""))
        else:
            raise InputError(f"message part of type '{kind}' is not supported: send text and image_url parts")
    return "\n".join(t for t in texts if t), images


def decode_image(url: str) -> Image.Image:
    """A ``data:image/...;base64,`` URL as an RGB image; remote URLs are refused (the server fetches nothing)."""
    if not url.startswith("data:"):
        raise InputError("image_url must be a data: URL (base64); the server does not fetch remote images")
    try:
        _, b64 = url.split(",", 1)
        img = Image.open(io.BytesIO(base64.b64decode(b64, validate=True)))
        img.load()
    except (ValueError, binascii.Error, UnidentifiedImageError, OSError):
        raise InputError("image_url holds no readable image: send a base64 PNG/JPEG data URL") from None
    return img.convert("RGB")


def question_from(messages: list[ChatMessage]) -> Question:
    """The last user message is the question; earlier user/assistant pairs are the history (system turns ignored)."""
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise InputError("the last message must be the user's question")
    text, images = _text_and_images(turns[-1].content)
    if len(images) > 1:
        raise InputError(f"{len(images)} images in the question: send at most one")
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for m in turns[:-1]:
        t, _ = _text_and_images(m.content)
        if m.role == "user":
            pending = t
        elif pending is not None:
            history.append((pending, t))
            pending = None
    return Question(text=text, image=decode_image(images[0]) if images else None, history=history)


def extra_field(answer: Answer, question: str) -> dict[str, Any]:
    """The ``mmrag`` field of a response: the question as asked, citations, sources kept, notes and the trace."""
    return {
        "question": question,
        "citations": [c.model_dump(mode="json") for c in answer.citations],
        "no_context": answer.no_context,
        "notes": list(answer.notes),
        "trace": answer.trace.model_dump(mode="json"),
    }


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def completion(model: str, answer: Answer, question: str) -> dict[str, Any]:
    return {
        "id": completion_id(), "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text}, "finish_reason": "stop"}],
        "usage": usage(answer),
        "mmrag": extra_field(answer, question),
    }


def usage(answer: Answer) -> dict[str, int]:
    u = answer.usage or {}
    prompt, done = int(u.get("prompt_tokens", 0)), int(u.get("completion_tokens", 0))
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": int(u.get("total_tokens", prompt + done))}


def chunk(cid: str, model: str, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}


def error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}
