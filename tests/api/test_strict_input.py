"""One meaning per byte (issue: strict input): names in Unicode NFC only, no ``crs`` on a geometry, RFC 3339
timestamps of any precision."""

from __future__ import annotations

import httpx

from tests.api.conftest import Headers
from tests.api.support import REPORTS, accept, get_json
from tests.conftest import report

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
