"""Follow-up questions → standalone queries, so the router and the search see the whole question."""

from __future__ import annotations

from typing import Any

REWRITE_PROMPT = (
    "Rewrite the user's last question so that it can be understood without the conversation: "
    "replace pronouns and references with what they refer to. Reply with the rewritten question only, "
    "on one line, without an answer."
)


class QueryRewriter:
    """Asks the generator's chat backend for a standalone version of a follow-up question.

    Any ``Generator`` works: a ``RAGGenerator`` is asked through its backend directly (no RAG prompt
    around it); another generator is asked with no sources.
    """

    def __init__(self, generator: Any, *, max_turns: int = 3, max_tokens: int = 64):
        self.generator = generator
        self.max_turns = max_turns
        self.max_tokens = max_tokens

    def messages(self, history: list[tuple[str, str]], question: str) -> list[dict[str, Any]]:
        lines = []
        for q, a in history[-self.max_turns:]:
            lines.append(f"User: {q}")
            lines.append(f"Assistant: {_clip(a, 400)}")
        convo = "\n".join(lines)
        return [
            {"role": "system", "content": REWRITE_PROMPT},
            {"role": "user", "content": f"Conversation:\n{convo}\n\nLast question: {question}\n\nStandalone question:"},
        ]

    def rewrite(self, history: list[tuple[str, str]], question: str) -> str:
        """The standalone question; the question itself when there is no history or the model gives nothing usable."""
        if not history:
            return question
        msgs = self.messages(history, question)
        backend = getattr(self.generator, "backend", None)
        if backend is not None and hasattr(backend, "complete"):
            text, _ = backend.complete(msgs, self.max_tokens, 0.0)
        else:
            text = self.generator.generate(msgs[-1]["content"], []).text
        return clean_rewrite(text) or question


def clean_rewrite(text: str) -> str:
    """First non-empty line, without a 'Standalone question:' label or quotes."""
    for line in (text or "").splitlines():
        line = line.strip()
        for label in ("standalone question:", "rewritten question:", "question:"):
            if line.lower().startswith(label):
                line = line[len(label):].strip()
        line = line.strip("\"'` ")
        if line:
            return line
    return ""


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
