"""Helpers for the live stream's end-to-end tests (spec section 7) against real ``netcop serve`` processes.

- ``shared_server``: one server for a whole test module. Starting a server costs one to two seconds, so the
  modules that need no special database state share one; their tests then use names of their own (``unique``)
  instead of an emptied database, and must not depend on what other tests wrote.
- ``stream``: a WebSocket client of ``/api/v1/stream`` with every wait bounded; ``next_message`` and
  ``close_code`` read from it with a timeout, so that a missing message fails a test instead of hanging it.
- ``Token``, ``issue``, ``post``: organisations, tokens and reports over HTTP.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from tests.conftest import ADMIN, ADMIN_TOKEN
from tests.e2e import processes
from tests.e2e.processes import Server

WAIT = 5.0  # a server sees its own commits at once, and other processes' within its 1 s poll
HTTP_TIMEOUT = httpx.Timeout(30.0)
Json = dict[str, Any]
Params = dict[str, str | int | Sequence[str]]

_RUN = secrets.token_hex(3)
_names = itertools.count(1)
_moments = itertools.count(1)
_EPOCH = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


def unique(prefix: str) -> str:
    """A slug no other test of this session uses (organisation, incident or report id)."""
    return f"{prefix}-{_RUN}-{next(_names)}"


def observed_at() -> str:
    """A moment in the past, later than every one handed out before: a later report wins the merge."""
    return (_EPOCH + timedelta(seconds=next(_moments))).isoformat()


def environment(database_url: str, **netcop: str) -> dict[str, str]:
    """The environment of a server on the test database, with more ``NETCOP_*`` settings (key without prefix)."""
    env = processes.clean_env(database_url=database_url, admin_token=ADMIN_TOKEN, log_level="info", **netcop)
    if database_url.startswith("sqlite"):
        env["NETCOP_SQLITE_PATH"] = database_url.removeprefix("sqlite+aiosqlite:///")
    return env


def shared_servers(database_url: str, workdir: Path, count: int, **netcop: str) -> Iterator[list[Server]]:
    """Runs ``count`` servers for a module (a generator for a module-scoped fixture); each must stop cleanly."""
    started: list[Server] = []
    try:
        for _ in range(count):
            started.append(processes.start(environment(database_url, **netcop), workdir))
        yield started
    finally:
        problems = [(problem, server) for server in started if (problem := server.stop()) is not None]
    if problems:
        pytest.fail("\n\n".join(f"{problem}; its output:\n{server.log()}" for problem, server in problems))


def shared_server(database_url: str, workdir: Path, **netcop: str) -> Iterator[Server]:
    """Runs one server for a module (a generator for a module-scoped fixture); it must stop cleanly."""
    for servers in shared_servers(database_url, workdir, 1, **netcop):
        yield servers[0]


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


def report(incident: str, *objects: Json, **extra: Any) -> Json:
    """A report with an id of its own, observed later than every report before it."""
    return {"id": unique("r"), "incident": incident, "observed_at": observed_at(), "objects": list(objects), **extra}


def point(lon: float, lat: float) -> Json:
    return {"type": "Point", "coordinates": [lon, lat]}


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
