"""Units of text corpora: paragraph passages (JSONL records or .txt/.md paragraphs) and whole documents."""

from __future__ import annotations

from mmrag.config import IngestConfig
from mmrag.encoders.base import TextEncoder
from mmrag.errors import InputError
from mmrag.ingest.chunking import chunk_text
from mmrag.ingest.keys import item_id, sha1_text
from mmrag.ingest.plan import Built, Skipped, SourceFile, Unit, unit_failure
from mmrag.ingest.text import JSONL_EXTENSIONS, TextRecord, read_jsonl, read_text_file, split_paragraphs
from mmrag.registry import CorpusSpec
from mmrag.types import Item


def _records(f: SourceFile, granularity: str, skipped: list[Skipped]) -> list[tuple[TextRecord, bool]]:
    """(record, from_jsonl) pairs of one file."""
    try:
        if f.path.suffix.lower() in JSONL_EXTENSIONS:
            recs, problems = read_jsonl(f.path, f.rel)
            skipped.extend(Skipped(str(f.path), p) for p in problems)
            return [(r, True) for r in recs]
        return [(read_text_file(f.path, f.rel), False)]
    except InputError as e:
        skipped.append(Skipped(str(f.path), str(e)))
        return []


def plan_text(
    spec: CorpusSpec, files: list[SourceFile], cfg: IngestConfig, encoder: TextEncoder
) -> tuple[list[Unit], list[Skipped]]:
    skipped: list[Skipped] = []
    units: list[Unit] = []
    for f in files:
        for rec, from_jsonl in _records(f, spec.granularity, skipped):
            try:
                units.extend(_record_units(spec, rec, from_jsonl, cfg, encoder))
            except Exception as e:  # one bad record must not abort the run: report it, go on
                skipped.append(unit_failure(rec.source, e))
    return units, skipped


def _record_units(spec: CorpusSpec, rec: TextRecord, from_jsonl: bool, cfg: IngestConfig, encoder: TextEncoder) -> list[Unit]:
    if spec.granularity != "paragraph":
        return [_unit(spec, rec, rec.key, rec.text, chunks=(encoder, cfg), index=None)]
    passages = split_paragraphs(rec.text, cfg.paragraph_min_words, cfg.paragraph_max_words)
    # A record that stays one passage keeps its plain id; split ones get '#i'. Files always '#i'.
    return [
        _unit(spec, rec, rec.key if (from_jsonl and len(passages) == 1) else f"{rec.key}#{i}", passage, chunks=None, index=i)
        for i, passage in enumerate(passages)
    ]


def _unit(spec: CorpusSpec, rec: TextRecord, key: str, text: str, chunks, index: int | None) -> Unit:
    iid = item_id(spec.name, key, sha1_text(text))

    def build() -> Built:
        meta = dict(rec.metadata)
        if index is not None:
            meta["passage_index"] = index
        item = Item(
            id=iid, key=key, corpus=spec.name, route=spec.route, modality="text", granularity=spec.granularity,
            source=rec.source, title=rec.title, text=text, metadata=meta,
        )
        if chunks is None:
            return Built(item, [text])
        encoder, cfg = chunks
        return Built(item, chunk_text(text, encoder, cfg.chunk_tokens, cfg.chunk_overlap_tokens))

    return Unit(key=key, id=iid, source=rec.source, build=build, size=len(text))
