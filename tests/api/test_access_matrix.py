"""Access control on every endpoint (OWASP API Security Top 10, 2023: API1 object level, API3 property level,
API5 function level): every route of the service is classified by the role it needs, and each is called with
no token, with a token for each role alone, and with the admin token. A route nobody classified fails the test,
so that a new endpoint cannot slip through unchecked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from tests.conftest import ADMIN, MakePartner, report

PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/asyncapi.json")}
PUBLIC |= {("GET", "/"), ("GET", "/dashboard/base.geojson")}  # the dashboard: its token is given in the page
PUBLIC |= {("GET", "/ogc"), ("GET", "/ogc/conformance"), ("GET", "/ogc/api"), ("GET", "/ogc/api.html")}  # no data
NEEDS = {
    ("POST", "/api/v1/reports"): "report",
    ("POST", "/api/v1/reports/batch"): "report",
    ("POST", "/api/v1/ingest/geojson"): "report",
    ("POST", "/api/v1/ingest/cap"): "report",
    ("POST", "/api/v1/ingest/cot"): "report",
    ("GET", "/api/v1/vocabulary"): "read",
    ("GET", "/api/v1/incidents/{incident_id}/cap"): "read",
    ("GET", "/api/v1/incidents"): "read",
    ("GET", "/api/v1/incidents/{incident_id}"): "read",
    ("GET", "/api/v1/incidents/{incident_id}/picture"): "read",
    ("GET", "/api/v1/incidents/{incident_id}/sitrep"): "read",
    ("GET", "/api/v1/picture"): "read",
    ("GET", "/api/v1/incidents/{incident_id}/objects/{object_id}"): "read",
    ("GET", "/api/v1/reports"): "read",
    ("GET", "/api/v1/changes"): "read",
    ("GET", "/ogc/collections"): "read",
    ("GET", "/ogc/collections/{collection_id}"): "read",
    ("GET", "/ogc/collections/{collection_id}/items"): "read",
    ("GET", "/ogc/collections/{collection_id}/items/{feature_id}"): "read",
    ("POST", "/api/v1/organisations"): "admin",
    ("GET", "/api/v1/organisations"): "read-or-admin",
    ("POST", "/api/v1/organisations/{organisation_id}/tokens"): "admin",
    ("DELETE", "/api/v1/tokens/{token_id}"): "admin",
    ("GET", "/api/v1/audit"): "admin",
    # or a coordinator with ``report``, which a fresh organisation is not (tests/api/test_coordinators.py)
    ("PUT", "/api/v1/incidents/{incident_id}/coordinators"): "admin",
    ("POST", "/api/v1/federation/links"): "admin",
    ("GET", "/api/v1/federation/links"): "admin",
    ("DELETE", "/api/v1/federation/links/{link_id}"): "admin",
}


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the service routes, those of included routers too (FastAPI 0.165 on wraps each
    included router in a route of its own: walked into, not skipped)."""
    return sorted((m, r.path.replace(":path}", "}")) for r in _api_routes(app.routes) for m in r.methods)


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def _concrete(path: str) -> str:
    return (path.replace("{incident_id}", "flood-test").replace("{object_id}", "o-1")
            .replace("{organisation_id}", "politie").replace("{token_id}", "tok_0000000000000000")
            .replace("{link_id}", "to-peer"))  # fmt: skip


def _allowed(need: str, roles: frozenset[str]) -> bool:
    if need == "read-or-admin":
        return bool(roles & {"read", "admin"})
    return need in roles


async def test_every_route_is_classified(app: FastAPI) -> None:
    """Each HTTP route of the service is either public or needs a named role."""
    unclassified = [r for r in _routes(app) if r not in PUBLIC and r not in NEEDS]
    assert unclassified == []


@pytest.mark.parametrize("roles", [("report",), ("read",), ("admin",)])
async def test_each_role_reaches_exactly_its_functions(
    app: FastAPI, client: httpx.AsyncClient, partner: MakePartner, roles: tuple[str, ...]
) -> None:
    """Without a token every protected route is 401; with a token of one role, a route needing another is 403
    and a route needing it is not refused for lack of a role."""
    owner = await partner("politie", roles=("report", "read"))
    await client.post("/api/v1/reports", json=report("r-1", {"id": "o-1", "kind": "unit"}), headers=owner)
    caller = await partner("brandweer", roles=roles)
    for method, path in NEEDS:
        url = _concrete(path)
        assert (await client.request(method, url)).status_code == 401, (method, path)
        status = (await client.request(method, url, headers=caller, json={})).status_code
        if _allowed(NEEDS[(method, path)], frozenset(roles)):
            assert status not in (401, 403), (method, path, roles, status)
        else:
            assert status == 403, (method, path, roles, status)


async def test_the_server_admin_token_reads_no_picture(client: httpx.AsyncClient) -> None:
    """The environment's admin token belongs to no organisation: it manages, it does not read or report."""
    for method, path in NEEDS:
        if NEEDS[(method, path)] in ("read", "report"):
            response = await client.request(method, _concrete(path), headers=ADMIN, json={})
            assert response.status_code == 403, (method, path)


async def test_nobody_writes_as_another_organisation(client: httpx.AsyncClient, partner: MakePartner) -> None:
    """The sender is the token's organisation: a body that names another one is refused (422), and a report
    is always stored under its sender."""
    fire = await partner("brandweer")
    await partner("politie")
    forged = report("forged-1", {"id": "o-1", "kind": "unit"}) | {"organisation": "politie"}
    assert (await client.post("/api/v1/reports", json=forged, headers=fire)).status_code == 422
    accepted = await client.post("/api/v1/reports", json=report("own-1", {"id": "o-1", "kind": "unit"}), headers=fire)
    assert accepted.json()["organisation"] == "brandweer"
