"""Resuming the live stream (spec section 7, guarantees): a client that reconnects with ``after_seq`` set to the
last seq it processed gets every later matching change exactly once, in order, with no gap, or a snapshot with
``"reason": "resync"``.

The module's tests share one server (heartbeats every second) and its database; each uses names of its own. The
model-based test drives publish / disconnect / reconnect / drain at random and checks the client's processed
changes against ``GET /api/v1/changes`` of the same viewer (the ground truth)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from websockets.asyncio.client import ClientConnection

from tests.support import streams
from tests.support.processes import Server
from tests.support.reports import fresh, point, unique
from tests.support.streams import Json, Token, ids, next_message, post, snapshot, stream

pytestmark = [pytest.mark.e2e, pytest.mark.shared_servers(stream_heartbeat_seconds="1")]

T = TypeVar("T")
ORGANISATIONS = ("police", "fire", "ghor")
OBJECTS = {"m-1": "marker", "m-2": "marker", "u-1": "unit"}  # an object's kind never changes here


def restricted_to(*audience: Token) -> Json:
    return {"visibility": "restricted", "audience": [token.organisation for token in audience]}


def marker(object_id: str, n: int) -> Json:
    return {"id": object_id, "kind": OBJECTS[object_id], "properties": {"n": n}}


async def test_resume_gets_exactly_the_missed_changes_in_order(server: Server, http: httpx.AsyncClient) -> None:
    """Reconnecting with ``after_seq`` = the last seq processed brings, without a snapshot, exactly the changes the
    viewer may see that were made meanwhile, in order, as ``GET /changes`` lists them; then the live ones."""
    police, ghor = await streams.issue(http, unique("police")), await streams.issue(http, unique("ghor"))
    incident = unique("flood")
    async with stream(server, police) as ws:
        await snapshot(ws)
        seen = await post(http, police, fresh(incident, marker("m-1", 1)))
        resume_at = (await next_message(ws, "change"))["seq"]
    assert resume_at == seen["seq"]
    missed = [
        await post(http, ghor, fresh(incident, marker("m-1", 2))),
        await post(http, ghor, fresh(incident, marker("m-2", 3), **restricted_to(ghor))),
        await post(http, police, fresh(unique("other"), marker("u-1", 4))),
        await post(http, ghor, fresh(incident, marker("m-2", 5), marker("u-1", 6))),
    ]
    async with stream(server, police, {"after_seq": resume_at}) as ws:
        caught_up = [await next_message(ws, "change") for _ in range(3)]
        live = await post(http, ghor, fresh(incident, marker("m-1", 7)))
        assert (await next_message(ws, "change"))["seq"] == live["seq"]
    assert [c["seq"] for c in caught_up] == [missed[0]["seq"], missed[2]["seq"], missed[3]["seq"]]
    expected = await streams.changes(http, police, resume_at)
    assert [{"type": "change", **c} for c in expected[:3]] == caught_up


async def test_after_seq_in_the_future_gets_a_resync_snapshot(server: Server, http: httpx.AsyncClient) -> None:
    """A resume point the server does not hold (here, beyond its log) is answered with a snapshot carrying
    ``"reason": "resync"`` and the log's current seq, and the stream goes on from there."""
    police = await streams.issue(http, unique("police"))
    incident = unique("flood")
    last = await post(http, police, fresh(incident, marker("m-1", 1)))
    async with stream(server, police, {"after_seq": last["seq"] + 1000, "incident": incident}) as ws:
        resync = await next_message(ws, "snapshot")
        assert (resync["reason"], resync["seq"], ids(resync)) == ("resync", last["seq"], ["m-1"])
        live = await post(http, police, fresh(incident, marker("m-1", 2)))
        assert (await next_message(ws, "change"))["seq"] == live["seq"]


async def test_an_object_that_left_the_bbox_while_away_is_told_on_resume(
    server: Server, http: httpx.AsyncClient
) -> None:
    """An object inside the client's ``bbox`` that moves out while the client is away is sent once more (with its
    new state) when the client resumes with ``after_seq``, so that it can drop it."""
    police = await streams.issue(http, unique("police"))
    incident = unique("flood")
    await post(http, police, fresh(incident, {"id": "u-1", "kind": "unit", "geometry": point(4.65, 51.80)}))
    params: streams.Params = {"incident": incident, "bbox": "4.60,51.70,4.70,51.90"}
    async with stream(server, police, params) as ws:
        resume_at = (await snapshot(ws))["seq"]
    moved = await post(http, police, fresh(incident, {"id": "u-1", "geometry": point(5.10, 52.10)}))
    await post(http, police, fresh(incident, {"id": "u-2", "kind": "unit", "geometry": point(4.65, 51.80)}))
    async with stream(server, police, {**params, "after_seq": resume_at}) as ws:
        change = await next_message(ws, "change")
    assert (change["seq"], ids(change)) == (moved["seq"], ["u-1"])


@dataclass
class World:
    """What every example of the model shares: a running loop, the server, an HTTP client and the tokens."""

    runner: asyncio.Runner
    server: Server
    http: httpx.AsyncClient
    tokens: dict[str, Token]

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coroutine)


_values = itertools.count(1)


class StreamModel(RuleBasedStateMachine):
    """One viewer's stream across disconnects, against a model of which reports it may see (spec section 5).

    ``predicted`` lists the seqs of the reports the viewer may see that touch an object its filter wants: with
    every report observed later than the one before, each of those changes the viewer's picture. ``processed``
    lists the change messages the client has handled, each as soon as it read it.

    A stream resumed with a kind filter cannot know which objects the client holds, so it may also send, once per
    connection, an object outside the filter (as if leaving it: the client drops it); such objects, and changes
    carrying only them, are allowed there, and only there."""

    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.incident = unique("model")
        self.viewer = ""
        self.kinds: tuple[str, ...] = ()
        self.ws: ClientConnection | None = None
        self.start = self.resume = 0
        self.predicted: list[int] = []
        self.processed: list[Json] = []
        self.resumed = False
        self.told_outside: set[str] = set()

    @initialize(viewer=st.sampled_from(ORGANISATIONS), kinds=st.sampled_from([(), ("marker",)]))
    def subscribe(self, viewer: str, kinds: tuple[str, ...]) -> None:
        self.viewer, self.kinds = viewer, kinds
        self.ws = self.world.run(self._open(None))
        self.start = self.resume = self.world.run(snapshot(self.ws))["seq"]

    @rule(
        sender=st.sampled_from(ORGANISATIONS),
        audience=st.none() | st.lists(st.sampled_from(ORGANISATIONS), min_size=1, max_size=2, unique=True),
        touched=st.lists(st.sampled_from(sorted(OBJECTS)), min_size=1, max_size=3, unique=True),
    )
    def publish(self, sender: str, audience: list[str] | None, touched: list[str]) -> None:
        tokens = self.world.tokens
        visibility = {} if audience is None else restricted_to(*(tokens[o] for o in audience))
        body = fresh(self.incident, *(marker(o, next(_values)) for o in touched), **visibility)
        answer = self.world.run(post(self.world.http, tokens[sender], body))
        sees = audience is None or self.viewer in audience or self.viewer == sender
        if sees and any(self._wants(o) for o in touched):
            self.predicted.append(answer["seq"])

    @precondition(lambda self: self.ws is not None)
    @rule(read_first=st.integers(0, 3))
    def disconnect(self, read_first: int) -> None:
        """Handles some of the changes under way (those that must come), then goes away without the rest."""
        pending = [seq for seq in self.predicted if seq > self.resume]
        self.world.run(self._read_until(pending[:read_first][-1:]))
        assert self.ws is not None
        self.world.run(self.ws.close())
        self.ws = None

    @precondition(lambda self: self.ws is None)
    @rule()
    def reconnect(self) -> None:
        self.ws = self.world.run(self._open(self.resume))
        self.resumed, self.told_outside = True, set()

    @precondition(lambda self: self.ws is not None)
    @rule()
    def drain(self) -> None:
        """Publishes a report every viewer sees, reads up to it, and compares everything processed with the
        viewer's ``GET /changes``: the same changes of wanted objects, and nothing the viewer did not see."""
        self.publish(ORGANISATIONS[0], None, ["m-1"])
        self.world.run(self._read_until(self.predicted[-1:]))
        seen = self.world.run(streams.changes(self.world.http, self.world.tokens[self.viewer], self.start))
        assert [self._wanted(c) for c in seen if self._wanted(c)["objects"]] == [
            self._wanted(m) for m in self.processed if self._wanted(m)["objects"]
        ]
        truth = {c["seq"]: {"type": "change", **c} for c in seen}
        for message in self.processed:
            change = truth.get(message["seq"], {"objects": []})
            assert {**message, "objects": []} == {**change, "objects": []}, f"{message['seq']} was not seen"
            assert all(o in change["objects"] for o in message["objects"]), f"{message['seq']} is not as seen"

    @invariant()
    def processed_exactly_the_predicted_changes_in_order(self) -> None:
        seqs = [c["seq"] for c in self.processed if self._wanted(c)["objects"]]
        assert seqs == self.predicted[: len(seqs)], f"processed {seqs}, the model says {self.predicted}"

    def teardown(self) -> None:
        if self.ws is not None:
            self.world.run(self.ws.close())

    def _wants(self, object_id: str) -> bool:
        return not self.kinds or OBJECTS[object_id] in self.kinds

    def _wanted(self, change: Json) -> Json:
        """The change with only the objects the filter wants (and without its type)."""
        return {**change, "type": "change", "objects": [o for o in change["objects"] if self._wants(o["id"])]}

    async def _open(self, after_seq: int | None) -> ClientConnection:
        params: streams.Params = {"kind": list(self.kinds)}
        if after_seq is not None:
            params["after_seq"] = after_seq
        return await streams.connecting(self.world.server, self.world.tokens[self.viewer], params)

    async def _read_until(self, seqs: list[int]) -> None:
        """Handles messages until the change with the last of ``seqs`` (if any) is processed."""
        assert self.ws is not None
        while seqs and self.resume < seqs[-1]:
            self._handle(await next_message(self.ws))

    def _handle(self, message: Json) -> None:
        if message["type"] == "heartbeat":  # a filtered client's resume point moves with heartbeats
            assert message["seq"] >= self.resume
        else:
            assert message["type"] == "change", f"a resumed stream sent {message}"
            assert message["seq"] > self.resume, f"change {message['seq']} again or out of order"
            outside = [o["id"] for o in message["objects"] if not self._wants(o["id"])]
            assert self.resumed or not outside, f"{outside} outside the filter on a stream that began with a snapshot"
            assert not self.told_outside & set(outside), f"{outside} told twice outside the filter"
            self.told_outside.update(outside)
            self.processed.append(message)
        self.resume = message["seq"]


def test_every_visible_change_is_processed_exactly_once_in_order_across_reconnects(server: Server) -> None:
    """Whatever the interleaving of reports (partners or restricted, from several organisations), disconnects
    and reconnects with ``after_seq``, a client processes exactly the changes its viewer may see (and its kind
    filter wants), each once, in increasing seq, with no gap, as ``GET /changes`` lists them, and nothing its
    viewer may not see."""
    with asyncio.Runner() as runner:
        http = runner.run(_http_client(server))
        try:
            tokens = {name: runner.run(streams.issue(http, unique(name))) for name in ORGANISATIONS}
            StreamModel.world = World(runner, server, http, tokens)
            run_state_machine_as_test(
                StreamModel,
                settings=settings(
                    max_examples=15,
                    stateful_step_count=12,
                    deadline=None,
                    database=None,
                    suppress_health_check=[HealthCheck.too_slow],
                ),
            )
        finally:
            runner.run(http.aclose())


async def _http_client(server: Server) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, timeout=streams.HTTP_TIMEOUT)
