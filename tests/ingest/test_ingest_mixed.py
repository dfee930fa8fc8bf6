"""`mmrag init` and `mmrag ingest FOLDER` over a mixed folder: sorted into corpora by type, pruned on re-ingest."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from tests.helpers.documents import make_docx, make_pdf
from tests.helpers.ingest import colour_image
from typer.testing import CliRunner

from mmrag.cli.main import app
from mmrag.config import load_config
from mmrag.store.qdrant import close_embedded, open_store

runner = CliRunner()


def _speech(path: Path, text: str) -> Path:
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
    return path


@pytest.fixture
def mixed(tmp_path) -> Path:
    folder = tmp_path / "stuff"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.md").write_text("# Kettles\n\nDescale a kettle with white vinegar once a month.", encoding="utf-8")
    make_pdf(folder / "guide.pdf", scanned=None)
    make_docx(folder / "sub" / "owls.docx")
    colour_image(folder / "red.png", (200, 30, 30))
    (folder / "red.png").with_suffix(".txt").write_text("A plain red square.", encoding="utf-8")  # caption sidecar, not a passage
    (folder / "data.bin").write_bytes(b"\x00\x01")
    return folder


def _counts(cfg_path: str) -> dict[str, int]:
    cfg = load_config(cfg_path)
    store = open_store(cfg)
    out = {}
    for c in yaml.safe_load(Path(cfg.corpora_path).read_text())["corpora"]:
        coll = c["collection"]
        out[c["route"]] = store.count(coll, heads_only=True) if store.exists(coll) else 0
    close_embedded(cfg.store_path)
    return out


def test_init_then_ingest_sorts_by_type_and_prunes(tmp_path, mixed):
    reg = tmp_path / "reg.yaml"
    res = runner.invoke(app, ["init", str(mixed), "--out", str(reg)])
    assert res.exit_code == 0, res.output
    routes = {c["route"]: c for c in yaml.safe_load(reg.read_text())["corpora"]}
    assert set(routes) == {"paragraph", "document", "page", "image"}
    assert routes["page"]["modality"] == "image" and routes["page"]["granularity"] == "page"
    assert runner.invoke(app, ["init", str(mixed), "--out", str(reg)]).exit_code != 0  # no silent overwrite

    cfg = tmp_path / "pipeline.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "corpora": str(reg), "ingest": {"asr": False, "ocr": False}}))
    res = runner.invoke(app, ["ingest", str(mixed), "-c", str(cfg)])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "guide.pdf → stuff-paragraph, stuff-document, stuff-page" in out
    assert "red.png → stuff-image" in out and "red.txt" not in out
    assert "data.bin: no corpus in the registry reads '.bin'" in out
    counts = _counts(str(cfg))
    # paragraphs: notes.md 1 + guide.pdf 2 pages + owls.docx 2 sections; documents: 3 files; pages: 2; image: 1
    assert counts == {"paragraph": 5, "document": 3, "page": 2, "image": 1}

    # Re-ingesting changes nothing; deleting a file and shortening another removes their stale items.
    res = runner.invoke(app, ["ingest", str(mixed), "-c", str(cfg)])
    assert res.exit_code == 0 and _counts(str(cfg)) == counts
    (mixed / "sub" / "owls.docx").unlink()
    make_pdf(mixed / "guide.pdf", pages=["Only one page is left in this guide about lighthouses."], scanned=None)
    res = runner.invoke(app, ["ingest", str(mixed), "-c", str(cfg)])
    assert res.exit_code == 0, res.output
    assert _counts(str(cfg)) == {"paragraph": 2, "document": 2, "page": 1, "image": 1}
    # --no-prune keeps items of deleted files.
    (mixed / "notes.md").unlink()
    assert runner.invoke(app, ["ingest", str(mixed), "--no-prune", "-c", str(cfg)]).exit_code == 0
    assert _counts(str(cfg))["document"] == 2
    assert runner.invoke(app, ["ingest", "--all", "-c", str(cfg)]).exit_code == 0  # registry sources, pruned
    assert _counts(str(cfg))["document"] == 1
    # The last PDF goes: the page corpus has no file left, and still loses its items.
    (mixed / "guide.pdf").unlink()
    assert runner.invoke(app, ["ingest", str(mixed), "-c", str(cfg)]).exit_code == 0
    assert _counts(str(cfg)) == {"paragraph": 0, "document": 0, "page": 0, "image": 1}


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (apt-get install espeak-ng) makes the speech fixture")
def test_mixed_folder_audio_goes_to_the_audio_corpus(tmp_path):
    folder = tmp_path / "talks"
    folder.mkdir()
    _speech(folder / "library.wav", "The library opens at nine in the morning and closes at six in the evening.")
    (folder / "fake.mp3").write_text("this is not audio", encoding="utf-8")
    (folder / "todo.md").write_text("# Todo\n\nBuy milk and bread on Friday.", encoding="utf-8")
    reg = tmp_path / "reg.yaml"
    assert runner.invoke(app, ["init", str(folder), "--out", str(reg)]).exit_code == 0
    routes = {c["route"] for c in yaml.safe_load(reg.read_text())["corpora"]}
    assert routes == {"paragraph", "document", "audio"}
    cfg = tmp_path / "pipeline.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "corpora": str(reg), "ingest": {"ocr": False}}))
    res = runner.invoke(app, ["ingest", str(folder), "-c", str(cfg)])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "library.wav → talks-audio" in out
    assert "fake.mp3" in out and "not audio" in out
    res = runner.invoke(app, ["search", "when does the library open", "--route", "audio", "--json", "-c", str(cfg)])
    assert res.exit_code == 0, res.output
    assert '"key": "library.wav@0-' in res.output and '"route": "audio"' in res.output
