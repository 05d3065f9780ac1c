"""GeoJSON in: a FeatureCollection, as a GIS draws and exports it, becomes one report (spec section 9).

- Each Feature is one object entry. Its object id is the Feature's ``id`` member (a string, or an integer as
  GDAL writes with ``ID_GENERATE``), else its ``id`` property (what a GIS layer's id column becomes in an export);
  a feature with neither is refused at ``features[i].id``. An id ``<incident>/<object>`` naming the target incident,
  as netcop's own GeoJSON writes it, is read as ``<object>``: a picture exported, edited and sent back lands on the
  same objects.
- The property ``kind`` is the object's kind; the other properties are its properties, flat as the contract wants.
  What netcop's own GeoJSON adds (``netcop_...``) is left out, and its escaped names (``netcop_property_id``) are
  read back (``geojson_out``).
  A ``null`` is left out rather than sent as "clear this": a GIS writes ``null`` in every empty cell of its table,
  and a partner that left a column empty has said nothing about it.
- A ``null`` geometry asserts no geometry (an unlocated feature keeps what the picture had).
- Positions are WGS 84 lon/lat (RFC 7946): a collection ``crs`` member (GeoJSON 2008, still written by GDAL and
  QGIS) is accepted only when it names that system (CRS84); any other (e.g. RD New, EPSG:28992) is 422 at ``crs``.
- The report's own fields come from the query: ``incident`` and ``observed_at`` (the contract's), and optionally
  ``id`` (without it, an id made of the document's content, so that the same document sent again is a retry),
  ``summary``, ``visibility`` and ``audience``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.formats import geojson_out
from app.formats.translation import Translation, content_id, refuse

CRS84_NAMES = frozenset(
    {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "OGC:CRS84", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
)
QUERY_FIELDS = ("id", "incident", "observed_at", "summary", "visibility", "audience")
Errors = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Fields:
    """The report's own fields, as the query gave them."""

    incident: str
    observed_at: str
    report_id: str | None = None
    summary: str | None = None
    visibility: str | None = None
    audience: tuple[str, ...] = ()


def translate(collection: Any, fields: Fields) -> Translation:
    """The report a FeatureCollection makes; raises ``Invalid`` at a path in the document when it is not one."""
    errors: Errors = []
    features = _features(collection, errors)
    objects = [_entry(feature, f"features[{index}]", fields.incident, errors) for index, feature in enumerate(features)]
    if errors:
        raise refuse(errors, "the FeatureCollection cannot be read as a report")
    body = _report(fields, [entry for entry in objects if entry is not None], collection)
    origins = [f"features[{index}]" for index in range(len(features))]
    return Translation(body, origins, {name: name for name in QUERY_FIELDS}, {"kind": "properties.kind"})


def _features(collection: Any, errors: Errors) -> list[Any]:
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        errors.append(("type", 'the body must be a GeoJSON FeatureCollection ({"type": "FeatureCollection", ...})'))
        return []
    crs = collection.get("crs")
    if crs is not None and _crs_name(crs) not in CRS84_NAMES:
        errors.append(("crs", "positions must be WGS 84 longitude/latitude (RFC 7946): reproject to EPSG:4326"))
    features = collection.get("features")
    if not isinstance(features, list):
        errors.append(("features", "must be an array of Features"))
        return []
    return features


def _crs_name(crs: Any) -> Any:
    properties = crs.get("properties") if isinstance(crs, dict) else None
    return properties.get("name") if isinstance(properties, dict) else None


def _entry(feature: Any, path: str, incident: str, errors: Errors) -> dict[str, Any] | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        errors.append((f"{path}.type", 'must be a GeoJSON Feature ({"type": "Feature", ...})'))
        return None
    properties = feature.get("properties")
    if properties is not None and not isinstance(properties, dict):
        errors.append((f"{path}.properties", "must be an object or null"))
        return None
    kind = (properties or {}).get("kind")
    properties = {key: value for key, value in (properties or {}).items() if value is not None}
    object_id = _object_id(feature, properties, path, incident, errors)
    entry: dict[str, Any] = {"id": object_id}
    if kind is not None:
        entry["kind"] = kind
    properties = _partner_properties(properties)
    if feature.get("geometry") is not None:
        entry["geometry"] = feature["geometry"]
    if properties:
        entry["properties"] = properties
    return entry


def _partner_properties(properties: dict[str, Any]) -> dict[str, Any]:
    """The partner's properties of a feature: netcop's own GeoJSON facts (``netcop_...``) and ``kind`` left out,
    escaped names (``netcop_property_id``) read back."""
    found = {}
    for name, value in properties.items():
        partner = geojson_out.partner_name(name)
        if partner is not None:
            found[partner] = value
    return found


def _object_id(feature: dict[str, Any], properties: dict[str, Any], path: str, incident: str, errors: Errors) -> Any:
    """The feature's object id: its ``id`` member, else its ``id`` property (taken out of the properties)."""
    given, where = (feature["id"], f"{path}.id") if feature.get("id") is not None else (
        properties.pop("id", None), f"{path}.properties.id")  # fmt: skip
    if isinstance(given, int) and not isinstance(given, bool):
        return str(given)
    if not isinstance(given, str):
        message = "a feature needs an id (a string or an integer), as its id member or an id property"
        errors.append((where if given is not None else f"{path}.id", message))
        return None
    return given.removeprefix(f"{incident}/") if given != f"{incident}/" else given


def _report(fields: Fields, objects: list[dict[str, Any]], collection: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"incident": fields.incident, "observed_at": fields.observed_at}
    if fields.summary is not None:
        body["summary"] = fields.summary
    if fields.visibility is not None:
        body["visibility"] = fields.visibility
    if fields.audience:
        body["audience"] = list(fields.audience)
    body["objects"] = objects
    body["id"] = fields.report_id or content_id("geojson", {**body, "document": collection})
    return body
