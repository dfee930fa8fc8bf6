"""Clients for model servers (OpenAI-compatible: vLLM, llama.cpp server, ...)."""

from mmrag.model_client.openai_client import OpenAIClient, chat_text, top_logprobs_of_first_token

__all__ = ["OpenAIClient", "chat_text", "top_logprobs_of_first_token"]
