"""The Cursor-on-Target TCP listener (``netcop serve --cot-port``): TAK clients and gateways stream ``<event>``s
over a plain TCP connection; each event becomes one report, through the path of ``POST /api/v1/ingest/cot``
(``reports.sender`` and ``reports.submit_body``), so every guarantee, limit and refusal is that route's.

The protocol, per connection:

1. The client's first line (within ``AUTH_SECONDS``, at most ``MAX_LINE`` bytes) is
   ``<token> <incident>[ <visibility>[ <audience>,<audience>...]]``: a report token of the sending organisation
   and the incident the events belong to (CoT knows none). The server answers ``ok`` or ``error <status>
   <message>`` and closes.
2. Then events, one after the other as TAK writes them (each with or without its XML declaration): each complete
   ``<event>...</event>`` is one report. The server answers one line per event, ``<status> <report id>`` or
   ``<status> <message>``, while the client reads them (a client that never reads is not answered once
   ``MAX_UNREAD`` bytes wait for it, and is not slowed down either).
3. An event larger than ``NETCOP_MAX_REPORT_BYTES`` closes the connection (``413``); so does a token revoked
   meanwhile (each event is authenticated again, through the token cache), and ``IDLE_SECONDS`` of silence.

Connections count against the HTTP edge's bounds (``NETCOP_MAX_CONNECTIONS`` and ``..._PER_ADDRESS``): beyond
them a newcomer is answered ``error 503 ...`` and closed.

Plain TCP carries the token in clear: listen on loopback or a trusted network, or put a TLS terminator in front.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator

from app import edge
from app.api import reports
from app.errors import NetcopError, PayloadTooLarge
from app.formats import cot
from app.state import AppState

log = logging.getLogger(__name__)

AUTH_SECONDS = 5.0
MAX_LINE = 4096
MAX_UNREAD = 64 * 1024
IDLE_SECONDS = 300.0  # silence after which a connection is closed
_EVENT_END = re.compile(rb"</event\s*>")


class CotListener:
    """One TCP server per process (``SO_REUSEPORT``: each worker of ``netcop serve --workers`` accepts)."""

    def __init__(self, state: AppState, host: str, port: int) -> None:
        self._state, self._host, self._port = state, host, port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The port listened on (the one the system chose, for port 0)."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self._host, self._port, reuse_port=True,
                                                  limit=MAX_LINE)  # fmt: skip

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) else ""
        refusal = edge.connections().admit(address)  # the HTTP edge's bounds: in all, and per address
        if refusal is not None:
            writer.write(f"error {refusal.status} {refusal}\n".encode())
            writer.close()
            return
        self._connections.add(task)
        try:
            await Connection(self._state, reader, writer).run()
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            self._connections.discard(task)
            edge.connections().release(address)
            writer.close()


class Connection:
    """One client's connection: its first line, then its events."""

    def __init__(self, state: AppState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._state, self._reader, self._writer = state, reader, writer
        peer = writer.get_extra_info("peername")
        self._address = peer[0] if isinstance(peer, tuple) else None

    async def run(self) -> None:
        try:
            first = await asyncio.wait_for(self._reader.readline(), AUTH_SECONDS)
            token, fields = _first_line(first)
            intake = reports.Intake(f"Bearer {token}", None, None, _nothing(), self._address)
            await reports.sender(self._state, intake)
        except (TimeoutError, ValueError):
            self._answer("error 400 the first line is: <token> <incident>[ <visibility>[ <audience>,...]]")
            return
        except NetcopError as error:
            self._answer(f"error {error.status} {error}")
            return
        self._answer("ok")
        try:
            async for event in _events(self._reader, self._state.settings.max_report_bytes):
                if not await self._submit(intake, fields, event):
                    return
        except PayloadTooLarge as error:
            self._answer(f"{error.status} {error}")

    async def _submit(self, intake: reports.Intake, fields: cot.Fields, event: bytes) -> bool:
        """One event as one report; False when the connection must end."""
        try:
            who = await reports.sender(self._state, intake)
            translation = cot.translate(cot.read(event), fields)
            status, answer = await reports.submit_body(self._state, who, translation.body, locate=translation.locate)
        except NetcopError as error:
            self._answer(f"{error.status} {error}")
            return error.status not in (401, 403, 413)
        self._answer(f"{status} {answer['id']}")
        return True

    def _answer(self, line: str) -> None:
        if self._writer.transport.get_write_buffer_size() < MAX_UNREAD:
            self._writer.write(line.replace("\n", " ").encode() + b"\n")


def _first_line(line: bytes) -> tuple[str, cot.Fields]:
    """The token and the report fields of a connection's first line (ValueError when it is not one)."""
    parts = line.decode("utf-8").split()
    if not 2 <= len(parts) <= 4 or not line.endswith(b"\n"):
        raise ValueError("not a first line")
    audience = tuple(parts[3].split(",")) if len(parts) == 4 else ()
    return parts[0], cot.Fields(parts[1], None, parts[2] if len(parts) >= 3 else None, audience)


async def _events(reader: asyncio.StreamReader, limit: int) -> AsyncIterator[bytes]:
    """Each complete ``<event>...</event>`` as the client sends them; 413 for one longer than ``limit``."""
    pending = b""
    while True:
        async with asyncio.timeout(IDLE_SECONDS):  # a TAK client reports every few seconds: a silent one is gone
            chunk = await reader.read(65536)
        if not chunk:
            return
        pending += chunk
        while (end := _EVENT_END.search(pending)) is not None:
            yield pending[: end.end()].strip()
            pending = pending[end.end() :]
        if len(pending) > limit:
            raise PayloadTooLarge(f"an event exceeds {limit} bytes")


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""
