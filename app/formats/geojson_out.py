"""GeoJSON out: the picture as features that GIS tools (GDAL, QGIS, ArcGIS) read right.

- Each feature's ``id`` is ``<incident>/<object>``, unique across the combined picture, and no property is called
  ``id``: GDAL takes a string ``id`` member as a field only when no property has that name, so the id survives
  ``ogr2ogr`` to a GeoPackage or a shapefile.
- The partner properties are the feature's own properties, flat, so that a GIS user styles and filters on
  ``status`` or ``evacuated`` directly; ``kind`` stands beside them.
- netcop's own facts are prefixed ``netcop_``: ``netcop_incident``, ``netcop_object``, ``netcop_seq``,
  ``netcop_updated_at``, and ``netcop_provenance`` and ``netcop_conflicts`` (one JSON column each, available
  without crowding the attribute table).
- A partner property that would clash (``id``, ``kind``, or a name starting with ``netcop_``) is written as
  ``netcop_property_<name>``: the mapping is one to one, and GeoJSON in (``geojson_in``) reads it back.
"""

from __future__ import annotations

from typing import Any

PREFIX = "netcop_"
ESCAPE = "netcop_property_"
CLASHING = frozenset({"id", "kind"})


def property_name(name: str) -> str:
    """A partner property's name in a feature's properties."""
    return ESCAPE + name if name in CLASHING or name.startswith(PREFIX) else name


def partner_name(name: str) -> str | None:
    """The partner property a feature property names; None for netcop's own (``netcop_...``, ``kind``)."""
    if name.startswith(ESCAPE):
        return name[len(ESCAPE) :]
    return None if name.startswith(PREFIX) or name == "kind" else name


def feature(obj: dict[str, Any]) -> dict[str, Any]:
    """One object of the picture (as rendered for a viewer) as a GeoJSON Feature."""
    properties: dict[str, Any] = {property_name(name): value for name, value in (obj.get("properties") or {}).items()}
    properties["kind"] = obj.get("kind")
    properties.update({
        "netcop_incident": obj["incident"],
        "netcop_object": obj["id"],
        "netcop_seq": obj.get("seq"),
        "netcop_updated_at": obj.get("updated_at"),
        "netcop_removed": bool(obj.get("removed", False)),
        "netcop_provenance": obj.get("provenance") or {},
        "netcop_conflicts": obj.get("conflicts") or [],
    })  # fmt: skip
    return {"type": "Feature", "id": f"{obj['incident']}/{obj['id']}", "geometry": obj.get("geometry"),
            "properties": properties}  # fmt: skip
