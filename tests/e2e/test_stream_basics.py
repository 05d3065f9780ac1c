"""The live stream against a real server (spec section 7): the snapshot and the changes, authentication by
header or by a first message, the Origin check, the filters, heartbeats, revocation, and clients that flood or
send oversized frames.

The module's tests share one server (``NETCOP_ALLOWED_ORIGINS`` set, heartbeats every second) and its database;
each test uses organisations and incidents of its own."""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import ADMIN
from tests.support import streams
from tests.support.processes import Server
from tests.support.reports import fresh, point, unique
from tests.support.streams import Json, Token, close_code, ids, next_message, post, snapshot, stream

ALLOWED_ORIGIN = "https://coc.veiligheidsregio.example"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.shared_servers(
        allowed_origins=f"{ALLOWED_ORIGIN}, https://lcms.example", stream_heartbeat_seconds="1"
    ),
]

BBOX = "4.60,51.70,4.70,51.90"
INSIDE, INSIDE_TOO, OUTSIDE, FURTHER_OUT = point(4.65, 51.80), point(4.61, 51.71), point(5.10, 52.10), point(5.3, 52.3)


@pytest.fixture
async def police(http: httpx.AsyncClient) -> Token:
    return await streams.issue(http, unique("police"))


@pytest.fixture
def incident() -> str:
    return unique("flood")


def roadblock(object_id: str, status: str, geometry: Json | None = None) -> Json:
    return {"id": object_id, "kind": "roadblock", "geometry": geometry or INSIDE, "properties": {"status": status}}


def unit(object_id: str, geometry: Json) -> Json:
    return {"id": object_id, "kind": "unit", "geometry": geometry}


def without_type(message: Json) -> Json:
    return {k: v for k, v in message.items() if k != "type"}


async def test_snapshot_first_then_each_change_in_seq_order(
    server: Server, http: httpx.AsyncClient, police: Token, incident: str
) -> None:
    """A stream opened without ``after_seq`` starts with a snapshot of exactly the viewer's objects at the log's
    current seq, then sends one change per report in increasing seq, equal to what ``GET /changes`` lists."""
    fire = await streams.issue(http, unique("fire"))
    ghor = await streams.issue(http, unique("ghor"))
    await post(http, police, fresh(incident, roadblock("rb-1", "active")))
    hidden = fresh(incident, roadblock("rb-secret", "planned"), visibility="restricted", audience=[ghor.organisation])
    last = await post(http, fire, hidden)
    async with stream(server, police) as ws:
        snap = await snapshot(ws)
        assert snap["seq"] == last["seq"]
        response = await http.get(f"/api/v1/incidents/{incident}/picture", headers=police.headers)
        assert [o for o in snap["objects"] if o["incident"] == incident] == response.json()["objects"]
        assert [o["id"] for o in response.json()["objects"]] == ["rb-1"]
        bodies = [
            fresh(incident, roadblock("rb-1", "lifted")),
            fresh(incident, roadblock("rb-2", "active"), unit("fire-truck-1", OUTSIDE)),
            fresh(incident, roadblock("rb-1", "active"), roadblock("rb-2", "lifted")),
        ]
        answers = [await post(http, police if n % 2 else fire, body) for n, body in enumerate(bodies)]
        received = [await next_message(ws, "change") for _ in answers]
    assert [c["seq"] for c in received] == [a["seq"] for a in answers]
    assert [c["report"] for c in received] == [{"id": a["id"], "organisation": a["organisation"]} for a in answers]
    assert [ids(c) for c in received] == [a["changed"] for a in answers]
    assert [without_type(c) for c in received] == await streams.changes(http, police, snap["seq"])


@pytest.mark.parametrize(("roles", "status"), [(None, 401), (("report",), 403)], ids=["bad-token", "no-read-role"])
async def test_header_auth_is_refused_before_the_upgrade(
    server: Server, http: httpx.AsyncClient, roles: tuple[str, ...] | None, status: int
) -> None:
    """A handshake whose ``Authorization`` header carries an unknown token is refused with 401, one whose token
    lacks the ``read`` role with 403, both before the upgrade and with the JSON error shape."""
    token = Token("nobody", "not-a-token", "none") if roles is None else await streams.issue(http, unique("o"), roles)
    with pytest.raises(InvalidStatus) as refused:
        async with stream(server, token):
            pass
    assert refused.value.response.status_code == status
    assert set(json.loads(refused.value.response.body or b"{}")["error"]) >= {"code", "message"}


async def test_browser_authenticates_with_a_first_message(
    server: Server, http: httpx.AsyncClient, police: Token, incident: str
) -> None:
    """A client without an ``Authorization`` header that sends ``{"type": "auth", "token": ...}`` first gets the
    snapshot and then the changes."""
    async with stream(server) as ws:
        await ws.send(json.dumps({"type": "auth", "token": police.secret}))
        await snapshot(ws)
        answer = await post(http, police, fresh(incident, roadblock("rb-1", "active")))
        assert (await next_message(ws, "change"))["seq"] == answer["seq"]


@pytest.mark.parametrize(
    ("first_message", "code"),
    [
        ('{"type": "auth", "token": "not-a-token"}', 4001),
        ('{"type": "hello"}', 4001),
        ("not json", 4001),
        (b'{"type": "auth"}', 4001),
        ('{"type": "auth", "token": "<report-only>"}', 4003),
    ],
    ids=["wrong-token", "not-an-auth-message", "not-json", "binary", "no-read-role"],
)
async def test_browser_auth_is_refused_with_a_close_code(
    server: Server, http: httpx.AsyncClient, first_message: str | bytes, code: int
) -> None:
    """A first message with an unknown token, or that is not an auth message, closes the stream with 4001; a
    token without the ``read`` role closes it with 4003."""
    if isinstance(first_message, str) and "<report-only>" in first_message:
        report_only = await streams.issue(http, unique("o"), ["report"])
        first_message = first_message.replace("<report-only>", report_only.secret)
    async with stream(server) as ws:
        await ws.send(first_message)
        assert await close_code(ws) == code


async def test_browser_that_does_not_authenticate_within_5_s_is_closed_with_4001(server: Server) -> None:
    """A client that sends nothing after the upgrade is closed with 4001 after 5 s (not before)."""
    loop = asyncio.get_running_loop()
    async with stream(server) as ws:
        opened = loop.time()
        assert await close_code(ws, within=5.0 + streams.WAIT) == 4001
        assert loop.time() - opened >= 4.5


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1:1", f"{ALLOWED_ORIGIN}.evil.example"])
async def test_a_handshake_from_an_origin_not_allowed_is_refused_with_403(
    server: Server, police: Token, origin: str
) -> None:
    """A handshake with an ``Origin`` that is neither in ``NETCOP_ALLOWED_ORIGINS`` nor the service's own is
    refused with 403, even with a valid token."""
    with pytest.raises(InvalidStatus) as refused:
        async with stream(server, police, origin=origin):
            pass
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("origin", [ALLOWED_ORIGIN, "https://lcms.example", "<own>"])
async def test_a_handshake_from_an_allowed_origin_passes(server: Server, police: Token, origin: str) -> None:
    """A handshake whose ``Origin`` is listed in ``NETCOP_ALLOWED_ORIGINS``, or is the service's own origin,
    gets the stream."""
    async with stream(server, police, origin=server.url if origin == "<own>" else origin) as ws:
        await snapshot(ws)


async def test_incident_filter_repeats(server: Server, http: httpx.AsyncClient, police: Token) -> None:
    """With ``incident`` given twice, the snapshot and the changes are about those two incidents only."""
    a, b, c = unique("flood-a"), unique("flood-b"), unique("flood-c")
    for incident in (a, b, c):
        await post(http, police, fresh(incident, roadblock("rb-1", "active")))
    async with stream(server, police, {"incident": [a, b]}) as ws:
        assert {o["incident"] for o in (await snapshot(ws))["objects"]} == {a, b}
        answers = [await post(http, police, fresh(i, roadblock("rb-1", "lifted"))) for i in (a, c, b)]
        first, second = await next_message(ws, "change"), await next_message(ws, "change")
    assert (first["seq"], first["incident"]) == (answers[0]["seq"], a)
    assert (second["seq"], second["incident"]) == (answers[2]["seq"], b)


async def test_kind_filter_repeats(server: Server, http: httpx.AsyncClient, police: Token, incident: str) -> None:
    """With ``kind`` given twice, a change carries only objects of those kinds, and a report about other kinds
    only is not sent at all."""
    shelter = {"id": "shelter-1", "kind": "shelter", "geometry": INSIDE, "properties": {"beds": 40}}
    async with stream(server, police, {"incident": incident, "kind": ["roadblock", "shelter"]}) as ws:
        await snapshot(ws)
        mixed = await post(http, police, fresh(incident, roadblock("rb-1", "active"), unit("u-1", INSIDE), shelter))
        change = await next_message(ws, "change")
        assert (change["seq"], ids(change)) == (mixed["seq"], ["rb-1", "shelter-1"])
        await post(http, police, fresh(incident, unit("u-1", OUTSIDE)))
        wanted = await post(http, police, fresh(incident, roadblock("rb-1", "lifted")))
        assert (await next_message(ws, "change"))["seq"] == wanted["seq"]


async def test_an_object_entering_and_leaving_the_bbox_is_told_once_each(
    server: Server, http: httpx.AsyncClient, police: Token, incident: str
) -> None:
    """With a ``bbox``, an object outside is not sent; moving in, it is sent; moving out, it is sent once more
    with its new state (outside), and then no more while it stays outside."""
    outside_first = await post(http, police, fresh(incident, unit("u-1", OUTSIDE)))
    async with stream(server, police, {"incident": incident, "bbox": BBOX}) as ws:
        snap = await snapshot(ws)
        assert (snap["seq"], snap["objects"]) == (outside_first["seq"], [])
        await post(http, police, fresh(incident, unit("u-1", FURTHER_OUT)))
        moves = [INSIDE, INSIDE_TOO, OUTSIDE]
        answers = [await post(http, police, fresh(incident, unit("u-1", where))) for where in moves]
        told = [await next_message(ws, "change") for _ in moves]
        assert [c["seq"] for c in told] == [a["seq"] for a in answers]
        assert [c["objects"][0]["geometry"] for c in told] == moves
        await post(http, police, fresh(incident, unit("u-1", FURTHER_OUT)))
        other = await post(http, police, fresh(incident, unit("u-2", INSIDE)))
        change = await next_message(ws, "change")
        assert (change["seq"], ids(change)) == (other["seq"], ["u-2"]), "u-1 was told again after it had left"


async def test_an_object_removed_in_the_bbox_is_told_once_more(
    server: Server, http: httpx.AsyncClient, police: Token, incident: str
) -> None:
    """An object in the ``bbox`` (known from the snapshot) that is removed is sent once more, removed, and not
    again after that."""
    await post(http, police, fresh(incident, roadblock("rb-1", "active")))
    async with stream(server, police, {"incident": incident, "bbox": BBOX}) as ws:
        assert ids(await snapshot(ws)) == ["rb-1"]
        removal = await post(http, police, fresh(incident, {"id": "rb-1", "removed": True}))
        change = await next_message(ws, "change")
        assert (change["seq"], ids(change), change["objects"][0]["removed"]) == (removal["seq"], ["rb-1"], True)
        await post(http, police, fresh(incident, {"id": "rb-1", "properties": {"status": "gone"}}))
        other = await post(http, police, fresh(incident, roadblock("rb-2", "active")))
        change = await next_message(ws, "change")
        assert (change["seq"], ids(change)) == (other["seq"], ["rb-2"]), "rb-1 was told again after its removal"


async def test_heartbeat_carries_the_latest_seq_processed_for_a_filtered_client(
    server: Server, http: httpx.AsyncClient, police: Token, incident: str
) -> None:
    """A client whose filter excludes a change is not sent the change, but a heartbeat (within the configured
    interval, here 1 s) whose seq is at least that change's, so that it can move its resume point."""
    async with stream(server, police, {"incident": incident}) as ws:
        await snapshot(ws)
        excluded = await post(http, police, fresh(unique("elsewhere"), roadblock("rb-1", "active")))
        async with asyncio.timeout(streams.WAIT):
            while (message := await next_message(ws))["type"] == "heartbeat" and message["seq"] < excluded["seq"]:
                pass
    assert message == {"type": "heartbeat", "seq": excluded["seq"]}


async def test_revoking_a_token_closes_its_streams_with_4001(
    server: Server, http: httpx.AsyncClient, incident: str
) -> None:
    """``DELETE /api/v1/tokens/{id}`` closes every open stream of that token (header or first-message auth) with
    4001 and refuses it from then on, while a stream of another token of the same organisation goes on."""
    organisation = unique("police")
    revoked, kept = await streams.issue(http, organisation), await streams.issue(http, organisation)
    async with stream(server, revoked) as by_header, stream(server) as by_message, stream(server, kept) as other:
        await by_message.send(json.dumps({"type": "auth", "token": revoked.secret}))
        for ws in (by_header, by_message, other):
            await snapshot(ws)
        response = await http.delete(f"/api/v1/tokens/{revoked.id}", headers=ADMIN)
        assert response.status_code == 204, response.text
        assert await close_code(by_header) == 4001
        assert await close_code(by_message) == 4001
        answer = await post(http, kept, fresh(incident, roadblock("rb-1", "active")))
        assert (await next_message(other, "change"))["seq"] == answer["seq"]
    with pytest.raises(InvalidStatus) as refused:
        async with stream(server, revoked):
            pass
    assert refused.value.response.status_code == 401


async def test_a_flooding_client_is_closed_with_1008_and_others_are_unaffected(
    server: Server, http: httpx.AsyncClient, police: Token, incident: str
) -> None:
    """A client that sends many small messages quickly is closed with 1008; another stream goes on."""
    async with stream(server, police) as flooder, stream(server, police) as bystander:
        await snapshot(flooder)
        await snapshot(bystander)
        with contextlib.suppress(ConnectionClosed):
            for n in range(200):
                await flooder.send(json.dumps({"type": "ping", "n": n}))
        assert await close_code(flooder) == 1008
        answer = await post(http, police, fresh(incident, roadblock("rb-1", "active")))
        assert (await next_message(bystander, "change"))["seq"] == answer["seq"]


async def test_an_oversized_client_frame_is_closed_with_1009_and_others_are_unaffected(
    server: Server, http: httpx.AsyncClient, police: Token, incident: str
) -> None:
    """A client frame over 64 KiB closes that stream with 1009; the server goes on serving other streams."""
    async with stream(server, police) as sender, stream(server, police) as bystander:
        await snapshot(sender)
        await snapshot(bystander)
        with contextlib.suppress(ConnectionClosed):
            await sender.send("x" * (64 * 1024 + 1))
        assert await close_code(sender) == 1009
        answer = await post(http, police, fresh(incident, roadblock("rb-1", "active")))
        assert (await next_message(bystander, "change"))["seq"] == answer["seq"]
    async with stream(server, police) as newcomer:
        await snapshot(newcomer)
    assert server.process.poll() is None


async def test_exercises_are_never_mixed_into_the_real_stream(
    server: Server, http: httpx.AsyncClient, police: Token, incident: str
) -> None:
    """Spec section 7: a stream without ``exercise`` carries no object of an exercise incident, in its snapshot,
    its changes or its catch-up; ``exercise=true`` carries only exercises; naming an exercise incident gives it."""
    drill = unique("drill")
    real_id, drill_id = unique("real"), unique("drill-obj")
    await post(http, police, fresh(incident, roadblock(real_id, "open")))
    start = await post(http, police, fresh(drill, roadblock(drill_id, "open"), incident_info={"exercise": True}))
    async with (
        stream(server, police) as real,
        stream(server, police, {"exercise": "true"}) as drills,
        stream(server, police, {"incident": drill}) as named,
    ):
        real_snapshot, drill_snapshot, named_snapshot = [await snapshot(ws) for ws in (real, drills, named)]
        assert real_id in ids(real_snapshot)
        assert drill_id not in ids(real_snapshot)
        assert drill_id in ids(drill_snapshot)
        assert real_id not in ids(drill_snapshot)
        assert ids(named_snapshot) == [drill_id]
        await post(http, police, fresh(drill, roadblock(drill_id, "closed")))
        await post(http, police, fresh(incident, roadblock(real_id, "closed")))
        assert ids(await next_message(real, "change")) == [real_id]
        assert ids(await next_message(drills, "change")) == [drill_id]
        assert ids(await next_message(named, "change")) == [drill_id]
    async with stream(server, police, {"after_seq": start["seq"]}) as resumed:
        caught_up = [await next_message(resumed, "change")]
        assert [ids(c) for c in caught_up] == [[real_id]]
