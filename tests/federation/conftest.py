"""Fixtures of the federation tests: instances on databases of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import httpx
import pytest

from tests.federation import peers
from tests.federation.peers import Instance
from tests.support.server_fixtures import StartServer


class StartInstance(Protocol):
    async def __call__(self, name: str, **settings: str) -> Instance: ...


@pytest.fixture
async def instance(start_server: StartServer, database_url: str, tmp_path: Path) -> AsyncIterator[StartInstance]:
    """Starts a netcop instance with a database of its own (settings as ``NETCOP_*`` keys without the prefix)."""
    clients: list[httpx.AsyncClient] = []

    async def start(name: str, **settings: str) -> Instance:
        url = peers.database_for(database_url, str(tmp_path), name)
        if url.startswith("postgresql"):
            await peers.fresh_postgres(url)
        server = start_server(peers.environment(url, **settings))
        clients.append(httpx.AsyncClient(base_url=server.url, timeout=30.0))
        return Instance(name, server, clients[-1])

    yield start
    for client in clients:
        await client.aclose()
