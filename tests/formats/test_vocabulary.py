"""The one vocabulary (issue 11, point 8): kinds, properties and categories with nl, en and de labels, which the
adapters map onto."""

from __future__ import annotations

import httpx

from app.formats import cap, vocabulary
from tests.api.support import get_json
from tests.formats.conftest import Headers, document
from tests.formats.support import XML, post


async def test_every_entry_has_dutch_english_and_german_labels(client: httpx.AsyncClient, police: Headers) -> None:
    """GET /vocabulary lists kinds, properties (with units) and categories, each labelled in nl, en and de."""
    body = await get_json(client, "/api/v1/vocabulary", police)
    assert body["languages"] == ["nl", "en", "de"]
    kinds = {kind["id"]: kind["labels"] for kind in body["kinds"]}
    assert kinds["roadblock"] == {"nl": "Wegafzetting", "en": "Roadblock", "de": "Straßensperre"}
    units = {prop["id"]: prop["unit"] for prop in body["properties"]}
    assert units["evacuated"] == "persons"
    for section in ("kinds", "properties", "categories"):
        for entry in body[section]:
            assert set(entry["labels"]) == {"nl", "en", "de"}
            assert all(entry["labels"].values())


async def test_only_readers_get_it(client: httpx.AsyncClient, partner: object) -> None:
    """Without a token 401; with a token lacking read 403."""
    assert (await client.get("/api/v1/vocabulary")).status_code == 401
    reporter = await partner("melder", roles=("report",))  # type: ignore[operator]
    assert (await client.get("/api/v1/vocabulary", headers=reporter)).status_code == 403


async def test_the_adapters_speak_it(client: httpx.AsyncClient, police: Headers) -> None:
    """What CAP and Cursor-on-Target documents become is named in the vocabulary: kinds, properties, categories."""
    alert = cap.translate(cap.read(document("cap/oasis-a2-severe-thunderstorm.xml"))).body
    assert vocabulary.in_vocabulary(alert["objects"][0]["kind"])
    assert alert["incident_info"]["category"] in vocabulary.CATEGORIES
    assert set(alert["objects"][0]["properties"]) <= set(vocabulary.PROPERTIES)
    assert set(cap.CAP_PROPERTIES) <= set(vocabulary.PROPERTIES)
    assert set(cap.CATEGORIES.values()) <= set(vocabulary.CATEGORIES)
    response = await post(client, "cot", document("cot/atak-position.xml"), police, XML, incident="flood-test")
    unit = (await get_json(client, "/api/v1/incidents/flood-test/picture", police))["objects"][0]
    assert response.status_code == 201
    assert vocabulary.in_vocabulary(unit["kind"])
    assert set(unit["properties"]) <= set(vocabulary.PROPERTIES)
