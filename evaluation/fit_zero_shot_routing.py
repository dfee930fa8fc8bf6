"""Fit the zero-shot route calibration (mmrag/routing/data/zero_shot.json) on real labelled queries.

Each of the six UniversalRAG routes plays an unseen route in turn: its description comes from a registry
(default: the demo registry), its examples are N queries drawn from its labelled queries (seeded), and every
other query of the set is a test query, positive when labelled with that route. One logistic regression maps
[cos(query, description), max cos(query, examples), margin of its description over the best other
route's description] to p(route); a second one uses the description alone (and the margin).
Prints AUC, ECE and how often the route's own queries score highest among the six, on a held-out half.

    python evaluation/fit_zero_shot_routing.py --data ../shared/data/routing/universalrag_train.jsonl [--write]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from mmrag.config import load_config
from mmrag.encoders import load_text_encoder
from mmrag.registry import CorpusRegistry
from mmrag.routing.dataset import normalise_route
from mmrag.routing.zero_shot import CALIBRATION_FILE, DescriptionRouteScorer, ZeroShotCalibration

ROOT = Path(__file__).resolve().parents[1]


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    return float(sum(abs(p[idx == b].mean() - y[idx == b].mean()) * (idx == b).sum() for b in range(bins) if (idx == b).any()) / len(p))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="labelled routing JSONL ({query, route})")
    ap.add_argument("--registry", default=str(ROOT / "corpora" / "demo.yaml"), help="registry giving the route descriptions")
    ap.add_argument("--examples", type=int, default=3, help="example questions per route")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write", action="store_true", help=f"write {CALIBRATION_FILE.relative_to(ROOT)}")
    args = ap.parse_args()

    rows = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = [r["query"] for r in rows]
    labels = [normalise_route(r["route"]) for r in rows]
    registry = CorpusRegistry.from_yaml(args.registry)
    descriptions = registry.descriptions()
    routes = [r for r in descriptions if r in set(labels)]
    rng = random.Random(args.seed)
    example_idx = {r: rng.sample([i for i, lab in enumerate(labels) if lab == r], args.examples) for r in routes}
    used = {i for v in example_idx.values() for i in v}
    rest = [i for i in range(len(rows)) if i not in used]
    rng.shuffle(rest)
    fit_idx, test_idx = sorted(rest[: len(rest) // 2]), sorted(rest[len(rest) // 2 :])

    encoder = load_text_encoder(load_config(None).encoders.text)
    qv = encoder.encode(queries, progress=True)
    protos = {r: (descriptions[r][0], [queries[i] for i in example_idx[r]]) for r in routes}
    scorers = {
        True: DescriptionRouteScorer(encoder, protos, calibration=ZeroShotCalibration((0, 0, 0, 0), (0, 0, 0))),
        False: DescriptionRouteScorer(encoder, {r: (d, []) for r, (d, _) in protos.items()},
                                      calibration=ZeroShotCalibration((0, 0, 0, 0), (0, 0, 0))),
    }
    features = {}
    for with_ex, scorer in scorers.items():
        sims = scorer.similarities(qv)
        margins = scorer.margins(sims)
        features[with_ex] = {r: np.column_stack([sims[r][0], *([sims[r][1]] if with_ex else []), margins[r]]) for r in routes}
    y = {r: np.array([lab == r for lab in labels], dtype=int) for r in routes}

    def stack(idx: list[int], with_examples: bool) -> tuple[np.ndarray, np.ndarray]:
        xs = [features[with_examples][r][idx] for r in routes]
        ys = [y[r][idx] for r in routes]
        return np.vstack(xs), np.concatenate(ys)

    out = {}
    for name, with_ex in (("with_examples", True), ("description_only", False)):
        x, t = stack(fit_idx, with_ex)
        clf = LogisticRegression(C=10.0, max_iter=1000).fit(x, t)
        xt, tt = stack(test_idx, with_ex)
        p = clf.predict_proba(xt)[:, 1]
        out[name] = [*map(float, clf.coef_[0]), float(clf.intercept_[0])]
        # Top-1 among the six routes: does a query's own route score highest?
        per_route = np.column_stack([p[k * len(test_idx) : (k + 1) * len(test_idx)] for k in range(len(routes))])
        gold = np.array([routes.index(labels[i]) for i in test_idx])
        top1 = float((per_route.argmax(axis=1) == gold).mean())
        out[f"{name}_figures"] = {"auc": round(float(roc_auc_score(tt, p)), 4), "ece": round(ece(p, tt), 4), "top1_of_routes": round(top1, 4)}
        print(f"{name:17s} weights {np.round(out[name], 3).tolist()}  held-out: AUC {out[f'{name}_figures']['auc']:.3f}  "
              f"ECE {out[f'{name}_figures']['ece']:.3f}  route top-1 {top1:.3f}  (n={len(test_idx)} queries x {len(routes)} routes)")
    out["provenance"] = {
        "data": f"{Path(args.data).name} ({len(rows)} labelled queries, UniversalRAG release, Apache-2.0)",
        "descriptions": f"{Path(args.registry).name} of mmrag",
        "examples_per_route": args.examples, "seed": args.seed, "encoder": encoder.name,
        "fit_queries": len(fit_idx), "test_queries": len(test_idx),
        "script": "evaluation/fit_zero_shot_routing.py",
    }
    if args.write:
        CALIBRATION_FILE.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {CALIBRATION_FILE}")


if __name__ == "__main__":
    main()
