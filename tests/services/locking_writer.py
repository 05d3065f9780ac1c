"""The writer as it was before the cached one (commit 03a42e1), kept as the reference of the differential test.

It locks every touched incident and object row, loads their states, takes the seqs from the locked counter,
merges, and writes each table with its own statements: slow, and simple enough to trust. The cached writer of
``app.services.ingest`` must leave exactly the rows this one leaves, and give exactly its answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import orjson
from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database
from app.domain import geojson, merge, picture
from app.domain.timefmt import format_micros, parse_rfc3339, to_micros
from app.errors import Conflict, Invalid
from app.models import ChangeObject, Incident, Object, ObjectView, Report, ReportAudience, ReportObject
from app.models import Sequence as SequenceRow
from app.repositories import audit as audit_repo
from app.repositories import dialect
from app.repositories import organisations as organisations_repo
from app.repositories import reports as reports_repo
from app.services.audit import Caller
from app.services.submissions import Outcome

objects, views, incidents = (cast(Table, m.__table__) for m in (Object, ObjectView, Incident))
reports, audience = cast(Table, Report.__table__), cast(Table, ReportAudience.__table__)
report_objects, change_objects = cast(Table, ReportObject.__table__), cast(Table, ChangeObject.__table__)
sequence = cast(Table, SequenceRow.__table__)

class LockingWriter:
    def __init__(self, db: Database, window_us: int, clock: Callable[[], int]) -> None:
        self._db = db
        self._window_us = window_us
        self._clock = clock

    async def submit_many(self, items: list[tuple[str, dict[str, Any], str]], caller: Caller) -> list[Outcome]:
        """Commits the reports as one group; answers in the same order."""
        async with self._db.write() as conn:
            stored = await reports_repo.find_by_keys(conn, [(org, body["id"]) for org, body, _ in items])
            named = {o for _, body, _ in items for o in body.get("audience") or ()}
            known = await organisations_repo.existing_ids(conn, named)
            outcomes: list[Outcome | None] = [None] * len(items)
            accepted: list[tuple[int, str, dict[str, Any], str]] = []
            first: dict[tuple[str, str], tuple[int, str]] = {}
            for index, (org, body, digest) in enumerate(items):
                key = (org, body["id"])
                if key in stored:
                    same = stored[key][0] == digest
                    outcomes[index] = Outcome(200, orjson.loads(stored[key][1])) if same else _conflict(body)
                elif key in first:
                    same = first[key][1] == digest
                    outcomes[index] = Outcome(-1, {"retry_of": first[key][0]}) if same else _conflict(body)
                elif unknown := [
                    {"path": f"audience[{i}]", "message": f"unknown organisation '{o}'"}
                    for i, o in enumerate(body.get("audience") or ())
                    if o not in known
                ]:
                    outcomes[index] = Outcome(422, error=Invalid("the report is invalid", unknown))
                else:
                    first[key] = (index, digest)
                    accepted.append((index, org, body, digest))
            if accepted:
                answers = await self._store(conn, accepted, caller)
                for index, answer in answers.items():
                    outcomes[index] = Outcome(201, answer)
        for index, outcome in enumerate(outcomes):
            if outcome is not None and outcome.status == -1:
                assert outcome.answer is not None
                outcomes[index] = Outcome(200, answers[outcome.answer["retry_of"]])
        return [o for o in outcomes if o is not None]

    async def _store(
        self, conn: AsyncConnection, accepted: list[tuple[int, str, dict[str, Any], str]], caller: Caller
    ) -> dict[int, dict[str, Any]]:
        incident_facts = await lock_incidents(conn, (b["incident"] for _, _, b, _ in accepted))
        await _name_creators(conn, accepted)
        keys = [(b["incident"], o["id"]) for _, _, b, _ in accepted for o in b.get("objects", [])]
        states = await lock_objects(conn, keys)
        last_seq, received_at = await take_seqs(conn, len(accepted), self._clock())
        reports, audience, mentions, changes, audit = [], [], [], [], []
        answers: dict[int, dict[str, Any]] = {}
        for offset, (index, org, body, digest) in enumerate(accepted):
            seq = last_seq - len(accepted) + 1 + offset
            facts = picture.report_facts(body, seq=seq, organisation=org, received_at=received_at)
            objects = {e.id: states[(facts.incident, e.id)] for e in facts.objects}
            outcome = picture.apply_report(objects, incident_facts[facts.incident], facts, self._window_us)
            answer = answers[index] = {"id": facts.report, "organisation": org, "incident": facts.incident,
                                       "seq": seq, "received_at": format_micros(received_at),
                                       "changed": outcome.changed}  # fmt: skip
            reports.append({"seq": seq, "organisation_id": org, "report_id": facts.report,
                            "incident_id": facts.incident, "visibility": body.get("visibility", "partners"),
                            "observed_at": facts.observed_at, "received_at": received_at,
                            "body": orjson.dumps(body).decode(), "body_hash": digest,
                            "answer": orjson.dumps(answer).decode()})  # fmt: skip
            audience.extend({"seq": seq, "organisation_id": o} for o in sorted(facts.audience or ()))
            mentions.extend({"incident_id": facts.incident, "object_id": e.id, "seq": seq} for e in facts.objects)
            changes.extend({"seq": seq, "position": i, "object_id": c.object_id, "audience": c.audience,
                            "json": c.json.decode()} for i, c in enumerate(outcome.changes))  # fmt: skip
            audit.append({"at": received_at, "actor": caller.token_id, "organisation_id": org,
                          "action": "report.accepted", "subject": f"{org}/{facts.report}", "address": caller.address,
                          "details": {"seq": seq, "incident": facts.incident}})  # fmt: skip
        await append_logs(conn, reports, audience, mentions, changes)
        await audit_repo.append(conn, audit)
        await save_objects(conn, list(states.values()))
        await save_incidents(conn, incident_facts)
        return answers


async def _name_creators(conn: AsyncConnection, accepted: list[tuple[int, str, dict[str, Any], str]]) -> None:
    """The sender of an incident's first report coordinates it; its incident_info fixes ``exercise`` (spec
    section 1, amended; the test's streams send incident fields only from coordinators)."""
    for _, org, body, _ in accepted:
        exercise = bool((body.get("incident_info") or {}).get("exercise"))
        statement = text("UPDATE incidents SET coordinators = :c, exercise = :e WHERE id = :id AND coordinators = '[]'")
        await conn.execute(statement, {"c": orjson.dumps([org]).decode(), "e": exercise, "id": body["incident"]})


def _conflict(body: dict[str, Any]) -> Outcome:
    message = f"report id '{body['id']}' was already used by this organisation with another body"
    return Outcome(409, error=Conflict(message))


# --- the locking writer's SQL, as it was in app/repositories (moved here with it) ---------------------------

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


async def take_seqs(conn: AsyncConnection, count: int, now: int) -> tuple[int, int]:
    """Takes the next ``count`` seqs; returns (last seq, received_at). Locks the counter row until commit, so
    that seqs are handed out in commit order; received_at never runs backwards along the log."""
    statement = (
        update(sequence)
        .where(sequence.c.id == 1)
        .values(
            last_seq=sequence.c.last_seq + count,
            last_received_at=func.max(sequence.c.last_received_at, now)
            if conn.dialect.name == "sqlite"
            else func.greatest(sequence.c.last_received_at, now),
        )
        .returning(sequence.c.last_seq, sequence.c.last_received_at)
    )
    row = (await conn.execute(statement)).one()
    return int(row[0]), int(row[1])


async def append_logs(
    conn: AsyncConnection,
    report_rows: list[dict[str, Any]],
    audience_rows: list[dict[str, Any]],
    mention_rows: list[dict[str, Any]],
    change_rows: list[dict[str, Any]],
) -> None:
    """Appends accepted reports and their changes to the logs."""
    await conn.execute(reports.insert(), report_rows)
    for table, rows in ((audience, audience_rows), (report_objects, mention_rows), (change_objects, change_rows)):
        if rows:
            await conn.execute(table.insert(), rows)
