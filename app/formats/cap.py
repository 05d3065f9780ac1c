"""CAP 1.2 in: a Common Alerting Protocol alert (OASIS CAP 1.2, ITU-T X.1303), valid against the official schema,
becomes one report.

- The report: id = the alert's ``identifier``; ``observed_at`` = ``sent`` (``effective``, ``onset`` and ``expires``
  are kept as properties: ``effective`` may lie in the future, and ``sent`` grows along an update chain, so an
  Update always wins over what it updates under the merge rule); ``summary`` = the first ``headline`` (or
  ``event``); ``scope`` Public -> ``public``, Restricted -> ``partners``, Private -> ``restricted`` to the
  organisations named in ``addresses``.
- Objects: each ``info``'s each ``area`` is one object of kind ``warning-area``, with the info's fields as
  properties and its polygons and circles as the geometry (CAP writes ``lat,lon``; GeoJSON ``[lon, lat]``; a
  circle becomes a 36-sided polygon on the sphere, a circle of radius 0 a Point; several shapes a
  GeometryCollection). Object ids are ``<root>/<info index>.<area index>``, where the root is the alert itself,
  or for an Update or Cancel the earliest alert its ``references`` name: an Update asserts the same objects again
  (and clears the CAP fields it no longer carries), a Cancel removes the areas it lists.
- The incident: the ``incident`` query parameter when given; otherwise one incident per alert chain, named after
  the ``incidents`` element or the root alert (``cap-<identifier>-<digest>``), which the sender coordinates: its
  title, category and status (``closed`` by a Cancel) follow the alerts. ``status`` Exercise or Test makes (or
  must find) an exercise incident; System and Draft alerts, and Ack and Error messages, carry nothing for a
  picture and are refused (422).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from lxml import etree

from app.domain import geojson
from app.domain.timefmt import parse_rfc3339
from app.errors import Invalid
from app.formats import xml
from app.formats.translation import Translation, bounded_text, refuse, slug

NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
SCHEMA = "CAP-v1.2.xsd"
MEDIA_TYPES = ("application/cap+xml", "application/xml", "text/xml")
REPEATABLE = frozenset({"info", "area", "polygon", "circle", "geocode", "parameter", "eventCode", "resource",
                        "category", "responseType", "code"})  # fmt: skip
EXERCISE_STATUSES = ("Exercise", "Test")
CATEGORIES = {"Geo": "geophysical", "Met": "weather", "Safety": "safety", "Security": "security", "Rescue": "rescue",
              "Fire": "fire", "Health": "health", "Env": "environment", "Transport": "transport",
              "Infra": "infrastructure", "CBRNE": "cbrne", "Other": "other"}  # fmt: skip
VISIBILITY = {"Public": "public", "Restricted": "partners", "Private": "restricted"}
# The info fields kept as properties of each area: CAP's name -> the vocabulary's.
INFO_TEXT = {"language": "language", "event": "event", "urgency": "urgency", "severity": "severity",
             "certainty": "certainty", "audience": "intended_audience", "effective": "effective", "onset": "onset",
             "expires": "expires", "senderName": "sender_name", "headline": "headline", "description": "description",
             "instruction": "instruction", "web": "web", "contact": "contact"}  # fmt: skip
INFO_LISTS = {"category": "category", "responseType": "response_type"}
INFO_PAIRS = {"eventCode": "event_codes", "parameter": "parameters"}
AREA_FIELDS = ("area_description", "geocodes", "altitude_ft", "ceiling_ft")
CAP_PROPERTIES = (*INFO_TEXT.values(), *INFO_LISTS.values(), *INFO_PAIRS.values(), *AREA_FIELDS)
EARTH_RADIUS_KM = 6371.0088
CIRCLE_SIDES = 36
_NS = {"cap": NAMESPACE}


def read(raw: bytes) -> etree._Element:
    """The alert's root element, parsed safely and valid against the CAP 1.2 schema (400 or 422 otherwise)."""
    root = xml.parse(raw)
    if root.tag != f"{{{NAMESPACE}}}alert":
        raise Invalid.at(xml.local(root), f"the document must be a CAP 1.2 <alert> in the namespace {NAMESPACE}")
    xml.validate(root, SCHEMA, REPEATABLE)
    return root


def translate(alert: etree._Element, incident: str | None = None) -> Translation:
    """The report a valid CAP 1.2 alert makes; ``incident`` puts it into a named incident."""
    status, msg_type = _text(alert, "status"), _text(alert, "msgType")
    _check_kind(status, msg_type)
    root_sender, root_id = _root(alert, msg_type)
    exercise = status in EXERCISE_STATUSES
    infos = alert.findall("cap:info", _NS)
    entries, origins = _objects(infos, root_id, msg_type)
    body: dict[str, Any] = {"id": _text(alert, "identifier"), "incident": "", "observed_at": _text(alert, "sent")}
    body["incident"], fields = _incident(alert, incident, root_sender, root_id)
    info = _incident_info(infos, msg_type, exercise, given=incident is not None)
    if info:
        body["incident_info"] = info
    if infos and (headline := _text(infos[0], "headline") or _text(infos[0], "event")):
        body["summary"] = bounded_text(headline, 10_000)
    body["objects"] = entries
    body.update(_visibility(alert))
    return Translation(body, origins, fields)


def _check_kind(status: str, msg_type: str) -> None:
    if status in ("System", "Draft"):
        raise Invalid.at("alert.status", f"a {status} alert is not about the situation: netcop takes Actual, "
                         "Exercise and Test alerts")  # fmt: skip
    if msg_type in ("Ack", "Error"):
        raise Invalid.at("alert.msgType", f"an {msg_type} message carries nothing for the picture: netcop takes "
                         "Alert, Update and Cancel")  # fmt: skip


def _root(alert: etree._Element, msg_type: str) -> tuple[str, str]:
    """The (sender, identifier) of the alert a chain started with: the earliest that ``references`` names."""
    references = _text(alert, "references")
    if msg_type == "Alert" or not references:
        if msg_type != "Alert":
            raise Invalid.at("alert.references", f"an {msg_type} must name the alert(s) it refers to")
        return _text(alert, "sender"), _text(alert, "identifier")
    named: list[tuple[datetime, str, str]] = []
    for token in references.split():
        parts = token.split(",")
        try:
            named.append((parse_rfc3339(parts[2]), parts[0], parts[1]))
        except (IndexError, ValueError) as error:
            raise Invalid.at("alert.references", f"{token!r} is not sender,identifier,sent") from error
    _, sender, identifier = min(named, key=lambda reference: reference[0])
    return sender, identifier


def _incident(alert: etree._Element, given: str | None, sender: str, root_id: str) -> tuple[str, dict[str, str]]:
    """The incident's id, and where the document set it (for error paths)."""
    fields = {"id": "alert.identifier", "observed_at": "alert.sent", "summary": "alert.info[0].headline",
              "visibility": "alert.scope", "audience": "alert.addresses", "incident_info": "alert",
              "incident_info.exercise": "alert.status"}  # fmt: skip
    if given is not None:
        return given, fields | {"incident": "incident"}
    named = _text(alert, "incidents").split()
    if named:
        return slug(named[0], "cap", f"{_text(alert, 'sender')} {named[0]}"), fields | {"incident": "alert.incidents"}
    return slug(root_id, "cap", f"{sender},{root_id}"), fields | {"incident": "alert.identifier"}


def _incident_info(infos: list[etree._Element], msg_type: str, exercise: bool, given: bool) -> dict[str, Any]:
    """What the alert says of its incident: only whether it is an exercise, for a named incident (which others
    may coordinate); for the chain's own incident also its title, category and status."""
    if given:
        return {"exercise": True} if exercise else {}
    info: dict[str, Any] = {"exercise": exercise, "status": "closed" if msg_type == "Cancel" else "active"}
    if infos:
        info["title"] = bounded_text(_text(infos[0], "headline") or _text(infos[0], "event"), 200)[:200]
        info["category"] = CATEGORIES[_text(infos[0], "category")]
    return info


def _objects(infos: list[etree._Element], root_id: str, msg_type: str) -> tuple[list[dict[str, Any]], list[str]]:
    entries: list[dict[str, Any]] = []
    origins: list[str] = []
    errors: list[tuple[str, str]] = []
    prefix = root_id if len(root_id) <= 190 else slug(root_id, "cap", root_id)
    for i, info in enumerate(infos):
        for j, area in enumerate(info.findall("cap:area", _NS)):
            where = f"alert.info[{i}].area[{j}]"
            entry: dict[str, Any] = {"id": f"{prefix}/{i}.{j}"}
            if msg_type == "Cancel":
                entry["removed"] = True
            else:
                entry.update(_area_object(info, area, where, errors, clear=msg_type == "Update"))
            entries.append(entry)
            origins.append(where)
    if errors:
        raise refuse(errors, "the alert's areas cannot be drawn")
    return entries, origins


def _area_object(
    info: etree._Element, area: etree._Element, where: str, errors: list[tuple[str, str]], clear: bool
) -> dict[str, Any]:
    properties: dict[str, Any] = dict.fromkeys(CAP_PROPERTIES) if clear else {}
    properties.update(_info_properties(info))
    properties["area_description"] = bounded_text(_text(area, "areaDesc"))
    if geocodes := _pairs(area, "geocode"):
        properties["geocodes"] = geocodes
    for name, key in (("altitude", "altitude_ft"), ("ceiling", "ceiling_ft")):
        if (value := _text(area, name)) != "":
            properties[key] = float(value)
    entry: dict[str, Any] = {"kind": "warning-area", "properties": properties}
    geometry = _geometry(area, where, errors)
    if geometry is not None or clear:
        entry["geometry"] = geometry
    return entry


def _info_properties(info: etree._Element) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name, key in INFO_TEXT.items():
        if (value := _text(info, name)) != "":
            properties[key] = bounded_text(value)
    for name, key in INFO_LISTS.items():
        if values := [child.text or "" for child in info.findall(f"cap:{name}", _NS)]:
            properties[key] = values
    for name, key in INFO_PAIRS.items():
        if pairs := _pairs(info, name):
            properties[key] = pairs
    return properties


def _pairs(element: etree._Element, name: str) -> dict[str, Any]:
    """valueName/value pairs as an object; a name given more than once keeps its values in a list."""
    pairs: dict[str, Any] = {}
    for child in element.findall(f"cap:{name}", _NS):
        key, value = _text(child, "valueName") or "(unnamed)", _text(child, "value")
        if key in pairs:
            pairs[key] = [*pairs[key], value] if isinstance(pairs[key], list) else [pairs[key], value]
        else:
            pairs[key] = value
    return {key: bounded_text(value) if isinstance(value, str) else value for key, value in pairs.items()}


def _geometry(area: etree._Element, where: str, errors: list[tuple[str, str]]) -> dict[str, Any] | None:
    shapes: list[dict[str, Any]] = []
    for name, make in (("polygon", polygon), ("circle", circle)):
        for index, element in enumerate(area.findall(f"cap:{name}", _NS)):
            path = f"{where}.{name}[{index}]"
            try:
                shape = make(element.text or "")
            except ValueError as error:
                errors.append((path, str(error)))
                continue
            errors.extend((path, message) for _, message in geojson.geometry_errors(shape, path)[:1])
            shapes.append(shape)
    if not shapes:
        return None
    return shapes[0] if len(shapes) == 1 else {"type": "GeometryCollection", "geometries": shapes}


_PAIR = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*,\s*([-+]?\d+(?:\.\d+)?)\s*$")


def _position(text: str) -> list[float]:
    """CAP's ``lat,lon`` (WGS 84) as a GeoJSON position ``[lon, lat]``."""
    found = _PAIR.match(text)
    if found is None:
        raise ValueError(f"{text!r} is not a WGS 84 coordinate pair written lat,lon")
    return [float(found.group(2)), float(found.group(1))]


def polygon(text: str) -> dict[str, Any]:
    """A CAP polygon (``lat,lon lat,lon ...``, at least four pairs, the first and last the same) as GeoJSON."""
    ring = [_position(pair) for pair in text.split()]
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise ValueError("a CAP polygon has at least four lat,lon pairs, the first and last the same")
    return {"type": "Polygon", "coordinates": [ring]}


def circle(text: str) -> dict[str, Any]:
    """A CAP circle (``lat,lon radius``, the radius in kilometres) as a GeoJSON Point (radius 0) or a polygon of
    ``CIRCLE_SIDES`` sides on the sphere."""
    center, _, radius_text = text.strip().rpartition(" ")
    lon, lat = _position(center)
    try:
        radius = float(radius_text)
    except ValueError as error:
        raise ValueError(f"{radius_text!r} is not a radius in kilometres") from error
    if not math.isfinite(radius) or radius < 0:
        raise ValueError("a circle's radius must be a number of kilometres, 0 or more")
    if radius == 0:
        return {"type": "Point", "coordinates": [lon, lat]}
    ring = [_destination(lat, lon, radius, 360.0 * step / CIRCLE_SIDES) for step in range(CIRCLE_SIDES)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _destination(lat: float, lon: float, distance_km: float, bearing_deg: float) -> list[float]:
    """The point ``distance_km`` away from (lat, lon) along ``bearing_deg``, on a sphere."""
    phi, lam, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    delta = distance_km / EARTH_RADIUS_KM
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lam2 = lam + math.atan2(math.sin(theta) * math.sin(delta) * math.cos(phi),
                            math.cos(delta) - math.sin(phi) * math.sin(phi2))  # fmt: skip
    return [round(math.degrees(lam2), 7), round(math.degrees(phi2), 7)]


def _visibility(alert: etree._Element) -> dict[str, Any]:
    visibility = VISIBILITY[_text(alert, "scope")]
    if visibility != "restricted":
        return {"visibility": visibility}
    addresses = [name.strip('"') for name in re.findall(r'"[^"]*"|\S+', _text(alert, "addresses"))]
    return {"visibility": visibility, "audience": addresses}


def _text(element: etree._Element, name: str) -> str:
    """The text of the element's first child of that name, stripped; empty when there is none."""
    child = element.find(f"cap:{name}", _NS)
    return (child.text or "").strip() if child is not None else ""
