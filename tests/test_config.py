"""Config and corpus registry loading: defaults, overrides, and one-line errors for bad files."""

import pytest

from mmrag.config import load_config, parse_override
from mmrag.errors import ConfigError, CorpusError
from mmrag.registry import CorpusRegistry


def test_default_pipeline_resolves_paths_relative_to_the_file(repo_root):
    cfg = load_config(repo_root / "pipelines/default.yaml", {"rerank.tau": 0.7})
    assert cfg.rerank.tau == 0.7
    assert cfg.corpora_path == (repo_root / "corpora/demo.yaml").resolve()
    assert cfg.store_path == (repo_root / ".mmrag/qdrant").resolve()
    reg = CorpusRegistry.from_yaml(cfg.corpora_path)
    assert reg.all_routes == ["none", "paragraph", "document", "image", "clip", "video", "page", "audio"]


def test_overrides_are_yaml_values():
    assert parse_override("store.url=null") == ("store.url", None)
    assert parse_override("rerank.k=3") == ("rerank.k", 3)
    with pytest.raises(ConfigError, match="section.key=value"):
        parse_override("rerank.k")


@pytest.mark.parametrize(
    "text, match",
    [
        ("rerank: [1, 2", "not valid YAML"),
        ("- a\n- b\n", "mapping"),
        ("rerank:\n  taux: 0.3\n", "rerank.taux"),
        ("rerank:\n  k: many\n", "rerank.k"),
    ],
)
def test_bad_config_files_are_one_line_errors(tmp_path, text, match):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=match) as e:
        load_config(p)
    assert "\n" not in str(e.value)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")


def test_registry_rejects_bad_corpora(tmp_path):
    p = tmp_path / "reg.yaml"
    p.write_text("corpora:\n  - {name: a, route: image, modality: image, granularity: clip, description: x}\n")
    with pytest.raises(ConfigError, match="granularity 'clip' does not fit modality 'image'"):
        CorpusRegistry.from_yaml(p)
    p.write_text(
        "corpora:\n"
        "  - {name: a, route: table, modality: text, granularity: paragraph, description: tables}\n"
        "  - {name: b, route: table, modality: text, granularity: document, description: more}\n"
    )
    with pytest.raises(ConfigError, match="duplicate corpus route table"):
        CorpusRegistry.from_yaml(p)


def test_a_new_route_is_data(tmp_path):
    p = tmp_path / "reg.yaml"
    p.write_text("corpora:\n  - {name: tables, route: table, modality: text, granularity: paragraph, description: Tables.}\n")
    reg = CorpusRegistry.from_yaml(p)
    assert reg.all_routes == ["none", "table"]
    assert reg.for_route("table").collection_name == "tables"
    with pytest.raises(CorpusError, match="known routes: none, table"):
        reg.for_route("image")


def test_scorer_config_is_a_typed_union_with_a_migration_path(tmp_path):
    from mmrag.config import CrossEncoderScorerConfig, LLMJudgeScorerConfig, SignalsScorerConfig

    assert isinstance(load_config(None).rerank.scorer, SignalsScorerConfig)
    # A bare kind is short for the mapping; each kind has its own fields.
    assert load_config(None, {"rerank.scorer": "bi-encoder"}).rerank.scorer.kind == "bi-encoder"
    ce = load_config(None, {"rerank.scorer": {"kind": "cross-encoder", "model": "some/ce"}}).rerank.scorer
    assert isinstance(ce, CrossEncoderScorerConfig) and ce.model == "some/ce"
    # The judge has its own model, not the generator's.
    judge = load_config(None, {"rerank.scorer": {"kind": "llm-judge", "model": "judge.gguf"}, "generator.model": "gen.gguf"})
    assert isinstance(judge.rerank.scorer, LLMJudgeScorerConfig) and judge.rerank.scorer.model == "judge.gguf"
    # The old one-string forms fail in one line that names the form to write.
    for old, new in (("none", "{kind: search-score}"), ("cross-encoder:my/model", "{kind: cross-encoder, model: my/model}"),
                     ("served-reranker:rerank", "{kind: served-reranker, endpoint: rerank}")):
        with pytest.raises(ConfigError, match="rerank.scorer") as e:
            load_config(None, {"rerank.scorer": old})
        assert new in str(e.value) and "\n" not in str(e.value)
    cfg = tmp_path / "p.yaml"
    cfg.write_text("rerank:\n  scorer: {kind: cross-encoder}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="rerank.scorer.cross-encoder.model"):
        load_config(cfg)
    with pytest.raises(ConfigError, match="rerank.fallback_scorer 'none'"):
        load_config(None, {"rerank.fallback_scorer": "none"})


def test_old_section_names_still_load_with_a_warning(tmp_path):
    """`server` and `serve` were renamed `model_server` and `api`: old configs and --set keys keep working."""
    import warnings

    from mmrag.config import load_config

    old = tmp_path / "old.yaml"
    old.write_text("server: {model: served-m}\nserve: {port: 9123}\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfg = load_config(old, {"server.timeout_s": 7})
    assert (cfg.model_server.model, cfg.model_server.timeout_s, cfg.api.port) == ("served-m", 7, 9123)
    assert any("model_server" in str(w.message) for w in caught)
    both = tmp_path / "both.yaml"
    both.write_text("server: {model: a}\nmodel_server: {model: b}\n")
    with pytest.raises(ConfigError, match="old name of 'model_server'"):
        load_config(both)
