"""Ingestion: files → items with stable ids → vectors → the corpus's Qdrant collection (resumable)."""

from mmrag.ingest.runner import IngestReport, Ingestor, Skipped

__all__ = ["Ingestor", "IngestReport", "Skipped"]
