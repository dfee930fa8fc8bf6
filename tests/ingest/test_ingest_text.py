"""Text ingestion: paragraph splitting, document chunking, idempotence, resume, bad inputs, replacement."""

from __future__ import annotations

import json

import pytest
from tests.helpers.ingest import CountingEncoder, colour_image, make_config, spec

from mmrag.ingest import Ingestor
from mmrag.ingest.chunking import chunk_size, chunk_text
from mmrag.ingest.text import split_paragraphs
from mmrag.registry import CorpusRegistry
from mmrag.retrieval import CollectionRetriever
from mmrag.store.qdrant import open_store

TOPICS = {
    "bees": "Honey bees live in hives and make honey from flower nectar. The queen bee lays all the eggs.",
    "volcano": "A volcano erupts when magma rises through the crust and lava flows down its slopes.",
    "bread": "Sourdough bread rises because wild yeast and lactic bacteria ferment the flour and water.",
    "tyre": "To fix a bicycle tyre puncture, remove the inner tube, find the hole and glue a patch on it.",
}


def _words(n: int, word: str = "word") -> str:
    return " ".join([word] * n)


def test_split_paragraphs_merges_short_and_splits_long():
    text = "Short one.\n\nShort two.\n\n" + " ".join(f"Sentence number {i} ends here." for i in range(60))
    passages = split_paragraphs(text, min_words=10, max_words=50)
    assert passages[0].startswith("Short one.") and "Short two." in passages[0]
    assert all(len(p.split()) <= 50 for p in passages)
    # The long paragraph is split at sentence ends, not mid-sentence.
    assert all(p.rstrip().endswith(".") for p in passages)
    assert " ".join(" ".join(p.split()) for p in passages).count("Sentence number") == 60


def test_chunks_overlap_and_respect_encoder_limit(text_encoder):
    text = " ".join(f"token{i}" for i in range(1500))
    chunks = chunk_text(text, text_encoder, chunk_tokens=512, overlap_tokens=32)
    size = chunk_size(text_encoder, 512)
    assert size == text_encoder.max_tokens - 2  # MiniLM: 256 - 2 special tokens
    assert len(chunks) > 3
    assert all(text_encoder.count_tokens(c) <= size for c in chunks)
    # Consecutive chunks share text (the overlap).
    assert chunks[0].split()[-1] in chunks[1]


@pytest.fixture
def text_corpus(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    with open(root / "records.jsonl", "w", encoding="utf-8") as f:
        for key, text in TOPICS.items():
            f.write(json.dumps({"id": key, "title": key.title(), "text": text, "lang": "en"}) + "\n")
    (root / "notes.md").write_text("# Notes\n\n" + TOPICS["bees"] + "\n\n" + TOPICS["volcano"], encoding="utf-8")
    return root


def test_reingest_is_idempotent(tmp_path, text_corpus, text_encoder):
    cfg = make_config(tmp_path, **{"ingest.paragraph_min_words": 5})
    store = open_store(cfg)
    enc = CountingEncoder(text_encoder)
    corpus = spec("p", "paragraph", "text", "paragraph")
    first = Ingestor(cfg, store, text_encoder=enc).ingest(corpus, [text_corpus])
    assert first.ingested == 6 and first.unchanged == 0 and not first.skipped
    points = store.count("p")
    calls = enc.texts
    second = Ingestor(cfg, store, text_encoder=enc).ingest(corpus, [text_corpus])
    assert (second.ingested, second.unchanged) == (0, 6)
    assert enc.texts == calls  # nothing re-encoded
    assert store.count("p") == points
    hits = CollectionRetriever(cfg, CorpusRegistry([corpus]), store).search("how do I repair a flat bike tyre", "paragraph", n=3).hits
    assert hits[0].item.key == "tyre" and hits[0].rank == 1 and hits[0].route == "paragraph"
    assert hits[0].item.metadata == {"lang": "en", "passage_index": 0}
    keys = {h.item.key for h in CollectionRetriever(cfg, CorpusRegistry([corpus]), store).search("bees", "paragraph", n=6).hits}
    assert {"notes.md#0", "notes.md#1"} <= keys


def test_interrupted_ingest_resumes_without_reencoding(tmp_path, text_encoder):
    root = tmp_path / "many"
    root.mkdir()
    with open(root / "r.jsonl", "w", encoding="utf-8") as f:
        for i in range(10):
            f.write(json.dumps({"id": f"r{i}", "text": f"Record {i} is about topic number {i} and nothing else."}) + "\n")
    cfg = make_config(tmp_path, **{"store.upsert_batch_size": 3, "ingest.paragraph_min_words": 1})
    store = open_store(cfg)
    corpus = spec("r", "paragraph", "text", "paragraph")
    failing = CountingEncoder(text_encoder, fail_after=2)
    with pytest.raises(KeyboardInterrupt):
        Ingestor(cfg, store, text_encoder=failing).ingest(corpus, [root])
    assert failing.texts == 6 and store.count("r") == 6  # two committed batches survive
    resumed = CountingEncoder(text_encoder)
    report = Ingestor(cfg, store, text_encoder=resumed).ingest(corpus, [root])
    assert (report.ingested, report.unchanged) == (4, 6)
    assert resumed.texts == 4  # only the missing records are encoded
    assert store.count("r") == 10


def test_bad_inputs_are_skipped_with_one_line_reasons(tmp_path, text_corpus, text_encoder):
    (text_corpus / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (text_corpus / "empty.md").write_text("  \n", encoding="utf-8")
    (text_corpus / "table.pdf").write_bytes(b"%PDF-1.4")
    (text_corpus / "notes.rtf").write_bytes(b"{\\rtf1 hello}")
    with open(text_corpus / "records.jsonl", "a", encoding="utf-8") as f:
        f.write("{not json\n")
        f.write(json.dumps({"id": "x", "title": "no text"}) + "\n")
    cfg = make_config(tmp_path, **{"ingest.paragraph_min_words": 5})
    report = Ingestor(cfg, open_store(cfg), text_encoder=text_encoder).ingest(
        spec("p", "paragraph", "text", "paragraph"), [text_corpus, tmp_path / "missing"]
    )
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in report.skipped}
    assert "not UTF-8" in reasons["latin1.txt"]
    assert "empty" in reasons["empty.md"]
    assert "corrupt or not a PDF" in reasons["table.pdf"]
    assert "unknown extension '.rtf'" in reasons["notes.rtf"]
    assert "does not exist" in reasons["missing"]
    assert sum("records.jsonl" in s.path for s in report.skipped) == 2
    assert all("\n" not in s.reason for s in report.skipped)
    assert report.ingested == 6  # everything else went in


def test_documents_come_back_once_with_their_best_chunk(tmp_path, text_encoder):
    root = tmp_path / "docs"
    root.mkdir()
    filler = " ".join(f"The committee discussed agenda item {i} without any decision." for i in range(80))
    (root / "long.md").write_text(f"# Council minutes\n\n{filler}\n\n{TOPICS['volcano']}\n\n{filler}", encoding="utf-8")
    (root / "bread.txt").write_text(TOPICS["bread"], encoding="utf-8")
    cfg = make_config(tmp_path)
    store = open_store(cfg)
    corpus = spec("d", "document", "text", "document")
    report = Ingestor(cfg, store, text_encoder=text_encoder).ingest(corpus, [root])
    assert report.ingested == 2 and report.points > 4  # the long document has chunk points
    assert store.count("d", heads_only=True) == 2
    hits = CollectionRetriever(cfg, CorpusRegistry([corpus]), store).search("lava flowing from a volcano", "document", n=10).hits
    assert [h.item.key for h in hits].count("long.md") == 1
    top = hits[0]
    assert top.item.key == "long.md" and top.item.title == "Council minutes"
    assert "magma" in top.matched_chunk and len(top.matched_chunk) < len(top.item.text)
    assert top.item.text.count("agenda item 79") == 2  # returned whole


def test_changed_content_replaces_the_old_version(tmp_path, text_encoder):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.txt").write_text(TOPICS["bees"], encoding="utf-8")
    cfg = make_config(tmp_path)
    store = open_store(cfg)
    corpus = spec("d", "document", "text", "document")
    Ingestor(cfg, store, text_encoder=text_encoder).ingest(corpus, [root])
    (root / "a.txt").write_text(TOPICS["bread"], encoding="utf-8")
    report = Ingestor(cfg, store, text_encoder=text_encoder).ingest(corpus, [root])
    assert (report.ingested, report.unchanged, report.replaced) == (1, 0, 1)
    hits = CollectionRetriever(cfg, CorpusRegistry([corpus]), store).search("honey", "document", n=5).hits
    assert len(hits) == 1 and "Sourdough" in hits[0].item.text


def _para(n: int, tag: str) -> str:
    # Distinct words per paragraph, so a lost or repeated paragraph shows in the word sequence.
    return " ".join(f"{tag}{i}" for i in range(n)) + "."


def test_short_tail_after_full_paragraphs_is_kept_once():
    # Regression: 150 / 250 / 40 words lost the first paragraph and stored the second twice.
    text = "\n\n".join([_para(150, "a"), _para(250, "b"), _para(40, "c")])
    passages = split_paragraphs(text, min_words=100, max_words=300)
    assert " ".join(passages).split() == text.split()
    assert [len(p.split()) for p in passages] == [150, 290]


def test_two_paragraphs_with_short_tail_do_not_crash():
    # Regression: 150 / 40 words raised IndexError and aborted the whole ingest.
    text = _para(150, "a") + "\n\n" + _para(40, "b")
    passages = split_paragraphs(text, min_words=100, max_words=300)
    assert passages == [_para(150, "a") + "\n\n" + _para(40, "b")]


def test_sentence_end_quotes_and_brackets_are_kept():
    text = " ".join(f'He said "stop {i}." (Then it ended {i}.)' for i in range(40))
    passages = split_paragraphs(text, min_words=10, max_words=30)
    assert " ".join(passages).split() == text.split()
    assert all(len(p.split()) <= 30 for p in passages)


def test_media_sidecars_in_a_mixed_folder_are_not_text_passages(tmp_path, text_encoder):
    root = tmp_path / "mixed"
    root.mkdir()
    (root / "notes.txt").write_text(TOPICS["bees"], encoding="utf-8")
    colour_image(root / "hive.png", (200, 160, 0))
    (root / "hive.txt").write_text("A wooden beehive painted yellow.", encoding="utf-8")
    (root / "talk.mp4").write_bytes(b"not decoded by a text corpus")
    (root / "talk.srt").write_text("1\n00:00:00,000 --> 00:00:02,000\nHello\n", encoding="utf-8")
    (root / "talk.transcript.json").write_text("[]", encoding="utf-8")
    cfg = make_config(tmp_path, **{"ingest.paragraph_min_words": 5})
    report = Ingestor(cfg, open_store(cfg), text_encoder=text_encoder).ingest(spec("p", "paragraph", "text", "paragraph"), [root])
    assert report.ingested == 1  # notes.txt only: hive.txt is the picture's caption
    skipped = sorted(s.path.rsplit("/", 1)[-1] for s in report.skipped)
    assert skipped == ["hive.png", "talk.mp4"]  # media is no text; its sidecars go unmentioned


def test_an_unexpected_error_in_one_file_skips_that_file_only(tmp_path, text_corpus, text_encoder, monkeypatch):
    import mmrag.ingest.text_units as text_units

    real = text_units.split_paragraphs

    def fragile(text, *a, **kw):
        if "BOOM" in text:
            raise RuntimeError("parser crashed")
        return real(text, *a, **kw)

    monkeypatch.setattr(text_units, "split_paragraphs", fragile)
    (text_corpus / "bad.md").write_text("# Bad\n\nBOOM goes this file.", encoding="utf-8")
    cfg = make_config(tmp_path, **{"ingest.paragraph_min_words": 5})
    report = Ingestor(cfg, open_store(cfg), text_encoder=text_encoder).ingest(spec("p", "paragraph", "text", "paragraph"), [text_corpus])
    assert [s.path.rsplit("/", 1)[-1] for s in report.skipped] == ["bad.md"]
    assert "RuntimeError: parser crashed" in report.skipped[0].reason
    assert report.ingested == 6  # the four records and the two passages of notes.md went in
