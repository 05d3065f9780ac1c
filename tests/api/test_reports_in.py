"""Reports in (spec section 3): every refusal, idempotent retries and batches, through the HTTP API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from app.config import Settings
from app.main import create_app
from tests.api.conftest import Headers
from tests.api.support import BATCH, JSON_BODY, REPORTS, Json, accept, get_json, point, report_seqs
from tests.conftest import ADMIN, MakePartner, report

MIB = 1024 * 1024
ROADBLOCK = {"id": "rb-1", "kind": "roadblock", "geometry": point(4.67, 51.80)}
UNCLOSED_RING = {"type": "Polygon", "coordinates": [[[4.66, 51.80], [4.68, 51.80], [4.68, 51.81], [4.66, 51.81]]]}


def valid(report_id: str = "r1", **extra: Any) -> Json:
    """A valid report about an incident of its own ("elsewhere"), so that a refused one must not create it."""
    return report(report_id, dict(ROADBLOCK), **{"incident": "elsewhere", **extra})


def future(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def without(key: str) -> Callable[[], Json]:
    def body() -> Json:
        result = valid()
        del result[key]
        return result

    return body


def with_objects(*objects: Json) -> Callable[[], Json]:
    return lambda: report("r1", *objects, incident="elsewhere")


def with_fields(**fields: Any) -> Callable[[], Json]:
    return lambda: valid(**fields)


INVALID: dict[str, tuple[Callable[[], Json], str]] = {
    "unknown top-level field": (with_fields(priority="high"), "priority"),
    "missing id": (without("id"), "id"),
    "missing incident": (without("incident"), "incident"),
    "missing observed_at": (without("observed_at"), "observed_at"),
    "empty id": (with_fields(id=""), "id"),
    "id over 200 characters": (with_fields(id="r" * 201), "id"),
    "id not printable": (with_fields(id="r\n1"), "id"),
    "bad incident slug": (with_fields(incident="Flood Dordrecht"), "incident"),
    "observed_at without offset": (with_fields(observed_at="2026-11-27T14:00:00"), "observed_at"),
    "observed_at not a string": (with_fields(observed_at=1764248400), "observed_at"),
    "observed_at over 5 minutes ahead": (lambda: valid(observed_at=future(10)), "observed_at"),
    "unknown incident_info field": (with_fields(incident_info={"owner": "x"}), "incident_info.owner"),
    "bad incident status": (with_fields(incident_info={"status": "open"}), "incident_info.status"),
    "grip out of range": (with_fields(incident_info={"grip": 7}), "incident_info.grip"),
    "bad visibility": (with_fields(visibility="secret"), "visibility"),
    "over 1000 objects": (with_objects(*({"id": f"o{i}", "kind": "unit"} for i in range(1001))), "objects"),
    "duplicate object id": (with_objects(dict(ROADBLOCK), {"id": "rb-1", "removed": True}), "objects[1].id"),
    "object id over 200 characters": (with_objects({"id": "o" * 201, "kind": "unit"}), "objects[0].id"),
    "reserved property key": (with_objects({"id": "a", "properties": {"kind": "x"}}), "objects[0].properties.kind"),
    "property value over 8 KiB": (
        with_objects({"id": "a", "properties": {"note": "x" * (8 * 1024)}}),
        "objects[0].properties.note",
    ),
    "unclosed ring": (
        with_objects(dict(ROADBLOCK), {"id": "area", "geometry": UNCLOSED_RING}),
        "objects[1].geometry.coordinates[0]",
    ),
    "longitude out of range": (
        with_objects({"id": "a", "geometry": point(181, 51.8)}),
        "objects[0].geometry.coordinates",
    ),
    "latitude out of range": (
        with_objects({"id": "a", "geometry": {"type": "LineString", "coordinates": [[4, 51], [4, 95]]}}),
        "objects[0].geometry.coordinates[1]",
    ),
    "unknown geometry type": (
        with_objects({"id": "a", "geometry": {"type": "Circle", "coordinates": [4, 51]}}),
        "objects[0].geometry.type",
    ),
    "bad kind slug": (with_objects({"id": "a", "kind": "Road Block"}), "objects[0].kind"),
    "removed not a bool": (with_objects({"id": "a", "removed": "yes"}), "objects[0].removed"),
    "object entry asserting nothing": (with_objects({"id": "a"}), "objects[0]"),
    "object entry with empty properties": (with_objects({"id": "a", "properties": {}}), "objects[0]"),
    "restricted without audience": (with_fields(visibility="restricted"), "audience"),
    "audience with partners": (with_fields(visibility="partners", audience=["ghor"]), "audience"),
    "audience without visibility": (with_fields(audience=["ghor"]), "audience"),
    "audience naming an unknown organisation": (
        with_fields(visibility="restricted", audience=["onbekend"]),
        "audience[0]",
    ),
}


@pytest.fixture
async def sender(partner: MakePartner) -> Headers:
    """A police token, with GHOR registered as a possible audience."""
    await partner("ghor", discipline="medical")
    return await partner("politie", discipline="police")


def error_paths(response: httpx.Response) -> list[str]:
    error = response.json()["error"]
    assert error["code"] == "invalid"
    return [detail["path"] for detail in error["details"]]


async def assert_nothing_stored(client: httpx.AsyncClient, headers: Headers) -> None:
    """The next accepted report takes seq 1 and is the only report, about the only incident."""
    answer = await accept(client, headers, report("after-refusal", dict(ROADBLOCK)))
    assert answer["seq"] == 1
    assert await report_seqs(client, headers) == [1]
    incidents = await get_json(client, "/api/v1/incidents", headers)
    assert [(i["id"], i["object_count"]) for i in incidents["incidents"]] == [("flood-test", 1)]


# --- 401, 403 ---------------------------------------------------------------------------------------------

NOT_VALID_TOKENS = [None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token ncp_abc", "Bearer ncp_unknown"]


def one_of_each(path: str) -> Json:
    return valid() if path == REPORTS else {"reports": [valid()]}


async def test_reports_without_a_valid_token_are_401(client: httpx.AsyncClient, sender: Headers) -> None:
    """A missing header, another scheme, an empty or an unknown bearer token answers 401 and stores nothing."""
    statuses = {}
    for path in (REPORTS, BATCH):
        for authorization in NOT_VALID_TOKENS:
            headers = {} if authorization is None else {"Authorization": authorization}
            response = await client.post(path, json=one_of_each(path), headers=headers)
            statuses[(path, authorization)] = (response.status_code, response.json()["error"]["code"])
    assert set(statuses.values()) == {(401, "unauthorized")}
    await assert_nothing_stored(client, sender)


async def test_a_revoked_token_is_401_on_the_next_request(client: httpx.AsyncClient, partner: MakePartner) -> None:
    """A token that pushed a report is refused with 401 on the request right after its revocation."""
    await partner("politie")
    issued = await client.post("/api/v1/organisations/politie/tokens", json={"roles": ["report"]}, headers=ADMIN)
    token = issued.json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    await accept(client, headers, valid("r1"))
    assert (await client.delete(f"/api/v1/tokens/{token['id']}", headers=ADMIN)).status_code == 204
    response = await client.post(REPORTS, json=valid("r2"), headers=headers)
    assert response.status_code == 401
    batch = await client.post(BATCH, json={"reports": [valid("r3")]}, headers=headers)
    assert batch.status_code == 401


async def test_a_token_without_the_report_role_is_403(
    client: httpx.AsyncClient, partner: MakePartner, sender: Headers
) -> None:
    """A valid token of an organisation that holds only ``read`` may not push reports: 403, nothing stored."""
    reader = await partner("brandweer", roles=("read",))
    for path in (REPORTS, BATCH):
        response = await client.post(path, json=one_of_each(path), headers=reader)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    await assert_nothing_stored(client, sender)


async def test_the_service_admin_token_cannot_push_reports(client: httpx.AsyncClient, sender: Headers) -> None:
    """The NETCOP_ADMIN_TOKEN holds only ``admin`` and belongs to no organisation: 403, nothing stored."""
    for path in (REPORTS, BATCH):
        response = await client.post(path, json=one_of_each(path), headers=ADMIN)
        assert response.status_code == 403
    await assert_nothing_stored(client, sender)


# --- 400, 413 ---------------------------------------------------------------------------------------------


async def test_a_body_that_is_not_json_is_400(client: httpx.AsyncClient, sender: Headers) -> None:
    """A body that does not parse as JSON answers 400 with the error shape, and stores nothing."""
    headers = sender | {"Content-Type": "application/json"}
    for path in (REPORTS, BATCH):
        for content in (b"", b"not json", b'{"id": "r1",', b"\xff\xfe", b"{'id': 'r1'}"):
            response = await client.post(path, content=content, headers=headers)
            assert response.status_code == 400, (path, content)
            error = response.json()["error"]
            assert (error["code"], error["details"]) == ("bad_request", [])
    await assert_nothing_stored(client, sender)


async def test_a_report_over_1_mib_is_413(client: httpx.AsyncClient, sender: Headers) -> None:
    """A single report body over 1 MiB answers 413 (even when it is valid JSON) and stores nothing."""
    content = orjson.dumps(valid()) + b" " * MIB
    response = await client.post(REPORTS, content=content, headers=sender | JSON_BODY)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    await assert_nothing_stored(client, sender)


async def test_a_streamed_report_over_1_mib_is_413(client: httpx.AsyncClient, sender: Headers) -> None:
    """The 1 MiB limit also holds for a chunked body that declares no length."""

    async def chunks() -> AsyncIterator[bytes]:
        yield orjson.dumps(valid())
        for _ in range(17):
            yield b" " * 65536

    response = await client.post(REPORTS, content=chunks(), headers=sender | JSON_BODY)
    assert response.status_code == 413
    await assert_nothing_stored(client, sender)


async def test_a_batch_over_16_mib_is_413(client: httpx.AsyncClient, sender: Headers) -> None:
    """A batch body over 16 MiB answers 413 and stores none of its reports."""
    content = b'{"reports": [' + orjson.dumps(valid()) + b"]" + b" " * (16 * MIB) + b"}"
    response = await client.post(BATCH, content=content, headers=sender | JSON_BODY)
    assert response.status_code == 413
    await assert_nothing_stored(client, sender)


def bulky(report_id: str, size: int) -> Json:
    """A valid report of roughly ``size`` bytes (properties of 7,000 characters each)."""
    objects = [{"id": f"o{i}", "properties": {"note": "x" * 7000}} for i in range(size // 7050 + 1)]
    return report(report_id, *objects)


async def test_a_batch_may_exceed_1_mib_but_not_its_reports(client: httpx.AsyncClient, sender: Headers) -> None:
    """A batch over 1 MiB is taken; in it, a report over 1 MiB is refused on its own and the others accepted."""
    body = {"reports": [bulky("a", 700_000), bulky("too-big", MIB + 1000), bulky("b", 700_000)]}
    response = await client.post(BATCH, json=body, headers=sender)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [("a", 201), ("too-big", 422), ("b", 201)]
    assert results[1]["error"]["details"][0]["path"] == "reports[1]"
    assert [results[0]["seq"], results[2]["seq"]] == [1, 2]


# --- 422 --------------------------------------------------------------------------------------------------


async def test_an_invalid_report_is_422_naming_the_path(client: httpx.AsyncClient, sender: Headers) -> None:
    """Each invalid report answers 422 naming exactly the offending path; none changes anything or takes a seq."""
    found: dict[str, set[str] | int] = {}
    for case, (make, _) in INVALID.items():
        response = await client.post(REPORTS, json=make(), headers=sender)
        found[case] = set(error_paths(response)) if response.status_code == 422 else response.status_code
        assert all(detail["message"] for detail in response.json()["error"]["details"])
    assert found == {case: {path} for case, (_, path) in INVALID.items()}
    await assert_nothing_stored(client, sender)


async def test_invalid_reports_in_a_batch_are_422_at_their_index(client: httpx.AsyncClient, sender: Headers) -> None:
    """In a batch, each invalid report is refused with 422 under ``reports[i]``; the valid ones between them are
    accepted with gap-free seqs."""
    cases = list(INVALID.items())
    reports: list[Json] = []
    for n, (_, (make, _)) in enumerate(cases):
        reports.extend([valid(f"ok-{n}"), make()])
    response = await client.post(BATCH, json={"reports": reports}, headers=sender)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 422] * len(cases)
    found = {case: {d["path"] for d in results[2 * n + 1]["error"]["details"]} for n, (case, _) in enumerate(cases)}
    assert found == {case: {f"reports[{2 * n + 1}].{path}"} for n, (case, (_, path)) in enumerate(cases)}
    assert [r["seq"] for r in results[::2]] == list(range(1, len(cases) + 1))
    assert await report_seqs(client, sender) == list(range(1, len(cases) + 1))


async def test_a_report_that_is_not_an_object_is_422(client: httpx.AsyncClient, sender: Headers) -> None:
    """JSON that is not an object at all is refused with 422 and stores nothing."""
    for body in ([], "report", 42, None, [valid()]):
        response = await client.post(REPORTS, content=orjson.dumps(body), headers=sender | JSON_BODY)
        assert response.status_code == 422, body
    await assert_nothing_stored(client, sender)


async def test_several_errors_are_all_named(client: httpx.AsyncClient, sender: Headers) -> None:
    """A report with several semantic errors names each of them."""
    body = report(
        "r1",
        {"id": "a", "properties": {"geometry": 1}},
        {"id": "a", "geometry": UNCLOSED_RING},
        visibility="partners",
        audience=["ghor"],
    )
    response = await client.post(REPORTS, json=body, headers=sender)
    assert response.status_code == 422
    assert set(error_paths(response)) == {
        "audience",
        "objects[0].properties.geometry",
        "objects[1].id",
        "objects[1].geometry.coordinates[0]",
    }


async def test_restricted_with_a_known_audience_is_accepted(client: httpx.AsyncClient, sender: Headers) -> None:
    """The counterpart of the audience refusals: restricted to an existing organisation is taken (201)."""
    answer = await accept(client, sender, valid(visibility="restricted", audience=["ghor"]))
    assert answer["seq"] == 1


async def test_observed_at_within_5_minutes_ahead_is_accepted(client: httpx.AsyncClient, sender: Headers) -> None:
    """A clock a little ahead (under 5 minutes) is tolerated."""
    await accept(client, sender, valid(observed_at=future(4)))


# --- answers and idempotency ------------------------------------------------------------------------------


async def test_an_accepted_report_answers_201_with_its_receipt(client: httpx.AsyncClient, sender: Headers) -> None:
    """201 carries id, organisation, incident, seq, received_at and the changed object ids, nothing else."""
    response = await client.post(REPORTS, json=valid(), headers=sender)
    assert response.status_code == 201
    answer = response.json()
    assert set(answer) == {"id", "organisation", "incident", "seq", "received_at", "changed"}
    assert (answer["id"], answer["organisation"], answer["incident"]) == ("r1", "politie", "elsewhere")
    assert answer["seq"] == 1
    assert answer["received_at"].endswith("Z")
    assert answer["changed"] == ["rb-1"]


async def test_an_identical_retry_is_200_with_the_stored_answer(client: httpx.AsyncClient, sender: Headers) -> None:
    """Sending the same id with the same body again answers 200 with exactly the first answer, and adds nothing."""
    first = await accept(client, sender, valid())
    retry = await client.post(REPORTS, json=valid(), headers=sender)
    assert retry.status_code == 200
    assert retry.json() == first
    assert await report_seqs(client, sender) == [1]


async def test_a_retry_is_identical_regardless_of_key_order_and_white_space(
    client: httpx.AsyncClient, sender: Headers
) -> None:
    """Equal as JSON values is identical: reordered keys and other white space, sent as raw bytes, answer 200."""
    first = await accept(client, sender, valid())
    reordered = {key: valid()[key] for key in reversed(list(valid()))}
    reordered["objects"] = [{key: ROADBLOCK[key] for key in reversed(list(ROADBLOCK))}]
    content = orjson.dumps(reordered, option=orjson.OPT_INDENT_2).replace(b"\n", b"\r\n\t ")
    retry = await client.post(REPORTS, content=content, headers=sender | JSON_BODY)
    assert retry.status_code == 200
    assert retry.json() == first
    assert await report_seqs(client, sender) == [1]


async def test_an_integral_float_is_the_same_json_value(client: httpx.AsyncClient, sender: Headers) -> None:
    """``1`` and ``1.0`` are equal JSON values: a retry that spells a number differently answers 200."""
    first = await accept(client, sender, report("r1", {"id": "a", "properties": {"n": 1}}))
    retry = await client.post(REPORTS, json=report("r1", {"id": "a", "properties": {"n": 1.0}}), headers=sender)
    assert retry.status_code == 200
    assert retry.json() == first


async def test_reusing_an_id_with_another_valid_body_is_409(client: httpx.AsyncClient, sender: Headers) -> None:
    """The same organisation reusing an id with a different, valid body gets 409 and the picture keeps the first."""
    await accept(client, sender, report("r1", {"id": "a", "properties": {"n": 1}}))
    response = await client.post(REPORTS, json=report("r1", {"id": "a", "properties": {"n": 2}}), headers=sender)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    picture = await get_json(client, "/api/v1/incidents/flood-test/picture", sender)
    assert [o["properties"] for o in picture["objects"]] == [{"n": 1}]
    assert await report_seqs(client, sender) == [1]


async def test_reusing_an_id_with_an_invalid_body_is_422(client: httpx.AsyncClient, sender: Headers) -> None:
    """A reused id with a body that is both different and invalid is refused as invalid (422), not as a conflict."""
    await accept(client, sender, valid())
    response = await client.post(REPORTS, json=valid(visibility="restricted"), headers=sender)
    assert response.status_code == 422
    assert error_paths(response) == ["audience"]
    assert await report_seqs(client, sender) == [1]


async def test_the_same_id_from_another_organisation_is_a_new_report(
    client: httpx.AsyncClient, sender: Headers, partner: MakePartner
) -> None:
    """Report ids are unique within an organisation only: another organisation's ``r1`` is accepted."""
    fire = await partner("brandweer")
    await accept(client, sender, valid())
    answer = await accept(client, fire, report("r1", {"id": "rb-1", "properties": {"note": "seen"}}))
    assert (answer["organisation"], answer["seq"]) == ("brandweer", 2)


async def test_a_retry_is_answered_before_the_body_is_checked_again(
    client: httpx.AsyncClient, sender: Headers, settings: Settings
) -> None:
    """A retry of an accepted report answers 200 even where a stricter server would now find the body invalid."""
    body = valid(observed_at=future(3))
    first = await accept(client, sender, body)
    strict = create_app(settings.model_copy(update={"future_tolerance_seconds": 0.0}))
    async with strict.router.lifespan_context(strict):
        transport = httpx.ASGITransport(app=strict)
        async with httpx.AsyncClient(transport=transport, base_url="http://netcop.test") as other:
            fresh = await other.post(REPORTS, json=valid("r2", observed_at=body["observed_at"]), headers=sender)
            retry = await other.post(REPORTS, json=body, headers=sender)
            in_batch = await other.post(BATCH, json={"reports": [body]}, headers=sender)
    assert fresh.status_code == 422
    assert retry.status_code == 200
    assert retry.json() == first
    assert in_batch.json() == {"results": [{"status": 200, **first}]}


async def test_concurrent_identical_retries_make_one_report(client: httpx.AsyncClient, sender: Headers) -> None:
    """50 identical submissions at once are one report: one 201, 49 times 200 with the same answer."""
    body = valid()
    responses = await asyncio.gather(*(client.post(REPORTS, json=body, headers=sender) for _ in range(50)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 49 + [201]
    assert len({r.content for r in responses}) == 1
    assert await report_seqs(client, sender) == [1]


async def test_concurrent_reports_take_gap_free_seqs(
    client: httpx.AsyncClient, sender: Headers, partner: MakePartner
) -> None:
    """Reports sent at once by two organisations, alone and in batches, all get distinct seqs 1..n without gaps."""
    fire = await partner("brandweer")
    singles = [client.post(REPORTS, json=valid(f"s{i}"), headers=(sender, fire)[i % 2]) for i in range(20)]
    batches = [client.post(BATCH, json={"reports": [valid(f"b{i}-{j}") for j in range(5)]}, headers=fire)
               for i in range(4)]  # fmt: skip
    responses = await asyncio.gather(*singles, *batches)
    seqs = [r.json()["seq"] for r in responses[:20]]
    seqs += [item["seq"] for r in responses[20:] for item in r.json()["results"]]
    assert sorted(seqs) == list(range(1, 41))
    assert await report_seqs(client, sender) == list(range(1, 41))


# --- batches ----------------------------------------------------------------------------------------------


async def test_a_batch_answers_each_report_in_input_order(client: httpx.AsyncClient, sender: Headers) -> None:
    """Results come in input order, each accepted (201), retried (200), conflicting (409) or invalid (422) on its own,
    and the accepted ones take gap-free seqs."""
    stored = await accept(client, sender, report("old", {"id": "a", "properties": {"n": 1}}))
    body = {
        "reports": [
            report("new-1", {"id": "b", "kind": "unit"}),
            report("old", {"id": "a", "properties": {"n": 1}}),
            report("old", {"id": "a", "properties": {"n": 2}}),
            report("bad", {"id": "c"}),
            report("new-2", {"id": "c", "kind": "unit"}),
        ]
    }
    response = await client.post(BATCH, json=body, headers=sender)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [
        ("new-1", 201),
        ("old", 200),
        ("old", 409),
        ("bad", 422),
        ("new-2", 201),
    ]
    assert {k: v for k, v in results[1].items() if k != "status"} == stored
    assert results[2]["error"]["code"] == "conflict"
    assert [d["path"] for d in results[3]["error"]["details"]] == ["reports[3].objects[0]"]
    assert (results[0]["seq"], results[4]["seq"]) == (2, 3)
    assert results[0]["organisation"] == "politie"
    assert await report_seqs(client, sender) == [1, 2, 3]


async def test_a_duplicate_id_inside_one_batch(client: httpx.AsyncClient, sender: Headers) -> None:
    """Within one batch a repeated id is a retry of the first (200, same answer) when identical, else 409."""
    body = {
        "reports": [
            report("dup", {"id": "a", "properties": {"n": 1}}),
            report("dup", {"id": "a", "properties": {"n": 1}}),
            report("dup", {"id": "a", "properties": {"n": 2}}),
        ]
    }
    response = await client.post(BATCH, json=body, headers=sender)
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 200, 409]
    assert {k: v for k, v in results[1].items() if k != "status"} == {
        k: v for k, v in results[0].items() if k != "status"
    }
    assert await report_seqs(client, sender) == [1]
    picture = await get_json(client, "/api/v1/incidents/flood-test/picture", sender)
    assert [o["properties"] for o in picture["objects"]] == [{"n": 1}]


async def test_a_report_refused_in_a_batch_took_no_seq(client: httpx.AsyncClient, sender: Headers) -> None:
    """An unknown-audience report refused in a batch is refused again when sent alone: it never took a seq."""
    bad = valid("r1", visibility="restricted", audience=["onbekend"])
    response = await client.post(BATCH, json={"reports": [bad]}, headers=sender)
    assert [r["status"] for r in response.json()["results"]] == [422]
    assert (await client.post(REPORTS, json=bad, headers=sender)).status_code == 422
    await assert_nothing_stored(client, sender)


async def test_a_batch_over_1000_reports_is_422(client: httpx.AsyncClient, sender: Headers) -> None:
    """A batch of 1001 reports is refused whole with 422 at ``reports``."""
    body = {"reports": [valid(f"r{i}") for i in range(1001)]}
    response = await client.post(BATCH, json=body, headers=sender)
    assert response.status_code == 422
    assert error_paths(response) == ["reports"]
    await assert_nothing_stored(client, sender)


async def test_a_batch_not_shaped_as_reports_list_is_422(client: httpx.AsyncClient, sender: Headers) -> None:
    """A batch body that is not exactly ``{"reports": [...]}`` is refused whole with 422 at ``reports``."""
    shapes: list[Any] = [[], [valid()], {}, {"reports": {}}, {"reports": "r1"}, {"reports": [valid()], "extra": 1},
                         {"report": [valid()]}, valid()]  # fmt: skip
    for body in shapes:
        response = await client.post(BATCH, content=orjson.dumps(body), headers=sender | JSON_BODY)
        assert response.status_code == 422, body
        assert error_paths(response) == ["reports"]
    await assert_nothing_stored(client, sender)


async def test_an_empty_batch_answers_no_results(client: httpx.AsyncClient, sender: Headers) -> None:
    """``{"reports": []}`` is a valid batch with no results."""
    response = await client.post(BATCH, json={"reports": []}, headers=sender)
    assert response.status_code == 200
    assert response.json() == {"results": []}
