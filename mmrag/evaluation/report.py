"""Run outputs: results.json, predictions.jsonl, report.md and PNG plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Columns of the side-by-side table: (header, section, metric key).
COLUMNS = [
    ("EM", "answer", "em"), ("F1", "answer", "f1"), ("Contains", "answer", "contains"), ("ROUGE-L", "answer", "rouge_l"),
    ("MC acc", "answer", "choice_acc"), ("R@1", "retrieval", "recall@1"), ("R@5", "retrieval", "recall@5"),
    ("MRR", "retrieval", "mrr"), ("nDCG@10", "retrieval", "ndcg@10"), ("Route acc", "routing", "accuracy"),
    ("Route F1", "routing", "macro_f1"), ("Sel P", "selection", "precision"), ("Sel R", "selection", "recall"),
    ("Kept", "selection", "mean_kept_all"), ("s/query", "latency_s", "total"),
]


def _fmt(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def markdown_table(configs: dict[str, dict[str, Any]]) -> str:
    cols = [c for c in COLUMNS if any(c[2] in m.get(c[1], {}) for m in configs.values())]
    lines = ["| config | n | " + " | ".join(c[0] for c in cols) + " |", "|---|---:|" + "---:|" * len(cols)]
    for name, m in configs.items():
        lines.append(f"| {name} | {m['n']} | " + " | ".join(_fmt(m.get(s, {}).get(k)) for _, s, k in cols) + " |")
    return "\n".join(lines)


def _confusion(routing: dict[str, Any]) -> str:
    labels = routing["labels"]
    lines = ["| gold \\ chosen | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    lines += [f"| {g} | " + " | ".join(str(v) for v in row) + " |" for g, row in zip(labels, routing["confusion"])]
    return "\n".join(lines)


def write_results(out: Path, results: dict[str, Any]) -> Path:
    path = out / "results.json"
    path.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return path


def write_predictions(out: Path, per_bench: dict[str, dict[str, list[dict[str, Any]]]]) -> Path:
    path = out / "predictions.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for bench, by_variant in per_bench.items():
            for variant, recs in by_variant.items():
                for r in recs:
                    f.write(json.dumps({"benchmark": bench, **r}) + "\n")
    return path


def average(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per config, the mean over benchmarks of each table metric (benchmarks that have it)."""
    # Configs in order of first appearance (a set's order would change with string hashing between runs).
    configs = list(dict.fromkeys(c for b in results["benchmarks"].values() for c in b["configs"]))
    avg: dict[str, dict[str, Any]] = {}
    for c in configs:
        rows = [b["configs"][c] for b in results["benchmarks"].values() if c in b["configs"]]
        m: dict[str, Any] = {"n": sum(r["n"] for r in rows)}
        for _, sec, key in COLUMNS:
            vals = [r[sec][key] for r in rows if key in r.get(sec, {})]
            if vals:
                m.setdefault(sec, {})[key] = sum(vals) / len(vals)
        avg[c] = m
    return avg


def write_report(out: Path, results: dict[str, Any], plots: list[Path]) -> Path:
    parts = [f"# mmrag evaluation\n\nCorpora: `{results.get('corpora')}`; generation: {results.get('generate')}; "
             f"created {results.get('created')}.\n"]
    for bench, b in results["benchmarks"].items():
        parts.append(f"## {bench}\n\n{b.get('description', '')}\n\nQueries: {b['n_queries']}; answer metric: "
                     f"`{b['metric']}`.\n\n{markdown_table(b['configs'])}\n")
        bs = b.get("bertscore", {})
        parts.append(f"BERTScore: {('%.3f' % bs['f1']) if bs.get('computed') else 'not computed (' + bs.get('reason', '') + ')'}.\n")
        for c in [c for c in ("routed", "topk") if b["configs"].get(c, {}).get("routing")][:1]:
            parts.append(f"Routing confusion of **{c}** (rows: gold primary route, columns: chosen):\n\n{_confusion(b['configs'][c]['routing'])}\n")
        desc = b.get("config_descriptions", {})
        parts.append("\n".join(f"- **{c}**: {desc.get(c, '')}" for c in b["configs"]) + "\n")
    if len(results["benchmarks"]) > 1:
        parts.append(f"## Average over benchmarks\n\n{markdown_table(average(results))}\n")
    parts.append("## Plots\n\n" + "\n".join(f"![{p.stem}]({p.name})" for p in plots) + "\n")
    path = out / "report.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def plot_metric(out: Path, results: dict[str, Any]) -> Path:
    """One bar group per benchmark: its primary answer metric (or Recall@5 without answers) per config."""
    from mmrag.optional import require

    matplotlib = require("matplotlib", extra="eval", purpose="plots")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    benches = list(results["benchmarks"])
    configs = list(average(results))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(configs) * len(benches) / 2 + 3), 4))
    width = 0.8 / max(1, len(configs))
    label = ""
    for i, c in enumerate(configs):
        vals = []
        for b in benches:
            m = results["benchmarks"][b]["configs"].get(c, {})
            key, sec = _primary(results["benchmarks"][b])
            label = label or key
            vals.append(m.get(sec, {}).get(key, 0.0))
        ax.bar(np.arange(len(benches)) + i * width, vals, width, label=c)
    ax.set_xticks(np.arange(len(benches)) + width * (len(configs) - 1) / 2, benches)
    ax.set_ylabel("primary metric")
    ax.set_ylim(0, 1)
    ax.set_title("Metric per config per benchmark")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    path = out / "metric_per_config.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _primary(b: dict[str, Any]) -> tuple[str, str]:
    metric = b["metric"]
    answered = any(c["answer"] for c in b["configs"].values())
    if not answered:
        return "recall@5", "retrieval"
    return {"choice": "choice_acc", "em_f1": "f1", "contains": "contains", "rouge_l": "rouge_l"}.get(metric, "f1"), "answer"


def plot_latency(out: Path, results: dict[str, Any]) -> Path:
    """Stacked mean seconds per query per stage, per config (averaged over benchmarks)."""
    from mmrag.optional import require

    matplotlib = require("matplotlib", extra="eval", purpose="plots")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows: dict[str, dict[str, float]] = {}
    for b in results["benchmarks"].values():
        for c, m in b["configs"].items():
            for s, v in m["latency_s"].items():
                if s != "total":
                    rows.setdefault(c, {}).setdefault(s, []).append(v)  # type: ignore[arg-type]
    configs = list(rows)
    stages = sorted({s for r in rows.values() for s in r})
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(configs) + 2), 4))
    bottom = [0.0] * len(configs)
    for s in stages:
        vals = [sum(rows[c].get(s, [0.0])) / max(1, len(rows[c].get(s, [0.0]))) for c in configs]
        ax.bar(configs, vals, bottom=bottom, label=s)
        bottom = [a + b for a, b in zip(bottom, vals)]
    ax.set_ylabel("seconds per query")
    ax.set_title("Latency per stage")
    ax.legend()
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    path = out / "latency_per_stage.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
