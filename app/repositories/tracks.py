"""What the stale-track sweeper reads (``api.stale_tracks``): the reports that assert a ``stale_at``, and one
report's body."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models import Report

reports = cast(Table, Report.__table__)


async def with_stale_at(conn: AsyncConnection, *, after_seq: int, until_seq: int, limit: int) -> list[Any]:
    """Reports after_seq < seq <= until_seq whose body names ``stale_at``, in seq order: (seq, organisation, body)."""
    statement = (
        select(reports.c.seq, reports.c.organisation_id, reports.c.body)
        .where(reports.c.seq > after_seq, reports.c.seq <= until_seq, reports.c.body.contains('"stale_at"'))
        .order_by(reports.c.seq)
        .limit(limit)
    )
    return list(await conn.execute(statement))


async def body_of(conn: AsyncConnection, organisation: str, report_id: str) -> str | None:
    """The stored body of one report, by its sender and id."""
    statement = select(reports.c.body).where(
        reports.c.organisation_id == organisation, reports.c.report_id == report_id
    )
    return (await conn.execute(statement)).scalar_one_or_none()
