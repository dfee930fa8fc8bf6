"""The pipeline: route → retrieve → relevancy-score rerank → generate (core.py), wired from a config (build.py)."""

from mmrag.pipeline.build import Stages
from mmrag.pipeline.core import Pipeline, Retrieval

__all__ = ["Pipeline", "Retrieval", "Stages"]
