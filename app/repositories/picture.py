"""The materialised picture (objects, per-organisation views, incidents): all its SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import orjson
from sqlalchemy import Table, bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.domain import geojson, merge, picture
from app.domain.timefmt import parse_rfc3339, to_micros
from app.models import Incident, Object, ObjectView
from app.repositories import dialect

objects = cast(Table, Object.__table__)
views = cast(Table, ObjectView.__table__)
incidents = cast(Table, Incident.__table__)


async def lock_incidents(conn: AsyncConnection, ids: Iterable[str]) -> dict[str, merge.Facts]:
    """Creates the incidents not seen before and locks all of them, in id order (no deadlocks)."""
    wanted = sorted(set(ids))
    await dialect.insert_ignore(conn, incidents, [{"id": i, "facts": "{}"} for i in wanted])
    statement = select(incidents.c.id, incidents.c.facts).where(incidents.c.id.in_(wanted)).order_by(incidents.c.id)
    rows = await conn.execute(statement.with_for_update())
    return {r[0]: orjson.loads(r[1]) for r in rows}


async def save_incidents(conn: AsyncConnection, facts: dict[str, merge.Facts]) -> None:
    rows = [{"key": k, "facts": orjson.dumps(v).decode()} for k, v in facts.items()]
    if rows:
        statement = update(incidents).where(incidents.c.id == _bind("key")).values(facts=_bind("facts"))
        await conn.execute(statement, rows)


def _bind(name: str) -> Any:
    return bindparam(name)


async def lock_objects(
    conn: AsyncConnection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], picture.ObjectState]:
    """Creates the objects not seen before and locks all of them, ordered by key (no deadlocks); returns their
    states with their private views."""
    wanted = sorted(set(keys))
    by_incident: dict[str, list[str]] = {}
    for incident, object_id in wanted:
        by_incident.setdefault(incident, []).append(object_id)
    states: dict[tuple[str, str], picture.ObjectState] = {}
    for incident, ids in by_incident.items():
        await dialect.insert_ignore(conn, objects, [{"incident_id": incident, "id": i, "facts": "{}"} for i in ids])
        states.update(await _load_states(conn, incident, ids))
    return states


async def _load_states(
    conn: AsyncConnection, incident: str, ids: list[str]
) -> dict[tuple[str, str], picture.ObjectState]:
    columns = (objects.c.id, objects.c.facts, objects.c.public_json, objects.c.public_seq)
    statement = select(*columns).where(objects.c.incident_id == incident, objects.c.id.in_(ids)).order_by(objects.c.id)
    states = {}
    for object_id, facts, json, seq in await conn.execute(statement.with_for_update()):
        public = picture.View(json.encode() if json else None, seq, _updated_at(json))
        states[(incident, object_id)] = picture.ObjectState(incident, object_id, orjson.loads(facts), public)
    view_columns = (views.c.object_id, views.c.organisation_id, views.c.json, views.c.seq)
    statement = select(*view_columns).where(views.c.incident_id == incident, views.c.object_id.in_(ids))
    for object_id, org, json, seq in await conn.execute(statement):
        states[(incident, object_id)].private[org] = picture.View(
            json.encode() if json else None, seq, _updated_at(json)
        )
    return states


def _updated_at(json: str | None) -> int | None:
    """The stored rendering's updated_at, back as microseconds (a view is re-rendered with it to compare)."""
    if json is None:
        return None
    return to_micros(parse_rfc3339(orjson.loads(json)["updated_at"]))


def _columns_of(view: picture.View) -> dict[str, Any]:
    content = view.content if view.content is not None else orjson.loads(view.json) if view.json else {}
    geometry = content.get("geometry")
    box = geojson.bounds(geometry) if geometry else (None, None, None, None)
    return {
        "json": view.json.decode() if view.json else None,
        "seq": view.seq,
        "kind": content.get("kind"),
        "removed": bool(content.get("removed")),
        "bbox": box,
    }


async def save_objects(conn: AsyncConnection, states: Sequence[picture.ObjectState]) -> None:
    """Writes back the facts and views of the objects a batch touched."""
    object_rows, view_rows = [], []
    for state in states:
        if not state.touched:
            continue
        public = _columns_of(state.public) if state.public.json is not None else None
        row: dict[str, Any] = {
            "k_incident": state.incident,
            "k_id": state.id,
            "facts": orjson.dumps(state.facts).decode(),
        }
        if public is not None:
            min_lon, min_lat, max_lon, max_lat = public["bbox"]
            row |= {"public_json": public["json"], "public_seq": public["seq"], "public_kind": public["kind"],
                    "public_removed": public["removed"], "min_lon": min_lon, "min_lat": min_lat,
                    "max_lon": max_lon, "max_lat": max_lat}  # fmt: skip
        object_rows.append(row)
        for org in state.touched_private:
            view = _columns_of(state.private[org])
            view_rows.append({"incident_id": state.incident, "object_id": state.id, "organisation_id": org,
                              "json": view["json"], "seq": view["seq"], "kind": view["kind"],
                              "removed": view["removed"]})  # fmt: skip
    await _update_objects(conn, object_rows)
    await dialect.upsert(conn, views, view_rows, keys=("incident_id", "object_id", "organisation_id"))


async def _update_objects(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    # executemany needs one statement shape: rows with a new public view and rows with only new facts.
    for with_public in (True, False):
        group = [r for r in rows if ("public_json" in r) == with_public]
        if not group:
            continue
        values = {k: _bind(k) for k in group[0] if not k.startswith("k_")}
        statement = (
            update(objects)
            .where(objects.c.incident_id == _bind("k_incident"), objects.c.id == _bind("k_id"))
            .values(**values)
        )
        await conn.execute(statement, group)


async def exercise_incidents(conn: AsyncConnection, ids: Iterable[str]) -> set[str]:
    """Those of the incidents that are exercises."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    statement = select(incidents.c.id).where(incidents.c.id.in_(wanted), incidents.c.exercise.is_(True))
    return {r[0] for r in await conn.execute(statement)}


async def incident_states(conn: AsyncConnection) -> dict[str, picture.IncidentState]:
    columns = (incidents.c.id, incidents.c.facts, incidents.c.coordinators, incidents.c.exercise)
    return {
        r[0]: picture.IncidentState(orjson.loads(r[1]), tuple(orjson.loads(r[2])), bool(r[3]))
        for r in await conn.execute(select(*columns))
    }


async def incident_state(conn: AsyncConnection, incident: str) -> picture.IncidentState | None:
    columns = (incidents.c.facts, incidents.c.coordinators, incidents.c.exercise)
    row = (await conn.execute(select(*columns).where(incidents.c.id == incident))).first()
    return picture.IncidentState(orjson.loads(row[0]), tuple(orjson.loads(row[1])), bool(row[2])) if row else None


async def set_coordinators(conn: AsyncConnection, incident: str, coordinators: Sequence[str]) -> None:
    statement = update(incidents).where(incidents.c.id == incident)
    await conn.execute(statement.values(coordinators=orjson.dumps(list(coordinators)).decode()))


async def public_objects(
    conn: AsyncConnection,
    incident: str,
    *,
    kinds: Sequence[str] = (),
    include_removed: bool = False,
    envelope: geojson.Bbox | None = None,
) -> list[tuple[str, str]]:
    """(id, json) of the objects as viewers without a private view see them, ordered by id."""
    statement = select(objects.c.id, objects.c.public_json).where(
        objects.c.incident_id == incident, objects.c.public_json.is_not(None)
    )
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
    return [(r[0], r[1]) for r in await conn.execute(statement.order_by(objects.c.id))]


async def private_views(conn: AsyncConnection, viewer: str, incident: str | None = None) -> list[Any]:
    """The viewer's own views: (incident, object id, json, kind, removed)."""
    statement = select(views.c.incident_id, views.c.object_id, views.c.json, views.c.kind, views.c.removed).where(
        views.c.organisation_id == viewer
    )
    if incident is not None:
        statement = statement.where(views.c.incident_id == incident)
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


async def public_counts(conn: AsyncConnection) -> dict[str, int]:
    """Per incident, the objects that exist and are not removed in the public view."""
    statement = (
        select(objects.c.incident_id, func.count())
        .where(objects.c.public_json.is_not(None), objects.c.public_removed.is_(False))
        .group_by(objects.c.incident_id)
    )
    return {r[0]: int(r[1]) for r in await conn.execute(statement)}


async def public_presence(conn: AsyncConnection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """Whether each object counts (exists, not removed) in the public view."""
    if not keys:
        return {}
    key = tuple_(objects.c.incident_id, objects.c.id)
    statement = select(objects.c.incident_id, objects.c.id, objects.c.public_json, objects.c.public_removed).where(
        key.in_(list(keys))
    )
    return {(r[0], r[1]): r[2] is not None and not r[3] for r in await conn.execute(statement)}
