"""Reading the picture (spec section 6): incidents, pictures (now and as of a moment), the combined picture, one
object with its history, and the report and change logs with their paging."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import Headers
from tests.api.support import REPORTS, Json, accept, at, get_json, point, square
from tests.conftest import MakePartner, report

INCIDENTS = "/api/v1/incidents"
CHANGES = "/api/v1/changes"
OBJECT_FIELDS = {"incident", "id", "kind", "geometry", "properties", "removed", "seq", "updated_at", "provenance",
                 "conflicts"}  # fmt: skip


def info(**fields: object) -> Json:
    return {"incident_info": fields}


async def two_incidents(client: httpx.AsyncClient, police: Headers, fire: Headers) -> list[Json]:
    """A flood (police and fire, 2 live objects and a removed one) and a scaled-down fire (one object)."""
    flood = info(title="Dijkdoorbraak", category="flood", status="active", grip=3)
    return [
        await accept(client, police, report(
            "p1",
            {"id": "rb-1", "kind": "roadblock", "geometry": point(4.67, 51.80)},
            {"id": "rb-2", "kind": "roadblock", "geometry": point(4.70, 51.82)},
            incident="flood-a", **flood,
        )),
        await accept(client, fire, report(
            "f1",
            {"id": "pump-1", "kind": "pump", "geometry": point(4.68, 51.81), "properties": {"capacity": 800}},
            {"id": "rb-2", "removed": True},
            incident="flood-a", observed_at=at("14:05"),
        )),
        await accept(client, fire, report(
            "f2",
            {"id": "fire-area", "kind": "hazard-area", "geometry": square(5.10, 52.00, 5.12, 52.02)},
            incident="fire-b", **info(title="Brand Utrecht", category="fire", status="scaled-down"),
        )),
    ]  # fmt: skip


# --- incidents --------------------------------------------------------------------------------------------


async def test_incidents_list_counts_organisations_and_seq(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """Each incident carries its merged fields, its live object count, the organisations involved and its seq."""
    p1, f1, f2 = await two_incidents(client, police, fire)
    listed = {i["id"]: i for i in (await get_json(client, INCIDENTS, police))["incidents"]}
    assert set(listed) == {"flood-a", "fire-b"}
    flood = listed["flood-a"]
    assert (flood["title"], flood["category"], flood["status"], flood["grip"], flood["exercise"]) == (
        "Dijkdoorbraak", "flood", "active", 3, False,
    )  # fmt: skip
    assert flood["object_count"] == 2
    assert flood["organisations"] == ["brandweer", "politie"]
    assert flood["seq"] == f1["seq"] == 2
    assert flood["created_at"] == p1["received_at"]
    assert flood["updated_at"] == f1["received_at"]
    fire_b = listed["fire-b"]
    assert (fire_b["status"], fire_b["object_count"], fire_b["organisations"], fire_b["seq"]) == (
        "scaled-down", 1, ["brandweer"], f2["seq"],
    )  # fmt: skip


async def test_an_incident_without_info_gets_defaults(client: httpx.AsyncClient, police: Headers) -> None:
    """An incident first mentioned without ``incident_info`` exists, active, not an exercise, with no title."""
    await accept(client, police, report("p1", {"id": "a", "kind": "unit"}, incident="nieuw"))
    incident = await get_json(client, f"{INCIDENTS}/nieuw", police)
    assert (incident["status"], incident["exercise"], incident["title"]) == ("active", False, None)


INCIDENT_FILTERS: list[tuple[dict[str, str], list[str]]] = [
    ({"status": "active"}, ["flood-a"]),
    ({"status": "scaled-down"}, ["fire-b"]),
    ({"status": "closed"}, []),
    ({"category": "fire"}, ["fire-b"]),
    ({"category": "flood", "status": "active"}, ["flood-a"]),
    ({"category": "cyber"}, []),
    ({"bbox": "5.11,52.01,6,53"}, ["fire-b"]),
    ({"bbox": "4.6,51.7,4.675,51.805"}, ["flood-a"]),
    ({"bbox": "4.69,51.815,4.71,51.83"}, []),
    ({"bbox": "4,51,6,53"}, ["fire-b", "flood-a"]),
]


async def test_incidents_filter_by_status_category_and_bbox(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """status and category select on the merged fields; bbox keeps incidents with a live object intersecting it
    (a removed object does not count)."""
    await two_incidents(client, police, fire)
    found = []
    for params, _ in INCIDENT_FILTERS:
        listed = await get_json(client, INCIDENTS, police, **params)
        found.append((params, sorted(i["id"] for i in listed["incidents"])))
    assert found == INCIDENT_FILTERS
    assert (await client.get(INCIDENTS, params={"status": "open"}, headers=police)).status_code == 422


async def test_one_incident_is_its_list_entry(client: httpx.AsyncClient, police: Headers, fire: Headers) -> None:
    """GET /incidents/{id} answers the same incident as the list; an unknown id is 404."""
    await two_incidents(client, police, fire)
    listed = {i["id"]: i for i in (await get_json(client, INCIDENTS, fire))["incidents"]}
    assert await get_json(client, f"{INCIDENTS}/flood-a", fire) == listed["flood-a"]
    response = await client.get(f"{INCIDENTS}/nergens", headers=fire)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_incident_fields_merge_by_observed_at(client: httpx.AsyncClient, police: Headers, fire: Headers) -> None:
    """incident_info follows the merge rule between its coordinators: a later observed status wins, an older one
    sent afterwards does not."""
    await accept(client, police, report("p1", incident="x-1", observed_at=at("14:00"), **info(status="active")))
    named = {"organisations": ["politie", "brandweer"]}
    assert (await client.put(f"{INCIDENTS}/x-1/coordinators", json=named, headers=police)).status_code == 200
    await accept(client, fire, report("f1", incident="x-1", observed_at=at("15:00"), **info(status="closed")))
    await accept(client, police, report("p2", incident="x-1", observed_at=at("14:30"), **info(status="active")))
    assert (await get_json(client, f"{INCIDENTS}/x-1", police))["status"] == "closed"


# --- one incident's picture -------------------------------------------------------------------------------


async def test_the_picture_holds_live_objects_with_their_fields(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """The picture answers incident, seq (the log position), as_of null and the live objects in the contract's
    shape, each with the seq of the change that last changed it."""
    await two_incidents(client, police, fire)
    body = await get_json(client, f"{INCIDENTS}/flood-a/picture", police)
    assert (body["incident"], body["seq"], body["as_of"]) == ("flood-a", 3, None)
    objects = {o["id"]: o for o in body["objects"]}
    assert set(objects) == {"rb-1", "pump-1"}
    assert all(set(o) == OBJECT_FIELDS for o in objects.values())
    pump = objects["pump-1"]
    assert (pump["incident"], pump["kind"], pump["properties"], pump["removed"], pump["seq"]) == (
        "flood-a", "pump", {"capacity": 800}, False, 2,
    )  # fmt: skip
    assert pump["geometry"] == point(4.68, 51.81)
    assert objects["rb-1"]["seq"] == 1


async def test_the_picture_filters_by_kind_and_includes_removed_on_request(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """kind (repeatable or comma-separated) selects kinds; include_removed=true adds removed objects."""
    await two_incidents(client, police, fire)
    path = f"{INCIDENTS}/flood-a/picture"

    async def ids(**params: str | list[str]) -> list[str]:
        response = await client.get(path, params=params, headers=police)
        assert response.status_code == 200, response.text
        return sorted(o["id"] for o in response.json()["objects"])

    assert await ids(kind="roadblock") == ["rb-1"]
    assert await ids(kind=["roadblock", "pump"]) == ["pump-1", "rb-1"]
    assert await ids(kind="roadblock,pump") == ["pump-1", "rb-1"]
    assert await ids(kind="shelter") == []
    assert await ids(include_removed="true") == ["pump-1", "rb-1", "rb-2"]
    assert await ids(include_removed="true", kind="roadblock") == ["rb-1", "rb-2"]
    removed = (await client.get(path, params={"include_removed": "true"}, headers=police)).json()["objects"]
    assert [o["removed"] for o in removed if o["id"] == "rb-2"] == [True]


async def test_the_picture_of_an_unknown_incident_is_404(client: httpx.AsyncClient, police: Headers) -> None:
    """An incident nobody mentioned has no picture."""
    response = await client.get(f"{INCIDENTS}/nergens/picture", headers=police)
    assert response.status_code == 404


async def test_as_of_answers_the_picture_known_at_that_moment(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """as_of between two reports shows only the first one's state, with that moment's seq; at the second, both."""
    first = await accept(client, police, report("p1", {"id": "a", "kind": "unit", "properties": {"n": 1}}))
    second = await accept(client, fire, report(
        "f1", {"id": "a", "properties": {"n": 2}}, {"id": "b", "kind": "unit"}, observed_at=at("14:10"),
    ))  # fmt: skip
    assert second["received_at"] > first["received_at"]
    path = f"{INCIDENTS}/flood-test/picture"
    then = await get_json(client, path, police, as_of=first["received_at"])
    assert (then["seq"], then["as_of"]) == (1, first["received_at"])
    assert [(o["id"], o["properties"], o["seq"]) for o in then["objects"]] == [("a", {"n": 1}, 1)]
    now = await get_json(client, path, police, as_of=second["received_at"])
    assert now["seq"] == 2
    assert now["objects"] == (await get_json(client, path, police))["objects"]


async def test_as_of_accepts_any_offset(client: httpx.AsyncClient, police: Headers) -> None:
    """as_of is any RFC 3339 moment: the same instant in another offset gives the same picture."""
    first = await accept(client, police, report("p1", {"id": "a", "kind": "unit"}))
    later = "2999-01-01T01:00:00+01:00"
    utc = await get_json(client, f"{INCIDENTS}/flood-test/picture", police, as_of="2999-01-01T00:00:00Z")
    shifted = await get_json(client, f"{INCIDENTS}/flood-test/picture", police, as_of=later)
    assert utc["objects"] == shifted["objects"]
    assert utc["seq"] == first["seq"]


async def test_as_of_before_everything_is_404(client: httpx.AsyncClient, police: Headers) -> None:
    """Before its first report an incident was not known: 404; a malformed as_of is 422."""
    await accept(client, police, report("p1", {"id": "a", "kind": "unit"}))
    before = await client.get(f"{INCIDENTS}/flood-test/picture", params={"as_of": "2020-01-01T00:00:00Z"},
                              headers=police)  # fmt: skip
    assert before.status_code == 404
    for bad in ("yesterday", "2026-11-27T14:00:00", "2026-11-27"):
        response = await client.get(f"{INCIDENTS}/flood-test/picture", params={"as_of": bad}, headers=police)
        assert response.status_code == 422, bad
        assert [d["path"] for d in response.json()["error"]["details"]] == ["as_of"]


# --- the combined picture ---------------------------------------------------------------------------------


async def several_incidents(client: httpx.AsyncClient, police: Headers) -> None:
    """Active, closed, scaled-down and exercise incidents, one object each, plus an object without geometry."""
    triangle = {"type": "Polygon", "coordinates": [[[4, 51], [6, 51], [4, 53], [4, 51]]]}
    await accept(client, police, report(
        "a", {"id": "tri", "kind": "hazard-area", "geometry": triangle}, {"id": "note", "kind": "decision"},
        incident="actief", **info(status="active"),
    ))  # fmt: skip
    for status in ("closed", "scaled-down"):
        body = report(status, {"id": "o", "kind": "unit", "geometry": point(4.5, 51.5)}, incident=f"inc-{status}")
        await accept(client, police, body | info(status=status))
    exercise = report("x", {"id": "o", "kind": "unit", "geometry": point(4.5, 51.5)}, incident="oefening")
    await accept(client, police, exercise | info(exercise=True))


def keys(body: Json) -> list[tuple[str, str]]:
    return sorted((o["incident"], o["id"]) for o in body["objects"])


async def test_the_combined_picture_holds_only_active_actual_incidents(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """GET /picture gives every visible object of active incidents and no exercise; exercise=true gives only
    the exercises."""
    await several_incidents(client, police)
    actual = await get_json(client, "/api/v1/picture", police)
    assert actual["seq"] == 4
    assert keys(actual) == [("actief", "note"), ("actief", "tri")]
    exercises = await get_json(client, "/api/v1/picture", police, exercise="true")
    assert keys(exercises) == [("oefening", "o")]
    assert keys(await get_json(client, "/api/v1/picture", police, incident="inc-closed")) == []
    assert keys(await get_json(client, "/api/v1/picture", police, kind="decision")) == [("actief", "note")]


BOXES = [
    ("5,52,6,53", True),  # touches the hypotenuse in one point
    ("4.9,51.9,6,53", True),  # crosses the hypotenuse, no vertex inside
    ("5.5,52,6,52.5", False),  # inside the triangle's envelope but beyond its hypotenuse
    ("3,50,3.99,54", False),
    ("3,50,4,54", True),  # shares the western edge
    ("4.5,51.5,4.6,51.6", True),  # inside the triangle
]


async def test_the_combined_picture_bbox_intersects_geometries(client: httpx.AsyncClient, police: Headers) -> None:
    """An object is in a bbox when its geometry intersects it, boundary contact included; an object without
    geometry is in no bbox."""
    await several_incidents(client, police)
    found = []
    for bbox, _ in BOXES:
        body = await get_json(client, "/api/v1/picture", police, bbox=bbox)
        found.append((bbox, keys(body) == [("actief", "tri")]))
        assert keys(body) in ([], [("actief", "tri")])
    assert found == BOXES


async def test_the_combined_picture_as_geojson(client: httpx.AsyncClient, police: Headers) -> None:
    """format=geojson answers a FeatureCollection whose features have id "incident/object"."""
    await several_incidents(client, police)
    response = await client.get("/api/v1/picture", params={"format": "geojson"}, headers=police)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == {"actief/tri", "actief/note"}
    tri = features["actief/tri"]
    assert tri["type"] == "Feature"
    assert tri["geometry"]["type"] == "Polygon"
    assert tri["properties"]["kind"] == "hazard-area"
    assert features["actief/note"]["geometry"] is None


# --- one object -------------------------------------------------------------------------------------------


async def test_an_object_with_its_history_newest_first(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """history=true adds the object's assertions ordered by observed_at, newest first, whatever the arrival."""
    await accept(client, police, report("p1", {"id": "a", "kind": "unit", "properties": {"n": 1}},
                                        observed_at=at("14:00")))  # fmt: skip
    await accept(client, fire, report("f1", {"id": "a", "properties": {"n": 0}}, observed_at=at("13:00")))
    await accept(client, police, report("p2", {"id": "a", "removed": False}, observed_at=at("15:00")))
    await accept(client, police, report("p3", {"id": "other", "kind": "unit"}, observed_at=at("16:00")))
    plain = await get_json(client, f"{INCIDENTS}/flood-test/objects/a", fire)
    assert set(plain) == OBJECT_FIELDS
    assert (plain["properties"], plain["seq"]) == ({"n": 1}, 3)
    full = await get_json(client, f"{INCIDENTS}/flood-test/objects/a", fire, history="true")
    assert {k: v for k, v in full.items() if k != "history"} == plain
    history = full["history"]
    assert [(h["report"], h["organisation"]) for h in history] == [("p2", "politie"), ("p1", "politie"),
                                                                   ("f1", "brandweer")]  # fmt: skip
    assert history[1]["assertion"] == {"kind": "unit", "properties": {"n": 1}}
    assert history[2]["observed_at"] == at("13:00")


async def test_an_unknown_object_is_404(client: httpx.AsyncClient, police: Headers) -> None:
    """An object no report mentions, or in an unknown incident, is 404; ids with a slash are addressable."""
    await accept(client, police, report("p1", {"id": "unit/12", "kind": "unit"}))
    assert (await get_json(client, f"{INCIDENTS}/flood-test/objects/unit/12", police))["id"] == "unit/12"
    for path in ("flood-test/objects/unit-13", "nergens/objects/unit/12"):
        response = await client.get(f"{INCIDENTS}/{path}", headers=police)
        assert response.status_code == 404, path


# --- the report log ---------------------------------------------------------------------------------------


async def five_reports(client: httpx.AsyncClient, police: Headers, fire: Headers) -> list[Json]:
    bodies = [
        (police, report("p1", {"id": "a", "kind": "unit"})),
        (fire, report("f1", {"id": "b", "kind": "unit"}, incident="other", summary="Brand")),
        (police, report("p2", {"id": "a", "properties": {"n": 1}}, visibility="public")),
        (fire, report("f2", {"id": "a", "properties": {"n": 1}}, observed_at=at("13:00"))),
        (police, report("p3", {"id": "c", "kind": "unit"}, incident="other")),
    ]
    for headers, body in bodies:
        await accept(client, headers, body)
    return [body for _, body in bodies]


async def test_the_report_log_gives_reports_as_sent(client: httpx.AsyncClient, police: Headers, fire: Headers) -> None:
    """Each listed report is its body as sent, plus organisation, seq and received_at, in seq order."""
    sent = await five_reports(client, police, fire)
    listed = await get_json(client, REPORTS, fire)
    assert listed["last_seq"] == 5
    assert [r["seq"] for r in listed["reports"]] == [1, 2, 3, 4, 5]
    for body, entry in zip(sent, listed["reports"], strict=True):
        assert {k: v for k, v in entry.items() if k not in ("organisation", "seq", "received_at")} == body
    assert [r["organisation"] for r in listed["reports"]] == ["politie", "brandweer", "politie", "brandweer",
                                                              "politie"]  # fmt: skip
    received = [r["received_at"] for r in listed["reports"]]
    assert received == sorted(received)


async def test_the_report_log_pages_with_after_seq_and_limit(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """limit bounds a page and last_seq is where the next page starts; the last page ends at the log's end."""
    await five_reports(client, police, fire)
    pages = []
    after = 0
    for _ in range(4):
        page = await get_json(client, REPORTS, police, after_seq=after, limit=2)
        pages.append([r["seq"] for r in page["reports"]])
        after = page["last_seq"]
    assert pages == [[1, 2], [3, 4], [5], []]
    assert after == 5


async def test_the_report_log_filters_by_incident_and_organisation(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """incident and organisation select reports; after_seq still applies."""
    await five_reports(client, police, fire)
    expected: list[tuple[dict[str, str | int], list[int]]] = [
        ({"incident": "other"}, [2, 5]),
        ({"organisation": "brandweer"}, [2, 4]),
        ({"incident": "flood-test", "organisation": "politie"}, [1, 3]),
        ({"incident": "nergens"}, []),
        ({"incident": "other", "after_seq": 2}, [5]),
    ]
    found = []
    for params, _ in expected:
        listed = await get_json(client, REPORTS, police, **params)
        found.append((params, [r["seq"] for r in listed["reports"]]))
    assert found == expected


# --- the change log ---------------------------------------------------------------------------------------


async def test_the_change_log_leaves_out_reports_that_changed_nothing(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """Each change carries its seq, incident, report and the objects as they were right after it; a report that
    changed nothing (an older, losing assertion) is left out."""
    await accept(client, police, report("p1", {"id": "a", "kind": "unit", "properties": {"n": 1}}))
    await accept(client, police, report("p0", {"id": "a", "properties": {"n": 0}}, observed_at=at("13:00")))
    await accept(client, fire, report("f1", {"id": "a", "properties": {"n": 3}}, {"id": "b", "kind": "pump"},
                                      observed_at=at("14:01")))  # fmt: skip
    body = await get_json(client, CHANGES, police)
    assert body["last_seq"] == 3
    changes = body["changes"]
    assert [(c["seq"], c["incident"], c["report"]) for c in changes] == [
        (1, "flood-test", {"id": "p1", "organisation": "politie"}),
        (3, "flood-test", {"id": "f1", "organisation": "brandweer"}),
    ]
    assert [(o["id"], o["properties"], o["seq"]) for o in changes[0]["objects"]] == [("a", {"n": 1}, 1)]
    assert sorted((o["id"], o["seq"]) for o in changes[1]["objects"]) == [("a", 3), ("b", 3)]
    assert all(set(o) == OBJECT_FIELDS for c in changes for o in c["objects"])


async def test_the_change_log_pages_with_after_seq_and_limit(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """Paging by last_seq visits each change once, in order, and ends at the log's end; incident= filters."""
    await five_reports(client, police, fire)
    pages = []
    after = 0
    for _ in range(4):
        page = await get_json(client, CHANGES, police, after_seq=after, limit=2)
        pages.append([c["seq"] for c in page["changes"]])
        after = page["last_seq"]
    assert pages == [[1, 2], [3, 5], [], []]
    assert after == 5
    other = await get_json(client, CHANGES, police, incident="other")
    assert [c["seq"] for c in other["changes"]] == [2, 5]


async def test_lists_default_to_100_entries(client: httpx.AsyncClient, police: Headers) -> None:
    """Without limit, the report and change logs give 100 entries and a last_seq to page on from."""
    batch = {"reports": [report(f"p{i}", {"id": f"o{i}", "kind": "unit"}) for i in range(101)]}
    assert (await client.post("/api/v1/reports/batch", json=batch, headers=police)).status_code == 200
    for path, key in ((REPORTS, "reports"), (CHANGES, "changes")):
        page = await get_json(client, path, police)
        assert ([entry["seq"] for entry in page[key]], page["last_seq"]) == (list(range(1, 101)), 100)
        rest = await get_json(client, path, police, after_seq=100)
        assert ([entry["seq"] for entry in rest[key]], rest["last_seq"]) == ([101], 101)


# --- parameters -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [REPORTS, CHANGES])
async def test_list_limits_are_checked(client: httpx.AsyncClient, police: Headers, path: str) -> None:
    """limit must lie in 1..1000 and after_seq must not be negative: 422 naming the parameter."""
    for params, name in (({"limit": 1001}, "limit"), ({"limit": 0}, "limit"), ({"after_seq": -1}, "after_seq"),
                         ({"limit": "many"}, "limit")):  # fmt: skip
        response = await client.get(path, params=params, headers=police)
        assert response.status_code == 422, params
        assert [d["path"] for d in response.json()["error"]["details"]] == [name]
    assert (await client.get(path, params={"limit": 1000}, headers=police)).status_code == 200


@pytest.mark.parametrize("path", [INCIDENTS, "/api/v1/picture"])
async def test_a_malformed_bbox_is_422(client: httpx.AsyncClient, police: Headers, path: str) -> None:
    """A bbox that is not four numbers minlon,minlat,maxlon,maxlat in range and order is 422 naming bbox."""
    for bbox in ("1,2,3", "a,b,c,d", "5,51,4,52", "4,52,5,51", "0,0,200,1", "0,-91,1,1", "1,2,3,4,5", ""):
        response = await client.get(path, params={"bbox": bbox}, headers=police)
        assert response.status_code == 422, bbox
        assert [d["path"] for d in response.json()["error"]["details"]] == ["bbox"]


async def test_reads_need_the_read_role(client: httpx.AsyncClient, partner: MakePartner) -> None:
    """Every read path answers 401 without a token and 403 with a token that lacks ``read``."""
    sender = await partner("politie", roles=("report",))
    for path in (INCIDENTS, f"{INCIDENTS}/x", f"{INCIDENTS}/x/picture", "/api/v1/picture", f"{INCIDENTS}/x/objects/a",
                 REPORTS, CHANGES):  # fmt: skip
        assert (await client.get(path)).status_code == 401, path
        assert (await client.get(path, headers=sender)).status_code == 403, path


async def test_as_of_reads_a_long_history_page_by_page(
    client: httpx.AsyncClient, police: Headers, fire: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay read a few reports at a time (pages of 3 here) gives the picture the live one is, restricted
    reports and other incidents in between included."""
    from app.services import reading

    monkeypatch.setattr(reading, "AS_OF_PAGE", 3)
    for n in range(10):
        await accept(client, police if n % 2 else fire, report(f"r{n}", {"id": f"o{n % 4}", "properties": {"n": n}},
                                                              observed_at=at(f"14:{n:02d}")))  # fmt: skip
        await accept(client, police, report(f"x{n}", {"id": "other", "kind": "unit"}, incident="flood-b"))
    await accept(client, police, report("secret", {"id": "o1", "properties": {"n": 99}}, observed_at=at("14:30"),
                                        visibility="restricted", audience=["politie"]))  # fmt: skip
    path = f"{INCIDENTS}/flood-test/picture"
    for viewer in (police, fire):
        live = await get_json(client, path, viewer)
        replayed = await get_json(client, path, viewer, as_of="2999-01-01T00:00:00Z")
        assert replayed["objects"] == live["objects"]
        assert len(live["objects"]) == 4


async def test_many_incidents_read_in_one_pass_give_what_they_give_key_by_key(
    client: httpx.AsyncClient, police: Headers, fire: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The combined picture of more incidents than SCAN_ALL_FROM (one pass over all objects, sifted) is the one
    read incident by incident, restricted views included."""
    from app.services import reading

    for n in range(6):
        unit = {"id": "o", "kind": "unit", "properties": {"n": n}}
        await accept(client, police if n % 2 else fire, report(f"r{n}", unit, incident=f"flood-{n}"))
    secret = {"id": "o", "properties": {"n": 99}}
    await accept(client, police, report("secret", secret, incident="flood-1", observed_at=at("15:00"),
                                        visibility="restricted", audience=["politie"]))  # fmt: skip
    for viewer in (police, fire):
        monkeypatch.setattr(reading, "SCAN_ALL_FROM", 1000)
        key_by_key = await get_json(client, "/api/v1/picture", viewer, incident=["flood-1", "flood-2", "flood-4"])
        monkeypatch.setattr(reading, "SCAN_ALL_FROM", 2)
        one_pass = await get_json(client, "/api/v1/picture", viewer, incident=["flood-1", "flood-2", "flood-4"])
        assert one_pass == key_by_key
        assert [(o["incident"], o["properties"]["n"]) for o in one_pass["objects"]] == [
            ("flood-1", 99 if viewer is police else 1), ("flood-2", 2), ("flood-4", 4)]
