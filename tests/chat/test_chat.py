"""`mmrag chat`: the session's app-level API (history, rewriting, slash commands) and the command on piped input."""

from __future__ import annotations

import io
import socket

import pytest
from rich.console import Console
from tests.helpers.pipeline import DEMO, image_parts, shared_pipeline, sources_in, stub_server, write_config
from typer.testing import CliRunner

from mmrag.chat import ChatSession, QueryRewriter
from mmrag.chat.rewrite import clean_rewrite
from mmrag.cli.main import app

FIRST = "How many eggs a day can a honeybee queen lay at the height of the season?"
FOLLOW = "And how long does she live?"
STANDALONE = "How long does a honeybee queen live?"


@pytest.fixture(scope="module")
def server():
    s = stub_server({FOLLOW: STANDALONE})
    yield s
    s.close()


@pytest.fixture(scope="module")
def pipe(server):
    return shared_pipeline(server.base_url)


@pytest.fixture
def chat(pipe):
    out = io.StringIO()
    session = ChatSession(pipe, Console(file=out, width=160, color_system=None))
    return session, out


def test_question_sources_followup_quit(chat, server):
    session, out = chat
    assert session.handle(FIRST)
    first = session.last
    assert "From the sources: see [1]." in out.getvalue() and first.trace.kept[0].key == "bee-01"
    assert session.handle("/sources")
    assert "Sources" in out.getvalue() and f"{first.trace.kept[0].rs:.2f}" in out.getvalue()
    n = len(server.chat_requests())
    assert session.handle(FOLLOW)
    rewrite, answer = server.chat_requests()[n:n + 2]
    # The follow-up was rewritten with the history, then routed and answered as a standalone query.
    assert FIRST in rewrite["messages"][-1]["content"] and FOLLOW in rewrite["messages"][-1]["content"]
    assert answer["stream"] is True and STANDALONE in sources_in(answer)
    assert session.history[-1].standalone == STANDALONE and session.last.trace.query == STANDALONE
    assert f"→ {STANDALONE}" in out.getvalue()
    assert session.handle("/quit") is False


def test_settings_commands_apply_to_next_question(chat, server):
    session, out = chat
    for line in ("/k 1", "/tau 0", "/routes paragraph,image"):
        assert session.handle(line)
    session.handle(FIRST)
    t = session.last.trace
    assert t.decision.routes == ["paragraph", "image"] and len(t.kept) == 1 and t.selection.tau == 0
    session.handle("/route")
    assert "Routing (given)" in out.getvalue()
    session.handle("/trace")
    assert '"timings"' in out.getvalue() and '"candidates"' in out.getvalue()
    session.handle("/routes auto")
    assert session.routes is None
    session.handle("/image " + str(DEMO / "images" / "bee-anatomy.png"))
    session.handle("/reset")  # forgets history and the attached image
    assert session.history == [] and session.image is None
    session.handle("/image " + str(DEMO / "images" / "bee-anatomy.png"))
    session.handle("/routes image")
    session.handle("What is drawn here?")
    assert image_parts(server.chat_requests()[-1]) >= 1 and session.image is None  # one question only


def test_mistakes_print_one_line_and_the_session_goes_on(chat, tmp_path):
    session, out = chat
    for line, needle in [("/sources", "ask a question first"), ("/k many", "whole number"), ("/tau 2", "outside [0, 1]"),
                         ("/routes tables", "unknown route tables"), ("/image " + str(tmp_path / "x.png"), "does not exist"),
                         ("/frobnicate", "type /help"), ("/routes clip", "routes: clip")]:
        assert session.handle(line) is True
        assert needle in out.getvalue().splitlines()[-1], out.getvalue()
    assert session.handle("the moment the tyre goes on") is True  # empty collection: an error line, not a crash
    assert "mmrag ingest --corpus demo-clip" in out.getvalue() and session.history == []
    session.handle("/help")
    assert "/sources" in out.getvalue() and "now: clip" in out.getvalue()


def test_unreachable_server_keeps_the_session_going():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = io.StringIO()
    session = ChatSession(shared_pipeline(f"http://127.0.0.1:{port}/v1"), Console(file=out, width=200, color_system=None))
    assert session.handle(FIRST) is True
    assert out.getvalue().splitlines()[-1].startswith(f"error: model server http://127.0.0.1:{port}")
    assert session.history == [] and session.handle("/help") is True


def test_rewriter_without_history_and_cleanup():
    class NoCall:
        def generate(self, *a, **k):
            raise AssertionError("no history: nothing to rewrite")

    assert QueryRewriter(NoCall()).rewrite([], "hello?") == "hello?"
    assert clean_rewrite('\n Standalone question: "Why is the sky blue?"\nextra') == "Why is the sky blue?"
    assert clean_rewrite("   ") == ""


def test_chat_command_on_piped_input(server, tmp_path):
    cfg = write_config(tmp_path, server.base_url)
    res = CliRunner().invoke(app, ["chat", "-c", str(cfg), "--no-rewrite"], input=f"{FIRST}\n/sources\n/k x\n/quit\nnever asked\n")
    assert res.exit_code == 0, res.output
    assert "From the sources: see [1]." in res.output and "bee-01" in res.output
    assert "error: /k needs a whole number" in res.output and "never asked" not in res.output.split("/quit")[-1]
