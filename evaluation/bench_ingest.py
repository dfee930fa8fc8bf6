"""Ingest throughput benchmark: items/s for text, images and video, against the encoder's own throughput.

    python evaluation/bench_ingest.py [--copies 10] [--ocr/--no-ocr] [--asr/--no-asr] [--image-text-model PATH] [--only RUN]
    python evaluation/bench_ingest.py --passages 10000 100000 [--encoder hashing|minilm] [--engine edge|local]

Scale mode (--passages): N distinct generated passages (~120 words, or --words, one chunk each) into a fresh paragraph
collection, against the encoder's own batch throughput on the same texts. With ``--encoder hashing`` (a fast
deterministic encoder: scikit-learn's HashingVectorizer, 384 features, L2-normalised) the encoder costs almost
nothing, so the run measures what ingest adds per passage (store writes, sparse vectors, planning); the projected
ratio is what that overhead gives with MiniLM's own throughput (measured on the first 2,000 texts), and a
constant overhead per passage from 10k to 100k means ingest is linear.

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


def _run(cfg, spec: CorpusSpec, source: Path, text_encoder=None):
    store = open_store(cfg)
    report = Ingestor(cfg, store, text_encoder=text_encoder).ingest(spec, [source])
    items = list(store.head_payloads(spec.collection_name, ["key", "text", "media_path", "chunk_text"]))
    # A head without chunk_text stores its text once (its only chunk is the item's text); chunk points hold the rest.
    chunks = [p["chunk_text"] if "chunk_text" in p else p.get("text") for p in items]
    chunks = [c for c in chunks if c]
    close_embedded(cfg.store_path)
    return report, chunks, items


class HashingEncoder:
    """A fast deterministic text encoder (no model): hashed word counts, 384 features, L2-normalised."""

    name, dim, max_tokens = "hashing-384", 384, 256

    def __init__(self):
        from sklearn.feature_extraction.text import HashingVectorizer

        self._vec = HashingVectorizer(n_features=self.dim, alternate_sign=True, norm="l2")

    def encode(self, texts, *, batch_size=None, progress=False):
        import numpy as np

        return self._vec.transform(texts).toarray().astype(np.float32)

    def count_tokens(self, text):
        return len(text.split())


def _passages(tmp: Path, n: int, words_per: int = 120) -> Path:
    """n distinct passages of about ``words_per`` words (±25 %) drawn from the demo paragraphs' vocabulary (seeded)."""
    import random

    words = " ".join(json.loads(line)["text"] for line in (DEMO / "paragraphs" / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines()
                     if line.strip()).split()
    rng = random.Random(n)
    out = tmp / f"passages-{n}"
    out.mkdir()
    with open(out / "p.jsonl", "w", encoding="utf-8") as f:
        for i in range(n):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(max(1, words_per * 3 // 4), words_per * 5 // 4)))
            f.write(json.dumps({"id": f"p-{i}", "title": f"Passage {i}", "text": f"{text} ({i})"}) + "\n")
    return out


def scale(args, console: Console, tmp: Path) -> None:
    table = Table(title=f"ingest at scale: {args.engine} store, {args.encoder} encoder")
    for col in ("passages", "ingest s", "passages/s", "enc s", "enc passages/s", "ratio", "overhead ms/passage", "projected ratio (MiniLM)",
                "plan s", "enc text s", "enc sparse s", "upsert s", "lookup s", "flush s"):
        table.add_column(col, justify="right", no_wrap=True)
    minilm = None
    if args.encoder == "hashing":
        enc = HashingEncoder()
        cfg = load_config(None, {"data_dir": str(tmp / "probe")})
        real = load_text_encoder(cfg.encoders.text)
        probe = [json.loads(line)["text"] for line in (_passages(tmp, 2000, args.words) / "p.jsonl").read_text().splitlines()]
        real.encode(probe[:16])
        t = time.perf_counter()
        real.encode(probe)
        minilm = len(probe) / (time.perf_counter() - t)
        console.print(f"MiniLM's own batch throughput here: {minilm:.1f} passages/s (2,000 passages)")
    else:
        enc = load_text_encoder(load_config(None, {"data_dir": str(tmp / "probe")}).encoders.text)
        enc.encode(["warm-up"] * 8)
    for n in args.passages:
        source = _passages(tmp, n, args.words)
        cfg = load_config(None, {"data_dir": str(tmp / f"data-{n}"), "store.engine": args.engine})
        spec = CorpusSpec(name=f"scale-{n}", route="paragraph", modality="text", granularity="paragraph", description="-")
        report, chunks, _ = _run(cfg, spec, source, text_encoder=enc)
        t = time.perf_counter()
        enc.encode(chunks)
        enc_s = time.perf_counter() - t
        ips, eps = report.ingested / report.seconds, len(chunks) / enc_s
        overhead = (report.seconds - enc_s) / max(report.ingested, 1)
        proj = f"{1 / (1 + overhead * minilm):.2f}" if minilm else "-"
        st = report.stages
        table.add_row(f"{n:,}", f"{report.seconds:.1f}", f"{ips:.0f}", f"{enc_s:.1f}", f"{eps:.0f}", f"{ips / eps:.2f}",
                      f"{overhead * 1e3:.2f}", proj, f"{st.get('plan', 0):.1f}", f"{st.get('encode_text', 0):.1f}",
                      f"{st.get('encode_sparse', 0):.1f}", f"{st.get('upsert', 0):.1f}", f"{st.get('lookup', 0):.1f}", f"{st.get('flush', 0):.1f}")
        shutil.rmtree(tmp / f"data-{n}", ignore_errors=True)
    console.print(table)
    console.print("ratio = ingest passages/s / encoder-only passages/s on the same texts (goal >= 0.9). overhead = (ingest s - "
                  "encoder s) / passages; projected ratio = 1 / (1 + overhead x MiniLM passages/s). upsert runs on a writer "
                  "thread, overlapping encoding; flush = the engine's final flush and optimise; plan = reading and chunking (the "
                  "encoder's tokenizer); enc text / enc sparse = encoding inside ingest.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=10, help="Copies of the demo paragraphs for the text run.")
    ap.add_argument("--ocr", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--asr", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--image-text-model", default=None, help="CLIP/SigLIP path: also embed images and frames.")
    ap.add_argument("--only", choices=["paragraphs", "documents", "images", "clips"], action="append",
                    help="Run only these (repeatable); default: all.")
    ap.add_argument("--passages", type=int, nargs="+", help="Scale mode: ingest this many generated passages (each size in turn).")
    ap.add_argument("--words", type=int, default=120, help="Scale mode: words per generated passage (±25 %%); shorter passages "
                    "encode faster, so what ingest adds per passage weighs more in the ratio.")
    ap.add_argument("--encoder", choices=["hashing", "minilm"], default="minilm", help="Scale mode's text encoder.")
    ap.add_argument("--engine", choices=["edge", "local"], default="edge", help="Scale mode's embedded engine.")
    args = ap.parse_args()
    console = Console(width=200)
    tmp = Path(tempfile.mkdtemp(prefix="mmrag-bench-"))
    if args.passages:
        try:
            scale(args, console, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
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
