"""mmrag: multimodal retrieval-augmented generation."""

from mmrag.config import MMRAGConfig, load_config
from mmrag.types import Answer, Hit, Item, RouteDecision

__version__ = "0.1.0"
__all__ = ["MMRAGConfig", "load_config", "Answer", "Hit", "Item", "RouteDecision", "__version__"]
