"""The import rules of the layers (pyproject.toml, [tool.importlinter]) hold."""

from __future__ import annotations

import os

from importlinter.cli import lint_imports


def test_layers_import_downwards_only(repo_root):
    cwd = os.getcwd()
    os.chdir(repo_root)  # import-linter reads pyproject.toml from the current folder
    try:
        assert lint_imports() == 0, "an import breaks the layer rules: run `lint-imports` for the chain"
    finally:
        os.chdir(cwd)
