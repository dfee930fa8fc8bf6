"""Answer, retrieval, routing and selection metrics, each a plain function of predictions and gold data.

Answer metrics follow the SQuAD evaluation script (lower-case, strip punctuation and articles, collapse
whitespace) and take the best score over the reference answer and its aliases.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Any

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = set(string.punctuation)


def normalize_answer(s: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    s = "".join(ch for ch in s.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", s).split())


def _refs(answer: str, aliases: list[str] | None) -> list[str]:
    refs = [r for r in [answer, *(aliases or [])] if r is not None and str(r).strip()]
    return [str(r) for r in refs]


def exact_match(prediction: str, answer: str, aliases: list[str] | None = None) -> float:
    """1.0 when the normalised prediction equals the normalised answer or any alias."""
    p = normalize_answer(prediction or "")
    return float(any(p == normalize_answer(r) for r in _refs(answer, aliases)))


def _f1(pred_tokens: list[str], ref_tokens: list[str]) -> float:
    if not pred_tokens or not ref_tokens:
        return float(pred_tokens == ref_tokens)
    common = Counter(pred_tokens) & Counter(ref_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    p, r = same / len(pred_tokens), same / len(ref_tokens)
    return 2 * p * r / (p + r)


def token_f1(prediction: str, answer: str, aliases: list[str] | None = None) -> float:
    """SQuAD token F1, best over the answer and its aliases."""
    pred = normalize_answer(prediction or "").split()
    return max((_f1(pred, normalize_answer(r).split()) for r in _refs(answer, aliases)), default=0.0)


def contains_answer(prediction: str, answer: str, aliases: list[str] | None = None) -> float:
    """1.0 when the normalised answer or an alias appears, as whole words, in the normalised prediction.

    Generative models answer in sentences, so exact match under-rates them; this is the lenient
    "accuracy" used by open-domain QA papers (answer string contained in the output)."""
    p = f" {normalize_answer(prediction or '')} "
    return float(any(f" {normalize_answer(r)} " in p for r in _refs(answer, aliases) if normalize_answer(r)))


def _lcs(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(prediction: str, answer: str, aliases: list[str] | None = None, beta: float = 1.0) -> float:
    """ROUGE-L F-measure on normalised tokens (longest common subsequence), best over references."""
    pred = normalize_answer(prediction or "").split()
    best = 0.0
    for ref in _refs(answer, aliases):
        r = normalize_answer(ref).split()
        lcs = _lcs(pred, r) if pred and r else 0
        if lcs:
            p, rec = lcs / len(pred), lcs / len(r)
            best = max(best, (1 + beta**2) * p * rec / (rec + beta**2 * p))
    return best


_CHOICE_PATTERNS = [
    # "answer is (B)", "Answer: B", "correct option: b)" -- the explicit statement wins over a bare letter.
    r"(?:answer|option|choice)\s*(?:is|:)?\s*(?:option\s*)?[\(\[]?([A-{L}])[\)\]\.:]?(?![A-Za-z])",
    r"^\s*[\(\[]?([A-{L}])[\)\]\.:](?:\s|$)",   # "B) ...", "(C) ...", "D."
    r"^\s*([A-{L}])\s*$",                        # just "B"
    r"[\(\[]([A-{L}])[\)\]]",                    # "(B)" anywhere
    r"(?<![A-Za-z'])([A-{L}])(?![A-Za-z'])",   # a lone capital letter anywhere
]


def extract_choice(text: str, n_choices: int = 4, options: list[str] | None = None) -> str | None:
    """The option letter a model's answer picks ("B", "(b)", "Answer: C", or the option's text), or None."""
    if not text:
        return None
    last = chr(ord("A") + max(1, n_choices) - 1)
    for i, pat in enumerate(_CHOICE_PATTERNS):
        flags = re.IGNORECASE if i < 3 else 0  # lower-case lone letters ("a") are words, not choices
        m = re.search(pat.replace("{L}", last), text.strip(), flags | re.MULTILINE)
        if m:
            return m.group(1).upper()
    if options:  # the answer may quote an option instead of naming its letter
        norm = normalize_answer(text)
        found = [i for i, o in enumerate(options) if normalize_answer(o) and normalize_answer(o) in norm]
        if len(found) == 1:
            return chr(ord("A") + found[0])
    return None


def choice_accuracy(prediction: str, gold_letter: str, n_choices: int = 4, options: list[str] | None = None) -> float:
    got = extract_choice(prediction, n_choices, options)
    return float(got is not None and got == gold_letter.strip().upper())


# -- retrieval -----------------------------------------------------------------------------------------
def retrieval_metrics(gold: dict[str, list[str]], ranked: dict[str, list[str]], ks: tuple[int, ...] = (1, 5, 10)) -> dict[str, float]:
    """Recall@k, MRR and nDCG@k (ranx) over queries with at least one gold item.

    ``gold``: query id -> relevant keys; ``ranked``: query id -> retrieved keys, best first. Queries
    without gold items (the `none` route) say nothing about retrieval and are left out."""
    from mmrag.optional import require

    ranx = require("ranx", extra="eval", purpose="retrieval metrics")
    Qrels, Run, evaluate = ranx.Qrels, ranx.Run, ranx.evaluate

    qids = [q for q, g in gold.items() if g]
    if not qids:
        return {}
    qrels = Qrels({q: {k: 1 for k in gold[q]} for q in qids})
    run_dict: dict[str, dict[str, float]] = {}
    for q in qids:
        keys = list(dict.fromkeys(ranked.get(q, [])))  # duplicates would double-count a hit
        # ranx drops a query with an empty run; a placeholder keeps it (scoring 0) in the mean.
        run_dict[q] = {k: float(len(keys) - i) for i, k in enumerate(keys)} or {"<nothing retrieved>": 0.0}
    names = [f"recall@{k}" for k in ks] + ["mrr"] + [f"ndcg@{k}" for k in ks]
    scores = evaluate(qrels, Run(run_dict), names, make_comparable=True)
    if isinstance(scores, float):
        scores = {names[0]: scores}
    return {k: float(v) for k, v in scores.items()} | {"n": float(len(qids))}


# -- routing -----------------------------------------------------------------------------------------
def routing_metrics(gold: list[list[str]], chosen: list[list[str]], labels: list[str] | None = None) -> dict[str, Any]:
    """Accuracy (route set equals gold set), top-1 accuracy, macro-F1, confusion (routing.evaluate.score)."""
    from mmrag.routing.router_eval import score

    pairs = [(g, c or ["none"]) for g, c in zip(gold, chosen) if g]
    if not pairs:
        return {}
    gold, chosen = [p[0] for p in pairs], [p[1] for p in pairs]
    labels = labels or sorted({r for rs in [*gold, *chosen] for r in rs})
    labels = [*labels, *sorted({r for rs in [*gold, *chosen] for r in rs} - set(labels))]
    out = score(gold, chosen, [c[0] for c in chosen], labels)
    out["per_route"] = {r: s.model_dump() for r, s in out["per_route"].items()}
    return out


# -- selection ---------------------------------------------------------------------------------------
def selection_metrics(gold: list[list[str]], kept: list[list[str]]) -> dict[str, float]:
    """Mean precision / recall / F1 of the kept keys against the gold keys (rerank.evaluate.prf), mean kept."""
    from mmrag.rerank.selection_eval import prf

    rows = []
    for g, k in zip(gold, kept):
        keys = list(dict.fromkeys(k))
        labels = [int(x in set(g)) for x in keys] + [1] * len(set(g) - set(keys))  # gold never retrieved count as missed
        rows.append((*prf(list(range(len(keys))), labels), len(keys)))
    if not rows:
        return {}
    n = len(rows)
    return {"precision": sum(r[0] for r in rows) / n, "recall": sum(r[1] for r in rows) / n,
            "f1": sum(r[2] for r in rows) / n, "mean_kept": sum(r[3] for r in rows) / n}


def bertscore(predictions: list[str], references: list[str], model: str | None = None) -> dict[str, Any]:
    """BERTScore F1 when the bert_score package and its model are available offline, else not computed."""
    try:
        from bert_score import score as bs  # type: ignore
    except ImportError:
        return {"computed": False, "reason": "bert_score is not installed"}
    try:
        _, _, f = bs(predictions, references, model_type=model or "roberta-large", verbose=False)
    except Exception as e:  # noqa: BLE001 - no offline model is a reason to skip, not to fail the run
        return {"computed": False, "reason": f"BERTScore model unavailable: {type(e).__name__}"}
    return {"computed": True, "f1": float(f.mean())}
