"""GeoJSON in (spec section 9): a FeatureCollection as a GIS exports it becomes one report, with every guarantee
of ``POST /api/v1/reports``."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import Invalid
from app.formats import geojson_in
from tests.api.support import get_json, picture_of
from tests.formats.conftest import Headers, document
from tests.formats.support import GEOJSON, post, refused_at, stored_reports

QGIS = document("geojson/qgis-export.geojson")
WHEN = {"incident": "flood-test", "observed_at": "2026-11-27T14:00:00+01:00"}


def collection(*features: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": "FeatureCollection", "features": list(features)})


def feature(object_id: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "id": object_id, "properties": properties,
            "geometry": {"type": "Point", "coordinates": [4.67, 51.8]}}  # fmt: skip


async def test_a_qgis_export_lands_in_the_picture_with_provenance(client: httpx.AsyncClient, police: Headers) -> None:
    """Each feature of a QGIS (GDAL) export is an object: its id column the object id, kind its kind, the other
    non-empty columns its properties, asserted by the sender's report."""
    response = await post(client, "geojson", QGIS, police, GEOJSON, **WHEN)
    assert response.status_code == 201, response.text
    report_id = response.json()["id"]
    picture = await picture_of(client, police)
    assert set(picture) == {"roadblock-n3-1", "evac-wielwijk", "dike-breach-1"}
    roadblock = picture["roadblock-n3-1"]
    assert roadblock["kind"] == "roadblock"
    assert roadblock["geometry"] == {"type": "Point", "coordinates": [4.6731, 51.8012]}
    assert roadblock["properties"] == {"naam": "Wegafzetting N3", "status": "active", "richting": "beide"}
    assert roadblock["provenance"]["status"] == {"organisation": "politie", "report": report_id,
                                                 "observed_at": "2026-11-27T13:00:00Z"}  # fmt: skip
    assert picture["evac-wielwijk"]["properties"]["evacuated"] == 1200


async def test_the_same_document_again_is_a_retry_and_an_id_reused_is_a_conflict(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """The same document is answered 200 with the stored answer; a named report id sent with another document
    is 409; one report is stored."""
    first = await post(client, "geojson", QGIS, police, GEOJSON, **WHEN)
    retry = await post(client, "geojson", QGIS, police, GEOJSON, **WHEN)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    named = await post(client, "geojson", collection(feature("a", kind="unit")), police, GEOJSON, id="gis-1", **WHEN)
    other = await post(client, "geojson", collection(feature("a", kind="boat")), police, GEOJSON, id="gis-1", **WHEN)
    assert (named.status_code, other.status_code) == (201, 409)
    assert len(await stored_reports(client, police)) == 2


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (collection(feature("a"), {"type": "Feature", "properties": {"n": 1}, "geometry": None}), "features[1].id"),
        (collection(feature(1.5)), "features[0].id"),
        (collection(feature("a", geometry="x")), "features[0].properties.geometry"),
        (collection(feature("a", kind="Not A Slug")), "features[0].properties.kind"),
        (collection({**feature("a"), "geometry": {"type": "Polygon", "coordinates": [[[4, 51], [5, 51], [5, 52]]]}}),
         "features[0].geometry.coordinates[0]"),
        (document("geojson/qgis-export-rd-new.geojson"), "crs"),
        (orjson.dumps({"type": "Feature", "properties": {}, "geometry": None}), "type"),
        (orjson.dumps({"type": "FeatureCollection", "features": {}}), "features"),
    ],
    ids=["no-id", "float-id", "reserved", "kind", "ring", "rd-new", "not-a-collection", "features"],
)
async def test_a_bad_document_is_refused_where_it_is_wrong_and_stores_nothing(
    client: httpx.AsyncClient, police: Headers, body: bytes, path: str
) -> None:
    """A document that cannot be a report is 422 naming the place in the document; nothing is stored."""
    paths = refused_at(await post(client, "geojson", body, police, GEOJSON, **WHEN))
    assert any(found.startswith(path) for found in paths), paths
    assert await stored_reports(client, police) == []


async def test_the_report_fields_come_from_the_query(client: httpx.AsyncClient, police: Headers) -> None:
    """Without incident or observed_at the answer is 422 at that parameter; a malformed one likewise."""
    body = collection(feature("a", kind="unit"))
    assert refused_at(await post(client, "geojson", body, police, GEOJSON, observed_at=WHEN["observed_at"])) == [
        "incident"
    ]
    assert refused_at(await post(client, "geojson", body, police, GEOJSON, incident="flood-test")) == ["observed_at"]
    assert refused_at(await post(client, "geojson", body, police, GEOJSON, incident="Flood!",
                                 observed_at=WHEN["observed_at"])) == ["incident"]  # fmt: skip


async def test_only_json_from_a_reporter_is_read(client: httpx.AsyncClient, police: Headers, partner: Any) -> None:
    """No token: 401; a read-only token: 403; another media type: 415; not JSON: 400."""
    body = collection(feature("a", kind="unit"))
    assert (await post(client, "geojson", body, {}, GEOJSON, **WHEN)).status_code == 401
    reader = await partner("lezer", roles=("read",))
    assert (await post(client, "geojson", body, reader, GEOJSON, **WHEN)).status_code == 403
    assert (await post(client, "geojson", body, police, {"Content-Type": "text/plain"}, **WHEN)).status_code == 415
    assert (await post(client, "geojson", b"{not json", police, GEOJSON, **WHEN)).status_code == 400
    plain_json = await post(client, "geojson", body, police, {"Content-Type": "application/json"}, **WHEN)
    assert plain_json.status_code == 201, plain_json.text


async def test_a_restricted_drawing_is_seen_only_by_its_audience(
    client: httpx.AsyncClient, police: Headers, fire: Headers, partner: Any
) -> None:
    """visibility and audience from the query make a restricted report, as POST /reports would."""
    outsider = await partner("gemeente")
    body = collection(feature("secret", kind="unit"))
    response = await post(client, "geojson", body, police, GEOJSON, visibility="restricted", audience="brandweer",
                          **WHEN)  # fmt: skip
    assert response.status_code == 201, response.text
    assert "secret" in await picture_of(client, fire)
    found = await client.get("/api/v1/incidents/flood-test/objects/secret", headers=outsider)
    assert found.status_code == 404
    assert (await get_json(client, "/api/v1/incidents/flood-test", police))["id"] == "flood-test"


FIELDS = geojson_in.Fields("flood-test", "2026-11-27T14:00:00+01:00")
json_values = st.recursive(
    # integers as the wire has them: parse_json refuses any beyond ±(2^53 - 1) before a translation sees them
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)
features = st.fixed_dictionaries(
    {"type": st.just("Feature"), "id": st.text(min_size=1, max_size=8) | st.integers(0, 10**6),
     "properties": st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=4) | st.none(),
     "geometry": st.none() | st.builds(lambda x, y: {"type": "Point", "coordinates": [x, y]},
                                       st.floats(-180, 180), st.floats(-90, 90))}
)  # fmt: skip


collections = st.fixed_dictionaries(
    {"type": st.just("FeatureCollection"), "features": st.lists(json_values | features, max_size=4)}
)


@settings(max_examples=150, deadline=None)
@given(json_values | collections)
def test_any_json_either_translates_or_is_refused_with_paths(value: Any) -> None:
    """Whatever JSON arrives, the translation gives one object entry per feature, in order, or an Invalid whose
    every detail names a path; nothing else is raised."""
    try:
        translation = geojson_in.translate(value, FIELDS)
    except Invalid as error:
        details = error.details
    else:
        details = []
    if details or not isinstance(value, dict) or value.get("type") != "FeatureCollection":
        assert details
        assert all(detail["path"] for detail in details)
        return
    assert len(translation.body["objects"]) == len(value["features"])
    for index, entry in enumerate(translation.body["objects"]):
        assert translation.locate(f"objects[{index}].geometry") == f"features[{index}].geometry"
        assert None not in (entry.get("properties") or {}).values()
