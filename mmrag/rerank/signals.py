"""The ``signals`` scorer: RS from a small fitted model over search and lexical signals, no passage re-encoding.

Signals per candidate (``Hit.signals``, filled by the retriever from the stored vectors, or read from the
store here for candidates that come without them): the dense cosine and the sparse BM25 score; and, from the
texts at hand, how the query's index terms (the sparse vector's stems) occur in the candidate: the share in
the whole text, in its best sentence and best two adjacent sentences, as adjacent pairs, in its title, and
weighted by how few candidates contain each term. Features describe each candidate relative to the query's
other candidates (gap to the best cosine, share of the best lexical score, rank by each signal, gaps to the
best lexical shares) and in absolute terms (cosine, the shares, the best of each in the list, the share of
query terms found in any candidate): the relative ones rank, the absolute ones tell a list whose best candidate
answers from a list whose best is merely the nearest (a question the corpus cannot answer). Absolute BM25
levels are computed too but left out of the shipped feature set (``PORTABLE``): their scale follows the
collection. The model (standardised features → logistic regression, or one small hidden layer) is fitted on
labelled pairs and saved as JSON; the shipped one, a net with 16 hidden units, was fitted on SQuAD v1.1 dev
questions with hard negatives from hybrid retrieval, some of them made unanswerable by taking their article
out of the candidates.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

import numpy as np
from pydantic import Field, ValidationError

from mmrag.embeddings import QueryEmbeddings
from mmrag.errors import ConfigError, InputError
from mmrag.rerank.calibration import SavedModel
from mmrag.types import Hit, Scores

DENSE, SPARSE_KEY = "dense", "sparse"
#: Per-candidate lexical matches of the query's terms (shares in [0, 1]), see ``lexical_matches``.
LEXICAL = ("sentence_coverage", "sentence_pair_coverage", "bigram_coverage", "title_coverage", "rare_coverage")
FEATURES = ("dense", "dense_gap", "dense_gap2", "sparse_share", "sparse_log", "sparse_best_log", "inv_rank_dense", "inv_rank_sparse", "rrf",
            "coverage", "coverage_gap", "sparse_per_term", "log_terms", "sparse_gap2", "dense_best", "sparse_per_term_best", "coverage_best",
            *LEXICAL, *(f"{f}_gap" for f in LEXICAL), *(f"{f}_best" for f in LEXICAL), "terms_found")


class Signals(NamedTuple):
    """One query's candidates: dense cosines, sparse scores, query-term coverage (None = unknown), the number of
    distinct query terms, per candidate its ``LEXICAL`` matches (None = unknown), and the share of the query's
    terms found in any candidate."""

    dense: list[float]
    sparse: list[float]
    coverage: list[float] | None = None
    n_terms: int = 0
    lexical: list[list[float]] | None = None
    terms_found: float = 0.0


def _ranks(v: np.ndarray) -> np.ndarray:
    order = np.argsort(-v, kind="stable")
    r = np.empty(len(v))
    r[order] = np.arange(1, len(v) + 1)
    return r


def features(dense: list[float], sparse: list[float], coverage: list[float] | None = None, n_terms: int = 0,
             lexical: list[list[float]] | None = None, terms_found: float = 0.0) -> np.ndarray:
    """(n, len(FEATURES)) features of ONE query's candidates."""
    d = np.asarray(dense, dtype=np.float64)
    s = np.maximum(np.asarray(sparse, dtype=np.float64), 0.0)
    if not len(d):
        return np.zeros((0, len(FEATURES)))
    cov = np.zeros_like(d) if coverage is None else np.asarray(coverage, dtype=np.float64)
    top = np.sort(d)[::-1]
    second = top[1] if len(top) > 1 else top[0]
    s_top = np.sort(s)[::-1]
    s_second = s_top[1] if len(s_top) > 1 else s_top[0]
    smax = float(s.max())
    rd, rs = _ranks(d), _ranks(s)
    rs[s <= 0] = len(s) + 1  # no lexical match ranks below every match
    per_term = s / max(n_terms, 1)  # BM25 mass per query term: comparable across queries of different lengths
    cols = [
        d,
        d - top[0],
        d - second,  # a clear winner stands out from the runner-up
        s / smax if smax > 0 else np.zeros_like(s),
        np.log1p(s),
        np.full_like(d, math.log1p(smax)),
        1.0 / rd,
        1.0 / rs,
        1.0 / (2 + rd) + 1.0 / (2 + rs),
        cov,
        cov - cov.max(),
        per_term,
        np.full_like(d, math.log1p(n_terms)),
        (s - s_second) / smax if smax > 0 else np.zeros_like(s),
        np.full_like(d, top[0]),  # how close the nearest candidate really is, whatever the others
        np.full_like(d, float(per_term.max())),
        np.full_like(d, float(cov.max())),
    ]
    lex = np.zeros((len(d), len(LEXICAL))) if lexical is None else np.asarray(lexical, dtype=np.float64).reshape(len(d), len(LEXICAL))
    best = lex.max(axis=0)
    # terms_found: a query term in no candidate at all (often the name the question is about) hints the source cannot answer.
    return np.concatenate([np.stack(cols, axis=1), lex, lex - best, np.tile(best, (len(d), 1)), np.full((len(d), 1), terms_found)], axis=1)


def query_coverage(query_terms: set[str], texts: Sequence[Collection[str]]) -> list[float]:
    """Share of the query's distinct terms that occur in each candidate's terms."""
    if not query_terms:
        return [0.0] * len(texts)
    return [len(query_terms.intersection(t)) / len(query_terms) for t in texts]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def split_sentences(text: str) -> list[str]:
    return [t for t in _SENTENCE_END.split(text) if t.strip()]


def lexical_matches(query: list[str], candidates: list[tuple[list[str], list[list[str]]]]) -> tuple[list[list[float]], float]:
    """``LEXICAL`` rows for candidates given as (title terms, terms of each sentence), and the share of the query's
    distinct terms found in any candidate.

    Per candidate: the share of the query's distinct terms in its best sentence and in its best two adjacent
    sentences (a question usually paraphrases one or two sentences), of the query's adjacent term pairs found
    adjacent in it, in its title, and weighted by rarity among the candidates (a term that few candidates
    contain tells them apart; one that all contain does not).
    """
    q = set(query)
    if not q:
        return [[0.0] * len(LEXICAL) for _ in candidates], 0.0
    n = len(q)
    pairs = set(zip(query, query[1:]))
    rows, bags = [], []
    for title, sentences in candidates:
        per_sentence = [q.intersection(s) for s in sentences]
        one = max((len(x) for x in per_sentence), default=0)
        two = max((len(a | b) for a, b in zip(per_sentence, per_sentence[1:])), default=one)
        flat = [t for s in sentences for t in s]
        adjacent = set(zip(flat, flat[1:])) | set(zip(title, title[1:]))
        in_title = q.intersection(title)
        bags.append(in_title.union(*per_sentence))
        rows.append([one / n, max(one, two) / n, len(pairs & adjacent) / len(pairs) if pairs else 0.0, len(in_title) / n])
    holders = {t: sum(t in b for b in bags) for t in q}
    weight = {t: 1.0 / (1 + holders[t]) for t in q}
    total = sum(weight.values())
    for row, bag in zip(rows, bags):
        row.append(sum(weight[t] for t in bag) / total)
    return rows, sum(holders[t] > 0 for t in q) / n


class SignalModel(SavedModel):
    """RS = sigmoid(w · h + b), h = z = (x − mean) / scale over ``features`` (logistic regression) or, with a hidden
    layer, h = relu(z · W + c) (a small neural net); provenance recorded with the weights."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float
    hidden_weights: list[list[float]] = Field(default_factory=list, description="W: one row per feature, one column per hidden unit.")
    hidden_bias: list[float] = Field(default_factory=list)
    n_pairs: int = 0
    n_positive: int = 0
    n_queries: int = 0
    source: str = Field(default="", description="What the model was fitted on.")
    fitted_at: str = ""
    held_out: dict[str, float] = Field(default_factory=dict, description="Metrics on queries kept out of the fit.")

    def predict(self, x: np.ndarray) -> np.ndarray:
        """RS of ``features`` rows; a model fitted on fewer features (an older file) uses its own columns."""
        if x.shape[1] == len(FEATURES) and list(self.features) != list(FEATURES):
            unknown = [f for f in self.features if f not in FEATURES]
            if unknown:
                raise ConfigError(f"signal model uses unknown features {unknown}: refit it with `mmrag rerank calibrate --scorer signals`")
            x = x[:, [FEATURES.index(f) for f in self.features]]
        if x.shape[1] != len(self.mean):
            raise ConfigError(f"signal model expects {len(self.mean)} features, got {x.shape[1]}: refit it with `mmrag rerank calibrate --scorer signals`")
        h = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        if self.hidden_weights:
            h = np.maximum(h @ np.asarray(self.hidden_weights) + np.asarray(self.hidden_bias), 0.0)
        z = h @ np.asarray(self.weights) + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))

    @classmethod
    def load(cls, path: str | Path) -> "SignalModel":
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"signal model '{p}' not found: run `mmrag rerank calibrate --scorer signals` or fix rerank.calibration")
        try:
            return cls.model_validate_json(p.read_text(encoding="utf-8"))
        except (ValueError, ValidationError):
            raise ConfigError(f"'{p}' is not a signal model JSON: refit it with `mmrag rerank calibrate --scorer signals`") from None


def shipped_model_path() -> Path:
    return Path(str(resources.files("mmrag.rerank") / "data" / "signals.json"))


#: The features the shipped model uses: no absolute BM25 level, whose scale follows the collection's size (IDF),
#: so a model fitted on one collection would misjudge another (measured: demo adaptive F1 0.96 -> 0.79 with them).
PORTABLE = tuple(f for f in FEATURES if f not in ("sparse_log", "sparse_best_log", "sparse_per_term", "sparse_per_term_best"))


def fit_signal_model(groups: list[Signals] | list[tuple[list[float], list[float]]], labels: list[list[int]], *, source: str = "",
                     c: float = 1.0, names: tuple[str, ...] = PORTABLE, hidden: int = 0) -> SignalModel:
    """Fit on per-query signals (``Signals``, or (dense, sparse) lists) and 0/1 labels, over the features ``names``:
    a logistic regression (``hidden=0``; inverse regularisation ``c``), or a net with one hidden layer of
    ``hidden`` units, which needs thousands of pairs (the shipped model: 16 units on ~50k pairs)."""

    cols = [FEATURES.index(f) for f in names]
    x = np.concatenate([features(*g) for g in groups if len(g[0])])[:, cols]
    y = np.asarray([v for g in labels for v in g], dtype=int)
    if len(x) != len(y):
        raise InputError(f"signal model: {len(x)} candidates but {len(y)} labels")
    if len(set(y.tolist())) < 2:
        raise InputError("calibration pairs need both relevant (label 1) and irrelevant (label 0) examples")
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    if hidden:
        from sklearn.neural_network import MLPClassifier

        # Early stopping on a seeded tenth of the pairs: the net stops before it memorises the training lists.
        net = MLPClassifier((hidden,), alpha=1e-3, max_iter=500, early_stopping=True, random_state=0).fit(z, y)
        hidden_w, hidden_b = net.coefs_[0].tolist(), net.intercepts_[0].tolist()
        weights, bias = net.coefs_[1][:, 0].tolist(), float(net.intercepts_[1][0])
    else:
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=c, max_iter=2000).fit(z, y)
        hidden_w, hidden_b, weights, bias = [], [], lr.coef_[0].tolist(), float(lr.intercept_[0])
    return SignalModel(
        features=list(names), mean=mean.tolist(), scale=scale.tolist(), weights=weights, bias=bias, hidden_weights=hidden_w,
        hidden_bias=hidden_b, n_pairs=int(len(y)), n_positive=int(y.sum()), n_queries=len(groups),
        source=source, fitted_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


class SignalScorer:
    """``RelevancyScorer`` over search signals; ``signal_source(query, hits)`` supplies missing signals.

    ``language`` is the sparse vector's (``retrieval.sparse_language``): query-term coverage uses its stems.
    """

    calibrated = True
    raw_is_probability = False

    def __init__(self, model: SignalModel, signal_source: Any = None, language: str = "english"):
        self.model = model
        self.signal_source = signal_source
        self.language = language
        self._tokens: Any = None
        self.name = "signals"

    @property
    def calibration_label(self) -> str:
        kind = f"net with {len(self.model.hidden_bias)} hidden units" if self.model.hidden_bias else "logistic"
        return f"calibrated ({kind} on search signals, {self.model.n_pairs} pairs)"

    def _terms(self, text: str) -> list[str]:
        if self._tokens is None:
            from mmrag.retrieval.sparse import SparseEncoder

            self._tokens = SparseEncoder(self.language).tokens
        return list(self._tokens(text))

    def _text_terms(self, h: Hit) -> tuple[list[str], list[list[str]]]:
        """(title terms, terms of each sentence) of the text the candidate matched with."""
        body = h.matched_chunk or h.item.text_view or ""
        return (self._terms(h.item.title) if h.item.title else []), [self._terms(s) for s in split_sentences(body)]

    def signals(self, query: str, hits: list[Hit], embeddings: QueryEmbeddings | None = None) -> Signals:
        missing = [h for h in hits if DENSE not in h.signals or SPARSE_KEY not in h.signals]
        found: dict[tuple[str, str], dict[str, float]] = {}
        if missing:
            if self.signal_source is None:
                raise ConfigError("the 'signals' scorer got candidates without search signals and has no store to read them from")
            found = self.signal_source(query, missing, embeddings=embeddings)
        dense, sparse = [], []
        for h in hits:
            sig = h.signals if (DENSE in h.signals and SPARSE_KEY in h.signals) else found.get((h.route or h.item.route, h.item.id), {})
            dense.append(float(sig.get(DENSE, 0.0)))
            sparse.append(float(sig.get(SPARSE_KEY, 0.0)))
        query_terms = self._terms(query)
        q = set(query_terms)
        texts = [self._text_terms(h) for h in hits]
        lexical, found = lexical_matches(query_terms, texts)
        coverage = query_coverage(q, [set(title).union(*sentences) for title, sentences in texts])
        return Signals(dense, sparse, coverage, len(q), lexical, found)

    def raw_features(self, query: str, hits: list[Hit], embeddings: QueryEmbeddings | None = None) -> np.ndarray:
        return features(*self.signals(query, hits, embeddings))

    def score(self, query: str, hits: list[Hit], *, embeddings: QueryEmbeddings | None = None) -> Scores:
        values = [float(p) for p in self.model.predict(self.raw_features(query, hits, embeddings))] if hits else []
        return Scores(values=values, calibrated=True, scorer=self.name)


def store_signal_source(cfg: Any, retriever: Any = None):
    """Signals of given candidates read from the store: one filtered dense and one sparse query per route."""
    from mmrag.retrieval import CollectionRetriever

    state: dict[str, Any] = {"r": retriever}

    def source(query: str, hits: list[Hit], embeddings: QueryEmbeddings | None = None) -> dict[tuple[str, str], dict[str, float]]:
        if state["r"] is None:
            state["r"] = CollectionRetriever(cfg)
        r = state["r"]
        out: dict[tuple[str, str], dict[str, float]] = {}
        by_route: dict[str, list[Hit]] = {}
        for h in hits:
            by_route.setdefault(h.route or h.item.route, []).append(h)
        for route, hs in by_route.items():
            sig = r.signals_for(query, route, [h.item.id for h in hs], embeddings=embeddings)
            for h in hs:
                out[(route, h.item.id)] = sig.get(h.item.id, {DENSE: 0.0, SPARSE_KEY: 0.0})
        return out

    return source
