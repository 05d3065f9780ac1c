"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL when NETCOP_TEST_DATABASE_URL is set),
emptied before each test, and an in-process service with an HTTP client.

Tests that need real server processes use the fixtures of ``tests/support/server_fixtures.py`` (loaded here);
report bodies come from ``tests/support/reports.py``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import Settings
from app.main import create_app
from app.migrate import upgrade
from app.models import Base
from tests.support.reports import report as report  # the one report builder; many tests import it from here

pytest_plugins = ["tests.support.server_fixtures"]

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
PG_URL = os.environ.get("NETCOP_TEST_DATABASE_URL")


def _create_postgres_database(url: str) -> None:
    """Creates the test database afresh (the URL names it)."""
    import asyncio

    base, _, name = url.rpartition("/")

    async def create() -> None:
        engine = create_async_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    asyncio.run(create())


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database for the whole session."""
    if PG_URL:
        _create_postgres_database(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'netcop.db'}"
    upgrade(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        sqlite_path=Path(database_url.removeprefix("sqlite+aiosqlite:///")) if "sqlite" in database_url else tmp_path,
        admin_token=ADMIN_TOKEN,
        token_cache_seconds=0,
    )


@pytest.fixture(autouse=True)
async def empty_database(request: pytest.FixtureRequest, database_url: str) -> None:
    """Every test starts from an empty picture, organisations and tokens, but for the tests on servers their
    module shares (which keep running across its tests)."""
    if request.node.get_closest_marker("shared_servers") is not None:
        return
    counters = ("sequence", "audit_head")
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in counters]
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)}"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))
        await conn.execute(text("UPDATE sequence SET last_seq = 0, last_received_at = 0"))
        await conn.execute(text(f"UPDATE audit_head SET last_id = 0, last_hash = '{'0' * 64}'"))
    await engine.dispose()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://netcop.test") as http:
        yield http


ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
MakePartner = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def partner(client: httpx.AsyncClient) -> MakePartner:
    """Registers an organisation (if new) and returns the headers of a fresh token for it."""

    async def make(org: str, roles: tuple[str, ...] = ("report", "read"), discipline: str = "other") -> dict[str, str]:
        body = {"id": org, "name": org.title(), "discipline": discipline, "country": "NL"}
        response = await client.post("/api/v1/organisations", json=body, headers=ADMIN)
        assert response.status_code in (201, 409), response.text
        response = await client.post(f"/api/v1/organisations/{org}/tokens", json={"roles": list(roles)}, headers=ADMIN)
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    return make


Headers = dict[str, str]


# Three partners of one safety region, each with a fresh token holding ``report`` and ``read``.
@pytest.fixture
async def police(partner: MakePartner) -> Headers:
    return await partner("politie", discipline="police")


@pytest.fixture
async def fire(partner: MakePartner) -> Headers:
    return await partner("brandweer", discipline="fire")


@pytest.fixture
async def ghor(partner: MakePartner) -> Headers:
    return await partner("ghor", discipline="medical")
