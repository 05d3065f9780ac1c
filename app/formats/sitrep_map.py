"""The sitrep's map: an SVG drawn from the picture's geometries alone (no tiles, no network), so that it prints
and embeds anywhere (inline in HTML, as vector graphics in the PDF).

Positions are projected equirectangularly around the picture's middle (x scaled by the cosine of its latitude:
true to shape at a city's scale), fitted into a fixed frame with a margin. Numbers are written with a fixed
precision, so the same picture draws the same bytes.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterator
from typing import Any
from xml.sax.saxutils import escape

WIDTH, HEIGHT, MARGIN = 640, 400, 24
LEGEND_WIDTH = 150  # a column on the right, so that the legend hides nothing
LEGEND_ROW = 16
LABELS_UP_TO = 40  # objects named on the map; beyond, names would hide the map (the text lists them all)
Position = tuple[float, float]
Project = Callable[[Position], Position]

# Colours per kind (in the spirit of the dashboard's), grey for the rest.
COLOURS = {
    "hazard-area": "#d7301f", "dike-breach": "#b30000", "warning-area": "#fc8d59", "evacuation-area": "#fdae61",
    "roadblock": "#7a0177", "bottleneck": "#ae017e", "shelter": "#1a9850", "casualties": "#e31a1c",
    "unit": "#2c7fb8", "vehicle": "#2c7fb8", "command-post": "#253494", "staging-area": "#41b6c4",
}  # fmt: skip
# Kinds outside the vocabulary (a report may use any): one of these, by the kind's name, the same everywhere.
PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4", "#b15928",
           "#6a3d9a", "#33a02c", "#fb9a99")  # fmt: skip
OTHER = "#636363"


def colour(kind: str | None) -> str:
    """The kind's colour: the vocabulary's own, one of the palette by its name for others, grey for none."""
    if not kind:
        return OTHER
    return COLOURS.get(kind) or PALETTE[zlib.crc32(kind.encode()) % len(PALETTE)]


def positions(geometry: dict[str, Any]) -> Iterator[Position]:
    """Every position of a GeoJSON geometry."""
    if geometry["type"] == "GeometryCollection":
        for part in geometry["geometries"]:
            yield from positions(part)
        return
    yield from _flatten(geometry["coordinates"])


def _flatten(coordinates: Any) -> Iterator[Position]:
    if coordinates and isinstance(coordinates[0], int | float):
        yield float(coordinates[0]), float(coordinates[1])
        return
    for item in coordinates:
        yield from _flatten(item)


def projection(features: list[dict[str, Any]], width: float, height: float) -> Project:
    """Lon/lat -> frame coordinates, fitting every position of the features with a margin."""
    points = [p for f in features for p in positions(f["geometry"])]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    kx = math.cos(math.radians((south + north) / 2))
    span_x, span_y = max((east - west) * kx, 1e-6), max(north - south, 1e-6)
    scale = min((width - 2 * MARGIN) / span_x, (height - 2 * MARGIN) / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2

    def project(p: Position) -> Position:
        return off_x + (p[0] - west) * kx * scale, height - off_y - (p[1] - south) * scale

    return project


def _n(value: float) -> str:
    return f"{value:.1f}"


def _ring(ring: list[Any], project: Project) -> str:
    points = [project((float(p[0]), float(p[1]))) for p in ring]
    return "M" + " L".join(f"{_n(x)} {_n(y)}" for x, y in points) + " Z"


def _shapes(geometry: dict[str, Any], project: Project, fill: str) -> Iterator[str]:
    kind, coordinates = geometry["type"], geometry.get("coordinates") or []
    if kind == "GeometryCollection":
        for part in geometry["geometries"]:
            yield from _shapes(part, project, fill)
    elif kind in ("Point", "MultiPoint"):
        for x, y in (project(p) for p in positions(geometry)):
            yield f'<circle cx="{_n(x)}" cy="{_n(y)}" r="5" fill="{fill}" stroke="#000000" stroke-width="1"/>'
    elif kind in ("LineString", "MultiLineString"):
        for line in [coordinates] if kind == "LineString" else coordinates:
            d = _ring(line, project)[:-2]
            yield f'<path d="{d}" fill="none" stroke="{fill}" stroke-width="3"/>'
    else:
        for polygon in [coordinates] if kind == "Polygon" else coordinates:
            d = " ".join(_ring(ring, project) for ring in polygon)
            yield (f'<path d="{d}" fill="{fill}" fill-opacity="0.35" fill-rule="evenodd" stroke="{fill}" '
                   'stroke-width="1.5"/>')  # fmt: skip


def _area_first(feature: dict[str, Any]) -> tuple[int, str]:
    """Areas below lines below points, so that a point is never hidden under an area."""
    order = {"Polygon": 0, "MultiPolygon": 0, "GeometryCollection": 0, "LineString": 1, "MultiLineString": 1}
    return order.get(feature["geometry"]["type"], 2), feature["id"]


def _label(feature: dict[str, Any], project: Project) -> str:
    """The object's id beside a point, or inside the top left corner of its extent (where a marker in its
    middle does not hide it)."""
    points = [project(p) for p in positions(feature["geometry"])]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x, y = (xs[0] + 7, ys[0] + 3) if len(points) == 1 else (min(xs) + 3, min(ys) + 11)
    return (f'<text x="{_n(x)}" y="{_n(y)}" font-family="Helvetica" font-size="9" fill="#000000">'
            f"{escape(feature['id'])}</text>")  # fmt: skip


def _legend(kinds: list[str]) -> Iterator[str]:
    """A column of the kinds' colours at the right (as many as fit; the text names every object's kind)."""
    x = WIDTH - LEGEND_WIDTH
    yield f'<path d="M{x} 0 L{x} {HEIGHT}" stroke="#000000" stroke-width="0.5" fill="none"/>'
    for row, kind in enumerate(kinds[: (HEIGHT - 12) // LEGEND_ROW]):
        y = 10 + row * LEGEND_ROW
        fill = "none" if kind == "(no kind)" else colour(kind)
        yield (f'<rect x="{x + 8}" y="{y}" width="10" height="10" fill="{fill}" stroke="#000000" '
               'stroke-width="0.5"/>')  # fmt: skip
        yield (f'<text x="{x + 24}" y="{y + 9}" font-family="Helvetica" font-size="10" fill="#000000">'
               f"{escape(kind)}</text>")  # fmt: skip


def _scale_bar(project: Project, features: list[dict[str, Any]]) -> Iterator[str]:
    """A bar of a round number of km (or m), bottom left."""
    lats = [p[1] for f in features for p in positions(f["geometry"])]
    lat = (min(lats) + max(lats)) / 2
    x0, _ = project((0.0, lat))
    x1, _ = project((1.0, lat))
    px_per_km = abs(x1 - x0) / (111.32 * math.cos(math.radians(lat)))
    km = next((s for s in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)
               if s * px_per_km >= 60), 1000)  # fmt: skip
    length, label = km * px_per_km, f"{km:g} km" if km >= 1 else f"{km * 1000:g} m"
    y = HEIGHT - 12
    yield f'<path d="M12 {y} L{_n(12 + length)} {y}" stroke="#000000" stroke-width="2" fill="none"/>'
    yield f'<text x="12" y="{y - 4}" font-family="Helvetica" font-size="10" fill="#000000">{label}</text>'


def svg(features: list[dict[str, Any]]) -> str:
    """The map of features (each ``{"id", "kind", "geometry"}``) as a standalone SVG document."""
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}">')  # fmt: skip
    parts = [head, f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#f4f1ea" stroke="#000000"/>']
    if not features:
        parts.append(f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" font-family="Helvetica" font-size="14" '
                     'text-anchor="middle" fill="#000000">no geometry in the picture</text>')  # fmt: skip
        return "".join([*parts, "</svg>"])
    project = projection(features, WIDTH - LEGEND_WIDTH, HEIGHT)
    for feature in sorted(features, key=_area_first):
        parts.extend(_shapes(feature["geometry"], project, colour(feature["kind"])))
    if len(features) <= LABELS_UP_TO:
        parts.extend(_label(feature, project) for feature in sorted(features, key=_area_first))
    parts.extend(_legend(sorted({f["kind"] or "(no kind)" for f in features})))
    parts.extend(_scale_bar(project, features))
    return "".join([*parts, "</svg>"])
