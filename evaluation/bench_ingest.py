"""Ingest throughput benchmark: items/s for text, images and video, against the encoder's own throughput.

    python evaluation/bench_ingest.py [--copies 10] [--ocr/--no-ocr] [--asr/--no-asr] [--image-text-model PATH] [--only RUN]

Each modality is ingested from the demo corpus into a fresh temporary store. The encoder baseline encodes
the very same texts (the items' chunks) -- and images, with an image-text model -- in batches, with the
model already loaded. ratio = ingest items/s / encoder-only items/s (goal >= 0.9 for text, where nothing but
the encoder should cost anything). The per-stage table says what dominates for media (OCR, ASR, decoding).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from mmrag.config import load_config  # noqa: E402
from mmrag.encoders import load_image_text_encoder, load_text_encoder  # noqa: E402
from mmrag.ingest import Ingestor  # noqa: E402
from mmrag.registry import CorpusSpec  # noqa: E402
from mmrag.store.qdrant import close_embedded, open_store  # noqa: E402

DEMO = REPO / "corpora" / "demo"


def _text_source(tmp: Path, copies: int) -> Path:
    """The demo paragraphs, repeated with distinct ids (and a distinguishing suffix) for a measurable run."""
    out = tmp / "paragraphs"
    out.mkdir()
    records = [json.loads(line) for line in (DEMO / "paragraphs" / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    with open(out / "p.jsonl", "w", encoding="utf-8") as f:
        for c in range(copies):
            for r in records:
                f.write(json.dumps({**r, "id": f"{r['id']}-{c}", "text": f"{r['text']} (copy {c})"}) + "\n")
    return out


def _run(cfg, spec: CorpusSpec, source: Path):
    store = open_store(cfg)
    report = Ingestor(cfg, store).ingest(spec, [source])
    heads = store.client.scroll(spec.collection_name, limit=100000, with_payload=True, with_vectors=False)[0]
    chunks = [p.payload["chunk_text"] for p in heads if p.payload.get("chunk_text")]
    items = [p.payload for p in heads if "key" in p.payload]
    close_embedded(cfg.store_path)
    return report, chunks, items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=10, help="Copies of the demo paragraphs for the text run.")
    ap.add_argument("--ocr", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--asr", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--image-text-model", default=None, help="CLIP/SigLIP path: also embed images and frames.")
    ap.add_argument("--only", choices=["paragraphs", "documents", "images", "clips"], action="append",
                    help="Run only these (repeatable); default: all.")
    args = ap.parse_args()
    console = Console()
    tmp = Path(tempfile.mkdtemp(prefix="mmrag-bench-"))
    overrides = {"data_dir": str(tmp / "data"), "ingest.ocr": args.ocr, "ingest.asr": args.asr}
    if args.image_text_model:
        overrides["encoders.image_text.model"] = args.image_text_model
    cfg = load_config(None, overrides)
    text_enc = load_text_encoder(cfg.encoders.text)
    image_enc = load_image_text_encoder(cfg.encoders.image_text)
    text_enc.encode(["warm-up"] * 8)  # model load and first-call costs are not ingest costs
    runs = [
        ("paragraphs", CorpusSpec(name="b-text", route="paragraph", modality="text", granularity="paragraph", description="-"),
         _text_source(tmp, args.copies)),
        ("documents", CorpusSpec(name="b-doc", route="document", modality="text", granularity="document", description="-"),
         DEMO / "documents"),
        ("images", CorpusSpec(name="b-img", route="image", modality="image", granularity="image", description="-"), DEMO / "images"),
        ("clips", CorpusSpec(name="b-clip", route="clip", modality="video", granularity="clip", description="-"), DEMO / "videos"),
    ]
    summary = Table(title="ingest throughput (items/s)")
    for col in ("run", "items", "points", "ingest s", "items/s", "enc s", "enc items/s", "ratio", "ratio*"):
        summary.add_column(col, justify="right" if col != "run" else "left", no_wrap=True)
    stages = Table(title="per-stage seconds")
    stage_names = ["plan", "probe", "decode", "ocr", "asr", "encode_text", "encode_image", "upsert", "lookup"]
    stages.add_column("run", no_wrap=True)
    for s in stage_names:
        stages.add_column(s.replace("encode_", "enc_"), justify="right", no_wrap=True)
    for label, spec, source in runs:
        if args.only and label not in args.only:
            continue
        if not source.exists():
            console.print(f"[yellow]{label}: {source} missing, skipped")
            continue
        report, chunks, items = _run(cfg, spec, source)
        t = time.perf_counter()
        text_enc.encode(chunks)
        enc_s = time.perf_counter() - t
        if image_enc is not None and spec.modality == "image":
            from mmrag.media.images import load_image

            imgs = [load_image(i["media_path"]) for i in items]
            t = time.perf_counter()
            image_enc.encode_images(imgs)
            enc_s += time.perf_counter() - t
        n = report.ingested
        ips = n / report.seconds if report.seconds else 0.0
        eps = n / enc_s if enc_s else float("inf")
        media = sum(report.stages.get(s, 0.0) for s in ("decode", "ocr", "asr", "probe"))
        ips_wo = n / max(report.seconds - media, 1e-9)
        summary.add_row(label, str(n), str(report.points), f"{report.seconds:.2f}", f"{ips:.1f}", f"{enc_s:.2f}", f"{eps:.1f}",
                        f"{ips / eps:.2f}", f"{ips_wo / eps:.2f}")
        stages.add_row(label, *(f"{report.stages.get(s, 0.0):.2f}" for s in stage_names))
    console.print(summary)
    console.print(stages)
    console.print("ratio = ingest items/s / encoder-only items/s on the same texts (and images). "
                  "ratio* leaves out decoding, probing, OCR and ASR time, which the encoder baseline does not do. "
                  "upsert runs on a writer thread, overlapping encoding.")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
