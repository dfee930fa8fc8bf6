"""The trained router's artefact: features + linear weights, saved as JSON + NPZ (no pickle).

Two kinds of output layer:
- ``softmax`` (default since format 2): one multinomial logistic regression over the route *sets* seen in
  training (``["paragraph"]``, ``["paragraph", "image"]``, ...); a route's probability is the summed
  probability of the sets that contain it, so a two-route question still gets two routes above tau while
  single-route questions do not compete in independent one-vs-rest models.
- ``ovr``: one independent sigmoid per route (format 1 artefacts).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy import sparse

from mmrag.errors import ConfigError
from mmrag.routing.features import TfidfBlock

FORMAT = "mmrag-router/2"
#: Older artefacts still load: format 1 is the one-vs-rest kind.
READABLE_FORMATS = ("mmrag-router/1", FORMAT)
META_FILE = "router.json"
WEIGHTS_FILE = "weights.npz"
#: The n-gram vocabularies, one compact JSON list per block (kept out of router.json, which stays readable).
VOCAB_FILE = "vocabulary.json"


@dataclass
class RouterModel:
    """Route probabilities from a linear layer over [embedding * embed_weight | tfidf blocks * their weights]."""

    labels: list[str]
    encoder: str | None  # None = no embedding features (the TF-IDF baseline)
    embed_dim: int
    embed_weight: float
    blocks: list[TfidfBlock]
    block_weights: list[float]
    coef: np.ndarray  # (n_outputs, n_features): one row per route (ovr) or per route set (softmax)
    intercept: np.ndarray  # (n_outputs,)
    max_chars: int = 2048
    meta: dict = field(default_factory=dict)
    kind: str = "ovr"  # "ovr" | "softmax"
    sets: list[list[str]] = field(default_factory=list)  # softmax: the route set of each output row

    @property
    def membership(self) -> np.ndarray:
        """(n_sets, n_labels) 0/1: which routes each output set holds."""
        m = np.zeros((len(self.sets), len(self.labels)), dtype=np.float32)
        for i, s in enumerate(self.sets):
            for r in s:
                m[i, self.labels.index(r)] = 1.0
        return m

    @property
    def uses_embedding(self) -> bool:
        return self.encoder is not None and self.embed_weight > 0

    def features(self, texts: list[str], embeddings: np.ndarray | None) -> sparse.csr_matrix:
        texts = [t[: self.max_chars] for t in texts]
        parts = []
        if self.uses_embedding:
            if embeddings is None:
                raise ValueError("this router needs query embeddings")
            parts.append(sparse.csr_matrix(np.asarray(embeddings, dtype=np.float32) * self.embed_weight))
        for block, w in zip(self.blocks, self.block_weights):
            parts.append(block.transform(texts) * w)
        return sparse.hstack(parts, format="csr")

    def predict_proba(self, texts: list[str], embeddings: np.ndarray | None) -> np.ndarray:
        """(n, n_labels): each route's probability (softmax: summed over the route sets holding it)."""
        x = self.features(texts, embeddings)
        logits = np.asarray(x @ self.coef.T) + self.intercept
        if self.kind == "softmax":
            z = np.exp(logits - logits.max(axis=1, keepdims=True))
            return np.minimum((z / z.sum(axis=1, keepdims=True)) @ self._membership, 1.0)
        return 1.0 / (1.0 + np.exp(-logits))

    @cached_property
    def _membership(self) -> np.ndarray:
        return self.membership

    # -- persistence ----------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "kind": self.kind,
            "labels": self.labels,
            "sets": self.sets,
            "encoder": self.encoder,
            "embed_dim": self.embed_dim,
            "embed_weight": self.embed_weight,
            "block_weights": self.block_weights,
            "blocks": [{k: v for k, v in b.spec().items() if k != "vocabulary"} for b in self.blocks],
            "max_chars": self.max_chars,
            "meta": self.meta,
        }
        (out / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        vocab = ",\n".join(json.dumps(b.vocabulary, ensure_ascii=False, separators=(",", ":")) for b in self.blocks)
        (out / VOCAB_FILE).write_text(f"[\n{vocab}\n]\n", encoding="utf-8")
        arrays = {"coef": self.coef.astype(np.float32), "intercept": self.intercept.astype(np.float32)}
        arrays.update({f"idf_{i}": b.idf.astype(np.float32) for i, b in enumerate(self.blocks)})
        np.savez_compressed(out / WEIGHTS_FILE, **arrays)
        return out

    @classmethod
    def load(cls, folder: str | Path) -> "RouterModel":
        p = Path(folder)
        if not (p / META_FILE).is_file() or not (p / WEIGHTS_FILE).is_file():
            raise ConfigError(
                f"router artefact '{p}' not found or incomplete (needs {META_FILE} and {WEIGHTS_FILE}); "
                "train one with `mmrag router train --data FILE.jsonl --out PATH`"
            )
        try:
            meta = json.loads((p / META_FILE).read_text(encoding="utf-8"))
            with np.load(p / WEIGHTS_FILE, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (ValueError, OSError) as e:
            raise ConfigError(f"router artefact '{p}' cannot be read ({type(e).__name__}); retrain it with `mmrag router train`") from None
        if meta.get("format") not in READABLE_FORMATS:
            raise ConfigError(f"router artefact '{p}' has format {meta.get('format')!r}, expected {FORMAT!r}; retrain it with `mmrag router train`")
        try:
            # Artefacts written before vocabulary.json existed hold each block's vocabulary in router.json.
            vocabs = (json.loads((p / VOCAB_FILE).read_text(encoding="utf-8")) if (p / VOCAB_FILE).is_file()
                      else [b["vocabulary"] for b in meta["blocks"]])
        except (ValueError, KeyError, OSError) as e:
            raise ConfigError(f"router artefact '{p}' has no readable vocabulary ({type(e).__name__}); retrain it with `mmrag router train`") from None
        blocks = [
            TfidfBlock(b["analyzer"], b["ngram_range"][0], b["ngram_range"][1], list(vocabs[i]), arrays[f"idf_{i}"], bool(b.get("lowercase", True)))
            for i, b in enumerate(meta["blocks"])
        ]
        kind, sets = str(meta.get("kind", "ovr")), [list(x) for x in meta.get("sets", [])]
        if kind not in ("ovr", "softmax") or (kind == "softmax" and (
                len(sets) != len(arrays["coef"]) or any(r not in meta["labels"] for s in sets for r in s))):
            raise ConfigError(f"router artefact '{p}' has an inconsistent output layer ({kind}); retrain it with `mmrag router train`")
        return cls(
            labels=list(meta["labels"]),
            encoder=meta["encoder"],
            embed_dim=int(meta["embed_dim"]),
            embed_weight=float(meta["embed_weight"]),
            blocks=blocks,
            block_weights=[float(w) for w in meta["block_weights"]],
            coef=arrays["coef"],
            intercept=arrays["intercept"],
            max_chars=int(meta.get("max_chars", 2048)),
            meta=meta.get("meta", {}),
            kind=kind,
            sets=sets,
        )
