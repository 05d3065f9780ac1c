"""Organisations and tokens (spec section 2), through the HTTP API."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.api.support import REPORTS, Json, accept, get_json
from tests.conftest import ADMIN, MakePartner, report

ORGS = "/api/v1/organisations"
POLICE = {"id": "politie-zhz", "name": "Politie Zuid-Holland-Zuid", "discipline": "police", "country": "NL"}


def org(**changes: Any) -> Json:
    return POLICE | changes


async def issue(client: httpx.AsyncClient, organisation: str, *roles: str, **extra: Any) -> httpx.Response:
    return await client.post(f"{ORGS}/{organisation}/tokens", json={"roles": list(roles), **extra}, headers=ADMIN)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


# --- organisations ----------------------------------------------------------------------------------------


async def test_an_admin_registers_an_organisation(client: httpx.AsyncClient) -> None:
    """POST /organisations answers 201 with the organisation, which then appears in the list."""
    response = await client.post(ORGS, json=POLICE, headers=ADMIN)
    assert response.status_code == 201
    assert response.json() == POLICE
    listed = await get_json(client, ORGS, ADMIN)
    assert listed == {"organisations": [POLICE]}


async def test_a_cross_border_organisation_is_accepted(client: httpx.AsyncClient) -> None:
    """A foreign crisis centre with its own country code is an organisation like any other."""
    body = {"id": "bbk-nrw", "name": "Krisenzentrum NRW", "discipline": "national", "country": "DE"}
    response = await client.post(ORGS, json=body, headers=ADMIN)
    assert response.status_code == 201


async def test_a_duplicate_organisation_is_409(client: httpx.AsyncClient) -> None:
    """Registering an existing id again answers 409 and leaves the first registration as it was."""
    await client.post(ORGS, json=POLICE, headers=ADMIN)
    response = await client.post(ORGS, json=org(name="Someone else"), headers=ADMIN)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert (await get_json(client, ORGS, ADMIN))["organisations"] == [POLICE]


INVALID_ORGANISATIONS = [
    (org(id="Politie ZHZ"), "id"),
    (org(id="-politie"), "id"),
    (org(id="p"), "id"),
    (org(id="p" * 64), "id"),
    (org(discipline="army"), "discipline"),
    (org(country="nl"), "country"),
    (org(country="NLD"), "country"),
    (org(name=""), "name"),
    (org(extra=1), "extra"),
    ({k: v for k, v in POLICE.items() if k != "discipline"}, "discipline"),
]


async def test_an_invalid_organisation_is_422(client: httpx.AsyncClient) -> None:
    """A bad slug, discipline, country, name or an unknown field answers 422 naming the field, and adds nothing."""
    found = []
    for body, _ in INVALID_ORGANISATIONS:
        response = await client.post(ORGS, json=body, headers=ADMIN)
        found.append((response.status_code, [d["path"] for d in response.json()["error"]["details"]]))
    assert found == [(422, [path]) for _, path in INVALID_ORGANISATIONS]
    assert (await get_json(client, ORGS, ADMIN))["organisations"] == []


async def test_an_admin_body_that_is_not_json_is_400(client: httpx.AsyncClient) -> None:
    """A body that is not JSON at all answers 400 on the admin endpoints too, not 422."""
    await client.post(ORGS, json=POLICE, headers=ADMIN)
    headers = ADMIN | {"Content-Type": "application/json"}
    for path in (ORGS, f"{ORGS}/politie-zhz/tokens"):
        for content in (b"not json", b'{"id": "x",', b""):
            response = await client.post(path, content=content, headers=headers)
            assert response.status_code == 400, (path, content)
            assert response.json()["error"]["code"] == "bad_request"


async def test_organisations_are_listed_for_read_and_admin(client: httpx.AsyncClient, partner: MakePartner) -> None:
    """GET /organisations answers a ``read`` token and the admin token alike."""
    reader = await partner("brandweer", roles=("read",))
    by_reader = await get_json(client, ORGS, reader)
    by_admin = await get_json(client, ORGS, ADMIN)
    assert by_reader == by_admin
    assert [o["id"] for o in by_admin["organisations"]] == ["brandweer"]


async def test_organisations_are_403_for_a_report_only_token(client: httpx.AsyncClient, partner: MakePartner) -> None:
    """A token that holds only ``report`` may not list organisations."""
    sender = await partner("politie", roles=("report",))
    response = await client.get(ORGS, headers=sender)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


async def test_organisations_are_401_without_a_token(client: httpx.AsyncClient) -> None:
    """Neither listing nor registering works without a valid token."""
    assert (await client.get(ORGS)).status_code == 401
    assert (await client.post(ORGS, json=POLICE)).status_code == 401
    assert (await client.post(ORGS, json=POLICE, headers=bearer("ncp_unknown"))).status_code == 401


# --- tokens -----------------------------------------------------------------------------------------------


async def test_a_token_is_issued_once_with_its_id_roles_and_organisation(client: httpx.AsyncClient) -> None:
    """POST /organisations/{id}/tokens answers 201 {token, id, roles, organisation}."""
    await client.post(ORGS, json=POLICE, headers=ADMIN)
    response = await issue(client, "politie-zhz", "report", "read", label="meldkamer")
    assert response.status_code == 201
    issued = response.json()
    assert {"token", "id", "roles", "organisation"} <= set(issued)
    assert sorted(issued["roles"]) == ["read", "report"]
    assert issued["organisation"] == "politie-zhz"
    assert len(issued["token"]) >= 32
    second = (await issue(client, "politie-zhz", "read")).json()
    assert second["token"] != issued["token"]
    assert second["id"] != issued["id"]


async def test_an_issued_token_works_at_once(client: httpx.AsyncClient) -> None:
    """The very next request with a fresh token is authenticated with its roles (the scheme in any case)."""
    await client.post(ORGS, json=POLICE, headers=ADMIN)
    issued = (await issue(client, "politie-zhz", "report", "read")).json()
    answer = await accept(client, bearer(issued["token"]), report("r1", {"id": "a", "kind": "unit"}))
    assert answer["organisation"] == "politie-zhz"
    assert (await client.get("/api/v1/incidents", headers=bearer(issued["token"]))).status_code == 200
    lower_case = {"Authorization": f"bearer {issued['token']}"}
    assert (await client.get("/api/v1/incidents", headers=lower_case)).status_code == 200


async def test_a_token_holds_only_its_roles(client: httpx.AsyncClient) -> None:
    """A ``read`` token can read but not report; a ``report`` token can report but not read."""
    await client.post(ORGS, json=POLICE, headers=ADMIN)
    reader = bearer((await issue(client, "politie-zhz", "read")).json()["token"])
    sender = bearer((await issue(client, "politie-zhz", "report")).json()["token"])
    body = report("r1", {"id": "a", "kind": "unit"})
    assert (await client.post(REPORTS, json=body, headers=reader)).status_code == 403
    assert (await client.post(REPORTS, json=body, headers=sender)).status_code == 201
    assert (await client.get("/api/v1/incidents", headers=sender)).status_code == 403
    assert (await client.get("/api/v1/incidents", headers=reader)).status_code == 200


async def test_a_token_for_an_unknown_organisation_is_404(client: httpx.AsyncClient) -> None:
    """Issuing a token for an organisation that does not exist answers 404."""
    response = await issue(client, "nergens", "read")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_an_invalid_token_request_is_422(client: httpx.AsyncClient) -> None:
    """Roles must be a non-empty list of report, read and admin; nothing else may be sent."""
    await client.post(ORGS, json=POLICE, headers=ADMIN)
    bodies: list[Json] = [{"roles": []}, {"roles": ["write"]}, {}, {"roles": "read"}, {"roles": ["read"], "x": 1}]
    for body in bodies:
        response = await client.post(f"{ORGS}/politie-zhz/tokens", json=body, headers=ADMIN)
        assert response.status_code == 422, body


async def test_only_the_hash_of_a_token_is_stored(client: httpx.AsyncClient, database_url: str) -> None:
    """The secret appears in no column of the tokens table."""
    await client.post(ORGS, json=POLICE, headers=ADMIN)
    secret = (await issue(client, "politie-zhz", "read")).json()["token"]
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT * FROM tokens"))).all()
    finally:
        await engine.dispose()
    assert len(rows) == 1
    assert all(secret not in str(value) for value in rows[0])


async def test_a_revoked_token_fails_from_the_next_request(client: httpx.AsyncClient) -> None:
    """DELETE /tokens/{id} answers 204; the token then gets 401 everywhere, while other tokens keep working."""
    await client.post(ORGS, json=POLICE, headers=ADMIN)
    revoked = (await issue(client, "politie-zhz", "read", "report")).json()
    kept = (await issue(client, "politie-zhz", "read")).json()
    assert (await client.get("/api/v1/incidents", headers=bearer(revoked["token"]))).status_code == 200
    response = await client.delete(f"/api/v1/tokens/{revoked['id']}", headers=ADMIN)
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get("/api/v1/incidents", headers=bearer(revoked["token"]))).status_code == 401
    body = report("r1", {"id": "a", "kind": "unit"})
    assert (await client.post(REPORTS, json=body, headers=bearer(revoked["token"]))).status_code == 401
    assert (await client.get("/api/v1/incidents", headers=bearer(kept["token"]))).status_code == 200


async def test_revoking_an_unknown_or_revoked_token_is_404(client: httpx.AsyncClient) -> None:
    """DELETE of a token id that does not exist, or no longer lives, answers 404."""
    assert (await client.delete("/api/v1/tokens/tok_0000000000000000", headers=ADMIN)).status_code == 404
    await client.post(ORGS, json=POLICE, headers=ADMIN)
    issued = (await issue(client, "politie-zhz", "read")).json()
    assert (await client.delete(f"/api/v1/tokens/{issued['id']}", headers=ADMIN)).status_code == 204
    assert (await client.delete(f"/api/v1/tokens/{issued['id']}", headers=ADMIN)).status_code == 404


# --- who may administer -----------------------------------------------------------------------------------

ADMIN_CALLS = [
    ("POST", ORGS, {"id": "nieuw", "name": "Nieuw", "discipline": "other", "country": "NL"}),
    ("POST", f"{ORGS}/politie/tokens", {"roles": ["admin"]}),
    ("DELETE", "/api/v1/tokens/{token_id}", None),
]


async def test_admin_endpoints_are_403_without_the_admin_role(client: httpx.AsyncClient) -> None:
    """A partner token without ``admin`` gets 403 on every admin endpoint, and nothing changes."""
    await client.post(ORGS, json=org(id="politie"), headers=ADMIN)
    for roles in (["read"], ["report"], ["report", "read"]):
        caller = (await issue(client, "politie", *roles)).json()
        for method, path, body in ADMIN_CALLS:
            url = path.format(token_id=caller["id"])
            response = await client.request(method, url, json=body, headers=bearer(caller["token"]))
            assert response.status_code == 403, (roles, method, path)
        still = await client.get(ORGS, headers=bearer(caller["token"]))
        assert still.status_code == (200 if "read" in roles else 403), "the token must not have been revoked"
    assert [o["id"] for o in (await get_json(client, ORGS, ADMIN))["organisations"]] == ["politie"]
    assert (await client.post(f"{ORGS}/politie/tokens", json={"roles": ["read"]}, headers=ADMIN)).status_code == 201


async def test_admin_endpoints_are_401_without_a_token(client: httpx.AsyncClient) -> None:
    """Every admin endpoint answers 401 without a token."""
    for method, path, body in ADMIN_CALLS:
        response = await client.request(method, path.format(token_id="tok_x"), json=body)
        assert response.status_code == 401, (method, path)


async def test_a_partner_admin_token_may_administer(client: httpx.AsyncClient) -> None:
    """A partner token issued with ``admin`` may register organisations and issue tokens."""
    await client.post(ORGS, json=POLICE, headers=ADMIN)
    admin = bearer((await issue(client, "politie-zhz", "admin")).json()["token"])
    response = await client.post(ORGS, json=org(id="brandweer-zhz", discipline="fire"), headers=admin)
    assert response.status_code == 201
    issued = await client.post(f"{ORGS}/brandweer-zhz/tokens", json={"roles": ["read"]}, headers=admin)
    assert issued.status_code == 201


async def test_the_service_admin_token_cannot_read_the_picture(client: httpx.AsyncClient) -> None:
    """The NETCOP_ADMIN_TOKEN holds only ``admin``: reading the picture is 403."""
    response = await client.get("/api/v1/incidents", headers=ADMIN)
    assert response.status_code == 403


async def test_admin_bodies_are_not_read_before_authentication(client: httpx.AsyncClient) -> None:
    """Without a valid token an admin endpoint answers 401, whatever its body (even one that is not JSON)."""
    for path in ("/api/v1/organisations", "/api/v1/organisations/x/tokens"):
        response = await client.post(path, content=b"not json", headers={"Content-Type": "application/json"})
        assert response.status_code == 401, (path, response.text)
