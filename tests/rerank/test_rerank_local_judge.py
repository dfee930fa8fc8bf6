"""The in-process yes/no judge on a tiny random-weight chat model saved to tmp_path (real loading code)."""

from __future__ import annotations

import math

import pytest

from mmrag.config import MMRAGConfig
from mmrag.rerank import build_scorer
from mmrag.rerank.views import text_messages
from mmrag.types import Hit, Item

WORDS = ["yes", "Yes", "no", "No", "maybe", "bee", "eyes", "volcano", "Question", "Item", "?", ":", "relevant", "answer"]


@pytest.fixture(scope="module")
def tiny_chat_model(tmp_path_factory):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["<unk>", "<s>", "</s>", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}"
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>", chat_template=template)
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(vocab), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048)
    out = tmp_path_factory.mktemp("tiny-chat")
    LlamaForCausalLM(cfg).save_pretrained(out)
    fast.save_pretrained(out)
    from mmrag.model_client.local_llm import LocalChatModel

    return LocalChatModel(str(out))


def _hit(text: str) -> Hit:
    item = Item(id=text, key=text, corpus="t", route="paragraph", modality="text", granularity="paragraph", source="t", text=text)
    return Hit(item=item, score=0.0)


def test_local_judge_rs_is_yes_over_yes_plus_no(tiny_chat_model):
    import torch

    scorer = build_scorer("llm-judge", MMRAGConfig(), chat_model=tiny_chat_model)
    assert not scorer.calibrated and scorer.calibration_label == "uncalibrated"
    hits = [_hit("bee eyes"), _hit("volcano"), _hit("maybe")]
    raw = scorer.raw_scores("bee eyes ?", hits)
    tok = tiny_chat_model.tokenizer
    for hit, got in zip(hits, raw):
        # Independent computation from the model's next-token distribution.
        msgs = [{"role": m["role"], "content": m["content"]} for m in text_messages("bee eyes ?", hit)]
        ids = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        with torch.inference_mode():
            p = torch.softmax(tiny_chat_model.model(**ids).logits[0, -1].float(), -1)
        yes = sum(float(p[tok.convert_tokens_to_ids(w)]) for w in ("yes", "Yes"))
        no = sum(float(p[tok.convert_tokens_to_ids(w)]) for w in ("no", "No"))
        assert got == pytest.approx(yes / (yes + no), rel=1e-4)
    assert len({round(v, 6) for v in raw}) > 1  # depends on the item


def test_local_judge_calibrated_on_log_odds(tiny_chat_model):
    from mmrag.rerank import fit_calibration

    cal = fit_calibration([0.2, 0.3, 0.6, 0.8], [0, 0, 1, 1], scorer="llm-judge", feature="logit")
    scorer = build_scorer("llm-judge", MMRAGConfig(), chat_model=tiny_chat_model, calibration=cal)
    assert scorer.calibrated
    raw = scorer.raw_scores("bee ?", [_hit("bee")])
    z = cal.a * math.log(raw[0] / (1 - raw[0])) + cal.b
    assert scorer.score("bee ?", [_hit("bee")]).values == pytest.approx([1 / (1 + math.exp(-z))])
