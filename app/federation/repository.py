"""All SQL of the federation links: the links table, and the report log as a link reads it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, case, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models.federation import FederationLink
from app.repositories import reports as reports_repo

links = cast(Table, FederationLink.__table__)
reports = reports_repo.reports


@dataclass(frozen=True, slots=True)
class Selection:
    """Which reports a link allows: some incidents (None: every incident) and some visibilities."""

    incidents: frozenset[str] | None
    visibilities: frozenset[str]


async def add_link(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(links).values(**row))


async def get_link(conn: AsyncConnection, link_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(links).where(links.c.id == link_id))).mappings().first()
    return dict(row) if row is not None else None


async def list_links(conn: AsyncConnection) -> list[dict[str, Any]]:
    return [dict(row) for row in (await conn.execute(select(links).order_by(links.c.id))).mappings()]


async def delete_link(conn: AsyncConnection, link_id: str) -> bool:
    return (await conn.execute(delete(links).where(links.c.id == link_id))).rowcount > 0


async def record(conn: AsyncConnection, link_id: str, *, acked_seq: int | None = None, forwarded: int = 0,
                 refused: int = 0, **columns: Any) -> None:  # fmt: skip
    """Moves a link's acknowledged seq forward (never back: two processes may overlap for a moment when one
    loses its lease), adds to its counters and sets other columns."""
    values: dict[str, Any] = dict(columns)
    if acked_seq is not None:
        values["last_acked_seq"] = case((links.c.last_acked_seq < acked_seq, acked_seq), else_=links.c.last_acked_seq)
    if forwarded:
        values["forwarded_count"] = links.c.forwarded_count + forwarded
    if refused:
        values["refused_count"] = links.c.refused_count + refused
    if values:
        await conn.execute(update(links).where(links.c.id == link_id).values(**values))


def _allowed(selection: Selection, excluded: Collection[str]) -> ColumnElement[bool]:
    conditions = [reports.c.visibility.in_(sorted(selection.visibilities))]
    if selection.incidents is not None:
        conditions.append(reports.c.incident_id.in_(sorted(selection.incidents)))
    if excluded:
        conditions.append(reports.c.organisation_id.not_in(sorted(excluded)))
    return and_(*conditions)


async def pending(
    conn: AsyncConnection, after_seq: int, selection: Selection, excluded: Collection[str], limit: int
) -> tuple[list[Any], int]:
    """The allowed reports after a seq, in seq order: (seq, organisation, body) rows, and the log position
    they were read at (past the last row when fewer than ``limit`` were found)."""
    end = await reports_repo.last_seq(conn)
    statement = (
        select(reports.c.seq, reports.c.organisation_id, reports.c.body)
        .where(reports.c.seq > after_seq, reports.c.seq <= end, _allowed(selection, excluded))
        .order_by(reports.c.seq)
        .limit(limit)
    )
    return list(await conn.execute(statement)), end


async def lag(
    conn: AsyncConnection, after_seq: int, selection: Selection, excluded: Collection[str]
) -> tuple[int, int | None]:
    """The allowed reports after a seq: how many, and when the oldest of them was received."""
    statement = select(func.count(), func.min(reports.c.received_at)).where(
        reports.c.seq > after_seq, _allowed(selection, excluded)
    )
    count, oldest = (await conn.execute(statement)).one()
    return int(count), oldest
