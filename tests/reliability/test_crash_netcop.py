"""Crash durability (issue requirement 1): ``kill -9`` of the server while 1,200 reports are being posted at once
loses no report that was acknowledged and stores none twice, on SQLite and on PostgreSQL (spec section 3: "a
crash after a 201 loses nothing")."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.reliability import harness
from tests.support import reports, streams
from tests.support.processes import Env
from tests.support.server_fixtures import StartServer

pytestmark = pytest.mark.e2e

REPORTS = 1200
KILL_AFTER = 300
TEST_DEADLINE = 150.0
ORGANISATION = "crash-netcop"


async def test_a_killed_server_loses_no_acknowledged_report_and_stores_none_twice(
    fresh_env: Env, start_server: StartServer, tmp_path: Path
) -> None:
    """After kill -9 during 1,200 concurrent POSTs and a restart, every report that got a 201 is stored once under
    the seq it was answered with, the log is gap-free, a retry of every report is 200 when it was stored and 201
    when not (never 409), and the stored picture agrees with the log."""
    async with asyncio.timeout(TEST_DEADLINE):
        server = await asyncio.to_thread(start_server, fresh_env)
        async with httpx.AsyncClient(base_url=server.url, timeout=harness.HTTP_TIMEOUT) as client:
            headers = (await streams.issue(client, ORGANISATION, ["report", "read"])).headers
        bodies = [reports.numbered(f"crash-{n:04d}", n) for n in range(REPORTS)]

        def kill_at(count: int) -> None:
            if count == KILL_AFTER:
                server.kill()

        first = await harness.post_all(server.url, headers, bodies, on_answer=kill_at)
        acknowledged = _acknowledged(first)
        assert await asyncio.to_thread(server.process.wait, 10) == -9

        restarted = await asyncio.to_thread(start_server, fresh_env)
        stored = await harness.list_reports(restarted.url, headers)
        harness.assert_log_holds(stored, acknowledged)

        retried = await harness.post_all(restarted.url, headers, bodies, connections=harness.CHECK_CONNECTIONS)
        harness.assert_retries_answered(retried, first, {r["id"] for r in stored})
        assert [r["seq"] for r in await harness.list_reports(restarted.url, headers)] == list(range(1, REPORTS + 1))
        await harness.assert_verify_clean(fresh_env, tmp_path)


def _acknowledged(answers: dict[str, harness.Answer]) -> dict[str, harness.Answer]:
    """The 201s; before the kill nothing else may be answered (the others are transport errors from the kill)."""
    refused = {i: (a.status, a.body) for i, a in answers.items() if a.status is not None and a.status != 201}
    assert not refused, f"before the kill, reports were answered other than 201: {list(refused.items())[:5]}"
    acknowledged = {i: a for i, a in answers.items() if a.acknowledged}
    assert KILL_AFTER <= len(acknowledged) < REPORTS, f"{len(acknowledged)} acknowledged: the kill came too late"
    return acknowledged
