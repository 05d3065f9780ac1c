"""The sitrep as a PDF (A4, made by fpdf2): the same text as the other renderings and the map as vector
graphics (fpdf2 draws the SVG itself: no raster, no system library).

It is stable: the document's creation date is the moment of the picture (not the clock), and fpdf2 derives the
file id from the content, so the same picture gives the same bytes. The PDF's built-in Helvetica holds Latin-1
only (Dutch, German and French letters are in it): other characters in partner text are written as their
closest Latin-1 form or ``?`` rather than shipping a font file.
"""

from __future__ import annotations

import io
import unicodedata

from fpdf import FPDF

from app.domain.timefmt import parse_rfc3339
from app.formats import sitrep_map
from app.formats import sitrep_text as text
from app.formats.sitrep_text import Json

LINE = 5.0  # mm
MAP_WIDTH = 180.0  # mm: the page's width within its margins
_SUBSTITUTES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
                              "\u201d": '"', "\u2026": "...", "\u20ac": "EUR", "\u2192": "->"})  # fmt: skip


def latin1(value: str) -> str:
    """Text the built-in fonts can write."""
    value = unicodedata.normalize("NFC", value.translate(_SUBSTITUTES))
    return "".join(c if ord(c) < 256 else _fallback(c) for c in value)


def _fallback(char: str) -> str:
    base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
    return base or "?"


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, f"netcop situation report - page {self.page_no()}/{{nb}}", align="C")


def render(sitrep: Json) -> bytes:
    """The sitrep as PDF bytes."""
    pdf = _Document(format="A4")
    pdf.set_creation_date(parse_rfc3339(sitrep["time"]))
    pdf.set_title(latin1(text.title(sitrep)))
    pdf.set_author("netcop")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    _heading(pdf, text.title(sitrep), size=16)
    for label, value in text.header_rows(sitrep):
        _row(pdf, label, value)
    _disciplines(pdf, sitrep)
    _figures(pdf, sitrep)
    _conflicts(pdf, sitrep)
    _changes(pdf, sitrep)
    _map(pdf, sitrep)
    return bytes(pdf.output())


def _heading(pdf: FPDF, value: str, size: int = 13) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", size)
    pdf.multi_cell(0, size * 0.5, latin1(value), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(45, LINE, latin1(label))
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, LINE, latin1(value), align="L", new_x="LMARGIN", new_y="NEXT")


def _item(pdf: FPDF, value: str, indent: float = 4) -> None:
    pdf.set_font("Helvetica", size=10)
    pdf.set_x(pdf.l_margin + indent)
    pdf.multi_cell(0, LINE, latin1("- " + value), align="L", new_x="LMARGIN", new_y="NEXT")


def _disciplines(pdf: FPDF, sitrep: Json) -> None:
    _heading(pdf, "Situation per discipline")
    for section in sitrep["disciplines"]:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, LINE + 1, latin1(text.discipline_name(section["discipline"])), new_x="LMARGIN", new_y="NEXT")
        for entry in section["organisations"]:
            who, what = text.organisation_line(entry)
            _item(pdf, f"{who}: {what}")


def _figures(pdf: FPDF, sitrep: Json) -> None:
    _heading(pdf, "Key figures")
    if not sitrep["key_figures"]:
        _item(pdf, "No key figures reported.", indent=0)
    for figure in sitrep["key_figures"]:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, LINE + 1, latin1(text.figure_heading(figure)), new_x="LMARGIN", new_y="NEXT")
        for item in figure["items"]:
            _item(pdf, f"{item['object']}: {text.number(item['value'])} ({text.source(item)})")


def _conflicts(pdf: FPDF, sitrep: Json) -> None:
    _heading(pdf, "Open conflicts")
    if not sitrep["conflicts"]:
        _item(pdf, "No open conflicts.", indent=0)
    for conflict in sitrep["conflicts"]:
        _item(pdf, f"{conflict['object']} {conflict['property']}: {text.conflict_values(conflict)}")


def _changes(pdf: FPDF, sitrep: Json) -> None:
    changes = sitrep["changes"]
    if changes is None:
        return
    _heading(pdf, f"Changes since {changes['since']}")
    for line in text.change_lines(changes) or ["No changes to objects."]:
        _item(pdf, line)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, LINE + 1, "Reports received since then:", new_x="LMARGIN", new_y="NEXT")
    for report in changes["reports"] or [None]:
        _item(pdf, "None." if report is None else text.report_line(report))


def _map(pdf: FPDF, sitrep: Json) -> None:
    height = MAP_WIDTH * sitrep_map.HEIGHT / sitrep_map.WIDTH
    if pdf.get_y() + height + 15 > pdf.h - pdf.b_margin:
        pdf.add_page()
    _heading(pdf, "Map")
    pdf.image(io.BytesIO(sitrep_map.svg(sitrep["map"]).encode()), x=pdf.l_margin, w=MAP_WIDTH, h=height)
