"""The HTTP edge bounds the connections it holds (issue: no partner can hurt another), on a real server process:
beyond the bound per client address, beyond the bound in all, and beyond the bound on streams being opened, a
newcomer is refused at once with 503 and ``Retry-After`` instead of being queued, and clients within the
bounds keep being served."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.conftest import ADMIN_TOKEN
from tests.support.server_fixtures import StartServer

pytestmark = pytest.mark.e2e

PER_ADDRESS, IN_ALL, HANDSHAKES = 20, 40, 5
OTHER_ADDRESS = "127.0.0.2"  # loopback: another client, as far as the server can tell


@pytest.fixture
def netcop_env(netcop_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**netcop_env, "NETCOP_MAX_CONNECTIONS_PER_ADDRESS": str(PER_ADDRESS),
            "NETCOP_MAX_CONNECTIONS": str(IN_ALL), "NETCOP_MAX_PENDING_HANDSHAKES": str(HANDSHAKES)}  # fmt: skip


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


@asynccontextmanager
async def idle_connections(url: str, count: int, local: str | None = None) -> AsyncIterator[None]:
    """``count`` connections that send nothing (each held until the head deadline, 10 s by default)."""
    local_addr = (local, 0) if local else None
    opened = [await asyncio.open_connection(*_address(url), local_addr=local_addr) for _ in range(count)]
    try:
        await asyncio.sleep(0.2)  # the server has accepted them all
        yield
    finally:
        for _, writer in opened:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def _healthz(url: str, local: str | None = None) -> httpx.Response:
    transport = httpx.AsyncHTTPTransport(local_address=local) if local else None
    async with httpx.AsyncClient(base_url=url, timeout=5, transport=transport) as client:
        return await client.get("/healthz")


async def _refused_at_once(url: str, local: str | None = None) -> None:
    started = time.monotonic()
    answer = await _healthz(url, local)
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "unavailable"
    assert answer.headers["retry-after"] == "1"
    assert time.monotonic() - started < 1.0


async def _read_token(url: str) -> str:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=url, timeout=10, headers=admin) as client:
        body = {"id": "politie", "name": "Politie", "discipline": "police", "country": "NL"}
        (await client.post("/api/v1/organisations", json=body)).raise_for_status()
        issued = await client.post("/api/v1/organisations/politie/tokens", json={"roles": ["read"]})
        token: str = issued.raise_for_status().json()["token"]
        return token


async def test_one_address_cannot_take_every_connection(start_server: StartServer) -> None:
    """An address holding its share of idle connections has its next one refused with 503 at once, while another
    address is served; once it lets go, it is served again."""
    server = start_server()
    async with idle_connections(server.url, PER_ADDRESS):
        await _refused_at_once(server.url)
        assert (await _healthz(server.url, OTHER_ADDRESS)).status_code == 200
    await asyncio.sleep(0.2)
    assert (await _healthz(server.url)).status_code == 200


async def test_the_server_holds_a_bounded_number_of_connections(start_server: StartServer) -> None:
    """Beyond the bound in all, every newcomer is refused with 503 at once (no descriptor is held for it); the
    server serves again as soon as connections close."""
    server = start_server()
    async with idle_connections(server.url, PER_ADDRESS), idle_connections(server.url, IN_ALL - PER_ADDRESS,
                                                                            OTHER_ADDRESS):  # fmt: skip
        await _refused_at_once(server.url, "127.0.0.3")
    await asyncio.sleep(0.2)
    assert (await _healthz(server.url, "127.0.0.3")).status_code == 200


async def test_streams_that_never_say_who_they_are_are_bounded(start_server: StartServer) -> None:
    """Streams opened without an ``Authorization`` header wait up to 5 s for their auth message; beyond the bound
    on such handshakes a newcomer is refused with HTTP 503 before the upgrade, while a stream that authenticates
    in its handshake is served."""
    server = start_server()
    token = await _read_token(server.url)
    ws_url = server.url.replace("http://", "ws://") + "/api/v1/stream"
    silent = [await websockets.connect(ws_url) for _ in range(HANDSHAKES)]
    try:
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(ws_url)
        assert refused.value.response.status_code == 503
        assert refused.value.response.headers["Retry-After"] == "1"
        headers = {"Authorization": f"Bearer {token}"}
        async with websockets.connect(ws_url, additional_headers=headers) as authenticated:
            assert (await asyncio.wait_for(authenticated.recv(), 5)) is not None
    finally:
        for connection in silent:
            await connection.close()
    await asyncio.sleep(0.2)
    async with websockets.connect(ws_url) as browser:
        await browser.send('{"type": "auth", "token": "' + token + '"}')
        assert (await asyncio.wait_for(browser.recv(), 5)) is not None
