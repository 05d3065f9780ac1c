"""Incident pictures kept while their incident does not change (issue 8, point 3): a kept picture is served
again with the current log position, a report about the incident is read at once (read-your-writes), and each
viewer gets its own picture, restricted reports included."""

from __future__ import annotations

import random

import httpx
from fastapi import FastAPI

from app.config import Settings
from app.db import Database
from app.services import reading
from app.services.reading import ObjectFilter
from tests.api.conftest import Headers
from tests.api.support import accept, get_json
from tests.conftest import MakePartner, report

PICTURE = "/api/v1/incidents/flood-test/picture"


async def test_a_kept_picture_is_served_until_its_incident_changes(
    app: FastAPI, client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    cache = app.state.netcop.pictures
    await accept(client, police, report("r1", {"id": "a", "kind": "unit", "properties": {"n": 1}}))
    first = await get_json(client, PICTURE, police)
    assert cache.held > 0
    response = await client.get(PICTURE, headers=police)
    assert response.headers["content-length"] == str(len(response.content))
    await accept(client, fire, report("elsewhere", {"id": "b", "kind": "unit"}, incident="other-incident"))
    kept = await get_json(client, PICTURE, police)
    assert kept["objects"] == first["objects"]
    assert kept["seq"] == first["seq"] + 1  # the head is current: the log moved on elsewhere
    await accept(client, fire, report("r2", {"id": "a", "properties": {"n": 2}}, observed_at="2026-11-27T15:00:00Z"))
    assert (await get_json(client, PICTURE, police))["objects"][0]["properties"]["n"] == 2  # read-your-writes


async def test_each_viewer_has_its_own_kept_picture(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    await accept(client, police, report("r1", {"id": "a", "kind": "unit", "properties": {"n": 1}}))
    await accept(client, police, report("secret", {"id": "a", "properties": {"n": 99}},
                                        observed_at="2026-11-27T15:00:00Z", visibility="restricted",
                                        audience=["politie"]))  # fmt: skip
    for _ in range(2):
        assert (await get_json(client, PICTURE, police))["objects"][0]["properties"]["n"] == 99
        assert (await get_json(client, PICTURE, fire))["objects"][0]["properties"]["n"] == 1
        filtered = await get_json(client, PICTURE, fire, kind="shelter")
        assert filtered["objects"] == []


async def test_the_picture_is_ordered_by_id_as_code_points_on_every_database(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """Ids that a language's collation would order otherwise (case, dashes, accents) come in code point order,
    as every other read orders them; the viewer's own view takes the place of the public one."""
    ids = ["b", "B", "a-c", "ab", "é", "Z", "a_b", "10", "9"]
    await accept(client, fire, report("r1", *({"id": i, "kind": "unit"} for i in ids)))
    await accept(client, police, report("secret", {"id": "ab", "properties": {"n": 1}},
                                        observed_at="2026-11-27T15:00:00Z", visibility="restricted",
                                        audience=["politie"]))  # fmt: skip
    for viewer in (police, fire):
        objects = (await get_json(client, PICTURE, viewer))["objects"]
        assert [o["id"] for o in objects] == sorted(ids)
    assert [o.get("properties") for o in (await get_json(client, PICTURE, police))["objects"] if o["id"] == "ab"] == [
        {"n": 1}
    ]


async def test_the_joined_picture_is_byte_for_byte_the_one_read_row_by_row(
    client: httpx.AsyncClient, partner: MakePartner, settings: Settings
) -> None:
    """Random reports (restricted audiences, removals, kinds): for every viewer and filter, the objects the
    database joins (PostgreSQL) are byte for byte those read row by row and joined here."""
    orgs = ("politie", "brandweer", "ghor")
    headers = {org: await partner(org) for org in orgs}
    rng = random.Random(5)
    for n in range(40):
        entry: dict[str, object] = {"id": f"o{rng.randrange(12)}"}
        if rng.random() < 0.15:
            entry["removed"] = rng.random() < 0.7
        else:
            entry |= {"kind": rng.choice(["unit", "shelter"]), "properties": {"n": rng.randrange(4)}}
        restricted = rng.random() < 0.3
        extra = {"visibility": "restricted", "audience": rng.sample(orgs, rng.randint(0, 2))} if restricted else {}
        body = report(f"r{n}", entry, observed_at=f"2026-11-27T14:{rng.randrange(60):02d}:00+01:00", **extra)
        assert (await client.post("/api/v1/reports", json=body, headers=headers[rng.choice(orgs)])).status_code == 201
    db = Database(settings)
    try:
        async with db.read() as conn:
            for viewer in orgs:
                for flt in (ObjectFilter(), ObjectFilter(include_removed=True), ObjectFilter(kinds=("shelter",))):
                    rows = await reading.objects_for_viewer(conn, viewer, "flood-test", flt)
                    row_by_row = b"[" + b",".join(rows) + b"]"
                    assert await reading._objects_json(conn, viewer, "flood-test", flt) == row_by_row, (viewer, flt)
    finally:
        await db.dispose()
