"""The audit log: every admin action and accepted report, who/when/where, admin-only, hash-chained."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import Settings
from app.db import Database
from app.services import verify
from tests.api.conftest import Headers
from tests.conftest import ADMIN, report


async def test_admin_actions_and_accepted_reports_are_recorded_in_order(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """Creating an organisation, issuing a token, accepting a report and revoking a token each leave an entry
    with the actor, the address and the subject, numbered and chained from the first."""
    accepted = await client.post("/api/v1/reports", json=report("r-1", {"id": "o-1", "kind": "unit"}), headers=police)
    assert accepted.status_code == 201
    tokens = await client.post("/api/v1/organisations/politie/tokens", json={"roles": ["read"]}, headers=ADMIN)
    assert (await client.delete(f"/api/v1/tokens/{tokens.json()['id']}", headers=ADMIN)).status_code == 204
    page = (await client.get("/api/v1/audit", headers=ADMIN)).json()
    actions = [(e["action"], e["subject"]) for e in page["entries"]]
    assert actions == [
        ("organisation.created", "politie"),
        ("token.issued", actions[1][1]),
        ("report.accepted", "politie/r-1"),
        ("token.issued", tokens.json()["id"]),
        ("token.revoked", tokens.json()["id"]),
    ]
    assert [e["id"] for e in page["entries"]] == [1, 2, 3, 4, 5]
    assert all(e["address"] == "127.0.0.1" for e in page["entries"])
    assert page["entries"][2]["details"] == {"seq": 1, "incident": "flood-test"}
    assert page["entries"][0]["actor"] == "admin"
    for earlier, later in zip(page["entries"], page["entries"][1:], strict=False):
        assert later["prev_hash"] == earlier["hash"]


async def test_only_admins_read_the_audit_log(client: httpx.AsyncClient, police: Headers) -> None:
    """A partner's token gets 403, no token 401."""
    assert (await client.get("/api/v1/audit", headers=police)).status_code == 403
    assert (await client.get("/api/v1/audit")).status_code == 401


async def test_verify_finds_a_tampered_audit_entry(
    client: httpx.AsyncClient, police: Headers, settings: Settings
) -> None:
    """Changing a stored entry breaks the chain, and verify names it."""
    await client.post("/api/v1/reports", json=report("r-1", {"id": "o-1", "kind": "unit"}), headers=police)
    db = Database(settings)
    try:
        assert await verify.verify(db=db, window_us=900_000_000) == []
        engine = create_async_engine(settings.effective_database_url)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE audit_log SET address = '10.0.0.66' WHERE id = 2"))
        await engine.dispose()
        problems = await verify.verify(db=db, window_us=900_000_000)
    finally:
        await db.dispose()
    assert problems == ["audit entry 2 does not match its hash chain"]
