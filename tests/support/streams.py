"""Helpers for tests against a real server's HTTP API and live stream (spec section 7).

- ``stream``: a WebSocket client of ``/api/v1/stream`` with every wait bounded; ``next_message`` and
  ``close_code`` read from it with a timeout, so that a missing message fails a test instead of hanging it.
- ``Token``, ``issue``, ``post``: organisations, tokens and reports over HTTP.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from tests.conftest import ADMIN
from tests.support.processes import Server
from tests.support.reports import Json

WAIT = 5.0  # a server sees its own commits at once, and other processes' within its 1 s poll
HTTP_TIMEOUT = httpx.Timeout(30.0)
Params = dict[str, str | int | Sequence[str]]


@dataclass(frozen=True)
class Token:
    """A token of an organisation, as issued."""

    organisation: str
    secret: str
    id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


async def issue(http: httpx.AsyncClient, organisation: str, roles: Sequence[str] = ("report", "read")) -> Token:
    """Registers the organisation (if new) and issues a fresh token for it."""
    body = {"id": organisation, "name": organisation.title(), "discipline": "other", "country": "NL"}
    response = await http.post("/api/v1/organisations", json=body, headers=ADMIN)
    assert response.status_code in (201, 409), response.text
    response = await http.post(f"/api/v1/organisations/{organisation}/tokens", json={"roles": roles}, headers=ADMIN)
    assert response.status_code == 201, response.text
    answer = response.json()
    return Token(organisation, answer["token"], answer["id"])


@asynccontextmanager
async def http_client(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
        yield http


async def post(http: httpx.AsyncClient, token: Token, body: Json) -> Json:
    """Posts a report that must be accepted (201); returns the answer (with its ``seq``)."""
    response = await http.post("/api/v1/reports", json=body, headers=token.headers)
    assert response.status_code == 201, response.text
    answer: Json = response.json()
    return answer


async def changes(http: httpx.AsyncClient, token: Token, after_seq: int) -> list[Json]:
    """Every change after ``after_seq`` that the token's organisation saw, from ``GET /api/v1/changes``."""
    found: list[Json] = []
    while True:
        params = {"after_seq": after_seq, "limit": 1000}
        response = await http.get("/api/v1/changes", params=params, headers=token.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        found.extend(page["changes"])
        if not page["changes"]:
            return found
        after_seq = page["last_seq"]


def stream_url(server: Server, params: Params | None = None) -> str:
    """The stream's ``ws://`` URL; a sequence value repeats its parameter."""
    pairs = [(k, v) for k, vs in (params or {}).items() for v in ([vs] if isinstance(vs, str | int) else vs)]
    query = f"?{urlencode(pairs)}" if pairs else ""
    return f"{server.url.replace('http://', 'ws://', 1)}/api/v1/stream{query}"


def connecting(
    server: Server,
    token: Token | None = None,
    params: Params | None = None,
    *,
    origin: str | None = None,
    max_queue: int = 64,
) -> connect:
    """Opens a stream (``async with``); with a token it authenticates with the ``Authorization`` header."""
    return connect(
        stream_url(server, params),
        additional_headers=token.headers if token else None,
        origin=Origin(origin) if origin else None,
        compression=None,
        proxy=None,
        open_timeout=WAIT,
        close_timeout=1,
        ping_interval=None,
        max_size=None,
        max_queue=max_queue,
    )


@asynccontextmanager
async def stream(
    server: Server, token: Token | None = None, params: Params | None = None, **options: Any
) -> AsyncIterator[ClientConnection]:
    """An open stream, closed on exit."""
    async with connecting(server, token, params, **options) as ws:
        yield ws


async def next_message(ws: ClientConnection, type: str | None = None, within: float = WAIT) -> Json:  # noqa: A002
    """The next message, ``within`` seconds; with a ``type`` other than heartbeat, the next message that is not a
    heartbeat (those may come at any moment), which must be of that type."""
    async with asyncio.timeout(within):
        while True:
            message: Json = json.loads(await ws.recv())
            if type in (None, "heartbeat") or message["type"] != "heartbeat":
                break
    if type is not None:
        assert message["type"] == type, message
    return message


async def snapshot(ws: ClientConnection) -> Json:
    """The first message of a stream opened without ``after_seq``: the snapshot."""
    message = await next_message(ws, "snapshot")
    assert "reason" not in message, message
    return message


async def _read_until_closed(ws: ClientConnection, seen: list[Json]) -> None:
    while True:
        seen.append(json.loads(await ws.recv()))


async def close_code(ws: ClientConnection, within: float = WAIT, seen: list[Json] | None = None) -> int:
    """Reads messages (into ``seen``, if given) until the server closes the stream, ``within`` seconds; its close
    code."""
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(_read_until_closed(ws, [] if seen is None else seen), within)
    assert closed.value.rcvd is not None, f"the connection ended without a close frame: {closed.value!r}"
    return closed.value.rcvd.code


def ids(message: Json) -> list[str]:
    """The ids of the objects a snapshot or change carries."""
    return [o["id"] for o in message["objects"]]
