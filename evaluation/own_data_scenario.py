"""A new user's first hour, end to end, on data written for this script (not the demo corpus).

Writes notes (Markdown with short and long paragraphs), a recipes JSONL, captioned photos, and a subtitled
video into a scratch folder, with a registry of four corpora — `notes` (paragraph), `recipes` (a route no
router was trained on, described by its registry entry), `photos` (image) and `repairs` (clip) — then
ingests the folder and asks 14 questions through the Python API. Prints, per question, the routes, whether
the gold item was kept and how the answer is grounded, then the shares.

    python evaluation/own_data_scenario.py [--out /tmp/mmrag-own] [--generate/--no-generate]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from fractions import Fraction
from pathlib import Path

import yaml
from PIL import Image, ImageDraw

NOTES = {
    "garden.md": "# Garden notes\n\n"
    "The tomatoes on the south bed get watered every second evening in July, about four litres per plant, "
    "always at the base and never on the leaves, because wet leaves invite blight. " * 2 + "\n\n"
    "Compost mix for the raised beds: three parts brown material (dry leaves, shredded cardboard) to one part "
    "green material (grass clippings, vegetable scraps). Turn the heap every two weeks.\n\n"
    "Slugs: beer traps along the lettuce row.",
    "bike.md": "# Bike maintenance log\n\n"
    "The chain of the commuter bike is cleaned and lubricated every 300 kilometres, or after any ride in the rain. "
    "Use the dry wax lube in summer and the wet lube from November to March. " * 2 + "\n\n"
    "Tyre pressure: 4.5 bar front and 5 bar rear on the 32 mm tyres.",
    "network.md": "# Home network\n\n"
    "When the internet drops, first reboot the fibre modem in the hall cupboard, wait two minutes, then reboot "
    "the mesh router in the living room. The guest Wi-Fi network is called Lighthouse and its password is on "
    "the fridge. The printer has the fixed address 192.168.1.40.",
}
RECIPES = [
    {"id": "shortbread", "title": "Shortbread", "text": "Shortbread: 300 g plain flour, 200 g cold butter and 100 g caster "
     "sugar. Rub the butter into the flour, add the sugar, press into a tin and bake at 160 °C for 40 minutes."},
    {"id": "lentil-soup", "title": "Red lentil soup", "text": "Red lentil soup: fry one onion, add 250 g red lentils, one "
     "litre of stock and a tin of tomatoes; simmer for 25 minutes, then blend and season with cumin."},
]
PHOTOS = {
    "shed.png": ((40, 90, 200), "The garden shed with its bright blue door and a green roof."),
    "boat.png": ((200, 40, 40), "Our red rowing boat moored at the lake jetty."),
}
SUBTITLES = [(0.5, 9.0, "First loosen the quick release lever and open the brake."),
             (10.5, 19.0, "Then lift the bike and pull the rear wheel out of the dropouts."),
             (20.5, 29.0, "Finally pry the tyre off the rim with two plastic tyre levers.")]

# question, gold routes, gold item key (None for no retrieval)
QUESTIONS = [
    ("How often do the tomatoes get watered in July?", ["paragraph"], "garden.md#0"),
    ("What ratio of brown to green material goes into my compost?", ["paragraph"], "garden.md#1"),
    ("How often should the commuter bike chain be lubricated?", ["paragraph"], "bike.md#0"),
    ("What tyre pressure do I use on the rear wheel?", ["paragraph"], "bike.md#1"),
    ("What is the name of the guest Wi-Fi network?", ["paragraph"], "network.md#0"),
    ("Which device do I reboot first when the internet drops?", ["paragraph"], "network.md#0"),
    ("How much butter goes into the shortbread?", ["recipes"], "shortbread"),
    ("How long does the red lentil soup simmer?", ["recipes"], "lentil-soup"),
    ("What colour is the door of the garden shed?", ["image"], "shed.png"),
    ("What colour is our rowing boat in the photo?", ["image"], "boat.png"),
    ("What happens right after the quick release lever is loosened in the repair video?", ["clip"], "wheel.mp4@0-30"),
    ("In the video, what tool is used to pry the tyre off the rim?", ["clip"], "wheel.mp4@0-30"),
    ("What is 12 times 12?", ["none"], None),
    ("Who wrote the novel Pride and Prejudice?", ["none"], None),
]


# The scenario's corpus registry (also read by evaluation/bench_router.py to measure routing alone).
REGISTRY = {"corpora": [
    {"name": "notes", "route": "paragraph", "modality": "text", "granularity": "paragraph",
     "description": "My personal notes about the garden, the bike and the home network.", "sources": ["notes"]},
    {"name": "recipes", "route": "recipes", "modality": "text", "granularity": "paragraph",
     "description": "Cooking and baking recipes: ingredients, quantities, oven temperatures and cooking times.",
     "examples": ["How much flour goes into the pancake batter?", "At what temperature do I bake the lemon cake?",
                  "How long do the onions fry for the curry?"], "sources": ["recipes"]},
    {"name": "photos", "route": "image", "modality": "image", "granularity": "image",
     "description": "My photos with captions.", "sources": ["photos"]},
    {"name": "repairs", "route": "clip", "modality": "video", "granularity": "clip",
     "description": "Moments of my repair videos.", "sources": ["videos"]},
]}


def write_corpus(root: Path) -> Path:
    import av

    for sub in ("notes", "recipes", "photos", "videos"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for name, text in NOTES.items():
        (root / "notes" / name).write_text(text, encoding="utf-8")
    with open(root / "recipes" / "recipes.jsonl", "w", encoding="utf-8") as f:
        for r in RECIPES:
            f.write(json.dumps(r) + "\n")
    for name, (colour, caption) in PHOTOS.items():
        img = Image.new("RGB", (160, 120), colour)
        ImageDraw.Draw(img).rectangle((50, 40, 110, 110), outline=(255, 255, 255), width=3)
        img.save(root / "photos" / name)
        (root / "photos" / name).with_suffix(".txt").write_text(caption, encoding="utf-8")
    video = root / "videos" / "wheel.mp4"
    with av.open(str(video), "w") as out:
        stream = out.add_stream("libx264", rate=2)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        for i in range(60):
            frame = av.VideoFrame.from_image(Image.new("RGB", (64, 64), (i * 4, 100, 255 - i * 4)))
            frame.pts, frame.time_base = i, Fraction(1, 2)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)

    def ts(t: float) -> str:
        return f"00:00:{int(t):02d},{int(t % 1 * 1000):03d}"

    (root / "videos" / "wheel.srt").write_text(
        "".join(f"{i + 1}\n{ts(a)} --> {ts(b)}\n{text}\n\n" for i, (a, b, text) in enumerate(SUBTITLES)), encoding="utf-8")
    registry = REGISTRY
    (root / "corpora.yaml").write_text(yaml.safe_dump(registry, sort_keys=False), encoding="utf-8")
    config = {"data_dir": "data", "corpora": "corpora.yaml", "ingest": {"paragraph_min_words": 40, "asr": False}}
    (root / "mmrag.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root / "mmrag.yaml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp/mmrag-own-data")
    ap.add_argument("--generate", action=argparse.BooleanOptionalAction, default=True)
    args = ap.parse_args()
    from mmrag import Pipeline
    from mmrag.ingest import Ingestor
    from mmrag.store.qdrant import open_store

    root = Path(args.out)
    shutil.rmtree(root, ignore_errors=True)
    cfg_path = write_corpus(root)
    pipe = Pipeline.from_config(cfg_path)
    ingestor = Ingestor(pipe.config, open_store(pipe.config))
    for spec in pipe.registry:
        rep = ingestor.ingest(spec)
        print(f"ingested {spec.name}: {rep.ingested} items, skipped {[(s.path, s.reason) for s in rep.skipped]}")
    pipe.load()
    rows = []
    for q, gold_routes, gold in QUESTIONS:
        t0 = time.perf_counter()
        if args.generate:
            ans = pipe.ask(q)
            trace, text = ans.trace, ans.text
            grounding = ans.grounding  # cited | attributed | unsupported | no_context
        else:
            r = pipe.retrieve(q)
            trace, text, grounding = r.trace(), "", "-"
        routes = trace.decision.routes
        kept = [k.key for k in trace.kept]
        row = {"q": q, "routes": routes, "route_ok": routes == gold_routes, "gold_kept": (gold in kept) if gold else not kept,
               "kept": kept, "grounding": grounding, "answer": text, "s": round(time.perf_counter() - t0, 2)}
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False))
    n = len(rows)
    print(f"\nroutes right {sum(r['route_ok'] for r in rows)}/{n}; gold item kept (or nothing kept for 'none') "
          f"{sum(r['gold_kept'] for r in rows)}/{n}")
    if args.generate:
        with_sources = [r for r in rows if r["kept"]]
        grounded = [r for r in with_sources if r["grounding"] in ("cited", "attributed")]
        print(f"answers with kept sources: {len(with_sources)}; cited or attributed: {len(grounded)}; "
              f"by kind: {json.dumps({k: sum(r['grounding'] == k for r in with_sources) for k in sorted({r['grounding'] for r in with_sources})})}")


if __name__ == "__main__":
    main()
