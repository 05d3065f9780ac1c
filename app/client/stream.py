"""Follows netcop's live stream (spec section 7) with automatic resume: a small client for partner systems.

    import asyncio
    from app.client import Change, Snapshot, StreamClient

    async def main() -> None:
        client = StreamClient("https://netcop.example.nl", token, incidents=["flood-dordrecht-2026-11"])
        picture = {}
        async for event in client:
            if isinstance(event, Snapshot):  # the first message, or a "resync": replace the state
                picture = {(o["incident"], o["id"]): o for o in event.objects}
            elif isinstance(event, Change):
                picture.update({(o["incident"], o["id"]): o for o in event.objects})
            save_resume_point(client.last_seq)  # for the next run: StreamClient(..., after_seq=...)

    asyncio.run(main())

The life cycle of one iteration:

    connect (Authorization header) -> snapshot, or the changes after ``last_seq`` -> live changes and heartbeats
    connection lost (network error, server restart 1012, overflow 4008, ...) -> wait -> connect with
        ``after_seq=last_seq``: every later change exactly once, in order; or a snapshot with reason "resync"

``last_seq`` is the seq of the last event yielded (snapshots, changes and heartbeats all move it; heartbeats are
how a filtered stream moves its resume point past changes it does not see). Changes at or below ``last_seq`` are
dropped, so a caller never sees one twice even if a server sends it twice. Reconnects wait with exponential
backoff and jitter (``reconnect_delay`` doubling up to ``max_reconnect_delay``, each wait a random 50-100% of
that), and start again from ``reconnect_delay`` once a connection delivers a message.

Errors (everything else is retried, for ever):

    StreamError               base class
      StreamAuthError         HTTP 401/403 at the handshake, or close code 4001 (token invalid or revoked) or
                              4003 (no ``read`` role): retrying with the same token cannot succeed
      StreamRefused           another HTTP 4xx at the handshake (a malformed bbox or after_seq is 422, a wrong
                              URL 404); 408 and 429 are retried
      StreamProtocolError     a message that does not follow the spec (a client/server version mismatch)

One client is meant to be iterated by one consumer at a time. Stop iterating with ``break`` (or cancel the
task); ``contextlib.aclosing(client.events())`` closes the connection at once instead of when the generator is
collected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from app.client.events import Change, Heartbeat, Snapshot, StreamError, StreamEvent, parse

log = logging.getLogger(__name__)

STREAM_PATH = "/api/v1/stream"
AUTH_CLOSE_CODES = {4001: "the token is invalid or was revoked", 4003: "the token lacks the read role"}
RETRIED_STATUSES = frozenset({408, 429})
_SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}

Bbox = tuple[float, float, float, float]
_Transient = (ConnectionClosed, InvalidHandshake, OSError, TimeoutError)


class StreamAuthError(StreamError):
    """The server refused the token (see the module docstring)."""

    def __init__(self, message: str, *, status: int | None = None, close_code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.close_code = close_code


class StreamRefused(StreamError):
    """The server refused the request itself; retrying it unchanged cannot succeed."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


def stream_url(
    base_url: str,
    *,
    incidents: Sequence[str] = (),
    kinds: Sequence[str] = (),
    bbox: Bbox | str | None = None,
    after_seq: int | None = None,
) -> str:
    """Builds the stream's ws(s):// URL from the service's base URL (http(s)://host:port[/prefix])."""
    parts = urlsplit(base_url)
    scheme = _SCHEMES.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ValueError(f"the service URL must look like http(s)://host:port, not {base_url!r}")
    path = parts.path.rstrip("/")
    if not path.endswith(STREAM_PATH):
        path += STREAM_PATH
    query = [("incident", i) for i in incidents] + [("kind", k) for k in kinds]
    if bbox is not None:
        query.append(("bbox", bbox if isinstance(bbox, str) else ",".join(repr(float(v)) for v in bbox)))
    if after_seq is not None:
        query.append(("after_seq", str(after_seq)))
    return urlunsplit((scheme, parts.netloc, path, urlencode(query), ""))


class StreamClient:
    """Follows the live stream for ever, resuming after every disconnect (see the module docstring)."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        incidents: Iterable[str] = (),
        kinds: Iterable[str] = (),
        bbox: Bbox | str | None = None,
        after_seq: int | None = None,
        reconnect_delay: float = 1.0,
        max_reconnect_delay: float = 30.0,
    ) -> None:
        if after_seq is not None and after_seq < 0:
            raise ValueError("after_seq must be >= 0")
        if not 0 < reconnect_delay <= max_reconnect_delay:
            raise ValueError("reconnect delays must satisfy 0 < reconnect_delay <= max_reconnect_delay")
        self._url = url
        self._headers = {"Authorization": f"Bearer {token}"}
        self._incidents = _strings(incidents)
        self._kinds = _strings(kinds)
        self._bbox = bbox
        self._last_seq = after_seq or 0
        self._positioned = after_seq is not None
        self._delays = (reconnect_delay, max_reconnect_delay)
        self._reconnects = 0
        stream_url(url, bbox=bbox)  # refuses a malformed URL now rather than at the first connect

    @property
    def last_seq(self) -> int:
        """The resume point: the seq of the last event yielded (0 before the first one without after_seq)."""
        return self._last_seq

    @property
    def reconnects(self) -> int:
        """How many times the client has had to connect again."""
        return self._reconnects

    @property
    def url(self) -> str:
        """The URL the next connection will use (it carries the current resume point)."""
        after_seq = self._last_seq if self._positioned else None
        return stream_url(self._url, incidents=self._incidents, kinds=self._kinds, bbox=self._bbox, after_seq=after_seq)

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self.events()

    async def events(self) -> AsyncGenerator[StreamEvent]:
        """Yields snapshots, changes and heartbeats for ever; raises only the errors that retrying cannot mend."""
        failures = 0
        while True:
            try:
                async with contextlib.aclosing(self._connection()) as connection:
                    async for event in connection:
                        failures = 0
                        if event is not None:
                            yield event
            except _Transient as error:
                _raise_if_fatal(error)
                reason = _describe(error)
            else:
                reason = "the connection ended"  # not expected: _connection ends by raising
            delay = self._backoff(failures)
            failures += 1
            self._reconnects += 1
            log.warning("stream lost (%s); reconnecting after seq %d in %.1f s", reason, self._last_seq, delay)
            await asyncio.sleep(delay)

    async def _connection(self) -> AsyncGenerator[StreamEvent | None]:
        """Yields what one connection delivers (``None`` for what is dropped); ends or raises when it is lost."""
        url = self.url
        # max_size=None: a snapshot carries the whole (filtered) picture, easily more than websockets' 1 MiB.
        async with connect(url, additional_headers=self._headers, max_size=None) as websocket:
            log.info("connected to %s", url)
            while True:
                yield self._accept(parse(await websocket.recv()))

    def _accept(self, event: StreamEvent | None) -> StreamEvent | None:
        """Moves the resume point; drops a change that was already yielded."""
        match event:
            case Snapshot(seq=seq):
                self._last_seq, self._positioned = seq, True  # may move back: the server's state is the truth
            case Change(seq=seq) if seq <= self._last_seq:
                log.debug("dropped change %d: already at %d", seq, self._last_seq)
                return None
            case Change(seq=seq):
                self._last_seq, self._positioned = seq, True
            case Heartbeat(seq=seq) if self._positioned:
                self._last_seq = max(self._last_seq, seq)
        return event

    def _backoff(self, failures: int) -> float:
        """Exponential backoff with jitter: a random 50-100% of min(max delay, delay * 2**failures)."""
        base, cap = self._delays
        ceiling = min(cap, base * (1 << min(failures, 32)))
        return ceiling * random.uniform(0.5, 1.0)


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    """The values as a tuple; a lone string is one value, not its characters."""
    return (values,) if isinstance(values, str) else tuple(values)


def _raise_if_fatal(error: Exception) -> None:
    """Raises the StreamError for a failure that reconnecting cannot mend; returns for a transient one."""
    if isinstance(error, ConnectionClosed) and error.rcvd is not None and error.rcvd.code in AUTH_CLOSE_CODES:
        code = error.rcvd.code
        detail = error.rcvd.reason or AUTH_CLOSE_CODES[code]
        raise StreamAuthError(f"the stream was closed with {code}: {detail}", close_code=code) from error
    if isinstance(error, InvalidStatus):
        status = error.response.status_code
        message = f"the server refused the stream with HTTP {status}: {_error_message(error.response.body)}"
        if status in (401, 403):
            raise StreamAuthError(message, status=status) from error
        if 400 <= status < 500 and status not in RETRIED_STATUSES:
            raise StreamRefused(message, status=status) from error


def _error_message(body: bytes | bytearray | None) -> str:
    """The message of a netcop error body (spec section 2), else the body's start."""
    try:
        return str(orjson.loads(body or b"")["error"]["message"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return bytes(body or b"").decode(errors="replace")[:200] or "(no details)"


def _describe(error: Exception) -> str:
    if isinstance(error, ConnectionClosed):
        if error.rcvd is None:
            return "connection dropped"
        return f"closed with {error.rcvd.code}{': ' + error.rcvd.reason if error.rcvd.reason else ''}"
    return str(error) or type(error).__name__
