"""GeoJSON geometries: what the edge refuses (with paths), ring orientation, bounding boxes, box intersection, bbox
parameters."""

from __future__ import annotations

import copy
import math
import random
import time
from typing import Any

import pytest
import shapely.errors
import shapely.geometry
from hypothesis import given
from hypothesis import strategies as st

from app.domain import geojson
from tests.domain import polygon_strategies

AT = "objects[1].geometry"
SQUARE = [[4.66, 51.80], [4.68, 51.80], [4.68, 51.81], [4.66, 51.81], [4.66, 51.80]]
HOLE = [[4.665, 51.803], [4.675, 51.803], [4.675, 51.807], [4.665, 51.807], [4.665, 51.803]]
EAST_SQUARE = [[lon + 0.1, lat] for lon, lat in SQUARE]


def errors(geometry: object) -> list[tuple[str, str]]:
    return geojson.geometry_errors(geometry, AT)


def paths(geometry: object) -> list[str]:
    return [path for path, _ in errors(geometry)]


# --- valid geometries -----------------------------------------------------------------------------------

VALID = [
    {"type": "Point", "coordinates": [4.6731, 51.8012]},
    {"type": "Point", "coordinates": [4.6731, 51.8012, -2.5]},
    {"type": "MultiPoint", "coordinates": [[4.6, 51.8], [4.7, 51.9]]},
    {"type": "LineString", "coordinates": [[4.6, 51.8], [4.7, 51.9]]},
    {"type": "MultiLineString", "coordinates": [[[4.6, 51.8], [4.7, 51.9]], [[5, 52], [5, 53], [6, 53]]]},
    {"type": "Polygon", "coordinates": [[[4.66, 51.80], [4.68, 51.80], [4.68, 51.81], [4.66, 51.80]]]},
    {"type": "Polygon", "coordinates": [SQUARE, HOLE]},
    {"type": "MultiPolygon", "coordinates": [[SQUARE], [EAST_SQUARE, [[lon + 0.1, lat] for lon, lat in HOLE]]]},
    {
        "type": "GeometryCollection",
        "geometries": [{"type": "Point", "coordinates": [4, 51]}, {"type": "Polygon", "coordinates": [SQUARE]}],
    },
    {"type": "Point", "coordinates": [180, 90]},
    {"type": "Point", "coordinates": [-180, -90]},
    {"type": "Point", "coordinates": [0, 0]},
]


@pytest.mark.parametrize("geometry", VALID)
def test_valid_geometries_have_no_errors(geometry: dict[str, object]) -> None:
    """Every geometry type of RFC 7946, with 2D or 3D positions, ints or floats, at the range limits, is valid."""
    assert errors(geometry) == []


def test_bbox_and_foreign_members_are_ignored() -> None:
    """A geometry may carry a bbox and foreign members; only type and coordinates are checked."""
    geometry = {"type": "Point", "coordinates": [4, 51], "bbox": "anything", "note": None}
    assert errors(geometry) == []


def test_a_crs_is_refused_with_a_hint_that_positions_are_wgs84() -> None:
    """RFC 7946 removed ``crs``: a partner sending RD New coordinates with one hears at once what is expected."""
    found = errors({"type": "Point", "coordinates": [4, 51], "crs": {"type": "name"}})
    assert [path for path, _ in found] == [f"{AT}.crs"]
    assert "WGS 84" in found[0][1]


def test_the_path_may_be_empty() -> None:
    """With an empty path the error paths start at the geometry's own members."""
    assert geojson.geometry_errors({"type": "Point", "coordinates": [181, 0]}, "")[0][0] == "coordinates"
    assert geojson.geometry_errors({"coordinates": [1, 0]}, "")[0][0] == "type"


# --- the geometry object ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, [4, 51], "Point", 5, True])
def test_a_geometry_must_be_an_object(value: object) -> None:
    """Anything but a JSON object is refused at the geometry's own path."""
    [(path, message)] = errors(value)
    assert path == AT
    assert "must be a JSON object" in message


def test_a_missing_type_is_refused() -> None:
    """A geometry without a type is refused at its type path, listing the types."""
    [(path, message)] = errors({"coordinates": [4, 51]})
    assert path == f"{AT}.type"
    assert "Polygon" in message


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [
        ("Circle", "not a GeoJSON geometry type"),
        (5, "not a GeoJSON geometry type"),
        (None, "not a GeoJSON geometry type"),
        ("Feature", "a Feature is not a geometry"),
        ("FeatureCollection", "a FeatureCollection is not a geometry"),
        ("point", 'case-sensitive, use "Point"'),
        ("multipolygon", 'use "MultiPolygon"'),
    ],
)
def test_an_unknown_type_is_refused(kind: object, fragment: str) -> None:
    """A type that is not one of the seven geometry types is refused at the type path, with a hint."""
    [(path, message)] = errors({"type": kind, "coordinates": [4, 51]})
    assert path == f"{AT}.type"
    assert fragment in message


@pytest.mark.parametrize("kind", ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon"])
def test_coordinates_are_required(kind: str) -> None:
    """Every type but GeometryCollection needs coordinates."""
    assert errors({"type": kind}) == [(f"{AT}.coordinates", f'a {kind} needs "coordinates"')]


# --- positions ----------------------------------------------------------------------------------------------


def test_a_longitude_out_of_range_is_refused_at_its_position() -> None:
    """A longitude beyond [-180, 180] is named, with its value, at the path of its position."""
    geometry = {"type": "LineString", "coordinates": [[4.6, 51.8], [181.5, 51.9]]}
    assert errors(geometry) == [(f"{AT}.coordinates[1]", "longitude 181.5 is out of range [-180, 180]")]


def test_a_latitude_out_of_range_is_refused_with_an_order_hint() -> None:
    """A latitude beyond [-90, 90] is refused, reminding that positions are [longitude, latitude]."""
    [(path, message)] = errors({"type": "Point", "coordinates": [4.6, -90.5]})
    assert path == f"{AT}.coordinates"
    assert message.startswith("latitude -90.5 is out of range [-90, 90]")
    assert "[longitude, latitude]" in message


@pytest.mark.parametrize(
    ("position", "fragment"),
    [
        ([True, 51], "longitude must be a finite number, got true"),
        ([4, False], "latitude must be a finite number, got false"),
        ([4, 51, True], "altitude must be a finite number, got true"),
        (["4.6", 51], 'longitude must be a finite number, got the string "4.6"'),
        ([4, None], "latitude must be a finite number, got null"),
        ([math.nan, 51], "longitude must be a finite number, got nan"),
        ([4, math.inf], "latitude must be a finite number, got inf"),
        ([4, 51, -math.inf], "altitude must be a finite number"),
        ([4], "must have 2 or 3 numbers"),
        ([], "must have 2 or 3 numbers"),
        ([4, 51, 0, 0], "must have 2 or 3 numbers (longitude, latitude, altitude?), got 4"),
        ({"lon": 4, "lat": 51}, "a position must be an array"),
        (4.6, "a position must be an array [longitude, latitude(, altitude)], got 4.6 (nested too shallowly?)"),
        ([[4, 51]], "got an array of arrays (nested too deeply?)"),
        ([4, [51]], "latitude must be a finite number, got an array"),
    ],
)
def test_a_malformed_position_is_refused(position: object, fragment: str) -> None:
    """A position is 2 or 3 finite numbers (not booleans, strings, NaN or infinities)."""
    [(path, message)] = errors({"type": "Point", "coordinates": position})
    assert path == f"{AT}.coordinates"
    assert fragment in message


def test_a_position_reports_only_its_first_error() -> None:
    """A position with several problems yields one error."""
    assert errors({"type": "Point", "coordinates": [200, 100]}) == [
        (f"{AT}.coordinates", "longitude 200 is out of range [-180, 180]")
    ]


def test_a_huge_integer_is_out_of_range_without_crashing() -> None:
    """An integer too long to print is still refused as out of range."""
    [(_, message)] = errors({"type": "Point", "coordinates": [10**5000, 0]})
    assert "out of range" in message


def test_every_bad_position_is_reported() -> None:
    """Each offending position of a MultiPoint gets its own error, in order."""
    geometry = {"type": "MultiPoint", "coordinates": [[4, 51], [190, 51], [4, 51], [4, 95]]}
    assert paths(geometry) == [f"{AT}.coordinates[1]", f"{AT}.coordinates[3]"]


# --- lines, rings, polygons, multi-geometries -----------------------------------------------------------


def test_a_linestring_needs_two_positions() -> None:
    """A LineString of one position is refused at its coordinates path."""
    geometry = {"type": "LineString", "coordinates": [[4, 51]]}
    assert errors(geometry) == [(f"{AT}.coordinates", "a LineString needs at least 2 positions, got 1")]


def test_an_unclosed_ring_is_refused_at_the_ring() -> None:
    """A ring whose first and last positions differ is refused at the ring's path."""
    geometry = {"type": "Polygon", "coordinates": [[[4.66, 51.80], [4.68, 51.80], [4.68, 51.81], [4.66, 51.81]]]}
    assert errors(geometry) == [(f"{AT}.coordinates[0]", "polygon ring is not closed: first and last positions differ")]


def test_a_ring_needs_four_positions() -> None:
    """A ring of three positions is refused at the ring's path, even when closed."""
    geometry = {"type": "Polygon", "coordinates": [SQUARE, [[4, 51], [5, 51], [4, 51]]]}
    assert errors(geometry) == [(f"{AT}.coordinates[1]", "a polygon ring needs at least 4 positions, got 3")]


def test_a_bad_position_in_a_hole_is_named_by_ring_and_index() -> None:
    """A position's path names its ring and its index in the ring; the ring is not also called unclosed."""
    hole = [list(position) for position in HOLE]
    hole[2] = [4.675, 91.0]
    assert paths({"type": "Polygon", "coordinates": [SQUARE, hole]}) == [f"{AT}.coordinates[1][2]"]


def test_a_polygon_needs_a_ring() -> None:
    """An empty Polygon is refused: a geometry is cleared with null, not with empty coordinates."""
    assert errors({"type": "Polygon", "coordinates": []}) == [
        (f"{AT}.coordinates", "a Polygon needs at least 1 linear ring, got 0")
    ]


@pytest.mark.parametrize(
    ("geometry", "path"),
    [
        ({"type": "Polygon", "coordinates": SQUARE}, f"{AT}.coordinates[0][0]"),
        ({"type": "Polygon", "coordinates": [[SQUARE]]}, f"{AT}.coordinates[0][0]"),
        ({"type": "LineString", "coordinates": [4, 51]}, f"{AT}.coordinates[0]"),
        ({"type": "MultiPoint", "coordinates": [4, 51]}, f"{AT}.coordinates[0]"),
        ({"type": "Polygon", "coordinates": {"ring": SQUARE}}, f"{AT}.coordinates"),
        ({"type": "MultiPolygon", "coordinates": [SQUARE]}, f"{AT}.coordinates[0][0][0]"),
    ],
)
def test_wrong_nesting_is_refused_where_it_goes_wrong(geometry: dict[str, object], path: str) -> None:
    """Coordinates nested too shallowly or too deeply are refused at the first element that is not a position."""
    assert paths(geometry)[0] == path


@pytest.mark.parametrize("kind", ["MultiPoint", "MultiLineString", "MultiPolygon"])
def test_multi_geometries_must_not_be_empty(kind: str) -> None:
    """An empty Multi* geometry is refused at its coordinates."""
    [(path, message)] = errors({"type": kind, "coordinates": []})
    assert path == f"{AT}.coordinates"
    assert "needs at least 1" in message


def test_multilinestring_errors_name_the_line() -> None:
    """A too-short line inside a MultiLineString is refused at that line's path."""
    geometry = {"type": "MultiLineString", "coordinates": [[[4, 51], [5, 52]], [[4, 51]]]}
    assert errors(geometry) == [(f"{AT}.coordinates[1]", "a LineString needs at least 2 positions, got 1")]


def test_multipolygon_errors_name_polygon_ring_and_position() -> None:
    """A bad position inside a MultiPolygon is named by polygon, ring and position."""
    square = [list(position) for position in SQUARE]
    square[3] = [-180.5, 51.81]
    geometry = {"type": "MultiPolygon", "coordinates": [[SQUARE], [square]]}
    assert errors(geometry) == [(f"{AT}.coordinates[1][0][3]", "longitude -180.5 is out of range [-180, 180]")]


# --- geometry collections -----------------------------------------------------------------------------------


def test_collection_members_are_validated_with_their_paths() -> None:
    """Errors inside a GeometryCollection member carry the member's index."""
    geometry = {
        "type": "GeometryCollection",
        "geometries": [
            {"type": "Point", "coordinates": [4, 51]},
            {"type": "Point", "coordinates": [4, 51]},
            {"type": "Polygon", "coordinates": [[[4, 51], [5, 51], [5, 52], [4, 52]]]},
        ],
    }
    assert paths(geometry) == [f"{AT}.geometries[2].coordinates[0]"]


@pytest.mark.parametrize(
    ("geometry", "path"),
    [
        ({"type": "GeometryCollection"}, f"{AT}.geometries"),
        ({"type": "GeometryCollection", "geometries": {}}, f"{AT}.geometries"),
        ({"type": "GeometryCollection", "geometries": []}, f"{AT}.geometries"),
        ({"type": "GeometryCollection", "geometries": [[4, 51]]}, f"{AT}.geometries[0]"),
        ({"type": "GeometryCollection", "geometries": [{"type": "Feature"}]}, f"{AT}.geometries[0].type"),
    ],
)
def test_a_collection_needs_a_list_of_geometries(geometry: dict[str, object], path: str) -> None:
    """A GeometryCollection needs a non-empty array of geometry objects."""
    assert paths(geometry) == [path]


def nested_collection(levels: int) -> dict[str, object]:
    geometry: dict[str, object] = {"type": "Point", "coordinates": [4, 51]}
    for _ in range(levels):
        geometry = {"type": "GeometryCollection", "geometries": [geometry]}
    return geometry


def test_collections_may_nest_four_deep() -> None:
    """GeometryCollections nested four deep are accepted."""
    assert errors(nested_collection(4)) == []


def test_collections_may_not_nest_five_deep() -> None:
    """The fifth nested GeometryCollection is refused at its own path."""
    [(path, message)] = errors(nested_collection(5))
    assert path == f"{AT}.geometries[0].geometries[0].geometries[0].geometries[0]"
    assert "at most 4 deep" in message


# --- polygon validity (OGC Simple Features) ------------------------------------------------------------------

BOWTIE = [[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]
BOX = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]


def test_a_self_intersecting_polygon_is_refused_at_the_geometry_saying_where() -> None:
    """A bow-tie is refused at the geometry's path, with what is wrong and where."""
    [(path, message)] = errors({"type": "Polygon", "coordinates": [BOWTIE]})
    assert path == AT
    assert message.startswith("not a valid Polygon: self-intersection at [5, 5]")
    assert "must not cross" in message


@pytest.mark.parametrize(
    ("rings", "fragment"),
    [
        ([BOX, [[20, 20], [21, 20], [21, 21], [20, 20]]], "hole lies outside shell at [20, 20]"),
        ([BOX, [[5, 5], [15, 5], [15, 6], [5, 5]]], "self-intersection at [10, 5]"),
        ([BOX, [[1, 1], [9, 1], [9, 9], [1, 9], [1, 1]], [[2, 2], [8, 2], [8, 8], [2, 8], [2, 2]]], "holes are nested"),
        ([BOX, [[0, 5], [5, 0], [10, 5], [5, 10], [0, 5]]], "interior is disconnected"),
        ([[[0, 0], [10, 0], [5, 5], [10, 10], [0, 10], [5, 5], [0, 0]]], "ring self-intersection at [5, 5]"),
        ([[[0, 0], [10, 0], [10, 10], [10, 20], [10, 10], [0, 10], [0, 0]]], "ring self-intersection"),
        ([[[0, 0], [1, 0], [2, 0], [0, 0]]], "self-intersection"),
        ([[[0, 0], [1, 1], [1, 1], [0, 0]]], "a ring needs at least 3 distinct positions"),
    ],
    ids=["hole-outside", "hole-crossing-shell", "nested-holes", "cut-in-two", "self-touching", "spike", "flat",
         "two-positions"],
)
def test_invalid_polygons_are_refused_saying_why(rings: list[Any], fragment: str) -> None:
    """Holes outside or across their shell, nested holes, a hole cutting the polygon in two, a ring touching itself
    and a ring without area are refused at the geometry's path."""
    [(path, message)] = errors({"type": "Polygon", "coordinates": rings})
    assert path == AT
    assert fragment in message


def test_a_hole_may_touch_its_shell_in_a_point() -> None:
    """Rings meeting in single points are valid (Simple Features), and so not refused."""
    assert errors({"type": "Polygon", "coordinates": [BOX, [[0, 5], [5, 4], [5, 6], [0, 5]]]}) == []


def test_an_invalid_polygon_of_a_multipolygon_is_named_by_its_index() -> None:
    """Within a MultiPolygon, the polygon that is invalid by itself is named."""
    east_bowtie = [[lon + 20, lat] for lon, lat in BOWTIE]
    [(path, message)] = errors({"type": "MultiPolygon", "coordinates": [[BOX], [east_bowtie]]})
    assert path == f"{AT}.coordinates[1]"
    assert message.startswith("not a valid Polygon: self-intersection at [25, 5]")


@pytest.mark.parametrize(
    ("second", "fragment"),
    [
        ([[5, 5], [15, 5], [15, 15], [5, 15], [5, 5]], "self-intersection"),
        ([[10, 0], [20, 0], [20, 10], [10, 10], [10, 0]], "self-intersection"),
        ([[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]], "nested shells"),
    ],
    ids=["overlapping", "sharing-an-edge", "inside"],
)
def test_polygons_of_a_multipolygon_must_not_overlap(second: list[Any], fragment: str) -> None:
    """Polygons that overlap, share an edge or lie one in another make an invalid MultiPolygon, refused at the
    geometry's path."""
    [(path, message)] = errors({"type": "MultiPolygon", "coordinates": [[BOX], [second]]})
    assert path == AT
    assert message.startswith(f"not a valid MultiPolygon: {fragment}")


def test_polygons_of_a_multipolygon_may_meet_in_a_point() -> None:
    """Polygons touching at a corner make a valid MultiPolygon."""
    corner = [[10, 10], [20, 10], [20, 20], [10, 20], [10, 10]]
    assert errors({"type": "MultiPolygon", "coordinates": [[BOX], [corner]]}) == []


def test_an_invalid_polygon_in_a_collection_is_named_by_its_member() -> None:
    """A GeometryCollection's invalid polygon is refused at the member's path; members may overlap each other."""
    geometry = {
        "type": "GeometryCollection",
        "geometries": [
            {"type": "Polygon", "coordinates": [BOX]},
            {"type": "Polygon", "coordinates": [BOX]},
            {"type": "Polygon", "coordinates": [BOWTIE]},
        ],
    }
    assert paths(geometry) == [f"{AT}.geometries[2]"]


def test_a_polygon_mixing_2d_and_3d_positions_is_checked_in_2d() -> None:
    """Altitudes play no part in validity: a ring mixing 2D and 3D positions is valid when its outline is."""
    assert errors({"type": "Polygon", "coordinates": [[[0, 0, 5], [10, 0], [10, 10, -3.5], [0, 0, 5]]]}) == []


def test_validity_is_checked_only_once_the_structure_is_sound() -> None:
    """A structural error is the only one reported: GEOS never sees an unclosed or malformed ring."""
    unclosed = [[0, 0], [10, 10], [10, 0], [0, 10]]
    assert errors({"type": "Polygon", "coordinates": [unclosed]}) == [
        (f"{AT}.coordinates[0]", "polygon ring is not closed: first and last positions differ")
    ]
    assert paths({"type": "MultiPolygon", "coordinates": [[BOWTIE], [[[0, 0], [1, 0], [0, 0]]]]}) == [
        f"{AT}.coordinates[1][0]"
    ]


# --- orientation (RFC 7946 section 3.1.6) ----------------------------------------------------------------------

CW_BOX = BOX[::-1]
CW_HOLE = [[2, 2], [2, 8], [8, 8], [8, 2], [2, 2]]
CCW_HOLE = CW_HOLE[::-1]


def test_a_clockwise_exterior_and_a_counter_clockwise_hole_are_turned() -> None:
    """A Polygon's exterior ring comes out counter-clockwise, its holes clockwise, with the same positions."""
    geometry = {"type": "Polygon", "coordinates": [CW_BOX, CCW_HOLE], "bbox": [0, 0, 10, 10]}
    assert geojson.oriented(geometry) == {"type": "Polygon", "coordinates": [BOX, CW_HOLE], "bbox": [0, 0, 10, 10]}


def test_only_the_rings_that_turn_wrongly_are_reversed() -> None:
    """A right exterior keeps its list while a wrong hole is reversed, and the other way round."""
    rings = geojson.oriented({"type": "Polygon", "coordinates": [BOX, CCW_HOLE]})["coordinates"]
    assert rings == [BOX, CW_HOLE]
    assert rings[0] is BOX
    rings = geojson.oriented({"type": "Polygon", "coordinates": [CW_BOX, CW_HOLE]})["coordinates"]
    assert rings == [BOX, CW_HOLE]
    assert rings[1] is CW_HOLE


def test_each_polygon_of_a_multipolygon_is_turned() -> None:
    """Every polygon of a MultiPolygon gets a counter-clockwise exterior and clockwise holes."""
    east = [[lon + 20, lat] for lon, lat in BOX]
    geometry = {"type": "MultiPolygon", "coordinates": [[BOX, CCW_HOLE], [east[::-1]]]}
    assert geojson.oriented(geometry)["coordinates"] == [[BOX, CW_HOLE], [east]]


def test_polygons_in_a_collection_are_turned_and_other_members_kept() -> None:
    """Polygons and MultiPolygons inside (nested) GeometryCollections are turned; other members are the same
    objects."""
    point = {"type": "Point", "coordinates": [1, 2]}
    inner = {"type": "GeometryCollection", "geometries": [{"type": "MultiPolygon", "coordinates": [[CW_BOX]]}]}
    polygon = {"type": "Polygon", "coordinates": [CW_BOX]}
    geometry = {"type": "GeometryCollection", "geometries": [point, polygon, inner]}
    turned = geojson.oriented(geometry)
    assert turned["geometries"][0] is point
    assert turned["geometries"][1] == {"type": "Polygon", "coordinates": [BOX]}
    assert turned["geometries"][2] == {"type": "GeometryCollection",
                                      "geometries": [{"type": "MultiPolygon", "coordinates": [[BOX]]}]}  # fmt: skip


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Polygon", "coordinates": [BOX, CW_HOLE]},
        {"type": "MultiPolygon", "coordinates": [[BOX], [[[lon + 20, lat] for lon, lat in BOX]]]},
        {"type": "GeometryCollection", "geometries": [{"type": "Polygon", "coordinates": [BOX]}]},
        {"type": "LineString", "coordinates": CW_BOX},
        {"type": "Point", "coordinates": [4, 51]},
    ],
)
def test_a_geometry_already_oriented_is_returned_as_it_is(geometry: dict[str, Any]) -> None:
    """When every ring already turns the right way (or there are no rings) the very same object comes back."""
    assert geojson.oriented(geometry) is geometry


def test_turning_keeps_positions_exactly_and_leaves_the_input_alone() -> None:
    """Integers stay integers, altitudes stay with their positions, and the geometry passed in is not changed."""
    ring = [[0, 0, 1.5], [0, 10], [10, 10, -2], [10, 0], [0, 0, 1.5]]
    geometry = {"type": "Polygon", "coordinates": [ring]}
    before = copy.deepcopy(geometry)
    assert geojson.oriented(geometry)["coordinates"] == [[[0, 0, 1.5], [10, 0], [10, 10, -2], [0, 10], [0, 0, 1.5]]]
    assert geometry == before


# --- limits and speed ---------------------------------------------------------------------------------------


def test_errors_are_capped_at_twenty() -> None:
    """However broken a geometry, at most 20 errors come back, the first ones in document order."""
    geometry = {"type": "MultiPoint", "coordinates": [[200, 0]] * 10_000}
    found = paths(geometry)
    assert len(found) == geojson.MAX_ERRORS == 20
    assert found[:2] == [f"{AT}.coordinates[0]", f"{AT}.coordinates[1]"]


def outline(positions: int) -> list[list[float]]:
    """A coastline-like ring around Dordrecht, clockwise: its radius wanders a little from vertex to vertex."""
    rng = random.Random(positions)
    radius, ring = 1.0, []
    for index in range(positions - 1):
        angle = -2 * math.pi * index / (positions - 1)
        radius = min(1.5, max(0.5, radius + rng.uniform(-0.01, 0.01)))
        lon, lat = 4.67 + 0.05 * radius * math.cos(angle), 51.8 + 0.05 * radius * math.sin(angle)
        ring.append([round(lon, 6), round(lat, 6)])
    return [*ring, ring[0]]


def best_of_three(work: Any) -> float:
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def test_ten_thousand_positions_validate_in_a_few_milliseconds() -> None:
    """A valid 10,000-position polygon validates, GEOS's check included, well within 50 ms (best of three)."""
    geometry = {"type": "Polygon", "coordinates": [outline(10_000)]}
    assert errors(geometry) == []
    assert best_of_three(lambda: errors(geometry)) < 0.05


def test_fifty_thousand_positions_validate_and_turn_in_a_fraction_of_a_second() -> None:
    """A 50,000-position outline, about what a 1 MiB report holds, validates and turns within 250 ms each (best
    of three; about 50 and 8 ms on the reference machine)."""
    geometry = {"type": "Polygon", "coordinates": [outline(50_000)]}
    assert errors(geometry) == []
    assert geojson.oriented(geometry)["coordinates"][0] == geometry["coordinates"][0][::-1]
    assert best_of_three(lambda: errors(geometry)) < 0.25
    assert best_of_three(lambda: geojson.oriented(geometry)) < 0.25


# --- bounds ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        ({"type": "Point", "coordinates": [4, 51, 10]}, (4.0, 51.0, 4.0, 51.0)),
        ({"type": "LineString", "coordinates": [[5, 50], [3, 52]]}, (3.0, 50.0, 5.0, 52.0)),
        ({"type": "Polygon", "coordinates": [SQUARE, HOLE]}, (4.66, 51.80, 4.68, 51.81)),
        ({"type": "MultiPolygon", "coordinates": [[SQUARE], [[[0, 0], [1, 0], [1, 1], [0, 0]]]]}, (0, 0, 4.68, 51.81)),
        (nested_collection(3), (4.0, 51.0, 4.0, 51.0)),
        (
            {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Point", "coordinates": [-1, 2]},
                    {"type": "MultiLineString", "coordinates": [[[7, -3], [8, 9]]]},
                ],
            },
            (-1.0, -3.0, 8.0, 9.0),
        ),
    ],
)
def test_bounds_span_every_position(geometry: dict[str, object], expected: geojson.Bbox) -> None:
    """The bounding box is the min and max longitude and latitude over all positions, altitude ignored."""
    assert geojson.bounds(geometry) == expected


# --- intersects -----------------------------------------------------------------------------------------------

POLYGON: dict[str, object] = {"type": "Polygon", "coordinates": [SQUARE, HOLE]}


@pytest.mark.parametrize(
    ("geometry", "bbox", "expected"),
    [
        ({"type": "Point", "coordinates": [4, 51]}, (3, 50, 5, 52), True),
        ({"type": "Point", "coordinates": [4, 51]}, (4, 51, 5, 52), True),
        ({"type": "Point", "coordinates": [4, 51]}, (4.1, 50, 5, 52), False),
        ({"type": "MultiPoint", "coordinates": [[0, 0], [10, 10]]}, (4, 4, 6, 6), False),
        ({"type": "MultiPoint", "coordinates": [[0, 0], [10, 10]]}, (9, 9, 11, 11), True),
        (POLYGON, (4.661, 51.801, 4.662, 51.802), True),
        (POLYGON, (4.67, 51.804, 4.671, 51.805), False),
        (POLYGON, (4.68, 51.81, 5, 52), True),
        (POLYGON, (4.6801, 51.80, 5, 52), False),
        ({"type": "LineString", "coordinates": [[0, 5], [10, 5]]}, (4, 4, 6, 6), True),
        ({"type": "LineString", "coordinates": [[0, 0], [10, 0], [10, 10]]}, (4, 4, 6, 6), False),
        ({"type": "LineString", "coordinates": [[0, 5], [10, 5]]}, (4, 5, 6, 5), True),
        ({"type": "LineString", "coordinates": [[0, 0], [10, 10]]}, (5, 5, 5, 5), True),
        ({"type": "LineString", "coordinates": [[0, 0], [10, 10]]}, (5, 6, 5, 6), False),
    ],
    ids=[
        "point-inside",
        "point-on-corner",
        "point-outside",
        "multipoint-around-box",
        "multipoint-member-inside",
        "box-inside-polygon",
        "box-inside-hole",
        "touching-corner",
        "just-outside",
        "line-crossing-box",
        "line-around-box",
        "degenerate-box-on-line",
        "point-box-on-line",
        "point-box-off-line",
    ],
)
def test_intersects_decides_boundary_contact_and_holes(
    geometry: dict[str, object], bbox: geojson.Bbox, expected: bool
) -> None:
    """A geometry intersects a box when any part of it, boundary included, lies in the box (holes excluded)."""
    assert geojson.intersects(geometry, bbox) is expected


def test_a_self_intersecting_polygon_still_gets_an_answer() -> None:
    """A bow-tie polygon, valid GeoJSON but invalid geometry, is tested without raising."""
    bowtie: dict[str, object] = {"type": "Polygon", "coordinates": [[[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]]}
    assert geojson.intersects(bowtie, (4, 4, 6, 6)) is True
    assert geojson.intersects(bowtie, (4, 8, 6, 9)) is False


def test_when_shapely_fails_the_bounds_answer_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    """If shapely raises on a geometry, intersects answers from the bounding boxes."""

    def refuse(_: object) -> object:
        raise shapely.errors.GEOSException("TopologyException: side location conflict")

    monkeypatch.setattr(shapely.geometry, "shape", refuse)
    line: dict[str, object] = {"type": "LineString", "coordinates": [[0, 0], [10, 0], [10, 10]]}
    assert geojson.intersects(line, (4, 4, 6, 6)) is True
    assert geojson.intersects(line, (11, 4, 12, 6)) is False


# --- parse_bbox -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4.6,51.8,4.7,51.9", (4.6, 51.8, 4.7, 51.9)),
        (" 4.6 , 51.8 ,4.7, 51.9 ", (4.6, 51.8, 4.7, 51.9)),
        ("-180,-90,180,90", (-180.0, -90.0, 180.0, 90.0)),
        ("4,51,4,51", (4.0, 51.0, 4.0, 51.0)),
        ("+4.,.5,4.6e0,1E1", (4.0, 0.5, 4.6, 10.0)),
    ],
)
def test_parse_bbox_reads_four_numbers(text: str, expected: geojson.Bbox) -> None:
    """A bbox is four comma-separated numbers; spaces around them and a zero-size box are fine."""
    assert geojson.parse_bbox(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", r"4 comma-separated numbers\), got 1 part"),
        ("4.6,51.8,4.7", "got 3 part"),
        ("4.6,51.8,4.7,51.9,0", "got 5 part"),
        ("4.6,abc,4.7,51.9", 'minlat must be a number, got "abc"'),
        ("4.6,51.8,,51.9", 'maxlon must be a number, got ""'),
        ("nan,51.8,4.7,51.9", "minlon must be a number"),
        ("4.6,51.8,inf,51.9", "maxlon must be a number"),
        ("1_0,51.8,4.7,51.9", "minlon must be a number"),
        ("-181,51.8,4.7,51.9", r"minlon -181 is out of range \[-180, 180\]"),
        ("4.6,51.8,4.7,90.5", r"maxlat 90.5 is out of range \[-90, 90\]"),
        ("5,51.8,4.7,51.9", "minlon 5.0 is greater than maxlon 4.7"),
        ("4.6,52,4.7,51.9", "minlat 52.0 is greater than maxlat 51.9"),
    ],
)
def test_parse_bbox_refuses_malformed_boxes(text: str, fragment: str) -> None:
    """Malformed, out-of-range or inverted boxes raise ValueError saying what is wrong."""
    with pytest.raises(ValueError, match=fragment):
        geojson.parse_bbox(text)


# --- properties -----------------------------------------------------------------------------------------------

longitudes = st.one_of(st.floats(-180, 180), st.integers(-180, 180))
latitudes = st.one_of(st.floats(-90, 90), st.integers(-90, 90))
altitudes = st.floats(allow_nan=False, allow_infinity=False)
positions = st.one_of(
    st.tuples(longitudes, latitudes).map(list),
    st.tuples(longitudes, latitudes, altitudes).map(list),
)


def lists_of(elements: st.SearchStrategy[Any], min_size: int) -> st.SearchStrategy[list[Any]]:
    return st.lists(elements, min_size=min_size, max_size=min_size + 4)




def all_geometries(
    polygons: st.SearchStrategy[list[Any]], multipolygons: st.SearchStrategy[list[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """Geometries of every type, nested in collections, with the given Polygon and MultiPolygon coordinates."""
    simple_geometries = st.one_of(
        st.builds(lambda c: {"type": "Point", "coordinates": c}, positions),
        st.builds(lambda c: {"type": "MultiPoint", "coordinates": c}, lists_of(positions, 1)),
        st.builds(lambda c: {"type": "LineString", "coordinates": c}, lists_of(positions, 2)),
        st.builds(lambda c: {"type": "MultiLineString", "coordinates": c}, lists_of(lists_of(positions, 2), 1)),
        st.builds(lambda c: {"type": "Polygon", "coordinates": c, "bbox": [0, 0, 0, 0]}, polygons),
        st.builds(lambda c: {"type": "MultiPolygon", "coordinates": c}, multipolygons),
    )
    return st.recursive(
        simple_geometries,
        lambda members: st.builds(lambda g: {"type": "GeometryCollection", "geometries": g}, lists_of(members, 1)),
        max_leaves=6,
    )


# Valid geometries: their polygons are valid, their rings turning either way.
geometries = all_geometries(polygon_strategies.polygons, polygon_strategies.multipolygons())
# Well-formed geometries whose rings may cross themselves or each other or have no area: refused at the edge
# now, but intersects must answer for any stored before polygons were checked.
closed_rings = lists_of(positions, 3).map(lambda ring: [*ring, list(ring[0])])
shapes = all_geometries(
    polygon_strategies.polygons | lists_of(closed_rings, 1),
    polygon_strategies.multipolygons() | lists_of(lists_of(closed_rings, 1), 1),
)


@given(geometries)
def test_generated_valid_geometries_have_no_errors(geometry: dict[str, object]) -> None:
    """Any well-formed geometry of any type, with valid polygons and in-range positions, validates."""
    assert geojson.geometry_errors(geometry, "g") == []


def turns(ring: list[list[float]]) -> float:
    """Twice the ring's signed area (positive when counter-clockwise), relative to its first position."""
    (x0, y0), rest = ring[0][:2], ring[1:]
    pairs = zip(ring, rest, strict=False)
    return math.fsum((a[0] - x0) * (b[1] - y0) - (b[0] - x0) * (a[1] - y0) for a, b in pairs)


def polygons_of(geometry: dict[str, Any]) -> list[list[Any]]:
    """The rings of each polygon in the geometry, in document order."""
    kind = geometry["type"]
    if kind == "GeometryCollection":
        return [rings for member in geometry["geometries"] for rings in polygons_of(member)]
    if kind == "Polygon":
        return [geometry["coordinates"]]
    return list(geometry["coordinates"]) if kind == "MultiPolygon" else []


@given(geometries)
def test_oriented_valid_geometries_follow_the_right_hand_rule(geometry: dict[str, Any]) -> None:
    """Every exterior ring of an oriented geometry turns counter-clockwise and every hole clockwise; its rings
    are those sent, some reversed; it is still valid, has the same bounds, and turning it again changes nothing."""
    before = copy.deepcopy(geometry)
    turned = geojson.oriented(geometry)
    assert geometry == before
    for sent, rings in zip(polygons_of(geometry), polygons_of(turned), strict=True):
        assert [turns(ring) > 0 for ring in rings] == [index == 0 for index in range(len(rings))]
        assert all(ring in (old, old[::-1]) for ring, old in zip(rings, sent, strict=True))
    assert geojson.geometry_errors(turned, "g") == []
    assert geojson.bounds(turned) == geojson.bounds(geometry)
    assert geojson.oriented(turned) is turned


@given(shapes)
def test_a_geometry_intersects_its_own_bounds(geometry: dict[str, object]) -> None:
    """Every geometry intersects its own bounding box."""
    assert geojson.intersects(geometry, geojson.bounds(geometry))


def ordered(low: float, high: float) -> st.SearchStrategy[tuple[float, float]]:
    return st.tuples(st.floats(low, high), st.floats(low, high)).map(lambda pair: (min(pair), max(pair)))


def disjoint_boxes(own: geojson.Bbox) -> st.SearchStrategy[geojson.Bbox]:
    """Boxes wholly west, east, south or north of `own` (those sides that have room)."""
    west, south, east, north = own
    lons, lats = ordered(-180, 180), ordered(-90, 90)
    sides = []
    if west > -180:
        sides.append(st.tuples(ordered(-180, math.nextafter(west, -math.inf)), lats))
    if east < 180:
        sides.append(st.tuples(ordered(math.nextafter(east, math.inf), 180), lats))
    if south > -90:
        sides.append(st.tuples(lons, ordered(-90, math.nextafter(south, -math.inf))))
    if north < 90:
        sides.append(st.tuples(lons, ordered(math.nextafter(north, math.inf), 90)))
    return st.one_of(sides).map(lambda box: (box[0][0], box[1][0], box[0][1], box[1][1]))


@given(shapes, st.data())
def test_a_box_disjoint_from_the_bounds_never_intersects(geometry: dict[str, object], data: st.DataObject) -> None:
    """A box that does not meet a geometry's bounding box does not intersect the geometry."""
    own = geojson.bounds(geometry)
    if own[0] == -180 and own[1] == -90 and own[2] == 180 and own[3] == 90:
        return  # the whole world: no disjoint box exists
    assert not geojson.intersects(geometry, data.draw(disjoint_boxes(own)))


@given(shapes, ordered(-180, 180), ordered(-90, 90))
def test_intersects_always_answers(
    geometry: dict[str, object], lons: tuple[float, float], lats: tuple[float, float]
) -> None:
    """Any valid geometry (self-intersecting and degenerate ones included) and any box get a yes or no."""
    assert geojson.intersects(geometry, (lons[0], lats[0], lons[1], lats[1])) in (True, False)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
junk_geometries = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"type": st.sampled_from(geojson.GEOMETRY_TYPES), "coordinates": json_values, "geometries": json_values}
    ),
)


@given(junk_geometries)
def test_validation_never_crashes_and_stays_capped(value: object) -> None:
    """Arbitrary JSON is either valid or refused with 1 to 20 (path, message) pairs starting at the given path."""
    found = geojson.geometry_errors(value, "g")
    assert len(found) <= geojson.MAX_ERRORS
    assert all(path.startswith("g") and message for path, message in found)


def _star(points: int, inner: float) -> list[list[float]]:
    """A valid star: long thin spikes around a common middle, alternating between radius 1 and ``inner``."""
    ring = [[math.cos(2 * math.pi * i / points) * (1 if i % 2 == 0 else inner),
             math.sin(2 * math.pi * i / points) * (1 if i % 2 == 0 else inner)] for i in range(points)]  # fmt: skip
    return [*ring, ring[0]]


def test_a_polygon_too_intricate_to_check_is_refused_before_geos_sees_it() -> None:
    """50,000 spikes around one middle took GEOS 27 s of the event loop: refused in milliseconds instead, at the
    geometry's path, while a star of a thousand spikes and an outline of 50,000 positions are checked as usual."""
    started = time.perf_counter()
    errors = geojson.geometry_errors({"type": "Polygon", "coordinates": [_star(50_000, 0.01)]}, "objects[0].geometry")
    assert time.perf_counter() - started < 1.0
    assert [path for path, _ in errors] == ["objects[0].geometry"]
    assert "too intricate" in errors[0][1]
    assert geojson.geometry_errors({"type": "Polygon", "coordinates": [_star(1000, 0.01)]}, "g") == []
    assert geojson.geometry_errors({"type": "Polygon", "coordinates": [_star(50_000, 1.0)]}, "g") == []
