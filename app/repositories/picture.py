"""The materialised picture (objects, per-organisation views, incidents): all its SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import orjson
from sqlalchemy import Table, func, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.domain import geojson, picture
from app.models import Incident, Object, ObjectView

objects = cast(Table, Object.__table__)
views = cast(Table, ObjectView.__table__)
incidents = cast(Table, Incident.__table__)


async def exercise_incidents(conn: AsyncConnection, ids: Iterable[str]) -> set[str]:
    """Those of the incidents that are exercises."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    statement = select(incidents.c.id).where(incidents.c.id.in_(wanted), incidents.c.exercise.is_(True))
    return {r[0] for r in await conn.execute(statement)}


def incident_state_of(facts: str, coordinators: str, exercise: bool) -> picture.IncidentState:
    """An incident's state from its row's columns (facts, coordinators, exercise)."""
    return picture.IncidentState(orjson.loads(facts), tuple(orjson.loads(coordinators)), bool(exercise))


_STATE_COLUMNS = (incidents.c.facts, incidents.c.coordinators, incidents.c.exercise)


async def incident_states(conn: AsyncConnection, only: str | None = None) -> dict[str, picture.IncidentState]:
    """Every incident's state (or only the one named)."""
    statement = select(incidents.c.id, *_STATE_COLUMNS)
    if only is not None:
        statement = statement.where(incidents.c.id == only)
    return {r[0]: incident_state_of(*r[1:]) for r in await conn.execute(statement)}


async def incident_state(conn: AsyncConnection, incident: str) -> picture.IncidentState | None:
    row = (await conn.execute(select(*_STATE_COLUMNS).where(incidents.c.id == incident))).first()
    return incident_state_of(*row) if row else None


async def set_coordinators(conn: AsyncConnection, incident: str, coordinators: Sequence[str]) -> None:
    statement = update(incidents).where(incidents.c.id == incident)
    await conn.execute(statement.values(coordinators=orjson.dumps(list(coordinators)).decode()))


async def public_objects(
    conn: AsyncConnection,
    incident_ids: Sequence[str] | None,
    *,
    kinds: Sequence[str] = (),
    include_removed: bool = False,
    envelope: geojson.Bbox | None = None,
) -> list[tuple[str, str, str]]:
    """(incident, id, json) of the incidents' objects (of all, for None) as viewers without a private view see
    them, ordered by incident and id."""
    statement = select(objects.c.incident_id, objects.c.id, objects.c.public_json).where(
        objects.c.public_json.is_not(None)
    )
    if incident_ids is not None:
        statement = statement.where(objects.c.incident_id.in_(list(incident_ids)))
    if not include_removed:
        statement = statement.where(objects.c.public_removed.is_(False))
    if kinds:
        statement = statement.where(objects.c.public_kind.in_(list(kinds)))
    if envelope is not None:
        min_lon, min_lat, max_lon, max_lat = envelope
        statement = statement.where(
            objects.c.min_lon <= max_lon, objects.c.max_lon >= min_lon,
            objects.c.min_lat <= max_lat, objects.c.max_lat >= min_lat,
        )  # fmt: skip
    rows = await conn.execute(statement.order_by(objects.c.incident_id, objects.c.id))
    return [(r[0], r[1], r[2]) for r in rows]


JOIN_WORK_MEM = "256MB"
_JOINED_SQL = text("""
SELECT convert_to(string_agg(COALESCE(v.json, o.public_json), ',' ORDER BY o.id COLLATE "C"), 'UTF8')
FROM objects o
LEFT JOIN object_views v ON v.incident_id = o.incident_id AND v.object_id = o.id AND v.organisation_id = :viewer
WHERE o.incident_id = :incident
  AND CASE WHEN v.object_id IS NOT NULL
      THEN v.json IS NOT NULL AND (:removed OR NOT v.removed) AND (:any_kind OR v.kind = ANY(:kinds))
      ELSE o.public_json IS NOT NULL AND (:removed OR NOT o.public_removed)
           AND (:any_kind OR o.public_kind = ANY(:kinds))
  END
""")


async def joined_objects(
    conn: AsyncConnection, viewer: str, incident: str, kinds: Sequence[str], include_removed: bool
) -> bytes | None:
    """PostgreSQL only: the viewer's objects of the incident, rendered, ordered by id and joined with commas, as
    one value made by the database (the viewer's own view where it has one, the public one otherwise): no row
    per object crosses the driver. None on other databases."""
    if conn.dialect.name != "postgresql":
        return None
    parameters = {"viewer": viewer, "incident": incident, "removed": include_removed, "any_kind": not kinds,
                  "kinds": list(kinds)}  # fmt: skip
    # The objects are sorted in memory, not in temporary files (4 MB by default: a 100,000-object picture spilled
    # 160 MB to disk); for this transaction only.
    await conn.execute(text(f"SET LOCAL work_mem = '{JOIN_WORK_MEM}'"))
    joined = (await conn.execute(_JOINED_SQL, parameters)).scalar_one()
    return bytes(joined) if joined is not None else b""


async def private_views(conn: AsyncConnection, viewer: str, incident_ids: Sequence[str] | None = None) -> list[Any]:
    """The viewer's own views (of the incidents named, or of all): (incident, object id, json, kind, removed)."""
    statement = select(views.c.incident_id, views.c.object_id, views.c.json, views.c.kind, views.c.removed).where(
        views.c.organisation_id == viewer
    )
    if incident_ids is not None:
        statement = statement.where(views.c.incident_id.in_(list(incident_ids)))
    return list(await conn.execute(statement))


async def public_object(conn: AsyncConnection, incident: str, object_id: str) -> str | None:
    statement = select(objects.c.public_json).where(objects.c.incident_id == incident, objects.c.id == object_id)
    return (await conn.execute(statement)).scalar_one_or_none()


async def private_object(conn: AsyncConnection, viewer: str, incident: str, object_id: str) -> tuple[bool, str | None]:
    """Whether the viewer has its own view of the object, and that view."""
    statement = select(views.c.json).where(
        views.c.incident_id == incident, views.c.object_id == object_id, views.c.organisation_id == viewer
    )
    row = (await conn.execute(statement)).first()
    return (row is not None, row[0] if row else None)


async def public_counts(conn: AsyncConnection, only: str | None = None) -> dict[str, int]:
    """Per incident (or for the one named), the objects that exist and are not removed in the public view."""
    statement = select(objects.c.incident_id, func.count()).where(
        objects.c.public_json.is_not(None), objects.c.public_removed.is_(False)
    )
    if only is not None:
        statement = statement.where(objects.c.incident_id == only)
    return {r[0]: int(r[1]) for r in await conn.execute(statement.group_by(objects.c.incident_id))}


async def public_presence(conn: AsyncConnection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """Whether each object counts (exists, not removed) in the public view."""
    if not keys:
        return {}
    key = tuple_(objects.c.incident_id, objects.c.id)
    statement = select(objects.c.incident_id, objects.c.id, objects.c.public_json, objects.c.public_removed).where(
        key.in_(list(keys))
    )
    return {(r[0], r[1]): r[2] is not None and not r[3] for r in await conn.execute(statement)}
