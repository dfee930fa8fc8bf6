"""The production recipe is honest: its pipeline config validates and the compose file agrees with it."""

from __future__ import annotations

import yaml

from mmrag.config import load_config


def test_production_config_validates_and_matches_the_compose_file(repo_root):
    cfg = load_config(repo_root / "pipelines/production.yaml")  # extra keys are refused: every key exists
    compose = yaml.safe_load((repo_root / "deploy/compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert cfg.store.url == "http://qdrant:6333" and "qdrant" in services
    assert cfg.model_server.base_url == "http://vllm:8000/v1" and "vllm" in services
    vllm = services["vllm"]["command"]
    assert f"--served-model-name {cfg.model_server.model}" in vllm
    assert "--max-logprobs 20" in vllm and '"image": 4' in vllm and cfg.generator.max_images <= 4
    mmrag = services["mmrag"]
    assert mmrag["command"][-1] == "/app/pipelines/production.yaml"
    assert f"{cfg.api.port}:{cfg.api.port}" in mmrag["ports"]
    for env in (cfg.store.api_key_env, cfg.model_server.api_key_env, cfg.api.api_key_env):
        assert env in mmrag["environment"]
    assert cfg.api.host == "0.0.0.0" and cfg.corpora_path.name == "demo.yaml"
