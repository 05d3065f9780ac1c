"""``/asyncapi.json`` describes the live stream (issue 11, point 9): an AsyncAPI 3.0 document whose message
payloads are exactly what the server writes (``realtime/messages.py``), checked with JSON Schema."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.realtime import messages

OBJECT = orjson.dumps({
    "incident": "flood", "id": "a", "kind": "unit", "geometry": {"type": "Point", "coordinates": [4.6, 51.8]},
    "properties": {"n": 1}, "removed": False, "seq": 3, "updated_at": "2026-11-27T13:00:00Z",
    "provenance": {"n": {"organisation": "politie", "report": "r1", "observed_at": "2026-11-27T13:00:00Z"}},
    "conflicts": [],
})  # fmt: skip


def _validator(document: dict[str, Any], message: str) -> Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(
        "urn:netcop:asyncapi", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    schema = {"$ref": f"urn:netcop:asyncapi#/channels/stream/messages/{message}/payload"}
    return Draft202012Validator(schema, registry=registry)


async def test_the_document_is_served_without_a_token_and_names_every_message(client: httpx.AsyncClient) -> None:
    response = await client.get("/asyncapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["asyncapi"] == "3.0.0"
    assert document["channels"]["stream"]["address"] == "/api/v1/stream"
    assert set(document["channels"]["stream"]["messages"]) == {"auth", "snapshot", "change", "heartbeat"}


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("snapshot", messages.snapshot(7, [OBJECT])),
        ("snapshot", messages.snapshot(7, [], "resync")),
        ("change", messages.change(8, "flood", "r2", "politie", [OBJECT])),
        ("heartbeat", messages.heartbeat(9)),
        ("auth", b'{"type": "auth", "token": "ncp_x"}'),
    ],
)
async def test_what_the_server_writes_is_what_the_document_says(
    client: httpx.AsyncClient, name: str, written: bytes
) -> None:
    document = (await client.get("/asyncapi.json")).json()
    _validator(document, name).validate(orjson.loads(written))


async def test_a_message_off_the_document_is_caught(client: httpx.AsyncClient) -> None:
    document = (await client.get("/asyncapi.json")).json()
    errors = list(_validator(document, "change").iter_errors({"type": "change", "seq": -1, "objects": [{}]}))
    assert errors
