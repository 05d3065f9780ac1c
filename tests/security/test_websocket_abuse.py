"""Hostile WebSocket clients against a real ``netcop serve`` (spec section 7): malformed frames, oversized frames,
compression bombs and floods close that one socket (with a protocol close code, or by dropping it) and nothing
else: a well-behaved stream on the same server still gets the change of a report posted afterwards, ``/healthz``
answers, and the server logs no traceback.

The hostile clients speak RFC 6455 over a raw TCP socket (``RawSocket``): a library client would refuse to send
what these tests send. Every read is bounded by ``WAIT``; nothing sleeps.

The module's tests share one server and its database; each test uses organisations and incidents of its own.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import struct
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import streams
from tests.support.processes import Server
from tests.support.reports import fresh, unique
from tests.support.streams import WAIT, Token, next_message, post, snapshot, stream

pytestmark = [pytest.mark.e2e, pytest.mark.shared_servers()]

# Close codes (RFC 6455 section 7.4.1) and opcodes (section 5.2).
PROTOCOL_ERROR, POLICY_VIOLATION, INVALID_DATA, TOO_BIG = 1002, 1008, 1007, 1009
REFUSALS = {PROTOCOL_ERROR, INVALID_DATA, POLICY_VIOLATION, TOO_BIG}
CONT, TEXT, BINARY, CLOSE, PING = 0x0, 0x1, 0x2, 0x8, 0x9
FIN, RSV1, RSV2, RSV3 = 0x80, 0x40, 0x20, 0x10
MAX_FRAME = 64 * 1024  # the server's ws_max_message_bytes


@pytest.fixture
def server(server: Server) -> Iterator[Server]:
    """The shared server; a test fails when the server logged a traceback while it ran."""
    logged = server.log_path.stat().st_size
    yield server
    with server.log_path.open("rb") as log:
        log.seek(logged)
        written = log.read().decode(errors="replace")
    assert "Traceback" not in written, written
    assert "Exception in ASGI application" not in written, written


@pytest.fixture
async def reader(http: httpx.AsyncClient) -> Token:
    return await streams.issue(http, unique("abuse"))


# --- a raw WebSocket client -------------------------------------------------------------------------------


def frame(first: int, payload: bytes = b"", *, mask: bool = True, length: int | None = None) -> bytes:
    """A client frame: ``first`` is FIN, RSV and opcode; ``length`` may declare a length other than the payload's."""
    size = len(payload) if length is None else length
    mask_bit = 0x80 if mask else 0
    if size < 126:
        head = bytes((first, mask_bit | size))
    elif size < 65536:
        head = bytes((first, mask_bit | 126)) + struct.pack("!H", size)
    else:
        head = bytes((first, mask_bit | 127)) + struct.pack("!Q", size)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawSocket:
    """One TCP connection that performs the WebSocket handshake and then sends whatever bytes it is told to."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.response_head = ""

    @classmethod
    async def open(cls, server: Server, token: Token | None, *extra_headers: str) -> RawSocket:
        host, port = server.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), WAIT)
        raw = cls(reader, writer)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            "GET /api/v1/stream HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *([f"Authorization: Bearer {token.secret}"] if token else []),
            *extra_headers,
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        raw.response_head = head.decode("latin-1")
        assert raw.response_head.startswith("HTTP/1.1 101"), raw.response_head
        return raw

    def header(self, name: str) -> str | None:
        for line in self.response_head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None

    async def send(self, data: bytes) -> None:
        """Sends bytes; a server that has closed already may make this fail, which is fine."""
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, OSError):
            pass

    async def read_frame(self) -> tuple[int, bytes] | None:
        """The next server frame (opcode, payload), or None when the server dropped the connection."""
        try:
            first, second = await self.reader.readexactly(2)
            size = second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
            return first & 0x0F, await self.reader.readexactly(size)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None

    async def first_message(self) -> bytes:
        """The payload of the next data frame (the snapshot, for a stream without ``after_seq``)."""
        received = await asyncio.wait_for(self.read_frame(), WAIT)
        assert received is not None, "the server dropped the connection"
        assert received[0] == TEXT, received
        return received[1]

    async def closed_with(self) -> int | None:
        """Reads until the server ends the connection, ``WAIT`` seconds: its close code, or None when it dropped
        the connection without a close frame."""
        async with asyncio.timeout(WAIT):
            while (received := await self.read_frame()) is not None:
                opcode, payload = received
                if opcode == CLOSE:
                    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
        return None

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def hostile(server: Server, reader: Token) -> AsyncIterator[RawSocket]:
    """A stream opened by a raw client, past its snapshot."""
    raw = await RawSocket.open(server, reader)
    await raw.first_message()
    yield raw
    raw.close()


async def assert_still_serving(server: Server, http: httpx.AsyncClient, reader: Token) -> None:
    """A new, well-behaved stream gets the change of a report posted after it opened; ``/healthz`` answers."""
    incident = unique("after-abuse")
    async with stream(server, reader, {"incident": incident}) as ws:
        await snapshot(ws)
        answer = await post(http, reader, fresh(incident, {"id": "unit-1", "kind": "unit"}))
        change = await next_message(ws, "change")
        assert change["seq"] == answer["seq"]
        assert change["report"]["id"] == answer["id"]
    assert (await http.get("/healthz")).status_code == 200
    assert server.process.poll() is None


# --- malformed frames -------------------------------------------------------------------------------------

MALFORMED = {
    "RSV1 set without an extension": frame(FIN | RSV1 | TEXT, b"{}"),
    "RSV2 set": frame(FIN | RSV2 | TEXT, b"{}"),
    "RSV3 set": frame(FIN | RSV3 | BINARY, b"\x00"),
    "an unmasked client frame": frame(FIN | TEXT, b"{}", mask=False),
    "reserved data opcode 0x3": frame(FIN | 0x3, b"x"),
    "reserved control opcode 0xB": frame(FIN | 0xB, b"x"),
    "a ping of 126 bytes": frame(FIN | PING, b"p" * 126),
    "a fragmented ping": frame(PING, b"p"),
    "a continuation with nothing to continue": frame(FIN | CONT, b"x"),
    "a new message inside a fragmented one": frame(TEXT, b"{") + frame(FIN | TEXT, b"}"),
    "a close frame with a 1-byte payload": frame(FIN | CLOSE, b"\x03"),
    "a close frame with a reserved code": frame(FIN | CLOSE, struct.pack("!H", 1005)),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_frame_closes_that_socket_only(
    server: Server, http: httpx.AsyncClient, reader: Token, hostile: RawSocket, data: bytes
) -> None:
    """A frame that breaks RFC 6455 closes the connection with 1002 (or drops it); the server serves on."""
    await hostile.send(data)
    assert await hostile.closed_with() in (PROTOCOL_ERROR, None)
    await assert_still_serving(server, http, reader)


INVALID_UTF8 = {
    "a text frame": frame(FIN | TEXT, b'{"type": "\xff\xfe"}'),
    "a fragmented text message": frame(TEXT, b'{"a": "\xc3') + frame(FIN | CONT, b'\x28"}'),
    "a close reason": frame(FIN | CLOSE, struct.pack("!H", 1000) + b"\xff"),
}


@pytest.mark.parametrize("data", INVALID_UTF8.values(), ids=INVALID_UTF8.keys())
async def test_invalid_utf8_closes_that_socket_with_1007(
    server: Server, http: httpx.AsyncClient, reader: Token, hostile: RawSocket, data: bytes
) -> None:
    """Text that is not UTF-8 closes the connection with 1007 (or drops it); the server serves on."""
    await hostile.send(data)
    assert await hostile.closed_with() in (INVALID_DATA, None)
    await assert_still_serving(server, http, reader)


async def test_garbage_after_the_handshake_closes_that_socket(
    server: Server, http: httpx.AsyncClient, reader: Token, hostile: RawSocket
) -> None:
    """Random bytes instead of frames end the connection; the server serves on."""
    await hostile.send(b"GET / HTTP/1.1\r\n\r\n" + bytes(range(256)) * 4)
    assert await hostile.closed_with() in (*REFUSALS, None)
    await assert_still_serving(server, http, reader)


# --- oversized frames and compression bombs ---------------------------------------------------------------


@pytest.mark.parametrize("declared", [MAX_FRAME + 1, 2**31, 2**63 - 1])
async def test_a_declared_oversized_frame_closes_with_1009_unread(
    server: Server, http: httpx.AsyncClient, reader: Token, hostile: RawSocket, declared: int
) -> None:
    """A frame header declaring more than 64 KiB closes the connection with 1009 before any payload is sent."""
    await hostile.send(frame(FIN | BINARY, b"", length=declared))
    assert await hostile.closed_with() == TOO_BIG
    await assert_still_serving(server, http, reader)


async def test_a_message_oversized_across_fragments_closes_with_1009(
    server: Server, http: httpx.AsyncClient, reader: Token, hostile: RawSocket
) -> None:
    """Fragments that are small on their own but add up to more than 64 KiB close the connection with 1009."""
    piece = b"x" * (16 * 1024)
    await hostile.send(frame(TEXT, piece) + b"".join(frame(CONT, piece) for _ in range(4)) + frame(FIN | CONT, b"x"))
    assert await hostile.closed_with() == TOO_BIG
    await assert_still_serving(server, http, reader)


async def test_permessage_deflate_is_not_negotiated_and_a_compressed_frame_is_refused(
    server: Server, http: httpx.AsyncClient, reader: Token
) -> None:
    """An offer of permessage-deflate is declined; a compression bomb (RSV1 set) then closes with 1002."""
    offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, permessage-deflate"
    raw = await RawSocket.open(server, reader, offer)
    try:
        assert "permessage-deflate" not in (raw.header("Sec-WebSocket-Extensions") or "")
        await raw.first_message()
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        bomb = compressor.compress(b"\x00" * (64 * 1024 * 1024)) + compressor.flush(zlib.Z_SYNC_FLUSH)
        bomb = bomb.removesuffix(b"\x00\x00\xff\xff")  # as RFC 7692 section 7.2.1 sends it
        assert len(bomb) < MAX_FRAME  # 64 MiB inflated, under the frame limit compressed
        await raw.send(frame(FIN | RSV1 | BINARY, bomb))
        assert await raw.closed_with() in (PROTOCOL_ERROR, None)
    finally:
        raw.close()
    await assert_still_serving(server, http, reader)


# --- floods -----------------------------------------------------------------------------------------------


async def test_a_message_flood_closes_with_1008(
    server: Server, http: httpx.AsyncClient, reader: Token, hostile: RawSocket
) -> None:
    """Thousands of small messages sent at once close the connection with 1008; the server serves on."""
    await hostile.send(b"".join(frame(FIN | TEXT, b'{"type": "ping"}') for _ in range(5000)))
    assert await hostile.closed_with() == POLICY_VIOLATION
    await assert_still_serving(server, http, reader)


async def test_a_ping_flood_from_a_client_that_does_not_read_is_bounded(
    server: Server, http: httpx.AsyncClient, reader: Token, hostile: RawSocket
) -> None:
    """Pings from a client that never reads the pongs do not pile up in the server's memory."""
    ping = frame(FIN | PING, b"p" * 125) * 1024
    before = resident_kib(server)
    sent = 0
    with contextlib.suppress(ConnectionError, OSError):
        async with asyncio.timeout(6 * WAIT):
            while sent < 24 * 1024 * 1024:
                hostile.writer.write(ping)
                await hostile.writer.drain()
                sent += len(ping)
    assert resident_kib(server) - before < 12 * 1024, f"{sent} bytes of pings grew the server's memory"
    await assert_still_serving(server, http, reader)


def resident_kib(server: Server) -> int:
    """The server process's resident memory (Linux)."""
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


# --- the browser's first message --------------------------------------------------------------------------

FIRST_MESSAGES = {
    "a binary frame": frame(FIN | BINARY, b'{"type": "auth", "token": "x"}'),
    "a text frame that is not JSON": frame(FIN | TEXT, b"hello"),
    "JSON that is not an object": frame(FIN | TEXT, b"[1, 2]"),
    "a deeply nested JSON text": frame(FIN | TEXT, b"[" * 20_000 + b"]" * 20_000),
    "an unknown token": frame(FIN | TEXT, b'{"type": "auth", "token": "ncp_nope"}'),
}


@pytest.mark.parametrize("data", FIRST_MESSAGES.values(), ids=FIRST_MESSAGES.keys())
async def test_a_bad_first_message_closes_with_4001(
    server: Server, http: httpx.AsyncClient, reader: Token, data: bytes
) -> None:
    """Without an Authorization header, a first message that is not a valid auth message closes with 4001."""
    raw = await RawSocket.open(server, None)
    try:
        await raw.send(data)
        assert await raw.closed_with() == 4001
    finally:
        raw.close()
    await assert_still_serving(server, http, reader)


async def test_a_client_that_leaves_before_authenticating_is_forgotten(
    server: Server, http: httpx.AsyncClient, reader: Token
) -> None:
    """A browser client that hangs up (or sends a close) before its auth message leaves no trace in the log."""
    for goodbye in (b"", frame(FIN | CLOSE, struct.pack("!H", 1000))):
        raw = await RawSocket.open(server, None)
        await raw.send(goodbye)
        raw.close()
    await assert_still_serving(server, http, reader)
