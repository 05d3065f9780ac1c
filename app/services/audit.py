"""The audit log's use cases: recording admin actions, reading the log, checking its chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database
from app.domain import audit
from app.domain.timefmt import format_micros, now_micros
from app.repositories import audit as repo


@dataclass(frozen=True, slots=True)
class Caller:
    """Who acted, for the audit log: the token and the client address."""

    token_id: str
    address: str | None


COMMAND_LINE = Caller("cli", None)


async def record(conn: AsyncConnection, caller: Caller, action: str, subject: str, **details: Any) -> None:
    """Appends one admin action to the audit log, in the caller's transaction."""
    entry = {
        "at": now_micros(),
        "actor": caller.token_id,
        "organisation_id": details.pop("organisation", None),
        "action": action,
        "subject": subject,
        "address": caller.address,
        "details": details,
    }
    await repo.append(conn, [entry])


async def read(*, db: Database, after_id: int, limit: int) -> dict[str, Any]:
    """A page of the audit log, oldest first."""
    async with db.read() as conn:
        rows = await repo.page(conn, after_id, limit)
    entries = [row | {"at": format_micros(row["at"]), "details": orjson.loads(row["details"])} for row in rows]
    return {"entries": entries, "last_id": rows[-1]["id"] if rows else after_id}


async def chain_breaks(conn: AsyncConnection) -> list[str]:
    """Where the stored chain is broken (``netcop verify``)."""
    problems: list[str] = []
    cursor, expected = 0, {"id": 1, "hash": audit.GENESIS}
    while rows := await repo.page(conn, cursor, 5000):
        problems += audit.breaks(rows, start=expected)
        expected = {"id": rows[-1]["id"] + 1, "hash": rows[-1]["hash"]}
        cursor = rows[-1]["id"]
    return problems
