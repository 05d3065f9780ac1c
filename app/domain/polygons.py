"""Polygons as other tools expect them: valid in the sense of OGC Simple Features, rings turned as RFC 7946 says.

``geojson`` checks a polygon's structure (nesting, closed rings of at least four positions); what a structure
cannot say is checked here, by GEOS through shapely, on polygons whose structure passed:

- ``problem``: why a Polygon or MultiPolygon is not a valid one, or None. A ring must not cross or touch itself,
  holes must lie inside their exterior ring without crossing it or one another, and a MultiPolygon's polygons
  must not overlap (they may meet at points). Invalid polygons are refused, never repaired: a repair guesses
  which area the sender meant, and a crisis map must not show a guess as a report.
- ``oriented``: a valid polygon's rings with the exterior counter-clockwise and the holes clockwise (RFC 7946
  section 3.1.6, the right-hand rule), reversing only the rings that turn the other way. Positions are never
  rewritten, so ``1`` stays ``1`` and altitudes stay where they were.

Cost, for a coastline-like ring of 50,000 positions (about what a 1 MiB report holds) on a 2-core machine:
``problem`` about 40 ms (7 of them turning JSON into an array), ``oriented`` about 8 ms. GEOS's check is
O(n log n) for ordinary outlines, but it tests every pair of edges whose extents overlap: an outline of many long
thin spikes around a common middle costs it billions of tests (50,000 spikes: 27 s, holding the event loop).
Such a polygon is refused before GEOS sees it (``MAX_EDGE_OVERLAPS``, estimated in a few milliseconds).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import shapely
import shapely.errors

Rings = list[list[list[Any]]]  # a Polygon's coordinates: rings of positions

_VALID = "Valid Geometry"
_REASON = re.compile(r"(?P<reason>[^\[]*)(?:\[(?P<x>\S+) (?P<y>\S+)(?: \S+)?\])?")
_HINTS = {
    "self-intersection": "rings must not cross themselves or one another",
    "ring self-intersection": "a ring must not touch itself",
    "hole lies outside shell": "holes (the rings after the first) must lie inside the exterior ring",
    "holes are nested": "a hole must not lie inside another hole",
    "interior is disconnected": "holes must not cut the polygon in pieces (send the pieces as a MultiPolygon)",
    "nested shells": "a MultiPolygon's polygons must not lie inside one another",
    "too few points in geometry component": "a ring needs at least 3 distinct positions",
    "duplicate rings": "a ring must not appear twice",
}
_MULTI_HINT = ", and a MultiPolygon's polygons must not overlap (they may meet at points)"


# GEOS's check tests each pair of edges whose extents overlap: a few hundred thousand pairs take milliseconds, and
# an outline of tens of thousands of long thin spikes, all overlapping near its middle, billions (50,000 spikes:
# 27 s). The pairs are estimated first, as the edges count times the area their extents cover over the area of
# the whole (ordinary outlines: well below one per edge), and a polygon past the bound is refused unchecked.
MAX_EDGE_OVERLAPS = 1_000_000


def problem(kind: str, coordinates: list[Any]) -> str | None:
    """Why a structurally sound Polygon or MultiPolygon (``kind``) is not a valid one; None when it is."""
    try:
        polygons = [coordinates] if kind == "Polygon" else coordinates
        if _edge_overlaps([_xy(ring) for rings in polygons for ring in rings]) > MAX_EDGE_OVERLAPS:
            return (f"the {kind} is too intricate to check: its edges' extents overlap each other too often (long "
                    "thin spikes around a common middle); send a simpler outline")  # fmt: skip
        shape = _polygon(coordinates) if kind == "Polygon" else shapely.multipolygons(list(map(_polygon, coordinates)))
        reason = str(shapely.is_valid_reason(shape))
    except (shapely.errors.ShapelyError, ValueError) as error:
        return f"not a valid {kind}: GEOS cannot read it ({error})"
    return None if reason == _VALID else _explained(kind, reason)


def _edge_overlaps(rings: list[Any]) -> float:
    """About how many pairs of edges with overlapping extents GEOS will test (see MAX_EDGE_OVERLAPS)."""
    points = np.concatenate(rings)
    extent = np.ptp(points[:, 0]) * np.ptp(points[:, 1])
    if extent == 0:
        return 0.0
    edges = sum(len(ring) - 1 for ring in rings)
    covered = sum(float(np.abs(np.diff(ring, axis=0)).prod(axis=1).sum()) for ring in rings)
    return edges * covered / float(extent)


def oriented(rings: Rings) -> Rings:
    """A valid polygon's rings, the exterior counter-clockwise and holes clockwise; the same list when they are."""
    wanted = [index == 0 for index in range(len(rings))]
    turns = shapely.is_ccw(shapely.get_rings(_polygon(rings))).tolist()
    if turns == wanted:
        return rings
    return [ring if ccw == want else ring[::-1] for ring, ccw, want in zip(rings, turns, wanted, strict=True)]


def _polygon(rings: Rings) -> Any:
    exterior, *holes = (shapely.linearrings(_xy(ring)) for ring in rings)
    return shapely.polygons(exterior, holes=holes or None)


def _xy(ring: list[list[Any]]) -> Any:
    """A ring's longitudes and latitudes as an array of floats (validity and turn are 2D: altitudes are left out)."""
    try:
        return np.asarray(ring, dtype=np.float64)[:, :2]
    except ValueError:  # a ring mixing 2D and 3D positions
        return np.asarray([position[:2] for position in ring], dtype=np.float64)


def _explained(kind: str, reason: str) -> str:
    """GEOS's "Self-intersection[4.67 51.8]" as "not a valid Polygon: self-intersection at [4.67, 51.8]; ..."."""
    match = _REASON.match(reason)
    assert match is not None  # the pattern matches any text
    what = match["reason"].strip().lower()
    where = f" at [{match['x']}, {match['y']}]" if match["x"] is not None else ""
    hint = _HINTS.get(what, "")
    if kind == "MultiPolygon" and what == "self-intersection":
        hint += _MULTI_HINT
    return f"not a valid {kind}: {what}{where}" + (f"; {hint}" if hint else "")
