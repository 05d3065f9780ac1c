"""The report log and the change log: all their SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models import ChangeObject, IncidentActivity, Report, ReportAudience, ReportObject
from app.models import Sequence as SequenceRow

reports = cast(Table, Report.__table__)
audience = cast(Table, ReportAudience.__table__)
report_objects = cast(Table, ReportObject.__table__)
change_objects = cast(Table, ChangeObject.__table__)
sequence = cast(Table, SequenceRow.__table__)
activity = cast(Table, IncidentActivity.__table__)


def visible_to(viewer: str) -> ColumnElement[bool]:
    """The reports a viewer may see (spec section 5)."""
    in_audience = exists().where(audience.c.seq == reports.c.seq, audience.c.organisation_id == viewer)
    return or_(reports.c.visibility != "restricted", reports.c.organisation_id == viewer, in_audience)


async def find_by_keys(conn: AsyncConnection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """Stored (body_hash, answer) of reports by (organisation, report id)."""
    by_organisation: dict[str, set[str]] = {}
    for organisation, report_id in keys:
        by_organisation.setdefault(organisation, set()).add(report_id)
    found: dict[tuple[str, str], Any] = {}
    # One query per organisation: "org = x AND id IN (...)" walks the unique index, where a list of
    # (org, id) pairs is planned as a costly OR of bitmaps.
    for organisation, report_ids in by_organisation.items():
        statement = select(reports.c.report_id, reports.c.body_hash, reports.c.answer).where(
            reports.c.organisation_id == organisation, reports.c.report_id.in_(sorted(report_ids))
        )
        found.update({(organisation, r[0]): (r[1], r[2]) for r in await conn.execute(statement)})
    return found


async def notify(conn: AsyncConnection, channel: str, payload: str) -> None:
    """A wake-up for other processes, delivered at commit (PostgreSQL only; SQLite serves one process)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_notify(channel, payload)))


async def last_seq(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(sequence.c.last_seq).where(sequence.c.id == 1))).scalar_one())


async def visible_reports(
    conn: AsyncConnection,
    viewer: str,
    *,
    after_seq: int = 0,
    incident: str | None = None,
    organisation: str | None = None,
    limit: int | None = None,
    received_until: int | None = None,
) -> list[Any]:
    """Visible reports in seq order: (seq, organisation, received_at, body)."""
    conditions = [visible_to(viewer), reports.c.seq > after_seq]
    if incident is not None:
        conditions.append(reports.c.incident_id == incident)
    if organisation is not None:
        conditions.append(reports.c.organisation_id == organisation)
    if received_until is not None:
        conditions.append(reports.c.received_at <= received_until)
    statement = (
        select(reports.c.seq, reports.c.organisation_id, reports.c.received_at, reports.c.body)
        .where(and_(*conditions))
        .order_by(reports.c.seq)
        .limit(limit)
    )
    return list(await conn.execute(statement))


async def all_reports(conn: AsyncConnection, after_seq: int, limit: int) -> list[Any]:
    """Every report in seq order, for replays: (seq, organisation, received_at, body)."""
    statement = (
        select(reports.c.seq, reports.c.organisation_id, reports.c.received_at, reports.c.body)
        .where(reports.c.seq > after_seq)
        .order_by(reports.c.seq)
        .limit(limit)
    )
    return list(await conn.execute(statement))


async def mentions(conn: AsyncConnection, viewer: str, incident: str, object_id: str) -> list[Any]:
    """Visible reports that mention one object: (seq, organisation, received_at, body)."""
    statement = (
        select(reports.c.seq, reports.c.organisation_id, reports.c.received_at, reports.c.body)
        .join(report_objects, report_objects.c.seq == reports.c.seq)
        .where(report_objects.c.incident_id == incident, report_objects.c.object_id == object_id)
        .where(visible_to(viewer))
        .order_by(reports.c.seq)
    )
    return list(await conn.execute(statement))


async def changes_between(
    conn: AsyncConnection, after_seq: int, until_seq: int, incident: str | None = None
) -> list[Any]:
    """Change entries with after_seq < seq <= until_seq, in log order:
    (seq, position, object_id, audience, json, report id, organisation, incident)."""
    statement = (
        select(
            change_objects.c.seq,
            change_objects.c.position,
            change_objects.c.object_id,
            change_objects.c.audience,
            change_objects.c.json,
            reports.c.report_id,
            reports.c.organisation_id,
            reports.c.incident_id,
        )
        .join(reports, reports.c.seq == change_objects.c.seq)
        .where(change_objects.c.seq > after_seq, change_objects.c.seq <= until_seq)
        .order_by(change_objects.c.seq, change_objects.c.position)
    )
    if incident is not None:
        statement = statement.where(reports.c.incident_id == incident)
    return list(await conn.execute(statement))


async def incident_activity(conn: AsyncConnection, viewer: str, incident: str | None = None) -> list[Any]:
    """Per incident and organisation, the viewer's visible reports as the writer summed them up: (incident,
    organisation, first received, last received, last seq), possibly several rows per pair (one per audience)."""
    member = activity.c.audience.like("%," + viewer + ",%")  # ids are slugs: no LIKE wildcards in them
    statement = select(
        activity.c.incident_id,
        activity.c.organisation_id,
        activity.c.first_received,
        activity.c.last_received,
        activity.c.last_seq,
    ).where(or_(activity.c.audience == "", activity.c.organisation_id == viewer, member))
    if incident is not None:
        statement = statement.where(activity.c.incident_id == incident)
    return list(await conn.execute(statement))


async def incident_last_seq(conn: AsyncConnection, incident: str) -> int:
    """The seq of the last report about the incident, whoever may see it (0 for none)."""
    statement = select(func.max(activity.c.last_seq)).where(activity.c.incident_id == incident)
    return int((await conn.execute(statement)).scalar_one() or 0)


async def last_seq_until(conn: AsyncConnection, received_until: int) -> int:
    """The last seq received up to a moment."""
    statement = select(func.max(reports.c.seq)).where(reports.c.received_at <= received_until)
    return int((await conn.execute(statement)).scalar_one() or 0)
