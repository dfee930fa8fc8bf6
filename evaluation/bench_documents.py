"""Document ingest benchmark: PDF pages/s through `mmrag ingest` vs pypdfium2's raw text extraction, peak memory.

    python evaluation/bench_documents.py [--pages 300] [--files 10] [--granularity paragraph|document|page] [--compare]

A set of PDFs (``--pages`` pages over ``--files`` files, text built from the demo documents) is written with
reportlab. Three runs, each in its own process so peak RSS is its own:
  raw     pypdfium2 opens each file and extracts each page's text (the floor of any PDF reader on it);
  parse   mmrag's reader (``read_document``): text layer per page, sections with page numbers;
  ingest  the whole ingest into a fresh embedded store with the offline text encoder (MiniLM).
ratio = pages/s / raw pages/s; the ingest stage table shows where its time goes (the text encoder, on a CPU).
``--compare`` also times the libraries chosen against (pypdf for PDF,
openpyxl for XLSX) where installed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEMO_DOCS = REPO / "corpora" / "demo" / "documents"


def make_pdfs(folder: Path, pages: int, files: int) -> list[Path]:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    words = " ".join(p.read_text(encoding="utf-8") for p in sorted(DEMO_DOCS.glob("*.md"))).split()
    folder.mkdir(parents=True, exist_ok=True)
    out, w = [], 0
    per_file = [pages // files + (1 if i < pages % files else 0) for i in range(files)]
    for i, n in enumerate(per_file):
        path = folder / f"report-{i:02d}.pdf"
        c = canvas.Canvas(str(path), pagesize=A4)
        for page in range(n):
            y = 800
            c.drawString(72, y, f"Report {i} page {page + 1}")
            for _ in range(40):  # ~40 lines of ~12 words: a dense page of ~480 words
                y -= 18
                line = " ".join(words[(w + k) % len(words)] for k in range(12))
                w += 12
                c.drawString(72, y, line)
            c.showPage()
        c.save()
        out.append(path)
    return out


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run(mode: str, folder: Path, granularity: str) -> dict:
    files = sorted(folder.glob("*.pdf"))
    pages = 0
    # Imports happen before the clock starts: the figures are per-page work, not start-up.
    if mode == "raw":
        import pypdfium2 as pdfium
    elif mode == "parse":
        from mmrag.ingest.formats import read_document
    t0 = time.perf_counter()
    if mode == "raw":
        for f in files:
            pdf = pdfium.PdfDocument(str(f))
            for i in range(len(pdf)):
                page = pdf[i]
                tp = page.get_textpage()
                tp.get_text_range()
                tp.close()
                page.close()
                pages += 1
            pdf.close()
    elif mode == "pypdf":
        from pypdf import PdfReader

        for f in files:
            for page in PdfReader(str(f)).pages:
                page.extract_text()
                pages += 1
    elif mode == "parse":
        for f in files:
            pages += len(read_document(f).sections)
    else:
        from mmrag.config import load_config
        from mmrag.ingest import Ingestor
        from mmrag.registry import CorpusSpec
        from mmrag.store.qdrant import open_store

        with tempfile.TemporaryDirectory() as tmp:
            cfg = load_config(None, {"data_dir": tmp, "ingest.ocr": False, "ingest.asr": False})
            modality = "image" if granularity == "page" else "text"
            spec = CorpusSpec(name="bench", route=granularity, modality=modality, granularity=granularity, description="bench")
            t0 = time.perf_counter()  # the encoder loads inside ingest, as it does for a user
            report = Ingestor(cfg, open_store(cfg)).ingest(spec, [folder])
            assert not report.skipped, report.skipped
            from mmrag.ingest.formats.pdf import page_count

            pages = sum(page_count(f) for f in files)
            return {"mode": mode, "pages": pages, "seconds": time.perf_counter() - t0, "peak_mb": _peak_mb(),
                    "items": report.ingested, "stages": {k: round(v, 2) for k, v in report.stages.items()}}
    return {"mode": mode, "pages": pages, "seconds": time.perf_counter() - t0, "peak_mb": _peak_mb()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--granularity", default="paragraph", choices=["paragraph", "document", "page"])
    ap.add_argument("--compare", action="store_true", help="also time pypdf (a library chosen against)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run(args.child[0], Path(args.child[1]), args.granularity)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pdfs"
        make_pdfs(folder, args.pages, args.files)
        import importlib.util

        compare = args.compare and importlib.util.find_spec("pypdf") is not None
        if args.compare and not compare:
            print("--compare: pypdf is not installed (pip install pypdf); comparing without it")
        modes = ["raw", "parse", "ingest"] + (["pypdf"] if compare else [])
        results = {}
        for m in modes:
            out = subprocess.run([sys.executable, __file__, "--granularity", args.granularity, "--child", m, str(folder)],
                                 capture_output=True, text=True, check=True)
            results[m] = json.loads(out.stdout.strip().splitlines()[-1])
    raw = results["raw"]["pages"] / results["raw"]["seconds"]
    print(f"{args.pages} pages in {args.files} PDFs, ingest granularity {args.granularity}")
    print(f"{'run':8} {'pages':>6} {'s':>8} {'pages/s':>9} {'ratio':>7} {'peak MB':>8}")
    for m, r in results.items():
        rate = r["pages"] / r["seconds"]
        print(f"{m:8} {r['pages']:>6} {r['seconds']:>8.2f} {rate:>9.1f} {rate / raw:>7.3f} {r['peak_mb']:>8.0f}")
    if "stages" in results["ingest"]:
        print("ingest stages (s):", results["ingest"]["stages"], " items:", results["ingest"]["items"])


if __name__ == "__main__":
    main()
