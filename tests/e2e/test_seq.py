"""The seq contract against real server processes (spec section 1): every accepted report gets the next seq,
gap-free and in commit order, however many clients and processes write at once, so that a reader tailing
``after_seq`` sees every report exactly once."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import processes, reports, server_fixtures, streams
from tests.support.processes import Server
from tests.support.server_fixtures import StartServer

pytestmark = pytest.mark.e2e

HTTP_TIMEOUT = httpx.Timeout(30.0)
TEST_DEADLINE = 180.0
INCIDENT = "seq-e2e"
ORGANISATIONS = ("politie-e2e", "brandweer-e2e", "ghor-e2e", "gemeente-e2e")
READER = "vr-e2e"
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


@dataclass(frozen=True)
class Writer:
    """One HTTP client that posts its reports one after the other."""

    url: str
    organisation: str
    headers: dict[str, str]
    name: str
    first: int
    count: int


@dataclass
class Tail:
    """What a reader tailing one log saw."""

    seqs: list[int] = field(default_factory=list)
    pages_while_writing: int = 0


async def _tokens(url: str) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Report tokens for the writing organisations, and a read token for the reader."""
    async with httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT) as client:
        writers = {org: (await streams.issue(client, org, ["report"])).headers for org in ORGANISATIONS}
        reader = (await streams.issue(client, READER, ["read"])).headers
    return writers, reader


def _report(writer: Writer, n: int) -> dict[str, Any]:
    """Report number n: an object of its own (so that it always changes something) and objects that many
    reports share, observed out of arrival order so that the merge has something to decide. Every fourth report
    is about the shared incident; the others are about the writer's own, so that transactions which lock
    different incidents can overlap and only the seq counter orders them."""
    report_id = f"{writer.name}-{n}"
    observed = START + timedelta(seconds=(n * 7919) % 3600)
    return reports.report(
        report_id,
        {"id": f"own-{report_id}", "kind": "marker", "properties": {"n": n}},
        {"id": "casualties", "kind": "casualty-count", "properties": {"injured": n % 17}},
        {
            "id": f"roadblock-{n % 5}",
            "kind": "roadblock",
            "geometry": reports.point(4.6 + (n % 7) / 100, 51.8),
            "properties": {"status": "active" if n % 3 else "planned"},
        },
        incident=INCIDENT if n % 4 == 0 else f"{INCIDENT}-{writer.name}",
        observed_at=observed.isoformat(),
    )


async def _write(writer: Writer) -> list[dict[str, Any]]:
    """Posts the writer's reports one after the other; returns the answers in sending order."""
    answers = []
    async with httpx.AsyncClient(base_url=writer.url, timeout=HTTP_TIMEOUT) as client:
        for n in range(writer.first, writer.first + writer.count):
            body = _report(writer, n)
            response = await client.post("/api/v1/reports", json=body, headers=writer.headers)
            assert response.status_code == 201, response.text
            answers.append(response.json())
    return answers


def _writers(urls: Sequence[str], tokens: dict[str, dict[str, str]], clients: int, per_client: int) -> list[Writer]:
    """``clients`` writers spread over the servers and the organisations, ``per_client`` reports each."""
    return [
        Writer(
            url=urls[i % len(urls)],
            organisation=(org := ORGANISATIONS[i % len(ORGANISATIONS)]),
            headers=tokens[org],
            name=f"client{i}",
            first=i * per_client,
            count=per_client,
        )
        for i in range(clients)
    ]


async def _write_all(writers: Sequence[Writer]) -> list[list[dict[str, Any]]]:
    return list(await asyncio.gather(*(_write(w) for w in writers)))


def _assert_seqs_taken_in_commit_order(per_writer: list[list[dict[str, Any]]], total: int) -> None:
    """The seqs answered are exactly 1..total, and a report answered before the next was sent has the smaller
    seq (it committed first)."""
    seqs = [a["seq"] for answers in per_writer for a in answers]
    assert sorted(seqs) == list(range(1, total + 1))
    for answers in per_writer:
        own = [a["seq"] for a in answers]
        assert own == sorted(own), f"one client's sequential reports got seqs out of order: {own}"


async def _page_reports(url: str, headers: dict[str, str], limit: int = 37) -> list[dict[str, Any]]:
    """Every report, paging with ``after_seq=last_seq``."""
    reports: list[dict[str, Any]] = []
    cursor = 0
    async with httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT) as client:
        while True:
            response = await client.get(
                "/api/v1/reports", params={"after_seq": cursor, "limit": limit}, headers=headers
            )
            assert response.status_code == 200, response.text
            page = response.json()
            if not page["reports"]:
                return reports
            reports.extend(page["reports"])
            assert page["last_seq"] > cursor
            cursor = page["last_seq"]


def _assert_log_matches(reports: list[dict[str, Any]], per_writer: list[list[dict[str, Any]]]) -> None:
    """The listed log is in seq order 1..N, received_at never runs backwards, and each seq is the report that
    was answered with it."""
    assert [r["seq"] for r in reports] == list(range(1, len(reports) + 1))
    received = [datetime.fromisoformat(r["received_at"]) for r in reports]
    assert all(a <= b for a, b in itertools.pairwise(received)), "received_at runs backwards"
    answered = {a["seq"]: (a["organisation"], a["id"]) for answers in per_writer for a in answers}
    assert {r["seq"]: (r["organisation"], r["id"]) for r in reports} == answered


async def _assert_verify_agrees(env: dict[str, str], cwd: Path) -> None:
    code, stdout, stderr = await processes.run_netcop_async(env, "verify", cwd=cwd)
    assert code == 0, f"netcop verify exited with {code}:\n{stdout}\n{stderr}"
    assert "agrees" in stdout


async def test_seqs_are_gap_free_and_in_commit_order_under_concurrent_clients(
    server: Server, netcop_env: dict[str, str], tmp_path: Path
) -> None:
    """200 reports from 20 concurrent clients get the seqs 1..200 once each, the log lists them in that order
    with received_at never running backwards, and the stored picture agrees with the log."""
    async with asyncio.timeout(TEST_DEADLINE):
        tokens, reader = await _tokens(server.url)
        per_writer = await _write_all(_writers([server.url], tokens, clients=20, per_client=10))
        _assert_seqs_taken_in_commit_order(per_writer, 200)
        _assert_log_matches(await _page_reports(server.url, reader), per_writer)
        await _assert_verify_agrees(netcop_env, tmp_path)
    assert server.process.poll() is None, "the server died"


@pytest.fixture
def two_servers(database_url: str, start_server: StartServer) -> tuple[Server, Server]:
    """Two server processes on the same database."""
    server_fixtures.several_need_postgres(database_url, 2)
    return start_server(), start_server()


async def _tail(urls: Sequence[str], headers: dict[str, str], path: str, key: str, done: asyncio.Event) -> Tail:
    """Polls ``path?after_seq=<last>`` on the servers in turn, recording every seq, until a poll that began
    after the writers finished brings nothing new."""
    tail = Tail()
    cursor = 0
    clients = [httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT) for url in urls]
    try:
        for poll in range(1_000_000):
            finished = done.is_set()
            client = clients[poll % len(clients)]
            response = await client.get(path, params={"after_seq": cursor, "limit": 50}, headers=headers)
            assert response.status_code == 200, response.text
            page = response.json()
            tail.seqs.extend(item["seq"] for item in page[key])
            tail.pages_while_writing += bool(page[key]) and not finished
            if finished and not page[key]:
                return tail
            assert page["last_seq"] >= cursor
            cursor = page["last_seq"]
    finally:
        for client in clients:
            await client.aclose()
    raise AssertionError("the tail never caught up")


async def test_two_processes_hand_out_one_gap_free_commit_ordered_seq(
    two_servers: tuple[Server, Server], netcop_env: dict[str, str], tmp_path: Path
) -> None:
    """300 reports written through two processes at once, many about the same objects, get the seqs 1..300 once
    each, and readers tailing the change log and the report log on either process while they are written see
    every seq exactly once, in increasing order (a seq assigned at insert instead of commit would skip some)."""
    urls = [s.url for s in two_servers]
    async with asyncio.timeout(TEST_DEADLINE):
        tokens, reader = await _tokens(urls[0])
        done = asyncio.Event()
        tails = [
            asyncio.create_task(_tail(urls, reader, "/api/v1/changes", "changes", done)),
            asyncio.create_task(_tail(urls[::-1], reader, "/api/v1/reports", "reports", done)),
        ]
        try:
            per_writer = await _write_all(_writers(urls, tokens, clients=20, per_client=15))
        finally:
            done.set()
        changes, reports = await asyncio.gather(*tails)
        _assert_seqs_taken_in_commit_order(per_writer, 300)
        assert changes.seqs == list(range(1, 301)), "the change log tail missed or repeated seqs"
        assert reports.seqs == list(range(1, 301)), "the report log tail missed or repeated seqs"
        assert changes.pages_while_writing > 1, "the change log reader did not tail while reports were written"
        assert reports.pages_while_writing > 1, "the report log reader did not tail while reports were written"
        for url in urls:
            _assert_log_matches(await _page_reports(url, reader), per_writer)
        await _assert_verify_agrees(netcop_env, tmp_path)
    assert all(s.process.poll() is None for s in two_servers), "a server died"
