"""Training-free router: asks the served model to pick a lettered route; reads the letters' log-probabilities.

Letters (A, B, ...) rather than route names are asked for because each is one token in every
tokenizer, so the first token's top log-probabilities give a full distribution over routes.
Failure or unusable output falls back to another router (the trained one); the reason is kept in
``RouteDecision.fallback`` so the trace shows it.
"""

from __future__ import annotations

import math
import re
import string
import time

from PIL import Image

from mmrag.embeddings import QueryEmbeddings

from mmrag.errors import ServerError
from mmrag.protocols import Router
from mmrag.registry import CorpusRegistry
from mmrag.routing.decision import check_tau, decide, route_modalities
from mmrag.routing.trained import check_query
from mmrag.model_client.openai_client import OpenAIClient, chat_text, top_logprobs_of_first_token
from mmrag.types import RouteDecision

MAX_QUERY_CHARS = 2000


class LLMRouter:
    name = "llm"

    def __init__(self, client: OpenAIClient, registry: CorpusRegistry, fallback: Router | None = None,
                 tau: float = 0.5, top_logprobs: int = 10):
        self.client = client
        self.fallback = fallback
        self.tau = check_tau(tau)
        self.top_logprobs = top_logprobs
        self.routes = registry.all_routes
        if len(self.routes) > len(string.ascii_uppercase):
            raise ServerError(f"the LLM router supports at most 26 routes, the registry has {len(self.routes)}")
        self.letters = {string.ascii_uppercase[i]: r for i, r in enumerate(self.routes)}
        described = registry.descriptions()
        self._system = self._system_prompt({r: d for r, (d, _) in described.items()})
        # Few-shot turns: each route's first example question from the registry (routes without examples have none).
        self._examples = {r: ex[0] for r, (_, ex) in described.items() if ex}
        self._modalities = route_modalities(registry)

    def _system_prompt(self, descriptions: dict[str, str]) -> str:
        lines = [f"{letter}. {route}: {descriptions[route]}" for letter, route in self.letters.items()]
        return (
            "You decide which knowledge source can answer a user's question.\nSources:\n" + "\n".join(lines)
            + "\nReply with the letter of the single best source and nothing else."
        )

    def messages(self, query: str) -> list[dict[str, str]]:
        msgs = [{"role": "system", "content": self._system}]
        for letter, route in self.letters.items():
            if route in self._examples:
                msgs.append({"role": "user", "content": f"Question: {self._examples[route]}"})
                msgs.append({"role": "assistant", "content": letter})
        msgs.append({"role": "user", "content": f"Question: {query[:MAX_QUERY_CHARS]}"})
        return msgs

    # -- reading the answer --------------------------------------------------------------------
    def _letter(self, token: str) -> str | None:
        t = token.strip().strip("().:,*\"'").upper()
        return t if t in self.letters else None

    def probabilities_from_logprobs(self, logprobs: dict[str, float]) -> dict[str, float] | None:
        """Softmax over the route letters found among the first token's alternatives."""
        by_route: dict[str, float] = {}
        for token, lp in logprobs.items():
            letter = self._letter(token)
            if letter is not None:
                r = self.letters[letter]
                # Variants of one letter (" A", "A") add up: log(exp(a) + exp(b)).
                by_route[r] = lp if r not in by_route else max(by_route[r], lp) + math.log1p(math.exp(-abs(by_route[r] - lp)))
        if not by_route:
            return None
        top = max(by_route.values())
        z = sum(math.exp(v - top) for v in by_route.values())
        return {r: (math.exp(by_route[r] - top) / z if r in by_route else 0.0) for r in self.routes}

    def routes_from_text(self, text: str) -> list[str]:
        """A letter answer ('B', 'B, D', '(C)') or route names written out."""
        t = text.strip()
        parts = [p for p in re.split(r"[\s,+/&().:*]+|\band\b", t) if p]
        if parts and all(len(p) == 1 for p in parts):
            found = [self.letters[p.upper()] for p in parts if p.upper() in self.letters]
            if found:
                return list(dict.fromkeys(found))
        named = [r for r in self.routes if re.search(rf"\b{re.escape(r)}\b", t, re.IGNORECASE)]
        return named

    # -- the Router protocol -----------------------------------------------------------------
    def route(self, query: str, image: Image.Image | None = None, *, embeddings: QueryEmbeddings | None = None) -> RouteDecision:
        start = time.perf_counter()
        query = check_query(query)
        try:
            data = self.client.chat(
                self.messages(query), max_tokens=3, temperature=0.0, logprobs=True, top_logprobs=self.top_logprobs
            )
            text = chat_text(data)
        except ServerError as e:
            return self._fall_back(query, embeddings, f"llm router failed: {e}", start)
        except (KeyError, IndexError, TypeError, AttributeError):
            return self._fall_back(query, embeddings, "llm router: the reply has no message text", start)
        probs = self.probabilities_from_logprobs(top_logprobs_of_first_token(data))
        if probs is not None:
            routes = decide(probs, self.tau, self._modalities)
        else:
            routes = self.routes_from_text(text)
            if not routes:
                return self._fall_back(query, embeddings, f"llm router: unusable answer {text[:60]!r}", start)
            probs = {r: (1.0 if r in routes else 0.0) for r in self.routes}
            routes = decide(probs, self.tau, self._modalities)
        return RouteDecision(query=query, probabilities=probs, routes=routes, router=self.name,
                             latency_ms=(time.perf_counter() - start) * 1000.0)

    def _fall_back(self, query: str, embeddings: QueryEmbeddings | None, reason: str, start: float) -> RouteDecision:
        if self.fallback is None:
            raise ServerError(f"{reason}; enable routing.llm_fallback to use the trained router instead")
        decision = self.fallback.route(query, embeddings=embeddings)
        return decision.model_copy(update={
            "fallback": reason,
            "router": f"{decision.router or 'fallback'} (fallback from llm)",
            "latency_ms": (time.perf_counter() - start) * 1000.0,
        })
