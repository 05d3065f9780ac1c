"""Incident authority (spec section 1, amended): the organisation whose report first mentions an incident
coordinates it; only coordinators set its fields (403 ``not_coordinator``); ``exercise`` is fixed when it is
created (422); a coordinator or an admin names the coordinators, and that is audited."""

from __future__ import annotations

import httpx

from tests.api.conftest import Headers
from tests.api.support import BATCH, REPORTS, accept, at, get_json
from tests.conftest import ADMIN, report

INCIDENT = "/api/v1/incidents/flood-test"


async def put(client: httpx.AsyncClient, headers: dict[str, str], organisations: list[str]) -> httpx.Response:
    return await client.put(f"{INCIDENT}/coordinators", json={"organisations": organisations}, headers=headers)


async def test_the_creator_coordinates_and_others_may_not_set_incident_fields(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """The first reporter coordinates; another organisation's incident_info is 403 not_coordinator and stores
    nothing; its reports without incident fields are accepted."""
    await accept(client, police, report("p1", {"id": "a", "kind": "unit"}, incident_info={"title": "Dijkdoorbraak"}))
    incident = await get_json(client, INCIDENT, fire)
    assert incident["coordinators"] == ["politie"]
    refused = await client.post(REPORTS, json=report("f1", incident_info={"status": "closed"}), headers=fire)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_coordinator"
    await accept(client, fire, report("f2", {"id": "b", "kind": "pump"}))
    log = await get_json(client, "/api/v1/reports", fire)
    assert [r["id"] for r in log["reports"]] == ["p1", "f2"]
    assert (await get_json(client, INCIDENT, fire))["status"] == "active"


async def test_exercise_is_fixed_by_the_report_that_creates_the_incident(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """A later report of the coordinator cannot turn an incident into an exercise or back: 422 at the field."""
    await accept(client, police, report("p1", {"id": "a", "kind": "unit"}))
    refused = await client.post(REPORTS, json=report("p2", incident_info={"exercise": True}), headers=police)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["path"] == "incident_info.exercise"
    await accept(client, police, report("p3", incident_info={"exercise": False, "grip": 2}))
    drill = report("d1", {"id": "x", "kind": "unit"}, incident="drill", incident_info={"exercise": True})
    await accept(client, police, drill)
    assert (await get_json(client, "/api/v1/incidents/drill", police))["exercise"] is True


async def test_a_coordinator_names_coordinators_who_may_then_set_fields(
    client: httpx.AsyncClient, police: Headers, fire: Headers, ghor: Headers
) -> None:
    """PUT by a coordinator: 200 with the incident; the named organisations set fields, one left out no longer
    may; the change is in the audit log."""
    await accept(client, police, report("p1", {"id": "a", "kind": "unit"}))
    answer = await put(client, police, ["brandweer"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["coordinators"] == ["brandweer"]
    await accept(client, fire, report("f1", incident_info={"grip": 3}, observed_at=at("15:00")))
    refused = await client.post(REPORTS, json=report("p2", incident_info={"grip": 1}), headers=police)
    assert refused.json()["error"]["code"] == "not_coordinator"
    assert (await put(client, police, ["politie"])).status_code == 403
    entries = (await get_json(client, "/api/v1/audit", ADMIN))["entries"]
    named = [e for e in entries if e["action"] == "incident.coordinators"]
    assert [(e["subject"], e["details"]) for e in named] == [("flood-test", {"coordinators": ["brandweer"]})]


async def test_naming_coordinators_is_refused_to_others_and_checked(
    client: httpx.AsyncClient, police: Headers, fire: Headers, partner: object
) -> None:
    """A non-coordinator gets 403, an incident the caller cannot see 404, an unknown organisation 422 at its
    index, an empty list 422; an admin may name them."""
    await accept(client, police, report("p1", {"id": "a", "kind": "unit"}))
    assert (await put(client, fire, ["brandweer"])).status_code == 403
    missing = await client.put("/api/v1/incidents/nergens/coordinators", json={"organisations": ["politie"]},
                               headers=police)  # fmt: skip
    assert missing.status_code == 404
    unknown = await put(client, police, ["politie", "nobody"])
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["path"] == "organisations[1]"
    assert (await put(client, police, [])).status_code == 422
    assert (await put(client, ADMIN, ["brandweer"])).status_code == 200
    assert (await get_json(client, INCIDENT, police))["coordinators"] == ["brandweer"]


async def test_a_batch_refuses_a_non_coordinators_incident_fields_alone(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """In a batch the report with another's incident fields gets 403 not_coordinator; the others are stored."""
    await accept(client, police, report("p1", {"id": "a", "kind": "unit"}))
    batch = {"reports": [report("f1", {"id": "b", "kind": "pump"}),
                         report("f2", incident_info={"title": "Mine"}),
                         report("f3", {"id": "c", "kind": "pump"})]}  # fmt: skip
    results = (await client.post(BATCH, json=batch, headers=fire)).json()["results"]
    assert [r["status"] for r in results] == [201, 403, 201]
    assert results[1]["error"]["code"] == "not_coordinator"
