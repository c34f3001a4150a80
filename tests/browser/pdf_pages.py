"""The pages of a PDF as pictures, drawn by the browser the journeys already use (Chromium's own PDF viewer):
for the funder-facing screenshot set (`make screenshots`), without another tool to install."""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

# An A4 page (1 : √2) fitted in the window, large enough to read its figures.
PDF_VIEWPORT = {"width": 820, "height": 1160}
DRAWN_WITHIN_S = 30  # the viewer draws a page in a moment; much longer on a loaded machine


def _drawn(page) -> bytes:
    """A screenshot once the viewer has drawn the page: two captures in a row alike, and not a blank window."""
    deadline = time.monotonic() + DRAWN_WITHIN_S
    previous = b""
    while True:
        page.wait_for_timeout(500)
        png = page.screenshot()
        if png == previous and _has_content(png):
            return png
        if time.monotonic() > deadline:
            raise AssertionError("the PDF viewer did not draw the page")
        previous = png


def _has_content(png: bytes) -> bool:
    from PIL import Image

    colours = Image.open(io.BytesIO(png)).convert("L").getcolors(maxcolors=256 * 256)
    return colours is None or len(colours) > 8  # more than a background and a page frame


def save_pdf_pages(browser, pdf: bytes, directory: Path, stem: str, colours: int) -> list[Path]:
    """Each page of `pdf` as `<stem>-<n>.png` in `directory` (a palette PNG of `colours` colours)."""
    from PIL import Image

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    saved = []
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "pack.pdf"  # a .pdf name: the viewer opens it, not a download
        source.write_bytes(pdf)
        context = browser.new_context(viewport=PDF_VIEWPORT)
        try:
            for number in range(1, pages + 1):
                page = context.new_page()
                page.goto(f"{source.as_uri()}#page={number}&toolbar=0&navpanes=0&view=Fit")
                png = _drawn(page)
                page.close()
                image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=colours, dither=Image.Dither.NONE)
                path = directory / f"{stem}-{number}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                image.save(path, format="PNG", optimize=True)
                saved.append(path)
        finally:
            context.close()
    return saved
