"""Prepared frames: the stream's fast path past the per-message ASGI ``send``.

A server-to-client WebSocket frame without compression is the same bytes for every client, so netcop builds
each message's frame once and writes it straight to each subscriber's transport (what uWebSockets calls
"prepared messages"). uvicorn's per-message ASGI send path tops out near 80,000-100,000 deliveries/s on two
cores (``shared/calibration.md``); a transport write costs a fraction of that.

``PreparedFrameProtocol`` is uvicorn's sans-I/O WebSocket protocol with one addition: the ASGI scope carries
``extensions["netcop.frames"]``, a ``FrameWriter`` for this connection. ``netcop serve`` selects it with
``ws="app.realtime.protocol:PreparedFrameProtocol"``; under any other server the extension is absent and the
stream falls back to ASGI sends of the same bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any, Protocol

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

EXTENSION = "netcop.frames"
DROP_AFTER_CLOSE_SECONDS = 30.0


def text_fragments(payload: bytes, size: int) -> Iterator[bytes]:
    """The payload as one text message in frames of at most ``size`` payload bytes (RFC 6455 section 5.4): a
    text frame without FIN, continuation frames, the last with FIN. One frame when it fits."""
    if len(payload) <= size:
        yield text_frame(payload)
        return
    view = memoryview(payload)
    last = (len(payload) - 1) // size * size
    for start in range(0, len(payload), size):
        opcode = 0x01 if start == 0 else 0x00
        first_byte = opcode | (0x80 if start == last else 0x00)
        chunk = view[start : start + size]
        length = len(chunk)
        if length < 126:
            head = bytes((first_byte, length))
        elif length < 65536:
            head = struct.pack("!BBH", first_byte, 126, length)
        else:
            head = struct.pack("!BBQ", first_byte, 127, length)
        yield head + chunk


class Releasable(Protocol):
    def release(self) -> None: ...


def text_frame(payload: bytes) -> bytes:
    """A complete, unmasked, unfragmented text frame (RFC 6455 section 5.2)."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


class FrameWriter:
    """Writes prepared frames to one connection, and closes it without waiting for the client to read."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: PreparedFrameProtocol) -> None:
        self._protocol = protocol

    @property
    def open(self) -> bool:
        p = self._protocol
        return not (p.close_sent or p.disconnected or p.transport.is_closing())

    def buffered(self) -> int:
        """Bytes written but not yet taken by the kernel."""
        return int(self._protocol.transport.get_write_buffer_size())

    def write(self, frame: bytes) -> None:
        if self.open:
            self._protocol.transport.write(frame)

    def close(self, code: int, reason: str = "") -> None:
        """Queues a close frame behind the data in transit; drops the connection if the client has not
        completed the close after 30 s."""
        p = self._protocol
        if not self.open:
            return
        p.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        p.conn.send_close(code, reason)
        p.transport.write(b"".join(p.conn.data_to_send()))
        p.close_sent = True
        if p.read_paused:
            p.read_paused = False
            p.transport.resume_reading()
        # abort, not close: close() would wait for a client that does not read to take the data in transit
        p.close_timer = p.loop.call_later(DROP_AFTER_CLOSE_SECONDS, p.transport.abort)


class PreparedFrameProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, exposing a ``FrameWriter`` in the ASGI scope."""

    admission: Releasable | None = None  # the connection's place in the HTTP edge's count (``app.edge``)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.admission is not None:
            self.admission.release()
            self.admission = None
        super().connection_lost(exc)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # At debug level the websockets library logs every handshake header and frame, bearer tokens and auth
        # messages included: secrets never go to the log, whatever the level.
        self.conn.debug = False

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][EXTENSION] = {"writer": FrameWriter(self)}

    def handle_ping(self) -> None:
        # A client that pings without reading would have its pongs pile up in this process's memory. While the
        # transport is over its high-water mark the pongs are dropped (RFC 6455 section 5.5.3 lets an endpoint
        # answer only the latest of several pings).
        pongs = self.conn.data_to_send()
        if self.writable.is_set():
            self.transport.write(b"".join(pongs))

    def send_receive_event_to_app(self) -> None:
        # uvicorn logs a traceback for each text message that is not UTF-8: a client could fill the log with them.
        if self.curr_msg_data_type == "text" and not self.close_sent:
            try:
                b"".join(self.frames).decode()
            except UnicodeDecodeError:
                self.frames = []
                self.conn.send_close(1007, "invalid UTF-8")
                self.handle_parser_exception()
                return
        super().send_receive_event_to_app()

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body", False):
            # A refused handshake is complete once its response is sent (uvicorn would log it as an error).
            self.handshake_complete = True
