"""Follow-up questions → standalone queries, so the router and the search see the whole question."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from mmrag.generate.attribution import content_words

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
        """The standalone question (see ``rewrite_checked``)."""
        return self.rewrite_checked(history, question).standalone

    def rewrite_checked(self, history: list[tuple[str, str]], question: str) -> Rewrite:
        """The model's rewrite if it passes ``check_rewrite``, else the previous question joined with this one.

        ``history`` is (standalone question, answer) pairs, oldest first. No history: the question itself.
        """
        if not history:
            return Rewrite(question=question, standalone=question, accepted=True)
        msgs = self.messages(history, question)
        backend = getattr(self.generator, "backend", None)
        if backend is not None and hasattr(backend, "complete"):
            text, _ = backend.complete(msgs, self.max_tokens, 0.0)
        else:
            text = self.generator.generate(msgs[-1]["content"], []).text
        proposed = clean_rewrite(text)
        recent = history[-self.max_turns:]
        problem = check_rewrite(proposed, question, recent)
        if problem is None:
            return Rewrite(question=question, proposed=proposed, standalone=proposed, accepted=True)
        return Rewrite(question=question, proposed=proposed, standalone=fallback_query(history, question),
                       accepted=False, reason=problem)


class Rewrite(BaseModel):
    """A follow-up, what the model proposed for it, and what is searched and answered."""

    question: str
    proposed: str = ""
    standalone: str
    accepted: bool
    reason: str | None = None


# How a question or a request opens (also without a question mark: "how do I rinse it").
_OPENERS = frozenset("""
what which who whom whose when where why how is are was were do does did can could should would will shall may might
has have had am tell explain describe list show give name compare summarise summarize define
""".split())
#: A rewrite much longer than the follow-up plus a turn of context is an answer or an essay, not a question.
_MAX_EXTRA_WORDS = 30


def is_question(text: str) -> bool:
    """One question or request: ends with '?', or opens like one and is a single sentence."""
    t = text.strip()
    if not t:
        return False
    if t.endswith("?"):
        # "Paris. What else?" holds a statement before the question.
        return not re.search(r"[.!]\s+\S", t[:-1])
    first = re.findall(r"[a-z']+", t.lower()[:20])
    return bool(first) and first[0] in _OPENERS and not re.search(r"[.!?]\s+\S", t)


def check_rewrite(proposed: str, question: str, recent: list[tuple[str, str]]) -> str | None:
    """None if ``proposed`` is a usable standalone version of ``question``, else why not.

    It must be a question, keep a content word of the follow-up (when it has any), and take the words it
    adds from the recent turns, not from nowhere (a small model answers, or invents, instead of rewriting).
    """
    if not proposed:
        return "the model gave no rewrite"
    if not is_question(proposed):
        return "the rewrite is not a question"
    if len(proposed.split()) > len(question.split()) + _MAX_EXTRA_WORDS:
        return "the rewrite is too long for a question"
    mine, asked = content_words(proposed), content_words(question)
    if asked and not mine & asked:
        return "the rewrite shares no content word with the question"
    added = mine - asked
    if added:
        context = set().union(*(content_words(f"{q} {a}") for q, a in recent)) if recent else set()
        # Most of what it adds must come from the conversation ("the filter" for "it"), not from nowhere.
        if 2 * len(added & context) < len(added):
            return "the rewrite adds words found nowhere in the conversation"
    return None


def fallback_query(history: list[tuple[str, str]], question: str) -> str:
    """The previous question and this one together: the search sees the topic, the model both questions."""
    previous = history[-1][0].strip()
    return f"{previous} {question.strip()}" if previous else question


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
