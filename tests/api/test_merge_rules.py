"""The merge rule (spec section 4) as partners see it through the API: latest observation wins, ties broken by
(organisation, report), null clears, removal, provenance, conflicts between organisations, and which reports
count as changes."""

from __future__ import annotations

import httpx

from tests.api.conftest import Headers
from tests.api.support import Json, accept, at, get_json, picture_of, utc
from tests.conftest import report


def props(object_id: str, observed: str, report_id: str, **properties: object) -> Json:
    return report(report_id, {"id": object_id, "properties": properties}, observed_at=at(observed))


async def one_object(client: httpx.AsyncClient, headers: Headers, object_id: str = "a") -> Json:
    obj: Json = await get_json(client, f"/api/v1/incidents/flood-test/objects/{object_id}", headers)
    return obj


async def test_the_latest_observation_wins_whatever_the_arrival_order(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """A value observed later wins over one observed earlier, in whichever order the reports arrive."""
    await accept(client, police, props("a", "14:30", "p1", water="high"))
    await accept(client, fire, props("a", "14:00", "f1", water="low"))
    await accept(client, fire, props("b", "14:00", "f2", water="low"))
    await accept(client, police, props("b", "14:30", "p2", water="high"))
    picture = await picture_of(client, fire)
    assert picture["a"]["properties"] == picture["b"]["properties"] == {"water": "high"}
    assert picture["a"]["provenance"]["water"]["report"] == "p1"
    assert picture["b"]["provenance"]["water"]["report"] == "p2"


async def test_a_same_moment_tie_goes_to_the_larger_organisation_then_report(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """With equal observed_at the larger (organisation id, report id) wins: "politie" over "brandweer" whatever
    the report ids, and within one organisation report "r-b" over "r-a", in either arrival order."""
    await accept(client, police, props("a", "14:00", "p-a", level=1))
    await accept(client, fire, props("a", "14:00", "zz-a", level=2))
    await accept(client, fire, props("b", "14:00", "zz-b", level=2))
    await accept(client, police, props("b", "14:00", "p-b", level=1))
    await accept(client, fire, props("c", "14:00", "r-b", level=3))
    await accept(client, fire, props("c", "14:00", "r-a", level=4))
    await accept(client, fire, props("d", "14:00", "r-a2", level=4))
    await accept(client, fire, props("d", "14:00", "r-b2", level=3))
    picture = await picture_of(client, police)
    assert [picture[o]["properties"]["level"] for o in "abcd"] == [1, 1, 3, 3]
    assert picture["a"]["provenance"]["level"]["organisation"] == "politie"
    assert picture["c"]["provenance"]["level"]["report"] == "r-b"


async def test_equal_observations_in_another_offset_are_a_tie(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """observed_at is compared as an instant: 14:00+01:00 and 13:00Z tie, so the organisation decides."""
    await accept(client, police, report("p1", {"id": "a", "properties": {"n": 1}}, observed_at="2026-11-27T13:00:00Z"))
    await accept(client, fire, report("f1", {"id": "a", "properties": {"n": 2}}, observed_at=at("14:00")))
    assert (await one_object(client, police))["properties"] == {"n": 1}


async def test_null_clears_a_property(client: httpx.AsyncClient, police: Headers, fire: Headers) -> None:
    """A later null makes the property absent, with no provenance; other properties stay."""
    await accept(client, police, props("a", "14:00", "p1", note="both directions", lanes=2))
    await accept(client, fire, props("a", "14:10", "f1", note=None))
    obj = await one_object(client, police)
    assert obj["properties"] == {"lanes": 2}
    assert set(obj["provenance"]) == {"lanes"}
    await accept(client, police, props("a", "14:20", "p2", note="north only"))
    assert (await one_object(client, police))["properties"] == {"lanes": 2, "note": "north only"}


async def test_an_older_null_does_not_clear(client: httpx.AsyncClient, police: Headers, fire: Headers) -> None:
    """A null observed before the current value loses like any other older assertion."""
    await accept(client, police, props("a", "14:00", "p1", note="both directions"))
    await accept(client, fire, props("a", "13:00", "f1", note=None))
    assert (await one_object(client, police))["properties"] == {"note": "both directions"}


async def test_kind_and_geometry_merge_and_clear_like_properties(client: httpx.AsyncClient, police: Headers) -> None:
    """kind and geometry are properties too: each merges on its own, and null clears the geometry."""
    point = {"type": "Point", "coordinates": [4.67, 51.8]}
    await accept(client, police, report("p1", {"id": "a", "kind": "roadblock", "geometry": point},
                                        observed_at=at("14:00")))  # fmt: skip
    await accept(client, police, report("p2", {"id": "a", "geometry": None}, observed_at=at("14:10")))
    obj = await one_object(client, police)
    assert (obj["kind"], obj["geometry"]) == ("roadblock", None)
    assert set(obj["provenance"]) == {"kind"}


async def test_removed_true_removes_and_false_restores(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """removed: true takes the object off the picture (kept with include_removed); a later removed: false restores
    it with its properties."""
    await accept(client, police, report("p1", {"id": "a", "kind": "roadblock", "properties": {"lanes": 2}},
                                        observed_at=at("14:00")))  # fmt: skip
    await accept(client, fire, report("f1", {"id": "a", "removed": True}, observed_at=at("14:10")))
    assert await picture_of(client, police) == {}
    kept = await get_json(client, "/api/v1/incidents/flood-test/picture", police, include_removed="true")
    assert [(o["id"], o["removed"], o["properties"]) for o in kept["objects"]] == [("a", True, {"lanes": 2})]
    assert (await one_object(client, police))["removed"] is True
    await accept(client, police, report("p2", {"id": "a", "removed": False}, observed_at=at("14:20")))
    restored = await picture_of(client, police)
    assert (restored["a"]["removed"], restored["a"]["properties"]) == (False, {"lanes": 2})
    assert restored["a"]["provenance"]["removed"]["report"] == "p2"


async def test_an_older_removal_does_not_remove(client: httpx.AsyncClient, police: Headers, fire: Headers) -> None:
    """A removal observed before a restoring assertion loses."""
    await accept(client, police, report("p1", {"id": "a", "kind": "unit", "removed": False}, observed_at=at("14:10")))
    await accept(client, fire, report("f1", {"id": "a", "removed": True}, observed_at=at("14:00")))
    assert set(await picture_of(client, police)) == {"a"}


async def test_provenance_names_the_winner_of_each_property(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """Each property states who asserted its winning value: organisation, report and observed_at (UTC)."""
    await accept(client, police, report("p1", {"id": "a", "kind": "roadblock", "properties": {"lanes": 2}},
                                        observed_at=at("14:00")))  # fmt: skip
    await accept(client, fire, report("f1", {"id": "a", "properties": {"note": "water rising"}},
                                      observed_at=at("14:05")))  # fmt: skip
    obj = await one_object(client, fire)
    assert obj["provenance"] == {
        "kind": {"organisation": "politie", "report": "p1", "observed_at": utc("14:00")},
        "lanes": {"organisation": "politie", "report": "p1", "observed_at": utc("14:00")},
        "note": {"organisation": "brandweer", "report": "f1", "observed_at": utc("14:05")},
    }
    assert obj["conflicts"] == []


async def test_disagreeing_organisations_within_the_window_are_a_conflict(
    client: httpx.AsyncClient, police: Headers, ghor: Headers
) -> None:
    """Police counting 12 injured and GHOR 15, 10 minutes apart, shows both values; the later still wins."""
    await accept(client, police, props("casualties", "14:00", "p1", injured=12))
    await accept(client, ghor, props("casualties", "14:10", "g1", injured=15))
    obj = await one_object(client, police, "casualties")
    assert obj["properties"] == {"injured": 15}
    assert obj["conflicts"] == [
        {
            "property": "injured",
            "values": [
                {"value": 15, "organisation": "ghor", "report": "g1", "observed_at": utc("14:10")},
                {"value": 12, "organisation": "politie", "report": "p1", "observed_at": utc("14:00")},
            ],
        }
    ]


async def test_disagreement_beyond_the_window_is_no_conflict(
    client: httpx.AsyncClient, police: Headers, ghor: Headers
) -> None:
    """Assertions more than 15 minutes apart are an update, not a conflict; exactly 15 minutes still is one."""
    await accept(client, police, props("a", "14:00", "p1", injured=12))
    await accept(client, ghor, props("a", "14:16", "g1", injured=15))
    await accept(client, police, props("b", "14:00", "p2", injured=12))
    await accept(client, ghor, props("b", "14:15", "g2", injured=15))
    picture = await picture_of(client, police)
    assert picture["a"]["conflicts"] == []
    assert [c["property"] for c in picture["b"]["conflicts"]] == ["injured"]


async def test_a_later_agreeing_assertion_ends_the_conflict(
    client: httpx.AsyncClient, police: Headers, ghor: Headers
) -> None:
    """When police later confirms GHOR's count, the disagreement and the conflict are over."""
    await accept(client, police, props("a", "14:00", "p1", injured=12))
    await accept(client, ghor, props("a", "14:05", "g1", injured=15))
    answer = await accept(client, police, props("a", "14:10", "p2", injured=15))
    assert answer["changed"] == ["a"]
    obj = await one_object(client, ghor)
    assert (obj["properties"], obj["conflicts"]) == ({"injured": 15}, [])
    assert obj["provenance"]["injured"]["report"] == "p2"


async def test_a_null_against_a_value_is_a_conflict(client: httpx.AsyncClient, police: Headers, ghor: Headers) -> None:
    """null counts as a value: one organisation clearing what another asserts within the window is a conflict."""
    await accept(client, police, props("a", "14:00", "p1", injured=12))
    await accept(client, ghor, props("a", "14:05", "g1", injured=None))
    obj = await one_object(client, police)
    assert obj["properties"] == {}
    assert [[v["value"] for v in c["values"]] for c in obj["conflicts"]] == [[None, 12]]


async def test_one_organisation_correcting_itself_is_no_conflict(client: httpx.AsyncClient, police: Headers) -> None:
    """Only different organisations can disagree: a correction within the window is not a conflict."""
    await accept(client, police, props("a", "14:00", "p1", injured=12))
    await accept(client, police, props("a", "14:05", "p2", injured=15))
    assert (await one_object(client, police))["conflicts"] == []


async def test_reconfirming_a_value_later_is_a_change(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """The same value observed later changes the provenance, so the object is changed and gets the new seq."""
    await accept(client, police, props("a", "14:00", "p1", lanes=2))
    answer = await accept(client, fire, props("a", "14:20", "f1", lanes=2))
    assert answer["changed"] == ["a"]
    obj = await one_object(client, police)
    assert (obj["seq"], obj["provenance"]["lanes"]["report"]) == (answer["seq"], "f1")


async def test_an_older_losing_assertion_changes_nothing(client: httpx.AsyncClient, police: Headers) -> None:
    """A report whose assertions all lose to newer ones changes nothing: changed is empty and seqs stay put."""
    first = await accept(client, police, props("a", "14:00", "p1", lanes=2))
    before = await one_object(client, police)
    answer = await accept(client, police, props("a", "13:00", "p0", lanes=1))
    assert answer["changed"] == []
    assert answer["seq"] == first["seq"] + 1
    assert await one_object(client, police) == before


async def test_changed_lists_only_the_objects_that_changed(client: httpx.AsyncClient, police: Headers) -> None:
    """In a report about several objects, changed names exactly those whose merged state changed."""
    await accept(client, police, report("p1", {"id": "a", "kind": "unit"}, {"id": "b", "kind": "unit"},
                                        observed_at=at("14:00")))  # fmt: skip
    answer = await accept(client, police, report("p2", {"id": "a", "kind": "unit"}, {"id": "b", "kind": "pump"},
                                                 {"id": "c", "kind": "unit"}, observed_at=at("13:00")))  # fmt: skip
    assert sorted(answer["changed"]) == ["c"]


async def test_the_picture_does_not_depend_on_arrival_order(
    client: httpx.AsyncClient, police: Headers, fire: Headers, ghor: Headers
) -> None:
    """The same set of reports about two incidents, sent in opposite orders, gives equal merged objects."""
    senders = {"politie": police, "brandweer": fire, "ghor": ghor}
    plan = [
        ("politie", "14:00", {"n": 1, "note": "x"}),
        ("brandweer", "14:05", {"n": 2}),
        ("ghor", "14:05", {"n": 3, "note": None}),
        ("politie", "13:50", {"flag": True}),
        ("brandweer", "14:30", {"flag": False}),
    ]
    for incident, order in (("order-a", plan), ("order-b", plan[::-1])):
        for org, observed, properties in order:
            body = report(f"{incident}-{org}-{observed}", {"id": "a", "properties": properties},
                          incident=incident, observed_at=at(observed))  # fmt: skip
            await accept(client, senders[org], body)
    a = await one_object_in(client, police, "order-a")
    b = await one_object_in(client, police, "order-b")
    for key in ("properties", "removed", "kind"):
        assert a[key] == b[key]
    assert strip_reports(a["provenance"]) == strip_reports(b["provenance"])
    assert [without_reports(c) for c in a["conflicts"]] == [without_reports(c) for c in b["conflicts"]]
    assert a["properties"] == {"n": 3, "flag": False}


async def one_object_in(client: httpx.AsyncClient, headers: Headers, incident: str) -> Json:
    obj: Json = await get_json(client, f"/api/v1/incidents/{incident}/objects/a", headers)
    return obj


def strip_reports(provenance: Json) -> Json:
    return {k: (v["organisation"], v["observed_at"]) for k, v in provenance.items()}


def without_reports(conflict: Json) -> Json:
    return {"property": conflict["property"], "values": [{k: v for k, v in value.items() if k != "report"}
                                                         for value in conflict["values"]]}  # fmt: skip
