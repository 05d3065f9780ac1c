"""Fixtures of the federation tests: instances on databases of their own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import httpx
import pytest

from tests.federation import peers
from tests.federation.peers import Instance
from tests.support.server_fixtures import StartServer


class StartInstance(Protocol):
    async def __call__(self, *names: str, **settings: str) -> list[Instance]: ...


@pytest.fixture
async def instance(start_server: StartServer, database_url: str, tmp_path: Path) -> AsyncIterator[StartInstance]:
    """Starts netcop instances side by side, each with a database of its own (settings as ``NETCOP_*`` keys
    without the prefix)."""
    clients: list[httpx.AsyncClient] = []

    async def start_one(name: str, settings: dict[str, str]) -> Instance:
        url = peers.database_for(database_url, str(tmp_path), name)
        if url.startswith("postgresql"):
            await peers.fresh_postgres(url)
        server = await asyncio.to_thread(start_server, peers.environment(url, **settings))
        clients.append(httpx.AsyncClient(base_url=server.url, timeout=30.0))
        return Instance(name, server, clients[-1])

    async def start(*names: str, **settings: str) -> list[Instance]:
        return list(await asyncio.gather(*(start_one(name, settings) for name in names)))

    yield start
    for client in clients:
        await client.aclose()
