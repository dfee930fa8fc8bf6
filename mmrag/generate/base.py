"""The generator: builds the request, calls a chat backend, resolves citations into an ``Answer``.

A backend only knows how to complete chat messages; everything RAG-specific (source numbering, image
cap, citations, trace) lives here, so every backend behaves the same way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from PIL import Image

from mmrag.config import GeneratorConfig
from mmrag.generate.attribution import Attribution, Attributor
from mmrag.generate.citations import citation, out_of_range, resolve_citations
from mmrag.generate.prompt import BuiltRequest, RequestBuilder, elide_images
from mmrag.types import Answer, Citation, Grounding, ScoredHit, Trace


@runtime_checkable
class ChatBackend(Protocol):
    """Completes OpenAI-style chat messages. ``vision`` says whether it accepts image parts."""

    name: str
    vision: bool

    def complete(self, messages: list[dict[str, Any]], max_tokens: int, temperature: float) -> tuple[str, dict[str, int]]: ...

    def stream(self, messages: list[dict[str, Any]], max_tokens: int, temperature: float) -> Iterator[str | dict[str, int]]:
        """Yields text deltas; may yield one usage dict (at the end)."""
        ...


class RAGGenerator:
    """``Generator`` over any ``ChatBackend``."""

    def __init__(self, backend: ChatBackend, cfg: GeneratorConfig | None = None, attributor: Attributor | None = None):
        self.backend = backend
        self.cfg = cfg or GeneratorConfig()
        self.builder = RequestBuilder(self.cfg, vision=backend.vision)
        # Without an encoder, attribution falls back to lexical overlap (load_generator passes the text encoder).
        self.attributor = attributor or Attributor(None, threshold=self.cfg.attribution_threshold)

    def warm_up(self) -> "RAGGenerator":
        """Loads the backend's model now, if it has one to load (in-process backends)."""
        warm = getattr(self.backend, "warm_up", None)
        if warm is not None:
            warm()
        return self

    def build(self, query: str, kept: list[ScoredHit], image: Image.Image | None = None) -> BuiltRequest:
        return self.builder.build(query, kept, image)

    def ground(self, req: BuiltRequest, text: str) -> tuple[list[Citation], Grounding, dict[str, Any], list[str]]:
        """Citations (the model's, else attributed), the grounding, its trace and notes, for ``text`` answering ``req``."""
        if req.no_context:
            return [], "no_context", {"grounding": "no_context"}, []
        notes = []
        bad = out_of_range(text, len(req.sources))
        if bad:
            n = len(req.sources)
            sent = f"only {n} source was" if n == 1 else f"only {n} sources were"
            notes.append(f"the answer cites {', '.join(f'[{b}]' for b in bad)} but {sent} sent: dropped")
        att: Attribution = self.attributor.attribute(text, req.source_texts)
        trace: dict[str, Any] = {"dropped_numbers": bad, **att.model_dump()}
        cited = resolve_citations(text, req.sources)
        if cited:
            # The model's citations, with how well each source supports the answer; sentences it left
            # uncited are attributed when they match another source.
            cits = [c.model_copy(update={"score": att.support(c.number)}) for c in cited]
            numbers = {c.number for c in cits}
            for s in att.sentences:
                if not s.cites and s.source is not None and s.source not in numbers:
                    numbers.add(s.source)
                    cits.append(citation(s.source, req.sources[s.source - 1], kind="attributed", score=s.score))
            # Nothing checkable ("See [1].") is taken at the model's word; checkable sentences must match.
            grounding: Grounding = "cited" if att.supported or not att.sentences else "unsupported"
            if grounding == "unsupported":
                notes.append(f"the answer cites {', '.join(f'[{c.number}]' for c in cited)} but none of its "
                             f"sentences matches a source ({att.method}, threshold {att.threshold:g}): unsupported")
        else:
            cits = [citation(n, req.sources[n - 1], kind="attributed", score=sc) for n, sc in sorted(att.citations.items())]
            grounding = "attributed" if cits else "unsupported"
        trace["grounding"] = grounding
        return cits, grounding, trace, notes

    def _answer(self, req: BuiltRequest, text: str, usage: dict[str, int], latency: float) -> Answer:
        text = text.strip()
        citations, grounding, attribution, notes = self.ground(req, text)
        return Answer(
            text=text,
            citations=citations,
            grounding=grounding,
            no_context=req.no_context,
            usage=usage,
            latency_s=latency,
            model=self.backend.name,
            request={"messages": elide_images(req.messages), "max_tokens": self.cfg.max_tokens,
                     "temperature": self.cfg.temperature},
            notes=[*req.notes, *notes],
            trace=Trace(generator={
                "backend": type(self.backend).__name__, "sources": [s.key for s in req.sources],
                "n_images": req.n_images, "dropped_visuals": req.dropped_visuals,
                "citations": [{"number": c.number, "key": c.key, "kind": c.kind, "score": c.score} for c in citations],
                "attribution": attribution}),
        )

    def generate(self, query: str, kept: list[ScoredHit], image: Image.Image | None = None) -> Answer:
        req = self.build(query, kept, image)
        t0 = time.perf_counter()
        text, usage = self.backend.complete(req.messages, self.cfg.max_tokens, self.cfg.temperature)
        return self._answer(req, text, usage, time.perf_counter() - t0)

    def stream(self, query: str, kept: list[ScoredHit], image: Image.Image | None = None) -> Iterator[str | Answer]:
        req = self.build(query, kept, image)
        t0 = time.perf_counter()
        pieces: list[str] = []
        usage: dict[str, int] = {}
        for delta in self.backend.stream(req.messages, self.cfg.max_tokens, self.cfg.temperature):
            if isinstance(delta, dict):
                usage = delta
            elif delta:
                pieces.append(delta)
                yield delta
        yield self._answer(req, "".join(pieces), usage, time.perf_counter() - t0)
