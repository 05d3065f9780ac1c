"""The audit log: all its SQL."""

from __future__ import annotations

from typing import Any, cast

import orjson
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.domain import audit
from app.models import AuditEntry, AuditHead

entries = cast(Table, AuditEntry.__table__)
head = cast(Table, AuditHead.__table__)


async def append(conn: AsyncConnection, new: list[dict[str, Any]]) -> None:
    """Chains and appends entries; locks the head row until commit, which orders the chain."""
    if not new:
        return
    statement = select(head.c.last_id, head.c.last_hash).where(head.c.id == 1).with_for_update()
    last_id, last_hash = (await conn.execute(statement)).one()
    for entry in new:
        entry["details"] = orjson.dumps(entry.get("details") or {}).decode()
    new_hash = audit.chain(new, int(last_id), str(last_hash))
    await conn.execute(entries.insert(), new)
    await conn.execute(update(head).where(head.c.id == 1).values(last_id=new[-1]["id"], last_hash=new_hash))


async def page(conn: AsyncConnection, after_id: int, limit: int) -> list[dict[str, Any]]:
    statement = select(entries).where(entries.c.id > after_id).order_by(entries.c.id).limit(limit)
    return [dict(r._mapping) for r in await conn.execute(statement)]
