"""Organisations and tokens: all their SQL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models import Organisation, Token

organisations = cast(Table, Organisation.__table__)
tokens = cast(Table, Token.__table__)


async def add_organisation(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(organisations.insert(), row)


async def get_organisation(conn: AsyncConnection, organisation_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(organisations).where(organisations.c.id == organisation_id))).first()
    return dict(row._mapping) if row else None


async def list_organisations(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(select(organisations).order_by(organisations.c.id))
    return [dict(r._mapping) for r in rows]


async def existing_ids(conn: AsyncConnection, ids: Iterable[str]) -> set[str]:
    wanted = set(ids)
    if not wanted:
        return set()
    rows = await conn.execute(select(organisations.c.id).where(organisations.c.id.in_(wanted)))
    return {r[0] for r in rows}


async def add_token(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(tokens.insert(), row)


async def token_by_hash(conn: AsyncConnection, secret_hash: str) -> dict[str, Any] | None:
    statement = select(tokens).where(tokens.c.secret_hash == secret_hash, tokens.c.revoked_at.is_(None))
    row = (await conn.execute(statement)).first()
    return dict(row._mapping) if row else None


async def revoke_token(conn: AsyncConnection, token_id: str, at: int) -> bool:
    """Revokes a live token; returns whether there was one."""
    statement = update(tokens).where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None)).values(revoked_at=at)
    result = await conn.execute(statement)
    return bool(result.rowcount)


async def live_token_ids(conn: AsyncConnection, ids: Iterable[str]) -> set[str]:
    """The ids among these whose tokens are not revoked."""
    statement = select(tokens.c.id).where(tokens.c.id.in_(list(ids)), tokens.c.revoked_at.is_(None))
    return {r[0] for r in await conn.execute(statement)}
