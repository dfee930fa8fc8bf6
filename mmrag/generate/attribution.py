"""Attribution after the fact: which of the sources that were sent support an answer that cites none.

Each answer sentence is compared with each source: lexical support (the share of the sentence's content
words found in the source) and, when an encoder is given, semantic support (the best cosine between the
sentence and the source's sentences). A sentence is attributed to its best source when the support score
reaches the threshold; an answer none of whose sentences reaches it is unsupported.
"""

from __future__ import annotations

import re
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, Field

from mmrag.generate.citations import cited_numbers, strip_markers


@runtime_checkable
class SentenceEncoder(Protocol):
    """Anything that embeds texts as L2-normalised rows (the pipeline's text encoder is one)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


class SentenceSupport(BaseModel):
    text: str
    cites: list[int] = Field(default_factory=list, description="The [n] markers the model wrote in this sentence.")
    source: int | None = Field(default=None, description="The best supporting source's number, if it reached the threshold.")
    score: float = 0.0
    lexical: float = 0.0
    semantic: float | None = None
    scores: list[float] = Field(default_factory=list, description="Support score for each source, in source order.")


class Attribution(BaseModel):
    method: Literal["embedding+lexical", "lexical"]
    threshold: float
    sentences: list[SentenceSupport] = Field(default_factory=list, description="The checkable answer sentences.")

    @property
    def citations(self) -> dict[int, float]:
        """{source number: best supporting score}, in order of first support."""
        out: dict[int, float] = {}
        for s in self.sentences:
            if s.source is not None:
                out[s.source] = max(out.get(s.source, 0.0), s.score)
        return out

    @property
    def supported(self) -> bool:
        return any(s.source is not None for s in self.sentences)

    def support(self, n: int) -> float | None:
        """How well source ``n`` supports the answer: its best score over the checked sentences."""
        vals = [s.scores[n - 1] for s in self.sentences if len(s.scores) >= n]
        return max(vals) if vals else None


# Function words and answer boilerplate: sharing them with a source shows nothing.
_STOP = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does doing done down during each few for from further had has have having he her here hers
herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once
only or other our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves answer question source sources according
based given says said yes one hope help helps thank thanks glad sure
""".split())
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
#: Sentences with fewer content words than this ("Yes.", "I hope this helps.") are not checked.
MIN_CONTENT_WORDS = 2


def content_words(text: str) -> set[str]:
    """Lower-cased content words and numbers ("2,000" and "2000" alike), plural -s removed."""
    out = set()
    for tok in _TOKEN.findall(text.lower()):
        if tok[0].isdigit():
            out.add(tok.replace(",", ""))
        elif tok not in _STOP and len(tok) > 1:
            out.add(tok[:-1] if len(tok) > 3 and tok.endswith("s") and not tok.endswith("ss") else tok)
    return out


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s and s.strip()]


class Attributor:
    """Finds the sources that support an answer's sentences; ``encoder=None`` = lexical overlap only."""

    def __init__(self, encoder: SentenceEncoder | None = None, *, threshold: float = 0.5):
        self.encoder = encoder
        self.threshold = threshold

    def attribute(self, answer: str, sources: list[str]) -> Attribution:
        """``sources[i]`` is the text sent as source number i + 1."""
        method: Literal["embedding+lexical", "lexical"] = "lexical" if self.encoder is None else "embedding+lexical"
        out = Attribution(method=method, threshold=self.threshold)
        raw = [(strip_markers(x), [n for n in cited_numbers(x) if 1 <= n <= len(sources)]) for x in split_sentences(answer)]
        raw = [(s, c) for s, c in raw if len(content_words(s)) >= MIN_CONTENT_WORDS]
        sentences = [s for s, _ in raw]
        if not sentences or not sources:
            return out
        # Overlap with the best window of a source, not the whole of it: across a 500-word document almost
        # any sentence's words turn up somewhere ("14", "days", "ice"), which is no support.
        windows = [[content_words(w) for w in _windows(src)] for src in sources]
        lexical = np.array([[max(_overlap(content_words(s), w) for w in ws) for ws in windows] for s in sentences],
                           dtype=np.float32)
        semantic = self._semantic(sentences, sources) if self.encoder is not None else None
        # Both signals in [0, 1]-ish; averaged so that neither a paraphrase (low overlap) nor a sentence
        # that only repeats the question's words (high overlap, off-topic meaning) passes on one alone.
        score = lexical if semantic is None else (lexical + np.clip(semantic, 0.0, 1.0)) / 2
        for i, (text, cites) in enumerate(raw):
            j = int(np.argmax(score[i]))
            ok = score[i, j] >= self.threshold
            out.sentences.append(SentenceSupport(
                text=text, cites=cites, source=j + 1 if ok else None, score=round(float(score[i, j]), 4),
                scores=[round(float(x), 4) for x in score[i]],
                lexical=round(float(lexical[i, j]), 4),
                semantic=None if semantic is None else round(float(semantic[i, j]), 4)))
        return out

    def _semantic(self, sentences: list[str], sources: list[str]) -> np.ndarray:
        """(sentences, sources): the best cosine between each answer sentence and any sentence of each source."""
        pieces: list[str] = []
        owner: list[int] = []
        for j, src in enumerate(sources):
            for p in split_sentences(src) or [src]:
                pieces.append(p)
                owner.append(j)
        assert self.encoder is not None
        vecs = np.asarray(self.encoder.encode(sentences + pieces), dtype=np.float32)
        sims = vecs[: len(sentences)] @ vecs[len(sentences):].T
        out = np.full((len(sentences), len(sources)), -1.0, dtype=np.float32)
        for k, j in enumerate(owner):
            out[:, j] = np.maximum(out[:, j], sims[:, k])
        return out


#: Consecutive source sentences compared at once: a short answer sentence often joins two neighbouring facts.
WINDOW_SENTENCES = 2


def _windows(source: str) -> list[str]:
    sents = split_sentences(source) or [source]
    return [" ".join(sents[i:i + WINDOW_SENTENCES]) for i in range(max(1, len(sents) - WINDOW_SENTENCES + 1))]


def _overlap(sentence_words: set[str], source_words: set[str]) -> float:
    """Share of the sentence's content words that occur in the source."""
    return len(sentence_words & source_words) / len(sentence_words) if sentence_words else 0.0
