"""Tokens: never written to the logs, whatever they were used for (a test that reads the server's log)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import ADMIN_TOKEN
from tests.support import processes, reports

pytestmark = pytest.mark.e2e


@pytest.fixture
def netcop_env(netcop_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**netcop_env, "NETCOP_LOG_LEVEL": "debug"}


async def test_no_token_appears_in_the_log(server: processes.Server) -> None:
    """Issuing, using (HTTP and stream, header and first message), misusing and revoking tokens, with the log at
    debug level, writes no token secret and not the admin token to the server's output."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    wrong = "ncp_" + "x" * 43
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        org = {"id": "secret-org", "name": "Secret", "discipline": "other", "country": "NL"}
        assert (await client.post("/api/v1/organisations", json=org, headers=admin)).status_code in (201, 409)
        issued = (await client.post("/api/v1/organisations/secret-org/tokens", json={"roles": ["read", "report"]},
                                    headers=admin)).json()  # fmt: skip
        token = issued["token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = reports.report("s-1", {"id": "o", "kind": "unit"}, incident="secret-incident")
        assert (await client.post("/api/v1/reports", json=body, headers=headers)).status_code == 201
        assert (await client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {wrong}"})).status_code == 401
        ws_url = server.url.replace("http", "ws") + "/api/v1/stream"
        async with websockets.connect(ws_url, additional_headers=headers) as ws:
            await asyncio.wait_for(ws.recv(), 10)
        async with websockets.connect(ws_url) as ws:
            await ws.send(f'{{"type": "auth", "token": "{token}"}}')
            await asyncio.wait_for(ws.recv(), 10)
        async with websockets.connect(ws_url) as ws:
            await ws.send(f'{{"type": "auth", "token": "{wrong}"}}')
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
        async with websockets.connect(f"{ws_url}?token={token}&incident=x"):  # a token in the query: never logged
            pass
        assert (await client.delete(f"/api/v1/tokens/{issued['id']}", headers=admin)).status_code == 204
        assert (await client.get("/api/v1/incidents", headers=headers)).status_code == 401
    log = server.log_path.read_text(errors="replace")
    assert "connection open" in log  # the log did record the streams
    for secret in (token, wrong, ADMIN_TOKEN, token[4:20]):
        assert secret not in log


async def test_the_audit_address_is_the_peers_whatever_x_forwarded_for_says(server: processes.Server) -> None:
    """With no proxy configured (the default), a client cannot write another address into the audit log."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Forwarded-For": "6.6.6.6"}
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        org = {"id": "forwarded-org", "name": "Forwarded", "discipline": "other", "country": "NL"}
        assert (await client.post("/api/v1/organisations", json=org, headers=admin)).status_code in (201, 409)
        entries = (await client.get("/api/v1/audit", headers=admin)).json()["entries"]
    created = [e for e in entries if e["action"] == "organisation.created" and e["subject"] == "forwarded-org"]
    assert [e["address"] for e in created] == ["127.0.0.1"]
