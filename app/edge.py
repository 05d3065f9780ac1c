"""The HTTP edge: uvicorn's httptools protocol with the bounds it lacks.

httptools sets no limit on a request's head, and uvicorn gives a client all the time it wants to send one: one
connection sending a 300 MiB header took the process to 682 MiB, and slow senders adding a header line every few
seconds held their connections for as long as they liked. This protocol, served with ``http=`` in
``netcop serve``, bounds both:

- the request line and headers together: at most ``NETCOP_MAX_HEAD_BYTES`` (431, then the connection is closed);
- time: a connection must send a request's complete head within ``NETCOP_HEAD_TIMEOUT_SECONDS`` of its first byte
  (or of connecting), and its body within ``NETCOP_BODY_TIMEOUT_SECONDS`` of the head; otherwise 408 and close;
- connections: at most ``NETCOP_MAX_CONNECTIONS`` open at once (streams included), and at most
  ``NETCOP_MAX_CONNECTIONS_PER_ADDRESS`` from one client address (trusted proxies exempt). A connection beyond
  either is answered 503 with ``Retry-After`` and closed as soon as it is accepted, so that it holds no
  descriptor and no memory while it waits.

A WebSocket handshake is an HTTP request like any other until it is upgraded; the stream's own protocol takes
over from there.
"""

from __future__ import annotations

import asyncio
from functools import cache

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.config import Settings
from app.errors import HeadTooLarge, NetcopError, RequestTimedOut, Unavailable


@cache
def _limits() -> tuple[int, float, float]:
    settings = Settings()
    return settings.max_head_bytes, settings.head_timeout_seconds, settings.body_timeout_seconds


class Connections:
    """The connections this process holds open, in all and per client address."""

    def __init__(self, most: int, most_per_address: int, proxies: frozenset[str]) -> None:
        self.most, self.most_per_address, self.proxies = most, most_per_address, proxies
        self.open = 0
        self.per_address: dict[str, int] = {}

    def admit(self, address: str) -> NetcopError | None:
        """Counts the connection in, or says why it is refused (it is then not counted)."""
        if self.open >= self.most:
            return Unavailable(f"the server holds {self.most} connections: try again shortly")
        held = self.per_address.get(address, 0)
        if held >= self.most_per_address and address not in self.proxies and "*" not in self.proxies:
            return Unavailable(f"{self.most_per_address} connections from this address are open already")
        self.open += 1
        self.per_address[address] = held + 1
        return None

    def release(self, address: str) -> None:
        self.open -= 1
        left = self.per_address[address] - 1
        if left:
            self.per_address[address] = left
        else:
            del self.per_address[address]


@cache
def connections() -> Connections:
    settings = Settings()
    proxies = frozenset(a.strip() for a in settings.forwarded_allow_ips.split(",") if a.strip())
    return Connections(settings.max_connections, settings.max_connections_per_address, proxies)


class Admission:
    """One connection's place in ``Connections``, given back once, by whichever protocol holds it at the end (the
    HTTP protocol, or the WebSocket protocol it was upgraded to)."""

    __slots__ = ("_address", "_held")

    def __init__(self, address: str) -> None:
        self._address, self._held = address, True

    def release(self) -> None:
        if self._held:
            self._held = False
            connections().release(self._address)


REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large", 503: b"Service Unavailable"}


def _response(error: NetcopError) -> bytes:
    """The error in the service's one shape, as a whole HTTP/1.1 response that closes the connection."""
    body = orjson.dumps(error.body())
    extra = b"".join(b"%s: %s\r\n" % header for header in error.raw_headers())
    return (b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n%sconnection: close\r\n\r\n"
            % (error.status, REASONS[error.status], len(body), extra) + body)  # fmt: skip


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """Bounds a request's head in bytes and a request's receipt in time."""

    _head_bytes = 0
    _in_head = True
    _timer: asyncio.TimerHandle | None = None
    admission: Admission | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        address = self.client[0] if self.client else ""
        refusal = connections().admit(address)
        if refusal is not None:
            self._refuse(refusal)
            return
        self.admission = Admission(address)
        self._start_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        if self.admission is not None:
            self.admission.release()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head and self._timer is None:
            self._start_head()
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            # Nothing of this chunk completed a head: all of it was head.
            self._head_bytes += len(data)
            max_bytes = _limits()[0]
            if self._head_bytes > max_bytes:
                self._refuse(HeadTooLarge(f"the request's line and headers exceed {max_bytes} bytes"))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._stop_timer()
        self._timer = self.loop.call_later(_limits()[2], self._too_slow, "the request body")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._stop_timer()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._in_head = True  # the next request on this connection, when it comes, has its own deadline
        super().on_response_complete()

    def handle_websocket_upgrade(self) -> None:
        self._stop_timer()
        super().handle_websocket_upgrade()
        # The connection lives on in the WebSocket protocol: it gives the place back when the stream ends.
        upgraded = self.transport.get_protocol()
        if hasattr(upgraded, "admission"):
            upgraded.admission, self.admission = self.admission, None

    def _start_head(self) -> None:
        self._stop_timer()
        self._timer = self.loop.call_later(_limits()[1], self._too_slow, "the request line and headers")

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _too_slow(self, what: str) -> None:
        self._timer = None
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()
            return
        self._refuse(RequestTimedOut(f"{what} did not arrive in time"))

    def _refuse(self, error: NetcopError) -> None:
        self._stop_timer()
        if not self.transport.is_closing():
            self.transport.write(_response(error))
            self.transport.close()
