"""CAP 1.2 in (spec section 9): an alert valid against the OASIS schema becomes one report, with every guarantee
of ``POST /api/v1/reports``; updates and cancellations follow ``references``; exercises stay apart."""

from __future__ import annotations

import math

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import BadRequest, Invalid
from app.formats import cap
from tests.api.support import get_json
from tests.formats.conftest import Headers, document
from tests.formats.support import XML, post, refused_at, stored_reports

EXAMPLES = ["oasis-a1-homeland-security.xml", "oasis-a2-severe-thunderstorm.xml", "oasis-a3-earthquake-update.xml",
            "oasis-a4-amber-alert-multilingual.xml"]  # fmt: skip
THUNDERSTORM = document("cap/oasis-a2-severe-thunderstorm.xml")
EARTHQUAKE_UPDATE = document("cap/oasis-a3-earthquake-update.xml")
# The alert the standard's example A.3 updates (TRI13970876.1), written as A.3 with the earlier values.
EARTHQUAKE = (
    EARTHQUAKE_UPDATE.replace(b"TRI13970876.2", b"TRI13970876.1")
    .replace(b"2003-06-11T20:56:00-07:00", b"2003-06-11T20:30:00-07:00")
    .replace(b"<msgType>Update</msgType>", b"<msgType>Alert</msgType>")
    .replace(b"  <references>trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00</references>\n", b"")
    .replace(b"<value>3.4 Ml</value>", b"<value>3.3 Ml</value>")
    .replace(b" (This event has now been reviewed by a seismologist)", b"")
)
EARTHQUAKE_INCIDENT = cap.translate(cap.read(EARTHQUAKE)).body["incident"]


async def objects_of(client: httpx.AsyncClient, headers: Headers, incident: str, **params: str) -> dict[str, dict]:
    body = await get_json(client, f"/api/v1/incidents/{incident}/picture", headers, **params)
    return {o["id"]: o for o in body["objects"]}


@pytest.mark.parametrize("name", EXAMPLES)
async def test_each_example_of_the_standard_lands_in_the_picture(
    client: httpx.AsyncClient, police: Headers, name: str
) -> None:
    """Each OASIS CAP 1.2 example is accepted as a report whose id is the alert's identifier, observed when it was
    sent, with one warning-area object per info/area carrying the sender's provenance."""
    body = document(f"cap/{name}")
    response = await post(client, "cap", body, police, XML)
    assert response.status_code == 201, response.text
    answer = response.json()
    expected = cap.translate(cap.read(body)).body
    assert answer["id"] == expected["id"]
    assert answer["incident"] == expected["incident"]
    picture = await objects_of(client, police, answer["incident"])
    assert set(picture) == {entry["id"] for entry in expected["objects"]}
    for obj in picture.values():
        assert obj["kind"] == "warning-area"
        assert obj["provenance"]["event"]["organisation"] == "politie"
        assert obj["provenance"]["event"]["report"] == expected["id"]


async def test_a_polygon_is_turned_into_geojson_lon_lat(client: httpx.AsyncClient, police: Headers) -> None:
    """CAP's "lat,lon" pairs become GeoJSON [lon, lat] positions, the info's fields flat properties."""
    answer = (await post(client, "cap", THUNDERSTORM, police, XML)).json()
    [area] = (await objects_of(client, police, answer["incident"])).values()
    ring = area["geometry"]["coordinates"][0]
    assert sorted(map(tuple, ring[:-1])) == sorted([(-120.14, 38.47), (-119.95, 38.34), (-119.74, 38.52),
                                                    (-119.89, 38.62)])  # fmt: skip
    assert area["properties"]["severity"] == "Severe"
    assert area["properties"]["geocodes"] == {"SAME": ["006109", "006009", "006003"]}
    assert area["properties"]["response_type"] == ["Shelter"]
    assert area["provenance"]["geometry"]["observed_at"] == "2003-06-17T21:57:00Z"
    incident = await get_json(client, f"/api/v1/incidents/{answer['incident']}", police)
    assert (incident["title"], incident["category"], incident["exercise"]) == (
        "SEVERE THUNDERSTORM WARNING", "weather", False)  # fmt: skip


async def test_an_update_follows_its_references(client: httpx.AsyncClient, police: Headers) -> None:
    """The standard's Update (A.3) lands on the objects of the alert it references, in that alert's incident, and
    its values win; its circle of radius 0 is a point."""
    first = (await post(client, "cap", EARTHQUAKE, police, XML)).json()
    update = await post(client, "cap", EARTHQUAKE_UPDATE, police, XML)
    assert update.status_code == 201, update.text
    assert update.json()["incident"] == first["incident"] == EARTHQUAKE_INCIDENT
    assert update.json()["changed"] == ["TRI13970876.1/0.0"]
    [quake] = (await objects_of(client, police, EARTHQUAKE_INCIDENT)).values()
    assert quake["geometry"] == {"type": "Point", "coordinates": [-115.5527, 32.9525]}
    assert quake["properties"]["parameters"]["Magnitude"] == "3.4 Ml"
    assert quake["provenance"]["parameters"]["report"] == "TRI13970876.2"


async def test_a_cancel_removes_the_areas_and_closes_the_incident(client: httpx.AsyncClient, police: Headers) -> None:
    """A Cancel referencing an alert removes that alert's areas and closes the alert's own incident."""
    await post(client, "cap", EARTHQUAKE, police, XML)
    cancel = (EARTHQUAKE_UPDATE.replace(b"<msgType>Update</msgType>", b"<msgType>Cancel</msgType>")
              .replace(b"TRI13970876.2", b"TRI13970876.3"))  # fmt: skip
    response = await post(client, "cap", cancel, police, XML)
    assert response.status_code == 201, response.text
    assert await objects_of(client, police, EARTHQUAKE_INCIDENT) == {}
    removed = await objects_of(client, police, EARTHQUAKE_INCIDENT, include_removed="true")
    assert removed["TRI13970876.1/0.0"]["removed"] is True
    assert (await get_json(client, f"/api/v1/incidents/{EARTHQUAKE_INCIDENT}", police))["status"] == "closed"


@pytest.mark.parametrize("status", [b"Exercise", b"Test"])
async def test_exercise_and_test_alerts_land_in_an_exercise_incident(
    client: httpx.AsyncClient, police: Headers, status: bytes
) -> None:
    """An Exercise or Test alert makes an exercise incident, absent from the actual picture; into a named actual
    incident it is refused."""
    exercise = THUNDERSTORM.replace(b"<status>Actual</status>", b"<status>" + status + b"</status>")
    answer = (await post(client, "cap", exercise, police, XML)).json()
    assert (await get_json(client, f"/api/v1/incidents/{answer['incident']}", police))["exercise"] is True
    assert (await get_json(client, "/api/v1/picture", police))["objects"] == []
    assert len((await get_json(client, "/api/v1/picture", police, exercise="true"))["objects"]) == 1
    actual = (await post(client, "cap", EARTHQUAKE, police, XML)).json()["incident"]
    mixed = await post(client, "cap", exercise.replace(b"KSTO1055887203", b"KSTO-2"), police, XML, incident=actual)
    assert refused_at(mixed) == ["alert.status"]


async def test_the_same_alert_again_is_a_retry_and_an_identifier_reused_is_a_conflict(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """The same alert is 200 with the stored answer; another alert under the same identifier is 409."""
    first = await post(client, "cap", THUNDERSTORM, police, XML)
    retry = await post(client, "cap", THUNDERSTORM, police, XML)
    assert (first.status_code, retry.status_code, retry.json()) == (201, 200, first.json())
    changed = THUNDERSTORM.replace(b"<severity>Severe</severity>", b"<severity>Extreme</severity>")
    assert (await post(client, "cap", changed, police, XML)).status_code == 409
    assert len(await stored_reports(client, police)) == 1


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        (b"<urgency>Immediate</urgency>", b"<urgency>Now</urgency>", "alert.info[0].urgency"),
        (b"<status>Actual</status>", b"<status>Draft</status>", "alert.status"),
        (b"<msgType>Alert</msgType>", b"<msgType>Ack</msgType>", "alert.msgType"),
        (b"<msgType>Alert</msgType>", b"<msgType>Update</msgType>", "alert.references"),
        (b"38.47,-120.14 38.34", b"98.47,-120.14 38.34", "alert.info[0].area[0].polygon[0]"),
        (b"38.62,-119.89 38.47,-120.14</polygon>", b"38.62,-119.89</polygon>", "alert.info[0].area[0].polygon[0]"),
        (b"38.52,-119.74 38.62,-119.89", b"38.62,-119.89 38.52,-119.74", "alert.info[0].area[0].polygon[0]"),
        (b"<sent>2003-06-17T14:57:00-07:00</sent>", b"<sent>2003-06-17T14:57:00Z</sent>", "alert.sent"),
        (b"urn:oasis:names:tc:emergency:cap:1.2", b"urn:oasis:names:tc:emergency:cap:1.1", "alert"),
    ],
    ids=["enumeration", "draft", "ack", "update-without-references", "latitude", "unclosed", "bow-tie", "zulu",
         "cap-1.1"],
)
async def test_a_bad_alert_is_refused_where_it_is_wrong_and_stores_nothing(
    client: httpx.AsyncClient, police: Headers, old: bytes, new: bytes, path: str
) -> None:
    """An alert the schema or the picture cannot take is 422 at the element that is wrong; nothing is stored."""
    assert old in THUNDERSTORM
    paths = refused_at(await post(client, "cap", THUNDERSTORM.replace(old, new), police, XML))
    assert path in paths, paths
    assert await stored_reports(client, police) == []


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE alert [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>"""
EXTERNAL_ENTITY = THUNDERSTORM.replace(
    b'<alert xmlns = "urn', b'<!DOCTYPE alert [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<alert xmlns = "urn'
).replace(b"<contact>BARUFFALDI/JUSKIE</contact>", b"<contact>&x;</contact>")


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, b"not xml", b"<alert>"],
                         ids=["billion-laughs", "external-entity", "not-xml", "unclosed"])  # fmt: skip
async def test_hostile_or_broken_xml_is_refused(client: httpx.AsyncClient, police: Headers, body: bytes) -> None:
    """An entity bomb, an external entity and what is not XML are 400, quickly, and nothing is stored."""
    response = await post(client, "cap", body, police, XML)
    assert response.status_code == 400, response.text
    assert b"root:" not in response.content
    assert await stored_reports(client, police) == []


async def test_only_xml_from_a_reporter_is_read(client: httpx.AsyncClient, police: Headers) -> None:
    """No token: 401; a JSON media type: 415 saying which types are taken; CAP's own media type: accepted."""
    assert (await post(client, "cap", THUNDERSTORM, {}, XML)).status_code == 401
    refused = await post(client, "cap", THUNDERSTORM, police, {"Content-Type": "application/json"})
    assert refused.status_code == 415
    assert "application/cap+xml" in refused.json()["error"]["message"]
    accepted = await post(client, "cap", THUNDERSTORM, police, {"Content-Type": "application/cap+xml"})
    assert accepted.status_code == 201, accepted.text


async def test_a_private_alert_is_restricted_to_its_addresses(
    client: httpx.AsyncClient, police: Headers, fire: Headers, partner: object
) -> None:
    """scope Private makes a restricted report for the organisations named in addresses; an address that is no
    organisation is 422 at alert.addresses."""
    addressed = b"<scope>Private</scope>\n  <addresses>brandweer</addresses>"
    private = THUNDERSTORM.replace(b"<scope>Public</scope>", addressed)
    answer = (await post(client, "cap", private, police, XML)).json()
    assert len(await objects_of(client, fire, answer["incident"])) == 1
    unknown = private.replace(b"brandweer", b"nobody-here").replace(b"KSTO1055887203", b"KSTO-3")
    assert "alert.addresses" in refused_at(await post(client, "cap", unknown, police, XML))[0]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.builds(lambda cut, junk: THUNDERSTORM[:cut] + junk + THUNDERSTORM[cut:],
                                           st.integers(0, len(THUNDERSTORM)), st.binary(max_size=8)))  # fmt: skip
def test_any_bytes_are_read_or_refused_as_400_or_422(raw: bytes) -> None:
    """Random bytes and the example with random bytes put in are translated or refused as 400 or 422, never
    anything else."""
    try:
        translation = cap.translate(cap.read(raw))
    except (BadRequest, Invalid):
        return
    assert translation.body["id"]


@settings(max_examples=200, deadline=None)
@given(st.floats(-80, 80), st.floats(-179, 179), st.floats(0.01, 500))
def test_a_circle_is_a_valid_polygon_at_its_radius(lat: float, lon: float, radius: float) -> None:
    """A CAP circle becomes a closed ring whose every vertex lies at the radius from the centre (within 0.1 %)."""
    lat, lon = round(lat, 6), round(lon, 6)  # CAP writes decimal degrees
    shape = cap.circle(f"{lat:.6f},{lon:.6f} {radius:.4f}")
    radius = round(radius, 4)
    ring = shape["coordinates"][0]
    assert ring[0] == ring[-1]
    assert len(ring) == cap.CIRCLE_SIDES + 1
    for vertex_lon, vertex_lat in ring:
        assert math.isclose(_distance_km(lat, lon, vertex_lat, vertex_lon), radius, rel_tol=1e-3, abs_tol=1e-4)


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * cap.EARTH_RADIUS_KM * math.asin(math.sqrt(a))
