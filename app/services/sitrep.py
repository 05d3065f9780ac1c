"""The situation report (sitrep) of one incident as one viewer sees it: gathered from the read services (the
incident, its picture now or as known at ``as_of``, the report log, the organisations), never from SQL of its
own, so it shows exactly the viewer's picture (spec section 5).

The sitrep is a plain JSON-able dict (``GET .../sitrep?format=json`` serves it as it is); the renderers in
``app/formats/sitrep_*.py`` turn it into Markdown, HTML and PDF. It depends on nothing but the reports the viewer
may see up to its moment: the moment of the picture is ``as_of`` or, without it, the receipt of the last visible
report about the incident (not the clock), so the same picture gives the same document, byte for byte.

Its cost grows with the incident's history (the report log is read to find each organisation's latest summary,
and ``as_of``/``since`` replay it), which a document read a few times per meeting can afford.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from app.db import Database
from app.domain import picture
from app.domain.timefmt import format_micros, parse_rfc3339, to_micros
from app.errors import Invalid, NotFound
from app.formats import sitrep_html, sitrep_md, sitrep_pdf, vocabulary
from app.services import admin, incidents, logs, reading
from app.services.reading import ObjectFilter

DISCIPLINES = ("police", "fire", "medical", "population-care", "water", "defence", "infrastructure", "national",
               "other")  # fmt: skip
# The key figures: vocabulary properties counted in persons, summed over the objects that carry them.
KEY_FIGURES = ("dead", "injured", "missing", "evacuated", "to_evacuate", "capacity", "occupancy")
REPORT_PAGE = 1000

Json = dict[str, Any]


async def gather(
    *, db: Database, viewer: str, window_us: int, incident: str, as_of: int | None = None, since: int | None = None
) -> Json:
    """Gathers the sitrep of an incident for a viewer: now, or as known at ``as_of``; with the changes since
    ``since`` when given (not after ``as_of``: 422). 404 for an incident the viewer does not see (then)."""
    if since is not None and as_of is not None and since > as_of:
        raise Invalid.at("since", "must not lie after as_of")
    header = await incidents.get_incident(db=db, viewer=viewer, window_us=window_us, incident=incident)
    reports = await _reports(db, viewer, incident, as_of)
    if not reports:
        raise NotFound(f"no incident '{incident}' known at {format_micros(as_of or 0)}")
    objects = await _objects(db, viewer, incident, as_of, window_us)
    moment = as_of if as_of is not None else max(r["_received"] for r in reports)
    return {
        "incident": _header(header, reports, viewer, window_us),
        "viewer": viewer,
        "as_of": None if as_of is None else format_micros(as_of),
        "time": format_micros(moment),
        "seq": max(r["seq"] for r in reports),
        "disciplines": _disciplines(reports, await _organisations(db)),
        "key_figures": key_figures(objects),
        "conflicts": open_conflicts(objects),
        "changes": None if since is None else await _changes(db, viewer, incident, since, reports, objects, window_us),
        "map": [{"id": o["id"], "kind": o["kind"], "geometry": o["geometry"]} for o in objects if o["geometry"]],
        "object_count": len(objects),
    }


async def _reports(db: Database, viewer: str, incident: str, as_of: int | None) -> list[Json]:
    """The viewer's reports about the incident received until ``as_of``, in seq order."""
    found: list[Json] = []
    after = 0
    while True:
        page = await logs.list_reports(
            db=db, viewer=viewer, after_seq=after, limit=REPORT_PAGE, incident=incident, organisation=None
        )
        for report in page["reports"]:
            report["_received"] = to_micros(parse_rfc3339(report["received_at"]))
            if as_of is None or report["_received"] <= as_of:
                found.append(report)
        if len(page["reports"]) < REPORT_PAGE:
            return found
        after = page["last_seq"]


async def _objects(db: Database, viewer: str, incident: str, as_of: int | None, window_us: int) -> list[Json]:
    body = await reading.incident_picture(
        db=db, viewer=viewer, incident=incident, flt=ObjectFilter(), as_of=as_of, window_us=window_us
    )
    objects: list[Json] = orjson.loads(body)["objects"]
    return objects


async def _organisations(db: Database) -> dict[str, Json]:
    return {o.id: o.model_dump() for o in await admin.list_organisations(db=db)}


def _header(current: Json, reports: list[Json], viewer: str, window_us: int) -> Json:
    """The incident's fields as the reports up to the sitrep's moment set them; ``exercise`` (fixed when the
    incident was created) and the coordinators as they are now (their changes are in the audit log, not in the
    report log that ``as_of`` replays)."""
    facts: dict[str, Any] = {}
    for report in reports:
        picture.fold_incident(facts, _facts(report))
    fields = picture.render_incident_fields(facts, viewer, window_us)
    return {
        "id": current["id"],
        **{name: fields[name] for name in ("title", "category", "status", "grip")},
        "exercise": current["exercise"],
        "coordinators": current["coordinators"],
        "created_at": format_micros(reports[0]["_received"]),
        "organisations": sorted({r["organisation"] for r in reports}),
    }


def _facts(report: Json) -> picture.ReportFacts:
    body = {k: v for k, v in report.items() if k not in ("organisation", "seq", "received_at", "_received")}
    return picture.report_facts(body, seq=report["seq"], organisation=report["organisation"],
                                received_at=report["_received"])  # fmt: skip


def _latest_summaries(reports: list[Json]) -> dict[str, Json]:
    """Each organisation's latest summary by the merge rule's order: observed_at, then report id."""
    latest: dict[str, tuple[tuple[int, str], Json]] = {}
    for report in reports:
        if not report.get("summary"):
            continue
        key = (to_micros(parse_rfc3339(report["observed_at"])), report["id"])
        held = latest.get(report["organisation"])
        if held is None or key > held[0]:
            latest[report["organisation"]] = (key, report)
    return {org: report for org, (_, report) in latest.items()}


def _disciplines(reports: list[Json], organisations: dict[str, Json]) -> list[Json]:
    """Per discipline (in the contract's order), each reporting organisation with its latest summary."""
    summaries = _latest_summaries(reports)
    sections: dict[str, list[Json]] = {}
    for org in sorted({r["organisation"] for r in reports}):
        known = organisations.get(org, {"name": org, "discipline": "other"})
        latest = summaries.get(org)
        sections.setdefault(known["discipline"], []).append({
            "organisation": org,
            "name": known["name"],
            "summary": latest["summary"] if latest else None,
            "report": latest["id"] if latest else None,
            "observed_at": format_micros(to_micros(parse_rfc3339(latest["observed_at"]))) if latest else None,
        })
    order = {d: i for i, d in enumerate(DISCIPLINES)}
    return [{"discipline": d, "organisations": sections[d]} for d in sorted(sections, key=lambda d: order.get(d, 99))]


def _is_count(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def key_figures(objects: list[Json]) -> list[Json]:
    """The key figures (``KEY_FIGURES``) summed over the objects that carry them, each value with its
    source: who asserted it (the property's provenance)."""
    figures = []
    for name in KEY_FIGURES:
        items = [{"object": o["id"], "kind": o["kind"], "value": o["properties"][name],
                  "source": o["provenance"].get(name), "disputed": _disputed(o, name)}
                 for o in objects if _is_count(o["properties"].get(name))]  # fmt: skip
        if items:
            labels, unit = vocabulary.PROPERTIES[name]
            total = sum(item["value"] for item in items)
            figures.append({"property": name, "label": labels[1], "unit": unit, "total": total, "items": items})
    return figures


def _disputed(obj: Json, name: str) -> bool:
    return any(c["property"] == name for c in obj.get("conflicts") or ())


def open_conflicts(objects: list[Json]) -> list[Json]:
    """Every conflict on an object of the picture: the property and each organisation's value."""
    return [{"object": o["id"], "kind": o["kind"], "property": c["property"], "values": c["values"]}
            for o in objects for c in o.get("conflicts") or ()]  # fmt: skip


async def _changes(
    db: Database, viewer: str, incident: str, since: int, reports: list[Json], objects: list[Json], window_us: int
) -> Json:
    """What changed since ``since``: objects added, changed (which properties) and removed, and the reports
    received since."""
    try:
        before = {o["id"]: o for o in await _objects(db, viewer, incident, since, window_us)}
    except NotFound:  # the incident was not known to the viewer yet: everything is new
        before = {}
    diff = diff_objects(before, {o["id"]: o for o in objects})
    received = [{"seq": r["seq"], "organisation": r["organisation"], "report": r["id"],
                 "observed_at": format_micros(to_micros(parse_rfc3339(r["observed_at"]))),
                 "received_at": r["received_at"], "summary": r.get("summary")}
                for r in reports if r["_received"] > since]  # fmt: skip
    return {"since": format_micros(since), **diff, "reports": received}


def diff_objects(before: dict[str, Json], after: dict[str, Json]) -> Json:
    """Objects that appeared, changed (with the names of the properties whose values changed) or went (both
    pictures hold live objects only)."""
    added = [{"object": oid, "kind": o["kind"]} for oid, o in sorted(after.items()) if oid not in before]
    removed = [{"object": oid, "kind": o["kind"]} for oid, o in sorted(before.items()) if oid not in after]
    changed = [{"object": oid, "kind": o["kind"], "properties": names} for oid, o in sorted(after.items())
               if oid in before and (names := _changed_properties(before[oid], o))]  # fmt: skip
    return {"added": added, "changed": changed, "removed": removed}


def _changed_properties(then: Json, now: Json) -> list[str]:
    names = [n for n in ("kind", "geometry") if then[n] != now[n]]
    keys = sorted(set(then["properties"]) | set(now["properties"]))
    return names + [k for k in keys if then["properties"].get(k) != now["properties"].get(k)]


FORMATS = ("html", "pdf", "md", "json")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
               "md": "text/markdown; charset=utf-8", "json": "application/json"}  # fmt: skip


def render(sitrep: Json, fmt: str) -> bytes:
    """The sitrep in one of ``FORMATS``."""
    if fmt == "pdf":
        return sitrep_pdf.render(sitrep)
    if fmt == "html":
        return sitrep_html.render(sitrep).encode()
    if fmt == "md":
        return sitrep_md.render(sitrep).encode()
    return orjson.dumps(sitrep, option=orjson.OPT_INDENT_2)


async def document(
    *, db: Database, viewer: str, window_us: int, incident: str, as_of: int | None, since: int | None, fmt: str
) -> bytes:
    """``GET /incidents/{id}/sitrep``: the sitrep gathered and rendered (the rendering in a worker thread: a
    long PDF takes the event loop from no one)."""
    sitrep = await gather(db=db, viewer=viewer, window_us=window_us, incident=incident, as_of=as_of, since=since)
    return await asyncio.to_thread(render, sitrep, fmt)


async def document_for(
    *, db: Database, organisation: str, window_us: int, incident: str, as_of: int | None, since: int | None, fmt: str
) -> bytes:
    """The sitrep as an existing organisation sees it (``netcop sitrep --as-org``); 404 for an unknown one."""
    if organisation not in await _organisations(db):
        raise NotFound(f"no organisation '{organisation}'")
    return await document(db=db, viewer=organisation, window_us=window_us, incident=incident, as_of=as_of,
                          since=since, fmt=fmt)  # fmt: skip
