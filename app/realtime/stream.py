"""``GET /api/v1/stream`` (spec section 7): the WebSocket life cycle of one dashboard.

    handshake -> (Origin check, header auth or a first ``auth`` message within 5 s) -> subscribed
    subscribed (``Phase.QUEUED``) -> snapshot, or catch-up from the change log after ``after_seq`` -> live
    (``Phase.LIVE``, the fast path) -> 4008 (``Phase.FELL_BEHIND``) | 4001 (``Phase.REVOKED``) | 1008 (flooding)
    | client gone

The subscriber is registered with the hub BEFORE the snapshot or catch-up is read, so nothing committed in
between can be missed; the writer skips what the snapshot or catch-up already covered (``seq <= sent``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy.exc import DBAPIError
from starlette.responses import Response

from app.domain import geojson
from app.errors import Forbidden, Invalid, NetcopError, TooManyRequests, Unauthorized
from app.realtime import messages
from app.realtime.changes import read_changes
from app.realtime.hub import StreamFilter, Subscriber
from app.realtime.protocol import EXTENSION, FrameWriter, text_fragments
from app.realtime.snapshots import Snapshot
from app.services import stream_reads
from app.services.auth import Principal
from app.services.reading import ObjectFilter
from app.state import AppState

router = APIRouter()

AUTH_TIMEOUT = 5.0
SEND_TIMEOUT = 30.0
MAX_CLIENT_MESSAGES_PER_SECOND = 20
MAX_CATCH_UP = 100_000
CATCH_UP_SPAN = 1000
FRAGMENT_BYTES = 256 * 1024  # a large message's frames: the client's buffer bound applies between them
EXERCISE_VALUES = {"true": True, "1": True, "false": False, "0": False}


def _query(websocket: WebSocket) -> tuple[int | None, StreamFilter]:
    params = websocket.query_params
    try:
        after = params.get("after_seq")
        after_seq = int(after) if after is not None else None
        if after_seq is not None and after_seq < 0:
            raise ValueError("after_seq must be >= 0")
    except ValueError as error:
        raise Invalid.at("after_seq", str(error)) from error
    try:
        bbox = geojson.parse_bbox(params["bbox"]) if "bbox" in params else None
    except ValueError as error:
        raise Invalid.at("bbox", str(error)) from error
    kinds = frozenset(k for v in params.getlist("kind") for k in v.split(",") if k)
    exercise = params.get("exercise", "false").lower()
    if exercise not in EXERCISE_VALUES:
        raise Invalid.at("exercise", "exercise must be true or false")
    return after_seq, StreamFilter(frozenset(params.getlist("incident")), kinds, bbox, EXERCISE_VALUES[exercise])


def _origin_allowed(websocket: WebSocket, allowed: frozenset[str]) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    return origin.rstrip("/") in allowed or is_own_origin(origin, scheme, websocket.headers.get("host", ""))


def is_own_origin(origin: str, scheme: str, host: str) -> bool:
    """Whether ``origin`` is the service's own: the scheme the request came in with and the host it was sent to
    (``Host``), compared as origins are (case-insensitive, a default port the same as none). A page the service
    served itself, such as its dashboard, opens the stream from there without any configuration."""
    try:
        theirs = urlsplit(origin)
        ours = urlsplit(f"{scheme}://{host}")
        their_port, our_port = theirs.port, ours.port
    except ValueError:
        return False
    if not host or theirs.path not in ("", "/") or theirs.query or theirs.username or theirs.password:
        return False
    default = {"http": 80, "https": 443}
    return (
        theirs.scheme.lower() == scheme
        and (theirs.hostname or "") == (ours.hostname or "")
        and (their_port or default.get(theirs.scheme.lower())) == (our_port or default[scheme])
    )


async def _deny(websocket: WebSocket, error: NetcopError) -> None:
    """Refuses the handshake with an HTTP answer in the service's error shape (where the server can send one)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        response = Response(orjson.dumps(error.body()), status_code=error.status, media_type="application/json",
                            headers=error.headers())  # fmt: skip
        await websocket.send_denial_response(response)
    else:
        await websocket.close(code=1008)


async def _authenticate_first_message(websocket: WebSocket, state: AppState) -> Principal:
    try:
        async with asyncio.timeout(AUTH_TIMEOUT):
            message = await websocket.receive_text()
        data = orjson.loads(message)
        if not isinstance(data, dict) or data.get("type") != "auth" or not isinstance(data.get("token"), str):
            raise Unauthorized('the first message must be {"type": "auth", "token": "..."}')
        return await state.authenticator.authenticate(f"Bearer {data['token']}")
    except (TimeoutError, orjson.JSONDecodeError, KeyError) as error:  # KeyError: a binary frame has no text
        raise Unauthorized("no valid auth message within 5 s") from error


@router.websocket("/api/v1/stream")
async def stream(websocket: WebSocket) -> None:
    """The live stream of changes (see the module docstring)."""
    state: AppState = websocket.app.state.netcop
    handshake = contextlib.ExitStack()
    principal = None
    try:
        if not _origin_allowed(websocket, state.settings.origins):
            raise Forbidden("this Origin is not allowed")
        after_seq, flt = _query(websocket)
        if "authorization" in websocket.headers:
            principal = await state.authenticator.authenticate(websocket.headers["authorization"])
            principal.viewer()
            _admit(state, principal)  # 429 before the upgrade
        else:
            handshake.enter_context(state.limits.handshakes.slot())  # 503 before the upgrade
    except NetcopError as error:
        await _deny(websocket, error)
        return
    try:
        with handshake:  # until a browser's stream has said who it is
            await websocket.accept()
            if principal is None:
                principal = await _browser_principal(websocket, state)
                if principal is None:
                    return
        await _serve(websocket, state, principal, after_seq, flt)
    finally:
        if principal is not None:
            state.limits.streams.close(principal.token_id)


def _admit(state: AppState, principal: Principal) -> None:
    """Counts a new stream against its organisation's rate and its token's cap (429 beyond)."""
    state.limits.new_streams.check(principal.viewer())
    state.limits.streams.open(principal.token_id)


async def _browser_principal(websocket: WebSocket, state: AppState) -> Principal | None:
    """Authenticates (and admits) a browser's stream by its first message; None when it was closed instead."""
    try:
        principal = await _authenticate_first_message(websocket, state)
        principal.viewer()
    except (Unauthorized, Forbidden) as error:
        await websocket.close(code=4003 if isinstance(error, Forbidden) else 4001, reason=error.message[:120])
        return None
    except WebSocketDisconnect:
        return None  # the client left before it authenticated
    try:
        _admit(state, principal)
    except TooManyRequests as error:
        await websocket.close(code=1013, reason=error.message[:120])  # try again later
        return None
    return principal


async def _serve(
    websocket: WebSocket, state: AppState, principal: Principal, after_seq: int | None, flt: StreamFilter
) -> None:
    settings = state.settings
    subscriber = Subscriber(
        principal.viewer(), principal.token_id, flt, settings.stream_buffer_messages, settings.stream_buffer_bytes
    )
    extension = websocket.scope.get("extensions", {}).get(EXTENSION)
    subscriber.writer = extension["writer"] if extension else None
    state.hub.add(subscriber)
    try:
        sent = await _initial(websocket, state, subscriber, after_seq)
        if subscriber.writer is not None:
            await _serve_fast(websocket, subscriber, sent)
        else:
            await _serve_asgi(websocket, state, subscriber, sent)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client went away
    except TimeoutError:  # it stopped reading during the snapshot or catch-up: it fell behind
        with contextlib.suppress(Exception):
            closing = _close(websocket, subscriber, 4008)
            if closing is not None:
                await asyncio.wait_for(closing, SEND_TIMEOUT)
    except (OSError, DBAPIError):
        # The database went away before the snapshot or catch-up was read: 1013 "try again later", and the
        # client resumes with after_seq. (Left to the app's error handlers, it would be answered as HTTP on an
        # accepted socket, and the connection dropped without a close frame.)
        with contextlib.suppress(Exception):
            closing = _close(websocket, subscriber, 1013)
            if closing is not None:
                await closing
    finally:
        state.hub.remove(subscriber)


async def _serve_asgi(websocket: WebSocket, state: AppState, subscriber: Subscriber, sent: int) -> None:
    """Without the fast path (another ASGI server): a reader task and a writer task per stream."""
    reader = asyncio.create_task(_read_client(websocket))
    writer = asyncio.create_task(_write(websocket, state, subscriber, sent))
    done, pending = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        close_code = task.result()
        if close_code is not None:
            with contextlib.suppress(Exception):
                await websocket.close(code=close_code)


async def _serve_fast(websocket: WebSocket, subscriber: Subscriber, sent: int) -> None:
    """The fast path, in the stream's one task: drain what was published during the snapshot or catch-up, go
    live (from then on the hub writes, beats and closes), then read the client until it leaves."""
    assert subscriber.writer is not None
    subscriber.sent = sent
    while (change := subscriber.take()) is not None:
        if change.seq > subscriber.sent:
            selected = subscriber.select(change)  # in seq order, after the snapshot or catch-up
            if selected:
                await _send(websocket, subscriber, change.prepared(selected)[0])
            subscriber.sent = change.seq
    if subscriber.ended:
        subscriber.writer.close(subscriber.phase.value)
        return
    subscriber.go_live()
    subscriber.last_write = time.monotonic()
    close_code = await _read_client(websocket)
    if close_code is not None:
        subscriber.writer.close(close_code)


async def _send(websocket: WebSocket, subscriber: Subscriber, message: bytes) -> None:
    """Sends one message: a prepared frame on the fast path, an ASGI send otherwise."""
    if subscriber.writer is not None:
        # In frames as the client takes them: a client that does not read holds its buffer bound of a large
        # message (a snapshot shared by many streams), not a copy of all of it.
        for frame in text_fragments(message, FRAGMENT_BYTES):
            subscriber.writer.write(frame)
            await _drained(subscriber.writer, subscriber.max_bytes)
        return
    async with asyncio.timeout(SEND_TIMEOUT):
        await websocket.send({"type": "websocket.send", "text": message.decode()})


async def _drained(writer: FrameWriter, limit: int) -> None:
    """Waits (up to 30 s) while the client has more than ``limit`` bytes unread: backpressure during catch-up."""
    deadline = time.monotonic() + SEND_TIMEOUT
    while writer.open and writer.buffered() > limit:
        if time.monotonic() > deadline:
            raise TimeoutError("the client does not read")
        await asyncio.sleep(0.01)


def _close(websocket: WebSocket, subscriber: Subscriber, code: int) -> Any:
    if subscriber.writer is not None:
        subscriber.writer.close(code)
        return None
    return websocket.close(code=code)


async def _initial(websocket: WebSocket, state: AppState, subscriber: Subscriber, after_seq: int | None) -> int:
    """Sends the snapshot or the catch-up; returns the seq they cover."""
    end = await stream_reads.last_seq(state.db)
    if after_seq is not None and after_seq <= end and end - after_seq <= MAX_CATCH_UP:
        return await _catch_up(websocket, state, subscriber, after_seq, end)
    reason = None if after_seq is None else "resync"
    return await _snapshot(websocket, state, subscriber, reason)


async def _catch_up(websocket: WebSocket, state: AppState, subscriber: Subscriber, after_seq: int, end: int) -> int:
    if subscriber.filter.narrows:
        await _assume_everything_inside(state, subscriber)
    cursor = after_seq
    while cursor < end:
        until = min(end, cursor + CATCH_UP_SPAN)
        async with state.db.read() as conn:
            changes = await read_changes(conn, cursor, until)
        prepared = [change.prepared(selected) for change in changes if (selected := subscriber.select(change))]
        if subscriber.writer is not None:  # the whole span in one write
            subscriber.writer.write(b"".join(frame for _, frame in prepared))
            await _drained(subscriber.writer, subscriber.max_bytes)
        else:
            for message, _ in prepared:
                await _send(websocket, subscriber, message)
        cursor = until
    return end


async def _assume_everything_inside(state: AppState, subscriber: Subscriber) -> None:
    """A resuming client with a narrowing filter may hold any visible object: each that then changes outside the
    filter is sent once more so the client can drop it (a harmless extra message for one it never held)."""
    everything = ObjectFilter(include_removed=True)
    shown = await stream_reads.shown_objects(state.db, subscriber.viewer, state.window_us, subscriber.filter.shows,
                                             everything)  # fmt: skip
    subscriber.inside.update((incident, orjson.loads(o)["id"]) for incident, o in shown)


async def _snapshot(websocket: WebSocket, state: AppState, subscriber: Subscriber, reason: str | None) -> int:
    """Sends the snapshot at the current seq, shared with every stream of the same viewer and filter that needs
    it at the same time (``realtime.snapshots``)."""
    seq = await stream_reads.last_seq(state.db)
    viewer, flt = subscriber.viewer, subscriber.filter
    key = (viewer, flt, seq, reason)
    async with state.snapshots.use(key, lambda: _build_snapshot(state, viewer, flt, seq, reason)) as snapshot:
        subscriber.inside.update(snapshot.inside)
        await _send(websocket, subscriber, snapshot.message)
    return seq


async def _build_snapshot(state: AppState, viewer: str, flt: StreamFilter, seq: int, reason: str | None) -> Snapshot:
    object_filter = ObjectFilter(kinds=tuple(flt.kinds), bbox=flt.bbox)
    rendered = await stream_reads.shown_objects(state.db, viewer, state.window_us, flt.shows, object_filter)
    inside = frozenset((incident, orjson.loads(o)["id"]) for incident, o in rendered) if flt.narrows else frozenset()
    return Snapshot(messages.snapshot(seq, (o for _, o in rendered), reason), inside)


async def _write(websocket: WebSocket, state: AppState, subscriber: Subscriber, sent: int) -> int | None:
    """Drains the subscriber's buffer to the socket, then (on the fast path) lets the hub write directly;
    sends heartbeats; returns the close code when the stream must end."""
    subscriber.sent = sent
    while True:
        change = subscriber.take()
        if change is not None:
            if change.seq > subscriber.sent:
                selected = subscriber.select(change)  # in seq order, after the snapshot or catch-up
                if selected:
                    await _send(websocket, subscriber, change.prepared(selected)[0])
                subscriber.sent = change.seq
            continue
        if subscriber.ended:
            return int(subscriber.phase.value)
        subscriber.wake.clear()
        try:  # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel (gh-86296)
            async with asyncio.timeout(state.settings.stream_heartbeat_seconds):
                await subscriber.wake.wait()
        except TimeoutError:
            subscriber.sent = max(subscriber.sent, state.hub.last_seq)
            try:
                await _send(websocket, subscriber, messages.heartbeat(subscriber.sent))
            except TimeoutError:
                return 4008


async def _read_client(websocket: WebSocket) -> int | None:
    """Reads (and ignores) client messages; a client that floods is closed with 1008."""
    window_start, count = time.monotonic(), 0
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        now = time.monotonic()
        if now - window_start > 1:
            window_start, count = now, 0
        count += 1
        if count > MAX_CLIENT_MESSAGES_PER_SECOND:
            return 1008
