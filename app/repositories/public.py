"""The reports of visibility ``public`` (spec section 3): what the public outputs (CAP export) are made of."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models import Report

reports = cast(Table, Report.__table__)


async def public_reports(conn: AsyncConnection, incident: str, *, after_seq: int, limit: int) -> list[Any]:
    """An incident's public reports in seq order: (seq, organisation, received_at, body)."""
    statement = (
        select(reports.c.seq, reports.c.organisation_id, reports.c.received_at, reports.c.body)
        .where(reports.c.incident_id == incident, reports.c.visibility == "public", reports.c.seq > after_seq)
        .order_by(reports.c.seq)
        .limit(limit)
    )
    return list(await conn.execute(statement))
