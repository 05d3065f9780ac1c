"""GeoJSON right by construction (issue 9): polygons are stored, merged and served with their rings turned as RFC
7946 asks, whichever way they were sent; invalid polygons are refused at the geometry's path and nothing of the
report is stored; positions are WGS 84 lon/lat, so a ``crs`` is refused."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import Headers
from tests.api.support import BATCH, REPORTS, Json, accept, get_json, picture_of
from tests.conftest import report

# Clockwise exterior rings and counter-clockwise holes: each the wrong way round for RFC 7946.
CW_SQUARE = [[4.66, 51.80], [4.66, 51.81], [4.68, 51.81], [4.68, 51.80], [4.66, 51.80]]
CCW_HOLE = [[4.665, 51.803], [4.675, 51.803], [4.675, 51.807], [4.665, 51.807], [4.665, 51.803]]
CW_EAST = [[lon + 0.1, lat] for lon, lat in CW_SQUARE]
BOWTIE = [[4.66, 51.80], [4.68, 51.81], [4.68, 51.80], [4.66, 51.81], [4.66, 51.80]]


def polygon(*rings: list[Any]) -> Json:
    return {"type": "Polygon", "coordinates": list(rings)}


SENT = {
    "area": polygon(CW_SQUARE, CCW_HOLE),
    "zones": {"type": "MultiPolygon", "coordinates": [[CW_SQUARE], [CW_EAST]]},
    "mixed": {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [4.67, 51.8]},
                                                           polygon(CW_EAST)]},
}  # fmt: skip
SERVED = {
    "area": polygon(CW_SQUARE[::-1], CCW_HOLE[::-1]),
    "zones": {"type": "MultiPolygon", "coordinates": [[CW_SQUARE[::-1]], [CW_EAST[::-1]]]},
    "mixed": {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [4.67, 51.8]},
                                                           polygon(CW_EAST[::-1])]},
}  # fmt: skip


def wrongly_turned(report_id: str = "r1") -> Json:
    return report(report_id, *({"id": oid, "kind": "hazard-area", "geometry": g} for oid, g in SENT.items()))


def details(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 422, response.text
    found: list[dict[str, str]] = response.json()["error"]["details"]
    return found


async def served_geometries(client: httpx.AsyncClient, headers: Headers) -> list[dict[str, Any]]:
    """The objects' geometries as each read serves them: the report log, the incident's picture, the combined
    picture as GeoJSON, and each object on its own."""
    [stored] = (await get_json(client, REPORTS, headers))["reports"]
    picture = await picture_of(client, headers)
    features = (await get_json(client, "/api/v1/picture", headers, format="geojson"))["features"]
    objects = {oid: await get_json(client, f"/api/v1/incidents/flood-test/objects/{oid}", headers) for oid in SERVED}
    return [
        {o["id"]: o["geometry"] for o in stored["objects"]},
        {oid: o["geometry"] for oid, o in picture.items()},
        {f["id"].removeprefix("flood-test/"): f["geometry"] for f in features},
        {oid: o["geometry"] for oid, o in objects.items()},
    ]


async def test_wrongly_turned_rings_are_stored_and_served_as_rfc_7946_asks(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """Clockwise exteriors and counter-clockwise holes, in a Polygon, a MultiPolygon and a GeometryCollection, are
    served counter-clockwise (exteriors) and clockwise (holes) by every read."""
    await accept(client, police, wrongly_turned())
    assert await served_geometries(client, police) == [SERVED] * 4


async def test_a_retry_of_the_body_as_sent_is_200_and_another_body_409(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """The idempotency digest is the body's as sent: the same clockwise body again is a retry (200, the stored
    answer, alone or in a batch), while the report with its rings turned is another body (409)."""
    first = await accept(client, police, wrongly_turned())
    retry = await client.post(REPORTS, json=wrongly_turned(), headers=police)
    assert (retry.status_code, retry.json()) == (200, first)
    in_batch = await client.post(BATCH, json={"reports": [wrongly_turned()]}, headers=police)
    assert in_batch.json() == {"results": [{"status": 200, **first}]}
    turned = report("r1", *({"id": oid, "kind": "hazard-area", "geometry": g} for oid, g in SERVED.items()))
    assert (await client.post(REPORTS, json=turned, headers=police)).status_code == 409
    assert len((await get_json(client, REPORTS, police))["reports"]) == 1


async def test_a_batch_stores_rings_turned_and_its_retry_alone_is_200(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """A report sent in a batch is turned like one sent alone, and its digest is the same: sent alone again it is
    a retry."""
    response = await client.post(BATCH, json={"reports": [wrongly_turned()]}, headers=police)
    [result] = response.json()["results"]
    assert result["status"] == 201
    assert await served_geometries(client, police) == [SERVED] * 4
    retry = await client.post(REPORTS, json=wrongly_turned(), headers=police)
    assert (retry.status_code, retry.json()) == (200, {k: v for k, v in result.items() if k != "status"})


async def test_a_self_intersecting_polygon_is_422_at_its_geometry_and_nothing_is_stored(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """A bow-tie is refused with the geometry's path and what is wrong; neither the report, nor its other objects,
    nor its incident are stored."""
    bowtie = {"id": "bowtie", "kind": "hazard-area", "geometry": polygon(BOWTIE)}
    body = report("r1", {"id": "ok", "kind": "unit"}, bowtie)
    [detail] = details(await client.post(REPORTS, json=body, headers=police))
    assert detail["path"] == "objects[1].geometry"
    assert detail["message"].startswith("not a valid Polygon: self-intersection at [4.67, 51.805]")
    assert (await get_json(client, REPORTS, police))["reports"] == []
    assert (await client.get("/api/v1/incidents/flood-test/picture", headers=police)).status_code == 404


async def test_an_invalid_polygon_in_a_batch_refuses_only_its_report(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """In a batch, the report holding an invalid polygon is 422 under its index; the others are accepted."""
    hole_outside = polygon(CW_SQUARE, [[lon + 1, lat] for lon, lat in CCW_HOLE])
    bad = report("bad", {"id": "zone", "kind": "hazard-area", "geometry": hole_outside})
    response = await client.post(BATCH, json={"reports": [bad, wrongly_turned("good")]}, headers=police)
    refused, accepted = response.json()["results"]
    assert (refused["status"], accepted["status"]) == (422, 201)
    [detail] = refused["error"]["details"]
    assert detail["path"] == "reports[0].objects[0].geometry"
    assert "hole lies outside shell" in detail["message"]
    assert [r["id"] for r in (await get_json(client, REPORTS, police))["reports"]] == ["good"]


async def test_a_crs_is_422_saying_positions_are_wgs84_lon_lat(client: httpx.AsyncClient, police: Headers) -> None:
    """A geometry with a ``crs`` is refused at the crs, saying that positions are WGS 84 longitude, latitude."""
    geometry = {**polygon(CW_SQUARE), "crs": {"type": "name", "properties": {"name": "EPSG:28992"}}}
    body = report("r1", {"id": "area", "kind": "hazard-area", "geometry": geometry})
    [detail] = details(await client.post(REPORTS, json=body, headers=police))
    assert detail["path"] == "objects[0].geometry.crs"
    assert "WGS 84 longitude, latitude" in detail["message"]
