"""The stream under a plain ASGI server (no prepared-frame extension): the same messages through ASGI sends."""

from __future__ import annotations

import asyncio
import sys

import httpx
import orjson
import pytest
import websockets

from tests.conftest import ADMIN_TOKEN
from tests.support import reports
from tests.support.server_fixtures import StartServer

pytestmark = pytest.mark.e2e


def plain_uvicorn(port: int) -> list[str]:
    """netcop's app under uvicorn's own sans-I/O WebSocket protocol, which has no netcop extension."""
    return [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", str(port),
            "--ws", "websockets-sansio", "--no-access-log"]  # fmt: skip


@pytest.fixture
def plain_server(start_server: StartServer) -> str:
    """The URL of a plain uvicorn running netcop on the test database."""
    return start_server(command=plain_uvicorn).url


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
            body = reports.report("plain-1", {"id": "o-1", "kind": "unit", "properties": {"n": 1}},
                                  incident="plain-asgi-incident")  # fmt: skip
            accepted = (await client.post("/api/v1/reports", json=body, headers=headers)).json()
            change = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            assert (change["type"], change["seq"], [o["id"] for o in change["objects"]]) == (
                "change", accepted["seq"], ["o-1"])  # fmt: skip
            assert (await client.delete(f"/api/v1/tokens/{issued['id']}", headers=admin)).status_code == 204
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4001
