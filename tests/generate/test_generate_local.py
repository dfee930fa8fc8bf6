"""In-process backends: a tiny random-weight LLaVA (plumbing only) and the offline SmolLM2 GGUF model."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmrag.config import GeneratorConfig
from mmrag.errors import ModelError
from mmrag.generate import load_generator
from mmrag.types import Answer, Hit, Item, ScoredHit

_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {% if m['content'] is string %}{{ m['content'] }}{% else %}"
    "{% for p in m['content'] %}{% if p['type'] == 'image' %}<image>{% else %}{{ p['text'] }}{% endif %}{% endfor %}"
    "{% endif %}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}"
)


def _tiny_llava(folder: Path) -> str:
    """A LLaVA with a 1-layer CLIP tower and a 1-layer Llama, a byte-level tokenizer and a CLIP processor."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import (CLIPImageProcessor, CLIPVisionConfig, LlamaConfig, LlavaConfig,
                              LlavaForConditionalGeneration, LlavaProcessor, PreTrainedTokenizerFast)

    vocab = {c: i for i, c in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    bt = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    bt.pre_tokenizer, bt.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
    tok = PreTrainedTokenizerFast(tokenizer_object=bt, eos_token="</s>", pad_token="<pad>", additional_special_tokens=["<image>"])
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    LlavaProcessor(image_processor=images, tokenizer=tok, patch_size=16, vision_feature_select_strategy="default",
                   chat_template=_TEMPLATE, image_token="<image>", num_additional_image_tokens=1).save_pretrained(folder)
    cfg = LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                       image_size=32, patch_size=16, projection_dim=32),
        text_config=LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048),
        image_token_index=tok.convert_tokens_to_ids("<image>"), vision_feature_select_strategy="default", vision_feature_layer=-1,
    )
    torch.manual_seed(0)
    LlavaForConditionalGeneration(cfg).save_pretrained(folder)
    return str(folder)


def _kept(tmp_path: Path) -> list[ScoredHit]:
    out = []
    for i in range(2):
        p = tmp_path / f"img{i}.png"
        Image.fromarray((np.random.RandomState(i).rand(40, 50, 3) * 255).astype("uint8")).save(p)
        item = Item(id=f"i{i}", key=p.name, corpus="d", route="image", modality="image", granularity="image",
                    source=p.name, caption="a photo", media_path=str(p))
        out.append(ScoredHit(hit=Hit(item=item, score=0.5), rs=0.9 - i / 10, kept=True))
    text = Item(id="t", key="t#0", corpus="d", route="paragraph", modality="text", granularity="paragraph",
                source="t", text="Cats purr.")
    out.append(ScoredHit(hit=Hit(item=text, score=0.5), rs=0.5, kept=True))
    return out


def test_tiny_vlm_text_and_two_images_end_to_end(tmp_path) -> None:
    model = _tiny_llava(tmp_path / "tiny-llava")
    gen = load_generator(GeneratorConfig(backend="transformers", model=model, max_tokens=6))
    ans = gen.generate("What animal is shown?", _kept(tmp_path))
    assert ans.trace.generator["n_images"] == 2 and ans.trace.generator["sources"] == ["img0.png", "img1.png", "t#0"]
    assert ans.usage["completion_tokens"] == 6
    # Each image expands to 4 patch tokens in the prompt: the pixels did reach the model.
    assert ans.usage["prompt_tokens"] > 8
    *deltas, final = list(gen.stream("What animal is shown?", _kept(tmp_path)))
    assert isinstance(final, Answer) and final.text == "".join(deltas).strip()
    assert final.text == ans.text  # greedy: streaming is the same generation
    assert final.usage == ans.usage


def test_missing_vlm_path_is_a_model_error_at_warm_up(tmp_path) -> None:
    gen = load_generator(GeneratorConfig(backend="transformers", model=str(tmp_path / "nope") + "/"))  # cheap: nothing loads
    with pytest.raises(ModelError, match="does not exist"):
        gen.warm_up()


@pytest.fixture(scope="module")
def smollm():
    from mmrag.model_client.local_llm import LocalChatModel

    return LocalChatModel.from_config(GeneratorConfig())


def test_local_chat_model_generates_streams_and_scores(smollm) -> None:
    from mmrag.model_client.local_llm import LocalChatModel

    assert LocalChatModel.from_config(GeneratorConfig()) is smollm  # cached per process
    msgs = [{"role": "user", "content": "What is the capital of France?"}]
    text, usage = smollm.chat(msgs, max_tokens=12)
    assert "Paris" in text and usage["completion_tokens"] <= 12
    streamed: dict[str, int] = {}
    assert "".join(smollm.stream_chat(msgs, max_tokens=12, usage=streamed)).strip() == text
    assert streamed == usage
    top = smollm.first_token_logprobs([{"role": "user", "content": "Is Paris in France? Answer yes or no."}], top=20)
    assert 10 <= len(top) <= 20 and all(v <= 0 for v in top.values())
    assert sum(math.exp(v) for v in top.values()) <= 1.0 + 1e-4
    assert {"Yes", "No"} & set(top)


def test_gguf_generator_answers_from_text_views(smollm, tmp_path) -> None:
    gen = load_generator(GeneratorConfig(max_tokens=32))
    kept = _kept(tmp_path)[2:] + [ScoredHit(hit=Hit(item=Item(
        id="e", key="etna.md#0", corpus="d", route="paragraph", modality="text", granularity="paragraph",
        source="etna.md", text="Mount Etna is an active volcano in Sicily, Italy."), score=0.9), rs=0.9, kept=True)]
    ans = gen.generate("Where is Mount Etna?", kept)
    assert "Sicily" in ans.text and ans.usage["completion_tokens"] > 0 and ans.latency_s > 0
    img = _kept(tmp_path)[:1]
    ans2 = load_generator(GeneratorConfig(max_tokens=1)).generate("What is in the photo?", img)
    assert "Caption: a photo" in ans2.request["messages"][-1]["content"]
    assert any("text-only" in n for n in ans2.notes)
