"""Small helpers shared by the API specification tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from app.config import Settings
from app.main import create_app
from tests.conftest import ADMIN

REPORTS = "/api/v1/reports"
BATCH = "/api/v1/reports/batch"
JSON_BODY = {"Content-Type": "application/json"}  # what a raw body needs beside its token
Json = dict[str, Any]


def point(lon: float, lat: float) -> Json:
    return {"type": "Point", "coordinates": [lon, lat]}


def square(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> Json:
    ring = [[min_lon, min_lat], [max_lon, min_lat], [max_lon, max_lat], [min_lon, max_lat], [min_lon, min_lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def at(hh_mm: str) -> str:
    """An observed_at on the test day (well in the past of the server clock), Dutch winter time."""
    return f"2026-11-27T{hh_mm}:00+01:00"


def utc(hh_mm: str) -> str:
    """The same moment as ``at(hh_mm)`` as the service writes it (UTC with a Z)."""
    hours, minutes = hh_mm.split(":")
    return f"2026-11-27T{int(hours) - 1:02d}:{minutes}:00Z"


async def accept(client: httpx.AsyncClient, headers: dict[str, str], body: Json) -> Json:
    """Posts a report that must be accepted (201) and returns the answer."""
    response = await client.post(REPORTS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    answer: Json = response.json()
    return answer


async def get_json(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> Json:
    """GETs a path that must answer 200 and returns the body."""
    response = await client.get(path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def picture_of(client: httpx.AsyncClient, headers: dict[str, str], incident: str = "flood-test") -> Json:
    """The incident's objects as the caller sees them, by object id."""
    body = await get_json(client, f"/api/v1/incidents/{incident}/picture", headers)
    return {o["id"]: o for o in body["objects"]}


async def report_seqs(client: httpx.AsyncClient, headers: dict[str, str]) -> list[int]:
    """The seqs of the reports the caller may see."""
    body = await get_json(client, REPORTS, headers, limit=1000)
    return [r["seq"] for r in body["reports"]]


@asynccontextmanager
async def service(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an in-process service whose settings differ from the tests' by ``changes``."""
    app = create_app(settings.model_copy(update=changes))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://netcop.test") as client:
            yield client


async def organisation_token(client: httpx.AsyncClient, org: str) -> dict[str, str]:
    """Registers an organisation and returns the headers of a report+read token for it."""
    body = {"id": org, "name": org, "discipline": "other", "country": "NL"}
    assert (await client.post("/api/v1/organisations", json=body, headers=ADMIN)).status_code == 201
    issued = await client.post(f"/api/v1/organisations/{org}/tokens", json={"roles": ["report", "read"]}, headers=ADMIN)
    return {"Authorization": f"Bearer {issued.json()['token']}"}
