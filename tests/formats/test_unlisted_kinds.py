"""Kinds outside the vocabulary (issue 11, point 8): a report may use any kind, kept and merged as sent; the
vocabulary lists, for each reader, the kinds on its picture that it does not."""

from __future__ import annotations

import httpx

from tests.api.support import accept, at, get_json, picture_of
from tests.formats.conftest import Headers


def report(report_id: str, *objects: dict, **fields: object) -> dict:
    return {"id": report_id, "incident": "flood-test", "observed_at": at("10:00"), "objects": list(objects), **fields}


async def test_a_kind_outside_the_vocabulary_is_kept_and_listed_as_unlisted(
    client: httpx.AsyncClient, police: Headers, fire: Headers
) -> None:
    """The object keeps the kind as sent; GET /vocabulary names it in unlisted_kinds for those who see it, and
    not a vocabulary kind, a removed object's kind or a kind only a restricted report asserted to others."""
    await accept(client, police, report("p-1", {"id": "wall", "kind": "sandbag-wall"}, {"id": "u", "kind": "unit"},
                                        {"id": "old", "kind": "old-thing"}))  # fmt: skip
    await accept(client, police, report("p-2", {"id": "old", "removed": True}))
    await accept(client, police, report("p-3", {"id": "secret", "kind": "covert-team"}, visibility="restricted",
                                        audience=["politie"]))  # fmt: skip
    assert (await picture_of(client, fire))["wall"]["kind"] == "sandbag-wall"
    assert (await get_json(client, "/api/v1/vocabulary", fire))["unlisted_kinds"] == ["sandbag-wall"]
    assert (await get_json(client, "/api/v1/vocabulary", police))["unlisted_kinds"] == ["covert-team", "sandbag-wall"]
    stored = (await get_json(client, "/api/v1/reports", police))["reports"][0]
    assert stored["objects"][0] == {"id": "wall", "kind": "sandbag-wall"}
