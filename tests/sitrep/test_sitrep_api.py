"""``GET /api/v1/incidents/{id}/sitrep`` (spec section 9): the situation report, in each format, of exactly the
viewer's picture, now, as known at ``as_of``, and with the changes since ``since``."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from tests.api.support import Json, accept, at
from tests.sitrep.conftest import INCIDENT, SECRET, Flood

PATH = f"/api/v1/incidents/{INCIDENT}/sitrep"


async def sitrep(client: httpx.AsyncClient, headers: dict[str, str], fmt: str = "json", **params: Any) -> bytes:
    response = await client.get(PATH, headers=headers, params={"format": fmt, **params})
    assert response.status_code == 200, response.text
    return response.content


async def sitrep_json(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> Json:
    body: Json = orjson.loads(await sitrep(client, headers, "json", **params))
    return body


def _summaries(body: Json) -> dict[str, str | None]:
    return {o["organisation"]: o["summary"] for d in body["disciplines"] for o in d["organisations"]}


async def test_the_json_sitrep_holds_header_sections_figures_and_conflicts(client: httpx.AsyncClient, flood: Flood):
    """The header carries title, category, GRIP and status; disciplines come in the contract's order with each
    organisation's latest summary; key figures are summed with their sources; the disputed count is a conflict."""
    body = await sitrep_json(client, flood.medical)
    incident = body["incident"]
    assert (incident["title"], incident["category"], incident["grip"], incident["status"]) == (
        "Dijkdoorbraak Dordrecht", "flood", 3, "active")  # fmt: skip
    assert [d["discipline"] for d in body["disciplines"]] == ["police", "fire", "medical"]
    assert _summaries(body) == {"politie-zhz": "N3 reopened; Wielwijk evacuated",
                                "brandweer-zhz": "Pumps at the breach", "ghor-zhz": "Two field hospitals open"}
    figures = {f["property"]: f for f in body["key_figures"]}
    totals = {"dead": 1, "injured": 15, "evacuated": 1200, "to_evacuate": 3400, "capacity": 400, "occupancy": 120}
    assert {name: f["total"] for name, f in figures.items()} == totals
    injured = figures["injured"]["items"][0]
    assert (injured["source"]["organisation"], injured["source"]["report"], injured["disputed"]) == (
        "ghor-zhz", "ghor-1", True)  # fmt: skip
    assert figures["evacuated"]["items"][0]["source"]["organisation"] == "politie-zhz"
    [conflict] = body["conflicts"]
    assert (conflict["object"], conflict["property"]) == ("casualties-wielwijk", "injured")
    assert sorted(v["value"] for v in conflict["values"]) == [12, 15]
    assert body["as_of"] is None
    assert body["time"] > flood.second_round  # the receipt of the last report (bw-2), not the clock
    assert {f["id"] for f in body["map"]} == {"hazard-merwede", "shelter-sporthal", "evac-wielwijk", "pump-1"}


@pytest.mark.parametrize(("fmt", "media"), [("md", "text/markdown"), ("html", "text/html")])
async def test_markdown_and_html_say_the_same_things(client: httpx.AsyncClient, flood: Flood, fmt: str, media: str):
    """The text formats carry the header, each discipline's summaries, the figures with sources, the conflict and
    the map (an SVG, inline in HTML, a data URI in Markdown)."""
    response = await client.get(PATH, headers=flood.medical, params={"format": fmt})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    text = response.text
    for expected in ("Dijkdoorbraak Dordrecht", "GRIP", "Police", "Fire service", "Medical (GHOR)",
                     "Two field hospitals open", "Injured: 15 persons", "ghor-zhz, report ghor-1", "DISPUTED",
                     "Open conflicts", "politie-zhz: 12", "Map"):  # fmt: skip
        assert expected.replace("_", "\\_") in text or expected in text, expected
    assert ("<svg" in text) if fmt == "html" else ("data:image/svg+xml;base64," in text)


async def test_html_escapes_partner_text(client: httpx.AsyncClient, partner: Any) -> None:
    """A summary with markup is shown as text, never as HTML."""
    headers = await partner("politie-x", discipline="police")
    body = {"id": "r1", "incident": INCIDENT, "observed_at": at("10:00"), "summary": "<script>alert(1)</script>",
            "objects": [{"id": "o1", "kind": "roadblock"}]}  # fmt: skip
    await accept(client, headers, body)
    html = (await sitrep(client, headers, "html")).decode()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("fmt", ["json", "md", "html"])
async def test_a_restricted_summary_never_reaches_an_organisation_outside_its_audience(
    client: httpx.AsyncClient, flood: Flood, fmt: str
) -> None:
    """Fire's restricted report (to medical) is in medical's sitrep and in no word of police's or the
    municipality's: neither its summary nor its hazard area."""
    assert SECRET in (await sitrep(client, flood.medical, fmt, since=at("09:00"))).decode()
    for outsider in (flood.police, flood.outsider):
        document = (await sitrep(client, outsider, fmt, since=at("09:00"))).decode()
        assert SECRET not in document
        assert "hazard-merwede" not in document
        assert "bw-1" not in document


async def test_fire_appears_with_its_latest_visible_summary_only(client: httpx.AsyncClient, flood: Flood) -> None:
    """For police, fire's latest summary is the partners one; its later-observed restricted one does not count."""
    assert _summaries(await sitrep_json(client, flood.police))["brandweer-zhz"] == "Pumps at the breach"
    earlier = await sitrep_json(client, flood.police, as_of=flood.first_round)
    assert "brandweer-zhz" not in _summaries(earlier)  # fire had reported then, but nothing police may see


async def test_as_of_gives_the_picture_and_header_as_known_then(client: httpx.AsyncClient, flood: Flood) -> None:
    """As known after the first round: GRIP 2, police's first summary, the roadblock still there, no evacuation."""
    body = await sitrep_json(client, flood.medical, as_of=flood.first_round)
    assert body["as_of"] == body["time"] == flood.first_round
    assert body["incident"]["grip"] == 2
    assert _summaries(body)["politie-zhz"] == "Roadblock on the N3"
    assert "evacuated" not in {f["property"] for f in body["key_figures"]}
    assert {f["id"] for f in body["map"]} == {"roadblock-n3", "shelter-sporthal", "hazard-merwede"}


async def test_since_lists_what_changed_and_the_reports_received(client: httpx.AsyncClient, flood: Flood) -> None:
    """Since the first round: the evacuation area and pump are new, the roadblock is gone, and the two later
    reports are listed with their summaries."""
    changes = (await sitrep_json(client, flood.medical, since=flood.first_round))["changes"]
    assert changes["since"] == flood.first_round
    assert [c["object"] for c in changes["added"]] == ["evac-wielwijk", "pump-1"]
    assert [c["object"] for c in changes["removed"]] == ["roadblock-n3"]
    assert changes["changed"] == []
    assert [(r["report"], r["summary"]) for r in changes["reports"]] == [
        ("pol-2", "N3 reopened; Wielwijk evacuated"), ("bw-2", "Pumps at the breach")]  # fmt: skip


async def test_since_names_the_properties_that_changed(client: httpx.AsyncClient, flood: Flood) -> None:
    """A property changed after ``since`` is named on its object; an incident not yet known then is all new."""
    await accept(client, flood.medical, {"id": "ghor-2", "incident": INCIDENT, "observed_at": at("10:30"),
                 "objects": [{"id": "shelter-sporthal", "properties": {"occupancy": 300}}]})  # fmt: skip
    changes = (await sitrep_json(client, flood.medical, since=flood.second_round))["changes"]
    assert changes["changed"] == [{"object": "shelter-sporthal", "kind": "shelter", "properties": ["occupancy"]}]
    everything = (await sitrep_json(client, flood.medical, since="2000-01-01T00:00:00Z"))["changes"]
    assert len(everything["added"]) == 5
    assert len(everything["reports"]) == 6


@pytest.mark.parametrize("fmt", ["json", "md", "html", "pdf"])
async def test_the_same_picture_gives_the_same_bytes(client: httpx.AsyncClient, flood: Flood, fmt: str) -> None:
    """Asked again, and after a report about another incident, the document is byte for byte the same."""
    first = await sitrep(client, flood.medical, fmt, since=flood.first_round)
    await accept(client, flood.police, {"id": "other-1", "incident": "fire-elsewhere", "observed_at": at("11:00"),
                 "objects": [{"id": "o1", "kind": "unit"}]})  # fmt: skip
    assert await sitrep(client, flood.medical, fmt, since=flood.first_round) == first


async def test_unknown_incidents_bad_moments_and_missing_roles_are_refused(
    client: httpx.AsyncClient, flood: Flood, partner: Any
) -> None:
    """404 for an incident the viewer does not know (or not yet at ``as_of``), 422 at a bad ``as_of``, ``since``
    (or one after ``as_of``) or format, 401 without a token, 403 without ``read``."""
    unknown = await client.get("/api/v1/incidents/no-such/sitrep", headers=flood.police)
    assert unknown.status_code == 404
    before = await client.get(PATH, headers=flood.police, params={"as_of": "2000-01-01T00:00:00Z"})
    assert before.status_code == 404
    later = {"as_of": flood.first_round, "since": flood.second_round}
    for name, value in (("as_of", "yesterday"), ("since", "2026-11-27"), ("format", "docx"), ("since", later)):
        params = value if isinstance(value, dict) else {name: value}
        response = await client.get(PATH, headers=flood.police, params=params)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"][0]["path"] == name
    assert (await client.get(PATH)).status_code == 401
    reporter = await partner("politie-zhz", roles=("report",))
    assert (await client.get(PATH, headers=reporter)).status_code == 403
