"""Documents into text corpora: PDF (text layer + OCR fallback), DOCX, PPTX, XLSX/CSV, HTML; bad files; install hint."""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import pytest
from tests.helpers.documents import make_docx, make_html, make_pdf, make_pptx, make_xlsx, make_zero_page_pdf
from tests.helpers.ingest import make_config, spec

from mmrag.errors import InputError
from mmrag.ingest import Ingestor
from mmrag.ingest.formats import read_document
from mmrag.registry import CorpusRegistry
from mmrag.retrieval import CollectionRetriever
from mmrag.store.qdrant import open_store

SAMPLES = Path(pytest.importorskip("iscc_samples").__file__).parent / "files" / "text"


@pytest.fixture(scope="module")
def ocr():
    from mmrag.media.ocr import OCR

    return OCR()


def test_pdf_pages_keep_numbers_and_scanned_page_is_ocrd(tmp_path, ocr):
    doc = read_document(make_pdf(tmp_path / "guide.pdf"), ocr=ocr)
    assert [s.page for s in doc.sections] == [1, 2, 3]
    assert "Cape Wrath" in doc.sections[0].text and "Sourdough" in doc.sections[1].text
    assert doc.sections[2].ocr and not doc.sections[0].ocr
    assert "glaciers" in doc.sections[2].text.lower() and "forty metres" in doc.sections[2].text.lower()
    # Without OCR the scanned page stays empty rather than inventing text.
    assert read_document(tmp_path / "guide.pdf").sections[2].text == ""


def test_office_html_and_sheet_readers(tmp_path):
    d = read_document(make_docx(tmp_path / "owls.docx"))
    assert d.title == "Field guide to owls"
    assert [s.heading for s in d.sections] == ["Barn owls", "Owl weights"]
    assert "Species: Snowy owl; Weight: 2 kg" in d.sections[1].text and "hoot" in d.sections[1].text
    p = read_document(make_pptx(tmp_path / "results.pptx"))
    assert [s.slide for s in p.sections] == [1, 2]
    assert "Speaker notes: Mention the new Lisbon office" in p.sections[0].text
    x = read_document(make_xlsx(tmp_path / "planets.xlsx"))
    assert x.sections[0].sheet == "Planets"
    assert "Row 3 — Planet: Jupiter; Moons: 95; Day length: 9.9 h" in x.sections[0].text
    (tmp_path / "prices.csv").write_text("item;price\nbread;3.20\nmilk;1.10\n", encoding="utf-8")
    assert "Row 2 — item: bread; price: 3.20" in read_document(tmp_path / "prices.csv").sections[0].text
    h = read_document(make_html(tmp_path / "tea.html"))
    assert "80 degrees Celsius" in h.text and "Copyright" not in h.text and "Shop" not in h.text
    assert h.title in ("Brewing green tea", "Tea brewing guide")


def test_real_sample_files_from_iscc_samples():
    pdf = read_document(SAMPLES / "demo.pdf")
    assert len(pdf.sections) == 9 and pdf.sections[0].page == 1 and "Bitcoin" in pdf.sections[0].text
    docx = read_document(SAMPLES / "demo.docx")
    assert "Lorem ipsum" in docx.text
    pptx = read_document(SAMPLES / "demo.pptx")
    assert [s.slide for s in pptx.sections][:2] == [1, 2]


def _bad_folder(tmp_path: Path) -> Path:
    from reportlab.pdfgen import canvas

    folder = tmp_path / "mixed"
    folder.mkdir()
    c = canvas.Canvas(str(folder / "locked.pdf"), encrypt="secret")
    c.drawString(72, 700, "secret text")
    c.showPage()
    c.save()
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"garbage " * 50)
    make_zero_page_pdf(folder / "empty.pdf")
    (folder / "notazip.docx").write_text("I am plain text with a .docx name", encoding="utf-8")
    (folder / "blank.html").write_text("<html><head><script>var x=1;</script></head><body><nav></nav></body></html>", encoding="utf-8")
    # A sheet whose cells are all empty but formatted over a million rows (as when a whole column is styled).
    empty = make_xlsx(folder / "huge-empty.xlsx")
    with zipfile.ZipFile(empty) as z:
        data = {n: z.read(n) for n in z.namelist()}
    xml = data["xl/worksheets/sheet1.xml"].decode()
    rows = "".join(f'<row r="{r}"><c r="A{r}" s="0"/></row>' for r in range(1, 1_000_001))
    data["xl/worksheets/sheet1.xml"] = re.sub(r"<sheetData>.*</sheetData>", f"<sheetData>{rows}</sheetData>", xml, flags=re.S).encode()
    with zipfile.ZipFile(empty, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in data.items():
            z.writestr(n, b)
    make_pdf(folder / "good.pdf", scanned=None)
    make_docx(folder / "owls.docx")
    return folder


def test_bad_documents_get_one_line_each_and_the_rest_is_ingested(tmp_path, text_encoder):
    folder = _bad_folder(tmp_path)
    cfg = make_config(tmp_path)
    corpus = spec("p", "paragraph", "text", "paragraph", **{})
    report = Ingestor(cfg, open_store(cfg), text_encoder=text_encoder).ingest(corpus, [folder])
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {"locked.pdf", "broken.pdf", "empty.pdf", "notazip.docx", "blank.html", "huge-empty.xlsx"}
    assert "password-protected" in reasons["locked.pdf"]
    assert "corrupt" in reasons["broken.pdf"]
    assert "no pages" in reasons["empty.pdf"]
    assert "not a valid .docx" in reasons["notazip.docx"]
    assert "no main text" in reasons["blank.html"]
    assert "no filled cells" in reasons["huge-empty.xlsx"]
    for name, reason in reasons.items():
        assert "\n" not in reason and name in reason  # one line, naming the file
    assert report.ingested == 4  # good.pdf: 2 pages; owls.docx: 2 sections


def test_passages_and_chunks_keep_page_and_slide(tmp_path, text_encoder):
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "guide.pdf", scanned=None)
    make_pptx(folder / "results.pptx")
    cfg = make_config(tmp_path)
    store = open_store(cfg)
    para = spec("p", "paragraph", "text", "paragraph")
    doc = spec("d", "document", "text", "document")
    for c in (para, doc):
        r = Ingestor(cfg, store, text_encoder=text_encoder).ingest(c, [folder])
        assert not r.skipped
    retr = CollectionRetriever(cfg, CorpusRegistry([para, doc]), store)
    hit = retr.search("how often did lighthouse keepers trim the wicks", "paragraph", n=1).hits[0]
    assert hit.item.key == "guide.pdf#0" and hit.item.metadata["page"] == 1 and hit.item.metadata["format"] == "pdf"
    hit = retr.search("how fast does a sourdough starter double", "paragraph", n=1).hits[0]
    assert hit.item.metadata["page"] == 2
    hit = retr.search("where is the new office", "paragraph", n=1).hits[0]
    assert hit.item.metadata["slide"] == 1 and "Lisbon" in hit.item.text
    hit = retr.search("how fast does a sourdough starter double", "document", n=1).hits[0]
    assert hit.item.key == "guide.pdf" and hit.matched_chunk.startswith("(page 2) ")
    assert "(page 1)" in hit.item.text and hit.item.metadata["pages"] == 2


def test_missing_reader_library_gives_install_hint(tmp_path, monkeypatch):
    path = make_pdf(tmp_path / "a.pdf", scanned=None)
    monkeypatch.setitem(sys.modules, "pypdfium2", None)  # makes `import pypdfium2` raise ImportError
    with pytest.raises(InputError) as e:
        read_document(path)
    assert "pip install 'mmrag[docs]'" in str(e.value) and "pypdfium2" in str(e.value)
