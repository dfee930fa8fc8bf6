"""The ingest loop: plan units, skip the ones stored, build + encode + upsert the rest in committed batches."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mmrag.config import MMRAGConfig
from mmrag.encoders import corpus_encoders
from mmrag.encoders.base import ImageTextEncoder, TextEncoder, l2_normalise
from mmrag.ingest.media_units import Timings, plan_images, plan_videos
from mmrag.ingest.plan import Built, Skipped, Unit, discover, unit_failure
from mmrag.ingest.text import JSONL_EXTENSIONS, TEXT_EXTENSIONS
from mmrag.ingest.text_units import plan_text
from mmrag.registry import CorpusSpec
from mmrag.retrieval.sparse import SPARSE, SparseEncoder
from mmrag.store.qdrant import IMAGE, TEXT, PointData, VectorStore, chunk_point_id

VIDEO_SIDECARS = {".srt", ".vtt", ".txt", ".json"}


@dataclass
class IngestReport:
    corpus: str
    collection: str
    ingested: int = 0
    unchanged: int = 0
    replaced: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    points: int = 0
    #: Items removed because their file was deleted or changed (folder sources, --prune).
    pruned: int = 0
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.skipped)


def collection_layout(text: TextEncoder, image: ImageTextEncoder | None) -> tuple[dict[str, int], dict[str, str]]:
    dims, names = {TEXT: text.dim}, {TEXT: text.name}
    if image is not None:
        dims[IMAGE], names[IMAGE] = image.dim, image.name
    return dims, names


class Ingestor:
    """Ingests paths into one corpus's collection. Resumable: stored items (by id) are never rebuilt."""

    def __init__(self, cfg: MMRAGConfig, store: VectorStore, *, text_encoder: TextEncoder | None = None,
                 image_encoder: ImageTextEncoder | None = None, ocr=None, transcriber_factory=None):
        self.cfg = cfg
        self.store = store
        self._text_override = text_encoder
        self._image_override = image_encoder
        self._ocr = ocr
        self._transcriber_factory = transcriber_factory
        self._asr = None
        self._asr_vad = None
        self._sparse: SparseEncoder | None = None

    def _sparse_encoder(self) -> SparseEncoder:
        if self._sparse is None:
            self._sparse = SparseEncoder.from_config(self.cfg.retrieval)
        return self._sparse

    def _ocr_engine(self):
        if not self.cfg.ingest.ocr:
            return None
        if self._ocr is None:
            from mmrag.media.ocr import OCR

            self._ocr = OCR()
        return self._ocr

    def _transcriber(self):
        # One transcriber per ingestor: the Whisper model then loads once, on the first video with audio.
        if self._asr is None:
            if self._transcriber_factory is not None:
                self._asr = self._transcriber_factory()
            else:
                from mmrag.media.asr import Transcriber

                self._asr = Transcriber(self.cfg.ingest.asr_model)
        return self._asr

    def _speech_transcriber(self):
        # Recordings often hold music or silence, where Whisper invents text ("Thank you for watching"): VAD first.
        if self._transcriber_factory is not None:
            return self._transcriber()
        if self._asr_vad is None:
            from mmrag.media.asr import Transcriber

            self._asr_vad = Transcriber(self.cfg.ingest.asr_model, vad_filter=True)
        return self._asr_vad

    @staticmethod
    def _select(found: tuple[list, list[Skipped]], only: set[Path] | None) -> tuple[list, list[Skipped]]:
        """Keep only the files sorted to this corpus (mixed folders); other types are another corpus's."""
        files, skipped = found
        if only is None:
            return files, skipped
        return [f for f in files if f.path.resolve() in only], [s for s in skipped if Path(s.path).resolve() in only]

    def plan(self, spec: CorpusSpec, paths: list[Path], text: TextEncoder, timings: Timings,
             image: ImageTextEncoder | None = None, only: set[Path] | None = None) -> tuple[list[Unit], list[Skipped]]:
        icfg = self.cfg.ingest
        if spec.modality == "text":
            from mmrag.ingest.doc_units import DocumentCache, plan_documents
            from mmrag.ingest.formats import DOCUMENT_EXTENSIONS

            files, skipped = self._select(discover(paths, TEXT_EXTENSIONS | JSONL_EXTENSIONS | DOCUMENT_EXTENSIONS, set(), "text",
                                                   skip_media_sidecars=True), only)
            docs = [f for f in files if f.path.suffix.lower() in DOCUMENT_EXTENSIONS]
            units, more = plan_text(spec, [f for f in files if f.path.suffix.lower() not in DOCUMENT_EXTENSIONS], icfg, text)
            doc_units, doc_skipped = plan_documents(spec, docs, icfg, text, self._ocr_engine(),
                                                    DocumentCache(self.cfg.data_path / "cache" / "docs"), timings)
            units, more = units + doc_units, more + doc_skipped
        elif spec.granularity == "page":
            from mmrag.ingest.formats import PAGE_EXTENSIONS
            from mmrag.ingest.page_units import plan_pages

            files, skipped = self._select(discover(paths, PAGE_EXTENSIONS, set(), "page"), only)
            units, more = plan_pages(spec, files, icfg, self._ocr_engine(), timings, self.cfg.data_path / "cache" / "pages",
                                     need_image=image is not None)
        elif spec.modality == "audio":
            from mmrag.ingest.audio_units import plan_audio
            from mmrag.ingest.sorting import AUDIO_EXTENSIONS

            files, skipped = self._select(discover(paths, AUDIO_EXTENSIONS, {".txt", ".srt", ".vtt", ".json"}, "audio"), only)
            units, more = plan_audio(spec, files, icfg, self._speech_transcriber, timings, self.cfg.data_path / "cache" / "audio")
        elif spec.modality == "image":
            from mmrag.media.images import IMAGE_EXTENSIONS

            from mmrag.ingest.embedded_units import EMBEDDING_EXTENSIONS, plan_embedded_images

            files, skipped = self._select(discover(paths, set(IMAGE_EXTENSIONS) | EMBEDDING_EXTENSIONS, {".txt", ".jsonl", ".json"}, "image"), only)
            docs = [f for f in files if f.path.suffix.lower() in EMBEDDING_EXTENSIONS]
            units, more = plan_images(spec, [f for f in files if f not in docs], icfg, self._ocr_engine(), timings)
            doc_units, doc_skipped = plan_embedded_images(spec, docs, self._ocr_engine(), timings, self.cfg.data_path / "cache" / "embedded")
            units, more = units + doc_units, more + doc_skipped
        else:
            from mmrag.media.video import VIDEO_EXTENSIONS

            files, skipped = self._select(discover(paths, set(VIDEO_EXTENSIONS), VIDEO_SIDECARS, "video"), only)
            units, more = plan_videos(spec, files, icfg, self._ocr_engine(), self._transcriber, text, timings,
                                      need_frames=image is not None, cache_dir=self.cfg.data_path / "cache" / "video")
        return units, skipped + more

    def ingest(self, spec: CorpusSpec, paths: list[Path] | None = None, *, progress=None, only: set[Path] | None = None,
               prune: bool = False) -> IngestReport:
        """Ingest ``paths`` (default: the corpus's registry sources). ``progress``: a rich Progress, optional.

        ``only``: resolved files to take from ``paths`` (a mixed folder sorted by type); ``prune``: afterwards
        remove items of files under the given folders that were deleted or changed since (``mmrag.ingest.prune``).
        """
        t0 = time.perf_counter()
        paths = spec.ingest_paths(paths)  # before any model loads: is there anything to read?
        if self._text_override is not None:
            text, image = self._text_override, self._image_override
        else:
            text, image = corpus_encoders(self.cfg, spec)
        coll = spec.collection_name
        report = IngestReport(spec.name, coll)
        timings = Timings()
        with timings.timed("plan"):
            units, skipped = self.plan(spec, paths, text, timings, image, only)
        report.skipped.extend(skipped)
        planned = units
        units = self._dedupe(units, report)
        dims, names = collection_layout(text, image)
        self.store.ensure_collection(coll, dims, names, sparse=SPARSE)
        # A collection made before sparse vectors existed keeps its layout (dense only) until re-ingested.
        sparse = self._sparse_encoder() if SPARSE in self.store.sparse_vectors(coll) else None
        with timings.timed("lookup"):
            existing = self.store.existing_ids(coll, [u.id for u in units])
            # Stored key -> id in one pass: a batch finds earlier versions of its keys here, not by scanning the store.
            versions = self.store.head_keys(coll) if len(existing) < len(units) else {}
        # Similar lengths per batch (as the encoder's own length sort would give over the whole set); media
        # units have size 0 and keep their order, so the clips of one video stay together.
        missing = sorted((u for u in units if u.id not in existing), key=lambda u: u.size)
        report.unchanged = len(units) - len(missing)
        prepared = []
        for u in missing:
            try:
                if u.prepare is not None:
                    u.prepare()
                prepared.append(u)
            except Exception as e:
                report.skipped.append(unit_failure(u.source, e))
        missing = prepared
        task = progress.add_task(f"ingest {spec.name}", total=len(missing)) if progress is not None else None
        bs = self.cfg.store.upsert_batch_size
        # Writes run on one background thread so batch i is stored while batch i+1 is encoded; one worker
        # keeps batches in order, and waiting for it before leaving keeps every finished batch on error.
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mmrag-upsert")
        pending: Future | None = None
        try:
            for i in range(0, len(missing), bs):
                batch = missing[i : i + bs]
                write = self._ingest_batch(coll, batch, text, image, report, timings, sparse, versions)
                if pending is not None:
                    pending.result()
                pending = writer.submit(write) if write is not None else None
                if progress is not None:
                    progress.advance(task, len(batch))
            if pending is not None:
                pending.result()
        finally:
            writer.shutdown(wait=True)
            if missing:
                with timings.timed("flush"):
                    self.store.flush(coll)
        roots = [p for p in paths if p.is_dir()]
        if prune and roots:
            from mmrag.ingest.prune import prune as prune_items, source_file

            with timings.timed("prune"):
                report.pruned = prune_items(self.store, coll, roots, {u.id for u in planned}, {source_file(u.source) for u in planned},
                                            {source_file(s.path) for s in report.skipped}, only)
        report.stages = dict(timings)
        report.seconds = time.perf_counter() - t0
        return report

    @staticmethod
    def _dedupe(units: list[Unit], report: IngestReport) -> list[Unit]:
        seen_ids, seen_keys, out = set(), {}, []
        for u in units:
            if u.id in seen_ids:
                continue  # the very same content twice: one item
            if u.key in seen_keys:
                report.skipped.append(Skipped(u.source, f"duplicate key '{u.key}' (also in {seen_keys[u.key]}): give records unique ids"))
                continue
            seen_ids.add(u.id)
            seen_keys[u.key] = u.source
            out.append(u)
        return out

    def _ingest_batch(self, coll: str, batch: list[Unit], text: TextEncoder, image: ImageTextEncoder | None,
                      report: IngestReport, timings: Timings, sparse: SparseEncoder | None = None,
                      versions: dict[str, str] | None = None) -> Callable[[], None] | None:
        """Build and encode a batch; returns the function that writes it (run by the caller's writer thread)."""
        built: list[Built] = []
        for u in batch:
            try:
                b = u.build()
            except Exception as e:  # one bad file must not abort the run: it is reported and the rest goes on
                report.skipped.append(unit_failure(u.source, e))
                continue
            if not b.chunks and (image is None or not b.image_groups):
                report.skipped.append(Skipped(u.source, f"'{u.key}' has no text to embed (no caption, OCR text or transcript): add a caption or subtitles"))
                continue
            built.append(b)
        if not built:
            return None
        all_chunks = [c for b in built for c in b.chunks]
        with timings.timed("encode_text"):
            text_vecs = text.encode(all_chunks) if all_chunks else np.zeros((0, text.dim), np.float32)
        sparse_vecs = []
        if sparse is not None:
            with timings.timed("encode_sparse"):
                sparse_vecs = sparse.encode_documents(all_chunks)
        image_vecs: list[np.ndarray | None] = [None] * len(built)
        if image is not None:
            with timings.timed("encode_image"):
                flat = [im for b in built for g in b.image_groups for im in g]
                vecs = image.encode_images(flat) if flat else np.zeros((0, image.dim), np.float32)
                pos = 0
                for j, b in enumerate(built):
                    groups = []
                    for g in b.image_groups:
                        groups.append(l2_normalise(vecs[pos : pos + len(g)].mean(axis=0)))
                        pos += len(g)
                    if groups:
                        image_vecs[j] = l2_normalise(np.mean(groups, axis=0))
        chunk_points, heads = [], []
        pos = 0
        for j, b in enumerate(built):
            iid = b.item.id
            vecs = text_vecs[pos : pos + len(b.chunks)]
            svecs = sparse_vecs[pos : pos + len(b.chunks)] if sparse is not None else []
            pos += len(b.chunks)
            for ci in range(1, len(b.chunks)):
                cvecs = {TEXT: vecs[ci], **({SPARSE: svecs[ci]} if svecs else {})}
                chunk_points.append(PointData(chunk_point_id(iid, ci), cvecs,
                                              {"item_id": iid, "item_key": b.item.key, "chunk_index": ci, "chunk_text": b.chunks[ci]}))
            head_vecs = {}
            if len(b.chunks):
                head_vecs[TEXT] = vecs[0]
                if svecs:
                    head_vecs[SPARSE] = svecs[0]
            if image_vecs[j] is not None:
                head_vecs[IMAGE] = image_vecs[j]
            payload = {**b.item.model_dump(mode="json"), "item_id": iid, "item_key": b.item.key, "chunk_index": 0}
            first = b.chunks[0] if b.chunks else None
            if first is None or first != payload.get("text"):  # else the item's text is its chunk: stored once
                payload["chunk_text"] = first
            heads.append(PointData(iid, head_vecs, payload))

        def write() -> None:
            with timings.timed("upsert"):
                # Chunks first, heads last: a head point means the item is complete.
                self.store.upsert(coll, chunk_points)
                self.store.upsert(coll, heads)
                report.replaced += self._drop_old_versions(coll, built, versions or {})
            report.ingested += len(built)
            report.points += len(chunk_points) + len(heads)

        return write

    def _drop_old_versions(self, coll: str, built: list[Built], versions: dict[str, str]) -> int:
        """Remove earlier versions of these keys (same key, other content), stored before this run."""
        old = [versions[b.item.key] for b in built if versions.get(b.item.key, b.item.id) != b.item.id]
        if old:
            self.store.delete_items(coll, old)
        return len(old)
