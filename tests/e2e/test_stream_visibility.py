"""Need-to-know on the live stream (spec sections 5 and 7) across four organisations (police, GHOR, fire,
municipality): each stream carries exactly what its viewer may see, as REST shows it; a restricted report never
reaches an organisation outside its audience, not even as an empty change.

The module's tests share one server (heartbeats every second) and its database; each test has organisations and
an incident of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from tests.support import streams
from tests.support.processes import Server
from tests.support.reports import fresh, unique
from tests.support.streams import Json, Token, next_message, post, snapshot

pytestmark = [pytest.mark.e2e, pytest.mark.shared_servers(stream_heartbeat_seconds="1")]

ORGANISATIONS = ("police", "ghor", "fire", "municipality")


@pytest.fixture
async def tokens(http: httpx.AsyncClient) -> dict[str, Token]:
    """A token with ``report`` and ``read`` for each of the four organisations (names of this test's own)."""
    return {name: await streams.issue(http, unique(name)) for name in ORGANISATIONS}


@pytest.fixture
def incident() -> str:
    return unique("hazmat")


@pytest.fixture
async def streams_of(server: Server, tokens: dict[str, Token]) -> AsyncIterator[dict[str, ClientConnection]]:
    """An open stream per organisation, past its snapshot."""
    async with AsyncExitStack() as stack:
        opened = {name: await stack.enter_async_context(streams.stream(server, t)) for name, t in tokens.items()}
        for ws in opened.values():
            await snapshot(ws)
        yield opened


def restricted_to(tokens: dict[str, Token], *names: str) -> Json:
    return {"visibility": "restricted", "audience": [tokens[name].organisation for name in names]}


async def next_change(ws: ClientConnection) -> Json:
    """The next change message, after nothing but heartbeats (an empty change would fail here too)."""
    while (message := await next_message(ws))["type"] == "heartbeat":
        pass
    assert message["type"] == "change", message
    return message


async def shelter_state(http: httpx.AsyncClient, token: Token, incident: str) -> Json:
    response = await http.get(f"/api/v1/incidents/{incident}/objects/shelter-1", headers=token.headers)
    assert response.status_code == 200, response.text
    state: Json = response.json()
    return state


@pytest.mark.parametrize("audience", [("ghor",), ("ghor", "fire"), ("municipality",)])
async def test_a_restricted_report_reaches_its_audience_and_sender_only(
    http: httpx.AsyncClient,
    tokens: dict[str, Token],
    streams_of: dict[str, ClientConnection],
    incident: str,
    audience: tuple[str, ...],
) -> None:
    """A police report restricted to an audience reaches the streams of police and of that audience; the others
    receive nothing of it: their next change is the following partners report."""
    secret = {"id": "casualties", "kind": "casualty-count", "properties": {"injured": 12}}
    restricted = await post(http, tokens["police"], fresh(incident, secret, **restricted_to(tokens, *audience)))
    public = await post(http, tokens["fire"], fresh(incident, {"id": "cordon", "kind": "cordon"}))
    for name, ws in streams_of.items():
        if name == "police" or name in audience:
            change = await next_change(ws)
            assert (change["seq"], change["objects"][0]["properties"]) == (restricted["seq"], {"injured": 12})
        assert (await next_change(ws))["seq"] == public["seq"], f"{name} was told of the restricted report"


@pytest.mark.parametrize("visibility", ["partners", "public"])
async def test_a_partners_or_public_report_reaches_every_organisation(
    http: httpx.AsyncClient,
    tokens: dict[str, Token],
    streams_of: dict[str, ClientConnection],
    incident: str,
    visibility: str,
) -> None:
    """A ``partners`` or ``public`` report reaches every organisation's stream, with the same object states."""
    body = fresh(incident, {"id": "roadblock-1", "kind": "roadblock", "properties": {"status": "active"}})
    answer = await post(http, tokens["municipality"], {**body, "visibility": visibility})
    received = [await next_change(ws) for ws in streams_of.values()]
    assert [c["seq"] for c in received] == [answer["seq"]] * len(ORGANISATIONS)
    assert all(c == received[0] for c in received)


async def test_each_viewer_gets_the_state_it_may_see_of_an_object_with_restricted_assertions(
    http: httpx.AsyncClient, tokens: dict[str, Token], streams_of: dict[str, ClientConnection], incident: str
) -> None:
    """For an object asserted by a partners report (fire) and a police report restricted to GHOR, police and
    GHOR receive the full state, fire and the municipality the partners-only state, each as REST shows it to
    them, also after a later partners update."""
    shelter = {"id": "shelter-1", "kind": "shelter", "properties": {"beds": 40}}
    opened = await post(http, tokens["fire"], fresh(incident, shelter))
    casualties = {"id": "shelter-1", "properties": {"casualties": 3}}
    await post(http, tokens["police"], fresh(incident, casualties, **restricted_to(tokens, "ghor")))
    update = await post(http, tokens["fire"], fresh(incident, {"id": "shelter-1", "properties": {"beds": 35}}))
    full = {"police", "ghor"}
    for name, ws in streams_of.items():
        states = [(await next_change(ws))["objects"][0] for _ in range(3 if name in full else 2)]
        assert states[-1]["seq"] == update["seq"]
        assert [s["properties"] for s in states] == (
            [{"beds": 40}, {"beds": 40, "casualties": 3}, {"beds": 35, "casualties": 3}]
            if name in full
            else [{"beds": 40}, {"beds": 35}]
        ), name
        assert states[0]["seq"] == opened["seq"]
        assert states[-1] == await shelter_state(http, tokens[name], incident), name


async def test_each_viewers_snapshot_is_its_rest_picture(
    server: Server, http: httpx.AsyncClient, tokens: dict[str, Token], incident: str
) -> None:
    """A snapshot holds, for each organisation, the incident's objects exactly as its REST picture shows them:
    restricted objects and assertions only for the audience and the sender."""
    restricted = restricted_to(tokens, "ghor")
    shelter = {"id": "shelter-1", "kind": "shelter", "properties": {"beds": 40}}
    await post(http, tokens["fire"], fresh(incident, shelter))
    await post(
        http, tokens["police"], fresh(incident, {"id": "shelter-1", "properties": {"injured": 3}}, **restricted)
    )
    await post(http, tokens["police"], fresh(incident, {"id": "casualties", "kind": "casualty-count"}, **restricted))
    for name, token in tokens.items():
        async with streams.stream(server, token, {"incident": incident}) as ws:
            objects = (await snapshot(ws))["objects"]
        response = await http.get(f"/api/v1/incidents/{incident}/picture", headers=token.headers)
        assert objects == response.json()["objects"], name
        full = name in ("police", "ghor")
        assert [o["id"] for o in objects] == (["casualties", "shelter-1"] if full else ["shelter-1"]), name
        assert objects[-1]["properties"] == ({"beds": 40, "injured": 3} if full else {"beds": 40}), name
