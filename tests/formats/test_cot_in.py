"""Cursor-on-Target in (spec section 9): events as TAK clients send them become one report, uid as object id, with
every guarantee of ``POST /api/v1/reports``."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import BadRequest, Invalid
from app.formats import cot
from tests.api.support import picture_of
from tests.formats.conftest import Headers, document
from tests.formats.support import XML, post, refused_at, stored_reports

POSITION = document("cot/atak-position.xml")
MARKER = document("cot/atak-marker.xml")
STREAM = document("cot/atak-stream.xml")
INCIDENT = {"incident": "flood-test"}


async def test_a_position_report_is_a_unit_on_the_picture(client: httpx.AsyncClient, police: Headers) -> None:
    """An ATAK position report becomes the object named by its uid: a friendly unit at its point, with call sign,
    team, battery, course and stale time, asserted by the sender."""
    response = await post(client, "cot", POSITION, police, XML, **INCIDENT)
    assert response.status_code == 201, response.text
    unit = (await picture_of(client, police))["ANDROID-R5CN70EYKQH"]
    assert unit["kind"] == "unit"
    assert unit["geometry"] == {"type": "Point", "coordinates": [4.6731, 51.8012]}
    properties = unit["properties"]
    assert (properties["callsign"], properties["team"], properties["affiliation"]) == ("SPAC3SLOTH", "Teal", "friendly")
    assert (properties["battery_pct"], properties["ce_m"], properties["cot_type"]) == (76.0, 11.0, "a-f-G-U-C")
    assert properties["stale_at"] == "2026-11-27T13:22:37.325Z"
    assert "le_m" not in properties  # 9999999: not known
    assert unit["provenance"]["geometry"] == {"organisation": "politie", "report": response.json()["id"],
                                              "observed_at": "2026-11-27T13:16:22.325000Z"}  # fmt: skip


async def test_a_stream_of_events_is_one_report_keeping_each_uids_latest(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """Events one after the other (each with its XML declaration) are one report: one object per uid at its
    latest position, observed at the latest event time."""
    response = await post(client, "cot", STREAM, police, XML, **INCIDENT)
    assert response.status_code == 201, response.text
    assert sorted(response.json()["changed"]) == ["ANDROID-abc", "ANDROID-def"]
    picture = await picture_of(client, police)
    assert picture["ANDROID-abc"]["geometry"]["coordinates"] == [4.67318, 51.80125]
    assert picture["ANDROID-def"]["kind"] == "vehicle"
    [stored] = await stored_reports(client, police)
    assert stored["observed_at"] == "2026-11-27T13:04:06.123Z"


async def test_a_delete_event_removes_the_marker(client: httpx.AsyncClient, police: Headers) -> None:
    """A t-x-d-d event removes the object its link names."""
    assert (await post(client, "cot", MARKER, police, XML, **INCIDENT)).status_code == 201
    marker = (await picture_of(client, police))["f94dba22-e841-4db9-bd6b-5a6915cdbb69"]
    assert (marker["kind"], marker["properties"]["affiliation"]) == ("unit", "hostile")
    assert marker["properties"]["remarks"] == "Persons on the dike, refusing to leave"
    response = await post(client, "cot", document("cot/atak-delete.xml"), police, XML, **INCIDENT)
    assert response.status_code == 201, response.text
    assert await picture_of(client, police) == {}


async def test_positions_every_second_cost_one_report_each(client: httpx.AsyncClient, police: Headers) -> None:
    """A unit reporting its position every second makes one report per event, each changing that one object."""
    for second in range(10):
        moved = POSITION.replace(b"13:16:22.325Z", f"13:16:{30 + second}.000Z".encode()).replace(
            b'lon="4.6731"', f'lon="4.67{second}"'.encode()
        )
        response = await post(client, "cot", moved, police, XML, **INCIDENT)
        assert response.status_code == 201, response.text
        assert response.json()["changed"] == ["ANDROID-R5CN70EYKQH"]
    assert (await picture_of(client, police))["ANDROID-R5CN70EYKQH"]["geometry"]["coordinates"] == [4.679, 51.8012]


async def test_the_same_events_again_are_a_retry_and_an_id_reused_is_a_conflict(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """The same events are 200 with the stored answer; a named report id with other events is 409."""
    first = await post(client, "cot", POSITION, police, XML, **INCIDENT)
    retry = await post(client, "cot", POSITION, police, XML, **INCIDENT)
    assert (first.status_code, retry.status_code, retry.json()) == (201, 200, first.json())
    assert (await post(client, "cot", MARKER, police, XML, id="tak-1", **INCIDENT)).status_code == 201
    assert (await post(client, "cot", POSITION, police, XML, id="tak-1", **INCIDENT)).status_code == 409
    assert len(await stored_reports(client, police)) == 2


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        (b' uid="ANDROID-R5CN70EYKQH"', b"", "event[0].uid"),
        (b'lat="51.8012"', b'lat="151.8012"', "event[0].point"),
        (b'lat="51.8012"', b'lat="north"', "event[0].point"),
        (b'time="2026-11-27T13:16:22.325Z"', b'time="yesterday"', "event[0].time"),
        (b'time="2026-11-27T13:16:22.325Z"', b'time="2999-01-01T00:00:00Z"', "event[0].time"),
        (b"<event ", b"<evnt ", "event[0]"),
    ],
    ids=["no-uid", "latitude", "not-a-number", "time", "future", "not-an-event"],
)
async def test_a_bad_event_is_refused_where_it_is_wrong_and_stores_nothing(
    client: httpx.AsyncClient, police: Headers, old: bytes, new: bytes, path: str
) -> None:
    """An event that cannot be an object is 422 at the event's part that is wrong; nothing is stored."""
    body = POSITION.replace(old, new).replace(b"</event>", b"</evnt>" if new == b"<evnt " else b"</event>")
    paths = refused_at(await post(client, "cot", body, police, XML, **INCIDENT))
    assert path in paths, paths
    assert await stored_reports(client, police) == []


async def test_only_xml_into_a_named_incident_is_read(client: httpx.AsyncClient, police: Headers) -> None:
    """Without an incident: 422 at incident; JSON: 415; a DTD or what is not XML: 400."""
    assert refused_at(await post(client, "cot", POSITION, police, XML)) == ["incident"]
    as_json = await post(client, "cot", POSITION, police, {"Content-Type": "application/json"}, **INCIDENT)
    assert as_json.status_code == 415
    entity = b'<!DOCTYPE event [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + POSITION.split(b"?>", 1)[1]
    assert (await post(client, "cot", entity, police, XML, **INCIDENT)).status_code == 400
    assert (await post(client, "cot", b"<event", police, XML, **INCIDENT)).status_code == 400


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.builds(lambda cut, junk: POSITION[:cut] + junk + POSITION[cut:],
                                           st.integers(0, len(POSITION)), st.binary(max_size=8)))  # fmt: skip
def test_any_bytes_are_read_or_refused_as_400_or_422(raw: bytes) -> None:
    """Random bytes and a position report with random bytes put in are translated or refused as 400 or 422."""
    try:
        translation = cot.translate(cot.read(raw), cot.Fields("flood-test"))
    except (BadRequest, Invalid):
        return
    assert translation.body["objects"]
