"""Build the configured scorer from its typed config (``rerank.scorer``, a discriminated union by ``kind``).

Kinds: ``signals`` (default: a calibrated logistic model over the search's dense and sparse signals),
``bi-encoder``, ``llm-judge`` (in-process yes/no judge, its own model), ``cross-encoder`` (a model),
``image-text`` (needs an image–text model), ``vlm-judge`` (served yes/no judge, images and frames),
``served-judge`` (served, text only), ``served-reranker`` (vLLM score/rerank endpoint) and ``search-score``
(no reranker: the search score, uncalibrated).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from mmrag.config import (
    SCORER_KINDS,
    BiEncoderScorerConfig,
    CrossEncoderScorerConfig,
    GeneratorConfig,
    ImageTextScorerConfig,
    LLMJudgeScorerConfig,
    MMRAGConfig,
    SearchScoreScorerConfig,
    ServedJudgeScorerConfig,
    ServedRerankerScorerConfig,
    SignalsScorerConfig,
    parse_scorer,
)
from mmrag.errors import ConfigError
from mmrag.rerank.calibration import Calibration

__all__ = ["SCORER_KINDS", "build_scorer", "load_calibration", "load_scorer", "load_signal_model", "shipped_calibration"]


def shipped_calibration(kind: str) -> Path | None:
    """The calibration that ships for a local scorer kind (fitted on the demo pairs), if any."""
    p = Path(str(resources.files("mmrag.rerank") / "data" / f"{kind}.json"))
    return p if p.is_file() else None


def load_calibration(kind: str, path: str | Path | None, cfg: MMRAGConfig | None = None) -> Calibration | None:
    """The calibration file given, else the shipped one for ``kind``; its scorer must match."""
    if kind in ("signals", "search-score"):
        return None  # signals: its model is its calibration (load_signal_model); search-score: none by design
    if path is None:
        shipped = shipped_calibration(kind)
        return Calibration.load(shipped) if shipped else None
    p = cfg.resolve_path(path) if cfg is not None else Path(path)
    cal = Calibration.load(p)
    if cal.scorer.split(":")[0] != kind:
        raise ConfigError(f"calibration '{p}' was fitted for scorer '{cal.scorer}', not '{kind}': refit it with --scorer {kind}")
    return cal


def load_signal_model(path: str | Path | None, cfg: MMRAGConfig | None = None):
    """The signal model file given (rerank.calibration), else the shipped one."""
    from mmrag.rerank.signals import SignalModel, shipped_model_path

    if path is None:
        return SignalModel.load(shipped_model_path())
    return SignalModel.load(cfg.resolve_path(path) if cfg is not None else Path(path))


def build_scorer(
    spec: Any,
    cfg: MMRAGConfig,
    *,
    calibration: Calibration | None = None,
    text_encoder: Any = None,
    chat_model: Any = None,
    image_text_encoder: Any = None,
    progress: bool = False,
) -> Any:
    """One scorer of config ``spec`` (a scorer config, or a kind name) with the given calibration (None = raw)."""
    sc = parse_scorer(spec)
    if isinstance(sc, SignalsScorerConfig):
        from mmrag.rerank.signals import SignalScorer, store_signal_source

        return SignalScorer(load_signal_model(cfg.rerank.calibration, cfg), store_signal_source(cfg),
                            language=cfg.retrieval.sparse_language)
    if isinstance(sc, SearchScoreScorerConfig):
        from mmrag.rerank.search_score import SearchScoreScorer

        return SearchScoreScorer()
    if isinstance(sc, BiEncoderScorerConfig):
        from mmrag.encoders import load_text_encoder
        from mmrag.rerank.local import BiEncoderScorer

        return BiEncoderScorer(text_encoder or load_text_encoder(cfg.encoders.text), calibration=calibration)
    if isinstance(sc, LLMJudgeScorerConfig):
        from mmrag.rerank.local import LocalJudgeScorer

        if chat_model is None:
            from mmrag.model_client.local_llm import LocalChatModel

            # The judge's own model and device (rerank.scorer.model), never the generator's.
            chat_model = LocalChatModel.from_config(GeneratorConfig(model=sc.model, device=sc.device))
        return LocalJudgeScorer(chat_model, top=sc.top_logprobs, max_chars=sc.max_chars, progress=progress,
                                calibration=calibration)
    if isinstance(sc, CrossEncoderScorerConfig):
        from mmrag.rerank.local import CrossEncoderScorer

        return CrossEncoderScorer(sc.model, device=cfg.encoders.text.device, calibration=calibration)
    if isinstance(sc, ImageTextScorerConfig):
        from mmrag.encoders import load_image_text_encoder
        from mmrag.rerank.local import ImageTextScorer

        enc = image_text_encoder or load_image_text_encoder(cfg.encoders.image_text, sc.model)
        if enc is None:
            raise ConfigError("rerank scorer 'image-text' needs an image–text model: set encoders.image_text.model "
                              "or rerank.scorer.model")
        return ImageTextScorer(enc, calibration=calibration)
    from mmrag.rerank.served import ServedJudgeScorer, ServedRerankerScorer

    if isinstance(sc, ServedJudgeScorerConfig):
        return ServedJudgeScorer(sc.server or cfg.model_server, vision=sc.kind == "vlm-judge", top_logprobs=sc.top_logprobs,
                                 max_chars=sc.max_chars, frames=sc.frames, max_pixels=sc.max_pixels, calibration=calibration)
    assert isinstance(sc, ServedRerankerScorerConfig)
    return ServedRerankerScorer(sc.server or cfg.model_server, endpoint=sc.endpoint, max_chars=sc.max_chars, calibration=calibration)


def load_scorer(cfg: MMRAGConfig, *, scorer: Any = None, calibration: str | Path | None = None, **models: Any) -> Any:
    """The pipeline's ``RelevancyScorer`` from ``cfg.rerank`` (scorer, calibration, fallback_scorer).

    ``scorer`` (a scorer config or kind name) replaces ``rerank.scorer``; ``models`` may pass already loaded
    ``text_encoder``, ``chat_model`` or ``image_text_encoder`` to share.
    """
    spec = parse_scorer(scorer if scorer is not None else cfg.rerank.scorer)
    cal = load_calibration(spec.kind, calibration if calibration is not None else cfg.rerank.calibration, cfg)
    primary = build_scorer(spec, cfg, calibration=cal, **models)
    if cfg.rerank.fallback_scorer is None:
        return primary
    from mmrag.rerank.served import FallbackScorer

    fspec = cfg.rerank.fallback_scorer
    fallback = build_scorer(fspec, cfg, calibration=load_calibration(fspec.kind, None), **models)
    return FallbackScorer(primary, fallback)
