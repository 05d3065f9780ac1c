"""Hypothesis strategies for valid polygons, whose rings turn either way.

A ring is star-shaped: its vertices lie at increasing angles around a centre, no two more than half a turn apart,
so no edge crosses another. An exterior ring of six or more vertices at radii of at least half its radius
contains the disc of a third of its radius, where holes go (two at most, side by side). The polygons of a
MultiPolygon stand side by side without meeting. Boxes with integer corners reach the ends of the lon/lat range.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

Ring = list[list[Any]]
Centre = tuple[float, float]

# Wide enough for four polygons side by side eastwards (2.5 radii apart, radius at most 1) within the range.
centres = st.tuples(st.floats(-179, 170), st.floats(-89, 89))
radii = st.floats(1e-3, 1)
altitudes = st.floats(-1e4, 1e4)


@st.composite
def star_ring(draw: st.DrawFn, centre: Centre, radius: float, vertices: int) -> Ring:
    """A closed ring of ``vertices`` distinct positions around the centre, at radii from half the radius to the
    radius, in either turn; some positions carry an altitude."""
    step = 2 * math.pi / vertices
    angles = [step * (index + draw(st.floats(0, 0.5))) for index in range(vertices)]
    ring: Ring = []
    for angle in angles:
        distance = radius * draw(st.floats(0.5, 1))
        position = [centre[0] + distance * math.cos(angle), centre[1] + distance * math.sin(angle)]
        ring.append([*position, draw(altitudes)] if draw(st.booleans()) else position)
    if draw(st.booleans()):
        ring.reverse()
    return [*ring, list(ring[0])]


@st.composite
def star_polygon(draw: st.DrawFn, centre: Centre, radius: float) -> list[Ring]:
    """An exterior ring and, when it has six vertices or more, up to two holes inside it."""
    vertices = draw(st.integers(3, 9))
    rings = [draw(star_ring(centre, radius, vertices))]
    holes = draw(st.integers(0, 2)) if vertices >= 6 else 0
    if holes == 1:
        rings.append(draw(star_ring(centre, radius / 3, draw(st.integers(3, 6)))))
    for side in (-1, 1)[: holes if holes == 2 else 0]:
        hole_centre = (centre[0] + side * radius * 0.17, centre[1])
        rings.append(draw(star_ring(hole_centre, radius * 0.15, draw(st.integers(3, 6)))))
    return rings


@st.composite
def box(draw: st.DrawFn) -> list[Ring]:
    """A box with integer corners anywhere in the range, the whole world included, turning either way."""
    west, east = sorted(draw(st.lists(st.integers(-180, 180), min_size=2, max_size=2, unique=True)))
    south, north = sorted(draw(st.lists(st.integers(-90, 90), min_size=2, max_size=2, unique=True)))
    ring = [[west, south], [east, south], [east, north], [west, north]]
    if draw(st.booleans()):
        ring.reverse()
    return [[*ring, list(ring[0])]]


@st.composite
def star_polygons(draw: st.DrawFn) -> list[Ring]:
    return draw(star_polygon(draw(centres), draw(radii)))


@st.composite
def multipolygons(draw: st.DrawFn) -> list[list[Ring]]:
    """One to four star polygons side by side, or a single box."""
    if draw(st.booleans()):
        return [draw(box())]
    (lon, lat), radius = draw(centres), draw(radii)
    count = draw(st.integers(1, 4))
    return [draw(star_polygon((lon + 2.5 * radius * index, lat), radius)) for index in range(count)]


polygons = st.one_of(star_polygons(), box())
