"""OGC API - Features at /ogc (spec section 9, issue 11 point 5), in process: the documents and their links,
collections per active incident, visibility exactly as the REST API's, paging, bbox, datetime (as known at),
and the 400s and 404s the standard asks for. GDAL reading it from a real server: tests/e2e/test_ogc_gdal.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from app.config import Settings
from app.formats import ogc
from tests.api.support import accept, at, get_json, point, service, square
from tests.conftest import MakePartner, report

Headers = dict[str, str]
Json = dict[str, Any]
IN_DORDRECHT = "4.60,51.75,4.70,51.85"




def roadblock(object_id: str, lon: float = 4.65, lat: float = 51.80, status: str = "active") -> Json:
    return {"id": object_id, "kind": "roadblock", "geometry": point(lon, lat), "properties": {"status": status}}


def links_of(document: Json) -> dict[str, Json]:
    return {link["rel"]: link for link in document["links"]}


async def items(client: httpx.AsyncClient, headers: Headers, collection: str, **params: Any) -> Json:
    response = await client.get(f"/ogc/collections/{collection}/items", headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    body: Json = response.json()
    return body


def ids(collection: Json) -> list[str]:
    return [feature["id"] for feature in collection["features"]]


async def test_landing_page_conformance_and_definition_are_open_and_linked(client: httpx.AsyncClient) -> None:
    """The landing page links its API definition (OpenAPI 3.0), documentation, conformance and data with the
    standard's rel and type; the conformance classes are Core, GeoJSON and OpenAPI 3.0."""
    landing = await get_json(client, "/ogc", {})
    rels = links_of(landing)
    assert {rel: (link["type"], urlsplit(link["href"]).path) for rel, link in rels.items()} == {
        "self": ("application/json", "/ogc"),
        "service-desc": ("application/vnd.oai.openapi+json;version=3.0", "/ogc/api"),
        "service-doc": ("text/html", "/ogc/api.html"),
        "conformance": ("application/json", "/ogc/conformance"),
        "data": ("application/json", "/ogc/collections"),
    }
    assert (await get_json(client, "/ogc/conformance", {}))["conformsTo"] == list(ogc.CONFORMANCE)
    definition = await client.get("/ogc/api")
    assert definition.headers["content-type"] == ogc.OPENAPI
    assert definition.json()["openapi"] == "3.0.3"
    assert "/collections/{collectionId}/items" in definition.json()["paths"]
    assert (await client.get("/ogc/api.html")).headers["content-type"].startswith("text/html")


async def test_one_collection_per_active_incident_plus_one_for_all(client: httpx.AsyncClient, police: Headers) -> None:
    """/collections lists active_incidents and each active incident (an exercise marked as one); a closed
    incident is no collection, and active_incidents holds no exercise."""
    await accept(client, police, report("r1", roadblock("a"), incident_info={"title": "Dijkdoorbraak"}))
    await accept(client, police, report("r2", roadblock("b"), incident="drill", incident_info={"exercise": True}))
    await accept(client, police, report("r3", roadblock("c"), incident="old", incident_info={"status": "closed"}))
    found = await get_json(client, "/ogc/collections", police)
    by_id = {c["id"]: c for c in found["collections"]}
    assert list(by_id) == [ogc.ALL, "drill", "flood-test"]
    assert by_id["flood-test"]["title"] == "Dijkdoorbraak"
    assert by_id["drill"]["title"].startswith("EXERCISE")
    assert links_of(by_id["flood-test"])["items"]["type"] == "application/geo+json"
    assert ids(await items(client, police, ogc.ALL)) == ["flood-test/a"]
    assert ids(await items(client, police, "drill")) == ["drill/b"]
    described = await get_json(client, "/ogc/collections/flood-test", police)
    assert (described["id"], described["itemType"]) == ("flood-test", "feature")


async def test_features_are_the_geojson_out_features(client: httpx.AsyncClient, police: Headers) -> None:
    """A feature read through /ogc is the feature GET /api/v1/picture?format=geojson serves, and one feature
    is found by its id (the '/' escaped or not)."""
    await accept(client, police, report("r1", roadblock("a"), roadblock("b/c", 4.66)))
    picture = await get_json(client, "/api/v1/picture", police, format="geojson")
    page = await items(client, police, "flood-test")
    assert page["features"] == picture["features"]
    for path in ("flood-test%2Fb%2Fc", "flood-test/b/c"):
        response = await client.get(f"/ogc/collections/flood-test/items/{path}", headers=police)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/geo+json"
        feature = response.json()
        assert {k: v for k, v in feature.items() if k != "links"} == picture["features"][1]
        assert links_of(feature)["collection"]["href"].endswith("/ogc/collections/flood-test")


async def test_a_restricted_object_is_served_on_no_path_to_an_organisation_outside_its_audience(
    client: httpx.AsyncClient, police: Headers, fire: Headers, partner: MakePartner
) -> None:
    """Visibility is the REST API's on every /ogc path: the outsider gets neither the restricted object nor the
    incident only restricted reports mention (404), the audience gets both."""
    water = await partner("waterschap")
    await accept(client, police, report("r1", roadblock("open")))
    secret = {"visibility": "restricted", "audience": ["brandweer"]}
    await accept(client, police, report("r2", roadblock("secret"), **secret))
    await accept(client, police, report("r3", roadblock("hidden"), incident="covert", **secret))
    for collection in ("flood-test", ogc.ALL):
        assert ids(await items(client, water, collection)) == ["flood-test/open"]
        assert {"flood-test/open", "flood-test/secret"} <= set(ids(await items(client, fire, collection)))
        secret_item = f"/ogc/collections/{collection}/items/flood-test%2Fsecret"
        assert (await client.get(secret_item, headers=water)).status_code == 404
        assert (await client.get(secret_item, headers=fire)).status_code == 200
    listed = [c["id"] for c in (await get_json(client, "/ogc/collections", water))["collections"]]
    assert listed == [ogc.ALL, "flood-test"]
    for path in (
        "/ogc/collections/covert",
        "/ogc/collections/covert/items",
        "/ogc/collections/covert/items/covert%2Fhidden",
    ):
        assert (await client.get(path, headers=water)).status_code == 404, path
        assert (await client.get(path, headers=fire)).status_code == 200, path
    assert ids(await items(client, water, ogc.ALL)) == ["flood-test/open"]


async def test_pages_follow_next_links_and_count_what_matched(client: httpx.AsyncClient, police: Headers) -> None:
    """limit pages the features; each page says numberMatched, numberReturned and timeStamp, and its next
    link (with the same filters) leads on until every feature was served once; a limit over the maximum is
    read as the maximum."""
    await accept(client, police, report("r1", *(roadblock(f"o-{n}", 4.6 + n / 100) for n in range(5))))
    await accept(client, police, report("r2", roadblock("far", 6.0, 53.0)))
    served: list[str] = []
    url: str | None = f"/ogc/collections/flood-test/items?limit=2&bbox={IN_DORDRECHT}"
    while url is not None:
        response = await client.get(url, headers=police)
        page = response.json()
        assert (page["numberMatched"], page["numberReturned"]) == (5, len(page["features"]))
        assert page["timeStamp"].endswith("Z")
        served += ids(page)
        following = links_of(page).get("next")
        url = None if following is None else following["href"]
        if following is not None:
            assert parse_qs(urlsplit(url).query)["bbox"] == ["4.6,51.75,4.7,51.85"]
    assert served == [f"flood-test/o-{n}" for n in range(5)]
    assert links_of(await items(client, police, "flood-test", limit=10**6))["self"]["href"].endswith("limit=1000")


async def test_bbox_selects_the_features_that_intersect_it(client: httpx.AsyncClient, police: Headers) -> None:
    """bbox (4 numbers, or 6 with heights) keeps the features whose geometry intersects it."""
    area = {"id": "area", "kind": "evacuation-area", "geometry": square(4.69, 51.84, 4.80, 51.90)}
    await accept(client, police, report("r1", roadblock("in"), roadblock("out", 5.5, 52.5), area))
    assert ids(await items(client, police, "flood-test", bbox=IN_DORDRECHT)) == ["flood-test/area", "flood-test/in"]
    assert ids(await items(client, police, ogc.ALL, bbox="4.6,51.75,-10,4.7,51.85,100")) == [
        "flood-test/area",
        "flood-test/in",
    ]


async def test_datetime_serves_the_picture_as_known_then(client: httpx.AsyncClient, police: Headers) -> None:
    """datetime=<instant> serves the collection as it was known at that moment: an object changed or added
    later has its earlier state, or is not there."""
    first = await accept(client, police, report("r1", roadblock("a"), observed_at=at("14:00")))
    await accept(client, police, report("r2", roadblock("a", status="lifted"), roadblock("b"), observed_at=at("15:00")))
    for collection in ("flood-test", ogc.ALL):
        then = await items(client, police, collection, datetime=first["received_at"])
        assert ids(then) == ["flood-test/a"]
        assert then["features"][0]["properties"]["status"] == "active"
        assert parse_qs(urlsplit(links_of(then)["self"]["href"]).query)["datetime"] == [first["received_at"]]
    now = await items(client, police, "flood-test")
    assert [f["properties"]["status"] for f in now["features"]] == ["lifted", "active"]
    assert ids(await items(client, police, "flood-test", datetime="2000-01-01T00:00:00Z")) == []


async def test_what_is_not_there_is_404(client: httpx.AsyncClient, police: Headers) -> None:
    """An unknown collection, a closed incident, an unknown or removed feature, and a feature of another
    incident than the collection's are 404."""
    await accept(client, police, report("r1", roadblock("a"), roadblock("gone")))
    await accept(client, police, report("r2", {"id": "gone", "removed": True}, observed_at=at("15:00")))
    await accept(client, police, report("r3", roadblock("x"), incident="other"))
    await accept(client, police, report("r4", roadblock("c"), incident="old", incident_info={"status": "closed"}))
    for path in ("/ogc/collections/nope", "/ogc/collections/nope/items", "/ogc/collections/old/items",
                 "/ogc/collections/flood-test/items/flood-test%2Fnope", "/ogc/collections/flood-test/items/gone",
                 "/ogc/collections/flood-test/items/flood-test%2Fgone", "/ogc/collections/flood-test/items/other%2Fx",
                 f"/ogc/collections/{ogc.ALL}/items/old%2Fc"):  # fmt: skip
        response = await client.get(path, headers=police)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    assert ids(await items(client, police, "flood-test")) == ["flood-test/a"]


UNREADABLE = [("limit=0", "limit"), ("limit=ten", "limit"), ("bbox=1,2,3", "bbox"), ("bbox=5,5,4,4", "bbox"),
              ("datetime=yesterday", "datetime"), ("datetime=2026-11-27T14:00:00Z/..", "datetime"),
              ("after=x", "after"), ("filter=status%3Dactive", "filter"), ("limit=1&limit=2", "limit"),
              ("f=html", "f")]  # fmt: skip


async def test_a_parameter_that_is_unknown_or_unreadable_is_400(client: httpx.AsyncClient, police: Headers) -> None:
    """The standard's rule: an unknown query parameter, or a value that cannot be read, is 400 naming it."""
    await accept(client, police, report("r1", roadblock("a")))
    for query, parameter in UNREADABLE:
        response = await client.get(f"/ogc/collections/flood-test/items?{query}", headers=police)
        assert response.status_code == 400, (query, response.text)
        assert response.json()["error"]["details"][0]["path"] == parameter, query


async def test_data_needs_a_read_token_in_the_header(
    client: httpx.AsyncClient, police: Headers, partner: MakePartner
) -> None:
    """Collections and features need a token with read (401 without, 403 with only report), and a token in
    the query is refused (400) where the setting does not allow it."""
    await accept(client, police, report("r1", roadblock("a")))
    reporter = await partner("meldkamer", roles=("report",))
    token = police["Authorization"].removeprefix("Bearer ")
    for path in (
        "/ogc/collections",
        "/ogc/collections/flood-test/items",
        "/ogc/collections/flood-test/items/flood-test%2Fa",
    ):
        assert (await client.get(path)).status_code == 401, path
        assert (await client.get(path, headers=reporter)).status_code == 403, path
        assert (await client.get(path, params={"access_token": token})).status_code == 400, path


async def test_the_query_token_works_where_the_setting_allows_it(settings: Settings, police: Headers) -> None:
    """With NETCOP_OGC_QUERY_TOKEN, access_token in the query authenticates as the header does, and the links
    carry it on so that a client following them stays signed in; the definition declares it."""
    token = police["Authorization"].removeprefix("Bearer ")
    async with service(settings, ogc_query_token=True) as client:
        await accept(client, police, report("r1", roadblock("a"), roadblock("b")))
        page = await get_json(client, "/ogc/collections/flood-test/items", {}, limit=1, access_token=token)
        assert ids(page) == ["flood-test/a"]
        following = links_of(page)["next"]["href"]
        assert parse_qs(urlsplit(following).query)["access_token"] == [token]
        assert ids((await client.get(following)).json()) == ["flood-test/b"]
        assert (await client.get("/ogc/collections", params={"access_token": "ncp_wrong"})).status_code == 401
        definition = await get_json(client, "/ogc/api", {})
        assert definition["components"]["securitySchemes"]["accessToken"]["name"] == "access_token"
