"""The Cursor-on-Target TCP listener (``netcop serve --cot-port``): a connection authenticated by its first line
(token and incident) streams events, each one report with the answers of ``POST /api/v1/ingest/cot``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.api.support import organisation_token, picture_of
from tests.formats.conftest import document

STREAM = document("cot/atak-stream.xml")
POSITION = document("cot/atak-position.xml")
Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@pytest.fixture
async def listening(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """A service listening for CoT on a port of the system's choosing."""
    app = create_app(settings.model_copy(update={"cot_port": 0}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://netcop.test") as client:
            yield app, client


async def connect(app: FastAPI, first_line: str) -> tuple[Connection, str]:
    """A connection to the listener, its first line sent, and the server's answer to it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", app.state.cot_listener.port)
    writer.write(first_line.encode() + b"\n")
    return (reader, writer), (await reader.readline()).decode().strip()


async def test_each_event_of_a_stream_is_one_report(listening: tuple[FastAPI, httpx.AsyncClient]) -> None:
    """After "ok", each event is answered with its report's status and id, lands on the picture, and the same
    event again is a retry (200); a bad event is refused (400) and the connection goes on."""
    app, client = listening
    headers = await organisation_token(client, "politie")
    (reader, writer), answer = await connect(app, f"{headers['Authorization'].split()[1]} flood-test")
    assert answer == "ok"
    writer.write(STREAM + b"<event>not closed properly</evnt></event>" + POSITION + POSITION)
    answers = [(await reader.readline()).decode().split()[0] for _ in range(6)]
    assert answers == ["201", "201", "201", "400", "201", "200"]
    assert set(await picture_of(client, headers)) == {"ANDROID-abc", "ANDROID-def", "ANDROID-R5CN70EYKQH"}
    writer.close()
    await writer.wait_closed()


async def test_a_connection_without_a_valid_first_line_is_refused(
    listening: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    """A wrong token is answered 401 and a line that is not a first line 400; then the server closes."""
    app, client = listening
    await organisation_token(client, "politie")
    for first_line, status in (("nct_wrong flood-test", "401"), ("just-one-word", "400")):
        (reader, writer), answer = await connect(app, first_line)
        assert answer.split()[:2] == ["error", status]
        assert await reader.read() == b""
        writer.close()
        await writer.wait_closed()


async def test_a_silent_connection_is_closed_and_connections_are_bounded(
    listening: tuple[FastAPI, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection silent for IDLE_SECONDS is closed; past the HTTP edge's bound on connections from one
    address a newcomer is answered 503 and closed at once, and a place is given back when a connection ends."""
    from app import edge
    from app.api import cot_listener

    app, client = listening
    token = (await organisation_token(client, "politie"))["Authorization"].split()[1]
    monkeypatch.setattr(cot_listener, "IDLE_SECONDS", 0.3)
    (reader, writer), answer = await connect(app, f"{token} flood-test")
    assert answer == "ok"
    assert await asyncio.wait_for(reader.read(), 5) == b""  # closed after its silence
    writer.close()
    bounded = edge.Connections(most=100, most_per_address=1, proxies=frozenset())
    monkeypatch.setattr(edge, "connections", lambda: bounded)
    (first_reader, first_writer), answer = await connect(app, f"{token} flood-test")
    assert answer == "ok"
    refused_reader, refused_writer = await asyncio.open_connection("127.0.0.1", app.state.cot_listener.port)
    assert (await asyncio.wait_for(refused_reader.readline(), 5)).startswith(b"error 503")
    refused_writer.close()
    first_writer.close()
    await asyncio.wait_for(first_reader.read(), 5)
    await asyncio.sleep(0.1)
    assert bounded.open == 0
