"""Build the configured scorer: ``rerank.scorer`` names a kind, optionally ``kind:model``.

Kinds: ``signals`` (default: a calibrated logistic model over the search's dense and sparse signals),
``bi-encoder``, ``llm-judge[:model]`` (in-process yes/no judge), ``cross-encoder:MODEL``,
``image-text`` (needs encoders.image_text), ``vlm-judge`` (served yes/no judge, images and frames),
``served-judge`` (served, text only), ``served-reranker[:score|rerank]`` (vLLM score/rerank endpoint).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from mmrag.config import GeneratorConfig, MMRAGConfig
from mmrag.errors import ConfigError
from mmrag.rerank.base import CalibratableScorer
from mmrag.rerank.calibration import Calibration

SCORER_KINDS = ("signals", "bi-encoder", "llm-judge", "cross-encoder", "image-text", "vlm-judge", "served-judge", "served-reranker")
#: The in-process judge's model when the generator is not itself an in-process model.
DEFAULT_JUDGE_MODEL = GeneratorConfig().model


def split_spec(spec: str) -> tuple[str, str | None]:
    kind, _, arg = spec.partition(":")
    kind = kind.strip()
    if kind not in SCORER_KINDS:
        raise ConfigError(f"rerank scorer '{spec}' is unknown: use one of {', '.join(SCORER_KINDS)}")
    return kind, (arg.strip() or None)


def shipped_calibration(kind: str) -> Path | None:
    """The calibration that ships for a local scorer kind (fitted on the demo pairs), if any."""
    p = Path(str(resources.files("mmrag.rerank") / "data" / f"{kind}.json"))
    return p if p.is_file() else None


def load_calibration(kind: str, path: str | Path | None, cfg: MMRAGConfig | None = None) -> Calibration | None:
    """The calibration file given, else the shipped one for ``kind``; its scorer must match."""
    if kind == "signals":
        return None  # its model is its calibration (load_signal_model)
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
    spec: str,
    cfg: MMRAGConfig,
    *,
    calibration: Calibration | None = None,
    text_encoder: Any = None,
    chat_model: Any = None,
    image_text_encoder: Any = None,
    progress: bool = False,
) -> CalibratableScorer:
    """One scorer of kind ``spec`` with the given calibration (None = raw / uncalibrated)."""
    kind, arg = split_spec(spec)
    if kind == "signals":
        from mmrag.rerank.signals import SignalScorer, store_signal_source

        return SignalScorer(load_signal_model(cfg.rerank.calibration, cfg), store_signal_source(cfg), language=cfg.retrieval.sparse_language)
    if kind == "bi-encoder":
        from mmrag.encoders import load_text_encoder
        from mmrag.rerank.local import BiEncoderScorer

        return BiEncoderScorer(text_encoder or load_text_encoder(cfg.encoders.text), calibration=calibration)
    if kind == "llm-judge":
        from mmrag.rerank.local import LocalJudgeScorer

        if chat_model is None:
            from mmrag.serving.local_llm import LocalChatModel

            gen = cfg.generator
            model = arg or (gen.model if gen.backend in ("gguf", "transformers") else DEFAULT_JUDGE_MODEL)
            chat_model = LocalChatModel.from_config(GeneratorConfig(model=model, device=gen.device))
        return LocalJudgeScorer(chat_model, progress=progress, calibration=calibration)
    if kind == "cross-encoder":
        from mmrag.rerank.local import CrossEncoderScorer

        if not arg:
            raise ConfigError("rerank scorer 'cross-encoder' needs a model: write cross-encoder:<HF id or local path>")
        return CrossEncoderScorer(arg, device=cfg.encoders.text.device, calibration=calibration)
    if kind == "image-text":
        from mmrag.encoders import load_image_text_encoder
        from mmrag.rerank.local import ImageTextScorer

        enc = image_text_encoder or load_image_text_encoder(cfg.encoders.image_text, arg)
        if enc is None:
            raise ConfigError("rerank scorer 'image-text' needs an image–text model: set encoders.image_text.model")
        return ImageTextScorer(enc, calibration=calibration)
    from mmrag.rerank.served import ServedJudgeScorer, ServedRerankerScorer

    if kind in ("vlm-judge", "served-judge"):
        g = cfg.generator
        return ServedJudgeScorer(cfg.server, vision=kind == "vlm-judge", frames=g.frames_per_item, max_pixels=g.max_pixels, calibration=calibration)
    if arg not in (None, "score", "rerank"):
        raise ConfigError(f"rerank scorer '{spec}': the endpoint must be 'score' or 'rerank'")
    return ServedRerankerScorer(cfg.server, endpoint=arg or "score", calibration=calibration)  # type: ignore[arg-type]


def load_scorer(cfg: MMRAGConfig, *, scorer: str | None = None, calibration: str | Path | None = None, **models: Any) -> Any:
    """The pipeline's ``RelevancyScorer`` from ``cfg.rerank`` (scorer, calibration, fallback_scorer).

    ``models`` may pass already loaded ``text_encoder``, ``chat_model`` or ``image_text_encoder`` to share.
    """
    spec = scorer or cfg.rerank.scorer
    kind, _ = split_spec(spec)
    cal = load_calibration(kind, calibration if calibration is not None else cfg.rerank.calibration, cfg)
    primary = build_scorer(spec, cfg, calibration=cal, **models)
    if not cfg.rerank.fallback_scorer:
        return primary
    from mmrag.rerank.served import FallbackScorer

    fkind, _ = split_spec(cfg.rerank.fallback_scorer)
    fallback = build_scorer(cfg.rerank.fallback_scorer, cfg, calibration=load_calibration(fkind, None), **models)
    return FallbackScorer(primary, fallback)
