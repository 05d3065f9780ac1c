"""The sitrep as PDF, opened by a PDF engine of its own (pdfium, through pypdfium2) and rendered to images: an
A4 document whose text says what the other formats say and whose map is drawn in colour."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pypdfium2
from PIL import Image

from tests.sitrep.conftest import INCIDENT, SECRET, Flood

PATH = f"/api/v1/incidents/{INCIDENT}/sitrep"
A4_POINTS = (595.28, 841.89)
SHELTER_GREEN = (0x1A, 0x98, 0x50)


@dataclass(frozen=True)
class Read:
    """What pdfium made of a PDF: each page's size in points, all its text, and the first and last page
    rendered at 72 dpi."""

    sizes: list[tuple[float, float]]
    text: str
    first: Image.Image
    last: Image.Image


async def _pdf(client: httpx.AsyncClient, headers: dict[str, str]) -> Read:
    response = await client.get(PATH, headers=headers, params={"format": "pdf", "since": "2000-01-01T00:00:00Z"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    document = pypdfium2.PdfDocument(response.content)
    try:
        pages = [document[i] for i in range(len(document))]
        return Read(
            sizes=[(page.get_width(), page.get_height()) for page in pages],
            text="\n".join(page.get_textpage().get_text_range() for page in pages),
            first=pages[0].render(scale=1).to_pil().convert("RGB"),
            last=pages[-1].render(scale=1).to_pil().convert("RGB"),
        )
    finally:
        document.close()


def _pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    data = image.tobytes()
    return list(zip(data[0::3], data[1::3], data[2::3], strict=True))


def _near(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(pixel, colour, strict=True))


async def test_the_pdf_is_a4_with_the_sitrep_text(client: httpx.AsyncClient, flood: Flood) -> None:
    """Every page is A4 portrait, and the text holds the header, the summaries, the figures and the conflict."""
    read = await _pdf(client, flood.medical)
    assert all(abs(w - A4_POINTS[0]) < 1 and abs(h - A4_POINTS[1]) < 1 for w, h in read.sizes)
    for expected in ("Situation report: Dijkdoorbraak Dordrecht", "GRIP", "Medical (GHOR)", "Two field hospitals open",
                     "Injured: 15 persons", "DISPUTED", "Changes since", SECRET):  # fmt: skip
        assert expected in read.text, expected


async def test_the_rendered_pages_are_not_blank_and_the_map_is_drawn(client: httpx.AsyncClient, flood: Flood) -> None:
    """Rendered at 72 dpi, the first page is 596 x 842 pixels with text on it (dark pixels), and the last holds
    the map: the shelter's green marker among its pixels."""
    read = await _pdf(client, flood.medical)
    assert read.first.size == (596, 842)  # 595.28 points, rounded up
    dark = sum(1 for pixel in _pixels(read.first) if max(pixel) < 100)
    assert dark > 2000, f"a nearly blank page: {dark} dark pixels"
    assert any(_near(pixel, SHELTER_GREEN) for pixel in _pixels(read.last))


async def test_the_restricted_summary_is_not_in_an_outsiders_pdf(client: httpx.AsyncClient, flood: Flood) -> None:
    """Police's PDF has no word of fire's report restricted to medical."""
    read = await _pdf(client, flood.police)
    assert SECRET not in read.text
    assert "hazard-merwede" not in read.text
    assert "N3 reopened" in read.text
