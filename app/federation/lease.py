"""Who runs a link: with several processes on one PostgreSQL database, exactly one pushes a given link at a time.

PostgreSQL advisory locks, one per link (``pg_try_advisory_lock(namespace, hashtext(link id))``), all held by
one dedicated connection of the process. Chosen over a lease row because the database releases them by itself
when the holder's session ends (the process crashed, was killed, or lost its connection): no expiry to tune, no
clock to trust, no renewal writes. The runner checks the connection every second; when it is gone, the process
stops pushing at once and claims again, and another process takes the link over within a second of PostgreSQL
noticing. For that moment two processes may push the same reports: harmless, since the peer answers a resent
report as a retry and the acknowledged seq only moves forward.

SQLite serves one process, which runs every link.
"""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db import Database

log = logging.getLogger(__name__)

NAMESPACE = 0x6E637066  # "ncpf": netcop federation, the first key of the two-key advisory locks


class Lease(Protocol):
    async def claim(self, link_id: str) -> bool: ...
    async def release(self, link_id: str) -> None: ...
    async def alive(self) -> bool: ...
    async def close(self) -> None: ...


class OneProcess:
    """SQLite: this process runs every link."""

    async def claim(self, link_id: str) -> bool:
        return True

    async def release(self, link_id: str) -> None:
        return None

    async def alive(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class AdvisoryLocks:
    """PostgreSQL: one advisory lock per link, held by one connection of this process."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._held: set[str] = set()

    async def claim(self, link_id: str) -> bool:
        got = await self._scalar("SELECT pg_try_advisory_lock(:ns, hashtext(:id))", link_id)
        if got:
            self._held.add(link_id)
        return bool(got)

    async def release(self, link_id: str) -> None:
        if link_id in self._held:
            self._held.discard(link_id)
            await self._scalar("SELECT pg_advisory_unlock(:ns, hashtext(:id))", link_id)

    async def alive(self) -> bool:
        """Whether the locks are still held (their connection is up); when not, they are all forgotten."""
        if self._conn is None:
            return not self._held
        try:
            await self._conn.execute(text("SELECT 1"))
        except Exception:
            log.warning("federation: lost the connection holding the links' locks", exc_info=True)
            await self._drop()
            return False
        return True

    async def close(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
                await self._conn.close()
            except Exception:
                await self._drop()
        self._conn, self._held = None, set()

    async def _scalar(self, sql: str, link_id: str) -> object:
        if self._conn is None:
            conn = await self._engine.connect()
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        try:
            return (await self._conn.execute(text(sql), {"ns": NAMESPACE, "id": link_id})).scalar_one()
        except Exception:
            await self._drop()
            raise

    async def _drop(self) -> None:
        """Closes the connection for good (not back to the pool: it might still hold locks)."""
        conn, self._conn, self._held = self._conn, None, set()
        if conn is not None:
            try:
                await conn.invalidate()
            except Exception:
                log.debug("federation: could not invalidate the lock connection", exc_info=True)


def for_database(db: Database) -> Lease:
    return OneProcess() if db.is_sqlite else AdvisoryLocks(db.write_engine)
