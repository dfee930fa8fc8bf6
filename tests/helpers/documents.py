"""Builders of real documents for the format tests (no tests here): PDF, DOCX, PPTX, XLSX, CSV, HTML."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

PAGES = [
    "The lighthouse at Cape Wrath was built in 1828 by Robert Stevenson. Its keepers trimmed the lamp wicks every four hours.",
    "Sourdough starter needs feeding with equal weights of flour and water. A lively starter doubles within six hours.",
]
SCANNED_TEXT = "Glaciers move forty metres per year"


def text_image(text: str, size=(1200, 200), font_size: int = 56) -> Image.Image:
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    draw.text((30, 60), text, fill="black", font=ImageFont.load_default(size=font_size))
    return img


def make_pdf(path: Path, pages: list[str] = PAGES, scanned: str | None = SCANNED_TEXT, picture: bool = False) -> Path:
    """One text page per entry of ``pages``; then, if ``scanned``, a page that is only an image of that text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle(path.stem.replace("-", " ").title())
    w, h = A4
    for text in pages:
        y = h - 72
        words, line = text.split(), ""
        for word in words:  # wrap by hand: reportlab's canvas draws single lines
            if len(line) + len(word) > 80:
                c.drawString(72, y, line)
                y, line = y - 16, ""
            line = f"{line} {word}".strip()
        c.drawString(72, y, line)
        if picture:
            img = Image.new("RGB", (200, 120), (30, 120, 200))
            ImageDraw.Draw(img).ellipse((40, 20, 160, 100), fill=(250, 200, 0))
            c.drawImage(ImageReader(img), 72, y - 200, width=200, height=120)
        c.showPage()
    if scanned:
        c.drawImage(ImageReader(text_image(scanned)), 36, h - 300, width=w - 72, height=(w - 72) / 6)
        c.showPage()
    c.save()
    return path


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.core_properties.title = "Field guide to owls"
    d.add_heading("Barn owls", level=1)
    d.add_paragraph("Barn owls hunt voles at night and can hear a mouse under snow.")
    d.add_heading("Owl weights", level=2)
    t = d.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate([("Species", "Weight"), ("Barn owl", "350 g"), ("Snowy owl", "2 kg")]):
        t.cell(r, 0).text, t.cell(r, 1).text = a, b
    d.add_paragraph("Tawny owls call with the familiar hoot.")
    d.save(str(path))
    return path


def make_pptx(path: Path) -> Path:
    from pptx import Presentation

    prs = Presentation()
    s1 = prs.slides.add_slide(prs.slide_layouts[1])
    s1.shapes.title.text = "Quarterly results"
    s1.placeholders[1].text = "Revenue grew 12 percent in the third quarter."
    s1.notes_slide.notes_text_frame.text = "Mention the new Lisbon office opened in August."
    s2 = prs.slides.add_slide(prs.slide_layouts[1])
    s2.shapes.title.text = "Hiring plan"
    s2.placeholders[1].text = "We will hire nine engineers next year."
    prs.save(str(path))
    return path


def make_xlsx(path: Path, empty_rows: int = 0) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Planets"
    ws.append(["Planet", "Moons", "Day length"])
    ws.append(["Mars", 2, "24.6 h"])
    ws.append(["Jupiter", 95, "9.9 h"])
    wb.save(str(path))
    return path


def make_html(path: Path) -> Path:
    path.write_text(
        "<html><head><title>Tea brewing guide</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/shop'>Shop</a></nav>"
        "<article><h1>Brewing green tea</h1>"
        "<p>Green tea tastes best brewed at 80 degrees Celsius for two minutes. Boiling water makes it bitter.</p>"
        "<p>Black tea can take boiling water and four minutes of steeping.</p></article>"
        "<footer>Copyright 2024 Tea Shop. All rights reserved.</footer></body></html>", encoding="utf-8")
    return path


def make_zero_page_pdf(path: Path) -> Path:
    """A well-formed PDF whose page tree is empty (the bytes pypdf's PdfWriter writes for no pages)."""
    objs = [b"<<\n/Producer (pypdf)\n>>", b"<<\n/Type /Pages\n/Count 0\n/Kids [ ]\n>>", b"<<\n/Type /Catalog\n/Pages 2 0 R\n>>"]
    out = bytearray(b"%PDF-1.3\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<<\n/Size %d\n/Root 3 0 R\n/Info 1 0 R\n>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))
    return path
