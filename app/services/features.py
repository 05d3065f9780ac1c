"""The picture as OGC API - Features collections (``/ogc``): which collections a viewer may read, and their
objects, now or as known at an instant. Visibility is the REST API's: the same incident and object reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from app.db import Database
from app.domain import geojson
from app.errors import NotFound
from app.formats.ogc import ALL
from app.services import incidents, reading
from app.services.reading import ObjectFilter


async def active_incidents(*, db: Database, viewer: str, window_us: int) -> list[dict[str, Any]]:
    """The active incidents the viewer may see (exercises too), as ``GET /api/v1/incidents`` describes them."""
    async with db.read() as conn:
        found = await incidents.visible_incidents(conn, viewer, window_us)
    return [info for info in found.values() if info["status"] == "active"]


async def describe(*, db: Database, viewer: str, window_us: int, collection: str) -> dict[str, Any] | None:
    """The incident a collection is (None for ``ALL``); 404 for one that is no collection of this viewer."""
    if collection == ALL:
        return None
    async with db.read() as conn:
        found = await incidents.visible_incidents(conn, viewer, window_us, only=collection)
    info = found.get(collection)
    if info is None or info["status"] != "active":
        raise NotFound(f"no collection '{collection}'")
    return info


async def _members(*, db: Database, viewer: str, window_us: int, collection: str) -> list[str]:
    """The incidents a collection holds: one, or (``ALL``) every active one that is not an exercise."""
    if collection != ALL:
        await describe(db=db, viewer=viewer, window_us=window_us, collection=collection)
        return [collection]
    found = await active_incidents(db=db, viewer=viewer, window_us=window_us)
    return [info["id"] for info in found if not info["exercise"]]


async def collection_objects(
    *, db: Database, viewer: str, window_us: int, collection: str, bbox: geojson.Bbox | None, as_of: int | None
) -> list[bytes]:
    """The collection's objects the viewer may see (removed ones left out), rendered, in (incident, id) order:
    now, or as known at ``as_of``. Left as JSON: a page parses only its own objects."""
    members = await _members(db=db, viewer=viewer, window_us=window_us, collection=collection)
    flt = ObjectFilter(bbox=bbox)
    if as_of is not None:
        return await _objects_as_of(db=db, viewer=viewer, members=members, flt=flt, as_of=as_of, window_us=window_us)
    async with db.read() as conn:
        found = await reading.objects_of_incidents(conn, viewer, members, flt)
    return [json for _, json in found]


async def _objects_as_of(
    *, db: Database, viewer: str, members: Sequence[str], flt: ObjectFilter, as_of: int, window_us: int
) -> list[bytes]:
    """Each incident replayed as known at ``as_of`` (``reading``'s machinery); one not known then has none."""
    objects: list[dict[str, Any]] = []
    for incident in members:
        try:
            body = await reading.incident_picture(
                db=db, viewer=viewer, incident=incident, flt=flt, as_of=as_of, window_us=window_us
            )
        except NotFound:
            continue
        objects.extend(orjson.loads(body)["objects"])
    objects.sort(key=lambda o: (o["incident"], o["id"]))
    return [orjson.dumps(o) for o in objects]


async def collection_object(
    *, db: Database, viewer: str, window_us: int, collection: str, feature_id: str
) -> dict[str, Any]:
    """One object of the collection by its feature id (``<incident>/<object>``); 404 when the viewer may not see
    it, it is removed or it is in no incident of the collection."""
    incident, _, object_id = feature_id.partition("/")
    members = await _members(db=db, viewer=viewer, window_us=window_us, collection=collection)
    if incident not in members or not object_id:
        raise NotFound(f"no feature '{feature_id}' in collection '{collection}'")
    obj: dict[str, Any] = orjson.loads(
        await reading.get_object(db=db, viewer=viewer, incident=incident, object_id=object_id, history=False)
    )
    if obj.get("removed"):
        raise NotFound(f"no feature '{feature_id}' in collection '{collection}'")
    return obj
