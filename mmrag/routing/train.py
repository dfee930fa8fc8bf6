"""Training the router: embed queries, fit TF-IDF blocks, then a multinomial logistic regression over the route
sets seen in training (default) or one logistic regression per route (``model="ovr"``, the format-1 kind).

Measured on the 2,425 UniversalRAG training queries (stratified 5-fold, seed 0, MiniLM embedding +
TF-IDF): one-vs-rest liblinear C=4 balanced, word 1-2 + char 2-5 grams: 0.903 accuracy; multinomial over route
sets C=10 unbalanced: 0.924; the same with word 1-3 + char 1-4 grams (the defaults): 0.929.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from mmrag.encoders.base import TextEncoder
from mmrag.errors import InputError
from mmrag.routing.dataset import LabelledQuery
from mmrag.routing.features import TfidfBlock, embed_queries
from mmrag.routing.model import RouterModel


class TrainOptions(BaseModel):
    features: Literal["embed+tfidf", "tfidf", "embed"] = Field(
        default="embed+tfidf", description="'tfidf' alone is the plain baseline."
    )
    model: Literal["softmax", "ovr"] = Field(
        default="softmax", description="'softmax' over route sets (default) or one sigmoid per route ('ovr')."
    )
    C: float = Field(default=10.0, gt=0, description="Inverse regularisation strength of the logistic regression.")
    embed_weight: float = 1.0
    word_weight: float = 1.0
    char_weight: float = 1.0
    word_ngrams: tuple[int, int] = (1, 3)
    char_ngrams: tuple[int, int] = Field(default=(1, 4), description="Character n-grams within word boundaries.")
    min_df: int = 2
    char_lowercase: bool = Field(default=False, description="False keeps case in character n-grams.")
    balanced: bool = Field(default=False, description="Weigh classes inversely to their frequency.")
    max_chars: int = 2048


def train_model(
    data: list[LabelledQuery],
    labels: list[str],
    encoder: TextEncoder | None,
    options: TrainOptions | None = None,
    embeddings: np.ndarray | None = None,
    progress: bool = False,
    sample_weight: np.ndarray | None = None,
) -> RouterModel:
    """Fit a router deterministically; ``embeddings`` may be precomputed (rows aligned with ``data``);
    ``sample_weight`` (softmax kind) weighs each labelled query, e.g. a small hand-written set against a large one."""
    from sklearn.linear_model import LogisticRegression

    opts = options or TrainOptions()
    if len(data) < 2:
        raise InputError("routing training data needs at least two labelled queries")
    texts = [d.query[: opts.max_chars] for d in data]
    use_embed = opts.features in ("embed+tfidf", "embed")
    if use_embed and encoder is None and embeddings is None:
        raise InputError(f"router features '{opts.features}' need the text encoder")
    if use_embed and embeddings is None:
        embeddings = embed_queries(encoder, texts, opts.max_chars, progress=progress)
    blocks: list[TfidfBlock] = []
    weights: list[float] = []
    if opts.features in ("embed+tfidf", "tfidf"):
        blocks = [
            TfidfBlock.fit(texts, "word", opts.word_ngrams, min_df=opts.min_df),
            TfidfBlock.fit(texts, "char_wb", opts.char_ngrams, min_df=opts.min_df, lowercase=opts.char_lowercase),
        ]
        weights = [opts.word_weight, opts.char_weight]
    model = RouterModel(
        labels=list(labels),
        encoder=(encoder.name if encoder is not None else "unknown") if use_embed else None,
        embed_dim=int(embeddings.shape[1]) if use_embed else 0,
        embed_weight=opts.embed_weight if use_embed else 0.0,
        blocks=blocks,
        block_weights=weights,
        coef=np.zeros((0, 0), dtype=np.float32),
        intercept=np.zeros(0, dtype=np.float32),
        max_chars=opts.max_chars,
    )
    x = model.features(texts, embeddings if use_embed else None)
    if opts.model == "softmax":
        _fit_softmax(model, x, data, labels, opts, sample_weight)
        return model
    coef = np.zeros((len(labels), x.shape[1]), dtype=np.float32)
    # A route with no positive example is never predicted (p ~ 0), rather than guessed.
    intercept = np.full(len(labels), -20.0, dtype=np.float32)
    counts = {}
    for j, label in enumerate(labels):
        y = np.array([label in d.routes for d in data], dtype=int)
        counts[label] = int(y.sum())
        if 0 < y.sum() < len(y):
            clf = LogisticRegression(
                C=opts.C, class_weight="balanced" if opts.balanced else None, solver="liblinear", max_iter=2000, random_state=0
            )
            clf.fit(x, y)
            coef[j] = clf.coef_[0]
            intercept[j] = clf.intercept_[0]
        elif y.sum() == len(y):
            intercept[j] = 20.0
    model.coef, model.intercept = coef, intercept
    model.meta = {"train_size": len(data), "positives": counts, "options": opts.model_dump()}
    return model


def _fit_softmax(model: RouterModel, x, data: list[LabelledQuery], labels: list[str], opts: TrainOptions,
                 sample_weight: np.ndarray | None = None) -> None:
    """One multinomial logistic regression whose classes are the route sets present in ``data``."""
    from sklearn.linear_model import LogisticRegression

    order = {r: i for i, r in enumerate(labels)}
    keys = [tuple(sorted(set(d.routes), key=order.__getitem__)) for d in data]
    sets = sorted(set(keys), key=lambda s: (len(s), [order[r] for r in s]))
    y = np.array([sets.index(k) for k in keys])
    coef = np.zeros((len(sets), x.shape[1]), dtype=np.float32)
    intercept = np.zeros(len(sets), dtype=np.float32)
    if len(sets) == 2:  # sklearn fits one row for two classes: softmax over [0, w] is that sigmoid
        clf = LogisticRegression(C=opts.C, class_weight="balanced" if opts.balanced else None, max_iter=3000, random_state=0).fit(x, y, sample_weight=sample_weight)
        coef[1], intercept[1] = clf.coef_[0], clf.intercept_[0]
    elif len(sets) > 2:
        clf = LogisticRegression(C=opts.C, class_weight="balanced" if opts.balanced else None, max_iter=3000, random_state=0).fit(x, y, sample_weight=sample_weight)
        coef[:], intercept[:] = clf.coef_, clf.intercept_
    model.kind, model.sets = "softmax", [list(s) for s in sets]
    model.coef, model.intercept = coef, intercept
    positives = {r: sum(r in k for k in keys) for r in labels}
    model.meta = {"train_size": len(data), "positives": positives, "route_sets": {"+".join(s): keys.count(s) for s in sets},
                  "options": opts.model_dump()}
