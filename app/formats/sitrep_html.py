"""The sitrep as one self-contained HTML page (inline CSS, the map as inline SVG, nothing fetched), laid out
for printing on A4."""

from __future__ import annotations

from html import escape

from app.formats import sitrep_map
from app.formats import sitrep_text as text
from app.formats.sitrep_text import Json

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2em; color: #000; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 1px solid #999; margin-top: 1.4em; }
table { border-collapse: collapse; } td, th { text-align: left; padding: 2px 10px 2px 0; vertical-align: top; }
.exercise { color: #b30000; font-weight: bold; } .disputed { color: #b30000; }
svg { max-width: 100%; height: auto; }
@page { size: A4; margin: 15mm; } @media print { body { margin: 0; } h2 { break-after: avoid; } }
"""


def render(sitrep: Json) -> str:
    """The sitrep as an HTML document."""
    title = escape(text.title(sitrep))
    body = "".join([_header(sitrep), _disciplines(sitrep), _figures(sitrep), _conflicts(sitrep),
                    _changes(sitrep), _map(sitrep)])  # fmt: skip
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{STYLE}</style></head><body><h1>{title}</h1>{body}</body></html>\n")  # fmt: skip


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _header(sitrep: Json) -> str:
    rows = "".join(f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"
                   for label, value in text.header_rows(sitrep))  # fmt: skip
    return f'<table class="header">{rows}</table>'


def _disciplines(sitrep: Json) -> str:
    parts = ["<h2>Situation per discipline</h2>"]
    for section in sitrep["disciplines"]:
        parts.append(f"<h3>{escape(text.discipline_name(section['discipline']))}</h3>")
        lines = [text.organisation_line(entry) for entry in section["organisations"]]
        parts.append(_list([f"<strong>{escape(who)}:</strong> {escape(what)}" for who, what in lines]))
    return "".join(parts)


def _figures(sitrep: Json) -> str:
    parts = ["<h2>Key figures</h2>"]
    if not sitrep["key_figures"]:
        return parts[0] + "<p>No key figures reported.</p>"
    for figure in sitrep["key_figures"]:
        items = [_figure_item(item) for item in figure["items"]]
        parts.append(f"<h3>{escape(text.figure_heading(figure))}</h3>{_list(items)}")
    return "".join(parts)


def _figure_item(item: Json) -> str:
    css = ' class="disputed"' if item["disputed"] else ""
    return f"{escape(item['object'])}: {text.number(item['value'])} <span{css}>({escape(text.source(item))})</span>"


def _conflicts(sitrep: Json) -> str:
    if not sitrep["conflicts"]:
        return "<h2>Open conflicts</h2><p>No open conflicts.</p>"
    items = [f"{escape(c['object'])} <code>{escape(c['property'])}</code>: {escape(text.conflict_values(c))}"
             for c in sitrep["conflicts"]]  # fmt: skip
    return "<h2>Open conflicts</h2>" + _list(items)


def _changes(sitrep: Json) -> str:
    changes = sitrep["changes"]
    if changes is None:
        return ""
    lines = [escape(line) for line in text.change_lines(changes)]
    reports = [escape(text.report_line(r)) for r in changes["reports"]]
    return (f"<h2>Changes since {escape(changes['since'])}</h2>"
            + (_list(lines) if lines else "<p>No changes to objects.</p>")
            + "<p>Reports received since then:</p>" + (_list(reports) if reports else "<p>None.</p>"))  # fmt: skip


def _map(sitrep: Json) -> str:
    return '<h2>Map</h2><figure class="map">' + sitrep_map.svg(sitrep["map"]) + "</figure>"
