"""The sitrep as Markdown: headings and lists a chat, a wiki or an e-mail shows as they are; the map is an
embedded SVG image (a ``data:`` URI), which most Markdown viewers draw."""

from __future__ import annotations

import base64
import re

from app.formats import sitrep_map
from app.formats import sitrep_text as text
from app.formats.sitrep_text import Json

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def escape(value: str) -> str:
    """Partner text shown as written, not as Markdown (nor HTML)."""
    return _SPECIAL.sub(r"\\\1", value).replace("\n", " ")


def render(sitrep: Json) -> str:
    """The sitrep as a Markdown document."""
    lines = [f"# {escape(text.title(sitrep))}", ""]
    lines += [f"- **{label}:** {escape(value)}" for label, value in text.header_rows(sitrep)]
    lines += _disciplines(sitrep) + _figures(sitrep) + _conflicts(sitrep) + _changes(sitrep) + _map(sitrep)
    return "\n".join(lines) + "\n"


def _disciplines(sitrep: Json) -> list[str]:
    lines = ["", "## Situation per discipline"]
    for section in sitrep["disciplines"]:
        lines += ["", f"### {text.discipline_name(section['discipline'])}", ""]
        for entry in section["organisations"]:
            who, what = text.organisation_line(entry)
            lines.append(f"- **{escape(who)}:** {escape(what)}")
    return lines


def _figures(sitrep: Json) -> list[str]:
    lines = ["", "## Key figures", ""]
    if not sitrep["key_figures"]:
        return [*lines, "No key figures reported."]
    for figure in sitrep["key_figures"]:
        lines.append(f"- **{escape(text.figure_heading(figure))}**")
        lines += [f"  - {escape(item['object'])}: {text.number(item['value'])} ({escape(text.source(item))})"
                  for item in figure["items"]]  # fmt: skip
    return lines


def _conflicts(sitrep: Json) -> list[str]:
    lines = ["", "## Open conflicts", ""]
    if not sitrep["conflicts"]:
        return [*lines, "No open conflicts."]
    return lines + [f"- {escape(c['object'])} `{c['property']}`: {escape(text.conflict_values(c))}"
                    for c in sitrep["conflicts"]]  # fmt: skip


def _changes(sitrep: Json) -> list[str]:
    changes = sitrep["changes"]
    if changes is None:
        return []
    lines = ["", f"## Changes since {changes['since']}", ""]
    lines += [f"- {escape(line)}" for line in text.change_lines(changes)] or ["No changes to objects."]
    lines += ["", "Reports received since then:", ""]
    return lines + ([f"- {escape(text.report_line(r))}" for r in changes["reports"]] or ["None."])


def _map(sitrep: Json) -> list[str]:
    data = base64.b64encode(sitrep_map.svg(sitrep["map"]).encode()).decode()
    return ["", "## Map", "", f"![Map of the situation](data:image/svg+xml;base64,{data})"]
