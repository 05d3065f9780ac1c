"""Limits on streams: a cap of open streams per token, refused before the upgrade with 429."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import ADMIN_TOKEN
from tests.support import processes

pytestmark = pytest.mark.e2e


@pytest.fixture
def netcop_env(netcop_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**netcop_env, "NETCOP_MAX_STREAMS_PER_TOKEN": "2"}


async def test_a_token_past_its_stream_cap_is_refused_until_one_closes(server: processes.Server) -> None:
    """A token may hold 2 streams here: the third is refused with 429 before the upgrade, and admitted once
    one of the two has closed."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        org = {"id": "cap-org", "name": "Cap", "discipline": "other", "country": "NL"}
        assert (await client.post("/api/v1/organisations", json=org, headers=admin)).status_code in (201, 409)
        issued = await client.post("/api/v1/organisations/cap-org/tokens", json={"roles": ["read"]}, headers=admin)
    headers = {"Authorization": f"Bearer {issued.json()['token']}"}
    url = server.url.replace("http", "ws") + "/api/v1/stream"
    first = await websockets.connect(url, additional_headers=headers)
    second = await websockets.connect(url, additional_headers=headers)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url, additional_headers=headers)
    assert refused.value.response.status_code == 429
    assert "Retry-After" in refused.value.response.headers
    await first.close()
    async with asyncio.timeout(10):  # the server frees the place when its side of the stream has ended
        while True:
            try:
                third = await websockets.connect(url, additional_headers=headers)
                break
            except websockets.InvalidStatus as still_full:
                if still_full.response.status_code != 429:
                    raise
                await asyncio.sleep(0.05)
    await third.close()
    await second.close()
