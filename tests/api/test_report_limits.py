"""The input limits of spec section 3 (amended): properties per object entry, an object's merged size, the
audience; each configurable, 422 beyond with the path, and nothing of a refused report stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import Settings
from tests.api.support import organisation_token, service
from tests.conftest import report


@pytest.fixture
async def small_limits(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A service with small limits: 5 properties per entry, 2 KiB per object, an audience of 3."""
    async with service(settings, max_object_properties=5, max_object_bytes=2048, max_audience=3) as client:
        yield client


def _paths(response: httpx.Response) -> list[str]:
    return [d["path"] for d in response.json()["error"]["details"]]


async def test_the_contract_limits_hold_by_default(client: httpx.AsyncClient) -> None:
    """1,001 properties in one entry and an audience of 501 are refused with their paths."""
    headers = await organisation_token(client, "politie")
    many = report("r1", {"id": "o", "properties": {f"p{i}": i for i in range(1001)}})
    response = await client.post("/api/v1/reports", json=many, headers=headers)
    assert response.status_code == 422
    assert _paths(response) == ["objects[0].properties"]
    crowd = report("r2", {"id": "o", "kind": "unit"}, visibility="restricted", audience=[f"o-{i}" for i in range(501)])
    response = await client.post("/api/v1/reports", json=crowd, headers=headers)
    assert response.status_code == 422
    assert "audience" in _paths(response)[0]


async def test_configured_limits_refuse_with_the_path_and_store_nothing(small_limits: httpx.AsyncClient) -> None:
    """Over each configured limit: 422 naming the path; the picture and the log stay as they were."""
    headers = await organisation_token(small_limits, "politie")
    for org in ("brandweer", "ghor", "gemeente"):
        await organisation_token(small_limits, org)
    six = report("r1", {"id": "o", "properties": {f"p{i}": i for i in range(6)}})
    assert _paths(await small_limits.post("/api/v1/reports", json=six, headers=headers)) == ["objects[0].properties"]
    crowd = report("r2", {"id": "o", "kind": "unit"}, visibility="restricted",
                   audience=["brandweer", "ghor", "gemeente", "politie"])  # fmt: skip
    assert _paths(await small_limits.post("/api/v1/reports", json=crowd, headers=headers)) == ["audience"]
    log = await small_limits.get("/api/v1/reports", headers=headers)
    assert log.json()["reports"] == []


async def test_a_report_that_would_make_an_object_too_large_is_refused_alone(
    small_limits: httpx.AsyncClient,
) -> None:
    """The merged state is checked as it would become: the growing report gets 422 at its object, the reports
    committed with it and before it stand, and the object keeps its last accepted state."""
    headers = await organisation_token(small_limits, "politie")
    first = report("r1", {"id": "o", "kind": "unit", "properties": {"note": "x" * 600}})
    assert (await small_limits.post("/api/v1/reports", json=first, headers=headers)).status_code == 201
    batch = {"reports": [
        report("r2", {"id": "other", "kind": "unit"}),
        report("r3", {"id": "o", "properties": {"more": "y" * 1500}}, observed_at="2026-11-27T14:05:00+01:00"),
        report("r4", {"id": "o", "properties": {"n": 1}}, observed_at="2026-11-27T14:06:00+01:00"),
    ]}  # fmt: skip
    results = (await small_limits.post("/api/v1/reports/batch", json=batch, headers=headers)).json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201]
    assert results[1]["error"]["details"][0]["path"] == "reports[1].objects[0]"
    obj = (await small_limits.get("/api/v1/incidents/flood-test/objects/o", headers=headers)).json()
    assert "more" not in obj["properties"]
    assert obj["properties"]["n"] == 1


async def test_object_entries_are_rate_limited_per_organisation(settings: Settings) -> None:
    """Past its work burst an organisation's reports of many objects get 429 with Retry-After, nothing of them is
    stored, and another organisation is not affected; a report larger than the burst passes on a full bucket."""
    async with service(settings, work_rate_per_organisation=1.0, work_burst_per_organisation=1000.0) as client:
        police, fire = await organisation_token(client, "politie"), await organisation_token(client, "brandweer")
        big = report("big", *({"id": f"o-{i}", "kind": "unit"} for i in range(1000)))
        assert (await client.post("/api/v1/reports", json=big, headers=police)).status_code == 201
        again = report("again", {"id": "o-x", "kind": "unit"})
        refused = await client.post("/api/v1/reports", json=again, headers=police)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert (await client.post("/api/v1/reports", json=again, headers=fire)).status_code == 201
        log = (await client.get("/api/v1/reports", headers=police)).json()["reports"]
        assert [(r["organisation"], r["id"]) for r in log] == [("politie", "big"), ("brandweer", "again")]
