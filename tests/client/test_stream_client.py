"""The stream client (``app.client``) and ``netcop watch`` against real ``netcop serve`` processes on a SQLite
file of the test's own: a snapshot then changes, resume across a server restart without gap or duplicate, fatal
refusals, and the terminal output."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from websockets.asyncio.server import ServerConnection, serve

from app.client import Change, Heartbeat, ReportRef, Snapshot, StreamAuthError, StreamClient, StreamEvent, StreamRefused
from tests.conftest import ADMIN
from tests.support import processes, reports, streams
from tests.support.processes import Server
from tests.support.server_fixtures import StartServer
from tests.support.streams import Token

pytestmark = pytest.mark.e2e

T = TypeVar("T")
EVENT_TIMEOUT = 30.0  # generous: a server on another process sees a commit within its 1 s poll
RESTART_TIMEOUT = processes.STOP_TIMEOUT + processes.START_TIMEOUT + 2 * EVENT_TIMEOUT
ORG = "politie-client-e2e"
INCIDENT = "flood-client-e2e"


@pytest.fixture
def netcop_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a netcop process on this test's own SQLite file (migrated by ``netcop serve``)."""
    return processes.environment(f"sqlite+aiosqlite:///{tmp_path / 'netcop.db'}")


async def _issue_token(server: Server, roles: list[str]) -> Token:
    """Registers the organisation (if new) and issues it a token."""
    async with streams.http_client(server) as http:
        return await streams.issue(http, ORG, roles)


@pytest.fixture
async def token(server: Server) -> str:
    """A token with the report and read roles."""
    return (await _issue_token(server, ["report", "read"])).secret


def fast_client(url: str, token: str, **options: Any) -> StreamClient:
    """A client that reconnects within half a second."""
    return StreamClient(url, token, reconnect_delay=0.05, max_reconnect_delay=0.5, **options)


async def within(awaitable: Awaitable[T], seconds: float = EVENT_TIMEOUT) -> T:
    async with asyncio.timeout(seconds):
        return await awaitable


async def post(url: str, token: str, n: int) -> int:
    """Posts report ``r-n`` (object ``roadblock-n``) and returns its seq."""
    body = reports.report(
        f"r-{n}", {"id": f"roadblock-{n}", "kind": "roadblock", "properties": {"status": "active", "n": n}},
        incident=INCIDENT,
    )
    async with httpx.AsyncClient(timeout=EVENT_TIMEOUT) as client:
        response = await client.post(f"{url}/api/v1/reports", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    seq: int = response.json()["seq"]
    return seq


async def next_event(events: AsyncGenerator[StreamEvent], seconds: float = EVENT_TIMEOUT) -> Snapshot | Change:
    """The next snapshot or change (heartbeats come every 15 s when nothing happens: skipped)."""
    async with asyncio.timeout(seconds):
        while True:
            event = await anext(events)
            if not isinstance(event, Heartbeat):
                return event


async def changes(events: AsyncGenerator[StreamEvent], count: int, seconds: float = EVENT_TIMEOUT) -> list[int]:
    """The seqs of the next ``count`` events, which must all be changes (a resync snapshot would fail)."""
    seqs = []
    for _ in range(count):
        event = await next_event(events, seconds)
        assert isinstance(event, Change), event
        seqs.append(event.seq)
    return seqs


async def test_yields_the_snapshot_then_each_later_change(server: Server, token: str) -> None:
    """A client without a resume point gets the picture as a snapshot, then one change per later report, in order."""
    first = await post(server.url, token, 1)
    stream = StreamClient(server.url, token)
    async with contextlib.aclosing(stream.events()) as events:
        snapshot = await next_event(events)
        assert isinstance(snapshot, Snapshot)
        assert (snapshot.seq, snapshot.reason) == (first, None)
        assert [o["id"] for o in snapshot.objects] == ["roadblock-1"]
        posted = [await post(server.url, token, n) for n in (2, 3)]
        received = [await next_event(events) for _ in posted]
    assert [e.seq for e in received] == posted
    change = received[0]
    assert isinstance(change, Change)
    assert (change.incident, change.report) == (INCIDENT, ReportRef("r-2", ORG))
    assert [(o["id"], o["properties"]["n"]) for o in change.objects] == [("roadblock-2", 2)]
    assert stream.last_seq == posted[-1]


async def test_resumes_without_gap_or_duplicate_across_a_server_restart(
    server: Server, start_server: StartServer, token: str
) -> None:
    """Reports posted (through another server on the same database) while the client's server is down, and after
    it is back, are each yielded exactly once, in order, by catch-up rather than a resync snapshot."""
    writer = start_server()
    await post(writer.url, token, 1)
    stream = fast_client(server.url, token)
    async with contextlib.aclosing(stream.events()) as events:
        assert isinstance(await next_event(events), Snapshot)
        # The reader's follower may publish seq 1 after the snapshot covered it (a server bug): it must not show.
        second = await post(server.url, token, 2)
        assert await changes(events, 1) == [second]

        async def restart_and_post() -> list[int]:
            await asyncio.to_thread(server.stop)
            down = [await post(writer.url, token, n) for n in (3, 4, 5)]
            await asyncio.to_thread(server.start)
            return down + [await post(server.url, token, n) for n in (6, 7)]

        posted, received = await within(
            asyncio.gather(restart_and_post(), changes(events, 5, RESTART_TIMEOUT)), RESTART_TIMEOUT
        )
        assert received == posted == [3, 4, 5, 6, 7]
        assert stream.reconnects >= 1
        last = await post(server.url, token, 8)
        assert await changes(events, 1) == [last]  # and nothing else came in between
    assert stream.last_seq == 8


async def test_resuming_from_after_seq_yields_only_later_changes(server: Server, token: str) -> None:
    """A client given ``after_seq`` gets no snapshot, only the changes after it."""
    seqs = [await post(server.url, token, n) for n in (1, 2, 3)]
    stream = StreamClient(server.url, token, after_seq=seqs[0])
    async with contextlib.aclosing(stream.events()) as events:
        assert await changes(events, 2) == seqs[1:]


@pytest.mark.parametrize(
    ("roles", "bbox", "error", "status"),
    [
        pytest.param(None, None, StreamAuthError, 401, id="invalid token"),
        pytest.param(["report"], None, StreamAuthError, 403, id="no read role"),
        pytest.param(["read"], "4.6,51.7", StreamRefused, 422, id="malformed bbox"),
    ],
)
async def test_a_refused_handshake_is_fatal(
    server: Server, roles: list[str] | None, bbox: str | None, error: type[Exception], status: int
) -> None:
    """A refusal that retrying cannot mend ends the iteration with a clear error instead of reconnecting."""
    token = (await _issue_token(server, roles)).secret if roles else "not-a-valid-token"
    stream = fast_client(server.url, token, bbox=bbox)
    with pytest.raises(error) as raised:
        await within(anext(aiter(stream)))
    assert getattr(raised.value, "status", None) == status
    assert stream.reconnects == 0


async def test_a_revoked_token_ends_the_stream_with_stream_auth_error(server: Server) -> None:
    """When the token is revoked mid-stream the server closes with 4001, which the client does not retry."""
    issued = await _issue_token(server, ["read"])
    stream = fast_client(server.url, issued.secret)
    async with contextlib.aclosing(stream.events()) as events:
        assert isinstance(await next_event(events), Snapshot)
        async with httpx.AsyncClient() as client:
            revoked = await client.delete(f"{server.url}/api/v1/tokens/{issued.id}", headers=ADMIN)
        assert revoked.status_code == 204, revoked.text
        with pytest.raises(StreamAuthError) as raised:
            await next_event(events)
    assert raised.value.close_code == 4001


async def test_watch_prints_a_line_per_changed_object(
    server: Server, token: str, netcop_env: dict[str, str]
) -> None:
    """``netcop watch`` prints the snapshot summary, then one line per changed object as reports come in, and
    ends cleanly (exit 0) when terminated."""
    watch = await asyncio.create_subprocess_exec(
        processes.netcop_path(),
        "watch",
        "--url",
        server.url,
        env={**netcop_env, "NETCOP_TOKEN": token},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert watch.stdout is not None
        assert (await within(watch.stdout.readline())).decode() == "[snapshot seq 0: 0 objects]\n"
        seq = await post(server.url, token, 1)
        line = (await within(watch.stdout.readline())).decode()
        assert line.startswith(f"seq {seq}  {INCIDENT}  roadblock-1 (roadblock)  by {ORG}/r-1  "), line
        assert "status=active" in line.split("  ")[-1]
        watch.terminate()
        _, stderr = await within(watch.communicate())
        assert watch.returncode == 0, stderr.decode()
    finally:
        if watch.returncode is None:
            watch.kill()
            await watch.wait()


def _message(kind: str, seq: int, **extra: Any) -> dict[str, Any]:
    if kind == "change":
        extra = {"incident": INCIDENT, "report": {"id": f"r-{seq}", "organisation": ORG}, "objects": [], **extra}
    if kind == "snapshot":
        extra = {"objects": [], **extra}
    return {"type": kind, "seq": seq, **extra}


async def test_resume_point_dedup_and_close_codes_against_a_scripted_server() -> None:
    """Snapshots, changes and heartbeats move the resume point, a repeated change is dropped, 4008 and 1011 are
    retried with ``after_seq``, a resync snapshot is yielded as such, and 4003 is fatal: checked against a
    WebSocket server that plays a script (to force what a real server does only under races)."""
    script: list[list[dict[str, Any] | int]] = [
        [_message("snapshot", 5), _message("change", 5), _message("change", 6), _message("heartbeat", 9), 4008],
        [_message("snapshot", 12, reason="resync"), _message("change", 12), _message("change", 13), 1011],
        [4003],
    ]
    requests: list[tuple[str, str | None]] = []

    async def play(websocket: ServerConnection) -> None:
        assert websocket.request is not None
        requests.append((websocket.request.path, websocket.request.headers.get("Authorization")))
        for step in script[len(requests) - 1]:
            if isinstance(step, int):
                await websocket.close(step)
                return
            await websocket.send(orjson.dumps(step).decode())

    async with serve(play, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        stream = fast_client(f"http://127.0.0.1:{port}", "t0k3n", incidents=[INCIDENT])
        received: list[tuple[str, int]] = []

        async def follow() -> None:
            async for event in stream:
                received.append((getattr(event, "reason", None) or type(event).__name__, event.seq))

        with pytest.raises(StreamAuthError) as raised:
            await within(follow())
    assert received == [("Snapshot", 5), ("Change", 6), ("Heartbeat", 9), ("resync", 12), ("Change", 13)]
    path = f"/api/v1/stream?incident={INCIDENT}"
    assert requests == [
        (path, "Bearer t0k3n"),
        (f"{path}&after_seq=9", "Bearer t0k3n"),
        (f"{path}&after_seq=13", "Bearer t0k3n"),
    ]
    assert (raised.value.close_code, stream.reconnects, stream.last_seq) == (4003, 2, 13)
