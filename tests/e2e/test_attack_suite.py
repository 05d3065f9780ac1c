"""The attack suite (issue: no partner can hurt another): every way found to make netcop mean, store or show
something other than what was sent, tried against a real server process as a hostile or clumsy partner would.
Each hostile request gets its 4xx and changes nothing; what was there before is still there, as it was.

The HTTP edge's own attacks (a huge head, slow senders, connection and handshake exhaustion) are in
``test_http_edge.py`` and ``test_connection_bounds.py``; secrets in logs and forged client addresses in
``test_secrets.py``; need-to-know on the stream in ``test_stream_visibility.py``; WebSocket abuse in
``tests/security/test_websocket_abuse.py``.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import ADMIN
from tests.support import streams
from tests.support.reports import fresh, unique
from tests.support.streams import Json, Token

pytestmark = [pytest.mark.e2e, pytest.mark.shared_servers()]

CLOCKWISE = [[4.60, 51.80], [4.60, 51.81], [4.61, 51.81], [4.61, 51.80], [4.60, 51.80]]
BOWTIE = [[4.60, 51.80], [4.61, 51.81], [4.61, 51.80], [4.60, 51.81], [4.60, 51.80]]


@pytest.fixture
async def owner(http: httpx.AsyncClient) -> Token:
    return await streams.issue(http, unique("veiligheidsregio"))


@pytest.fixture
async def intruder(http: httpx.AsyncClient) -> Token:
    return await streams.issue(http, unique("intruder"))


@pytest.fixture
async def incident(http: httpx.AsyncClient, owner: Token) -> str:
    """An incident the owner created (and so coordinates), with one object."""
    name = unique("chemical-fire")
    cordon = {"id": "cordon", "kind": "cordon", "properties": {"radius": 500}}
    await streams.post(http, owner, fresh(name, cordon, incident_info={"title": "Brand", "status": "active"}))
    return name


async def _picture(http: httpx.AsyncClient, token: Token, incident: str) -> Json:
    response = await http.get(f"/api/v1/incidents/{incident}/picture", headers=token.headers)
    assert response.status_code == 200, response.text
    picture: Json = response.json()
    return picture


async def _refused(response: httpx.Response, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    error: Json = response.json()["error"]
    assert error["code"] == code, error
    return error


async def test_another_partner_cannot_reclassify_or_close_an_incident(
    http: httpx.AsyncClient, owner: Token, intruder: Token, incident: str
) -> None:
    """Incident fields from an organisation that does not coordinate the incident are 403, and its objects stay
    in everyone's picture; naming itself coordinator is refused too."""
    before = await _picture(http, owner, incident)
    for info in ({"exercise": True}, {"status": "closed"}, {"title": "Oefening"}, {"grip": 0}):
        body = fresh(incident, {"id": "x", "kind": "unit"}, incident_info=info)
        await _refused(await http.post("/api/v1/reports", json=body, headers=intruder.headers), 403,
                       "not_coordinator")  # fmt: skip
    coordinators = {"organisations": [intruder.organisation]}
    await _refused(await http.put(f"/api/v1/incidents/{incident}/coordinators", json=coordinators,
                                  headers=intruder.headers), 403, "forbidden")  # fmt: skip
    assert await _picture(http, intruder, incident) == before | {"as_of": before["as_of"]}
    listed = (await http.get("/api/v1/incidents", headers=intruder.headers)).json()["incidents"]
    assert [i["status"] for i in listed if i["id"] == incident] == ["active"]


def _raw_report(report_id: str, incident: str, inner: bytes) -> bytes:
    """A report whose one object carries ``inner`` (raw JSON text) as its properties."""
    head = {"id": report_id, "incident": incident, "observed_at": "2026-11-27T14:00:00Z"}
    return orjson.dumps(head)[:-1] + b', "objects": [{"id": "o", "properties": ' + inner + b"}]}"


@pytest.mark.parametrize(
    ("inner", "content_type", "status", "code"),
    [
        (b'{"n": 1, "n": 2}', "application/json", 400, "bad_request"),
        (b'{"n": 1180591620717411303424}', "application/json", 422, "invalid"),
        (b'{"n": 9007199254740993}', "application/json", 422, "invalid"),
        (b'{"n": 1}', "text/plain", 415, "unsupported_media_type"),
        (b'{"n": 1}', None, 415, "unsupported_media_type"),
        (b'{"cafe\\u0301": 1}', "application/json", 422, "invalid"),
    ],
)
async def test_a_body_that_could_mean_two_things_is_refused_and_stores_nothing(
    http: httpx.AsyncClient, owner: Token, incident: str, inner: bytes, content_type: str | None, status: int,
    code: str,
) -> None:
    """Duplicate keys, integers JSON peers cannot hold exactly, a body not declared JSON, a name not in NFC."""
    headers = owner.headers | ({"Content-Type": content_type} if content_type else {})
    before = await _picture(http, owner, incident)
    body = _raw_report(unique("r"), incident, inner)
    await _refused(await http.post("/api/v1/reports", content=body, headers=headers), status, code)
    batch = await http.post("/api/v1/reports/batch", content=b'{"reports": [' + body + b"]}", headers=headers)
    if batch.status_code == 200:  # a name not in NFC is this report's fault alone: refused within the batch
        assert [r["status"] for r in batch.json()["results"]] == [status], batch.text
    else:  # what no reader can take apart into reports refuses the whole body
        await _refused(batch, status, code)
    assert (await _picture(http, owner, incident))["objects"] == before["objects"]


@pytest.mark.parametrize(
    ("geometry", "path"),
    [
        ({"type": "Point", "coordinates": [155000, 463000],
          "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}}, "objects[0].geometry.crs"),
        ({"type": "Polygon", "coordinates": [BOWTIE]}, "objects[0].geometry"),
    ],
)  # fmt: skip
async def test_geojson_that_other_tools_would_misread_is_refused(
    http: httpx.AsyncClient, owner: Token, incident: str, geometry: Json, path: str
) -> None:
    """A ``crs`` (positions are WGS 84 lon/lat) and a self-intersecting polygon are 422 at their path."""
    body = fresh(incident, {"id": "area", "kind": "area", "geometry": geometry})
    error = await _refused(await http.post("/api/v1/reports", json=body, headers=owner.headers), 422, "invalid")
    assert any(detail["path"].startswith(path) for detail in error["details"]), error


async def test_a_clockwise_ring_is_served_counter_clockwise(
    http: httpx.AsyncClient, owner: Token, incident: str
) -> None:
    body = fresh(incident, {"id": "area", "kind": "area", "geometry": {"type": "Polygon", "coordinates": [CLOCKWISE]}})
    await streams.post(http, owner, body)
    area = next(o for o in (await _picture(http, owner, incident))["objects"] if o["id"] == "area")
    ring = area["geometry"]["coordinates"][0]
    assert ring == list(reversed(CLOCKWISE))
    retry = await http.post("/api/v1/reports", json=body, headers=owner.headers)
    assert retry.status_code == 200, retry.text


@pytest.mark.parametrize(
    "path",
    ["/api/v1/incidents/a%00", "/api/v1/incidents/a%00/picture", "/api/v1/reports?incident=a%00",
     "/api/v1/changes?incident=a%00", "/api/v1/picture?kind=a%00"],
)  # fmt: skip
async def test_a_nul_is_answered_without_asking_the_database(
    http: httpx.AsyncClient, owner: Token, path: str
) -> None:
    response = await http.get(path, headers=owner.headers)
    assert response.status_code in (404, 422), response.text
    if response.status_code == 422:
        assert response.json()["error"]["details"][0]["path"] in ("incident", "kind")


async def test_roles_and_revocation_hold(http: httpx.AsyncClient, owner: Token, incident: str) -> None:
    """A read token cannot report, a report token cannot administer, a revoked token fails from then on."""
    reader = await streams.issue(http, owner.organisation, roles=("read",))
    body = fresh(incident, {"id": "x", "kind": "unit"})
    await _refused(await http.post("/api/v1/reports", json=body, headers=reader.headers), 403, "forbidden")
    org: dict[str, Any] = {"id": unique("org"), "name": "X", "discipline": "other", "country": "NL"}
    await _refused(await http.post("/api/v1/organisations", json=org, headers=owner.headers), 403, "forbidden")
    assert (await http.delete(f"/api/v1/tokens/{reader.id}", headers=ADMIN)).status_code == 204
    await _refused(await http.get("/api/v1/incidents", headers=reader.headers), 401, "unauthorized")


async def test_the_error_shape_is_one_everywhere(http: httpx.AsyncClient, owner: Token) -> None:
    """Unknown paths, wrong methods, invalid queries and refused streams answer the same JSON shape."""
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", **owner.headers}  # fmt: skip
    answers = [
        await http.get("/api/v1/nowhere", headers=owner.headers),
        await http.delete("/api/v1/reports", headers=owner.headers),
        await http.get("/api/v1/reports?limit=0", headers=owner.headers),
        await http.get("/api/v1/stream?bbox=1,2", headers=upgrade),
    ]
    for response in answers:
        body = orjson.loads(response.content)
        assert set(body) == {"error"}, body
        assert set(body["error"]) == {"code", "message", "details"}, body
    assert [r.status_code for r in answers] == [404, 405, 422, 422]
