"""The stream under a plain ASGI server (no prepared-frame extension): the same messages through ASGI sends."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import websockets

from tests.conftest import ADMIN_TOKEN
from tests.e2e import processes

pytestmark = pytest.mark.e2e


@pytest.fixture
def plain_server(netcop_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """netcop's app under uvicorn's own sans-I/O WebSocket protocol, which has no netcop extension."""
    port = processes.free_port()
    log = (tmp_path / "uvicorn.log").open("w")
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", str(port),
               "--ws", "websockets-sansio", "--no-access-log"]  # fmt: skip
    server = subprocess.Popen(command, env=netcop_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(_wait_healthy(url))
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


async def _wait_healthy(url: str) -> None:
    async with httpx.AsyncClient(timeout=2) as client, asyncio.timeout(30):
        while True:
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


async def test_the_stream_works_without_the_fast_path(plain_server: str) -> None:
    """Snapshot, a change, and revocation (4001) arrive through plain ASGI sends too."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=plain_server, timeout=10) as client:
        org = {"id": "plain-asgi-org", "name": "Plain", "discipline": "other", "country": "NL"}
        assert (await client.post("/api/v1/organisations", json=org, headers=admin)).status_code in (201, 409)
        issued = (await client.post("/api/v1/organisations/plain-asgi-org/tokens", json={"roles": ["report", "read"]},
                                    headers=admin)).json()  # fmt: skip
        headers = {"Authorization": f"Bearer {issued['token']}"}
        ws_url = plain_server.replace("http", "ws") + "/api/v1/stream?incident=plain-asgi-incident"
        async with websockets.connect(ws_url, additional_headers=headers) as ws:
            snapshot = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            assert snapshot["type"] == "snapshot"
            body = {"id": "plain-1", "incident": "plain-asgi-incident", "observed_at": "2026-11-27T12:00:00+01:00",
                    "objects": [{"id": "o-1", "kind": "unit", "properties": {"n": 1}}]}  # fmt: skip
            accepted = (await client.post("/api/v1/reports", json=body, headers=headers)).json()
            change = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            assert (change["type"], change["seq"], [o["id"] for o in change["objects"]]) == (
                "change", accepted["seq"], ["o-1"])  # fmt: skip
            assert (await client.delete(f"/api/v1/tokens/{issued['id']}", headers=admin)).status_code == 204
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4001
