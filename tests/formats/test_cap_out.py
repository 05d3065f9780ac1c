"""CAP 1.2 out (spec section 9): ``GET /api/v1/incidents/{id}/cap`` is a CAP alert, valid against the OASIS schema,
of exactly what the incident's ``public`` reports asserted, one info/area per drawable object; CAP in reads it
back as the same areas."""

from __future__ import annotations

from typing import Any

import httpx
from lxml import etree

from app.formats import cap, cap_out, xml
from tests.api.support import accept, at, point, square
from tests.formats.conftest import Headers, document
from tests.formats.support import XML, post

NS = {"cap": cap.NAMESPACE}
LINE = {"type": "LineString", "coordinates": [[4.60, 51.80], [4.61, 51.81]]}
HOLED = {"type": "Polygon", "coordinates": [square(4.6, 51.7, 4.8, 51.9)["coordinates"][0],
                                            square(4.65, 51.75, 4.7, 51.8)["coordinates"][0]]}  # fmt: skip


def body(report_id: str, hh_mm: str, *objects: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"id": report_id, "incident": "flood-test", "observed_at": at(hh_mm), "objects": list(objects), **fields}


async def alert_of(client: httpx.AsyncClient, headers: Headers, incident: str = "flood-test") -> etree._Element:
    """The incident's CAP alert, which must be served as CAP and be valid against the CAP 1.2 schema."""
    response = await client.get(f"/api/v1/incidents/{incident}/cap", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == cap_out.MEDIA_TYPE
    return cap.read(response.content)  # parsed safely and validated against app/formats/data/CAP-v1.2.xsd


def areas(alert: etree._Element) -> dict[str, etree._Element]:
    """Each info's area by the object it was made of (the ``netcop_object`` parameter)."""
    found = {}
    for info in alert.findall("cap:info", NS):
        names = {p.findtext("cap:valueName", namespaces=NS): p.findtext("cap:value", namespaces=NS)
                 for p in info.findall("cap:parameter", NS)}  # fmt: skip
        found[names["netcop_object"]] = info.find("cap:area", NS)
    return found


async def test_only_what_public_reports_asserted_is_in_the_alert(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """Objects of public reports with a polygon or a point are areas (polygon as lat,lon pairs, point as a circle
    of radius 0); lines, removed objects and whatever partners or restricted reports asserted stay out."""
    await accept(client, police, body("p-1", "10:00", {"id": "dike", "kind": "hazard-area", "geometry": HOLED},
                                      {"id": "post", "kind": "command-post", "geometry": point(4.6731, 51.8012)},
                                      {"id": "road", "kind": "roadblock", "geometry": LINE},
                                      {"id": "gone", "kind": "unit", "geometry": point(4.7, 51.8)},
                                      visibility="public"))  # fmt: skip
    await accept(client, police, body("p-2", "10:05", {"id": "gone", "removed": True}, visibility="public"))
    await accept(client, fire, body("f-1", "10:10", {"id": "shelter", "kind": "shelter", "geometry": point(4.6, 51.8)},
                                    {"id": "post", "geometry": point(5.0, 52.0)}))  # fmt: skip
    await accept(client, fire, body("f-2", "10:20", {"id": "secret", "kind": "unit", "geometry": point(4.6, 51.8)},
                                    visibility="restricted", audience=["politie"]))  # fmt: skip
    alert = await alert_of(client, fire)
    assert alert.findtext("cap:scope", namespaces=NS) == "Public"
    assert alert.findtext("cap:identifier", namespaces=NS) == "netcop-flood-test-2"
    found = areas(alert)
    assert set(found) == {"dike", "post"}
    assert found["dike"].findtext("cap:polygon", namespaces=NS) == "51.7,4.6 51.7,4.8 51.9,4.8 51.9,4.6 51.7,4.6"
    assert found["post"].findtext("cap:circle", namespaces=NS) == "51.8012,4.6731 0"
    assert found["post"].findtext("cap:areaDesc", namespaces=NS) == "post"


async def test_an_incident_the_reader_cannot_see_is_404_and_one_without_public_reports_an_empty_alert(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """An unknown incident, or one the reader sees no report of, is 404; an incident without public reports
    is a valid alert with no info."""
    assert (await client.get("/api/v1/incidents/nothing-here/cap", headers=police)).status_code == 404
    await accept(client, police, body("p-1", "10:00", {"id": "a", "kind": "unit", "geometry": point(4.6, 51.8)},
                                      visibility="restricted", audience=["politie"]))  # fmt: skip
    response = await client.get("/api/v1/incidents/flood-test/cap", headers=fire)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert (await alert_of(client, police)).findall("cap:info", NS) == []


async def test_a_cap_alert_comes_back_out_with_its_fields_and_is_read_back_as_the_same_areas(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """The OASIS thunderstorm warning (scope Public) comes out with its event, urgency, severity, certainty and
    category; posted back through CAP in, its areas, and those of netcop's own objects, are the same geometries."""
    answer = (await post(client, "cap", document("cap/oasis-a2-severe-thunderstorm.xml"), police, XML)).json()
    storm = await alert_of(client, police, answer["incident"])
    info = storm.find("cap:info", NS)
    assert info is not None
    assert [info.findtext(f"cap:{name}", namespaces=NS) for name in ("category", "event", "urgency", "severity",
            "certainty")] == ["Met", "SEVERE THUNDERSTORM", "Immediate", "Severe", "Observed"]  # fmt: skip
    await accept(client, police, body("p-1", "10:00", {"id": "dike", "kind": "hazard-area", "geometry": HOLED},
                                      {"id": "post", "kind": "command-post", "geometry": point(4.6731, 51.8012)},
                                      visibility="public"))  # fmt: skip
    for incident in (answer["incident"], "flood-test"):
        exported = await client.get(f"/api/v1/incidents/{incident}/cap", headers=police)
        back = await post(client, "cap", exported.content, police, XML, incident=f"copy-{incident[:40]}")
        assert back.status_code == 201, back.text
        assert await geometries(client, police, f"copy-{incident[:40]}") == await geometries(client, police, incident)


async def geometries(client: httpx.AsyncClient, headers: Headers, incident: str) -> list[Any]:
    """The incident's geometries, outer rings only (CAP has no holes), sorted."""
    objects = (await client.get(f"/api/v1/incidents/{incident}/picture", headers=headers)).json()["objects"]
    shapes = [o["geometry"] for o in objects]
    return sorted((s["type"], s["coordinates"][:1] if s["type"] == "Polygon" else s["coordinates"]) for s in shapes)


def test_an_exercise_and_awkward_text_still_make_a_valid_alert() -> None:
    """An exercise incident's alert has status Exercise; text XML cannot carry, invalid CAP values and numbers
    that Python would write with an exponent still give an alert valid against the schema."""
    obj = {
        "id": "o\x01<&>",
        "kind": "unit",
        "geometry": {"type": "MultiPoint", "coordinates": [[1e-7, -2e-6]]},
        "properties": {"urgency": "Now!", "category": ["Nope"], "headline": "\ud800 \x0b", "expires": "soon"},
    }
    source = cap_out.Source("drill-1", "exercise-x", True, [obj], 7, cap_out.datetime.now(cap_out.UTC))
    alert = cap.read(cap_out.alert(source, "netcop@localhost"))
    xml.validate(alert, cap.SCHEMA, cap.REPEATABLE)
    assert alert.findtext("cap:status", namespaces=NS) == "Exercise"
    assert areas(alert)["o\ufffd<&>"].findtext("cap:circle", namespaces=NS) == "-0.000002,0.0000001 0"
