"""Hostile request bodies are refused cheaply and store nothing: deep nesting, oversized bodies (refused from the
declared Content-Length before the body is read), oversized values, too many objects, bytes that are not UTF-8,
numbers too long for a double; duplicate keys are read one way everywhere.

No test here times anything: "cheaply" is asserted as what was read (the bytes taken from the client) and what
was stored (nothing).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from app.api.json_input import MAX_JSON_DEPTH
from tests.api.support import BATCH, REPORTS, get_json
from tests.conftest import ADMIN, MakePartner, report

Headers = dict[str, str]
JSON = {"content-type": "application/json"}
MiB = 1024 * 1024


@pytest.fixture
async def police(partner: MakePartner) -> Headers:
    return {**await partner("politie", discipline="police"), **JSON}


async def stored_seq(client: httpx.AsyncClient, headers: Headers) -> int:
    """The seq of the last report stored."""
    body = await get_json(client, REPORTS, headers)
    last: int = body["last_seq"]
    return last


async def stored_report(client: httpx.AsyncClient, headers: Headers, report_id: str) -> dict[str, Any]:
    """The report as the log keeps it."""
    reports: list[dict[str, Any]] = (await get_json(client, REPORTS, headers))["reports"]
    return next(r for r in reports if r["id"] == report_id)


def nested(depth: int, inner: bytes = b"1") -> bytes:
    return b"[" * depth + inner + b"]" * depth


def with_property(value: bytes, report_id: str = "deep") -> bytes:
    """A report whose one object carries ``value`` (raw JSON) as property ``p``."""
    head = orjson.dumps(report(report_id, {"id": "o", "properties": {"p": 0}}))
    return head.replace(b'{"p":0}', b'{"p":' + value + b"}")


class Counted:
    """A request body that counts what the server took of it."""

    def __init__(self, size: int, chunk: int = 64 * 1024) -> None:
        self.size, self.chunk, self.sent = size, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.size:
            piece = b" " * min(self.chunk, self.size - self.sent)
            self.sent += len(piece)
            yield piece


# --- deep nesting -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [100_000, 1025])
async def test_a_deeply_nested_body_is_refused(client: httpx.AsyncClient, police: Headers, depth: int) -> None:
    """A body of 100,000 (or 1,025) nested arrays is refused with 400 by the parser, and nothing is stored."""
    for path in (REPORTS, BATCH):
        response = await client.post(path, content=nested(depth), headers=police)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "bad_request"
    assert await stored_seq(client, police) == 0


@pytest.mark.parametrize("depth", [100_000, 1000, 251, MAX_JSON_DEPTH])
async def test_deep_nesting_inside_properties_is_refused(
    client: httpx.AsyncClient, police: Headers, depth: int
) -> None:
    """A property value nested beyond the body's depth limit is refused with 400 (single and batch), not a 500."""
    body = with_property(nested(depth))
    response = await client.post(REPORTS, content=body, headers=police)
    assert response.status_code == 400, response.text
    assert "nests deeper" in response.text or "depth limit" in response.text
    response = await client.post(BATCH, content=b'{"reports": [' + body + b"]}", headers=police)
    assert response.status_code == 400, response.text
    assert await stored_seq(client, police) == 0


async def test_the_deepest_accepted_value_renders_everywhere(client: httpx.AsyncClient, police: Headers) -> None:
    """A report at the depth limit is stored, and every view of it (picture, GeoJSON, changes, history) renders."""
    depth = MAX_JSON_DEPTH - 4  # the report itself, objects, the object and properties take four levels
    response = await client.post(REPORTS, content=with_property(nested(depth)), headers=police)
    assert response.status_code == 201, response.text
    for path in (
        "/api/v1/incidents/flood-test/picture",
        "/api/v1/picture?format=geojson",
        "/api/v1/changes",
        "/api/v1/reports",
        "/api/v1/incidents/flood-test/objects/o?history=true",
    ):
        assert (await client.get(path, headers=police)).status_code == 200, path


# --- size -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "limit"), [(REPORTS, 1 * MiB), (BATCH, 16 * MiB)])
async def test_a_declared_oversized_body_is_refused_unread(
    client: httpx.AsyncClient, police: Headers, path: str, limit: int
) -> None:
    """A 20 MiB body is refused with 413 from its Content-Length, before the server reads any of it."""
    body = Counted(20 * MiB)
    headers = {**police, "content-length": str(body.size)}
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == 413, response.text
    assert body.sent <= 64 * 1024  # at most the first chunk, which the client may push before the answer
    assert await stored_seq(client, police) == 0


@pytest.mark.parametrize(("path", "limit"), [(REPORTS, 1 * MiB), (BATCH, 16 * MiB)])
async def test_an_undeclared_oversized_body_is_cut_at_the_limit(
    client: httpx.AsyncClient, police: Headers, path: str, limit: int
) -> None:
    """A chunked 20 MiB body (no Content-Length) is refused with 413 once it passes the limit, not at its end."""
    body = Counted(20 * MiB)
    response = await client.post(path, content=body, headers=police)
    assert response.status_code == 413, response.text
    assert body.sent <= limit + body.chunk


@pytest.mark.parametrize("path", ["/api/v1/organisations", "/api/v1/organisations/politie/tokens"])
@pytest.mark.parametrize("declared", [True, False])
async def test_admin_bodies_are_read_only_after_authentication_and_capped(
    client: httpx.AsyncClient, path: str, declared: bool
) -> None:
    """Without a token an admin body is not read (401); with the admin token at most 64 KiB is read (413)."""
    body = Counted(20 * MiB)
    headers = {**JSON, "content-length": str(body.size)} if declared else JSON
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert body.sent <= 128 * 1024
    body = Counted(20 * MiB)
    response = await client.post(path, content=body, headers={**headers, **ADMIN})
    assert response.status_code == 413, response.text
    assert body.sent <= 128 * 1024


async def test_reports_authenticate_before_reading_the_body(client: httpx.AsyncClient) -> None:
    """Without a valid token a report body is not read at all: 401."""
    body = Counted(20 * MiB)
    response = await client.post(REPORTS, content=body, headers={**JSON, "Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert body.sent <= 64 * 1024


async def test_a_property_over_8_kib_is_refused(client: httpx.AsyncClient, police: Headers) -> None:
    """A property value over 8 KiB as compact JSON is a 422 naming it."""
    body = report("big", {"id": "o", "properties": {"note": "x" * (8 * 1024)}})
    response = await client.post(REPORTS, json=body, headers=police)
    assert response.status_code == 422, response.text
    assert [d["path"] for d in response.json()["error"]["details"]] == ["objects[0].properties.note"]
    assert await stored_seq(client, police) == 0


async def test_1001_objects_are_refused(client: httpx.AsyncClient, police: Headers) -> None:
    """A report with 1,001 objects is a 422 naming ``objects``."""
    body = report("many", *({"id": f"o{i}", "kind": "unit"} for i in range(1001)))
    response = await client.post(REPORTS, json=body, headers=police)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["path"] == "objects"
    assert await stored_seq(client, police) == 0


async def test_1001_reports_in_a_batch_are_refused(client: httpx.AsyncClient, police: Headers) -> None:
    """A batch of 1,001 reports is refused whole with a 422 naming ``reports``."""
    batch = {"reports": [report(f"r{i}", {"id": "o", "kind": "unit"}) for i in range(1001)]}
    response = await client.post(BATCH, json=batch, headers=police)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["path"] == "reports"
    assert await stored_seq(client, police) == 0


# --- bytes that are not (acceptable) JSON ----------------------------------------------------------------

NOT_JSON = {
    "invalid UTF-8": b'{"id": "\xff\xfe", "incident": "x"}',
    "a lone surrogate escape": b'{"id": "\\ud800", "incident": "flood-test", "observed_at": "2026-11-27T14:00:00Z"}',
    "a 100,000-digit integer": with_property(b"9" * 100_000),
    "a negative 100,000-digit integer": with_property(b"-" + b"9" * 100_000),
    "an exponent past a double": with_property(b"1e100000"),
    "NaN": with_property(b"NaN"),
    "empty": b"",
    "trailing garbage": orjson.dumps(report("x")) + b"x",
}


@pytest.mark.parametrize("body", NOT_JSON.values(), ids=NOT_JSON.keys())
async def test_bodies_that_are_not_json_are_refused(client: httpx.AsyncClient, police: Headers, body: bytes) -> None:
    """Bytes that are not JSON (or hold a number no double can carry) are a 400, single and batch alike."""
    response = await client.post(REPORTS, content=body, headers=police)
    assert response.status_code == 400, response.text
    if body:  # an empty report in a batch is an empty batch, which is fine
        response = await client.post(BATCH, content=b'{"reports": [' + body + b"]}", headers=police)
        assert response.status_code == 400, response.text
    assert await stored_seq(client, police) == 0


@pytest.mark.parametrize("path", ["/api/v1/changes", "/api/v1/reports", "/api/v1/audit"])
async def test_a_huge_query_number_is_refused(client: httpx.AsyncClient, police: Headers, path: str) -> None:
    """A resume point past the database's integer range (or past Python's 4,300-digit str limit) is a 422."""
    headers = ADMIN if path.endswith("audit") else police
    name = "after_id" if path.endswith("audit") else "after_seq"
    for value in ("9" * 4400, str(2**63)):
        response = await client.get(path, params={name: value}, headers=headers)
        assert response.status_code == 422, response.text


async def test_a_double_is_stored_and_its_retry_recognised(client: httpx.AsyncClient, police: Headers) -> None:
    """A number written as a double (1e300) is stored as one, and its retry is recognised as one."""
    body = with_property(b"1e300", report_id="huge")
    first = await client.post(REPORTS, content=body, headers=police)
    assert first.status_code == 201, first.text
    retry = await client.post(REPORTS, content=body, headers=police)
    assert retry.status_code == 200, retry.text
    picture = await get_json(client, "/api/v1/incidents/flood-test/picture", police)
    assert picture["objects"][0]["properties"]["p"] == 1e300


@pytest.mark.parametrize("value", [2**53, -(2**53), 2**64, 2**70, -9223372036854776833])
async def test_integers_beyond_what_json_peers_hold_exactly_are_refused(
    client: httpx.AsyncClient, police: Headers, value: int
) -> None:
    """An integer outside ±(2^53 - 1) is 422 at its path, and nothing is stored: it would not come back as sent
    (orjson read those past 64 bits as doubles; JavaScript peers round those past 53 bits)."""
    for body in (with_property(str(value).encode(), report_id="huge"),
                 with_property(b'{"deep": [1, ' + str(value).encode() + b"]}", report_id="deeper")):  # fmt: skip
        response = await client.post(REPORTS, content=body, headers=police)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"][0]["path"].startswith("objects[0].properties.p")
    batch = await client.post(BATCH, content=b'{"reports": [' + body + b"]}", headers=police)
    assert batch.status_code == 422, batch.text
    assert batch.json()["error"]["details"][0]["path"] == "reports[0].objects[0].properties.p.deep[1]"
    assert await stored_seq(client, police) == 0


async def test_the_largest_safe_integers_are_stored_and_returned_exactly(
    client: httpx.AsyncClient, police: Headers
) -> None:
    for index, value in enumerate((2**53 - 1, -(2**53 - 1))):
        body = with_property(str(value).encode(), report_id=f"safe-{index}")
        assert (await client.post(REPORTS, content=body, headers=police)).status_code == 201
        stored = await stored_report(client, police, f"safe-{index}")
        assert stored["objects"][0]["properties"]["p"] == value
        assert isinstance(stored["objects"][0]["properties"]["p"], int)


# --- duplicate keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (b'{"id": "first", "id": "dup", "incident": "flood-test", "observed_at": "2026-11-27T14:00:00+01:00",'
         b' "objects": [{"id": "o", "kind": "unit"}]}', "id"),
        (b'{"id": "r", "incident": "a", "observed_at": "2026-11-27T14:00:00+01:00", "incident" : "b",'
         b' "objects": [{"id": "o", "kind": "unit"}]}', "incident"),
        (b'{"id": "r", "incident": "flood-test", "observed_at": "2026-11-27T14:00:00+01:00",'
         b' "objects": [{"id": "o", "kind": "unit", "properties": {"n": {"a\\\\": 1, "a\\\\": 2}}}]}', "a\\"),
    ],
)  # fmt: skip
async def test_duplicate_keys_are_refused_naming_the_key(
    client: httpx.AsyncClient, police: Headers, body: bytes, key: str
) -> None:
    """A key given twice in one object is 400 naming the key (readers differ on which one counts), in a single
    report and in a batch, and nothing is stored."""
    for path, content in ((REPORTS, body), (BATCH, b'{"reports": [' + body + b"]}")):
        response = await client.post(path, content=content, headers=police)
        assert response.status_code == 400, response.text
        assert repr(key) in response.json()["error"]["message"]
    assert await stored_seq(client, police) == 0


async def test_keys_that_only_look_alike_are_accepted(client: httpx.AsyncClient, police: Headers) -> None:
    """Colons and escaped quotes inside strings, white space before a colon and the same key in two objects are
    not duplicates."""
    body = (b'{"id": "r", "incident" : "flood-test", "observed_at": "2026-11-27T14:00:00+01:00", "summary": "a\\": b",'
            b' "objects": [{"id": "o", "kind": "unit", "properties": {"k\\":": ":", "x": {"k\\":": 1}}}]}')  # fmt: skip
    response = await client.post(REPORTS, content=body, headers=police)
    assert response.status_code == 201, response.text
    stored = await stored_report(client, police, "r")
    assert stored["objects"][0]["properties"] == {'k":': ":", "x": {'k":': 1}}


# --- NUL characters (PostgreSQL cannot store them in text) ----------------------------------------------


async def test_nul_characters_in_report_values_are_kept(client: httpx.AsyncClient, police: Headers) -> None:
    """A NUL inside a summary, a property name or value, or a title is stored and read back as sent."""
    body = report(
        "nul",
        {"id": "o", "properties": {"a\u0000b": "c\u0000d"}},
        summary="x\u0000y",
        incident_info={"title": "t\u0000"},
    )
    response = await client.post(REPORTS, json=body, headers=police)
    assert response.status_code == 201, response.text
    stored = (await get_json(client, REPORTS, police))["reports"][0]
    assert stored["summary"] == "x\u0000y"
    assert stored["objects"][0]["properties"] == {"a\u0000b": "c\u0000d"}
    picture = await get_json(client, "/api/v1/incidents/flood-test/picture", police)
    assert picture["objects"][0]["properties"] == {"a\u0000b": "c\u0000d"}


async def test_a_nul_in_a_report_id_is_a_422_at_the_id(client: httpx.AsyncClient, police: Headers) -> None:
    """A report id with a NUL is not printable: 422 at ``id`` on both databases (its retry look-up, which would
    reach the database first, is never made)."""
    for index in range(2):  # also after a report was stored, when a retry look-up could find something
        response = await client.post(REPORTS, json=report("r\u0000", {"id": "o", "kind": "unit"}), headers=police)
        assert response.status_code == 422, response.text
        assert [d["path"] for d in response.json()["error"]["details"]] == ["id"]
        if index == 0:
            stored = await client.post(REPORTS, json=report("r", {"id": "o", "kind": "unit"}), headers=police)
            assert stored.status_code == 201, stored.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/organisations", {"id": "nul", "name": "a\u0000b", "discipline": "other", "country": "NL"}, "name"),
        ("/api/v1/organisations/politie/tokens", {"roles": ["read"], "label": "a\u0000"}, "label"),
    ],
)
async def test_a_nul_in_admin_text_is_refused_at_its_field(
    client: httpx.AsyncClient, police: Headers, path: str, body: dict[str, Any], field: str
) -> None:
    """A NUL in an organisation name or token label is 422 at its field on both databases, never a 500."""
    response = await client.post(path, json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert [d["path"] for d in response.json()["error"]["details"]] == [field]


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/api/v1/reports?incident=a%00", 422, "incident"),
        ("/api/v1/reports?organisation=a%00", 422, "organisation"),
        ("/api/v1/changes?incident=a%00", 422, "incident"),
        ("/api/v1/incidents?category=a%00", 422, "category"),
        ("/api/v1/picture?incident=a%00", 422, "incident"),
        ("/api/v1/picture?kind=a%00", 422, "kind"),
        ("/api/v1/incidents/flood-test/picture?kind=unit,a%00", 422, "kind"),
        ("/api/v1/incidents/a%00", 404, None),
        ("/api/v1/incidents/a%00/picture", 404, None),
        ("/api/v1/incidents/flood-test/objects/a%00", 404, None),
    ],
)
async def test_a_nul_in_a_query_or_path_is_answered_before_any_look_up(
    client: httpx.AsyncClient, police: Headers, path: str, status: int, field: str | None
) -> None:
    """A NUL in a query parameter is 422 at that parameter, in a path segment 404, alike on both databases
    (PostgreSQL cannot hold a NUL in text: asked, it fails)."""
    await client.post(REPORTS, json=report("r", {"id": "o", "kind": "unit"}), headers=police)
    response = await client.get(path, headers=police)
    assert response.status_code == status, response.text
    if field is not None:
        assert [d["path"] for d in response.json()["error"]["details"]] == [field]


async def test_a_nul_in_an_admin_path_is_404(client: httpx.AsyncClient, police: Headers) -> None:
    for method, path in (("POST", "/api/v1/organisations/a%00/tokens"), ("DELETE", "/api/v1/tokens/tok_%00"),
                         ("PUT", "/api/v1/incidents/a%00/coordinators")):  # fmt: skip
        response = await client.request(method, path, json={"roles": ["read"], "organisations": ["politie"]},
                                        headers=ADMIN)  # fmt: skip
        assert response.status_code == 404, (path, response.text)
