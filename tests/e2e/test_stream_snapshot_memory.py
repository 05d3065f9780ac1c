"""Snapshots without copies (issue 8, point 4), on a real server process: streams that never read, opened over a
large picture, hold their buffer bound each and share one snapshot, instead of a copy of the picture each; and
what they held is given back when they close."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
from pathlib import Path

import httpx
import pytest

from tests.support import streams
from tests.support.processes import Server
from tests.support.reports import fresh

pytestmark = pytest.mark.e2e

STREAMS = 20
BUFFER_BYTES = 1024 * 1024
PICTURE_OBJECTS = 5000  # about 5 MB as a snapshot


@pytest.fixture
def netcop_env(netcop_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**netcop_env, "NETCOP_STREAM_BUFFER_BYTES": str(BUFFER_BYTES),
            "NETCOP_STREAM_RATE_PER_ORGANISATION": "1000", "NETCOP_WORK_BURST_PER_ORGANISATION": "100000"}  # fmt: skip


def _rss(server: Server) -> int:
    """The server process's resident memory, in bytes."""
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def _silent_stream(server: Server, token: streams.Token) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A stream whose client takes the handshake's answer and then never reads (a small receive buffer)."""
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /api/v1/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Authorization: Bearer {token.secret}\r\n\r\n").encode())  # fmt: skip
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def test_streams_that_never_read_share_one_snapshot_and_hold_their_buffer_each(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        token = await streams.issue(http, "veiligheidsregio")
        note = "x" * 900
        for first in range(0, PICTURE_OBJECTS, 1000):
            objects = [{"id": f"o{n:05d}", "kind": "unit", "properties": {"note": note}}
                       for n in range(first, first + 1000)]  # fmt: skip
            await streams.post(http, token, fresh("large-picture", *objects))
        picture = await http.get("/api/v1/picture", headers=token.headers)
        size = len(picture.content)
    assert size > 4_500_000
    await asyncio.sleep(0.5)
    before = _rss(server)
    silent = [await _silent_stream(server, token) for _ in range(STREAMS)]
    try:
        await asyncio.sleep(3)  # each has been written what its client's socket and its buffer bound take
        added = _rss(server) - before
        # Built per stream, each snapshot cost a few copies of the picture: STREAMS x 3 x 5 MB = 300 MB. Shared and
        # written as the client takes it: one picture and a buffer bound (1 MiB) per stream, about 25 MB.
        assert added < size + STREAMS * BUFFER_BYTES * 2, f"{added / 1e6:.0f} MB added for {STREAMS} streams"
    finally:
        for _, writer in silent:
            writer.transport.abort()
    await asyncio.sleep(1)
    kept = _rss(server) - before
    assert kept < size, f"{kept / 1e6:.0f} MB kept after the streams closed ({added / 1e6:.0f} MB while open)"
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        assert (await http.get("/healthz")).status_code == 200
