"""Cursor-on-Target in: ``<event>``s as TAK clients (ATAK, WinTAK, iTAK) and tactical systems send them become one
report.

- A body holds one ``<event>`` or several one after the other (a TAK stream's framing), with or without XML
  declarations, or one root element around them.
- Each event is one object: ``uid`` is the object id, the ``point`` (``lat``/``lon``, WGS 84) its geometry, and its
  ``type`` gives the kind through the vocabulary (``a-f-G-U-C`` is a friendly ground unit: kind ``unit``,
  ``affiliation`` ``friendly``; the type itself is kept as ``cot_type``). A delete event (``t-x-d-d``) removes the
  object its ``<link uid=...>`` names.
- Properties: ``callsign``, ``team`` and ``role`` (``__group``), ``remarks``, ``course_deg``, ``speed_mps``,
  ``battery_pct``, ``altitude_hae_m``, ``ce_m``/``le_m`` (unknown, 9999999, left out), ``how``, and ``stale_at``
  (the event's ``stale``: after it a reader shows the track as stale).
- Each event asserts ``stale: false`` and ``removed: false`` at its time: a track that went stale (marked and
  later removed by ``api.stale_tracks``) is fresh and back with its next event.
- The report is observed at the latest event ``time``; several events of one uid keep the latest. Its id is the
  ``id`` query parameter, or one made of the events' content (the same events again are a retry). The incident
  comes from the ``incident`` query parameter (CoT has no notion of one).

A position every second from a TAK client is one report of one object: the work of one ordinary report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from app.domain import geojson
from app.domain.timefmt import parse_rfc3339
from app.formats import xml
from app.formats.translation import Translation, bounded_text, content_id, refuse
from app.formats.vocabulary import cot_kind

MEDIA_TYPES = ("application/xml", "text/xml")
UNKNOWN = 9999999.0  # CoT's "not known" for hae, ce and le
DELETE_TYPE = "t-x-d-d"
AFFILIATIONS = {"f": "friendly", "a": "friendly", "h": "hostile", "s": "hostile", "j": "hostile", "k": "hostile",
                "n": "neutral", "u": "unknown", "p": "pending", "o": "none", "x": "other"}  # fmt: skip
_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")
Errors = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Fields:
    """The report's own fields, as the query gave them."""

    incident: str
    report_id: str | None = None
    visibility: str | None = None
    audience: tuple[str, ...] = ()


def read(raw: bytes) -> list[etree._Element]:
    """The events of a body (400 when it is not XML, or declares a document type)."""
    root = xml.parse(b"<events>" + _DECLARATION.sub(b"", raw) + b"</events>")
    events = [child for child in root if isinstance(child.tag, str)]
    if len(events) == 1 and xml.local(events[0]) != "event":  # one root element around the events
        events = [child for child in events[0] if isinstance(child.tag, str)]
    return events


def translate(events: list[etree._Element], fields: Fields) -> Translation:
    """The report the events make; raises ``Invalid`` at ``event[i]...`` when one cannot be an object."""
    errors: Errors = []
    if not events:
        errors.append(("event", "the body holds no <event>"))
    read_events = [_event(element, index, errors) for index, element in enumerate(events)]
    if errors:
        raise refuse(errors, "the events cannot be read as a report")
    kept = _latest_per_uid([event for event in read_events if event is not None])
    latest = max(kept, key=lambda event: event.when)
    body = _report(fields, [event.entry for event in kept], latest.time, events)
    places = {"id": "id", "incident": "incident", "observed_at": f"{latest.origin}.time", "visibility": "visibility",
              "audience": "audience"}  # fmt: skip
    return Translation(body, [event.origin for event in kept], places, {"geometry": "point", "kind": "type"})


@dataclass(frozen=True, slots=True)
class _Event:
    when: datetime
    time: str
    entry: dict[str, Any]
    origin: str


def _latest_per_uid(events: list[_Event]) -> list[_Event]:
    latest: dict[str, _Event] = {}
    for event in events:
        if event.entry["id"] not in latest or latest[event.entry["id"]].when <= event.when:
            latest[event.entry["id"]] = event
    return list(latest.values())


def _event(element: etree._Element, index: int, errors: Errors) -> _Event | None:
    where = f"event[{index}]"
    if xml.local(element) != "event":
        errors.append((where, f"<{xml.local(element)}> is not a CoT <event>"))
        return None
    found = len(errors)
    uid, kind, when, stale = (_attribute(element, name, where, errors) for name in ("uid", "type", "time", "stale"))
    moments = [_moment(text, f"{where}.{name}", errors) for name, text in (("time", when), ("stale", stale))]
    if len(errors) > found or moments[0] is None or moments[1] is None:
        return None
    detail = element.find("detail")
    if kind == DELETE_TYPE:
        link = detail.find("link") if detail is not None else None
        if link is None or not link.get("uid"):
            errors.append((f"{where}.detail.link", "a delete event (t-x-d-d) names the uid it deletes in <link uid>"))
            return None
        return _Event(moments[0], when, {"id": link.get("uid"), "removed": True}, where)
    geometry = _point(element.find("point"), f"{where}.point", errors)
    if geometry is None:
        return None
    entry = {"id": uid, "kind": cot_kind(kind), "geometry": geometry, "removed": False,
             "properties": _properties(element, detail)}  # fmt: skip
    return _Event(moments[0], when, entry, where)


def _attribute(element: etree._Element, name: str, where: str, errors: Errors) -> str:
    value = element.get(name)
    if not value:
        errors.append((f"{where}.{name}", f"an event needs its {name} attribute"))
        return ""
    return value


def _moment(text: str, where: str, errors: Errors) -> datetime | None:
    if not text:
        return None
    try:
        return parse_rfc3339(text)
    except ValueError as error:
        errors.append((where, str(error)))
        return None


def _point(point: etree._Element | None, where: str, errors: Errors) -> dict[str, Any] | None:
    if point is None:
        errors.append((where, "an event needs a <point lat lon>"))
        return None
    try:
        position = [float(point.get("lon", "")), float(point.get("lat", ""))]
    except ValueError:
        errors.append((where, "lat and lon must be decimal degrees (WGS 84)"))
        return None
    geometry = {"type": "Point", "coordinates": position}
    problems = geojson.geometry_errors(geometry, where)
    errors.extend((where, message) for _, message in problems[:1])
    return None if problems else geometry


def _properties(event: etree._Element, detail: etree._Element | None) -> dict[str, Any]:
    kind = event.get("type", "")
    properties: dict[str, Any] = {"cot_type": kind, "stale_at": event.get("stale"), "stale": False}
    if kind.startswith("a-") and len(kind) > 2:
        properties["affiliation"] = AFFILIATIONS.get(kind[2], "unknown")
    if event.get("how"):
        properties["how"] = event.get("how")
    point = event.find("point")
    assert point is not None
    for name, key in (("hae", "altitude_hae_m"), ("ce", "ce_m"), ("le", "le_m")):
        if (value := _number(point.get(name))) is not None and value != UNKNOWN:
            properties[key] = value
    if detail is not None:
        properties.update(_detail(detail))
    return properties


_DETAIL = (
    ("contact", "callsign", "callsign"),
    ("__group", "name", "team"),
    ("__group", "role", "role"),
    ("track", "course", "course_deg"),
    ("track", "speed", "speed_mps"),
    ("status", "battery", "battery_pct"),
)


def _detail(detail: etree._Element) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for element, attribute, key in _DETAIL:
        child = detail.find(element)
        value = child.get(attribute) if child is not None else None
        if value:
            number = _number(value) if key.endswith(("_deg", "_mps", "_pct")) else None
            found[key] = number if number is not None else bounded_text(value, 1024)
    remarks = detail.find("remarks")
    text = (remarks.text or "").strip() if remarks is not None else ""
    if text:
        found["remarks"] = bounded_text(text)
    return found


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text else None
    except ValueError:
        return None
    return value if value is not None and value == value and abs(value) != float("inf") else None


def _report(
    fields: Fields, objects: list[dict[str, Any]], observed: str, events: list[etree._Element]
) -> dict[str, Any]:
    body: dict[str, Any] = {"incident": fields.incident, "observed_at": observed}
    if fields.visibility is not None:
        body["visibility"] = fields.visibility
    if fields.audience:
        body["audience"] = list(fields.audience)
    body["objects"] = objects
    document = [etree.tostring(event, method="c14n").decode() for event in events]
    body["id"] = fields.report_id or content_id("cot", {**body, "document": document})
    return body
