"""Concurrency (issue requirement 3) against real server processes on the session's test database (SQLite, or
PostgreSQL with NETCOP_TEST_DATABASE_URL; two processes only on PostgreSQL): identical retries at once store one
report, and concurrent writers never make a stream subscriber skip or re-see a seq (spec sections 3 and 7)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.reliability import harness
from tests.support import reports, server_fixtures, streams
from tests.support.processes import Server
from tests.support.server_fixtures import StartServer

pytestmark = pytest.mark.e2e

RETRIES = 50
WRITERS = 20
REPORTS_PER_WRITER = 15
MAX_DELAY = 0.02
CATCH_UP_BOUND = 30.0
TEST_DEADLINE = 120.0
WRITING_ORGANISATIONS = ("politie-rel", "brandweer-rel", "ghor-rel", "gemeente-rel")
VIEWER = "vr-rel"


@pytest.fixture(params=[1, 2], ids=["one-process", "two-processes"])
def servers(request: pytest.FixtureRequest, database_url: str, start_server: StartServer) -> list[Server]:
    """One server, or two server processes on the same database (PostgreSQL only)."""
    server_fixtures.several_need_postgres(database_url, request.param)
    return [start_server() for _ in range(request.param)]


async def test_fifty_identical_retries_at_once_store_one_report(servers: list[Server]) -> None:
    """50 identical POSTs of one report sent at once (spread over the processes) get one 201 and 49 x 200, all
    with the same answer, and the log holds that report once."""
    async with asyncio.timeout(TEST_DEADLINE):
        async with httpx.AsyncClient(base_url=servers[0].url, timeout=harness.HTTP_TIMEOUT) as client:
            headers = (await streams.issue(client, WRITING_ORGANISATIONS[0], ["report", "read"])).headers
        body = reports.numbered("retried-once", 1)
        clients = [_client(s, RETRIES) for s in servers]
        try:
            answers = await asyncio.gather(
                *(harness.post_report(clients[i % len(clients)], headers, body) for i in range(RETRIES))
            )
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        assert Counter(a.status for a in answers) == {201: 1, 200: RETRIES - 1}, [(a.status, a.body) for a in answers]
        assert all(a.body == answers[0].body for a in answers), "the retries were answered differently"
        stored = await harness.list_reports(servers[0].url, headers)
        assert [(r["id"], r["seq"]) for r in stored] == [("retried-once", answers[0].body["seq"])]


async def test_concurrent_writers_never_make_a_subscriber_skip_or_resee_a_seq(servers: list[Server]) -> None:
    """20 writers posting with random small delays (spread over the processes; some reports restricted so that
    the viewer must not see them): a subscriber connected from the start and one that joins half-way with
    after_seq=0 are each sent exactly the changes /api/v1/changes lists for their viewer, once each, in order."""
    async with asyncio.timeout(TEST_DEADLINE):
        writers, viewer = await _tokens(servers[0].url)
        early, late = harness.StreamRecord(), harness.StreamRecord()
        subscribers = [asyncio.create_task(harness.subscribe(servers[0].url, viewer, early))]
        await _wait_connected(early)
        halfway = asyncio.Event()
        writing = asyncio.gather(*(_write(servers, writers, w, halfway) for w in range(WRITERS)))
        await halfway.wait()
        subscribers.append(asyncio.create_task(harness.subscribe(servers[-1].url, viewer, late)))
        answers = [a for per_writer in await writing for a in per_writer]

        changes = await harness.list_change_seqs(servers[0].url, viewer)
        for record in (early, late):
            await harness.wait_seen(record, changes[-1], CATCH_UP_BOUND)
        for task in subscribers:
            task.cancel()
        await asyncio.gather(*subscribers, return_exceptions=True)

    assert sorted(a["seq"] for a in answers) == list(range(1, WRITERS * REPORTS_PER_WRITER + 1))
    hidden = {a["seq"] for a in answers if a["id"].endswith("-restricted")}
    assert hidden, "no report was restricted"
    assert not hidden & set(changes), "the viewer's change log shows restricted reports"
    assert set(changes) == {a["seq"] for a in answers} - hidden
    for name, record in (("the early subscriber", early), ("the late subscriber", late)):
        assert not record.snapshots, f"{name} was sent a snapshot"
        harness.assert_each_once_in_order(record.seqs, changes)


def _client(server: Server, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections)
    return httpx.AsyncClient(base_url=server.url, timeout=harness.HTTP_TIMEOUT, limits=limits)


async def _tokens(url: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Report tokens of the writing organisations, and a read token of the viewer."""
    async with httpx.AsyncClient(base_url=url, timeout=harness.HTTP_TIMEOUT) as client:
        writers = [(await streams.issue(client, org, ["report"])).headers for org in WRITING_ORGANISATIONS]
        viewer = (await streams.issue(client, VIEWER, ["read"])).headers
    return writers, viewer


async def _wait_connected(record: harness.StreamRecord) -> None:
    async def connected() -> bool:
        return record.connections > 0

    await harness.wait_for(connected, CATCH_UP_BOUND, "the subscriber connected", every=0.02)


async def _write(
    servers: list[Server], tokens: list[dict[str, str]], writer: int, halfway: asyncio.Event
) -> list[dict[str, Any]]:
    """One writer's reports, one at a time after a random pause; every fourth is restricted to the writer's own
    organisation (the viewer must not see it). Sets ``halfway`` when it is half done."""
    rng = random.Random(writer)
    answers = []
    async with httpx.AsyncClient(base_url=servers[writer % len(servers)].url, timeout=harness.HTTP_TIMEOUT) as client:
        for n in range(REPORTS_PER_WRITER):
            await asyncio.sleep(rng.uniform(0, MAX_DELAY))
            answer = await harness.post_report(client, tokens[writer % len(tokens)], _body(writer, n))
            assert answer.status == 201, (answer.status, answer.body)
            answers.append(answer.body)
            if n == REPORTS_PER_WRITER // 2:
                halfway.set()
    return answers


def _body(writer: int, n: int) -> dict[str, Any]:
    restricted = n % 4 == 3
    body = reports.numbered(f"w{writer}-{n}" + ("-restricted" if restricted else ""), writer * 100 + n)
    if restricted:
        body |= {"visibility": "restricted", "audience": []}
    return body
