"""The links routes (spec section 9) on an in-process service: admin only, the token sealed and never shown,
peer URLs that keep TLS unless the peer is this machine."""

from __future__ import annotations

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import Settings
from tests.conftest import ADMIN, MakePartner

KEY = Fernet.generate_key().decode()
SECRET = "ncp_the-peers-secret-token-0123456789"
LINK = {"id": "to-nrw", "url": "http://127.0.0.1:9", "token": SECRET, "incidents": ["rhine-flood"]}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"federation_key": KEY})


async def test_a_link_is_created_listed_and_deleted_without_its_token_ever_shown(
    client: httpx.AsyncClient, database_url: str
) -> None:
    """201 with the link but no token, the link in the list, the token sealed at rest and absent from the audit
    log, 204 on delete, then 404."""
    created = await client.post("/api/v1/federation/links", json=LINK, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert created.json()["incidents"] == ["rhine-flood"]
    assert created.json()["visibilities"] == ["partners", "public"]
    listed = await client.get("/api/v1/federation/links", headers=ADMIN)
    assert [link["id"] for link in listed.json()["links"]] == ["to-nrw"]
    audit = await client.get("/api/v1/audit", headers=ADMIN)
    for answer in (created, listed, audit):
        assert SECRET not in answer.text
    assert "token" not in created.json()
    assert "token" not in listed.json()["links"][0]
    sealed = await stored_token(database_url)
    assert sealed.startswith("fernet:")
    assert SECRET not in sealed
    assert Fernet(KEY.encode()).decrypt(sealed.removeprefix("fernet:").encode()).decode() == SECRET
    assert (await client.delete("/api/v1/federation/links/to-nrw", headers=ADMIN)).status_code == 204
    assert (await client.delete("/api/v1/federation/links/to-nrw", headers=ADMIN)).status_code == 404


async def stored_token(database_url: str) -> str:
    engine = create_async_engine(database_url)
    async with engine.connect() as conn:
        token = (await conn.execute(text("SELECT token FROM federation_links"))).scalar_one()
    await engine.dispose()
    return str(token)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://peer.example.org", "plain http"),
        ("https://user:secret@peer.example.org", "user name"),
        ("https://peer.example.org/?token=x", "query"),
        ("ftp://peer.example.org", "https://"),
    ],
)
async def test_peer_urls_keep_tls_and_secrets_out(client: httpx.AsyncClient, url: str, why: str) -> None:
    """Plain http only to loopback; no credentials, query or fragment in the URL: 422 at ``url``."""
    response = await client.post("/api/v1/federation/links", json=LINK | {"url": url}, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == "url"
    assert why in response.text


async def test_links_are_for_admins_and_ids_are_unique(client: httpx.AsyncClient, partner: MakePartner) -> None:
    """403 for a partner's token, 409 for an id in use, 422 for an unknown peer organisation."""
    headers = await partner("pol-a", ("report", "read"))
    assert (await client.post("/api/v1/federation/links", json=LINK, headers=headers)).status_code == 403
    assert (await client.get("/api/v1/federation/links", headers=headers)).status_code == 403
    assert (await client.post("/api/v1/federation/links", json=LINK, headers=ADMIN)).status_code == 201
    assert (await client.post("/api/v1/federation/links", json=LINK, headers=ADMIN)).status_code == 409
    unknown = LINK | {"id": "to-be", "peer_organisation": "nobody"}
    response = await client.post("/api/v1/federation/links", json=unknown, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == "peer_organisation"
