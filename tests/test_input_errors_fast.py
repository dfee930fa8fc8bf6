"""User mistakes are reported before any model loads, each as one line, and the CLI finds its config anywhere."""

from __future__ import annotations

import time

import pytest
import yaml
from tests.helpers.ingest import write_registry
from typer.testing import CliRunner

from mmrag.cli.main import app

runner = CliRunner()


@pytest.fixture
def broken_models(tmp_path):
    """A config whose every model points nowhere: any stage that got built would fail with a model error."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# A\n\nSome text.", encoding="utf-8")
    registry = write_registry(tmp_path / "reg.yaml", [
        {"name": "notes", "route": "paragraph", "modality": "text", "granularity": "paragraph",
         "description": "my notes", "sources": ["notes"]},
        {"name": "photos", "route": "image", "modality": "image", "granularity": "image",
         "description": "my photos", "sources": ["no-such-folder"]},
    ])
    cfg = tmp_path / "pipeline.yaml"
    cfg.write_text(yaml.safe_dump({
        "data_dir": str(tmp_path / "data"), "corpora": str(registry),
        "encoders": {"text": {"model": str(tmp_path / "no-encoder")}},
        "generator": {"model": str(tmp_path / "no-llm.gguf")},
        "routing": {"artefact": str(tmp_path / "no-router")},
    }), encoding="utf-8")
    (tmp_path / "pic.png").write_bytes(b"not a png")
    return tmp_path, str(cfg)


CASES = [
    (["ask", "   "], "the question is empty"),
    (["ask", "What is in my notes?", "--routes", "paragraph,recipes"], "unknown route recipes"),
    (["ask", "What is in my notes?", "--k", "-1"], "k = -1 is negative"),
    (["ask", "What is in my notes?", "--tau", "1.5"], "tau = 1.5 is outside [0, 1]"),
    (["ask", "What is in my notes?", "-n", "0"], "n_candidates = 0"),
    (["ask", "What is in my notes?", "--image", "{tmp}/missing.png"], "missing.png"),
    (["ask", "What is in my notes?", "--image", "{tmp}/pic.png"], "pic.png"),
    (["ask", "What is in my notes?", "--set", "rerank.tua=0.3"], "--set rerank.tua=0.3: unknown key"),
    (["ask", "What is in my notes?", "--set", "rerank.k=many"], "--set rerank.k=many"),
    (["ask", "What is in my notes?", "--set", "rerank"], "--set 'rerank' must look like section.key=value"),
    (["chat", "--routes", "nowhere"], "unknown route nowhere"),
    (["chat", "--tau", "-0.1"], "tau = -0.1 is outside [0, 1]"),
    (["ingest", "{tmp}/missing-folder", "--corpus", "notes"], "missing-folder' does not exist"),
    (["ingest", "{tmp}/notes", "--corpus", "recipes"], "unknown corpus 'recipes'"),
    (["ingest", "--corpus", "photos"], "nothing could be ingested into corpus 'photos'"),
]


@pytest.mark.parametrize("args,expected", CASES, ids=[" ".join(c[0][:3]) for c in CASES])
def test_mistakes_fail_at_once_without_loading_models(broken_models, args, expected):
    tmp, cfg = broken_models
    argv = [a.replace("{tmp}", str(tmp)) for a in args] + ["-c", cfg]
    t0 = time.perf_counter()
    res = runner.invoke(app, argv)
    elapsed = time.perf_counter() - t0
    assert res.exit_code != 0
    assert expected in res.output, res.output
    # One line, and not the model error every built stage would raise: nothing was loaded.
    lines = [line for line in res.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in res.output, res.output
    assert elapsed < 2.0, f"{args}: {elapsed:.2f} s"


def test_the_cli_works_outside_the_repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MMRAG_CONFIG", raising=False)
    # No config anywhere: the packaged default looks for ./corpora.yaml and says how to point elsewhere.
    res = runner.invoke(app, ["corpora"])
    assert res.exit_code == 1
    assert "corpora.yaml' not found" in res.output and "--config" in res.output and "MMRAG_CONFIG" in res.output
    # ./corpora.yaml is then picked up, with the store under ./.mmrag.
    write_registry(tmp_path / "corpora.yaml", [{"name": "notes", "route": "paragraph", "modality": "text",
                                                "granularity": "paragraph", "description": "my notes"}])
    res = runner.invoke(app, ["corpora"])
    assert res.exit_code == 0, res.output
    assert "notes" in res.output and str(tmp_path / ".mmrag") in res.output.replace("\n", "")
    # ./mmrag.yaml beats the packaged default, and $MMRAG_CONFIG beats ./mmrag.yaml.
    write_registry(tmp_path / "other.yaml", [{"name": "photos", "route": "image", "modality": "image",
                                              "granularity": "image", "description": "pics"}])
    (tmp_path / "mmrag.yaml").write_text(yaml.safe_dump({"corpora": "other.yaml", "data_dir": "d1"}), encoding="utf-8")
    res = runner.invoke(app, ["corpora"])
    assert res.exit_code == 0 and "photos" in res.output and "notes" not in res.output
    (tmp_path / "env.yaml").write_text(yaml.safe_dump({"corpora": "corpora.yaml", "data_dir": "d2"}), encoding="utf-8")
    monkeypatch.setenv("MMRAG_CONFIG", str(tmp_path / "env.yaml"))
    res = runner.invoke(app, ["corpora"])
    assert res.exit_code == 0 and "notes" in res.output and "photos" not in res.output


def test_a_store_locked_by_another_process_fails_before_loading(broken_models):
    import fcntl

    tmp, cfg = broken_models
    store = tmp / "data" / "qdrant"
    store.mkdir(parents=True)
    (store / ".lock").write_text("tmp lock file")
    with open(store / ".lock", "r+") as held:  # what a running `mmrag` holds (Qdrant's local-mode flock)
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        t0 = time.perf_counter()
        res = runner.invoke(app, ["ask", "What is in my notes?", "-c", cfg])
        elapsed = time.perf_counter() - t0
    assert res.exit_code == 1 and "is in use by another process" in res.output, res.output
    assert elapsed < 2.0
