"""The public picture of an incident: the merge of its ``public`` reports only, for the public outputs (CAP).

Visibility is a property of a report, not of an object: the stored picture merges ``partners`` and ``public``
reports alike (both reach every partner), so what ``public`` reports asserted is not kept apart there. The public
picture is therefore the picture a viewer would have who could see the ``public`` reports and nothing else: those
reports replayed through the one merge rule (``domain.replay``), exactly as ``as_of`` replays the log. Its cost
grows with the incident's public reports, read a page at a time, the event loop given a turn every few
milliseconds; no partner's or restricted assertion can leak into it, and a partner's later ``partners`` report
does not change it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from app.db import Database
from app.domain import picture
from app.domain.replay import Replay
from app.domain.timefmt import from_micros
from app.errors import NotFound
from app.formats import cap_out
from app.repositories import picture as picture_repo
from app.repositories import public as public_repo
from app.repositories import reports as reports_repo

PAGE = 2000  # reports read at a time
STEP_SECONDS = 0.002  # the longest the replay keeps the event loop before it gives others a turn


async def cap_source(*, db: Database, viewer: str, incident: str, window_us: int) -> cap_out.Source:
    """What the CAP alert of an incident is made of: 404 when the viewer sees no report of it."""
    async with db.read() as conn:
        if not await reports_repo.visible_reports(conn, viewer, incident=incident, limit=1):
            raise NotFound(f"no incident '{incident}'")
        state = await picture_repo.incident_state(conn, incident)
    replay, seq, received = await _replay(db, incident, window_us)
    fields = picture.render_incident_fields(replay.incidents.get(incident, {}), None, window_us)
    objects = [orjson.loads(s.public.json) for _, s in sorted(replay.objects.items()) if s.public.json is not None]
    return cap_out.Source(
        incident=incident,
        category=fields["category"],
        exercise=state.exercise if state is not None else fields["exercise"],
        objects=[obj for obj in objects if not obj["removed"]],
        seq=seq,
        received_at=from_micros(received) if received else datetime.now(UTC),
    )


async def _replay(db: Database, incident: str, window_us: int) -> tuple[Replay, int, int]:
    """The incident's public reports replayed; the seq and receipt time of the last."""
    replay = Replay(window_us=window_us)
    cursor, received = 0, 0
    deadline = time.perf_counter() + STEP_SECONDS
    while True:
        async with db.read() as conn:
            rows: list[Any] = await public_repo.public_reports(conn, incident, after_seq=cursor, limit=PAGE)
        for seq, organisation, received_at, body in rows:
            replay.apply(picture.report_facts(orjson.loads(body), seq=seq, organisation=organisation,
                                              received_at=received_at))  # fmt: skip
            cursor, received = seq, received_at
            if time.perf_counter() > deadline:
                await asyncio.sleep(0)
                deadline = time.perf_counter() + STEP_SECONDS
        if len(rows) < PAGE:
            return replay, cursor, received
