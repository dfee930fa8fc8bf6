"""mmrag: multimodal retrieval-augmented generation.

``from mmrag import Pipeline`` works without importing the heavy stages until they are used.
"""

from mmrag.config import MMRAGConfig, load_config
from mmrag.types import Answer, Hit, Item, RouteDecision

__version__ = "0.1.0"
__all__ = ["Pipeline", "MMRAGConfig", "load_config", "Answer", "Hit", "Item", "RouteDecision", "__version__"]


def __getattr__(name: str):
    if name == "Pipeline":
        from mmrag.pipeline import Pipeline

        return Pipeline
    raise AttributeError(f"module 'mmrag' has no attribute {name!r}")
