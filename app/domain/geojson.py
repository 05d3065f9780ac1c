"""GeoJSON geometries (RFC 7946, WGS84 lon/lat): validation, ring orientation, bounding boxes and box intersection.

``geometry_errors`` is the gate at the edge: it says, as ``(path, message)`` pairs, what is wrong with a
geometry a partner sent, at most one error per offending array element and at most ``MAX_ERRORS`` in all, so
that a broken 10,000-vertex polygon answers with a readable list rather than a flood. The structure is checked
by plain loops over plain JSON values; a Polygon or MultiPolygon whose structure is sound is then checked for
validity by GEOS (``polygons``). ``oriented`` turns a valid geometry's rings the way RFC 7946 asks.

Rules beyond RFC 7946's MUSTs, chosen so that every valid geometry has a bounding box and means the same area
in every GIS:

- a position has 2 or 3 numbers (booleans are not numbers; NaN and infinities are refused), longitude in
  [-180, 180], latitude in [-90, 90];
- arrays of things (MultiPoint, MultiLineString, MultiPolygon, a Polygon's rings, a GeometryCollection's
  geometries) must not be empty: a partner clears a geometry by sending ``null``;
- GeometryCollections may nest, at most ``MAX_COLLECTION_DEPTH`` deep;
- polygons must be valid (OGC Simple Features): no ring crossing or touching itself or another, holes inside
  their exterior ring, a MultiPolygon's polygons not overlapping; refused at the geometry's path, or at the
  polygon's within a MultiPolygon when that one alone is invalid;
- ring orientation is not checked (RFC 7946: parsers should not reject on it): ``oriented`` turns rings
  counter-clockwise (exterior) and clockwise (holes) once the geometry is valid;
- foreign members (``bbox`` included) are accepted and ignored.

``bounds`` and ``intersects`` expect geometries that passed validation. Boxes are plain
``min <= max`` boxes: a box crossing the antimeridian is not supported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import shapely.errors
import shapely.geometry

from app.domain import polygons

Bbox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat

MAX_ERRORS = 20
MAX_COLLECTION_DEPTH = 4
GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)

_NUMBER_TYPES = (int, float)
_AXES = ("longitude", "latitude", "altitude")
# How deep the positions sit in each type's "coordinates" (0: the coordinates are one position).
_POSITION_DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


class _Enough(Exception):
    """Raised inside validation once MAX_ERRORS errors are collected."""


class _Errors:
    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))
        if len(self.items) >= MAX_ERRORS:
            raise _Enough


class _ArrayRule(NamedTuple):
    noun: str
    of: str
    minimum: int
    at_least: str


_MULTIPOINT = _ArrayRule("MultiPoint coordinates", "positions", 1, "at least 1 position")
_LINE = _ArrayRule("a LineString", "positions", 2, "at least 2 positions")
_MULTILINE = _ArrayRule("MultiLineString coordinates", "LineStrings", 1, "at least 1 LineString")
_RING = _ArrayRule("a polygon ring", "positions", 4, "at least 4 positions")
_POLYGON = _ArrayRule("a Polygon", "linear rings", 1, "at least 1 linear ring")
_MULTIPOLYGON = _ArrayRule("MultiPolygon coordinates", "Polygons", 1, "at least 1 Polygon")
_COLLECTION = _ArrayRule("GeometryCollection geometries", "geometries", 1, "at least 1 geometry")

_Check = Callable[[object, str, _Errors], None]


def geometry_errors(value: object, path: str) -> list[tuple[str, str]]:
    """Lists what is wrong with a GeoJSON geometry as (path, message) pairs; empty when valid.

    `path` is where the geometry sits, e.g. "objects[1].geometry"; error paths extend it, e.g.
    "objects[1].geometry.coordinates[0][3]" or "objects[1].geometry.type".
    """
    errors = _Errors()
    try:
        _check_geometry(value, path, errors, 1)
    except _Enough:
        pass
    return errors.items


def oriented(geometry: dict[str, Any]) -> dict[str, Any]:
    """A valid geometry with its polygons' rings as RFC 7946 asks: exterior rings counter-clockwise, holes
    clockwise. Only the rings that turn the other way are reversed (a new list, positions unchanged); the input is
    not changed, and is returned itself when every ring already turns the right way."""
    kind = geometry["type"]
    if kind == "Polygon":
        return _with(geometry, "coordinates", polygons.oriented(geometry["coordinates"]))
    if kind == "MultiPolygon":
        return _with(geometry, "coordinates", _each(polygons.oriented, geometry["coordinates"]))
    if kind == "GeometryCollection":
        return _with(geometry, "geometries", _each(oriented, geometry["geometries"]))
    return geometry


def bounds(geometry: dict[str, object]) -> Bbox:
    """The bounding box of a valid geometry."""
    min_lon = min_lat = math.inf
    max_lon = max_lat = -math.inf
    for position in _positions(geometry):
        lon, lat = position[0], position[1]
        min_lon, max_lon = min(min_lon, lon), max(max_lon, lon)
        min_lat, max_lat = min(min_lat, lat), max(max_lat, lat)
    return float(min_lon), float(min_lat), float(max_lon), float(max_lat)


def intersects(geometry: dict[str, object], bbox: Bbox) -> bool:
    """Whether a valid geometry intersects the box (boundary contact counts)."""
    own = bounds(geometry)
    if not _boxes_overlap(own, bbox):
        return False
    if _box_contains(bbox, own) or any(_in_box(position, bbox) for position in _positions(geometry)):
        return True
    if geometry["type"] in ("Point", "MultiPoint"):
        return False
    return _shapely_intersects(geometry, bbox)


def parse_bbox(text: str) -> Bbox:
    """Parses "minlon,minlat,maxlon,maxlat"; raises ValueError when malformed, out of range or min > max."""
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError(
            f'bbox must be "minlon,minlat,maxlon,maxlat" (4 comma-separated numbers), got {len(parts)} part(s)'
        )
    min_lon, min_lat, max_lon, max_lat = (
        _bbox_number(part, name) for part, name in zip(parts, _BBOX_NAMES, strict=True)
    )
    _check_bbox_order(min_lon, max_lon, "minlon", "maxlon")
    _check_bbox_order(min_lat, max_lat, "minlat", "maxlat")
    return min_lon, min_lat, max_lon, max_lat


# --- validation -------------------------------------------------------------------------------------------


def _member(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check_geometry(value: object, path: str, errors: _Errors, depth: int) -> None:
    if not isinstance(value, dict):
        errors.add(path, f"a geometry must be a JSON object with a type, got {_describe(value)}")
        return
    kind = value.get("type")
    problem = _type_problem(kind, "type" in value)
    if "crs" in value:
        errors.add(_member(path, "crs"), "positions are WGS 84 longitude, latitude (RFC 7946): crs is not allowed")
    if problem is not None:
        errors.add(_member(path, "type"), problem)
    elif kind == "GeometryCollection":
        _check_collection(value, path, errors, depth)
    elif "coordinates" not in value:
        errors.add(_member(path, "coordinates"), f'a {kind} needs "coordinates"')
    else:
        _check_coordinates(value["type"], value["coordinates"], path, errors)


def _check_coordinates(kind: str, coordinates: object, path: str, errors: _Errors) -> None:
    found = len(errors.items)
    _COORDINATE_CHECKS[kind](coordinates, _member(path, "coordinates"), errors)
    if kind in ("Polygon", "MultiPolygon") and len(errors.items) == found:
        _check_validity(kind, coordinates, path, errors)


def _check_validity(kind: str, coordinates: Any, path: str, errors: _Errors) -> None:
    """GEOS's verdict on a structurally sound polygon; within a MultiPolygon, the polygon that is invalid by itself
    is named (looked for only once the whole was refused: valid polygons are checked once)."""
    problem = polygons.problem(kind, coordinates)
    if problem is None:
        return
    if kind == "MultiPolygon":
        for index, rings in enumerate(coordinates):
            own = polygons.problem("Polygon", rings)
            if own is not None:
                errors.add(f"{_member(path, 'coordinates')}[{index}]", own)
                return
    errors.add(path, problem)


def _type_problem(kind: object, present: bool) -> str | None:
    expected = "expected one of " + ", ".join(GEOMETRY_TYPES)
    if not present:
        return f'the geometry has no "type"; {expected}'
    if kind in GEOMETRY_TYPES:
        return None
    if kind in ("Feature", "FeatureCollection"):
        return f"a {kind} is not a geometry (send a geometry object); {expected}"
    if isinstance(kind, str) and kind.lower() in _LOWER_TYPES:
        hint = _LOWER_TYPES[kind.lower()]
        return f'{_describe(kind)} is not a geometry type: types are case-sensitive, use "{hint}"'
    return f"{_describe(kind)} is not a GeoJSON geometry type; {expected}"


_LOWER_TYPES = {name.lower(): name for name in GEOMETRY_TYPES}


def _check_collection(value: dict[str, Any], path: str, errors: _Errors, depth: int) -> None:
    if depth > MAX_COLLECTION_DEPTH:
        errors.add(path, f"GeometryCollections may nest at most {MAX_COLLECTION_DEPTH} deep")
        return
    where = _member(path, "geometries")
    if "geometries" not in value:
        errors.add(where, 'a GeometryCollection needs "geometries"')
        return
    members = _array(value["geometries"], where, errors, _COLLECTION)
    for index, member in enumerate(members or ()):
        _check_geometry(member, f"{where}[{index}]", errors, depth + 1)


def _array(value: object, path: str, errors: _Errors, rule: _ArrayRule) -> list[Any] | None:
    """The value as a list when it is an array long enough for the rule; None after reporting why not."""
    if not isinstance(value, list):
        errors.add(path, f"{rule.noun} must be an array of {rule.of}, got {_describe(value)}")
        return None
    return value if _long_enough(value, path, errors, rule) else None


def _long_enough(value: list[Any], path: str, errors: _Errors, rule: _ArrayRule) -> bool:
    if len(value) < rule.minimum:
        errors.add(path, f"{rule.noun} needs {rule.at_least}, got {len(value)}")
        return False
    return True


def _position_list(value: object, path: str, errors: _Errors, rule: _ArrayRule) -> list[Any] | None:
    """The value as a list of valid positions, long enough for the rule; None after reporting why not.

    Positions are checked before the length: a wrongly nested array is then named where it goes wrong.
    """
    if not isinstance(value, list):
        errors.add(path, f"{rule.noun} must be an array of {rule.of}, got {_describe(value)}")
        return None
    valid = True
    for index, position in enumerate(value):
        if not _is_position(position):
            errors.add(f"{path}[{index}]", _position_problem(position))
            valid = False
    return value if valid and _long_enough(value, path, errors, rule) else None


def _check_position(value: object, path: str, errors: _Errors) -> None:
    if not _is_position(value):
        errors.add(path, _position_problem(value))


def _check_multipoint(value: object, path: str, errors: _Errors) -> None:
    _position_list(value, path, errors, _MULTIPOINT)


def _check_line(value: object, path: str, errors: _Errors) -> None:
    _position_list(value, path, errors, _LINE)


def _check_ring(value: object, path: str, errors: _Errors) -> None:
    positions = _position_list(value, path, errors, _RING)
    if positions is not None and positions[0] != positions[-1]:
        errors.add(path, "polygon ring is not closed: first and last positions differ")


def _check_each(rule: _ArrayRule, check: _Check) -> _Check:
    def check_all(value: object, path: str, errors: _Errors) -> None:
        for index, item in enumerate(_array(value, path, errors, rule) or ()):
            check(item, f"{path}[{index}]", errors)

    return check_all


_check_polygon = _check_each(_POLYGON, _check_ring)
_COORDINATE_CHECKS: dict[str, _Check] = {
    "Point": _check_position,
    "MultiPoint": _check_multipoint,
    "LineString": _check_line,
    "MultiLineString": _check_each(_MULTILINE, _check_line),
    "Polygon": _check_polygon,
    "MultiPolygon": _check_each(_MULTIPOLYGON, _check_polygon),
}


def _is_position(value: object) -> bool:
    # The hot path: a type check plus a range check is the whole test (NaN fails any comparison).
    return (
        type(value) is list
        and 2 <= len(value) <= 3
        and type(value[0]) in _NUMBER_TYPES
        and -180 <= value[0] <= 180
        and type(value[1]) in _NUMBER_TYPES
        and -90 <= value[1] <= 90
        and (len(value) == 2 or _is_number(value[2]))
    )


def _position_problem(value: object) -> str:
    """Why an invalid position is invalid (the first reason only)."""
    if not isinstance(value, list):
        hint = " (nested too shallowly?)" if _is_number(value) else ""
        return f"a position must be an array [longitude, latitude(, altitude)], got {_describe(value)}{hint}"
    if value and isinstance(value[0], list):
        return "a position must be numbers [longitude, latitude], got an array of arrays (nested too deeply?)"
    if not 2 <= len(value) <= 3:
        return f"a position must have 2 or 3 numbers (longitude, latitude, altitude?), got {len(value)}"
    for axis, number in zip(_AXES, value, strict=False):
        if not _is_number(number):
            return f"{axis} must be a finite number, got {_describe(number)}"
    if not -180 <= value[0] <= 180:
        return f"longitude {_show(value[0])} is out of range [-180, 180]"
    return f"latitude {_show(value[1])} is out of range [-90, 90] (positions are [longitude, latitude])"


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _describe(value: object) -> str:
    """A short JSON-flavoured description of a value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'the string "{value[:40]}..."' if len(value) > 40 else f'the string "{value}"'
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return _show(value)


def _show(number: object) -> str:
    try:
        return repr(number)
    except ValueError:  # an int beyond Python's digit limit for str()
        return "a number too long to show"


# --- geometry of valid geometries -------------------------------------------------------------------------


def _each(turn: Callable[[Any], Any], parts: list[Any]) -> list[Any]:
    """The parts turned; the same list when no part changed."""
    turned = [turn(part) for part in parts]
    return parts if all(new is old for new, old in zip(turned, parts, strict=True)) else turned


def _with(geometry: dict[str, Any], member: str, value: list[Any]) -> dict[str, Any]:
    """The geometry with one member replaced (a copy), or itself when the value is the one it holds."""
    return geometry if value is geometry[member] else {**geometry, member: value}


def _positions(geometry: Mapping[str, Any]) -> Iterator[list[Any]]:
    kind = geometry["type"]
    if kind == "GeometryCollection":
        for member in geometry["geometries"]:
            yield from _positions(member)
    else:
        yield from _flatten(geometry["coordinates"], _POSITION_DEPTH[kind])


def _flatten(coordinates: list[Any], depth: int) -> Iterator[list[Any]]:
    if depth == 0:
        yield coordinates
    elif depth == 1:
        yield from coordinates
    else:
        for part in coordinates:
            yield from _flatten(part, depth - 1)


def _boxes_overlap(a: Bbox, b: Bbox) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _box_contains(outer: Bbox, inner: Bbox) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _in_box(position: list[Any], bbox: Bbox) -> bool:
    return bool(bbox[0] <= position[0] <= bbox[2] and bbox[1] <= position[1] <= bbox[3])


def _shapely_intersects(geometry: Mapping[str, object], bbox: Bbox) -> bool:
    try:
        return bool(shapely.geometry.shape(geometry).intersects(_box_shape(bbox)))
    except (shapely.errors.ShapelyError, ValueError):
        # The boxes overlap (checked first); for a geometry GEOS cannot handle that is the best answer left.
        return True


def _box_shape(bbox: Bbox) -> Any:
    """The box as a shapely geometry; a zero-width box is a segment or a point, not an empty polygon."""
    min_lon, min_lat, max_lon, max_lat = bbox
    if min_lon < max_lon and min_lat < max_lat:
        return shapely.geometry.box(min_lon, min_lat, max_lon, max_lat)
    if min_lon < max_lon or min_lat < max_lat:
        return shapely.geometry.LineString([(min_lon, min_lat), (max_lon, max_lat)])
    return shapely.geometry.Point(min_lon, min_lat)


# --- bbox parameters --------------------------------------------------------------------------------------

_BBOX_NAMES = ("minlon", "minlat", "maxlon", "maxlat")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _bbox_number(part: str, name: str) -> float:
    text = part.strip()
    if not _NUMBER.fullmatch(text):
        raise ValueError(f'bbox {name} must be a number, got "{text}"')
    number = float(text)
    limit = 180 if name.endswith("lon") else 90
    if not -limit <= number <= limit:
        raise ValueError(f"bbox {name} {text} is out of range [-{limit}, {limit}]")
    return number


def _check_bbox_order(low: float, high: float, low_name: str, high_name: str) -> None:
    if low > high:
        raise ValueError(
            f"bbox {low_name} {low!r} is greater than {high_name} {high!r} "
            "(boxes crossing the antimeridian are not supported)"
        )
