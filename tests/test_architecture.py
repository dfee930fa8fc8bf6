"""The import rules of the layers (pyproject.toml, [tool.importlinter]) hold, ruff finds nothing, and the
public API type-checks (mypy, [tool.mypy])."""

from __future__ import annotations

import os
import subprocess
import sys

from importlinter.cli import lint_imports


def test_layers_import_downwards_only(repo_root):
    cwd = os.getcwd()
    os.chdir(repo_root)  # import-linter reads pyproject.toml from the current folder
    try:
        assert lint_imports() == 0, "an import breaks the layer rules: run `lint-imports` for the chain"
    finally:
        os.chdir(cwd)


def test_ruff_finds_nothing(repo_root):
    res = subprocess.run([sys.executable, "-m", "ruff", "check", "mmrag", "tests", "evaluation", "tools", "scripts"],
                         cwd=repo_root, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-2000:]


def test_mypy_checks_the_public_api(repo_root, tmp_path):
    res = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path)], cwd=repo_root,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-3000:]
