"""Chat follow-ups stay questions: a rewrite that is no question, or leaves the conversation, is not searched."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from tests.helpers.pipeline import shared_pipeline, sources_in, stub_server

from mmrag.chat import ChatSession, check_rewrite, fallback_query, is_question

Q1 = "Who introduced the autolyse technique in bread making?"
Q2 = "And how many times do I rinse it?"
Q3 = "Which flour is mixed in it?"
Q4 = "And the salt?"
GOOD3 = "Which flour is mixed in the autolyse technique of bread making?"
REWRITES = {
    f"Last question: {Q2}": "The answer is: 10 times.",  # an answer, not a question (seen with SmolLM2)
    f"Last question: {Q3}": GOOD3,
    f"Last question: {Q4}": "What is the capital of France?",  # a question, but not this conversation's
}


@pytest.fixture(scope="module")
def server():
    s = stub_server(REWRITES)
    yield s
    s.close()


def test_multi_turn_rewrites_are_checked(server) -> None:
    out = io.StringIO()
    session = ChatSession(shared_pipeline(server.base_url), Console(file=out, width=200, color_system=None), stream=False)
    session.handle("/routes paragraph")  # the test data holds paragraphs and images only
    session.ask(Q1)
    assert session.last.trace.rewrite is None  # nothing to rewrite on the first turn

    # An answer posing as a rewrite: the previous question and this one are searched instead.
    a2 = session.ask(Q2)
    fallback = f"{Q1} {Q2}"
    assert session.history[-1].standalone == fallback and a2.trace.query == fallback
    r = a2.trace.rewrite
    assert (r["proposed"], r["accepted"], r["reason"]) == ("The answer is: 10 times.", False, "the rewrite is not a question")
    assert fallback in sources_in(server.chat_requests()[-1]) and a2.trace.question == Q2
    assert "rewrite 'The answer is: 10 times.' not used: the rewrite is not a question" in out.getvalue()

    # A good rewrite is used as is.
    a3 = session.ask(Q3)
    assert a3.trace.rewrite["accepted"] and a3.trace.query == GOOD3 and session.history[-1].rewrite.standalone == GOOD3

    # A question about something else: rejected, joined with the previous (rewritten) question.
    a4 = session.ask(Q4)
    assert a4.trace.rewrite["reason"] == "the rewrite shares no content word with the question"
    assert a4.trace.query == f"{GOOD3} {Q4}"
    # The model saw the previous turns when asked to rewrite.
    rewrite_req = [b for b in server.chat_requests() if Q4 in b["messages"][-1]["content"]][0]
    assert GOOD3 in rewrite_req["messages"][-1]["content"] and Q1 in rewrite_req["messages"][-1]["content"]


def test_without_rewriting_follow_ups_go_as_typed(server) -> None:
    out = io.StringIO()
    session = ChatSession(shared_pipeline(server.base_url), Console(file=out, width=200, color_system=None),
                          rewrite=False, stream=False)
    session.handle("/routes paragraph")
    session.handle(Q1)
    n = len(server.chat_requests())
    session.handle(Q2)
    assert len(server.chat_requests()) == n + 1 and session.last.trace.query == Q2 and session.last.trace.rewrite is None


@pytest.mark.parametrize(("text", "ok"), [
    ("How many times do I rinse the coffee filter?", True),
    ("how long should the dough rest", True),
    ("Explain the waggle dance", True),
    ("The answer is: 10 times.", False),
    ("10 times.", False),
    ("Rinse it ten times. How often?", False),
    ("", False),
])
def test_is_question(text, ok) -> None:
    assert is_question(text) is ok


def test_check_rewrite_on_a_fresh_conversation() -> None:
    turns = [("How do I descale a kettle?", "Boil a mix of water and white vinegar in it, then rinse it twice.")]
    q = "And with lemon juice instead?"
    assert check_rewrite("How do I descale a kettle with lemon juice instead of vinegar?", q, turns) is None
    assert check_rewrite("How do I clean a kettle with lemon juice, bleach and ammonia?", q, turns) \
        == "the rewrite adds words found nowhere in the conversation"
    assert check_rewrite("Kettles are descaled with lemon juice.", q, turns) == "the rewrite is not a question"
    assert check_rewrite("What is " + "very " * 40 + "lemon juice?", q, turns) == "the rewrite is too long for a question"
    assert check_rewrite("", q, turns) == "the model gave no rewrite"
    # A follow-up without content words ("And why?") may take all its words from the conversation.
    assert check_rewrite("Why do I rinse the kettle twice?", "And why?", turns) is None
    assert fallback_query(turns, q) == "How do I descale a kettle? And with lemon juice instead?"
