"""The report log and the change log as a viewer may page through them."""

from __future__ import annotations

from typing import Any

import orjson

from app.db import Database
from app.domain import picture
from app.domain.timefmt import format_micros
from app.repositories import reports as reports_repo

SCAN_REPORTS = 1000


async def list_reports(
    *, db: Database, viewer: str, after_seq: int, limit: int, incident: str | None, organisation: str | None
) -> dict[str, Any]:
    """Visible reports as sent, plus organisation, seq and received_at, in seq order."""
    async with db.read() as conn:
        rows = await reports_repo.visible_reports(
            conn, viewer, after_seq=after_seq, incident=incident, organisation=organisation, limit=limit
        )
        last = rows[-1][0] if len(rows) == limit else max(after_seq, await reports_repo.last_seq(conn))
    reports = [orjson.loads(body) | {"organisation": org, "seq": seq, "received_at": format_micros(at)}
               for seq, org, at, body in rows]  # fmt: skip
    return {"reports": reports, "last_seq": last}


async def list_changes(*, db: Database, viewer: str, after_seq: int, limit: int, incident: str | None) -> bytes:
    """The changes the viewer saw, in seq order; reports that changed nothing for the viewer are left out."""
    changes: list[bytes] = []
    cursor = after_seq
    async with db.read() as conn:
        end = max(after_seq, await reports_repo.last_seq(conn))
        while len(changes) < limit and cursor < end:
            rows = await reports_repo.changes_between(conn, cursor, min(end, cursor + SCAN_REPORTS), incident)
            for seq, entries in _group(rows, viewer):
                changes.append(entries)
                cursor = seq
                if len(changes) == limit:
                    break
            else:
                cursor = min(end, cursor + SCAN_REPORTS)
    last = cursor if len(changes) == limit else end
    return b'{"changes":[' + b",".join(changes) + b'],"last_seq":' + str(last).encode() + b"}"


def _group(rows: list[Any], viewer: str) -> list[tuple[int, bytes]]:
    """Rows of change entries -> one encoded change per seq that the viewer sees something of."""
    grouped: dict[int, tuple[dict[str, Any], list[bytes]]] = {}
    for seq, _position, _object_id, audience, json, report_id, organisation, incident in rows:
        if not picture.sees(audience, viewer):
            continue
        head = {"seq": seq, "incident": incident, "report": {"id": report_id, "organisation": organisation}}
        grouped.setdefault(seq, (head, []))[1].append(json.encode())
    return [(seq, orjson.dumps(head)[:-1] + b',"objects":[' + b",".join(objs) + b"]}")
            for seq, (head, objs) in grouped.items()]  # fmt: skip
