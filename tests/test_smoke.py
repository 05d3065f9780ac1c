"""A first end-to-end path through the in-process service."""

from __future__ import annotations

import httpx

from tests.conftest import MakePartner, report


async def test_a_report_is_merged_into_the_picture(client: httpx.AsyncClient, partner: MakePartner) -> None:
    """A pushed report answers 201 with its seq and appears in the incident's picture."""
    police = await partner("politie-zhz")
    body = report("r1", {"id": "rb-1", "kind": "roadblock", "geometry": {"type": "Point", "coordinates": [4.67, 51.8]}})
    response = await client.post("/api/v1/reports", json=body, headers=police)
    assert response.status_code == 201, response.text
    assert response.json()["seq"] == 1
    assert response.json()["changed"] == ["rb-1"]
    picture = (await client.get("/api/v1/incidents/flood-test/picture", headers=police)).json()
    assert [o["id"] for o in picture["objects"]] == ["rb-1"]
    assert picture["seq"] == 1
