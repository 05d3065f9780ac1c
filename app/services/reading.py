"""Reading the picture (spec section 6): every read path serves the merge of exactly the reports the viewer may
see. Stored renderings are spliced into answers as they are (no parse, no re-encode) where no filter needs to
look inside them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database
from app.domain import geojson, picture
from app.domain.replay import Replay
from app.domain.timefmt import format_micros
from app.errors import NotFound
from app.repositories import picture as picture_repo
from app.repositories import reports as reports_repo


@dataclass(frozen=True, slots=True)
class ObjectFilter:
    kinds: Sequence[str] = ()
    include_removed: bool = False
    bbox: geojson.Bbox | None = None

    def admits(self, obj: dict[str, Any]) -> bool:
        if obj["removed"] and not self.include_removed:
            return False
        if self.kinds and obj["kind"] not in self.kinds:
            return False
        return self.bbox is None or (obj["geometry"] is not None and geojson.intersects(obj["geometry"], self.bbox))


# Incidents asked for in one statement at most: a bound on the statement's parameters (SQLite allows 32,766).
INCIDENTS_PER_QUERY = 500
SCAN_ALL_FROM = 2000  # incidents asked for at once from which every object is read in one pass and sifted


async def objects_for_viewer(conn: AsyncConnection, viewer: str, incident: str, flt: ObjectFilter) -> list[bytes]:
    """The viewer's objects of one incident, rendered, ordered by id."""
    return [json for _, json in await objects_of_incidents(conn, viewer, [incident], flt)]


async def objects_of_incidents(
    conn: AsyncConnection, viewer: str, incidents: Sequence[str], flt: ObjectFilter
) -> list[tuple[str, bytes]]:
    """The viewer's objects of the incidents, rendered, ordered by incident and id: two queries per 500
    incidents, not two per incident."""
    if len(incidents) > SCAN_ALL_FROM:  # most of the store is asked for: one pass over it beats thousands of keys
        wanted = set(incidents)
        return [item for item in await _objects_of(conn, viewer, None, flt) if item[0] in wanted]
    found: list[tuple[str, bytes]] = []
    ordered = sorted(incidents)
    for start in range(0, len(ordered), INCIDENTS_PER_QUERY):
        found.extend(await _objects_of(conn, viewer, ordered[start : start + INCIDENTS_PER_QUERY], flt))
    return found


async def _objects_of(
    conn: AsyncConnection, viewer: str, incidents: Sequence[str] | None, flt: ObjectFilter
) -> list[tuple[str, bytes]]:
    public = await picture_repo.public_objects(
        conn, incidents, kinds=flt.kinds, include_removed=flt.include_removed, envelope=flt.bbox
    )
    private = await picture_repo.private_views(conn, viewer, incidents)
    own = {(row[0], row[1]) for row in private}
    selected = [(incident, oid, json.encode()) for incident, oid, json in public if (incident, oid) not in own]
    if flt.bbox is not None:
        selected = [item for item in selected if flt.admits(orjson.loads(item[2]))]
    selected.extend((row[0], row[1], row[2].encode()) for row in private if row[2] and flt.admits(orjson.loads(row[2])))
    selected.sort(key=lambda item: (item[0], item[1]))
    return [(incident, json) for incident, _, json in selected]


def _json_list(items: Sequence[bytes]) -> bytes:
    return b"[" + b",".join(items) + b"]"


async def incident_picture(
    *, db: Database, viewer: str, incident: str, flt: ObjectFilter, as_of: int | None = None, window_us: int
) -> bytes:
    """``GET /incidents/{id}/picture``: now, or as known at ``as_of``."""
    if as_of is not None:
        return await _picture_as_of(db=db, viewer=viewer, incident=incident, flt=flt, as_of=as_of, window_us=window_us)
    async with db.read() as conn:
        await _require_incident(conn, viewer, incident)
        seq = await reports_repo.last_seq(conn)
        objects = await objects_for_viewer(conn, viewer, incident, flt)
    head = orjson.dumps({"incident": incident, "seq": seq, "as_of": None})[:-1]
    return head + b',"objects":' + _json_list(objects) + b"}"


AS_OF_PAGE = 2000  # reports read at a time for a replay
STEP_SECONDS = 0.002  # the longest a replay keeps the event loop before it gives others a turn


async def _picture_as_of(
    *, db: Database, viewer: str, incident: str, flt: ObjectFilter, as_of: int, window_us: int
) -> bytes:
    """The incident as known at ``as_of``: its visible reports received until then, replayed. The log is read a
    page at a time and the replay gives the event loop a turn every few milliseconds, so that a long history
    delays no one else (its own cost still grows with the history)."""
    replay = Replay(window_us=window_us)
    cursor, found = 0, False
    deadline = time.perf_counter() + STEP_SECONDS
    while True:
        async with db.read() as conn:
            if not found:
                seq = await reports_repo.last_seq_until(conn, as_of)
            rows = await reports_repo.visible_reports(conn, viewer, incident=incident, received_until=as_of,
                                                      after_seq=cursor, limit=AS_OF_PAGE)  # fmt: skip
        for report_seq, org, at, body in rows:
            replay.apply(picture.report_facts(orjson.loads(body), seq=report_seq, organisation=org, received_at=at))
            if time.perf_counter() > deadline:
                await asyncio.sleep(0)
                deadline = time.perf_counter() + STEP_SECONDS
        found = found or bool(rows)
        if len(rows) < AS_OF_PAGE:
            break
        cursor = rows[-1][0]
    if not found:
        raise NotFound(f"no incident '{incident}' known at {format_micros(as_of)}")
    objects: list[bytes] = []
    for _, state in sorted(replay.objects.items()):
        json = picture.view_of(state, viewer).json
        if json is not None and flt.admits(orjson.loads(json)):
            objects.append(json)
        if time.perf_counter() > deadline:
            await asyncio.sleep(0)
            deadline = time.perf_counter() + STEP_SECONDS
    head = orjson.dumps({"incident": incident, "seq": seq, "as_of": format_micros(as_of)})[:-1]
    return head + b',"objects":' + _json_list(objects) + b"}"


async def _require_incident(conn: AsyncConnection, viewer: str, incident: str) -> None:
    rows = await reports_repo.visible_reports(conn, viewer, incident=incident, limit=1)
    if not rows:
        raise NotFound(f"no incident '{incident}'")


async def get_object(*, db: Database, viewer: str, incident: str, object_id: str, history: bool) -> bytes:
    """``GET /incidents/{id}/objects/{object_id}``, with its assertions newest first when asked."""
    async with db.read() as conn:
        has_own, json = await picture_repo.private_object(conn, viewer, incident, object_id)
        if not has_own:
            json = await picture_repo.public_object(conn, incident, object_id)
        if json is None:
            raise NotFound(f"no object '{object_id}' in incident '{incident}'")
        if not history:
            return json.encode()
        mentions = await reports_repo.mentions(conn, viewer, incident, object_id)
    assertions = [_assertion(object_id, seq, org, at, orjson.loads(body)) for seq, org, at, body in mentions]
    assertions.sort(key=lambda a: (a["_observed"], a["seq"]), reverse=True)
    for a in assertions:
        del a["_observed"]
    return json.encode()[:-1] + b',"history":' + orjson.dumps(assertions) + b"}"


def _assertion(object_id: str, seq: int, organisation: str, received_at: int, body: dict[str, Any]) -> dict[str, Any]:
    entry = next(o for o in body.get("objects", []) if o["id"] == object_id)
    facts = picture.report_facts(body, seq=seq, organisation=organisation, received_at=received_at)
    return {
        "seq": seq,
        "report": body["id"],
        "organisation": organisation,
        "observed_at": body["observed_at"],
        "received_at": format_micros(received_at),
        "visibility": body.get("visibility", "partners"),
        "assertion": {k: v for k, v in entry.items() if k != "id"},
        "_observed": facts.observed_at,
    }
