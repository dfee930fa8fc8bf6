"""A plain rendering of a slide for the ``page`` route: pictures and text boxes drawn at their positions.

No LibreOffice (or other office renderer) is installable from PyPI, so slides are drawn from their shapes
with Pillow: white background, pictures scaled into their frames, text in DejaVu Sans at the shape's
position and (approximate) size. Themes, gradients and SmartArt are not drawn; the text view carries them.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

#: Width of the rendered slide in pixels (the generator downscales further to its max_pixels).
SLIDE_WIDTH_PX = 1280


def _font(size_px: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size_px)
    except OSError:
        return ImageFont.load_default(size=size_px)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            trial = f"{line} {word}".strip()
            if line and draw.textlength(trial, font=font) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return lines


def render_slide(prs, slide) -> Image.Image:
    from mmrag.ingest.formats.pptx import iter_shapes

    scale = SLIDE_WIDTH_PX / max(1, int(prs.slide_width))
    size = (SLIDE_WIDTH_PX, max(1, int(int(prs.slide_height) * scale)))
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    for s in iter_shapes(slide.shapes):
        if s.left is None or s.top is None or s.width is None or s.height is None:
            continue
        box = (int(s.left * scale), int(s.top * scale), int((s.left + s.width) * scale), int((s.top + s.height) * scale))
        w, h = max(1, box[2] - box[0]), max(1, box[3] - box[1])
        if getattr(s, "image", None) is not None and s.shape_type is not None and "PICTURE" in str(s.shape_type):
            try:
                with Image.open(io.BytesIO(s.image.blob)) as pic:
                    img.paste(pic.convert("RGB").resize((w, h)), box[:2])
            except (UnidentifiedImageError, OSError, ValueError):
                draw.rectangle(box, outline="grey")
            continue
        text = ""
        if s.has_text_frame:
            text = "\n".join(p.text for p in s.text_frame.paragraphs if p.text.strip())
        elif getattr(s, "has_table", False) and s.has_table:
            text = "\n".join(" | ".join(c.text for c in r.cells) for r in s.table.rows)
        if not text.strip():
            continue
        pt = None
        for p in getattr(s.text_frame, "paragraphs", []) if s.has_text_frame else []:
            for r in p.runs:
                if r.font.size is not None:
                    pt = r.font.size.pt
                    break
            if pt:
                break
        is_title = s == slide.shapes.title
        px = int((pt or (36 if is_title else 20)) * 12700 * scale)  # points -> EMU -> pixels
        font = _font(max(10, px))
        y = box[1]
        for line in _wrap(draw, text, font, w):
            if y > size[1]:
                break
            draw.text((box[0], y), line, fill="black", font=font)
            y += int(px * 1.25)
    return img
