"""Posting partner documents and reading back what they did."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.support import get_json

Json = dict[str, Any]
XML = {"Content-Type": "application/xml"}
GEOJSON = {"Content-Type": "application/geo+json"}


async def post(
    client: httpx.AsyncClient, route: str, body: bytes, headers: dict[str, str], media: dict[str, str], **params: Any
) -> httpx.Response:
    """POSTs a document to ``/api/v1/ingest/<route>``."""
    return await client.post(f"/api/v1/ingest/{route}", content=body, headers={**headers, **media}, params=params)


async def stored_reports(client: httpx.AsyncClient, headers: dict[str, str]) -> list[Json]:
    """Every report the caller may see, in seq order."""
    reports: list[Json] = (await get_json(client, "/api/v1/reports", headers, limit=1000))["reports"]
    return reports


def refused_at(response: httpx.Response, status: int = 422) -> list[str]:
    """The detail paths of a refusal that must have the given status."""
    assert response.status_code == status, response.text
    return [detail["path"] for detail in response.json()["error"]["details"]]
