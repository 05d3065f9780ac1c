"""The report as partners send it (spec section 3), and how its errors are named.

Validation runs in two steps: pydantic checks the shape (strict types, no unknown fields), then
``semantic_errors`` checks what a schema cannot say (GeoJSON, reserved and oversized properties, duplicate
object ids, the clock). Every error carries the path of the offending value, e.g.
``objects[1].geometry.coordinates[0]``.

A valid report is stored as ``oriented`` gives it: its polygons' rings turned as RFC 7946 asks. Its digest, the
idempotency check's, is that of the body as sent, so that a retry of the same body is recognised as one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.domain import geojson
from app.domain.timefmt import parse_rfc3339
from app.errors import Invalid
from app.schemas.common import PrintableId, Slug

MAX_PROPERTY_BYTES = 8 * 1024


@dataclass(frozen=True, slots=True)
class ReportLimits:
    """The configurable limits of spec section 3 (the defaults are the contract's)."""

    max_object_properties: int = 1000
    max_audience: int = 500


CONTRACT_LIMITS = ReportLimits()
RESERVED_PROPERTIES = ("kind", "geometry", "removed")
Visibility = Literal["partners", "restricted", "public"]


class IncidentInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    category: Slug | None = None
    status: Literal["active", "scaled-down", "closed"] | None = None
    grip: Annotated[int, Field(ge=0, le=5)] | Literal["rijk"] | None = None
    exercise: bool | None = None


class ObjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: PrintableId
    kind: Slug | None = None
    geometry: dict[str, Any] | None = None
    properties: dict[str, Any] | None = None
    removed: bool | None = None


class ReportIn(BaseModel):
    """A situation report."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: PrintableId
    incident: Slug
    incident_info: IncidentInfo | None = None
    observed_at: Annotated[str, Field(json_schema_extra={"format": "date-time"})]
    summary: Annotated[str, Field(max_length=10_000)] | None = None
    objects: Annotated[list[ObjectIn], Field(max_length=1000)] = []
    visibility: Visibility = "partners"
    audience: Annotated[list[Slug], Field(max_length=500)] | None = None

    @field_validator("observed_at")
    @classmethod
    def _rfc3339(cls, value: str) -> str:
        parse_rfc3339(value)
        return value


class BatchIn(BaseModel):
    """Up to 1000 reports, each accepted or refused on its own."""

    reports: list[ReportIn]


def format_path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """('objects', 1, 'geometry') -> 'objects[1].geometry'."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


_BRANCH_TAGS = ("function-", "literal[", "constrained-")


def _pydantic_details(error: ValidationError) -> list[dict[str, str]]:
    details = []
    for item in error.errors(include_url=False):
        # Union branches name themselves in the loc ("constrained-int", "literal['rijk']"): not part of the path.
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith(_BRANCH_TAGS)))
        message = item["msg"].removeprefix("Value error, ")
        details.append({"path": format_path(loc), "message": message})
    return details


_SCALARS = frozenset({int, float, bool, type(None)})
_SAFE_STRING = MAX_PROPERTY_BYTES // 6 - 2  # a character is at most 6 bytes as JSON (\uXXXX)


def _too_large(value: Any) -> bool:
    """Whether a property value exceeds MAX_PROPERTY_BYTES as compact JSON (serialized only when it could)."""
    kind = type(value)
    if kind in _SCALARS or (kind is str and len(value) <= _SAFE_STRING):
        return False
    return len(orjson.dumps(value)) > MAX_PROPERTY_BYTES


def _object_errors(index: int, entry: dict[str, Any], limits: ReportLimits) -> list[tuple[str, str]]:
    base = f"objects[{index}]"
    errors: list[tuple[str, str]] = []
    if entry.get("geometry") is not None:
        errors.extend(geojson.geometry_errors(entry["geometry"], f"{base}.geometry"))
    properties = entry.get("properties") or {}
    if len(properties) > limits.max_object_properties:
        return [(f"{base}.properties", f"at most {limits.max_object_properties} properties in one object entry")]
    for key, value in properties.items():
        if key in RESERVED_PROPERTIES:
            errors.append((f"{base}.properties.{key}", f"'{key}' is reserved: set it on the object itself"))
        elif not 1 <= len(key) <= 200:
            errors.append((f"{base}.properties", "property names must be 1..200 characters"))
        elif not key.isascii() and not unicodedata.is_normalized("NFC", key):
            errors.append((f"{base}.properties.{key}", "property names must be in Unicode normalization form NFC"))
        elif _too_large(value):
            errors.append((f"{base}.properties.{key}", "value exceeds 8 KiB as compact JSON"))
    if not properties and not any(name in entry for name in RESERVED_PROPERTIES):
        errors.append((base, "an object entry must assert at least one of kind, geometry, properties, removed"))
    return errors


def semantic_errors(
    body: dict[str, Any], now: datetime, future_tolerance: timedelta, limits: ReportLimits = CONTRACT_LIMITS
) -> list[tuple[str, str]]:
    """What the schema cannot check; the body has passed ``ReportIn`` already."""
    errors: list[tuple[str, str]] = []
    if len(body.get("audience") or ()) > limits.max_audience:
        errors.append(("audience", f"at most {limits.max_audience} organisations"))
    if parse_rfc3339(body["observed_at"]) > now + future_tolerance:
        errors.append(("observed_at", "lies more than 5 minutes in the future of the server clock"))
    visibility = body.get("visibility", "partners")
    if visibility == "restricted" and body.get("audience") is None:
        errors.append(("audience", "is required with visibility 'restricted'"))
    if visibility != "restricted" and "audience" in body:
        errors.append(("audience", "is only allowed with visibility 'restricted'"))
    seen: set[str] = set()
    for index, entry in enumerate(body.get("objects", [])):
        if entry["id"] in seen:
            errors.append((f"objects[{index}].id", "object id appears more than once in this report"))
        seen.add(entry["id"])
        errors.extend(_object_errors(index, entry, limits))
    return errors


def oriented(body: dict[str, Any]) -> dict[str, Any]:
    """A valid report with its polygons' rings turned as RFC 7946 asks (exterior counter-clockwise, holes
    clockwise): what is stored, merged and served. The body itself is not changed; it is returned as it is when
    no ring had to turn."""
    objects = body.get("objects") or []
    turned = [_oriented_entry(entry) for entry in objects]
    if all(new is old for new, old in zip(turned, objects, strict=True)):
        return body
    return {**body, "objects": turned}


def _oriented_entry(entry: dict[str, Any]) -> dict[str, Any]:
    geometry = entry.get("geometry")
    if geometry is None:
        return entry
    turned = geojson.oriented(geometry)
    return entry if turned is geometry else {**entry, "geometry": turned}


def validate_report(
    body: Any,
    now: datetime,
    future_tolerance: timedelta,
    prefix: str = "",
    limits: ReportLimits = CONTRACT_LIMITS,
) -> Invalid | None:
    """Checks a parsed report body; returns the 422 to answer, or None when it is valid."""
    if not isinstance(body, dict):
        return Invalid.at(prefix or "$", "a report must be a JSON object")
    try:
        ReportIn.model_validate(body)
    except ValidationError as error:
        details = _pydantic_details(error)
    else:
        details = [{"path": p, "message": m} for p, m in semantic_errors(body, now, future_tolerance, limits)]
    if not details:
        return None
    if prefix:
        for detail in details:
            detail["path"] = f"{prefix}.{detail['path']}" if detail["path"] else prefix
    return Invalid("the report is invalid", details[:50])
