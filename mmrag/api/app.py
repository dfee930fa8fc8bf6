"""The FastAPI app: `/health`, `/v1/models`, `/v1/chat/completions` (plain and streamed) over one warm pipeline.

The pipeline's stages are loaded once and shared by every request; each request runs in a worker thread,
at most ``max_concurrency`` at a time (the rest wait), so a slow model is never asked for more than it can take.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from mmrag.chat.rewrite import QueryRewriter
from mmrag.errors import InputError, MMRAGError, ServerError
from mmrag.api.schema import ChatRequest, Question, chunk, completion, completion_id, error_body, extra_field, question_from, usage
from mmrag.types import Answer

_STATUS = {InputError: (400, "invalid_request_error"), ServerError: (502, "upstream_error")}


def _error(status: int, message: str, kind: str, code: str | None = None) -> JSONResponse:
    return JSONResponse(error_body(message, kind, code), status_code=status)


def _user_error(e: MMRAGError) -> JSONResponse:
    status, kind = next(((s, k) for cls, (s, k) in _STATUS.items() if isinstance(e, cls)), (400, "invalid_request_error"))
    return _error(status, str(e), kind, type(e).__name__)


class BodyLimit:
    """Refuses a request body over ``limit`` bytes with 413, whether it declares its length or streams it."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await _error(413, f"request body over {self.limit} bytes: send a smaller image or fewer turns",
                                "invalid_request_error", "request_too_large")(scope, receive, send)
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _error(413, f"request body over {self.limit} bytes", "invalid_request_error", "request_too_large")(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(pipeline: Any, *, model_name: str = "mmrag", api_key: str | None = None,
               max_request_bytes: int = 20 * 1024 * 1024, max_concurrency: int = 4,
               rewriter: QueryRewriter | None = None) -> FastAPI:
    """An app serving ``pipeline`` (already warm: call ``pipeline.load()`` first, as `mmrag serve` does)."""
    app = FastAPI(title="mmrag", description="Multimodal RAG behind an OpenAI-compatible API.")
    slots = threading.BoundedSemaphore(max(1, max_concurrency))
    rewrite = rewriter or QueryRewriter(pipeline.generator)

    async def authorised(request: Request) -> None:
        if api_key is None:
            return
        header = request.headers.get("authorization", "")
        if not secrets.compare_digest(header.encode(), f"Bearer {api_key}".encode()):
            raise _Unauthorised

    @app.exception_handler(MMRAGError)
    async def _mmrag_error(request: Request, e: MMRAGError) -> JSONResponse:
        return _user_error(e)

    @app.exception_handler(_Unauthorised)
    async def _unauthorised(request: Request, e: Exception) -> JSONResponse:
        return _error(401, "missing or wrong API key: send 'Authorization: Bearer KEY'", "authentication_error", "invalid_api_key")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        return _error(400, f"{loc + ': ' if loc else ''}{err.get('msg', 'invalid request')}", "invalid_request_error")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "model": model_name, "corpora": pipeline.registry.names}

    @app.get("/v1/models", dependencies=[Depends(authorised)])
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": model_name, "object": "model", "created": 0, "owned_by": "mmrag"}]}

    def standalone(q: Question) -> str:
        return rewrite.rewrite(q.history, q.text) if q.history else q.text

    def prepare(req: ChatRequest) -> tuple[Question, str, dict[str, Any]]:
        q = question_from(req.messages)
        opts = req.mmrag.model_dump(exclude_none=True)
        pipeline.check(q.text, q.image, **opts)  # user mistakes answer 400 before any model work
        return q, standalone(q), opts

    def answer(req: ChatRequest) -> tuple[Answer, str]:
        with slots:
            q, text, opts = prepare(req)
            return pipeline.ask(text, q.image, **opts), text

    def streamed(req: ChatRequest) -> tuple[str, Iterator[str | Answer]]:
        """The question as asked and the pipeline's stream, its first item already produced (errors before it are
        HTTP errors); the concurrency slot is held until the stream ends."""
        slots.acquire()
        try:
            q, text, opts = prepare(req)
            parts = pipeline.stream(text, q.image, **opts)
            first = next(parts)
        except BaseException:
            slots.release()
            raise

        def rest() -> Iterator[str | Answer]:
            try:
                yield first
                yield from parts
            finally:
                slots.release()

        return text, rest()

    @app.post("/v1/chat/completions", dependencies=[Depends(authorised)])
    async def chat_completions(req: ChatRequest) -> Any:
        name = model_name
        if not req.stream:
            ans, text = await run_in_threadpool(answer, req)
            return completion(name, ans, text)
        question, parts = await run_in_threadpool(streamed, req)
        include_usage = bool(req.stream_options and req.stream_options.include_usage)

        def events() -> Iterator[str]:
            cid = completion_id()
            yield _sse(chunk(cid, name, {"role": "assistant", "content": ""}))
            try:
                for part in parts:
                    if isinstance(part, Answer):
                        extra = {"mmrag": extra_field(part, question)}
                        if include_usage:
                            extra["usage"] = usage(part)
                        yield _sse(chunk(cid, name, {}, "stop", **extra))
                    else:
                        yield _sse(chunk(cid, name, {"content": part}))
            except MMRAGError as e:  # after the 200 has gone out: the error travels in the stream
                yield _sse(error_body(str(e), "upstream_error" if isinstance(e, ServerError) else "invalid_request_error"))
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    app.add_middleware(BodyLimit, limit=max_request_bytes)
    return app


class _Unauthorised(Exception):
    pass


def _sse(obj: dict[str, Any]) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"
