"""`mmrag eval rerank` on pairs that reference ingested items by key (store lookup + matched document chunks)."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from mmrag.cli.main import app
from mmrag.config import load_config
from mmrag.ingest import Ingestor
from mmrag.registry import CorpusRegistry
from mmrag.store import open_store
from mmrag.store.qdrant import close_embedded

PARAS = [
    ("bee-eyes", "Honey bees have five eyes: two large compound eyes and three small ocelli on top of the head."),
    ("bee-dance", "Forager bees perform a waggle dance to tell nest mates the direction and distance of flowers."),
    ("lava", "Lava is molten rock that reaches the surface and flows downhill from a volcanic vent."),
    ("glacier", "Glaciers erode the valley floor and walls, carving deep U-shaped valleys over thousands of years."),
]
DOC = "# Bread\n\n" + " ".join(["Flour, water and salt are mixed and kneaded."] * 60) + "\n\n" + " ".join(
    ["A sourdough starter is fed with flour and water every day to keep its yeast and bacteria active."] * 40)


def test_eval_on_stored_items(tmp_path, text_encoder, monkeypatch):
    (tmp_path / "paras").mkdir()
    (tmp_path / "paras" / "p.jsonl").write_text("\n".join(json.dumps({"id": k, "text": t}) for k, t in PARAS) + "\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "bread.md").write_text(DOC)
    reg = {"corpora": [
        {"name": "p", "route": "paragraph", "modality": "text", "granularity": "paragraph", "description": "passages", "sources": ["paras"]},
        {"name": "d", "route": "document", "modality": "text", "granularity": "document", "description": "articles", "sources": ["docs"]},
    ]}
    (tmp_path / "reg.yaml").write_text(yaml.safe_dump(reg))
    conf = tmp_path / "conf.yaml"
    conf.write_text(yaml.safe_dump({"data_dir": "data", "corpora": "reg.yaml", "ingest": {"asr": False, "ocr": False,
                                    "paragraph_min_words": 5, "chunk_tokens": 64, "chunk_overlap_tokens": 0}}))
    cfg = load_config(conf)
    store = open_store(cfg)
    for spec in CorpusRegistry.from_yaml(cfg.corpora_path):
        assert not Ingestor(cfg, store, text_encoder=text_encoder).ingest(spec).failed
    pairs = [
        {"query": "How many eyes does a bee have?", "route": "paragraph", "item": "bee-eyes", "label": 1},
        {"query": "How many eyes does a bee have?", "route": "paragraph", "item": "lava", "label": 0},
        {"query": "How many eyes does a bee have?", "route": "paragraph", "item": "glacier", "label": 0},
        {"query": "How often is a sourdough starter fed?", "route": "document", "item": "bread.md", "label": 1},
        {"query": "How often is a sourdough starter fed?", "route": "paragraph", "item": "bee-dance", "label": 0},
    ]
    pf = tmp_path / "pairs.jsonl"
    pf.write_text("\n".join(json.dumps(p) for p in pairs) + "\n")
    monkeypatch.chdir(tmp_path)
    try:
        res = CliRunner().invoke(app, ["eval", "rerank", "-c", str(conf), "--data", str(pf), "--cv", "2", "--json", "--k", "2",
                                       "--plot", str(tmp_path / "pr.png")])
        assert res.exit_code == 0, res.output
        rep = json.loads(res.output)
        assert rep["n_pairs"] == 5 and rep["n_queries"] == 2
        assert rep["fixed_topk"]["1"]["precision"] == 1.0  # the stored relevant item (and the matched chunk) ranks first

        from mmrag.rerank.pairs import build_candidates, load_pairs, retriever_chunks, store_lookup

        groups = build_candidates(load_pairs(pf), store_lookup(cfg), retriever_chunks(cfg))
        doc = next(h for g in groups for h in g.hits if h.item.key == "bread.md")
        assert "sourdough starter" in doc.matched_chunk and "Flour, water and salt" not in doc.matched_chunk

        missing = tmp_path / "missing.jsonl"
        missing.write_text(json.dumps({"query": "q", "route": "paragraph", "item": "nope", "label": 1}) + "\n")
        res = CliRunner().invoke(app, ["eval", "rerank", "-c", str(conf), "--data", str(missing)])
        assert res.exit_code == 1 and "not in the store" in res.output and "'nope'" in res.output
    finally:
        close_embedded(cfg.store_path)
