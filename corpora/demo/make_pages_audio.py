"""Generate the demo corpus's PDF (the `page` route) and its recording (the `audio` route).

Run from anywhere:  python corpora/demo/make_pages_audio.py

Requirements: reportlab (a dev dependency) for the PDF; the `espeak-ng` program (Debian/Ubuntu:
`apt-get install -y espeak-ng`) and PyAV for the recording. Setup does not run this script: its outputs,
pages/workshop-factsheet.pdf (2 pages) and audio/club-meeting.m4a (about 40 s, AAC mono 16 kHz), are
committed, so `mmrag ingest --all` needs neither reportlab nor espeak-ng. The PDF is written with
reportlab's invariant mode and the audio with fixed encoder settings, so rerunning reproduces them.
"""

from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path

import av
import numpy as np

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"
AUDIO = HERE / "audio"

# Page 1: the bicycle workshop's service prices; page 2: the beekeepers' hive inspection form. Facts that
# appear nowhere else in the demo corpus, so a right answer needs the page.
PRICES = [("Service", "Price", "Time"), ("Puncture repair (inner tube)", "EUR 12", "20 min"),
          ("Wheel truing", "EUR 18", "30 min"), ("Brake pad replacement (pair)", "EUR 15", "20 min"),
          ("Chain replacement", "EUR 22", "25 min"), ("Full annual service", "EUR 89", "2 h")]
INSPECTION = [("Hive", "Queen seen", "Brood frames", "Temper"), ("Hive 1 (Linden)", "yes", "7", "calm"),
              ("Hive 2 (Clover)", "no", "4", "nervous"), ("Hive 3 (Heather)", "yes", "9", "calm")]
# The recording: the bee club's planning meeting, one speaker (espeak-ng voice), said facts only here.
MEETING = (
    "Welcome to the April meeting of the Riverside Bee Club. First item: the spring honey show. "
    "The show will be held on the twelfth of May in the village hall, and entries close on the fifth of May. "
    "Second item: Martin will lead the beginners course this year, on Saturday mornings at nine. "
    "Third item: the club extractor can be borrowed for a fee of five euros a day. "
    "That is all for today. The next meeting is on the seventh of June."
)


def make_pdf(out: Path) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A5
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                       ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold")])
    story = [
        Paragraph("Spoke &amp; Chain Workshop: service prices 2025", styles["Title"]),
        Paragraph("Prices cover labour only; parts are charged extra. Walk-in repairs Monday to Friday.", styles["Normal"]),
        Spacer(1, 10), Table(PRICES, style=grid), Spacer(1, 10),
        Paragraph("Students get 10% off every service on Wednesdays.", styles["Normal"]),
        PageBreak(),
        Paragraph("Riverside Bee Club: hive inspection form", styles["Title"]),
        Paragraph("Inspection of 14 April, apiary at Mill Lane, inspector: J. Okafor.", styles["Normal"]),
        Spacer(1, 10), Table(INSPECTION, style=grid), Spacer(1, 10),
        Paragraph("Action: re-queen Hive 2 before the end of May.", styles["Normal"]),
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    SimpleDocTemplate(str(out), pagesize=A5, invariant=1, title="Workshop and bee club fact sheet").build(story)
    return out


def make_audio(out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", "en-gb", "-s", "150", "-w", str(wav), MEETING], check=True)
        with wave.open(str(wav)) as w:
            rate = w.getframerate()
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=16000)
        stream.layout = "mono"
        stream.bit_rate = 32000
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=16000)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for f in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(f):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out


def main() -> None:
    pdf = make_pdf(PAGES / "workshop-factsheet.pdf")
    m4a = make_audio(AUDIO / "club-meeting.m4a")
    for p in (pdf, m4a):
        print(f"wrote {p.relative_to(HERE)} ({p.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
