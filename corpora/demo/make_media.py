"""Generate the demo corpus media: 15 PNG images (+ caption sidecars) and 2 MP4 videos.

Run from anywhere:  python corpora/demo/make_media.py

Requirements: Pillow, PyAV (with libx264 and aac encoders), numpy, matplotlib (only for its bundled
DejaVuSans TrueType fonts) and the `espeak-ng` command-line program for the narration of sourdough.mp4
(Debian/Ubuntu: `apt-get install -y espeak-ng`).

The output is deterministic (no randomness, fixed encoder settings), so rerunning it reproduces the committed
files. Setup does not run this script; its outputs are committed under images/ and videos/.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
IMAGES = HERE / "images"
VIDEOS = HERE / "videos"
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"

INK = (20, 20, 30)
PAPER = (250, 248, 240)


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def fitted_font(draw: ImageDraw.ImageDraw, text: str, max_width: int, size: int, bold: bool = False,
                min_size: int = 16) -> ImageFont.FreeTypeFont:
    """Largest font <= size whose rendering of `text` fits max_width (never below min_size)."""
    while size > min_size and draw.textlength(text, font=font(size, bold)) > max_width:
        size -= 1
    return font(size, bold)


def canvas(w: int, h: int, bg=PAPER) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", (w, h), bg)
    return img, ImageDraw.Draw(img)


def title(d: ImageDraw.ImageDraw, w: int, text: str, y: int = 10, size: int = 26) -> None:
    f = fitted_font(d, text, w - 20, size, bold=True, min_size=20)
    d.text((w // 2, y), text, font=f, fill=INK, anchor="ma")


def label(d: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, size: int = 20, anchor: str = "la",
          box: bool = True) -> None:
    """Dark text on a light box, so labels stay legible (and OCR-readable) over drawings."""
    f = font(size)
    if box:
        l, t, r, b = d.textbbox(xy, text, font=f, anchor=anchor)
        d.rectangle((l - 4, t - 3, r + 4, b + 3), fill=(255, 255, 255), outline=(90, 90, 90))
    d.text(xy, text, font=f, fill=INK, anchor=anchor)


def save_png(img: Image.Image, name: str, caption: str) -> None:
    # An adaptive 64-colour palette keeps flat drawings + anti-aliased text crisp and each PNG far under 60 KB.
    img.convert("P", palette=Image.ADAPTIVE, colors=64).save(IMAGES / f"{name}.png", optimize=True)
    (IMAGES / f"{name}.txt").write_text(caption.strip() + "\n", encoding="utf-8")


def hbar_chart(name: str, heading: str, rows: list[tuple[str, float, str]], colors: list[tuple[int, int, int]],
               vmax: float, caption: str, w: int = 512, h: int = 384) -> None:
    """Horizontal bar chart: each row is (label, value, printed value)."""
    img, d = canvas(w, h)
    title(d, w, heading)
    f = font(20)
    lw = max(int(d.textlength(r[0], font=f)) for r in rows) + 20
    top, bottom = 60, h - 20
    step = (bottom - top) // len(rows)
    for i, ((lab, val, printed), col) in enumerate(zip(rows, colors)):
        y = top + i * step
        d.text((lw - 10, y + step // 2), lab, font=f, fill=INK, anchor="rm")
        bw = int((w - lw - 120) * val / vmax)
        d.rectangle((lw, y + 8, lw + bw, y + step - 8), fill=col, outline=INK)
        d.text((lw + bw + 8, y + step // 2), printed, font=font(20, True), fill=INK, anchor="lm")
    save_png(img, name, caption)


# ----------------------------------------------------------------------------------------------- volcanoes
def volcano_cross_section() -> None:
    w, h = 512, 448
    img, d = canvas(w, h, (225, 238, 250))
    d.rectangle((0, 300, w, h), fill=(196, 170, 130))
    d.polygon([(70, 300), (220, 110), (292, 110), (442, 300)], fill=(140, 130, 120), outline=INK)
    d.ellipse((170, 355, 342, 425), fill=(215, 60, 30), outline=INK)
    d.rectangle((246, 112, 266, 360), fill=(215, 60, 30))
    d.polygon([(256, 112), (300, 180), (330, 300), (300, 300), (280, 190)], fill=(245, 140, 30))
    for cx, cy, r in [(236, 70, 28), (276, 62, 32), (256, 40, 26), (312, 48, 22), (206, 52, 20)]:
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(120, 120, 125))
    for text, xy, target in [("Ash cloud", (352, 30), (320, 50)), ("Crater", (40, 110), (236, 112)),
                             ("Lava flow", (360, 200), (318, 250)), ("Conduit", (40, 220), (246, 230)),
                             ("Magma chamber", (20, 330), (180, 385))]:
        d.line((xy[0] + 40, xy[1] + 12, *target), fill=INK, width=2)
        label(d, xy, text, size=22)
    d.text((12, 12), "Inside a volcano", font=font(26, True), fill=INK)
    save_png(img, "volcano-cross-section", "A labelled cross-section of a volcano showing the magma chamber, the "
             "conduit rising to the crater, a lava flow down the flank and an ash cloud above the summit.")


def vei_chart() -> None:
    rows = [("Vesuvius 79", 5, "VEI 5"), ("St Helens 1980", 5, "VEI 5"), ("Krakatoa 1883", 6, "VEI 6"),
            ("Pinatubo 1991", 6, "VEI 6"), ("Tambora 1815", 7, "VEI 7")]
    cols = [(250, 200, 120), (250, 170, 90), (240, 130, 70), (230, 100, 60), (200, 50, 40)]
    hbar_chart("vei-chart", "Volcanic Explosivity Index", rows, cols, 7,
               "A horizontal bar chart of the Volcanic Explosivity Index of five famous eruptions: Vesuvius 79 and "
               "St Helens 1980 (VEI 5), Krakatoa 1883 and Pinatubo 1991 (VEI 6), and Tambora 1815 (VEI 7), the largest.")


def volcano_gas_sign() -> None:
    w, h = 448, 352
    img, d = canvas(w, h, (255, 214, 0))
    d.rectangle((8, 8, w - 9, h - 9), outline=INK, width=6)
    d.text((w // 2, 28), "DANGER", font=font(44, True), fill=INK, anchor="ma")
    d.text((w // 2, 86), "VOLCANIC GAS", font=font(32, True), fill=INK, anchor="ma")
    lines = ["Sulphur dioxide fumes", "Do not stop for the next 2 km", "Keep car windows closed",
             "Asthma or heart problems:", "avoid this area"]
    for i, line in enumerate(lines):
        d.text((w // 2, 148 + i * 36), line, font=font(22), fill=INK, anchor="ma")
    save_png(img, "volcano-gas-sign", "A yellow roadside warning sign reading DANGER VOLCANIC GAS, warning of "
             "sulphur dioxide fumes, telling drivers not to stop for the next 2 km and to keep windows closed.")


# ----------------------------------------------------------------------------------------------- honeybees
def bee_anatomy() -> None:
    w, h = 512, 400
    img, d = canvas(w, h)
    title(d, w, "Worker honeybee")
    d.ellipse((180, 90, 330, 170), fill=(215, 230, 245), outline=(90, 110, 140), width=2)  # forewing
    d.ellipse((210, 135, 320, 190), fill=(205, 222, 240), outline=(90, 110, 140), width=2)  # hindwing
    d.ellipse((70, 180, 140, 250), fill=(90, 60, 30), outline=INK, width=2)  # head
    d.ellipse((80, 195, 106, 225), fill=(30, 30, 30))  # compound eye
    d.ellipse((135, 170, 235, 265), fill=(150, 100, 40), outline=INK, width=2)  # thorax
    d.ellipse((225, 175, 395, 265), fill=(235, 170, 40), outline=INK, width=2)  # abdomen
    for x in (270, 310, 350):
        d.rectangle((x, 180, x + 16, 260), fill=(60, 40, 20))
    d.polygon([(393, 214), (420, 220), (393, 226)], fill=INK)  # stinger
    d.line((95, 185, 60, 120), fill=INK, width=3)
    d.line((110, 182, 120, 118), fill=INK, width=3)
    for x in (160, 190, 215):
        d.line((x, 260, x - 15, 320), fill=INK, width=3)
    for text, xy, target in [("Antenna", (10, 80), (70, 130)), ("Compound eye", (10, 300), (90, 222)),
                             ("Head", (40, 350), (100, 248)), ("Thorax", (150, 345), (185, 262)),
                             ("Wings (4)", (340, 70), (290, 110)), ("Abdomen", (300, 300), (320, 262)),
                             ("Stinger", (410, 250), (415, 224))]:
        d.line((xy[0] + 30, xy[1] + 12, *target), fill=INK, width=2)
        label(d, xy, text)
    save_png(img, "bee-anatomy", "A labelled drawing of a worker honeybee showing its head with antennae and a "
             "compound eye, the thorax with four wings, and the striped abdomen ending in a stinger.")


def bee_development_chart() -> None:
    rows = [("Queen", 16, "16 days"), ("Worker", 21, "21 days"), ("Drone", 24, "24 days")]
    cols = [(150, 90, 200), (240, 180, 40), (140, 90, 50)]
    hbar_chart("bee-development-chart", "Days from egg to adult bee", rows, cols, 24,
               "A bar chart of honeybee development time from egg to adult: the queen takes 16 days, a worker 21 "
               "days and a drone 24 days.", h=320)


def waggle_dance() -> None:
    w, h = 448, 448
    img, d = canvas(w, h, (252, 240, 200))
    title(d, w, "Reading the waggle dance")
    cx, cy = 170, 300
    d.line((cx, cy, cx, 90), fill=(40, 90, 200), width=4)
    d.polygon([(cx - 10, 95), (cx + 10, 95), (cx, 75)], fill=(40, 90, 200))
    label(d, (cx + 14, 80), "UP = direction of sun", size=20)
    ang = math.radians(40)
    ex, ey = cx + 200 * math.sin(ang), cy - 200 * math.cos(ang)
    pts = []
    for i in range(0, 21):  # zig-zag waggle run along the 40-degree line
        t = i / 20
        off = (8 if i % 2 else -8) if 0 < i < 20 else 0
        pts.append((cx + t * (ex - cx) + off * math.cos(ang), cy + t * (ey - cy) + off * math.sin(ang)))
    d.line(pts, fill=(200, 40, 40), width=4)
    d.arc((cx - 60, cy - 60, cx + 60, cy + 60), start=-90, end=-50, fill=INK, width=3)
    d.text((cx + 14, cy - 96), "40°", font=font(24, True), fill=INK)
    label(d, (250, 120), "Waggle run", size=20)
    d.text((w // 2, 350), "Food is 40° right of the sun", font=font(22), fill=INK, anchor="ma")
    d.text((w // 2, 390), "1 second of waggling ≈ 1 km", font=font(22), fill=INK, anchor="ma")
    save_png(img, "waggle-dance", "A diagram explaining the honeybee waggle dance: a red waggle run angled 40 degrees "
             "right of vertical means the food is 40 degrees right of the sun, and one second of waggling means about 1 km.")


# ----------------------------------------------------------------------------------------------- sourdough
def starter_card() -> None:
    w, h = 448, 384
    img, d = canvas(w, h, (245, 236, 215))
    d.rounded_rectangle((10, 10, w - 11, h - 11), radius=18, outline=(120, 90, 50), width=4)
    title(d, w, "Daily starter feed", y=26, size=28)
    d.text((w // 2, 76), "1 : 1 : 1", font=font(44, True), fill=(120, 60, 20), anchor="ma")
    for i, line in enumerate(["50 g starter", "50 g flour", "50 g water"]):
        d.text((w // 2, 148 + i * 38), line, font=font(26), fill=INK, anchor="ma")
    d.text((w // 2, 278), "Peak after 4-6 hours", font=font(24, True), fill=INK, anchor="ma")
    d.text((w // 2, 316), "at 24 °C", font=font(24, True), fill=INK, anchor="ma")
    save_png(img, "starter-feeding-card", "A recipe card for the daily sourdough starter feed at a 1:1:1 ratio: 50 g "
             "starter, 50 g flour and 50 g water, peaking after 4-6 hours at 24 °C.")


def starter_rise_chart() -> None:
    w, h = 512, 384
    img, d = canvas(w, h)
    title(d, w, "Starter rise after feeding")
    hours = [0, 2, 4, 6, 8, 10, 12]
    rise = [0, 10, 40, 85, 110, 95, 70]
    x0, y0, x1, y1 = 80, 320, 490, 70  # plot box: (x0, y0) is the origin
    d.line((x0, y0, x1, y0), fill=INK, width=2)
    d.line((x0, y0, x0, y1), fill=INK, width=2)
    f = font(20)
    for v in (0, 50, 100):
        y = y0 - (y0 - y1) * v / 120
        d.line((x0 - 5, y, x1, y), fill=(210, 210, 210))
        d.text((x0 - 8, y), f"{v}%", font=f, fill=INK, anchor="rm")
    pts = [(x0 + (x1 - x0) * hr / 12, y0 - (y0 - y1) * r / 120) for hr, r in zip(hours, rise)]
    for hr, (px, _) in zip(hours, pts):
        d.text((px, y0 + 6), str(hr), font=f, fill=INK, anchor="ma")
    d.line(pts, fill=(190, 90, 30), width=4)
    for px, py in pts:
        d.ellipse((px - 5, py - 5, px + 5, py + 5), fill=(190, 90, 30))
    d.text(((x0 + x1) // 2, y0 + 32), "Hours after feeding", font=f, fill=INK, anchor="ma")
    label(d, (pts[4][0], pts[4][1] - 14), "Peak +110% at 8 h", anchor="md")
    save_png(img, "starter-rise-chart", "A line chart of sourdough starter rise after feeding, in percent over 12 hours: "
             "it rises slowly at first, peaks at +110% after 8 hours and then falls back to +70% at 12 hours.")


def bakers_percentages() -> None:
    rows = [("Flour", 100, "100% = 500 g"), ("Water", 75, "75% = 375 g"), ("Levain", 20, "20% = 100 g"),
            ("Salt", 2, "2% = 10 g")]
    cols = [(235, 220, 190), (140, 190, 235), (200, 160, 110), (200, 200, 200)]
    hbar_chart("bakers-percentages", "Baker's percentages", rows, cols, 165,
               "A bar chart of baker's percentages for one sourdough loaf: flour 100% = 500 g, water 75% = 375 g, "
               "levain 20% = 100 g and salt 2% = 10 g.")


# ----------------------------------------------------------------------------------------------- bicycles
def tyre_pressure_chart() -> None:
    rows = [("Road", 90, "90 psi"), ("Hybrid", 60, "60 psi"), ("Gravel", 40, "40 psi"), ("Mountain", 28, "28 psi")]
    cols = [(70, 120, 200), (90, 170, 120), (190, 150, 90), (170, 80, 60)]
    hbar_chart("tyre-pressure-chart", "Typical tyre pressure", rows, cols, 90,
               "A bar chart of typical bicycle tyre pressures: road 90 psi, hybrid 60 psi, gravel 40 psi and "
               "mountain bike 28 psi.")


def valve_types() -> None:
    w, h = 448, 400
    img, d = canvas(w, h)
    title(d, w, "Bicycle valve types")
    # Presta: slim body, lock nut near the tip.
    d.rectangle((104, 110, 120, 330), fill=(190, 190, 195), outline=INK, width=2)
    d.rectangle((106, 80, 118, 110), fill=(160, 160, 165), outline=INK)
    d.rectangle((98, 90, 126, 102), fill=(120, 120, 125), outline=INK)
    d.text((112, 338), "Presta", font=font(24, True), fill=INK, anchor="ma")
    d.text((112, 368), "6 mm", font=font(22), fill=INK, anchor="ma")
    label(d, (136, 84), "Lock nut", size=20)
    # Schrader: wide body with a centre pin, like a car valve.
    d.rectangle((300, 110, 340, 330), fill=(60, 60, 60), outline=INK, width=2)
    d.rectangle((304, 86, 336, 110), fill=(180, 150, 60), outline=INK)
    d.line((320, 86, 320, 104), fill=INK, width=3)
    d.text((320, 338), "Schrader", font=font(24, True), fill=INK, anchor="ma")
    d.text((320, 368), "8 mm", font=font(22), fill=INK, anchor="ma")
    label(d, (236, 54), "Centre pin", size=20)
    save_png(img, "valve-types", "A labelled drawing comparing the two common bicycle valves: the slim 6 mm Presta "
             "valve with a lock nut at its tip and the wider 8 mm Schrader valve with a centre pin.")


def flat_repair_steps() -> None:
    w, h = 448, 448
    img, d = canvas(w, h, (235, 245, 235))
    title(d, w, "Fix a flat in 5 steps", size=28)
    steps = ["Remove the wheel", "Lever the tyre off", "Find the cause", "Patch or new tube", "Refit and inflate"]
    for i, s in enumerate(steps):
        y = 80 + i * 70
        d.ellipse((30, y, 80, y + 50), fill=(40, 120, 70))
        d.text((55, y + 25), str(i + 1), font=font(28, True), fill=(255, 255, 255), anchor="mm")
        d.text((100, y + 25), s, font=font(26), fill=INK, anchor="lm")
    save_png(img, "flat-repair-steps", "A step card titled Fix a flat in 5 steps: 1 remove the wheel, 2 lever the "
             "tyre off, 3 find the cause, 4 patch or new tube, 5 refit and inflate.")


# ----------------------------------------------------------------------------------------------- Apollo
def saturn_v_diagram() -> None:
    w, h = 400, 512
    img, d = canvas(w, h)
    title(d, w, "Saturn V: 110.6 m")
    x0, x1 = 60, 110
    d.line((85, 50, 85, 80), fill=INK, width=3)  # launch escape tower
    d.polygon([(70, 110), (85, 80), (100, 110)], fill=(200, 200, 205), outline=INK)
    d.rectangle((70, 110, 100, 150), fill=(230, 230, 235), outline=INK)
    d.rectangle((72, 150, 98, 205), fill=(250, 250, 250), outline=INK)
    d.rectangle((x0 + 5, 205, x1 - 5, 265), fill=(250, 250, 250), outline=INK)
    d.rectangle((x0, 265, x1, 355), fill=(250, 250, 250), outline=INK)
    d.rectangle((x0, 355, x1, 475), fill=(250, 250, 250), outline=INK)
    for y in (300, 400, 440):
        d.rectangle((x0, y, x1, y + 12), fill=(30, 30, 30))
    d.polygon([(x0, 475), (x0 - 12, 495), (x1 + 12, 495), (x1, 475)], fill=(60, 60, 60))
    for text, ty, target_y in [("Escape tower", 55, 70), ("Apollo spacecraft", 115, 140),
                               ("S-IVB: 1 J-2 engine", 200, 235), ("S-II: 5 J-2 engines", 285, 310),
                               ("S-IC: 5 F-1 engines", 400, 420)]:
        d.line((x1 + 6, target_y, 140, ty + 12), fill=INK, width=2)
        label(d, (144, ty), text, size=20)
    save_png(img, "saturn-v-diagram", "A labelled diagram of the 110.6 m Saturn V rocket: the S-IC first stage with "
             "5 F-1 engines, the S-II second stage with 5 J-2 engines, the S-IVB third stage with 1 J-2 engine, the "
             "Apollo spacecraft and the launch escape tower.")


def apollo_samples_chart() -> None:
    w, h = 512, 400
    img, d = canvas(w, h)
    title(d, w, "Moon rock returned (kg)")
    data = [("11", 21.5), ("12", 34.3), ("14", 42.8), ("15", 77.3), ("16", 95.7), ("17", 110.5)]
    x0, y0, top = 40, 330, 80
    bw = 62
    for i, (m, kg) in enumerate(data):
        x = x0 + i * 76
        y = y0 - (y0 - top) * kg / 115
        d.rectangle((x, y, x + bw, y0), fill=(90, 110, 160), outline=INK)
        d.text((x + bw // 2, y - 4), f"{kg:g}", font=font(20, True), fill=INK, anchor="md")
        d.text((x + bw // 2, y0 + 6), m, font=font(22), fill=INK, anchor="ma")
    d.line((x0 - 10, y0, w - 10, y0), fill=INK, width=2)
    d.text((w // 2, y0 + 38), "Apollo mission", font=font(20), fill=INK, anchor="ma")
    save_png(img, "apollo-samples-chart", "A bar chart of lunar samples returned by each Apollo landing in kilograms: "
             "Apollo 11 21.5, Apollo 12 34.3, Apollo 14 42.8, Apollo 15 77.3, Apollo 16 95.7 and Apollo 17 110.5.")


def apollo_timeline() -> None:
    w, h = 512, 448
    img, d = canvas(w, h, (235, 238, 248))
    title(d, w, "Apollo Moon landings")
    rows = [("Apollo 11", "Jul 1969", "Tranquility"), ("Apollo 12", "Nov 1969", "Ocean of Storms"),
            ("Apollo 14", "Feb 1971", "Fra Mauro"), ("Apollo 15", "Jul 1971", "Hadley"),
            ("Apollo 16", "Apr 1972", "Descartes"), ("Apollo 17", "Dec 1972", "Taurus-Littrow")]
    d.line((30, 70, 30, 420), fill=(60, 70, 120), width=4)
    for i, (m, date, site) in enumerate(rows):
        y = 80 + i * 58
        d.ellipse((22, y + 4, 38, y + 20), fill=(60, 70, 120))
        d.text((50, y), m, font=font(21, True), fill=INK)
        d.text((170, y), date, font=font(21), fill=INK)
        d.text((290, y), site, font=font(21), fill=INK)
    save_png(img, "apollo-landings-timeline", "A timeline of the six Apollo Moon landings with dates and sites, from "
             "Apollo 11 at Tranquility in July 1969 to Apollo 17 at Taurus-Littrow in December 1972.")


# ----------------------------------------------------------------------------------------------- videos
FPS = 2
SLIDE_S = 15
W, H = 320, 240
SR = 16_000  # narration sample rate (mono)


@dataclass
class Slide:
    title: str
    bullets: list[str]
    speech: str  # narration (sourdough) or subtitle text (bicycle)


SOURDOUGH = [
    Slide("1. Feed the starter", ["20 g starter", "50 g flour, 50 g water", "Wait 10-12 hours"],
          "Step one. Feed the starter. Mix twenty grams of ripe starter with fifty grams of flour and fifty grams "
          "of water. Wait ten to twelve hours, until it has doubled in size."),
    Slide("2. Autolyse", ["500 g flour", "350 g water", "Rest for 1 hour"],
          "Step two. The autolyse. Mix five hundred grams of flour with three hundred and fifty grams of water. "
          "Cover the bowl and let it rest for one hour."),
    Slide("3. Levain and salt", ["Add 100 g levain", "Add 10 g salt", "Squeeze in by hand"],
          "Step three. Add one hundred grams of levain and squeeze it in by hand. Then add ten grams of salt "
          "with the last of the water."),
    Slide("4. Bulk fermentation", ["5 hours at 25 °C", "4 stretch and folds", "Rise by about half"],
          "Step four. The bulk fermentation. Keep the dough at twenty five degrees for five hours, with four sets of "
          "stretch and folds. It should rise by about half."),
    Slide("5. Shape, cold proof", ["Shape a tight batard", "Banneton, rice flour", "Fridge 4 °C overnight"],
          "Step five. Shape a tight batard and place it in a banneton dusted with rice flour. Proof it in the "
          "fridge at four degrees Celsius, overnight."),
    Slide("6. Score and bake", ["Dutch oven, 250 °C", "20 min with lid on", "25 min lid off, 230 °C"],
          "Step six. Score the loaf and bake it in a Dutch oven at two hundred and fifty degrees, twenty minutes "
          "with the lid on, then twenty five minutes with the lid off."),
]

BICYCLE = [
    Slide("1. Remove the wheel", ["Shift to smallest cog", "Open brake and lever", "Lift the wheel out"],
          "Shift to the smallest cog.|Open the brake and the quick release, then lift the wheel out."),
    Slide("2. Tyre off", ["Let all air out", "Levers opposite valve", "Pull out the tube"],
          "Let all the air out of the tube.|Hook two tyre levers under the bead opposite the valve and pull the tube out."),
    Slide("3. Find the cause", ["Pump tube, find leak", "Feel inside the tyre", "Remove glass or thorn"],
          "Pump up the old tube and listen for the leak.|Feel carefully inside the tyre and remove any glass or thorn."),
    Slide("4. Patch the tube", ["Sand around the hole", "Solution: wait 5 min", "Press patch 1 min"],
          "Sand around the hole and spread vulcanising solution; wait five minutes until it is dry.|"
          "Press the patch on firmly and hold it for one minute."),
    Slide("5. Refit the tyre", ["Tube slightly inflated", "Valve in first", "Thumbs, not levers"],
          "Put a little air in the tube and push the valve through the rim first.|"
          "Work the bead back on with your thumbs, not levers, to avoid pinching the tube."),
    Slide("6. Inflate and check", ["Pressure on sidewall", "Check the bead line", "Refit, spin the wheel"],
          "Inflate to the pressure printed on the sidewall and check that the bead line is even.|"
          "Refit the wheel and spin it to check that nothing rubs."),
]

BACKGROUNDS = [(255, 250, 235), (240, 248, 255), (245, 255, 240), (255, 245, 245), (250, 245, 255), (245, 250, 250)]


def slide_frame(video_title: str, slide: Slide, index: int) -> Image.Image:
    img, d = canvas(W, H, BACKGROUNDS[index % len(BACKGROUNDS)])
    d.rectangle((0, 0, W, 24), fill=(60, 60, 80))
    d.text((8, 12), video_title, font=font(14), fill=(255, 255, 255), anchor="lm")
    d.text((W - 8, 12), f"{index + 1}/6", font=font(14), fill=(255, 255, 255), anchor="rm")
    d.text((W // 2, 44), slide.title, font=fitted_font(d, slide.title, W - 16, 26, bold=True, min_size=20),
           fill=INK, anchor="ma")
    for i, b in enumerate(slide.bullets):
        y = 106 + i * 42
        d.ellipse((14, y - 5, 24, y + 5), fill=(80, 80, 80))
        d.text((32, y), b, font=fitted_font(d, b, W - 40, 22, min_size=18), fill=INK, anchor="lm")
    return img


def open_video(path: Path) -> tuple[av.container.OutputContainer, av.video.stream.VideoStream]:
    out = av.open(str(path), mode="w", format="mp4")
    vs = out.add_stream("libx264", rate=FPS)
    vs.width, vs.height, vs.pix_fmt = W, H, "yuv420p"
    # Slides are static; a long GOP + high CRF keeps each 90-s video ~100 KB. threads=1 keeps output reproducible.
    vs.options = {"crf": "28", "preset": "medium", "g": "30", "threads": "1"}
    vs.codec_context.time_base = Fraction(1, FPS)
    return out, vs


def write_frames(out, vs, video_title: str, slides: list[Slide]) -> None:
    frames = [slide_frame(video_title, s, i) for i, s in enumerate(slides)]
    for n in range(len(slides) * SLIDE_S * FPS):
        vf = av.VideoFrame.from_image(frames[n // (SLIDE_S * FPS)])
        vf.pts, vf.time_base = n, Fraction(1, FPS)
        for pkt in vs.encode(vf):
            out.mux(pkt)
    for pkt in vs.encode():
        out.mux(pkt)


def espeak(text: str, workdir: Path) -> np.ndarray:
    """Synthesise `text` with espeak-ng and return mono float32 samples at SR."""
    wav = workdir / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "155", "-w", str(wav), text], check=True)
    with wave.open(str(wav)) as wf:
        rate = wf.getframerate()
        pcm = np.frombuffer(wf.readframes(wf.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0
    # Linear resampling is plenty for speech meant for ASR; it avoids a resampler dependency.
    n_out = int(round(len(pcm) * SR / rate))
    return np.interp(np.arange(n_out) * rate / SR, np.arange(len(pcm)), pcm).astype(np.float32)


def narration_track(slides: list[Slide]) -> np.ndarray:
    total = np.zeros(len(slides) * SLIDE_S * SR, dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        for i, s in enumerate(slides):
            speech = espeak(s.speech, Path(tmp))
            if len(speech) > (SLIDE_S - 1) * SR:
                raise SystemExit(f"narration of slide {i + 1} is {len(speech) / SR:.1f} s; shorten it below 14 s")
            start = (i * SLIDE_S + 0.5) * SR  # speech starts half a second into its slide
            total[int(start):int(start) + len(speech)] = speech
    return total


def make_sourdough() -> None:
    out, vs = open_video(VIDEOS / "sourdough.mp4")
    aus = out.add_stream("aac", rate=SR, layout="mono")
    aus.bit_rate = 32_000
    write_frames(out, vs, "How to bake sourdough", SOURDOUGH)
    audio = narration_track(SOURDOUGH)
    chunk = 1024  # AAC frame size
    for k in range(0, len(audio), chunk):
        block = audio[k:k + chunk]
        af = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="fltp", layout="mono")
        af.sample_rate, af.pts, af.time_base = SR, k, Fraction(1, SR)
        for pkt in aus.encode(af):
            out.mux(pkt)
    for pkt in aus.encode():
        out.mux(pkt)
    out.close()


def srt_time(t: float) -> str:
    ms = int(round(t * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def make_bicycle() -> None:
    out, vs = open_video(VIDEOS / "bicycle-tyre.mp4")
    write_frames(out, vs, "Fix a flat bicycle tyre", BICYCLE)
    out.close()
    cues = []
    for i, s in enumerate(BICYCLE):
        first, second = s.speech.split("|")
        t0 = i * SLIDE_S
        cues += [(t0 + 0.5, t0 + 7.0, first), (t0 + 7.5, t0 + 14.5, second)]
    srt = "".join(f"{n}\n{srt_time(a)} --> {srt_time(b)}\n{text}\n\n" for n, (a, b, text) in enumerate(cues, 1))
    (VIDEOS / "bicycle-tyre.srt").write_text(srt, encoding="utf-8")


def main() -> None:
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng not found: install it (apt-get install -y espeak-ng) to narrate sourdough.mp4")
    IMAGES.mkdir(exist_ok=True)
    VIDEOS.mkdir(exist_ok=True)
    for make in (volcano_cross_section, vei_chart, volcano_gas_sign, bee_anatomy, bee_development_chart,
                 waggle_dance, starter_card, starter_rise_chart, bakers_percentages, tyre_pressure_chart,
                 valve_types, flat_repair_steps, saturn_v_diagram, apollo_samples_chart, apollo_timeline):
        make()
    make_sourdough()
    make_bicycle()
    print("wrote", len(list(IMAGES.glob("*.png"))), "images and", len(list(VIDEOS.glob("*.mp4"))), "videos")


if __name__ == "__main__":
    main()
