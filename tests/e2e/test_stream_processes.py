"""The live stream across processes (spec section 7; README design notes): two ``netcop serve`` processes on
one PostgreSQL database each deliver every change, whichever process accepted the report, in order and without a
gap; a revocation in one process closes the token's streams in the other; and a listener that loses its
connection (so missing wake-up signals) loses nothing, because the change log is what every process follows.

The module's tests share the two servers and their database; each uses names of its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from tests.conftest import ADMIN
from tests.support import streams
from tests.support.processes import Server
from tests.support.reports import fresh, unique
from tests.support.streams import Json, Token, close_code, next_message, post, snapshot

pytestmark = [pytest.mark.e2e, pytest.mark.shared_servers(count=2)]


@pytest.fixture
def two(shared_servers: list[Server]) -> tuple[Server, Server]:
    """Two server processes on the same database."""
    return shared_servers[0], shared_servers[1]


@pytest.fixture
async def http(two: tuple[Server, Server]) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with streams.http_client(two[0]) as a, streams.http_client(two[1]) as b:
        yield a, b


def marker(n: int) -> Json:
    """An object of the report's own: concurrent reports about one object may change nothing (the one observed
    earlier, committed later, loses the merge), and then there is rightly no change to deliver."""
    return {"id": f"marker-{n}", "kind": "marker", "properties": {"n": n}}


async def write(http: httpx.AsyncClient, token: Token, incident: str, first: int, count: int) -> list[int]:
    """Posts ``count`` reports one after the other; their seqs."""
    return [(await post(http, token, fresh(incident, marker(n))))["seq"] for n in range(first, first + count)]


async def changes(ws: ClientConnection, count: int) -> list[Json]:
    return [await next_message(ws, "change") for _ in range(count)]


async def test_each_process_delivers_every_change_whichever_process_accepted_it(
    two: tuple[Server, Server], http: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    """Reports written concurrently through both processes reach a subscriber of each process, every one, in
    increasing seq without a gap, as the same messages."""
    police = await streams.issue(http[0], unique("police"))
    incident = unique("flood")
    async with streams.stream(two[0], police) as on_a, streams.stream(two[1], police) as on_b:
        start = (await snapshot(on_a))["seq"]
        assert (await snapshot(on_b))["seq"] == start
        writers = [write(http[i % 2], police, incident, 10 * i, 10) for i in range(4)]
        answered = sorted(seq for seqs in await asyncio.gather(*writers) for seq in seqs)
        assert answered == list(range(start + 1, start + 41))
        from_a, from_b = await changes(on_a, 40), await changes(on_b, 40)
    assert [c["seq"] for c in from_a] == answered
    assert from_a == from_b
    assert [{"type": "change", **c} for c in await streams.changes(http[1], police, start)] == from_a


async def test_a_subscriber_of_one_process_gets_the_reports_accepted_by_the_other(
    two: tuple[Server, Server], http: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    """Reports accepted by process B reach a subscriber of process A in order, without a gap, each as it comes."""
    police = await streams.issue(http[0], unique("police"))
    incident = unique("flood")
    async with streams.stream(two[0], police) as on_a:
        await snapshot(on_a)
        for n in range(10):
            answer = await post(http[1], police, fresh(incident, marker(n)))
            assert (await next_message(on_a, "change"))["seq"] == answer["seq"]


async def test_revoking_a_token_through_one_process_closes_its_streams_on_the_other(
    two: tuple[Server, Server], http: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    """``DELETE /api/v1/tokens/{id}`` answered by process B closes the token's stream on process A with 4001."""
    police = await streams.issue(http[0], unique("police"))
    async with streams.stream(two[0], police) as on_a:
        await snapshot(on_a)
        response = await http[1].delete(f"/api/v1/tokens/{police.id}", headers=ADMIN)
        assert response.status_code == 204, response.text
        assert await close_code(on_a) == 4001


async def test_changes_reach_the_other_process_while_its_listener_reconnects(
    two: tuple[Server, Server], http: tuple[httpx.AsyncClient, httpx.AsyncClient], database_url: str
) -> None:
    """With the processes' ``LISTEN`` connections killed (their wake-up signals lost), reports accepted by B still
    reach a subscriber of A, every one, in order: the follower polls the change log."""
    police = await streams.issue(http[0], unique("police"))
    incident = unique("flood")
    async with streams.stream(two[0], police) as on_a:
        await snapshot(on_a)
        assert await terminate_listeners(database_url) >= 2
        answered = await write(http[1], police, incident, 0, 5)
        assert [c["seq"] for c in await changes(on_a, 5)] == answered
        later = await post(http[1], police, fresh(incident, marker(5)))
        assert (await next_message(on_a, "change"))["seq"] == later["seq"]


async def terminate_listeners(database_url: str) -> int:
    """Ends every connection of the servers' change listeners on this database; how many it ended."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        rows = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'"
        )
    finally:
        await connection.close()
    return len(rows)
