"""Engines and transactions. Built in the application's lifespan, never at import time.

Writes go through ``Database.write()``: one transaction that the caller commits by leaving the block. On SQLite
it starts with ``BEGIN IMMEDIATE`` so that a writer takes the write lock up front instead of failing to upgrade a
read lock half-way. Reads go through ``Database.read()``: one snapshot (REPEATABLE READ on PostgreSQL, a read
transaction in WAL mode on SQLite), so that every answer is consistent with the ``seq`` it states.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.config import Settings

# SQLSTATEs of a database that is away rather than of a statement that failed: connection exceptions (08),
# operator intervention (57P: shutting down, crash restart, "starting up"), too many connections (53300).
UNREACHABLE_SQLSTATES = ("08", "57P", "53300")

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
)


def _sqlite_engine(url: str, begin: str, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_timeout=30)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def _postgres_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.effective_database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_timeout=settings.db_timeout_seconds,
        # No pre-ping (it costs round trips on every checkout): a connection found dead fails its request with
        # 503 and is discarded, with the rest of the pool, so the next request reconnects.
        pool_pre_ping=False,
        connect_args={"timeout": settings.db_timeout_seconds, "command_timeout": 60},
    )


def is_unreachable(error: DBAPIError) -> bool:
    """Whether a database error means the database cannot be reached now (503), not that a statement failed."""
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return error.connection_invalidated or sqlstate.startswith(UNREACHABLE_SQLSTATES)


class Database:
    """The engines of one process, and the two kinds of transaction netcop uses."""

    def __init__(self, settings: Settings) -> None:
        self.is_sqlite = settings.is_sqlite
        if self.is_sqlite:
            settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            url = settings.effective_database_url
            self.write_engine = _sqlite_engine(url, "BEGIN IMMEDIATE", pool_size=1)
            self.read_engine = _sqlite_engine(url, "BEGIN", pool_size=settings.db_pool_size)
        else:
            self.write_engine = self.read_engine = _postgres_engine(settings)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed when the block ends without an error."""
        async with self.write_engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only snapshot."""
        async with self.read_engine.connect() as conn:
            if not self.is_sqlite:
                await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                yield conn

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
