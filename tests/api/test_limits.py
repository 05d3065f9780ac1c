"""Per-organisation rate limits on report intake (issue: resource limits): 429 with Retry-After, nothing stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import Settings
from tests.api.support import organisation_token, service
from tests.conftest import ADMIN, report


@pytest.fixture
async def limited_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A service whose organisations may send 1 report/s with a burst of 1000."""
    async with service(settings, report_rate_per_organisation=1.0, report_burst_per_organisation=1000.0) as client:
        yield client


async def test_an_organisation_over_its_rate_gets_429_and_others_do_not(limited_client: httpx.AsyncClient) -> None:
    """Past its burst an organisation's reports are refused with 429 and Retry-After; another organisation's are
    not, and the refused report is not stored."""
    police = await organisation_token(limited_client, "politie")
    fire = await organisation_token(limited_client, "brandweer")
    batch = {"reports": [report(f"b-{i}", {"id": f"o-{i}", "kind": "unit"}) for i in range(1000)]}
    assert (await limited_client.post("/api/v1/reports/batch", json=batch, headers=police)).status_code == 200
    single = report("one-more", {"id": "x", "kind": "unit"})
    in_batch = {"reports": [report("in-batch", {"id": "y", "kind": "unit"})]}
    for path, body in (("/api/v1/reports", single), ("/api/v1/reports/batch", in_batch)):
        refused = await limited_client.post(path, json=body, headers=police)
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"]["code"] == "too_many_requests"
    accepted = await limited_client.post(
        "/api/v1/reports", json=report("f-1", {"id": "z", "kind": "unit"}), headers=fire
    )
    assert accepted.status_code == 201
    stored = (await limited_client.get("/api/v1/reports?organisation=politie&after_seq=1000", headers=police)).json()
    assert stored["reports"] == []


async def test_a_request_over_its_time_limit_is_answered_503(settings: Settings) -> None:
    """A request that has not answered within ``request_timeout_seconds`` is cancelled and answered 503 with
    Retry-After and the error shape; with a sane limit the same request succeeds."""
    for timeout, expected in ((1e-9, 503), (30.0, 200)):
        async with service(settings, request_timeout_seconds=timeout) as client:
            response = await client.get("/api/v1/organisations", headers=ADMIN)
        assert response.status_code == expected, response.text
        if expected == 503:
            assert response.headers["Retry-After"] == "1"
            assert response.json()["error"]["code"] == "timeout"
