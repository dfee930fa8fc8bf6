"""Data passed between stages. Every stage takes and returns these pydantic models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Modality = Literal["text", "image", "video", "audio"]
#: "page": one rendered page of a PDF or slide deck (modality image); audio spans are "clip"s of a recording.
Granularity = Literal["paragraph", "document", "image", "clip", "video", "page"]

#: The route that means "answer without retrieval".
NO_RETRIEVAL = "none"


class Item(BaseModel):
    """One stored unit of a corpus: a passage, a whole document, an image, a clip or a whole video."""

    id: str = Field(description="Stable point id (UUID string) derived from source + content.")
    key: str = Field(description="Human-readable stable key, e.g. 'docs/solar.md#3' or 'talk.mp4@30-60'.")
    corpus: str
    route: str
    modality: Modality
    granularity: Granularity
    source: str = Field(description="File path or record id the item came from.")
    title: str | None = None
    text: str = Field(default="", description="Passage or document text; for media, the text view.")
    caption: str | None = None
    ocr_text: str | None = None
    transcript: str | None = None
    media_path: str | None = Field(default=None, description="Image or video file.")
    start: float | None = Field(default=None, description="Clip start, seconds.")
    end: float | None = Field(default=None, description="Clip end, seconds.")
    frame_times: list[float] = Field(default_factory=list, description="Sampled frame timestamps, seconds.")
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def text_view(self) -> str:
        """What a text-only model sees of this item: text, or caption + OCR + transcript for media."""
        if self.modality == "text":
            return self.text
        parts = []
        if self.caption:
            parts.append(f"Caption: {self.caption}")
        if self.ocr_text:
            parts.append(f"Text in the {'image' if self.modality == 'image' else 'video frames'}: {self.ocr_text}")
        if self.transcript:
            parts.append(f"Transcript: {self.transcript}")
        if not parts and self.text:
            parts.append(self.text)
        return "\n".join(parts)

    @property
    def locator(self) -> str | None:
        """Where in its file the item is: 'page 3', 'slide 2', 'sheet Prices' or a time span (for citations)."""
        for k in ("page", "slide", "sheet"):
            if self.metadata.get(k) not in (None, ""):
                return f"{k} {self.metadata[k]}"
        return self.span

    @property
    def span(self) -> str | None:
        if self.start is None or self.end is None:
            return None
        return f"{format_timestamp(self.start)}–{format_timestamp(self.end)}"


class Hit(BaseModel):
    """A retrieved item with its search score."""

    item: Item
    score: float
    rank: int = 0
    route: str = ""
    matched_chunk: str | None = Field(default=None, description="For documents: the best-matching chunk.")
    signals: dict[str, float] = Field(
        default_factory=dict, description="Per-candidate search signals (dense cosine, sparse BM25 score) for the scorer."
    )


class RouteDecision(BaseModel):
    """Every route's probability and the routes chosen for a query."""

    query: str
    probabilities: dict[str, float]
    routes: list[str]
    router: str = ""
    fallback: str | None = Field(default=None, description="Why a fallback router decided, if one did.")
    latency_ms: float = 0.0


class ScoredHit(BaseModel):
    """A candidate with its relevancy score and the selector's verdict."""

    hit: Hit
    rs: float
    calibrated: bool = True
    kept: bool = False
    reason: str | None = Field(default=None, description="Why it was dropped.")


#: How an answer is grounded: the model cited sources, sources were attributed after the fact, neither
#: (unsupported), or there were no sources to ground it in.
Grounding = Literal["cited", "attributed", "unsupported", "no_context"]


class Citation(BaseModel):
    number: int
    item_id: str
    key: str
    source: str
    route: str
    title: str | None = None
    start: float | None = None
    end: float | None = None
    locator: str | None = Field(default=None, description="Page, slide, sheet or time span within the source file.")
    kind: Literal["cited", "attributed"] = Field(
        default="cited", description="'cited': the model wrote [n]; 'attributed': matched to answer sentences afterwards.")
    score: float | None = Field(
        default=None, description="How well the source supports the answer: its best answer sentence's support score "
                                  "(None when the answer has no checkable sentence).")


class Answer(BaseModel):
    text: str
    citations: list[Citation] = Field(default_factory=list)
    no_context: bool = Field(default=False, description="True when answered without any retrieved source.")
    grounding: Grounding = Field(
        default="unsupported",
        description="'cited' if the model cited a source it was sent (and an answer sentence matches a source, when "
                    "any is checkable), else 'attributed' if answer sentences match sources, else 'unsupported'; "
                    "'no_context' when no source was sent.")
    usage: dict[str, int] = Field(default_factory=dict)
    latency_s: float = 0.0
    model: str = ""
    request: dict[str, Any] = Field(default_factory=dict, description="The exact request, images elided.")
    notes: list[str] = Field(default_factory=list)
    trace: "Trace" = Field(default_factory=lambda: Trace(), description="What every stage did (routes, candidates, RS, timings).")


def format_timestamp(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Selection(BaseModel):
    """The selector's output: kept candidates (best first) and dropped ones with reasons."""

    kept: list[ScoredHit] = Field(default_factory=list)
    dropped: list[ScoredHit] = Field(default_factory=list)
    tau: float = 0.5
    k: int = 5


class Scores(BaseModel):
    """What a relevancy scorer returns for one query: RS per candidate (in input order) and how to read it.

    ``scorer`` is the scorer that actually scored this call (a fallback may have stood in) and ``calibrated``
    whether its values are probabilities; ``notes`` say anything the trace should show (e.g. a fallback).
    """

    values: list[float] = Field(default_factory=list)
    calibrated: bool = True
    scorer: str = ""
    notes: list[str] = Field(default_factory=list)


class SearchResult(BaseModel):
    """What a retriever returns for one route: the hits, best first, and where its time went."""

    hits: list[Hit] = Field(default_factory=list)
    embed_s: float = Field(default=0.0, description="Seconds spent embedding the query (0 when it was already embedded).")
    search_s: float = Field(default=0.0, description="Seconds spent in the store.")
    notes: list[str] = Field(default_factory=list)


class CandidateTrace(BaseModel):
    """One searched candidate: where it ranked, its search score and RS, and the selector's verdict."""

    key: str
    id: str
    corpus: str
    rank: int
    score: float
    rs: float | None = None
    kept: bool = False
    reason: str | None = None


class KeptTrace(BaseModel):
    """A kept (or dropped) item as a reader needs it: what it is, where it is, its RS."""

    key: str
    id: str
    route: str
    rs: float
    score: float
    source: str
    title: str | None = None
    caption: str | None = None
    media_path: str | None = None
    start: float | None = None
    end: float | None = None
    span: str | None = None
    locator: str | None = None
    reason: str | None = None


class ScorerTrace(BaseModel):
    name: str
    calibrated: bool


class SelectionTrace(BaseModel):
    tau: float
    k: int


class Trace(BaseModel):
    """What every stage did for one question (``Answer.trace``)."""

    query: str = ""
    decision: RouteDecision | None = Field(default=None, description="The routes and every route's probability.")
    candidates: dict[str, list[CandidateTrace]] = Field(default_factory=dict)
    kept: list[KeptTrace] = Field(default_factory=list)
    dropped: list[KeptTrace] = Field(default_factory=list)
    selection: SelectionTrace | None = None
    scorer: ScorerTrace | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    generator: dict[str, Any] = Field(default_factory=dict, description="What the generator recorded (backend, sources sent, images).")
    question: str | None = Field(default=None, description="The question as the user asked it, when a chat rewrote it.")
    rewrite: dict[str, Any] | None = Field(default=None, description="The chat's follow-up rewrite, when there was one.")

    @property
    def routes(self) -> list[str]:
        return list(self.decision.routes) if self.decision else []


Answer.model_rebuild()
