"""CAP 1.2 out: the public objects of one incident as a Common Alerting Protocol alert, for public warning channels.

- The alert: ``identifier`` ``netcop-<incident>-<seq>`` (seq: the last public report of the incident, so the same
  public content always makes the same alert and new content a new one), ``sender`` the service
  (``netcop@<host>``), ``sent`` when that report was received, ``status`` ``Exercise`` for an exercise incident
  (else ``Actual``), ``msgType`` ``Alert``, ``scope`` ``Public``, and the incident's id in ``incidents``.
- One ``info`` per object that has a geometry CAP can draw, with one ``area``: a polygon's outer ring as a CAP
  polygon (``lat,lon`` pairs; CAP has no holes, so a hole is covered: the safe side for a warning), a point as a
  circle of radius 0 (``lat,lon 0``, which CAP in reads back as the point), each part of a Multi* or
  GeometryCollection likewise. Lines have no CAP shape and are left out.
- An object's CAP fields (what CAP in keeps: ``event``, ``urgency``, ``severity``, ``certainty``, ``category``,
  ``headline``, ``description``, ...) are written back where they are valid CAP values; otherwise ``event`` is the
  kind's English label, ``category`` the incident's, ``urgency``, ``severity`` and ``certainty`` ``Unknown``. Each
  info names its object in the parameters ``netcop_object`` and ``netcop_kind``.

Pure: what to write comes in as values, the bytes go out; the schema check is the caller's (tests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from app.formats import cap, vocabulary

MEDIA_TYPE = "application/cap+xml"
URGENCIES = frozenset({"Immediate", "Expected", "Future", "Past", "Unknown"})
SEVERITIES = frozenset({"Extreme", "Severe", "Moderate", "Minor", "Unknown"})
CERTAINTIES = frozenset({"Observed", "Likely", "Possible", "Unlikely", "Unknown"})
CAP_CATEGORIES = {category: name for name, category in cap.CATEGORIES.items()}  # netcop's -> CAP's
_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")
_LANGUAGE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_OPTIONAL_TEXT = (("senderName", "sender_name"), ("headline", "headline"), ("description", "description"),
                  ("instruction", "instruction"), ("contact", "contact"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Source:
    """What an alert is made of: the incident, its public fields and objects, and the report they go up to."""

    incident: str
    category: str | None
    exercise: bool
    objects: list[dict[str, Any]]  # rendered as everywhere (spec section 6), not removed
    seq: int
    received_at: datetime


def alert(source: Source, sender: str) -> bytes:
    """The CAP 1.2 alert of an incident's public objects, as UTF-8 XML with its declaration."""
    root = etree.Element(f"{{{cap.NAMESPACE}}}alert", nsmap={None: cap.NAMESPACE})
    for name, value in (("identifier", f"netcop-{source.incident}-{source.seq}"), ("sender", sender),
                        ("sent", _moment(source.received_at)), ("status", "Exercise" if source.exercise else "Actual"),
                        ("msgType", "Alert"), ("scope", "Public"), ("incidents", source.incident)):  # fmt: skip
        _add(root, name, value)
    for obj in source.objects:
        shapes = shapes_of(obj.get("geometry"))
        if shapes:
            root.append(_info(obj, source.category, shapes))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _info(obj: dict[str, Any], incident_category: str | None, shapes: list[tuple[str, str]]) -> etree._Element:
    properties: dict[str, Any] = obj.get("properties") or {}
    info = etree.Element(f"{{{cap.NAMESPACE}}}info")
    if isinstance(language := properties.get("language"), str) and _LANGUAGE.match(language):
        _add(info, "language", language)
    for category in _categories(properties.get("category"), incident_category):
        _add(info, "category", category)
    _add(info, "event", _event(obj, properties))
    for name, allowed in (("urgency", URGENCIES), ("severity", SEVERITIES), ("certainty", CERTAINTIES)):
        value = properties.get(name)
        _add(info, name, value if value in allowed else "Unknown")
    for name in ("effective", "onset", "expires"):
        if isinstance(value := properties.get(name), str) and _DATE.match(value):
            _add(info, name, value)
    for name, key in _OPTIONAL_TEXT:
        if isinstance(value := properties.get(key), str) and value.strip():
            _add(info, name, value)
    for name, value in (("netcop_object", obj["id"]), ("netcop_kind", obj.get("kind") or "")):
        parameter = _add(info, "parameter", None)
        _add(parameter, "valueName", name)
        _add(parameter, "value", value)
    info.append(_area(obj, properties, shapes))
    return info


def _area(obj: dict[str, Any], properties: dict[str, Any], shapes: list[tuple[str, str]]) -> etree._Element:
    area = etree.Element(f"{{{cap.NAMESPACE}}}area")
    names = [properties.get(key) for key in ("area_description", "name", "callsign")]
    _add(area, "areaDesc", next((name for name in names if isinstance(name, str) and name.strip()), obj["id"]))
    for shape in ("polygon", "circle"):  # the schema's order: every polygon, then every circle
        for kind, text in shapes:
            if kind == shape:
                _add(area, kind, text)
    return area


def shapes_of(geometry: dict[str, Any] | None) -> list[tuple[str, str]]:
    """A GeoJSON geometry as CAP shapes: ("polygon", "lat,lon lat,lon ...") and ("circle", "lat,lon 0")."""
    if not geometry:
        return []
    kind, coordinates = geometry["type"], geometry.get("coordinates") or []
    if kind == "Point":
        return [("circle", f"{_pair(coordinates)} 0")]
    if kind == "Polygon":
        return [("polygon", " ".join(_pair(position) for position in coordinates[0]))]
    if kind in ("MultiPoint", "MultiPolygon"):
        single = kind.removeprefix("Multi")
        return [shape for part in coordinates for shape in shapes_of({"type": single, "coordinates": part})]
    if kind == "GeometryCollection":
        return [shape for part in geometry["geometries"] for shape in shapes_of(part)]
    return []  # LineString, MultiLineString: CAP has no line


def _pair(position: list[float]) -> str:
    """A GeoJSON position as CAP's ``lat,lon``, each number exactly as stored and without an exponent."""
    return f"{_decimal(position[1])},{_decimal(position[0])}"


def _decimal(number: float) -> str:
    text = format(Decimal(repr(float(number))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _categories(given: Any, incident_category: str | None) -> list[str]:
    valid = set(cap.CATEGORIES)
    if isinstance(given, list) and given and all(isinstance(c, str) and c in valid for c in given):
        return list(given)
    return [CAP_CATEGORIES.get(incident_category or "", "Other")]


def _event(obj: dict[str, Any], properties: dict[str, Any]) -> str:
    if isinstance(event := properties.get("event"), str) and event.strip():
        return event
    kind = obj.get("kind") or ""
    labels = vocabulary.KINDS.get(kind)
    return labels[1] if labels else kind or "object"


def _moment(when: datetime) -> str:
    return when.astimezone(UTC).replace(microsecond=0).isoformat()


def _add(parent: etree._Element, name: str, text: str | None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{cap.NAMESPACE}}}{name}")
    if text is not None:
        child.text = _NOT_XML.sub("\ufffd", text)
    return child
