"""`mmrag ask` through the real typer app: the answer, --json for scripts, and one-line error exits."""

from __future__ import annotations

import json
import socket

import pytest
from tests.helpers.pipeline import DEMO, stub_server, write_config
from typer.testing import CliRunner

from mmrag.cli.main import app

runner = CliRunner()
BEES = "How many eggs a day can a honeybee queen lay at the height of the season?"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    server = stub_server()
    cfg = write_config(tmp_path_factory.mktemp("ask"), server.base_url)
    yield server, str(cfg)
    server.close()


def test_ask_prints_answer_and_sources(setup):
    server, cfg = setup
    res = runner.invoke(app, ["ask", BEES, "-c", cfg])
    assert res.exit_code == 0, res.output
    assert "From the sources: see [1]." in res.output and "bee-01" in res.output and "routes:" in res.output


def test_ask_json_for_scripts(setup):
    server, cfg = setup
    res = runner.invoke(app, ["ask", BEES, "--json", "--k", "2", "--tau", "0", "--routes", "paragraph,image", "-c", cfg])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["text"] == "From the sources: see [1]."
    assert data["citations"][0]["key"] == data["trace"]["kept"][0]["key"]
    t = data["trace"]
    assert t["decision"]["routes"] == ["paragraph", "image"] and set(t["candidates"]) == {"paragraph", "image"}
    assert len(t["kept"]) == 1 and list(t["timings"]) == ["route", "embed", "search", "rerank", "generate"]


def test_ask_with_image(setup):
    server, cfg = setup
    res = runner.invoke(app, ["ask", "What does this drawing show?", "--image", str(DEMO / "images" / "waggle-dance.png"),
                              "--routes", "image", "--json", "-c", cfg])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["trace"]["decision"]["routes"] == ["image"]
    assert any(p.get("type") == "image_url" for m in server.chat_requests()[-1]["messages"]
               if isinstance(m["content"], list) for p in m["content"])


def _one_line_error(res, *needles):
    assert res.exit_code == 1 and "Traceback" not in res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.output
    for n in needles:
        assert n in lines[0]


def test_ask_user_errors_exit_non_zero(setup, tmp_path):
    server, cfg = setup
    _one_line_error(runner.invoke(app, ["ask", BEES, "--image", str(tmp_path / "nope.png"), "-c", cfg]), "nope.png", "check the path")
    _one_line_error(runner.invoke(app, ["ask", "the moment the tyre goes on", "--routes", "clip", "-c", cfg]),
                    "mmrag ingest --corpus demo-clip")
    _one_line_error(runner.invoke(app, ["ask", BEES, "--routes", "tables", "-c", cfg]), "known routes")
    _one_line_error(runner.invoke(app, ["ask", BEES, "-c", str(tmp_path / "missing.yaml")]), "missing.yaml")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _one_line_error(runner.invoke(app, ["ask", BEES, "-c", cfg, "--set", f"model_server.base_url=http://127.0.0.1:{port}/v1"]),
                    f"127.0.0.1:{port}")
