"""GeoJSON out (issue 11, point 4): the combined picture as features GIS tools read right: ids that survive
ogr2ogr, partner properties flat, netcop's own facts prefixed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.formats import geojson_out
from tests.api.support import accept, get_json, picture_of, point
from tests.conftest import report
from tests.formats.conftest import Headers, document
from tests.formats.support import GEOJSON, post

WHEN = {"incident": "flood-test", "observed_at": "2026-11-27T14:00:00+01:00"}
CLASHING = {"id": "partner-7", "netcop_seq": 9, "netcop_property_x": 1, "status": "active"}


async def features_of(client: httpx.AsyncClient, headers: Headers) -> dict[str, dict[str, Any]]:
    collection = await get_json(client, "/api/v1/picture", headers, format="geojson")
    return {f["id"]: f for f in collection["features"]}


async def test_partner_properties_are_flat_and_netcop_facts_prefixed(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """A feature's properties are the partner's, flat, beside kind and netcop_ facts (incident, object, seq,
    provenance, conflicts); a clashing name is escaped, never lost."""
    await accept(client, police, report("p1", {"id": "pump", "kind": "pump", "geometry": point(4.67, 51.8),
                                               "properties": CLASHING}))  # fmt: skip
    await accept(client, fire, report("f1", {"id": "pump", "properties": {"status": "broken"}},
                                      observed_at="2026-11-27T14:01:00+01:00"))  # fmt: skip
    pump = (await features_of(client, police))["flood-test/pump"]
    properties = pump["properties"]
    assert properties["status"] == "broken"
    assert properties["kind"] == "pump"
    assert (properties["netcop_incident"], properties["netcop_object"]) == ("flood-test", "pump")
    assert properties["netcop_property_id"] == "partner-7"
    assert properties["netcop_property_netcop_seq"] == 9
    assert properties["netcop_property_netcop_property_x"] == 1
    assert "id" not in properties
    assert properties["netcop_provenance"]["status"]["organisation"] == "brandweer"
    assert properties["netcop_conflicts"][0]["property"] == "status"


@given(st.dictionaries(st.sampled_from(["id", "kind", "netcop_", "netcop_property_", "netcop_seq", "a", ""])
                       .flatmap(lambda head: st.text(max_size=3).map(lambda tail: head + tail)),
                       st.integers(), max_size=8))  # fmt: skip
def test_property_names_are_escaped_one_to_one(properties: dict[str, int]) -> None:
    """Every partner property comes out under a name of its own, and GeoJSON in reads each back."""
    written = geojson_out.feature({"incident": "i", "id": "o", "properties": properties})["properties"]
    back = {geojson_out.partner_name(name): value for name, value in written.items()}
    back.pop(None, None)
    assert back == properties


async def test_a_picture_exported_and_sent_back_lands_on_the_same_objects(
    client: httpx.AsyncClient, police: Headers
) -> None:
    """The combined picture as GeoJSON, sent back into the same incident, lands on the same objects with the same
    kinds, geometries and properties (its ``incident/object`` ids read as object ids, netcop_ facts left out)."""
    await post(client, "geojson", document("geojson/qgis-export.geojson"), police, GEOJSON, **WHEN)
    await accept(client, police, report("p1", {"id": "pump", "kind": "pump", "properties": CLASHING}))
    before = await picture_of(client, police)
    exported = (await client.get("/api/v1/picture", params={"format": "geojson"}, headers=police)).content
    again = {**WHEN, "observed_at": "2026-11-27T15:00:00+01:00"}
    response = await post(client, "geojson", exported, police, GEOJSON, **again)
    assert response.status_code == 201, response.text
    after = await picture_of(client, police)
    assert set(after) == set(before)
    for object_id, obj in before.items():
        assert (after[object_id]["kind"], after[object_id]["geometry"]) == (obj["kind"], obj["geometry"])
        assert after[object_id]["properties"] == obj["properties"]
        assert after[object_id]["provenance"]["kind"]["report"] == response.json()["id"]


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="GDAL's ogr2ogr is not installed (Debian: gdal-bin)")
async def test_ids_and_properties_survive_ogr2ogr_to_a_geopackage(
    client: httpx.AsyncClient, police: Headers, tmp_path: Path
) -> None:
    """ogr2ogr turns the combined picture into a GeoPackage whose every feature keeps its incident/object id and
    whose partner properties are columns of their own."""
    await post(client, "geojson", document("geojson/qgis-export.geojson"), police, GEOJSON, **WHEN)
    await accept(client, police, report("p1", {"id": "pump", "kind": "pump", "properties": CLASHING},
                                        incident="other-incident"))  # fmt: skip
    source, target = tmp_path / "picture.geojson", tmp_path / "picture.gpkg"
    source.write_bytes((await client.get("/api/v1/picture", params={"format": "geojson"}, headers=police)).content)
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(target), str(source)], check=True, capture_output=True)  # noqa: ASYNC221
    converted = tmp_path / "back.geojson"
    subprocess.run(["ogr2ogr", "-f", "GeoJSON", str(converted), str(target)], check=True, capture_output=True)  # noqa: ASYNC221
    rows = [f["properties"] for f in json.loads(converted.read_text())["features"]]
    assert sorted(row["id"] for row in rows) == ["flood-test/dike-breach-1", "flood-test/evac-wielwijk",
                                                 "flood-test/roadblock-n3-1", "other-incident/pump"]  # fmt: skip
    by_id = {row["id"]: row for row in rows}
    assert by_id["flood-test/roadblock-n3-1"]["status"] == "active"
    assert by_id["flood-test/evac-wielwijk"]["evacuated"] == 1200
    assert by_id["other-incident/pump"]["netcop_property_id"] == "partner-7"
