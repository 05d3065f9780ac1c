"""One meaning per byte (issue: strict input): names in Unicode NFC only, no ``crs`` on a geometry, RFC 3339
timestamps of any precision."""

from __future__ import annotations

import httpx
import orjson

from tests.api.conftest import Headers
from tests.api.support import BATCH, REPORTS, accept, get_json
from tests.conftest import ADMIN, report

DECOMPOSED, COMPOSED = "cafe\u0301", "caf\u00e9"


def _paths(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [d["path"] for d in response.json()["error"]["details"]]


async def test_names_not_in_nfc_are_refused_so_that_one_name_is_one_object(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """An object id, report id or property name in another normal form than NFC is 422 at its path; the NFC
    spelling is accepted."""
    bodies = {
        "objects[0].id": report("r1", {"id": DECOMPOSED, "kind": "unit"}),
        "id": report(DECOMPOSED, {"id": "a", "kind": "unit"}),
        f"objects[0].properties.{DECOMPOSED}": report("r2", {"id": "a", "properties": {DECOMPOSED: 1}}),
    }
    for path, body in bodies.items():
        assert _paths(await client.post(REPORTS, json=body, headers=police)) == [path]
    await accept(client, police, report("r3", {"id": COMPOSED, "kind": "unit", "properties": {COMPOSED: 1}}))


async def test_a_geometry_with_a_crs_is_refused(client: httpx.AsyncClient, police: Headers) -> None:
    """Positions are WGS 84 lon/lat: a ``crs`` member (e.g. RD New) is 422 at its path, nothing stored."""
    geometry = {"type": "Point", "coordinates": [155000, 463000], "crs": {"type": "name",
                "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}}  # fmt: skip
    body = report("r1", {"id": "a", "kind": "unit", "geometry": geometry})
    assert "objects[0].geometry.crs" in _paths(await client.post(REPORTS, json=body, headers=police))
    wgs84 = {**geometry, "coordinates": [4.66, 51.80]}
    assert _paths(await client.post(REPORTS, json=report("r2", {"id": "a", "geometry": wgs84}), headers=police)) == [
        "objects[0].geometry.crs"
    ]


async def test_as_of_takes_any_rfc3339_precision(client: httpx.AsyncClient, police: Headers) -> None:
    """RFC 3339 bounds no fraction: twelve digits are read (to the microsecond) instead of refused."""
    await accept(client, police, report("r1", {"id": "a", "kind": "unit"}))
    picture = await get_json(
        client, "/api/v1/incidents/flood-test/picture?as_of=2099-01-01T00:00:00.123456789012Z", police
    )
    assert [o["id"] for o in picture["objects"]] == ["a"]


NOT_JSON_TYPES = [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                  "application/json; charset=latin-1", "multipart/form-data; boundary=x"]  # fmt: skip


async def test_a_body_not_declared_json_is_415_and_changes_nothing(client: httpx.AsyncClient, police: Headers) -> None:
    """Reports, batches and admin bodies must say ``Content-Type: application/json`` (UTF-8 when a charset is
    given): anything else is 415, whatever the body holds, and nothing is stored."""
    body = orjson.dumps(report("r1", {"id": "a", "kind": "unit"}))
    admin_body = orjson.dumps({"id": "brandweer", "name": "B", "discipline": "fire", "country": "NL"})
    for content_type in NOT_JSON_TYPES:
        headers = {k: v for k, v in police.items() if k.lower() != "content-type"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        for path, content, who in ((REPORTS, body, headers), (BATCH, b'{"reports": [' + body + b"]}", headers),
                                   ("/api/v1/organisations", admin_body, {**headers, **ADMIN})):  # fmt: skip
            response = await client.post(path, content=content, headers=who)
            assert response.status_code == 415, (content_type, path, response.text)
            assert response.json()["error"]["code"] == "unsupported_media_type"
    assert (await get_json(client, REPORTS, police))["reports"] == []


async def test_json_is_recognised_in_any_case_and_with_a_utf8_charset(
    client: httpx.AsyncClient, police: Headers
) -> None:
    for index, content_type in enumerate(("application/json", "Application/JSON", "application/json; charset=UTF-8",
                                          'application/json;charset="utf-8"')):  # fmt: skip
        body = orjson.dumps(report(f"r{index}", {"id": "a", "kind": "unit"}))
        response = await client.post(REPORTS, content=body, headers={**police, "Content-Type": content_type})
        assert response.status_code == 201, (content_type, response.text)


async def test_a_caller_without_a_token_hears_401_before_415(client: httpx.AsyncClient) -> None:
    """What a body would have done is not told to a caller without a valid token."""
    response = await client.post(REPORTS, content=b"x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 401
