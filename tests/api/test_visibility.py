"""Visibility (spec section 5) on every read path: a restricted report is seen by its sender and its audience
only, and for everyone else the picture is the merge of the other reports, as if it had never been sent.

The scene: police reports to all partners, then restricted to GHOR, then fire reports to all partners, then police
reports restricted to GHOR about an incident nobody else mentions.

    seq 1  politie    partners            flood-test  title "Dijkdoorbraak"; shared: kind unit, n=1
    seq 2  politie    restricted [ghor]   flood-test  title "Geheim";        shared: n=2; secret: casualty-post
    seq 3  brandweer  partners            flood-test  shared: note "pumping"; pump: pump
    seq 4  politie    restricted [ghor]   covert      title "Stil";          x: unit
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import Headers
from tests.api.support import REPORTS, Json, accept, at, get_json, point
from tests.conftest import report

INCIDENTS = "/api/v1/incidents"
SECRET_SPOT = point(4.70, 51.82)
TO_GHOR: dict[str, Any] = {"visibility": "restricted", "audience": ["ghor"]}


@pytest.fixture
async def viewers(client: httpx.AsyncClient, police: Headers, fire: Headers, ghor: Headers) -> dict[str, Headers]:
    """The scene of the module docstring; the viewers by organisation id."""
    scene = [
        (police, report("p1", {"id": "shared", "kind": "unit", "properties": {"n": 1}},
                        observed_at=at("14:00"), incident_info={"title": "Dijkdoorbraak"})),
        (police, report("p2", {"id": "shared", "properties": {"n": 2}},
                        {"id": "secret", "kind": "casualty-post", "geometry": SECRET_SPOT},
                        observed_at=at("14:10"), incident_info={"title": "Geheim"}, **TO_GHOR)),
        (fire, report("f1", {"id": "shared", "properties": {"note": "pumping"}},
                      {"id": "pump", "kind": "pump", "geometry": point(4.68, 51.81)}, observed_at=at("14:20"))),
        (police, report("p3", {"id": "x", "kind": "unit", "geometry": point(4.69, 51.80)},
                        incident="covert", incident_info={"title": "Stil"}, **TO_GHOR)),
    ]  # fmt: skip
    for headers, body in scene:
        await accept(client, headers, body)
    return {"politie": police, "brandweer": fire, "ghor": ghor}


async def each_sees(
    client: httpx.AsyncClient, viewers: dict[str, Headers], path: str, **params: Any
) -> dict[str, httpx.Response]:
    return {org: await client.get(path, params=params, headers=headers) for org, headers in viewers.items()}


def insiders(value: Any, outsider: Any) -> dict[str, Any]:
    """What sender, audience and outsider should each get."""
    return {"politie": value, "ghor": value, "brandweer": outsider}


def statuses(responses: dict[str, httpx.Response]) -> dict[str, int]:
    return {org: r.status_code for org, r in responses.items()}


async def test_the_incident_list_comes_from_visible_reports(
    client: httpx.AsyncClient, viewers: dict[str, Headers]
) -> None:
    """Incident fields, organisations, object_count and seq come from the viewer's visible reports; an incident
    only mentioned in restricted reports is not listed for outsiders."""
    seen = {
        org: {i["id"]: i for i in r.json()["incidents"]}
        for org, r in (await each_sees(client, viewers, INCIDENTS)).items()
    }
    assert {org: sorted(found) for org, found in seen.items()} == insiders(["covert", "flood-test"], ["flood-test"])
    flood = {org: found["flood-test"] for org, found in seen.items()}
    summary = {org: (i["title"], i["organisations"], i["object_count"], i["seq"]) for org, i in flood.items()}
    assert summary == insiders(("Geheim", ["brandweer", "politie"], 3, 3),
                               ("Dijkdoorbraak", ["brandweer", "politie"], 2, 3))  # fmt: skip
    covert = seen["ghor"]["covert"]
    assert (covert["title"], covert["organisations"], covert["object_count"], covert["seq"]) == (
        "Stil", ["politie"], 1, 4,
    )  # fmt: skip


async def test_the_incident_fields_hide_restricted_organisations(
    client: httpx.AsyncClient, police: Headers, fire: Headers, ghor: Headers
) -> None:
    """An organisation that only sent restricted reports about an incident is not among its organisations for
    outsiders, and its incident_info does not reach them."""
    await accept(client, fire, report("f1", {"id": "a", "kind": "unit"}, incident_info={"status": "active"}))
    named = {"organisations": ["brandweer", "politie"]}
    assert (await client.put(f"{INCIDENTS}/flood-test/coordinators", json=named, headers=fire)).status_code == 200
    await accept(client, police, report("p1", {"id": "a", "properties": {"n": 1}}, observed_at=at("15:00"),
                                        incident_info={"status": "closed"}, **TO_GHOR))  # fmt: skip
    for headers, expected in ((fire, (["brandweer"], "active")), (ghor, (["brandweer", "politie"], "closed"))):
        incident = await get_json(client, f"{INCIDENTS}/flood-test", headers)
        assert (incident["organisations"], incident["status"]) == expected
    assert [o["id"] for o in (await get_json(client, "/api/v1/picture", fire))["objects"]] == ["a"]
    assert (await get_json(client, "/api/v1/picture", ghor))["objects"] == []


async def test_an_incident_only_mentioned_restricted_is_404_for_outsiders(
    client: httpx.AsyncClient, viewers: dict[str, Headers]
) -> None:
    """The incident, its picture (now and as of now) and its objects do not exist for outsiders: 404, not 403."""
    for path, params in (
        (f"{INCIDENTS}/covert", {}),
        (f"{INCIDENTS}/covert/picture", {}),
        (f"{INCIDENTS}/covert/picture", {"as_of": "2999-01-01T00:00:00Z"}),
        (f"{INCIDENTS}/covert/objects/x", {}),
    ):
        assert statuses(await each_sees(client, viewers, path, **params)) == insiders(200, 404), path


async def test_the_incident_picture_is_the_merge_of_visible_reports(
    client: httpx.AsyncClient, viewers: dict[str, Headers]
) -> None:
    """Outsiders get the partners-only merge (the restricted value and object absent, seq of their last change);
    sender and audience get the full merge."""
    pictures = await each_sees(client, viewers, f"{INCIDENTS}/flood-test/picture")
    objects = {org: {o["id"]: o for o in r.json()["objects"]} for org, r in pictures.items()}
    assert {org: sorted(found) for org, found in objects.items()} == insiders(
        ["pump", "secret", "shared"], ["pump", "shared"]
    )
    shared = {org: (found["shared"]["properties"], found["shared"]["provenance"]["n"]["report"])
              for org, found in objects.items()}  # fmt: skip
    assert shared == insiders(({"n": 2, "note": "pumping"}, "p2"), ({"n": 1, "note": "pumping"}, "p1"))
    assert {org: found["shared"]["seq"] for org, found in objects.items()} == insiders(3, 3)


async def test_as_of_applies_visibility_too(client: httpx.AsyncClient, viewers: dict[str, Headers]) -> None:
    """The picture as of a moment is the merge of the visible reports received by then."""
    pictures = await each_sees(client, viewers, f"{INCIDENTS}/flood-test/picture", as_of="2999-01-01T00:00:00Z")
    shared = {org: [o["properties"] for o in r.json()["objects"] if o["id"] == "shared"]
              for org, r in pictures.items()}  # fmt: skip
    assert shared == insiders([{"n": 2, "note": "pumping"}], [{"n": 1, "note": "pumping"}])
    ids = {org: sorted(o["id"] for o in r.json()["objects"]) for org, r in pictures.items()}
    assert ids == insiders(["pump", "secret", "shared"], ["pump", "shared"])


async def test_an_object_only_mentioned_restricted_is_404_for_outsiders(
    client: httpx.AsyncClient, viewers: dict[str, Headers]
) -> None:
    """An object that only restricted reports mention is 404 for outsiders, with or without history."""
    for params in ({}, {"history": "true"}):
        found = await each_sees(client, viewers, f"{INCIDENTS}/flood-test/objects/secret", **params)
        assert statuses(found) == insiders(200, 404)
        assert found["brandweer"].json()["error"]["code"] == "not_found"


async def test_an_object_history_lists_only_visible_assertions(
    client: httpx.AsyncClient, viewers: dict[str, Headers]
) -> None:
    """An object's history shows outsiders only the assertions of reports they may see."""
    found = await each_sees(client, viewers, f"{INCIDENTS}/flood-test/objects/shared", history="true")
    history = {org: [h["report"] for h in r.json()["history"]] for org, r in found.items()}
    assert history == insiders(["f1", "p2", "p1"], ["f1", "p1"])


async def test_the_combined_picture_is_the_merge_of_visible_reports(
    client: httpx.AsyncClient, viewers: dict[str, Headers]
) -> None:
    """GET /picture, as JSON, as GeoJSON and within a bbox around the restricted object, hides it from outsiders."""
    combined = await each_sees(client, viewers, "/api/v1/picture")
    keys = {org: sorted(f"{o['incident']}/{o['id']}" for o in r.json()["objects"]) for org, r in combined.items()}
    assert keys == insiders(
        ["covert/x", "flood-test/pump", "flood-test/secret", "flood-test/shared"],
        ["flood-test/pump", "flood-test/shared"],
    )
    geo = await each_sees(client, viewers, "/api/v1/picture", format="geojson")
    assert {org: sorted(f["id"] for f in r.json()["features"]) for org, r in geo.items()} == keys
    shared = {org: [{k: v for k, v in f["properties"].items() if k != "kind" and not k.startswith("netcop_")}
                    for f in r.json()["features"] if f["id"] == "flood-test/shared"]
              for org, r in geo.items()}  # fmt: skip
    assert shared == insiders([{"n": 2, "note": "pumping"}], [{"n": 1, "note": "pumping"}])
    around = await each_sees(client, viewers, "/api/v1/picture", bbox="4.695,51.815,4.705,51.825")
    in_box = {org: [o["id"] for o in r.json()["objects"]] for org, r in around.items()}
    assert in_box == insiders(["secret"], [])
    incidents = await each_sees(client, viewers, INCIDENTS, bbox="4.695,51.815,4.705,51.825")
    assert {org: [i["id"] for i in r.json()["incidents"]] for org, r in incidents.items()} == insiders(
        ["flood-test"], []
    )


async def test_the_report_log_lists_only_visible_reports(
    client: httpx.AsyncClient, viewers: dict[str, Headers]
) -> None:
    """Outsiders do not see restricted reports in the report log, filtered or not; last_seq still reaches the end."""
    listed = await each_sees(client, viewers, REPORTS)
    assert {org: [r["seq"] for r in page.json()["reports"]] for org, page in listed.items()} == insiders(
        [1, 2, 3, 4], [1, 3]
    )
    assert {org: page.json()["last_seq"] for org, page in listed.items()} == insiders(4, 4)
    by_police = await each_sees(client, viewers, REPORTS, organisation="politie")
    assert {org: [r["id"] for r in page.json()["reports"]] for org, page in by_police.items()} == insiders(
        ["p1", "p2", "p3"], ["p1"]
    )
    restricted = next(r for r in listed["ghor"].json()["reports"] if r["id"] == "p2")
    assert (restricted["visibility"], restricted["audience"]) == ("restricted", ["ghor"])


async def test_the_change_log_lists_only_visible_changes(
    client: httpx.AsyncClient, viewers: dict[str, Headers]
) -> None:
    """Changes made by restricted reports are left out for outsiders, and each change shows the objects as that
    viewer saw them."""
    changes = await each_sees(client, viewers, "/api/v1/changes")
    assert {org: [c["seq"] for c in page.json()["changes"]] for org, page in changes.items()} == insiders(
        [1, 2, 3, 4], [1, 3]
    )
    after_fire = {
        org: {o["id"]: o["properties"] for c in page.json()["changes"] if c["seq"] == 3 for o in c["objects"]}
        for org, page in changes.items()
    }
    assert after_fire == insiders(
        {"shared": {"n": 2, "note": "pumping"}, "pump": {}}, {"shared": {"n": 1, "note": "pumping"}, "pump": {}}
    )
    covert = await each_sees(client, viewers, "/api/v1/changes", incident="covert")
    assert {org: [c["seq"] for c in page.json()["changes"]] for org, page in covert.items()} == insiders([4], [])


async def test_changed_is_seen_from_the_senders_own_picture(
    client: httpx.AsyncClient, viewers: dict[str, Headers]
) -> None:
    """A partners report from police that loses, in police's own picture, to its earlier restricted report
    changes fire's picture but not police's: changed is empty, and only fire's change log lists it."""
    body = report("p4", {"id": "shared", "properties": {"n": 3}}, observed_at=at("14:05"))
    answer = await accept(client, viewers["politie"], body)
    assert answer["changed"] == []
    objects = await each_sees(client, viewers, f"{INCIDENTS}/flood-test/objects/shared")
    assert {org: r.json()["properties"]["n"] for org, r in objects.items()} == insiders(2, 3)
    changes = await each_sees(client, viewers, "/api/v1/changes", after_seq=4)
    assert {org: [c["seq"] for c in r.json()["changes"]] for org, r in changes.items()} == insiders([], [5])


async def test_a_restricted_report_is_seen_by_its_sender_outside_the_audience(
    client: httpx.AsyncClient, police: Headers, fire: Headers, ghor: Headers
) -> None:
    """The sender sees its restricted report even when it does not list itself in the audience; a third party
    does not."""
    await accept(client, police, report("p1", {"id": "a", "kind": "unit"}, **TO_GHOR))
    for headers, count in ((police, 1), (ghor, 1), (fire, 0)):
        body: Json = await get_json(client, REPORTS, headers)
        assert len(body["reports"]) == count


async def test_public_reports_are_seen_by_every_partner(
    client: httpx.AsyncClient, police: Headers, fire: Headers, ghor: Headers
) -> None:
    """A public report, like a partners report, is in every partner's picture."""
    await accept(client, police, report("p1", {"id": "a", "kind": "unit"}, visibility="public"))
    for headers in (police, fire, ghor):
        assert [o["id"] for o in (await get_json(client, f"{INCIDENTS}/flood-test/picture", headers))["objects"]] == [
            "a"
        ]
