"""``netcop verify``: rebuild every picture from the report log and compare it with the stored one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import orjson
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database
from app.domain import picture
from app.domain.replay import Replay
from app.models import ChangeObject, Incident, IncidentActivity, Object, ObjectView
from app.repositories import reports as reports_repo
from app.services import audit

PAGE = 5000


async def replay_log(conn: AsyncConnection, window_us: int, progress: Callable[[int], None] | None = None) -> Replay:
    """The whole report log applied in seq order to an empty in-memory picture."""
    replay = Replay(window_us=window_us)
    cursor = 0
    while rows := await reports_repo.all_reports(conn, cursor, PAGE):
        for seq, org, received_at, body in rows:
            replay.apply(picture.report_facts(orjson.loads(body), seq=seq, organisation=org, received_at=received_at))
        cursor = rows[-1][0]
        if progress is not None:
            progress(cursor)
    return replay


async def verify(*, db: Database, window_us: int, progress: Callable[[int], None] | None = None) -> list[str]:
    """The differences between the stored picture and a replay of the log; empty when they agree."""
    async with db.read() as conn:
        replay = await replay_log(conn, window_us, progress)
        stored_objects = await _rows(conn, cast(Table, Object.__table__), ("incident_id", "id"))
        stored_views = await _rows(
            conn, cast(Table, ObjectView.__table__), ("incident_id", "object_id", "organisation_id")
        )
        stored_incidents = await _rows(conn, cast(Table, Incident.__table__), ("id",))
        stored_changes = await _rows(conn, cast(Table, ChangeObject.__table__), ("seq", "position"))
        stored_activity = await _rows(
            conn, cast(Table, IncidentActivity.__table__), ("incident_id", "organisation_id", "audience")
        )
        audit_problems = await audit.chain_breaks(conn)
    differences = _compare_objects(replay, stored_objects, stored_views)
    differences += _compare_incidents(replay, stored_incidents)
    differences += _compare_changes(replay, stored_changes)
    differences += _compare_activity(replay, stored_activity)
    differences += audit_problems
    return differences


async def _rows(conn: AsyncConnection, table: Table, key: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    rows = await conn.execute(select(table))
    return {tuple(r._mapping[k] for k in key): dict(r._mapping) for r in rows}


def _compare_activity(replay: Replay, stored: dict[Any, Any]) -> list[str]:
    """The incident activity the writer kept against the one the log gives."""
    out = []
    for key in sorted(stored.keys() | replay.activity.keys()):
        row = stored.get(key)
        found = [row["first_received"], row["last_received"], row["last_seq"]] if row else None
        if found != replay.activity.get(key):
            out.append(f"incident {key[0]}: the activity of {key[1]} (audience '{key[2]}') differs from the log")
    return out


def _compare_objects(replay: Replay, objects: dict[Any, Any], views: dict[Any, Any]) -> list[str]:
    out = [f"object {k[0]}/{k[1]} is stored but no report mentions it" for k in objects.keys() - replay.objects.keys()]
    for key, state in sorted(replay.objects.items()):
        name = f"object {key[0]}/{key[1]}"
        row = objects.get(key)
        if row is None:
            out.append(f"{name} is missing")
            continue
        if orjson.loads(row["facts"]) != state.facts:
            out.append(f"{name}: stored facts differ from the log")
        if _text(state.public.json) != row["public_json"] or (state.public.seq != row["public_seq"]):
            out.append(
                f"{name}: stored picture differs from the log (seq {row['public_seq']}, replay {state.public.seq})"
            )
        for org, view in state.private.items():
            stored = views.get((key[0], key[1], org))
            if stored is None or _text(view.json) != stored["json"] or view.seq != stored["seq"]:
                out.append(f"{name}: the view of {org} differs from the log")
    expected_views = {(k[0], k[1], org) for k, s in replay.objects.items() for org in s.private}
    out.extend(
        f"object {k[0]}/{k[1]}: a view of {k[2]} is stored that the log does not give"
        for k in views.keys() - expected_views
    )
    return out


def _compare_incidents(replay: Replay, incidents: dict[Any, Any]) -> list[str]:
    out = []
    for incident, facts in sorted(replay.incidents.items()):
        row = incidents.get((incident,))
        if row is None or orjson.loads(row["facts"]) != facts:
            out.append(f"incident {incident}: stored fields differ from the log")
    return out


def _compare_changes(replay: Replay, changes: dict[Any, Any]) -> list[str]:
    expected = {
        (seq, i): (c.object_id, c.audience, _text(c.json))
        for seq, entries in replay.changes.items()
        for i, c in enumerate(entries)
    }
    stored = {k: (r["object_id"], r["audience"], r["json"]) for k, r in changes.items()}
    return [
        f"change {seq} entry {pos} differs from the log" for seq, pos in sorted(expected.keys() ^ stored.keys())
    ] + [
        f"change {k[0]} entry {k[1]} differs from the log"
        for k in sorted(expected.keys() & stored.keys())
        if expected[k] != stored[k]
    ]


def _text(json: bytes | None) -> str | None:
    return json.decode() if json is not None else None
