"""Database outage (issue requirement 2): PostgreSQL stopped for 10 s under a steady light load. Requests fail
fast with 503 (no hang, no 500), ``/readyz`` fails, the service recovers by itself when the database returns,
and a stream subscriber gets every change exactly once, in order, with no gap (spec sections 7 and 8)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.reliability import harness
from tests.support import reports, streams
from tests.support.processes import Env, Server
from tests.support.server_fixtures import StartServer

pytestmark = pytest.mark.e2e

OUTAGE_SECONDS = 10.0
LOAD_INTERVAL = 0.02
ANSWER_BOUND = 6.0
RECOVERY_BOUND = 30.0
WARM_UP_REPORTS = 20
AFTER_RECOVERY_REPORTS = 20
TEST_DEADLINE = 120.0
ORGANISATION = "outage"
# Tokens stay cached through the outage, so that the POSTs reach the writer and the streams reach their first
# read (with the default 5 s they would fail at authentication, which test_crash_postgres covers).
TOKEN_CACHE = 60


@dataclass
class Load:
    """A report every ``LOAD_INTERVAL`` seconds, one at a time, and what each got."""

    url: str
    headers: dict[str, str]
    answers: list[harness.Answer] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=harness.HTTP_TIMEOUT) as client:
            while not self.stop.is_set():
                n = len(self.answers)
                self.answers.append(await harness.post_report(client, self.headers, reports.numbered(f"l-{n}", n)))
                await asyncio.sleep(max(0.0, self.answers[-1].started + LOAD_INTERVAL - time.monotonic()))

    def accepted_since(self, moment: float) -> list[harness.Answer]:
        return [a for a in self.answers if a.status == 201 and a.started >= moment]


@dataclass
class Window:
    """When the database was away: from the return of ``pg_ctl stop`` to the call of ``pg_ctl start``."""

    down: float
    up: float
    readyz: list[tuple[int, float]]
    stream_refusals: list[int | str]


async def test_a_ten_second_database_outage_fails_fast_and_heals_by_itself(
    postgres: harness.PrivatePostgres, private_env: Env, start_server: StartServer, tmp_path: Path
) -> None:
    """While PostgreSQL is stopped for 10 s under a report every 20 ms, every POST is answered 503 (none 500,
    none after more than 6 s), /readyz answers 503 and a new stream is refused (503, or 1013 "try again later"
    right after the accept); after PostgreSQL is
    started again, /readyz turns 200 and POSTs get 201 again without a restart of netcop, and the subscriber
    that was connected throughout has been sent every change of the log exactly once, in order."""
    async with asyncio.timeout(TEST_DEADLINE):
        server = await asyncio.to_thread(start_server, private_env | {"NETCOP_TOKEN_CACHE_SECONDS": str(TOKEN_CACHE)})
        async with httpx.AsyncClient(base_url=server.url, timeout=harness.HTTP_TIMEOUT) as client:
            headers = (await streams.issue(client, ORGANISATION, ["report", "read"])).headers
        record = harness.StreamRecord()
        subscriber = asyncio.create_task(harness.subscribe(server.url, headers, record))
        load = Load(server.url, headers)
        writer = asyncio.create_task(load.run())
        try:
            await _until_accepted(load, 0.0, WARM_UP_REPORTS)
            await harness.wait_seen(record, load.accepted_since(0.0)[-1].body["seq"], RECOVERY_BOUND)
            window = await _outage(postgres, server, headers)
            await _recovered(server, load, window)
        finally:
            load.stop.set()
            await writer
        changes = await harness.list_change_seqs(server.url, headers)
        await harness.wait_seen(record, changes[-1], RECOVERY_BOUND)
        subscriber.cancel()
        await asyncio.gather(subscriber, return_exceptions=True)

    _assert_load_answers(load, window)
    assert not record.snapshots, "the subscriber was sent a snapshot (a resync) instead of the changes"
    harness.assert_each_once_in_order(record.seqs, changes)
    assert {a.body["seq"] for a in load.answers if a.status == 201} <= set(changes), "a 201 has no change"
    await harness.assert_verify_clean(private_env, tmp_path)


async def _until_accepted(load: Load, since: float, count: int) -> None:
    async def enough() -> bool:
        return len(load.accepted_since(since)) >= count

    await harness.wait_for(enough, RECOVERY_BOUND, f"{count} reports accepted", every=0.05)


async def _outage(postgres: harness.PrivatePostgres, server: Server, headers: dict[str, str]) -> Window:
    """Stops PostgreSQL for ``OUTAGE_SECONDS``, probing /readyz and the stream handshake meanwhile."""
    await asyncio.to_thread(postgres.stop)
    window = Window(down=time.monotonic(), up=0.0, readyz=[], stream_refusals=[])
    async with httpx.AsyncClient(base_url=server.url, timeout=harness.HTTP_TIMEOUT) as client:
        while time.monotonic() < window.down + OUTAGE_SECONDS:
            started = time.monotonic()
            window.readyz.append(((await client.get("/readyz")).status_code, time.monotonic() - started))
            window.stream_refusals.append(await harness.stream_handshake(server.url, headers, ANSWER_BOUND))
            await asyncio.sleep(0.5)
    window.up = time.monotonic()
    await asyncio.to_thread(postgres.start)
    return window


async def _recovered(server: Server, load: Load, window: Window) -> None:
    """/readyz turns 200 and POSTs get 201 again, then the load runs on for a while."""
    async with httpx.AsyncClient(base_url=server.url, timeout=harness.HTTP_TIMEOUT) as client:
        await harness.wait_for(lambda: harness.ready(client), RECOVERY_BOUND, "/readyz back to 200")
    await _until_accepted(load, window.up, AFTER_RECOVERY_REPORTS)


def _assert_load_answers(load: Load, window: Window) -> None:
    """Each answer is 201 or 503 within the bound; those sent and answered while the database was away are 503,
    and there are many of them; /readyz and new streams were refused with 503 throughout."""
    statuses = Counter(a.status for a in load.answers)
    errors = Counter(a.error for a in load.answers if a.status is None)
    assert set(statuses) <= {201, 503}, f"answers other than 201 and 503: {statuses} {errors}"
    slow = sorted(round(a.seconds, 1) for a in load.answers if a.seconds > ANSWER_BOUND)
    assert not slow, f"{len(slow)} POSTs took longer than {ANSWER_BOUND} s: {slow[-5:]}"
    during = Counter(a.status for a in load.answers if a.started >= window.down and a.finished <= window.up)
    assert set(during) == {503}, f"answers while the database was away: {during}"
    assert during[503] >= OUTAGE_SECONDS / ANSWER_BOUND, f"too few requests during the outage: {during}"
    readyz = [(status, round(seconds, 2)) for status, seconds in window.readyz]
    assert readyz, "/readyz was not probed during the outage"
    assert all(s == 503 and t < ANSWER_BOUND for s, t in readyz), f"/readyz during the outage: {readyz}"
    assert window.stream_refusals, "no stream was opened during the outage"
    assert set(window.stream_refusals) <= {503, 1013}, f"new streams during the outage: {window.stream_refusals}"
