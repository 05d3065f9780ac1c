"""The sitrep's words, shared by its Markdown, HTML and PDF renderings: the same headings, facts and phrases in
each, so the three documents say the same thing."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

DISCIPLINE_NAMES = {
    "police": "Police", "fire": "Fire service", "medical": "Medical (GHOR)", "population-care": "Population care",
    "water": "Water", "defence": "Defence", "infrastructure": "Infrastructure", "national": "National",
    "other": "Other",
}  # fmt: skip


def title(sitrep: Json) -> str:
    incident = sitrep["incident"]
    prefix = "EXERCISE - " if incident["exercise"] else ""
    return f"{prefix}Situation report: {incident['title'] or incident['id']}"


def header_rows(sitrep: Json) -> list[tuple[str, str]]:
    """The incident header as (label, value) rows."""
    incident = sitrep["incident"]
    grip = incident["grip"]
    return [
        ("Incident", incident["id"]),
        ("Category", incident["category"] or "-"),
        ("GRIP", "-" if grip is None else str(grip)),
        ("Status", incident["status"] + (" (exercise)" if incident["exercise"] else "")),
        ("Picture as known at", sitrep["time"] + ("" if sitrep["as_of"] else " (last report)")),
        ("Log position (seq)", str(sitrep["seq"])),
        ("Coordinators", ", ".join(incident["coordinators"]) or "-"),
        ("Seen by", sitrep["viewer"]),
        ("Objects", str(sitrep["object_count"])),
    ]


def discipline_name(discipline: str) -> str:
    return DISCIPLINE_NAMES.get(discipline, discipline)


def organisation_line(entry: Json) -> tuple[str, str]:
    """(who, what): an organisation and its latest summary with when it was observed."""
    who = f"{entry['name']} ({entry['organisation']})"
    if entry["summary"] is None:
        return who, "no summary reported"
    return who, f"{entry['summary']} [observed {entry['observed_at']}, report {entry['report']}]"


def number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def source(item: Json) -> str:
    """Who asserted a key figure's value."""
    src = item["source"]
    text = "unknown" if src is None else f"{src['organisation']}, report {src['report']}, {src['observed_at']}"
    return text + (" - DISPUTED" if item["disputed"] else "")


def figure_heading(figure: Json) -> str:
    unit = f" {figure['unit']}" if figure["unit"] else ""
    return f"{figure['label']}: {number(figure['total'])}{unit}"


def conflict_values(conflict: Json) -> str:
    return "; ".join(f"{v['organisation']}: {_value(v['value'])} ({v['observed_at']})" for v in conflict["values"])


def _value(value: Any) -> str:
    if value is None:
        return "(cleared)"
    return number(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def change_lines(changes: Json) -> list[str]:
    """The changes since an earlier moment, one line each."""
    lines = [f"new: {c['object']} ({c['kind']})" for c in changes["added"]]
    lines += [f"changed: {c['object']} ({c['kind']}): {', '.join(c['properties'])}" for c in changes["changed"]]
    lines += [f"gone: {c['object']} ({c['kind']})" for c in changes["removed"]]
    return lines


def report_line(report: Json) -> str:
    summary = report["summary"] or "(no summary)"
    return f"seq {report['seq']} {report['organisation']} (observed {report['observed_at']}): {summary}"
