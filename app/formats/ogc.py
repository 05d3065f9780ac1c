"""OGC API - Features (Part 1: Core, GeoJSON, OpenAPI 3.0): the documents of ``/ogc``, as pure functions.

The service offers one collection per active incident the reader may see (exercises too, each in a collection of
its own and marked as one) and ``active_incidents``: every visible object of the active actual incidents, what
``GET /api/v1/picture`` serves. A feature is what ``geojson_out`` makes of an object (``id`` =
``<incident>/<object>``), so a layer read through OGC API - Features and one read from ``/api/v1/picture`` have
the same columns.

Query parameters follow the standard: an unknown parameter, or a known one with a value that cannot be read, is
400 (``QueryError``, with the parameter as the detail's path); ``limit`` above its maximum is read as the
maximum (1.0.1, requirement 13 C). ``datetime`` is read as "the picture as known at" one instant: netcop's
objects have no time of their own that a filter could test, and an interval has no single picture (400).
Paging is by key: a ``next`` link carries ``after=<the page's last feature id>``, so an object added or
removed while a client pages on shifts no other object into or out of the pages still to come.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from app.domain import geojson
from app.domain.timefmt import format_micros, parse_rfc3339, to_micros
from app.formats import geojson_out

ALL = "active_incidents"  # not a slug (an underscore), so no incident can be called so
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
)
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
HTML = "text/html"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
ACCESS_TOKEN = "access_token"  # RFC 6750, section 2.3: a bearer token as a URI query parameter

ITEMS_PARAMETERS = frozenset({"bbox", "limit", "datetime", "after", "f"})
DOCUMENT_PARAMETERS = frozenset({"f"})
FORMATS = frozenset({"json", "geojson"})


class QueryError(ValueError):
    """A query parameter that is unknown or whose value cannot be read (400)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True, slots=True)
class ItemsQuery:
    limit: int = DEFAULT_LIMIT
    bbox: geojson.Bbox | None = None
    as_of: int | None = None
    after: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Links:
    """Makes the links of one answer: absolute, under ``base`` (``http://host/ogc``), each carrying ``keep`` (the
    access token, when the request carried it in its query, so that a client following the links keeps it)."""

    base: str
    keep: tuple[tuple[str, str], ...] = ()

    def href(self, path: str = "", params: Sequence[tuple[str, str]] = ()) -> str:
        query = urlencode([*params, *self.keep])
        return self.base + path + ("?" + query if query else "")

    def link(
        self, rel: str, media: str, title: str, path: str = "", params: Sequence[tuple[str, str]] = ()
    ) -> dict[str, str]:
        return {"href": self.href(path, params), "rel": rel, "type": media, "title": title}


def check_parameters(params: Mapping[str, Sequence[str]], allowed: frozenset[str]) -> None:
    """Refuses an unknown parameter, a repeated one and a format other than JSON (GeoJSON for features)."""
    for name, values in params.items():
        if name not in allowed:
            raise QueryError(name, f"unknown query parameter '{name}' (known here: {', '.join(sorted(allowed))})")
        if len(values) > 1:
            raise QueryError(name, f"the query parameter '{name}' is given more than once")
    if "f" in params and params["f"][0] not in FORMATS:
        raise QueryError("f", "f must be json or geojson: netcop serves JSON and GeoJSON only")


def items_query(params: Mapping[str, Sequence[str]]) -> ItemsQuery:
    """The items parameters (``check_parameters`` first)."""
    value = {name: values[0] for name, values in params.items()}
    return ItemsQuery(
        limit=_limit(value.get("limit")),
        bbox=None if "bbox" not in value else _bbox(value["bbox"]),
        as_of=None if "datetime" not in value else _instant(value["datetime"]),
        after=None if "after" not in value else feature_key(value["after"]),
    )


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError as error:
        raise QueryError("limit", "limit must be a whole number from 1") from error
    if limit < 1:
        raise QueryError("limit", "limit must be a whole number from 1")
    return min(limit, MAX_LIMIT)


def _bbox(text: str) -> geojson.Bbox:
    parts = text.split(",")
    if len(parts) == 6:  # minlon,minlat,minz,maxlon,maxlat,maxz: heights play no part in a 2D picture
        parts = [parts[0], parts[1], parts[3], parts[4]]
    try:
        return geojson.parse_bbox(",".join(parts))
    except ValueError as error:
        raise QueryError("bbox", str(error)) from error


def _instant(text: str) -> int:
    if "/" in text:
        raise QueryError("datetime", "datetime must be one instant (the picture as known then), not an interval")
    try:
        return to_micros(parse_rfc3339(text))
    except ValueError as error:
        raise QueryError("datetime", str(error)) from error


def feature_key(feature_id: str) -> tuple[str, str]:
    """``<incident>/<object>`` as (incident, object): the order features are served in."""
    incident, slash, object_id = feature_id.partition("/")
    if not slash or not incident or not object_id:
        raise QueryError("after", "after must be a feature id, <incident>/<object>")
    return incident, object_id


def landing(links: Links) -> dict[str, Any]:
    return {
        "title": "netcop",
        "description": "The common operational picture as OGC API - Features: one collection per active incident, "
        f"and '{ALL}' for all of them.",
        "links": [
            links.link("self", JSON, "this document"),
            links.link("service-desc", OPENAPI, "the API definition (OpenAPI 3.0)", "/api"),
            links.link("service-doc", HTML, "the API documentation", "/api.html"),
            links.link("conformance", JSON, "the conformance classes met", "/conformance"),
            links.link("data", JSON, "the collections", "/collections"),
        ],
    }


def conformance() -> dict[str, Any]:
    return {"conformsTo": list(CONFORMANCE)}


def collection(links: Links, incident: Mapping[str, Any] | None) -> dict[str, Any]:
    """The collection of one incident (as ``GET /api/v1/incidents/{id}`` describes it), or ``ALL`` for None."""
    cid = ALL if incident is None else str(incident["id"])
    path = "/collections/" + quote(cid, safe="")
    return {
        "id": cid,
        "title": _title(incident),
        "description": _description(incident),
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            links.link("self", JSON, "this collection", path),
            links.link("items", GEOJSON, "its features", path + "/items"),
        ],
    }


def _title(incident: Mapping[str, Any] | None) -> str:
    if incident is None:
        return "All active incidents"
    title = str(incident.get("title") or incident["id"])
    return f"EXERCISE: {title}" if incident.get("exercise") else title


def _description(incident: Mapping[str, Any] | None) -> str:
    if incident is None:
        return "Every object of the active incidents that are not exercises (as GET /api/v1/picture)."
    facts = [f"category {incident.get('category') or 'unknown'}", f"GRIP {incident.get('grip', '-')}"]
    if incident.get("exercise"):
        facts.append("an exercise: never mixed into actual incidents")
    return f"Incident {incident['id']}: " + ", ".join(facts) + "."


def collections(links: Links, incidents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "links": [links.link("self", JSON, "the collections", "/collections")],
        "collections": [collection(links, None), *(collection(links, i) for i in incidents)],
    }


def items(links: Links, collection_id: str, rendered: Sequence[bytes], query: ItemsQuery, stamp: str) -> dict[str, Any]:
    """One page of a collection's features: those after ``query.after``, at most ``query.limit``. ``rendered``
    holds the collection's objects as JSON in (incident, id) order; the page's start is found by bisection, so
    a page parses a few objects besides its own, not the whole collection."""
    start = 0 if query.after is None else bisect.bisect_right(rendered, query.after, key=_key)
    page = [orjson.loads(json) for json in rendered[start : start + query.limit]]
    path = f"/collections/{quote(collection_id, safe='')}/items"
    params = _params(query)
    page_links = [
        links.link("self", GEOJSON, "this page", path, [*params, *_after(query.after)]),
        links.link("collection", JSON, "the collection", path.removesuffix("/items")),
    ]
    if start + len(page) < len(rendered):
        last = f"{page[-1]['incident']}/{page[-1]['id']}"
        page_links.append(links.link("next", GEOJSON, "the next page", path, [*params, ("after", last)]))
    return {
        "type": "FeatureCollection",
        "features": [geojson_out.feature(o) for o in page],
        "links": page_links,
        "numberMatched": len(rendered),
        "numberReturned": len(page),
        "timeStamp": stamp,
    }


def _key(json: bytes) -> tuple[str, str]:
    obj = orjson.loads(json)
    return obj["incident"], obj["id"]


def _params(query: ItemsQuery) -> list[tuple[str, str]]:
    params = [("limit", str(query.limit))]
    if query.bbox is not None:
        params.append(("bbox", ",".join(repr(c) for c in query.bbox)))
    if query.as_of is not None:
        params.append(("datetime", format_micros(query.as_of)))
    return params


def _after(key: tuple[str, str] | None) -> list[tuple[str, str]]:
    return [] if key is None else [("after", f"{key[0]}/{key[1]}")]


def item(links: Links, collection_id: str, obj: dict[str, Any]) -> dict[str, Any]:
    """One feature, with links to itself and its collection."""
    feature = geojson_out.feature(obj)
    path = f"/collections/{quote(collection_id, safe='')}"
    feature["links"] = [
        links.link("self", GEOJSON, "this feature", f"{path}/items/{quote(feature['id'], safe='')}"),
        links.link("collection", JSON, "the collection", path),
    ]
    return feature
