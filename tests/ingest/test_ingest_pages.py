"""The ``page`` route: PDF pages and slides as image items (rendered page + text), sent to the VLM, cited by page."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers.documents import make_pdf, make_pptx
from tests.helpers.openai_stub import Reply, chat_completion
from PIL import Image
from tests.helpers.ingest import make_config, spec, tiny_clip

from mmrag.config import GeneratorConfig, MMRAGConfig, ModelServerConfig
from mmrag.generate import load_generator
from mmrag.ingest import Ingestor
from mmrag.registry import CorpusRegistry
from mmrag.retrieval import CollectionRetriever
from mmrag.store.qdrant import IMAGE, open_store
from mmrag.types import ScoredHit


@pytest.fixture
def deck(tmp_path) -> Path:
    folder = tmp_path / "deck"
    folder.mkdir()
    make_pdf(folder / "guide.pdf")  # 2 text pages + 1 scanned page
    make_pptx(folder / "results.pptx")
    return folder


def test_pages_are_rendered_ocrd_searchable_and_cited(tmp_path, deck, text_encoder, stub_server):
    cfg = make_config(tmp_path, **{"ingest.ocr": True})
    store = open_store(cfg)
    pages = spec("pages", "page", "image", "page")
    report = Ingestor(cfg, store, text_encoder=text_encoder).ingest(pages, [deck])
    assert not report.skipped and report.ingested == 5  # 3 PDF pages + 2 slides
    retr = CollectionRetriever(cfg, CorpusRegistry([pages]), store)
    hit = retr.search("how fast do glaciers move", "page", n=1).hits[0]
    it = hit.item
    assert (it.key, it.modality, it.granularity) == ("guide.pdf#page3", "image", "page")
    assert it.metadata["page"] == 3 and it.metadata["ocr"] and "forty metres" in it.text.lower()
    with Image.open(it.media_path) as im:
        assert im.width > 1000 and im.height > im.width  # an A4 page rendered at 144 dpi
    slide = retr.search("Lisbon office", "page", n=1).hits[0].item
    assert slide.key == "results.pptx#page1" and slide.metadata["slide"] == 1 and slide.locator == "slide 1"
    assert "Speaker notes" in slide.text and Path(slide.media_path).is_file()
    # Re-ingesting changes nothing.
    again = Ingestor(cfg, store, text_encoder=text_encoder).ingest(pages, [deck])
    assert (again.ingested, again.unchanged) == (0, 5)

    # The generator sends the page image and the citation names the file and page.
    stub_server.responder = lambda p, b: Reply(body=chat_completion("Glaciers move forty metres a year [1]."))
    gen = load_generator(MMRAGConfig(model_server=ModelServerConfig(base_url=stub_server.base_url, model="vlm", timeout_s=5, max_retries=1),
                                     generator=GeneratorConfig(backend="openai", max_pixels=300 * 300)))
    ans = gen.generate("How fast do glaciers move?", [ScoredHit(hit=hit, rs=0.9, kept=True)])
    content = stub_server.chat_requests()[0]["messages"][-1]["content"]  # the question (after the worked examples)
    assert sum(p["type"] == "image_url" for p in content) == 1
    texts = [p.get("text", "") for p in content]
    assert any("[1] guide, page 3 (page image guide.pdf#page3):" in t for t in texts), texts
    assert ans.citations[0].locator == "page 3" and ans.citations[0].source.endswith("guide.pdf")


def test_pages_get_an_image_vector_with_an_image_text_encoder(tmp_path, deck, text_encoder):
    clip = tiny_clip(tmp_path / "clip")
    cfg = make_config(tmp_path, **{"encoders.image_text.model": str(clip)})
    store = open_store(cfg)
    pages = spec("pages", "page", "image", "page")
    report = Ingestor(cfg, store).ingest(pages, [deck])
    assert report.ingested == 5 and "encode_image" in report.stages
    dims, _ = store.describe("pages")
    assert IMAGE in dims


def test_pictures_inside_documents_go_to_the_image_corpus_with_their_text(tmp_path, text_encoder):
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "guide.pdf", scanned=None, picture=True)  # one picture on each of the 2 pages
    cfg = make_config(tmp_path)
    store = open_store(cfg)
    images = spec("pics", "image", "image", "image")
    report = Ingestor(cfg, store, text_encoder=text_encoder).ingest(images, [folder])
    assert report.ingested == 2 and not report.skipped
    hit = CollectionRetriever(cfg, CorpusRegistry([images]), store).search("sourdough starter", "image", n=1).hits[0]
    it = hit.item
    assert it.key == "guide.pdf#image1" and it.metadata["page"] == 2 and "Sourdough starter" in it.caption
    with Image.open(it.media_path) as im:
        assert im.size == (200, 120)
    assert Ingestor(cfg, store, text_encoder=text_encoder).ingest(images, [folder]).unchanged == 2


def test_pictures_in_docx_and_pptx_are_captioned_by_nearby_text(tmp_path, text_encoder):
    import docx
    from docx.shared import Inches
    from pptx import Presentation
    from pptx.util import Inches as PInches

    folder = tmp_path / "office"
    folder.mkdir()
    Image.new("RGB", (300, 200), (10, 200, 10)).save(tmp_path / "g.png")
    d = docx.Document()
    d.add_heading("Green fields", 1)
    d.add_paragraph("The meadow behind the barn stays green all year.")
    d.add_picture(str(tmp_path / "g.png"), width=Inches(2))
    d.save(str(folder / "farm.docx"))
    prs = Presentation()
    prs.slides.add_slide(prs.slide_layouts[5]).shapes.title.text = "Intro"
    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = "Solar panels on the roof"
    s.shapes.add_picture(str(tmp_path / "g.png"), PInches(1), PInches(2))
    prs.save(str(folder / "energy.pptx"))
    cfg = make_config(tmp_path)
    store = open_store(cfg)
    images = spec("pics", "image", "image", "image")
    assert Ingestor(cfg, store, text_encoder=text_encoder).ingest(images, [folder]).ingested == 2
    retr = CollectionRetriever(cfg, CorpusRegistry([images]), store)
    farm = retr.search("meadow behind the barn", "image", n=1).hits[0].item
    assert farm.key == "farm.docx#image0" and farm.caption == "Green fields — The meadow behind the barn stays green all year."
    solar = retr.search("solar panels", "image", n=1).hits[0].item
    assert solar.key == "energy.pptx#image0" and solar.metadata["slide"] == 2 and solar.locator == "slide 2"
