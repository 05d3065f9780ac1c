"""Slow consumers (spec section 7): a client that cannot keep up is disconnected with 4008 once its bounded
buffer fills, after the data already in transit; it never slows ingestion or other clients; it resumes with
``after_seq`` and gets everything it missed.

The server runs with a small stream buffer (``NETCOP_STREAM_BUFFER_BYTES``). A stalled client stops reading: its
library's queue holds one message, its socket's receive buffer is tiny, and the server's kernel send buffer fills
(at most the kernel's ``tcp_wmem`` maximum) before the server's own buffer does; so the test writes more than that
maximum."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.support import streams
from tests.support.processes import Server
from tests.support.reports import fresh, unique
from tests.support.streams import Json, Token, close_code, next_message, post, snapshot

pytestmark = pytest.mark.e2e

BUFFER_BYTES = 64 * 1024
OBJECTS_PER_REPORT = 8
FILLER = "x" * 7000  # a property value under the 8 KiB limit: a change message of about 57 KB


def enough_bytes() -> int:
    """More than a stalled connection can hold in transit: the server's kernel send buffer at its largest, plus a
    margin for the client's tiny receive buffer, its library's one read and the server's own 64 KiB."""
    path = Path("/proc/sys/net/ipv4/tcp_wmem")
    send_max = int(path.read_text().split()[2]) if path.exists() else 4 * 1024 * 1024
    return send_max + 1024 * 1024


@pytest.fixture
def netcop_env(netcop_env: dict[str, str]) -> dict[str, str]:
    """The test database, and a stream buffer of 64 KiB."""
    return {**netcop_env, "NETCOP_STREAM_BUFFER_BYTES": str(BUFFER_BYTES)}


async def stalled_stream(server: Server, token: Token) -> ClientConnection:
    """A stream past its snapshot whose client reads no more until asked: a one-message queue, a tiny receive
    buffer."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    port = int(server.url.rsplit(":", 1)[1])
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    ws = await connect(
        streams.stream_url(server),
        sock=sock,
        additional_headers=token.headers,
        max_queue=1,
        max_size=None,
        compression=None,
        proxy=None,
        ping_interval=None,
        open_timeout=streams.WAIT,
        close_timeout=1,
    )
    await snapshot(ws)
    return ws


def big_report(incident: str, n: int) -> Json:
    objects = (
        {"id": f"obj-{i}", "kind": "marker", "properties": {"n": n, "filler": FILLER}}
        for i in range(OBJECTS_PER_REPORT)
    )
    return fresh(incident, *objects)


async def post_big_reports(http: httpx.AsyncClient, token: Token, incident: str, reader: ClientConnection) -> list[int]:
    """Posts big reports until more than ``enough_bytes`` went out, each answered 201 and received by the reading
    client before the next is posted; their seqs."""
    answered: list[int] = []
    written = 0
    while written < enough_bytes():
        answer = await post(http, token, big_report(incident, len(answered)))
        change = await next_message(reader, "change")
        assert change["seq"] == answer["seq"], "the reading client fell behind"
        answered.append(answer["seq"])
        written += len(json.dumps(change))
    return answered


async def test_a_slow_consumer_is_closed_with_4008_and_resumes_without_loss(server: Server) -> None:
    """A client that stops reading is closed with 4008 after the changes in transit, while a reading client on
    the same server gets each change before the next report is posted and every report is answered 201; resuming
    with ``after_seq`` = its last change, the slow client gets exactly the rest, in order."""
    async with streams.http_client(server) as http:
        police = await streams.issue(http, unique("police"))
        incident = unique("flood")
        async with streams.stream(server, police) as reader:
            await snapshot(reader)
            slow = await stalled_stream(server, police)
            try:
                answered = await post_big_reports(http, police, incident, reader)
                messages: list[Json] = []
                code = await close_code(slow, within=streams.WAIT * 6, seen=messages)
            finally:
                await slow.close()
        assert code == 4008
        received = [m["seq"] for m in messages if m["type"] == "change"]
        assert 0 < len(received) < len(answered)
        assert received == answered[: len(received)], "the slow client's changes before the close are not a prefix"
        async with streams.stream(server, police, {"after_seq": received[-1]}) as resumed:
            rest = [(await next_message(resumed, "change"))["seq"] for _ in answered[len(received) :]]
        assert rest == answered[len(received) :]


async def test_a_change_larger_than_the_buffer_reaches_every_reading_client(server: Server) -> None:
    """One change bigger than a stream's whole buffer (20 objects of 7 KB against 64 KiB) is no backlog: twenty
    clients that read take it in, none is closed with 4008, and the next change reaches them too."""
    async with streams.http_client(server) as http:
        police = await streams.issue(http, unique("police"))
        incident = unique("flood")
        async with contextlib.AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(streams.stream(server, police)) for _ in range(20)]
            for ws in clients:
                await snapshot(ws)
            objects = [{"id": f"big-{i}", "kind": "marker", "properties": {"filler": FILLER}} for i in range(20)]
            big = await post(http, police, fresh(incident, *objects))
            small = await post(http, police, fresh(incident, {"id": "small", "kind": "marker"}))
            for ws in clients:
                first = await next_message(ws, "change")
                assert (first["seq"], len(first["objects"])) == (big["seq"], 20)
                assert len(json.dumps(first)) > BUFFER_BYTES
                assert (await next_message(ws, "change"))["seq"] == small["seq"]
