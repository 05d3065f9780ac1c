"""The few statements whose spelling differs between PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def _insert(conn: AsyncConnection, table: Table) -> Any:
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


async def insert_ignore(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts the rows that do not exist yet (by primary key)."""
    if rows:
        await conn.execute(_insert(conn, table).on_conflict_do_nothing(), list(rows))


async def upsert(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str] | None = None,
) -> None:
    """Inserts the rows, or updates those whose key exists (``update``: only those columns)."""
    if not rows:
        return
    statement = _insert(conn, table)
    updates = {c: statement.excluded[c] for c in rows[0] if c not in keys and (update is None or c in update)}
    await conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=updates), list(rows))
