"""Reading the picture (spec section 6): every read path serves the merge of exactly the reports the viewer may
see. Stored renderings are spliced into answers as they are (no parse, no re-encode) where no filter needs to
look inside them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database
from app.domain import geojson, picture
from app.domain.replay import Replay
from app.domain.timefmt import format_micros
from app.errors import NotFound
from app.repositories import checkpoints as checkpoints_repo
from app.repositories import picture as picture_repo
from app.repositories import reports as reports_repo
from app.services.picture_cache import PictureCache

log = logging.getLogger(__name__)


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


async def _objects_json(conn: AsyncConnection, viewer: str, incident: str, flt: ObjectFilter) -> bytes:
    """The viewer's objects of one incident as a JSON array: joined by the database where it can."""
    if flt.bbox is None:
        joined = await picture_repo.joined_objects(conn, viewer, incident, flt.kinds, flt.include_removed)
        if joined is not None:
            return b"[" + joined + b"]"
    return _json_list(await objects_for_viewer(conn, viewer, incident, flt))


def _json_list(items: Sequence[bytes]) -> bytes:
    return b"[" + b",".join(items) + b"]"


async def incident_picture(
    *, db: Database, viewer: str, incident: str, flt: ObjectFilter, as_of: int | None = None, window_us: int
) -> bytes:
    """``GET /incidents/{id}/picture``: now, or as known at ``as_of``."""
    if as_of is not None:
        return await _picture_as_of(db=db, viewer=viewer, incident=incident, flt=flt, as_of=as_of, window_us=window_us)
    return b"".join(await incident_picture_parts(db=db, viewer=viewer, incident=incident, flt=flt))


async def incident_picture_parts(
    *, db: Database, viewer: str, incident: str, flt: ObjectFilter, cache: PictureCache | None = None
) -> tuple[bytes, bytes, bytes]:
    """The picture now, in three parts to send one after the other (so a kept picture is not copied): its head
    with the current seq, the objects (kept in ``cache`` while the incident does not change), and its end."""
    async with db.read() as conn:
        await _require_incident(conn, viewer, incident)
        seq = await reports_repo.last_seq(conn)
        key = (incident, viewer, flt)
        # Read before the objects: what is kept under an incident seq is never older than that seq.
        incident_seq = await reports_repo.incident_last_seq(conn, incident) if cache is not None else 0
        objects = cache.get(key, incident_seq) if cache is not None else None
        if objects is None:
            objects = await _objects_json(conn, viewer, incident, flt)
            if cache is not None:
                cache.put(key, incident_seq, objects)
    head = orjson.dumps({"incident": incident, "seq": seq, "as_of": None})[:-1] + b',"objects":'
    return head, objects, b"}"


AS_OF_PAGE = 2000  # reports read at a time for a replay
STEP_SECONDS = 0.002  # the longest a replay keeps the event loop before it gives others a turn
CHECKPOINT_EVERY = 1000  # an incident's reports between two of its checkpoints


async def _picture_as_of(
    *, db: Database, viewer: str, incident: str, flt: ObjectFilter, as_of: int, window_us: int
) -> bytes:
    """The incident as known at ``as_of``: its state at the nearest checkpoint received by then, with the
    incident's later reports received by then replayed over it, rendered for the viewer. A replay that passes
    ``CHECKPOINT_EVERY`` reports leaves a checkpoint behind, so the cost follows the reports since the nearest
    checkpoint, not the incident's history. The log is read a page at a time and the replay gives the event loop
    a turn every few milliseconds.

    Every report is replayed, whoever may see it, and the result rendered for the viewer: the state the writer
    keeps, and the merge of exactly the viewer's visible reports (``tests/domain``: the rendering depends only on
    what the viewer may see)."""
    async with db.read() as conn:
        seq = await reports_repo.last_seq_until(conn, as_of)
        known = await reports_repo.visible_reports(conn, viewer, incident=incident, received_until=as_of, limit=1)
        nearest = await checkpoints_repo.nearest(conn, incident, as_of) if known else None
    if not known:
        raise NotFound(f"no incident '{incident}' known at {format_micros(as_of)}")
    replay = Replay(window_us=window_us, keep_changes=False)
    cursor = 0
    if nearest is not None:
        cursor = nearest[0]
        replay.restore(incident, nearest[1])
    await _replay_since(db, replay, incident, cursor, as_of)
    return await _rendered_as_of(replay, viewer, incident, flt, seq, as_of)


async def _replay_since(db: Database, replay: Replay, incident: str, cursor: int, as_of: int) -> None:
    """Applies the incident's reports after ``cursor`` received by ``as_of``, leaving checkpoints behind."""
    since_checkpoint = 0
    deadline = time.perf_counter() + STEP_SECONDS
    while True:
        async with db.read() as conn:
            rows = await checkpoints_repo.incident_reports(conn, incident, cursor, as_of, AS_OF_PAGE)
        for report_seq, org, at, body in rows:
            replay.apply(picture.report_facts(orjson.loads(body), seq=report_seq, organisation=org, received_at=at))
            since_checkpoint += 1
            if since_checkpoint == CHECKPOINT_EVERY:
                await _leave_checkpoint(db, replay, incident, report_seq, at)
                since_checkpoint = 0
            if time.perf_counter() > deadline:
                await asyncio.sleep(0)
                deadline = time.perf_counter() + STEP_SECONDS
        if len(rows) < AS_OF_PAGE:
            return
        cursor = rows[-1][0]


async def _leave_checkpoint(db: Database, replay: Replay, incident: str, seq: int, received_at: int) -> None:
    """Stores the incident's state after report ``seq``; a read goes on without it if it cannot be stored."""
    try:
        async with db.write() as conn:
            await checkpoints_repo.save(conn, incident, seq, received_at, replay.checkpoint(incident))
    except DBAPIError as error:
        log.warning("checkpoint of %s at seq %d not stored: %s", incident, seq, error)


async def _rendered_as_of(
    replay: Replay, viewer: str, incident: str, flt: ObjectFilter, seq: int, as_of: int
) -> bytes:
    objects: list[bytes] = []
    deadline = time.perf_counter() + STEP_SECONDS
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
