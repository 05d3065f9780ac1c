"""The writer as it was before the cached one (commit 03a42e1), kept as the reference of the differential test.

It locks every touched incident and object row, loads their states, takes the seqs from the locked counter,
merges, and writes each table with its own statements: slow, and simple enough to trust. The cached writer of
``app.services.ingest`` must leave exactly the rows this one leaves, and give exactly its answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database
from app.domain import picture
from app.domain.timefmt import format_micros
from app.errors import Conflict, Invalid
from app.repositories import audit as audit_repo
from app.repositories import organisations as organisations_repo
from app.repositories import picture as picture_repo
from app.repositories import reports as reports_repo
from app.services.audit import Caller
from app.services.submissions import Outcome


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
        incident_facts = await picture_repo.lock_incidents(conn, (b["incident"] for _, _, b, _ in accepted))
        await _name_creators(conn, accepted)
        keys = [(b["incident"], o["id"]) for _, _, b, _ in accepted for o in b.get("objects", [])]
        states = await picture_repo.lock_objects(conn, keys)
        last_seq, received_at = await reports_repo.take_seqs(conn, len(accepted), self._clock())
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
        await reports_repo.append(conn, reports, audience, mentions, changes)
        await audit_repo.append(conn, audit)
        await picture_repo.save_objects(conn, list(states.values()))
        await picture_repo.save_incidents(conn, incident_facts)
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
