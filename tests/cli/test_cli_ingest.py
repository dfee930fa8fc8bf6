"""`mmrag ingest`, `mmrag corpora`, `mmrag search` through the real typer app."""

from __future__ import annotations

import json

import pytest
import yaml
from tests.helpers.ingest import write_registry
from typer.testing import CliRunner

from mmrag.cli.main import app

runner = CliRunner()


@pytest.fixture
def setup(tmp_path, text_encoder):
    docs = tmp_path / "corpus" / "docs"
    docs.mkdir(parents=True)
    (docs / "bees.md").write_text("# Honey bees\n\nBees make honey from nectar and live in hives.", encoding="utf-8")
    (docs / "volcanoes.md").write_text("# Volcanoes\n\nLava erupts from volcanoes when magma rises.", encoding="utf-8")
    registry = write_registry(tmp_path / "corpus" / "reg.yaml", [
        {"name": "docs", "route": "document", "modality": "text", "granularity": "document",
         "description": "articles", "sources": ["docs"]},
        {"name": "pics", "route": "image", "modality": "image", "granularity": "image",
         "description": "pictures", "sources": ["pics"]},
    ])
    cfg = tmp_path / "pipeline.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "corpora": str(registry),
                                   "ingest": {"asr": False, "ocr": False}}), encoding="utf-8")
    return tmp_path, str(cfg), docs


def test_ingest_corpora_search(setup):
    tmp_path, cfg, docs = setup
    res = runner.invoke(app, ["ingest", "--corpus", "docs", "-c", cfg])
    assert res.exit_code == 0, res.output
    assert "ingest summary" in res.output and "docs" in res.output
    again = runner.invoke(app, ["ingest", "--corpus", "docs", "-c", cfg])
    row = next(line for line in again.output.splitlines() if line.strip("│ ").startswith("docs"))
    assert [c.strip() for c in row.strip("│").split("│")][1:3] == ["0", "2"]  # ingested 0, unchanged 2
    res = runner.invoke(app, ["corpora", "-c", cfg])
    assert res.exit_code == 0 and "demo" not in res.output
    row = next(line for line in res.output.splitlines() if line.strip("│ ").startswith("docs"))
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells[1:5] == ["document", "text/document", "docs", "2"]
    res = runner.invoke(app, ["search", "where does honey come from", "--route", "document", "-n", "2", "--json", "-c", cfg])
    assert res.exit_code == 0, res.output
    hits = [json.loads(line) for line in res.output.splitlines() if line.startswith("{")]
    assert [h["rank"] for h in hits] == [1, 2] and hits[0]["key"] == "bees.md" and hits[0]["title"] == "Honey bees"
    res = runner.invoke(app, ["search", "lava", "--route", "document", "-c", cfg])
    assert res.exit_code == 0 and "volcanoes.md" in res.output


def test_bad_input_line_and_strict_exit(setup):
    tmp_path, cfg, docs = setup
    (docs / "broken.txt").write_bytes(b"\xff\xfe\xfa not utf8")
    res = runner.invoke(app, ["ingest", str(docs), "--corpus", "docs", "-c", cfg])
    assert res.exit_code == 0
    lines = [line for line in res.output.splitlines() if "broken.txt" in line]
    assert len(lines) == 1 and "not UTF-8" in lines[0]
    res = runner.invoke(app, ["ingest", str(docs), "--corpus", "docs", "--strict", "-c", cfg])
    assert res.exit_code == 2 and "--strict" in res.output


def test_user_mistakes_are_one_line_errors(setup):
    tmp_path, cfg, docs = setup
    res = runner.invoke(app, ["search", "x", "--route", "image", "-c", cfg])
    assert res.exit_code == 1 and "mmrag ingest --corpus pics" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["search", "x", "--route", "nowhere", "-c", cfg])
    assert res.exit_code == 1 and "known routes: none, document, image" in res.output
    res = runner.invoke(app, ["ingest", "-c", cfg])
    assert res.exit_code == 1 and "--corpus NAME" in res.output
    res = runner.invoke(app, ["ingest", "--corpus", "pics", "-c", cfg])  # its source folder does not exist
    assert res.exit_code == 1 and "nothing could be ingested" in res.output
