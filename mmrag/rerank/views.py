"""What a judge sees of a candidate: a trimmed text view, or (for a vision model) image and frame parts."""

from __future__ import annotations

from typing import Any

from mmrag.types import Hit, Item, format_timestamp

QUESTION = "Is this relevant to answering the question? Answer yes or no."
SYSTEM = "You judge whether a retrieved item helps answer a question. Reply with one word: yes or no."


def _trim(text: str, max_chars: int) -> str:
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars].rsplit(" ", 1)[0]
    return cut + " …"


def hit_text(hit: Hit, max_chars: int = 1500) -> str:
    """Text view of a candidate; a document shows its title and the chunk that matched, not the whole text."""
    item = hit.item
    body = hit.matched_chunk if (item.granularity == "document" and hit.matched_chunk) else item.text_view
    parts = []
    if item.title:
        parts.append(f"Title: {item.title}")
    if item.span:
        parts.append(f"Time span: {item.span}")
    parts.append(_trim(body or "", max_chars))
    return "\n".join(p for p in parts if p)


def text_messages(query: str, hit: Hit, max_chars: int = 1500) -> list[dict[str, Any]]:
    """The yes/no judge prompt with the item as text (for text-only models)."""
    user = f"Question: {query}\n\nItem:\n{hit_text(hit, max_chars)}\n\n{QUESTION}"
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def media_parts(item: Item, *, frames: int = 4, max_pixels: int = 448 * 448) -> list[dict[str, Any]]:
    """Image parts for a vision judge: the image, or a few video frames each labelled with its time."""
    if not item.media_path or item.modality not in ("image", "video"):
        return []
    from mmrag.media.images import image_to_data_url, load_image

    if item.modality == "image":
        return [{"type": "image_url", "image_url": {"url": image_to_data_url(load_image(item.media_path), max_pixels=max_pixels)}}]
    from mmrag.media.video import item_frame_times, sample_frames

    times = item_frame_times(item, frames)
    parts: list[dict[str, Any]] = []
    for t, img in sample_frames(item.media_path, times):
        parts.append({"type": "text", "text": f"Frame at {format_timestamp(t)}:"})
        parts.append({"type": "image_url", "image_url": {"url": image_to_data_url(img, max_pixels=max_pixels)}})
    return parts


def vision_messages(query: str, hit: Hit, *, max_chars: int = 1500, frames: int = 4, max_pixels: int = 448 * 448) -> list[dict[str, Any]]:
    """The yes/no judge prompt with the item's images or frames plus its text view."""
    media = media_parts(hit.item, frames=frames, max_pixels=max_pixels)
    if not media:
        return text_messages(query, hit, max_chars)
    content: list[dict[str, Any]] = [{"type": "text", "text": f"Question: {query}\n\nItem:"}]
    content += media
    text = hit_text(hit, max_chars)
    if text.strip():
        content.append({"type": "text", "text": text})
    content.append({"type": "text", "text": QUESTION})
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": content}]
