"""The text encoders the factory picks (onnxruntime, transformers) give sentence-transformers' vectors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from mmrag.config import TextEncoderConfig
from mmrag.encoders import load_text_encoder, onnx_text
from mmrag.encoders.onnx_text import OnnxTextEncoder
from mmrag.encoders.transformers_text import TransformersTextEncoder, plain_sentence_stack
from mmrag.errors import ConfigError, ModelError
from mmrag.model_refs import resolve_model_ref

MODEL = TextEncoderConfig().model
TEXTS = ["How long does bread dough rise?", "x", "Crème brûlée, naïve café. " * 60,  # truncated at 256 tokens
         "The Etna eruption of 1669 reached Catania."] * 3


@pytest.fixture(scope="module")
def reference():
    from mmrag.encoders.text import SentenceTransformerEncoder

    return SentenceTransformerEncoder(MODEL)


def test_packaged_minilm_is_a_plain_stack():
    stack = plain_sentence_stack(resolve_model_ref(MODEL))
    assert stack == {"pooling": "mean_tokens", "max_seq_length": 256, "do_lower_case": False}


@pytest.mark.parametrize("runtime", ["onnx", "torch"])
def test_same_vectors_and_tokens_as_sentence_transformers(reference, runtime):
    encoder = load_text_encoder(TextEncoderConfig(runtime=runtime))
    assert isinstance(encoder, OnnxTextEncoder if runtime == "onnx" else TransformersTextEncoder)
    ours, theirs = encoder.encode(TEXTS, batch_size=5), reference.encode(TEXTS)
    assert ours.shape == theirs.shape == (12, 384)
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    np.testing.assert_allclose(encoder.encode(TEXTS[:1]), theirs[:1], atol=1e-4)  # the one-thread query path
    assert [encoder.count_tokens(t) for t in TEXTS[:4]] == [reference.count_tokens(t) for t in TEXTS[:4]]
    assert (encoder.dim, encoder.max_tokens) == (reference.dim, reference.max_tokens)
    assert encoder.encode([]).shape == (0, 384)


def test_default_runtime_is_onnx(text_encoder):
    assert isinstance(text_encoder, OnnxTextEncoder)


def test_onnx_export_is_made_once_and_reused(tmp_path, monkeypatch):
    path = resolve_model_ref(MODEL)
    stack = plain_sentence_stack(path)
    first = OnnxTextEncoder(MODEL, path, stack, cache_dir=tmp_path)
    assert first.onnx_file.is_relative_to(tmp_path) and first.onnx_file.stat().st_size > 1_000_000
    assert not list(first.onnx_file.parent.glob("*.tmp"))

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_text, "export_onnx", no_export)
    again = OnnxTextEncoder(MODEL, path, stack, cache_dir=tmp_path)
    np.testing.assert_allclose(again.encode(TEXTS[:2]), first.encode(TEXTS[:2]), atol=1e-6)

    first.onnx_file.write_bytes(b"not an onnx model")  # a truncated or foreign file: one line naming it
    with pytest.raises(ModelError, match="delete that folder"):
        OnnxTextEncoder(MODEL, path, stack, cache_dir=tmp_path)


@pytest.mark.parametrize("change", ["dense_module", "two_pooling_modes", "prompts", "no_modules"])
def test_other_stacks_are_left_to_sentence_transformers(tmp_path, change):
    folder = tmp_path / "model"
    shutil.copytree(resolve_model_ref(MODEL), folder, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    if change == "dense_module":
        modules = json.loads((folder / "modules.json").read_text())
        modules.append({"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"})
        (folder / "modules.json").write_text(json.dumps(modules))
    elif change == "two_pooling_modes":
        cfg = json.loads((folder / "1_Pooling" / "config.json").read_text())
        cfg["pooling_mode_cls_token"] = True
        (folder / "1_Pooling" / "config.json").write_text(json.dumps(cfg))
    elif change == "prompts":
        (folder / "config_sentence_transformers.json").write_text(json.dumps({"prompts": {"query": "query: "}}))
    else:
        (folder / "modules.json").unlink()
    assert plain_sentence_stack(folder) is None
    if change == "prompts":  # asking for onnx on such a model is a one-line config error
        with pytest.raises(ConfigError, match="runtime: torch"):
            load_text_encoder(TextEncoderConfig(model=str(folder), runtime="onnx"))


def test_every_runtime_marks_the_same_token_spans(reference):
    from mmrag.ingest.chunking import chunk_text

    text = "Magma rises; lava erupts from the crater at 1,200 °C. " * 40
    onnx, torch_ = (load_text_encoder(TextEncoderConfig(runtime=r)) for r in ("onnx", "torch"))
    assert onnx.token_spans(text) == torch_.token_spans(text) == reference.token_spans(text)
    assert chunk_text(text, onnx, 64, 16) == chunk_text(text, reference, 64, 16)
