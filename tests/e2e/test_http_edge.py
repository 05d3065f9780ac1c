"""The HTTP edge holds against clients that send too much or too slowly (issue: no partner can hurt another), on
a real server process: a huge head is refused with 431 and its connection closed, slow senders are cut off at
the deadline, and other clients are served all along."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN
from tests.support.processes import Server
from tests.support.server_fixtures import StartServer

pytestmark = pytest.mark.e2e

HEAD_TIMEOUT = 1.5


@pytest.fixture
def netcop_env(netcop_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Short deadlines, so that the test does not wait long."""
    return {**netcop_env, "NETCOP_HEAD_TIMEOUT_SECONDS": str(HEAD_TIMEOUT), "NETCOP_BODY_TIMEOUT_SECONDS": "2"}


def _address(server: Server) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


async def _healthy(server: Server) -> float:
    """Seconds /healthz took."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        assert (await client.get("/healthz")).status_code == 200
    return time.monotonic() - started


async def test_a_huge_head_is_refused_with_431_and_others_are_served(start_server: StartServer) -> None:
    """A client streaming an endless header gets 431 once its head passes the bound, and the connection is closed
    long before it has sent much; meanwhile /healthz answers at once."""
    server = start_server()
    reader, writer = await asyncio.open_connection(*_address(server))
    sent = 0
    answer = b""
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nhost: netcop\r\nx-huge: ")
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            while sent < 50 * 1024 * 1024:
                writer.write(b"a" * 65536)
                await writer.drain()
                sent += 65536
                if reader.at_eof() or (answer := await _read_some(reader)):
                    break
        answer += await _read_some(reader, 2.0)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    assert answer.startswith(b"HTTP/1.1 431"), answer[:100]
    assert b'"code":"head_too_large"' in answer
    assert sent < 4 * 1024 * 1024
    assert await _healthy(server) < 2.0


async def _read_some(reader: asyncio.StreamReader, within: float = 0.01) -> bytes:
    """What arrives within the time; a connection the server reset reads as closed (``at_eof``)."""
    try:
        return await asyncio.wait_for(reader.read(4096), within)
    except TimeoutError:
        return b""
    except ConnectionResetError:  # it wrote after the server had answered and closed: the server reset it
        reader.feed_eof()
        return b""


async def test_slow_senders_are_cut_off_at_the_deadline_and_others_are_served(start_server: StartServer) -> None:
    """Fifty connections adding a header line every 0.5 s (slowloris) are answered 408 and closed within the
    head deadline plus a margin, and /healthz stays fast while they trickle; so is a connection that sends
    nothing at all, and one that sends its head but not its body."""
    server = start_server()
    host, port = _address(server)
    slow = [await asyncio.open_connection(host, port) for _ in range(50)]
    idle = await asyncio.open_connection(host, port)
    bodiless = await asyncio.open_connection(host, port)
    try:
        bodiless[1].write(b"POST /api/v1/organisations HTTP/1.1\r\nhost: netcop\r\ncontent-length: 100\r\n"
                          b"content-type: application/json\r\n"
                          b"authorization: Bearer " + ADMIN_TOKEN.encode() + b"\r\n\r\n{")  # fmt: skip
        for _, writer in slow:
            writer.write(b"GET /healthz HTTP/1.1\r\nhost: netcop\r\n")
        started = time.monotonic()
        closed: set[int] = set()
        while len(closed) < len(slow) and time.monotonic() - started < HEAD_TIMEOUT + 5:
            for index, (reader, writer) in enumerate(slow):
                if index in closed:
                    continue
                if reader.at_eof() or await _read_some(reader) or reader.at_eof():
                    closed.add(index)
                    continue
                with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                    writer.write(b"x-slow: 1\r\n")
            assert await _healthy(server) < 2.0  # generous: the machine is shared with the load it tests
            await asyncio.sleep(0.5)
        elapsed = time.monotonic() - started
        assert len(closed) == len(slow)
        assert elapsed < HEAD_TIMEOUT + 4
        timed_out = await _read_some(idle[0], 3)
        assert timed_out.startswith(b"HTTP/1.1 408")
        assert b'"code":"request_timeout"' in timed_out
        assert (await _read_some(bodiless[0], 4)).startswith(b"HTTP/1.1 408")
    finally:
        for _, writer in [*slow, idle, bodiless]:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
