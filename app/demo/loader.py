"""Loading the demo scenario over the HTTP API: into a running instance, or into the embedded database through
an in-process instance. Either way every report goes through the same front door as a partner's."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import typer

from app.config import Settings
from app.demo import scenario

VIEWER = "vr-zhz"


async def load_embedded(settings: Settings, base_url: str = "http://127.0.0.1:8000") -> None:
    """Loads the demo into the configured database through an in-process instance."""
    from app.main import create_app

    local = settings.model_copy(update={"admin_token": "demo-" + secrets.token_urlsafe(24)})
    app = create_app(local)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://netcop") as client:
            await _load(client, local.admin_token or "", base_url)


async def load_remote(url: str, admin_token: str) -> None:
    """Loads the demo into a running instance."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await _load(client, admin_token, url)


async def _load(client: httpx.AsyncClient, admin_token: str, shown_url: str) -> None:
    admin = {"Authorization": f"Bearer {admin_token}"}
    if not await _add_organisations(client, admin):
        typer.echo("the demo is loaded already (its organisations exist); a new read token:", err=True)
        typer.echo(_instructions(await _token(client, admin, VIEWER, ["read"]), shown_url), err=True)
        return
    tokens = {o.id: await _token(client, admin, o.id, ["report"]) for o in scenario.ORGANISATIONS}
    start = datetime.now(UTC) - timedelta(hours=4, minutes=30)
    actions = scenario.build_actions(start)
    total = sum(1 for kind, _, _ in actions if kind == "report")
    sent = 0
    for kind, organisation, body in actions:
        headers = {"Authorization": f"Bearer {tokens[organisation]}"}
        if kind == "coordinators":
            path = f"/api/v1/incidents/{body['incident']}/coordinators"
            response = await client.put(path, json={"organisations": body["organisations"]}, headers=headers)
        else:
            response = await client.post("/api/v1/reports", json=body, headers=headers)
            sent += 1
        if response.status_code not in (200, 201):
            raise RuntimeError(f"demo {kind} of {organisation} refused: {response.status_code} {response.text}")
        if kind == "report" and (sent % 25 == 0 or sent == total):
            typer.echo(f"demo: {sent}/{total} reports sent", err=True)
    viewer = await _token(client, admin, VIEWER, ["read"])
    typer.echo(_instructions(viewer, shown_url), err=True)


async def _add_organisations(client: httpx.AsyncClient, admin: dict[str, str]) -> bool:
    """Registers the demo's organisations; False when they exist already."""
    for organisation in scenario.ORGANISATIONS:
        body: dict[str, Any] = {
            "id": organisation.id,
            "name": organisation.name,
            "discipline": organisation.discipline,
            "country": organisation.country,
        }
        response = await client.post("/api/v1/organisations", json=body, headers=admin)
        if response.status_code == 409:
            return False
        response.raise_for_status()
    return True


async def _token(client: httpx.AsyncClient, admin: dict[str, str], organisation: str, roles: list[str]) -> str:
    body = {"roles": roles, "label": "demo"}
    response = await client.post(f"/api/v1/organisations/{organisation}/tokens", json=body, headers=admin)
    response.raise_for_status()
    token: str = response.json()["token"]
    return token


def _instructions(token: str, url: str) -> str:
    return (
        f"\ndemo loaded: incident {scenario.INCIDENT_ID}, seen by {VIEWER} (safety region) with this read token:\n"
        f"  {token}\n"
        f"the dashboard: open {url}/ and sign in with that token; or from a shell:\n"
        f"  export NETCOP_TOKEN={token}\n"
        f'  curl -s -H "Authorization: Bearer $NETCOP_TOKEN" {url}/api/v1/incidents/{scenario.INCIDENT_ID}/picture\n'
    )
