"""The sitrep's pure pieces: the map drawn from geometries alone, the changes between two pictures, and text
the PDF's built-in fonts can write."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from app.formats import sitrep_map, sitrep_pdf
from app.services import sitrep

LON = st.floats(min_value=-180, max_value=180, allow_nan=False)
LAT = st.floats(min_value=-85, max_value=85, allow_nan=False)


def _feature(oid: str, geometry: dict[str, object], kind: str = "unit") -> dict[str, object]:
    return {"id": oid, "kind": kind, "geometry": geometry}


@given(st.lists(st.tuples(LON, LAT), min_size=1, max_size=20))
def test_every_point_is_drawn_inside_the_frame(points: list[tuple[float, float]]) -> None:
    """Whatever the positions, each marker lies within the map's frame."""
    features = [_feature(f"p{i}", {"type": "Point", "coordinates": list(p)}) for i, p in enumerate(points)]
    drawn = sitrep_map.svg(features)
    centres = [(float(x), float(y)) for x, y in re.findall(r'<circle cx="([-\d.]+)" cy="([-\d.]+)"', drawn)]
    assert len(centres) == len(points)
    assert all(0 <= x <= sitrep_map.WIDTH and 0 <= y <= sitrep_map.HEIGHT for x, y in centres)


def test_every_geometry_type_is_drawn_with_its_kinds_colour() -> None:
    """Lines, polygons with holes, multi-polygons and collections become paths in their kind's colour; the
    legend names each kind once."""
    ring = [[4.0, 51.0], [4.1, 51.0], [4.1, 51.1], [4.0, 51.1], [4.0, 51.0]]
    hole = [[4.02, 51.02], [4.02, 51.04], [4.04, 51.04], [4.04, 51.02], [4.02, 51.02]]
    features = [
        _feature("line", {"type": "LineString", "coordinates": [[4.0, 51.0], [4.2, 51.2]]}, "bottleneck"),
        _feature("area", {"type": "Polygon", "coordinates": [ring, hole]}, "hazard-area"),
        _feature("multi", {"type": "MultiPolygon", "coordinates": [[ring]]}, "hazard-area"),
        _feature("both", {"type": "GeometryCollection", "geometries": [
            {"type": "Point", "coordinates": [4.05, 51.05]}, {"type": "MultiLineString", "coordinates": [ring]}]},
            "shelter"),
    ]  # fmt: skip
    drawn = sitrep_map.svg(features)
    assert drawn.count('stroke="#ae017e"') == 1  # the bottleneck's line
    assert drawn.count('fill="#d7301f" fill-opacity') == 2
    assert drawn.count("<circle") == 1
    assert [kind for kind in ("bottleneck", "hazard-area", "shelter") if f">{kind}</text>" in drawn] == [
        "bottleneck", "hazard-area", "shelter"]  # fmt: skip
    assert drawn == sitrep_map.svg(list(reversed(features)))  # drawn in a fixed order


def test_objects_are_named_on_the_map_while_few() -> None:
    """Up to ``LABELS_UP_TO`` objects carry their id on the map; more would hide it, and the text lists them."""
    few = [_feature(f"unit-{i}", {"type": "Point", "coordinates": [4.0 + i / 100, 51.0]}) for i in range(3)]
    assert all(f">unit-{i}</text>" in sitrep_map.svg(few) for i in range(3))
    many = [_feature(f"unit-{i}", {"type": "Point", "coordinates": [4.0 + i / 100, 51.0]})
            for i in range(sitrep_map.LABELS_UP_TO + 1)]  # fmt: skip
    assert ">unit-0</text>" not in sitrep_map.svg(many)


def test_a_picture_without_geometry_says_so() -> None:
    """An empty map is a frame with a sentence, not an error."""
    assert "no geometry in the picture" in sitrep_map.svg([])


def test_changes_between_two_pictures() -> None:
    """Objects present only after are new, only before are gone, and in both are changed by the properties
    (with kind and geometry) whose values differ."""

    def obj(kind: str, **properties: object) -> dict[str, object]:
        return {"kind": kind, "geometry": None, "properties": properties, "removed": False}

    before = {"a": obj("unit", status="x"), "b": obj("unit"), "c": obj("shelter", capacity=1, note="n")}
    after = {"a": obj("unit", status="x"), "c": obj("shelter", capacity=2), "d": obj("roadblock")}
    assert sitrep.diff_objects(before, after) == {
        "added": [{"object": "d", "kind": "roadblock"}],
        "changed": [{"object": "c", "kind": "shelter", "properties": ["capacity", "note"]}],
        "removed": [{"object": "b", "kind": "unit"}],
    }


def test_text_beyond_latin_1_is_written_as_its_nearest_form() -> None:
    """Dutch and German letters stay; typographic dashes and quotes become ASCII; the rest becomes '?'."""
    text = "Geëvacueerd \u2013 \u201cStraße\u201d \ufb01re \u706b"  # an en dash, curly quotes, a ligature, a CJK sign
    assert sitrep_pdf.latin1(text) == 'Geëvacueerd - "Straße" fire ?'
