"""Incident checkpoints (``as_of`` reads): all their SQL."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models import IncidentCheckpoint
from app.repositories import dialect
from app.repositories import reports as reports_repo

checkpoints = cast(Table, IncidentCheckpoint.__table__)
reports = reports_repo.reports


async def nearest(conn: AsyncConnection, incident: str, received_until: int) -> tuple[int, str] | None:
    """(seq, state) of the incident's latest checkpoint whose report was received by then."""
    statement = (
        select(checkpoints.c.seq, checkpoints.c.state)
        .where(checkpoints.c.incident_id == incident, checkpoints.c.received_at <= received_until)
        .order_by(checkpoints.c.seq.desc())
        .limit(1)
    )
    row = (await conn.execute(statement)).first()
    return (int(row[0]), str(row[1])) if row else None


async def save(conn: AsyncConnection, incident: str, seq: int, received_at: int, state: str) -> None:
    """Stores a checkpoint unless one is there already (two readers may build the same one)."""
    row = {"incident_id": incident, "seq": seq, "received_at": received_at, "state": state}
    await dialect.insert_ignore(conn, checkpoints, [row])


async def incident_reports(
    conn: AsyncConnection, incident: str, after_seq: int, received_until: int, limit: int
) -> list[Any]:
    """Every report of the incident (whoever may see it) after a seq and received by then, in seq order:
    (seq, organisation, received_at, body)."""
    statement = (
        select(reports.c.seq, reports.c.organisation_id, reports.c.received_at, reports.c.body)
        .where(reports.c.incident_id == incident, reports.c.seq > after_seq, reports.c.received_at <= received_until)
        .order_by(reports.c.seq)
        .limit(limit)
    )
    return list(await conn.execute(statement))
