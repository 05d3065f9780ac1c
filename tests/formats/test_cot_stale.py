"""Stale Cursor-on-Target tracks (issue 11): past its ``stale`` time a track is marked ``stale: true`` and,
``NETCOP_COT_STALE_REMOVE_SECONDS`` later, removed, both by reports in its sender's name that every process makes
alike; a later event makes it fresh again."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from app.api.stale_tracks import StaleTracks
from app.domain.timefmt import parse_rfc3339, to_micros
from tests.api.support import get_json, picture_of
from tests.formats.conftest import Headers, document
from tests.formats.support import XML, post

POSITION = document("cot/atak-position.xml")
UID = "ANDROID-R5CN70EYKQH"
STALE = to_micros(parse_rfc3339("2026-11-27T13:22:37.325Z"))
SECOND = 1_000_000
REMOVE = 600 * SECOND  # the setting's default


def moved(time: str, stale: str) -> bytes:
    """The position event, sent again at another time with another stale time."""
    return (POSITION.replace(b"2026-11-27T13:16:22.325Z", time.encode())
            .replace(b"2026-11-27T13:22:37.325Z", stale.encode()))  # fmt: skip


@pytest.fixture
async def sweeper(app: FastAPI) -> StaleTracks:
    """The service's sweeper, its background round stopped: each test sweeps at the moments it chooses."""
    tracks: StaleTracks = app.state.cot_stale
    await tracks.stop()
    return tracks


async def track(client: httpx.AsyncClient, headers: Headers) -> dict:
    body = await get_json(client, f"/api/v1/incidents/flood-test/objects/{UID}", headers)
    return body


async def test_a_track_past_its_stale_time_is_marked_then_removed_in_its_senders_name(
    client: httpx.AsyncClient, police: Headers, sweeper: StaleTracks
) -> None:
    """Nothing happens before the stale time; after it the track carries stale: true asserted by its sender at the
    stale time; the setting's seconds later it is removed; a later event brings it back fresh."""
    assert (await post(client, "cot", POSITION, police, XML, incident="flood-test")).status_code == 201
    assert (await track(client, police))["properties"]["stale"] is False
    assert await sweeper.sweep(STALE - SECOND) == []
    [(status, report_id)] = await sweeper.sweep(STALE + SECOND)
    assert status == 201
    stale = await track(client, police)
    assert (stale["properties"]["stale"], stale["removed"]) == (True, False)
    assert stale["provenance"]["stale"] == {"organisation": "politie", "report": report_id,
                                            "observed_at": "2026-11-27T13:22:37.325000Z"}  # fmt: skip
    assert await sweeper.sweep(STALE + REMOVE - SECOND) == []
    assert [status for status, _ in await sweeper.sweep(STALE + REMOVE)] == [201]
    assert (await track(client, police))["removed"] is True
    assert await sweeper.sweep(STALE + 2 * REMOVE) == []
    back = moved("2026-11-27T13:40:00Z", "2026-11-27T13:45:00Z")
    assert (await post(client, "cot", back, police, XML, incident="flood-test")).status_code == 201
    fresh = await track(client, police)
    assert (fresh["properties"]["stale"], fresh["removed"]) == (False, False)


async def test_a_track_that_moved_on_is_not_marked_and_processes_sweeping_together_store_one_report(
    app: FastAPI, client: httpx.AsyncClient, police: Headers, sweeper: StaleTracks
) -> None:
    """A newer event's stale time replaces the older one's; two sweepers (two processes) make the same report,
    stored once (the other is a retry or finds the track already marked)."""
    await post(client, "cot", POSITION, police, XML, incident="flood-test")
    later = moved("2026-11-27T13:20:00Z", "2026-11-27T13:30:00Z")
    assert (await post(client, "cot", later, police, XML, incident="flood-test")).status_code == 201
    assert await sweeper.sweep(STALE + SECOND) == []
    other = StaleTracks(app.state.netcop)
    marked = to_micros(parse_rfc3339("2026-11-27T13:30:00Z")) + SECOND
    results = await asyncio.gather(sweeper.sweep(marked), other.sweep(marked))
    assert {status for found in results for status, _ in found} <= {200, 201}
    reports = (await get_json(client, "/api/v1/reports", police))["reports"]
    assert [r["id"].split("-")[1] for r in reports if r["id"].startswith("cot-stale-")] == ["stale"]
    assert (await track(client, police))["properties"]["stale"] is True


async def test_the_marks_of_a_restricted_track_are_as_restricted(
    client: httpx.AsyncClient, police: Headers, fire: Headers, sweeper: StaleTracks
) -> None:
    """The mark and the removal have the visibility and audience of the report that asserted the stale time."""
    response = await post(client, "cot", POSITION, police, XML, incident="flood-test", visibility="restricted",
                          audience="politie")  # fmt: skip
    assert response.status_code == 201, response.text
    assert len(await sweeper.sweep(STALE + REMOVE)) == 2
    reports = (await get_json(client, "/api/v1/reports", police))["reports"]
    assert [(r["visibility"], r["audience"]) for r in reports] == [("restricted", ["politie"])] * 3
    assert (await get_json(client, "/api/v1/reports", fire))["reports"] == []
    assert await picture_of(client, police) == {}
